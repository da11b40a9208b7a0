//! What the history says of each ticket received in a period.

use chrono::{DateTime, TimeDelta, Utc};
use platform::error::UnknownStoredValue;
use sqlx::{FromRow, PgConnection};
use uuid::Uuid;

use super::{legs, parse_stored, stored_count};
use crate::domain::channel::Channel;
use crate::domain::grid::LatLng;
use crate::domain::ids::TicketId;
use crate::domain::stats::{Period, TicketFacts};

const TRANSITIONS: &str = "ticket_transitions";

#[derive(FromRow)]
struct FactsRow {
    ticket_id: Uuid,
    number: String,
    channel: String,
    category_code: String,
    lat: Option<f64>,
    lng: Option<f64>,
    micro_grid_code: Option<String>,
    village_code: Option<String>,
    received_at: DateTime<Utc>,
    merged: bool,
    signing_minutes: Option<i32>,
    ratings: Vec<i32>,
    confirmed_solved: bool,
    rejected: bool,
    first_dispatch: Option<DateTime<Utc>>,
    first_accept: Option<DateTime<Utc>>,
    first_resolve: Option<DateTime<Utc>>,
    closed_at: Option<DateTime<Utc>>,
    reopens: i64,
    escalations: i64,
    extensions: i64,
}

impl TryFrom<FactsRow> for TicketFacts {
    type Error = UnknownStoredValue;

    fn try_from(r: FactsRow) -> Result<Self, Self::Error> {
        // Counts of history rows: never negative, far below u32::MAX.
        let count = |n: i64| u32::try_from(n).unwrap_or(u32::MAX);
        Ok(TicketFacts {
            number: r.number,
            channel: parse_stored("tickets", "channel", &r.channel, Channel::parse)?,
            category: r.category_code,
            location: r.lat.zip(r.lng).map(|(lat, lng)| LatLng { lat, lng }),
            micro_grid: r.micro_grid_code,
            village: r.village_code,
            received_at: r.received_at,
            first_dispatch: r.first_dispatch,
            first_accept: r.first_accept,
            first_resolve: r.first_resolve,
            closed_at: r.closed_at,
            reopens: count(r.reopens),
            escalations: count(r.escalations),
            extensions: count(r.extensions),
            ratings: r
                .ratings
                .into_iter()
                .map(|s| stored_count(TRANSITIONS, "satisfaction", s))
                .collect::<Result<_, _>>()?,
            confirmed_solved: r.confirmed_solved,
            rejected: r.rejected,
            merged: r.merged,
            signing_limit: r.signing_minutes.map(|m| TimeDelta::minutes(m.into())),
            legs: Vec::new(),
        })
    }
}

/// Returns the facts of every ticket received in `period`, each with its
/// legs, its channel's signing limit (`channel_signing_limits`) and every
/// follow-up's rating. The last word on its result is the latest of its
/// verifications (true: an untrue result is recorded as a reopening), its
/// reopenings and its follow-ups that say whether it is solved.
///
/// # Errors
/// The database fails, or a row holds a value this version does not know.
pub async fn facts(
    conn: &mut PgConnection,
    period: Period,
) -> Result<Vec<TicketFacts>, sqlx::Error> {
    let rows: Vec<FactsRow> = sqlx::query_as(
        "SELECT t.ticket_id, t.number, t.channel, t.category_code, t.lat, t.lng, t.micro_grid_code,
                t.village_code, t.received_at, t.duplicate_of IS NOT NULL AS merged,
                limits.minutes AS signing_minutes,
                min(tr.at) FILTER (WHERE tr.action = 'dispatch') AS first_dispatch,
                min(tr.at) FILTER (WHERE tr.action = 'accept') AS first_accept,
                min(tr.at) FILTER (WHERE tr.action = 'resolve') AS first_resolve,
                max(tr.at) FILTER (WHERE tr.action = 'close') AS closed_at,
                count(*) FILTER (WHERE tr.action = 'reopen') AS reopens,
                count(*) FILTER (WHERE tr.action = 'escalate') AS escalations,
                coalesce(bool_or(tr.action = 'reject'), false) AS rejected,
                coalesce(array_agg(tr.satisfaction ORDER BY tr.transition_id)
                    FILTER (WHERE tr.action = 'follow_up' AND tr.satisfaction IS NOT NULL), '{}') AS ratings,
                coalesce((array_agg(CASE tr.action WHEN 'verify' THEN true WHEN 'reopen' THEN false
                                    ELSE tr.solved END ORDER BY tr.transition_id DESC)
                    FILTER (WHERE tr.action IN ('verify', 'reopen')
                               OR (tr.action = 'follow_up' AND tr.solved IS NOT NULL)))[1], false)
                    AS confirmed_solved,
                (SELECT count(*) FROM extensions e WHERE e.ticket_id = t.ticket_id) AS extensions
         FROM tickets t
         LEFT JOIN channel_signing_limits limits ON limits.channel = t.channel
         LEFT JOIN ticket_transitions tr ON tr.ticket_id = t.ticket_id
         WHERE t.received_at >= $1 AND t.received_at < $2
         GROUP BY t.ticket_id, limits.minutes",
    )
    .bind(period.from)
    .bind(period.to)
    .fetch_all(&mut *conn)
    .await?;
    let ids: Vec<TicketId> = rows.iter().map(|r| TicketId(r.ticket_id)).collect();
    let mut legs = legs::of_tickets(conn, &ids).await?;
    rows.into_iter()
        .map(|row| -> Result<TicketFacts, sqlx::Error> {
            let id = TicketId(row.ticket_id);
            let mut facts = TicketFacts::try_from(row)?;
            facts.legs = legs.remove(&id).unwrap_or_default();
            Ok(facts)
        })
        .collect()
}
