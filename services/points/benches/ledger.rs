//! Ledger postings, beside their floor measured in the same run, and the
//! replay check.
//!
//! 1. Postings per second: AdjustPoints over gRPC and the service's posting
//!    code in process, against the same statements (lock the account, look
//!    the key up, insert the entry, update the balance, enqueue the event;
//!    one transaction each) sent raw to PostgreSQL; printed as ratios.
//! 2. Replay: reports verified by dispatch's events earn their awards; then
//!    every event of the DISPATCH stream is published twice more under new
//!    event ids (so neither JetStream nor the inbox drops them) and the
//!    ledger is counted again: the number of duplicate entries must be 0.
//!
//! Needs PostgreSQL and NATS (`make bench` starts them when missing); its
//! database and NATS prefix are its own, dropped at the end.

use std::time::Duration;

use platform::auth::Role;
use platform::bench::measure;
use platform::events::Bus;
use platform::testing::{ScratchDatabase, eventually};
use points::application::ledger::post;
use points::domain::ids::{AccountId, ResidentId};
use points::domain::ledger::{EntryKind, Posting};
use points::testing::{TestPoints, publish, report, token_of};
use proto::dispatch::v1 as dispatch;
use proto::points::v1 as pb;
use sqlx::PgPool;
use uuid::Uuid;

/// Calls in flight at once.
const CONCURRENCY: usize = 16;
/// Postings per measurement.
const POSTINGS: usize = 4000;
/// Accounts the postings spread over.
const RESIDENTS: usize = 200;
/// Reports verified before the replay.
const REPORTS: usize = 1000;

async fn count(pool: &PgPool, sql: &str) -> i64 {
    sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_owned()))
        .fetch_one(pool)
        .await
        .expect("count")
}

/// The statements of one posting, raw.
async fn raw_posting(pool: &PgPool, account: Uuid, key: String) {
    let mut txn = pool.begin().await.expect("begin");
    let balance: i64 =
        sqlx::query_scalar("SELECT balance FROM accounts WHERE account_id = $1 FOR UPDATE")
            .bind(account)
            .fetch_one(&mut *txn)
            .await
            .expect("lock");
    let existing: Option<Uuid> =
        sqlx::query_scalar("SELECT entry_id FROM ledger_entries WHERE key = $1")
            .bind(&key)
            .fetch_optional(&mut *txn)
            .await
            .expect("key");
    assert!(existing.is_none());
    sqlx::query(
        "INSERT INTO ledger_entries (entry_id, key, account_id, kind, amount, balance_after, at, resident_id,
                                     report_id, order_id, reason, operator)
         VALUES ($1, $2, $3, 'ADJUSTMENT', 1, $4, now(), $3, NULL, NULL, 'raw', 'bench')
         RETURNING entry_id",
    )
    .bind(Uuid::now_v7())
    .bind(&key)
    .bind(account)
    .bind(balance + 1)
    .execute(&mut *txn)
    .await
    .expect("insert");
    sqlx::query("UPDATE accounts SET balance = $2 WHERE account_id = $1")
        .bind(account)
        .bind(balance + 1)
        .execute(&mut *txn)
        .await
        .expect("update");
    sqlx::query("INSERT INTO outbox (event_id, subject, payload, headers) VALUES ($1, 'points.adjusted', $2, '{}')")
        .bind(Uuid::now_v7())
        .bind(vec![0u8; 160])
        .execute(&mut *txn)
        .await
        .expect("outbox");
    txn.commit().await.expect("commit");
}

