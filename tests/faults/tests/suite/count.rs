//! Counting after a fault, from the services' own databases: what the
//! callers were told was accepted and is not there (lost), what is there
//! more than once (applied twice), and whether every ledger still sums to
//! its balance. An analytic event is counted in the incidents video ingest
//! made of it, a cross-border case at both nodes, a referral in review.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use sqlx::PgPool;

use crate::load::Seen;
use crate::town::Town;

/// How long the town may take, after the load, to carry every accepted
/// operation through (outboxes published, tickets taken in, awards paid).
const SETTLE: Duration = Duration::from_secs(90);

/// The count of one phase.
#[derive(Debug, Default, Clone)]
pub struct Count {
    pub lost: usize,
    pub twice: usize,
    pub ledger_ok: bool,
    pub bad_codes: usize,
    /// Events set aside as undeliverable or unusable during the phase.
    pub set_aside: usize,
    /// What makes up `lost` and `twice`, for the lines under the table.
    pub notes: Vec<String>,
}

async fn scalar(pool: &PgPool, sql: &'static str) -> i64 {
    sqlx::query_scalar(sql)
        .fetch_one(pool)
        .await
        .expect("the count runs")
}

/// Rows still waiting in the outboxes.
async fn unpublished(town: &Town) -> i64 {
    let sql = "SELECT count(*) FROM outbox WHERE published_at IS NULL";
    let mut left = 0;
    for (_, pool) in town.databases() {
        left += scalar(pool, sql).await;
    }
    left
}

/// Events set aside in every service's database: outbox rows never to be
/// published and consumed events no consumer could apply. The load is all
/// well formed, so any is a defect; returns the count and a few of them.
pub async fn set_aside(town: &Town) -> (i64, Vec<String>) {
    let mut total = 0;
    let mut some = Vec::new();
    for (db, pool) in town.databases() {
        total += scalar(
            pool,
            "SELECT count(*) FROM outbox WHERE dead_at IS NOT NULL",
        )
        .await;
        total += scalar(pool, "SELECT count(*) FROM inbox_dead_letters").await;
        let rows: Vec<(String, String, String)> = sqlx::query_as(
            "SELECT consumer, subject, reason FROM inbox_dead_letters ORDER BY 1 LIMIT 3",
        )
        .fetch_all(pool)
        .await
        .expect("the dead letters are read");
        some.extend(rows.into_iter().map(|(consumer, subject, reason)| {
            format!("{db}: {consumer} set {subject} aside: {reason}")
        }));
    }
    (total, some)
}

/// Envelopes Langxia's node has not yet handed to its peer.
async fn undelivered(town: &Town) -> i64 {
    scalar(
        &town.exchange_db,
        "SELECT count(*) FROM deliveries WHERE state = 'PENDING'",
    )
    .await
}

/// `key → rows` for `keys` of `sql`, which groups `$1`'s members.
async fn grouped(pool: &PgPool, sql: &'static str, keys: &[String]) -> HashMap<String, i64> {
    let rows: Vec<(String, i64)> = sqlx::query_as(sql)
        .bind(keys)
        .fetch_all(pool)
        .await
        .expect("the count runs");
    rows.into_iter().collect()
}

/// Tickets by external reference.
async fn tickets(town: &Town, refs: &[String]) -> HashMap<String, i64> {
    grouped(
        &town.dispatch_db,
        "SELECT external_ref, count(*) FROM tickets WHERE external_ref = ANY($1) GROUP BY 1",
        refs,
    )
    .await
}

/// Awards by report.
async fn awards(town: &Town, reports: &[String]) -> HashMap<String, i64> {
    grouped(
        &town.points_db,
        "SELECT report_id::text, count(*) FROM ledger_entries
         WHERE kind = 'AWARD' AND report_id::text = ANY($1) GROUP BY 1",
        reports,
    )
    .await
}

/// Analytic events by id, as the incidents hold them.
async fn incident_events(town: &Town, events: &[String]) -> HashMap<String, i64> {
    grouped(
        &town.video_db,
        "SELECT event_id::text, count(*) FROM incident_events
         WHERE event_id::text = ANY($1) GROUP BY 1",
        events,
    )
    .await
}

