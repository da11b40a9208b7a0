//! What the history says of each ticket received in a period.

use chrono::{DateTime, TimeDelta, Utc};
use sqlx::{FromRow, PgConnection};

use crate::domain::deadline::TimeLimit;
use crate::domain::stats::TicketFacts;

#[derive(FromRow)]
struct FactsRow {
    channel: String,
    first_unit: Option<String>,
    village_code: Option<String>,
    received_at: DateTime<Utc>,
    limit_kind: String,
    limit_value: i32,
    extension_days: i32,
    paused_total_ms: i64,
    satisfaction: Option<i32>,
    first_dispatch: Option<DateTime<Utc>>,
    first_accept: Option<DateTime<Utc>>,
    first_resolve: Option<DateTime<Utc>>,
    closed_at: Option<DateTime<Utc>>,
    reopens: i64,
    returns: i64,
    escalations: i64,
    extensions: i64,
}

/// Returns the facts of every ticket received in `[from, to)`.
///
/// # Errors
/// The database fails.
pub async fn facts(
    conn: &mut PgConnection,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<TicketFacts>, sqlx::Error> {
    let rows: Vec<FactsRow> = sqlx::query_as(
        "SELECT t.channel, t.village_code, t.received_at, t.limit_kind, t.limit_value, t.extension_days,
                t.paused_total_ms, t.satisfaction,
                (SELECT x.unit_code FROM ticket_transitions x
                  WHERE x.ticket_id = t.ticket_id AND x.action = 'dispatch' ORDER BY x.transition_id LIMIT 1) AS first_unit,
                min(tr.at) FILTER (WHERE tr.action = 'dispatch') AS first_dispatch,
                min(tr.at) FILTER (WHERE tr.action = 'accept') AS first_accept,
                min(tr.at) FILTER (WHERE tr.action = 'resolve') AS first_resolve,
                max(tr.at) FILTER (WHERE tr.action = 'close') AS closed_at,
                count(*) FILTER (WHERE tr.action = 'reopen') AS reopens,
                count(*) FILTER (WHERE tr.action = 'return') AS returns,
                count(*) FILTER (WHERE tr.action = 'escalate') AS escalations,
                (SELECT count(*) FROM extensions e WHERE e.ticket_id = t.ticket_id) AS extensions
         FROM tickets t LEFT JOIN ticket_transitions tr ON tr.ticket_id = t.ticket_id
         WHERE t.received_at >= $1 AND t.received_at < $2
         GROUP BY t.ticket_id",
    )
    .bind(from)
    .bind(to)
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let value = u32::try_from(r.limit_value).unwrap_or_default();
            TicketFacts {
                channel: r.channel,
                first_unit: r.first_unit,
                village: r.village_code,
                received_at: r.received_at,
                limit: if r.limit_kind == "HOURS" {
                    TimeLimit::Hours(value)
                } else {
                    TimeLimit::WorkingDays(value)
                },
                extension_days: u32::try_from(r.extension_days).unwrap_or_default(),
                paused: TimeDelta::milliseconds(r.paused_total_ms),
                first_dispatch: r.first_dispatch,
                first_accept: r.first_accept,
                first_resolve: r.first_resolve,
                closed_at: r.closed_at,
                reopens: r.reopens as u32,
                returns: r.returns as u32,
                escalations: r.escalations as u32,
                extensions: r.extensions as u32,
                satisfaction: r.satisfaction.and_then(|s| u32::try_from(s).ok()),
            }
        })
        .collect())
}