#[tokio::main]
async fn main() {
    platform::telemetry::init_quiet("warn");
    let db = ScratchDatabase::create("points_bench").await;
    let test = TestPoints::spawn_with(
        db.pool.clone(),
        &[
            ("CAPS__DAILY", "100000".into()),
            ("CAPS__MONTHLY", "1000000".into()),
            ("DUPLICATES__RADIUS_M", "0".into()),
        ],
    )
    .await;
    let pool = test.pool.clone();
    let mut ws = test.workstation();
    let mut residents = Vec::new();
    for i in 0..RESIDENTS {
        residents.push(test.register("村民", &format!("138{i:08}")).await);
    }
    let accounts: Vec<Uuid> = residents.iter().map(|r| r.id.parse().unwrap()).collect();
    println!(
        "points ledger benchmark: {POSTINGS} postings over {RESIDENTS} accounts, {CONCURRENCY} in flight"
    );

    let town = test.client(&token_of("bench", Role::TownOperator, None));
    let ids: Vec<String> = residents.iter().map(|r| r.id.clone()).collect();
    let mut grpc = measure(CONCURRENCY, POSTINGS, move |i| {
        let (mut town, resident) = (town.clone(), ids[i % RESIDENTS].clone());
        async move {
            town.adjust_points(pb::AdjustPointsRequest {
                idempotency_key: format!("grpc-{i}"),
                resident_id: resident,
                amount: 1,
                reason: "bench".into(),
            })
            .await
            .expect("posted");
        }
    })
    .await;
    let (units, a) = (test.units(), accounts.clone());
    let mut in_process = measure(CONCURRENCY, POSTINGS, move |i| {
        let (units, account) = (units.clone(), a[i % RESIDENTS]);
        async move {
            let mut work = units.begin_job().await.expect("begin");
            post(
                &mut work,
                Posting {
                    key: format!("in-process-{i}"),
                    account: AccountId(account),
                    kind: EntryKind::Adjustment,
                    amount: 1,
                    at: chrono::Utc::now(),
                    resident: Some(ResidentId(account)),
                    report: None,
                    order: None,
                    reason: Some("bench".into()),
                    operator: "bench".into(),
                },
            )
            .await
            .expect("posted");
            work.commit(()).await.expect("commit");
        }
    })
    .await;
    let (p, a) = (pool.clone(), accounts.clone());
    let mut raw = measure(CONCURRENCY, POSTINGS, move |i| {
        let (pool, account) = (p.clone(), a[i % RESIDENTS]);
        async move { raw_posting(&pool, account, format!("raw-{i}")).await }
    })
    .await;
    println!("{}", grpc.line("AdjustPoints over gRPC"));
    println!(
        "{}",
        in_process.line("ledger::post in process (1 unit of work each)")
    );
    println!("{}", raw.line("same statements, raw PostgreSQL"));
    println!("ratio gRPC / raw:       {:.2}", grpc.rate() / raw.rate());
    platform::bench::durability(&pool, "AdjustPoints and its raw statements")
        .await
        .expect("commit settings");
    let ratio = grpc.rate() / raw.rate();
    platform::bench::row(
        "AdjustPoints over gRPC (16 in flight)",
        &platform::bench::per_second(grpc.rate()),
        &format!(
            "same statements raw {}",
            platform::bench::per_second(raw.rate())
        ),
        ratio,
        "≥ 0.70",
        Some(ratio >= 0.7),
    );
    println!(
        "ratio in process / raw: {:.2}",
        in_process.rate() / raw.rate()
    );
    let unbalanced = count(
        &pool,
        "SELECT count(*) FROM accounts a
         WHERE a.balance <> (SELECT COALESCE(SUM(amount), 0) FROM ledger_entries e WHERE e.account_id = a.account_id)",
    )
    .await;
    println!("accounts whose entries do not sum to the balance: {unbalanced}");

    // The replay.
    let mut submitted = Vec::new();
    for i in 0..REPORTS {
        let r = &residents[i % RESIDENTS];
        let lat = 30.0 + (i as f64) * 0.00005;
        submitted.push(
            ws.submit_report(report(r, "SANITATION", lat, 121.02))
                .await
                .expect("report")
                .into_inner()
                .report
                .expect("a report"),
        );
    }
    for r in &submitted {
        test.ticket_event(r, "received", dispatch::ReopenCause::Unspecified)
            .await;
        test.ticket_event(r, "verified", dispatch::ReopenCause::Unspecified)
            .await;
    }
    let events = (REPORTS * 2) as i64;
    let wait_inbox = |expected: i64| {
        let pool = pool.clone();
        async move {
            eventually(Duration::from_secs(600), "events applied", || {
                let pool = pool.clone();
                async move {
                    (count(&pool, "SELECT count(*) FROM inbox").await >= expected).then_some(())
                }
            })
            .await;
        }
    };
    wait_inbox(events).await;
    let entries = count(&pool, "SELECT count(*) FROM ledger_entries").await;
    let awards = count(
        &pool,
        "SELECT count(*) FROM ledger_entries WHERE kind = 'AWARD'",
    )
    .await;
    let awarded = count(
        &pool,
        "SELECT COALESCE(SUM(amount), 0)::bigint FROM ledger_entries WHERE kind = 'AWARD'",
    )
    .await;

    let bus = Bus::connect(&test.config.service.nats).await.expect("bus");
    let mut stream = bus
        .jetstream()
        .get_stream(bus.stream_name(&points::events::DISPATCH))
        .await
        .expect("the DISPATCH stream");
    let last = stream
        .info()
        .await
        .expect("stream info")
        .state
        .last_sequence;
    let started = std::time::Instant::now();
    for _ in 0..2 {
        for seq in 1..=last {
            let message = stream.get_raw_message(seq).await.expect("stored event");
            let subject = bus.strip_prefix(message.subject.as_str()).to_owned();
            publish(
                &bus,
                &subject,
                &Uuid::now_v7().to_string(),
                message.payload.to_vec(),
            )
            .await;
        }
    }
    wait_inbox(events * 3).await;
    let replayed = started.elapsed();
    let entries_after = count(&pool, "SELECT count(*) FROM ledger_entries").await;
    let awarded_after = count(
        &pool,
        "SELECT COALESCE(SUM(amount), 0)::bigint FROM ledger_entries WHERE kind = 'AWARD'",
    )
    .await;
    let duplicates = count(
        &pool,
        "SELECT COALESCE(SUM(n - 1), 0)::bigint FROM
             (SELECT count(*) AS n FROM ledger_entries WHERE kind = 'AWARD' GROUP BY report_id) per_report",
    )
    .await + (entries_after - entries);
    println!(
        "replay: {REPORTS} reports, {awards} awards ({awarded} points) from {events} events; the {last} events \
         of the stream replayed twice in {:.1} s",
        replayed.as_secs_f64()
    );
    println!(
        "ledger entries before {entries}, after {entries_after}; awarded points after {awarded_after}"
    );
    println!("duplicate entries after replaying the event stream twice: {duplicates}");
    test.cleanup().await;
    db.drop_database().await;
    assert_eq!(duplicates, 0, "the ledger paid twice");
    assert_eq!(unbalanced, 0, "a balance differs from its entries");
}