/// Joint cases by Langxia's case number, as the node `pool` holds them.
async fn joint_cases(pool: &PgPool, numbers: &[String]) -> HashMap<String, i64> {
    grouped(
        pool,
        "SELECT origin_case_number, count(*) FROM joint_cases
         WHERE origin_case_number = ANY($1) GROUP BY 1",
        numbers,
    )
    .await
}

/// Reviews by the ticket referred.
async fn reviews(town: &Town, tickets: &[String]) -> HashMap<String, i64> {
    grouped(
        &town.review_db,
        "SELECT ticket_id::text, count(*) FROM reviews WHERE ticket_id::text = ANY($1) GROUP BY 1",
        tickets,
    )
    .await
}

/// Waits until the outboxes are empty, every accepted report is a ticket,
/// every verified report has its award, every acknowledged event is in an
/// incident, every case reached the peer and every referral is a review,
/// or [`SETTLE`] passes.
async fn settle(town: &Town, seen: &Seen) {
    let reports: Vec<String> = seen.reports.iter().map(|(id, _)| id.clone()).collect();
    let deadline = tokio::time::Instant::now() + SETTLE;
    while tokio::time::Instant::now() < deadline {
        let done = unpublished(town).await == 0
            && undelivered(town).await == 0
            && tickets(town, &reports).await.len() == reports.len()
            && awards(town, &seen.verified).await.len() == seen.verified.len()
            && incident_events(town, &seen.events).await.len() == seen.events.len()
            && joint_cases(&town.peer_db, &seen.cases).await.len() == seen.cases.len()
            && reviews(town, &seen.referred).await.len() == seen.referred.len();
        if done {
            return;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// Adds what `accepted` should each have once and `held` has to the
/// count, as `what`.
fn once_each(count: &mut Count, accepted: &[String], held: &HashMap<String, i64>, what: &str) {
    let lost = accepted.iter().filter(|k| !held.contains_key(*k)).count();
    let twice = held.values().map(|n| (n - 1).max(0) as usize).sum();
    note(count, lost, twice, what);
}

/// Adds `lost` and `twice` of `what` to the count.
fn note(count: &mut Count, lost: usize, twice: usize, what: &str) {
    count.lost += lost;
    count.twice += twice;
    if lost + twice > 0 {
        count
            .notes
            .push(format!("{what}: {lost} lost, {twice} twice"));
    }
}

/// Counts the phase whose callers saw `seen`.
pub async fn count(town: &Town, seen: &Seen) -> Count {
    settle(town, seen).await;
    let mut count = Count {
        bad_codes: seen.bad.len(),
        ..Count::default()
    };
    // 12345 orders: one ticket each.
    let taken = tickets(town, &seen.tickets).await;
    let lost = seen.tickets.len() - taken.len();
    let twice = taken.values().map(|n| (n - 1).max(0) as usize).sum();
    note(&mut count, lost, twice, "12345 orders → tickets");

    // Reports: one row each (by the tag in the text), one ticket each.
    let tags: Vec<String> = seen
        .reports
        .iter()
        .map(|(_, tag)| format!("%[{tag}]"))
        .collect();
    let stored: Vec<(String, i64)> = sqlx::query_as(
        "SELECT t.tag, count(r.report_id) FROM unnest($1::text[]) AS t(tag)
         LEFT JOIN reports r ON r.text LIKE t.tag GROUP BY 1",
    )
    .bind(&tags)
    .fetch_all(&town.points_db)
    .await
    .expect("the count runs");
    let lost = stored.iter().filter(|(_, n)| *n == 0).count();
    let twice = stored.iter().map(|(_, n)| (n - 1).max(0) as usize).sum();
    note(&mut count, lost, twice, "reports → rows");
    let reports: Vec<String> = seen.reports.iter().map(|(id, _)| id.clone()).collect();
    let forwarded = tickets(town, &reports).await;
    let lost = reports.len() - forwarded.len();
    let twice = forwarded.values().map(|n| (n - 1).max(0) as usize).sum();
    note(&mut count, lost, twice, "reports → tickets");

    // Verified reports: one award each, of the report's points.
    let paid = awards(town, &seen.verified).await;
    let lost = seen.verified.len() - paid.len();
    let twice = paid.values().map(|n| (n - 1).max(0) as usize).sum();
    note(&mut count, lost, twice, "verified reports → awards");
    let verified: HashSet<&String> = seen.verified.iter().collect();
    let awarded_unverified: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM ledger_entries WHERE kind = 'AWARD' AND report_id::text = ANY($1)
         AND NOT (report_id::text = ANY($2))",
    )
    .bind(&reports)
    .bind(verified.into_iter().cloned().collect::<Vec<_>>())
    .fetch_one(&town.points_db)
    .await
    .expect("the count runs");
    note(
        &mut count,
        0,
        awarded_unverified as usize,
        "awards of unverified reports",
    );

    // Analytic events: each acknowledged one in one incident.
    let held = incident_events(town, &seen.events).await;
    once_each(
        &mut count,
        &seen.events,
        &held,
        "analytic events → incidents",
    );
    // Cross-border cases: one joint case at each node.
    let held = joint_cases(&town.exchange_db, &seen.cases).await;
    once_each(&mut count, &seen.cases, &held, "cases → Langxia's node");
    let held = joint_cases(&town.peer_db, &seen.cases).await;
    once_each(&mut count, &seen.cases, &held, "cases → Xindai's node");
    // Referrals: one review each.
    let held = reviews(town, &seen.referred).await;
    once_each(&mut count, &seen.referred, &held, "referrals → reviews");
    let retried: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM deliveries d JOIN joint_cases c ON d.shared_case_id = c.shared_id::text
         WHERE c.origin_case_number = ANY($1) AND d.message_type = 'REPORT' AND d.attempts > 1",
    )
    .bind(&seen.cases)
    .fetch_one(&town.exchange_db)
    .await
    .expect("the count runs");
    if retried > 0 {
        count.notes.push(format!(
            "{retried} of {} case reports reached the peer only after more than one attempt",
            seen.cases.len()
        ));
    }
    let left = undelivered(town).await;
    if left > 0 {
        count
            .notes
            .push(format!("{left} envelopes still undelivered to the peer"));
    }

    // Every ledger: the balance is the sum of the entries and the last
    // running balance; the reports' awarded points are the awards.
    let unbalanced = scalar(
        &town.points_db,
        "SELECT count(*) FROM accounts a
         WHERE a.balance <> COALESCE((SELECT SUM(amount) FROM ledger_entries e
                                     WHERE e.account_id = a.account_id), 0)
            OR a.balance <> COALESCE((SELECT balance_after FROM ledger_entries e
                                     WHERE e.account_id = a.account_id ORDER BY seq DESC LIMIT 1), 0)
            OR a.balance < 0",
    )
    .await;
    let misreported = scalar(
        &town.points_db,
        "SELECT count(*) FROM reports r
         WHERE r.awarded_points <> COALESCE((SELECT SUM(amount) FROM ledger_entries e
                                            WHERE e.report_id = r.report_id AND e.kind = 'AWARD'), 0)",
    )
    .await;
    count.ledger_ok = unbalanced == 0 && misreported == 0;
    if !count.ledger_ok {
        count.notes.push(format!(
            "ledger: {unbalanced} accounts whose entries do not sum to the balance, \
             {misreported} reports whose awarded points are not their awards"
        ));
    }
    let left = unpublished(town).await;
    if left > 0 {
        count
            .notes
            .push(format!("{left} outbox rows still unpublished"));
        count.lost += left as usize;
    }
    if seen.cut > 0 {
        count.notes.push(format!(
            "{} calls cut mid-call by a kill (tonic: UNKNOWN or CANCELLED with the client's transport or socket error as source), sent again as UNAVAILABLE",
            seen.cut
        ));
    }
    for (rpc, code, message) in seen.bad.iter().take(5) {
        count.notes.push(format!("{rpc}: {code:?} {message}"));
    }
    if !seen.gave_up.is_empty() {
        count.notes.push(format!(
            "{} operations gave up after retrying (not accepted): {:?}",
            seen.gave_up.len(),
            seen.gave_up.iter().take(5).collect::<Vec<_>>()
        ));
    }
    count
}
