//! What the history says of each ticket received in a period.

use chrono::{DateTime, TimeDelta, Utc};
use platform::error::UnknownStoredValue;
use sqlx::{FromRow, PgConnection};

use super::{parse_stored, stored_count};
use crate::domain::channel::Channel;
use crate::domain::deadline::{LimitKind, TimeLimit};
use crate::domain::stats::{Period, TicketFacts};

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

impl TryFrom<FactsRow> for TicketFacts {
    type Error = UnknownStoredValue;

    fn try_from(r: FactsRow) -> Result<Self, Self::Error> {
        // Counts of history rows: never negative, far below u32::MAX.
        let count = |n: i64| u32::try_from(n).unwrap_or(u32::MAX);
        Ok(TicketFacts {
            channel: parse_stored("tickets", "channel", &r.channel, Channel::parse)?,
            first_unit: r.first_unit,
            village: r.village_code,
            received_at: r.received_at,
            limit: TimeLimit::of(
                parse_stored("tickets", "limit_kind", &r.limit_kind, LimitKind::parse)?,
                stored_count("tickets", "limit_value", r.limit_value)?,
            ),
            extension_days: stored_count("tickets", "extension_days", r.extension_days)?,
            paused: TimeDelta::milliseconds(r.paused_total_ms),
            first_dispatch: r.first_dispatch,
            first_accept: r.first_accept,
            first_resolve: r.first_resolve,
            closed_at: r.closed_at,
            reopens: count(r.reopens),
            returns: count(r.returns),
            escalations: count(r.escalations),
            extensions: count(r.extensions),
            satisfaction: r
                .satisfaction
                .map(|s| stored_count("tickets", "satisfaction", s))
                .transpose()?,
        })
    }
}

/// Returns the facts of every ticket received in `period`.
///
/// # Errors
/// The database fails, or a row holds a value this version does not know.
pub async fn facts(
    conn: &mut PgConnection,
    period: Period,
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
    .bind(period.from)
    .bind(period.to)
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(TicketFacts::try_from)
        .collect::<Result<_, _>>()?)
}
