//! The `ticket_legs` table: every stretch of a ticket, or of a co-handler's
//! task, in one unit's hands. Loaded with the ticket, written whole with it
//! (an ended leg never changes again).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use platform::error::UnknownStoredValue;
use sqlx::{FromRow, PgConnection};
use uuid::Uuid;

use super::{parse_stored, stored_count, stored_unit, to_stored};
use crate::domain::ids::{TaskId, TicketId};
use crate::domain::leg::{Leg, LegOutcome, LegStart};
use crate::domain::state::ReturnReason;
use crate::domain::ticket::Ticket;

const LEGS: &str = "ticket_legs";

#[derive(FromRow)]
struct LegRow {
    ticket_id: Uuid,
    seq: i32,
    task_id: Option<Uuid>,
    unit_kind: String,
    unit_code: String,
    unit_name: String,
    start: String,
    given_at: DateTime<Utc>,
    due_at: DateTime<Utc>,
    signed_at: Option<DateTime<Utc>>,
    ended_at: Option<DateTime<Utc>>,
    outcome: Option<String>,
    return_reason: Option<String>,
}

impl TryFrom<LegRow> for Leg {
    type Error = UnknownStoredValue;

    fn try_from(row: LegRow) -> Result<Self, Self::Error> {
        Ok(Leg {
            seq: stored_count(LEGS, "seq", row.seq)?,
            task: row.task_id.map(TaskId),
            unit: stored_unit(
                LEGS,
                "unit_kind",
                &row.unit_kind,
                row.unit_code,
                row.unit_name,
            )?,
            start: parse_stored(LEGS, "start", &row.start, LegStart::parse)?,
            given_at: row.given_at,
            due_at: row.due_at,
            signed_at: row.signed_at,
            ended_at: row.ended_at,
            outcome: row
                .outcome
                .as_deref()
                .map(|o| parse_stored(LEGS, "outcome", o, LegOutcome::parse))
                .transpose()?,
            return_reason: row
                .return_reason
                .as_deref()
                .map(|r| parse_stored(LEGS, "return_reason", r, ReturnReason::parse))
                .transpose()?,
        })
    }
}

/// Returns the legs of `tickets`, each ticket's in order.
///
/// # Errors
/// The database fails, or a row holds a value this version does not know.
pub async fn of_tickets(
    conn: &mut PgConnection,
    tickets: &[TicketId],
) -> Result<HashMap<TicketId, Vec<Leg>>, sqlx::Error> {
    let ids: Vec<Uuid> = tickets.iter().map(|t| t.0).collect();
    let rows: Vec<LegRow> = sqlx::query_as(
        "SELECT ticket_id, seq, task_id, unit_kind, unit_code, unit_name, start, given_at, due_at, signed_at,
                ended_at, outcome, return_reason
         FROM ticket_legs WHERE ticket_id = ANY($1) ORDER BY ticket_id, seq",
    )
    .bind(&ids)
    .fetch_all(conn)
    .await?;
    let mut found: HashMap<TicketId, Vec<Leg>> = HashMap::new();
    for row in rows {
        let ticket = TicketId(row.ticket_id);
        found.entry(ticket).or_default().push(Leg::try_from(row)?);
    }
    Ok(found)
}

/// Writes every leg of `ticket` in one statement: new legs are inserted,
/// the open ones brought up to date.
///
/// # Errors
/// The database fails.
pub async fn save(conn: &mut PgConnection, ticket: &Ticket) -> Result<(), sqlx::Error> {
    let legs = &ticket.legs;
    if legs.is_empty() {
        return Ok(());
    }
    let seqs: Vec<i32> = legs.iter().map(|l| to_stored(l.seq)).collect();
    let tasks: Vec<Option<Uuid>> = legs.iter().map(|l| l.task.map(|t| t.0)).collect();
    let kinds: Vec<&str> = legs.iter().map(|l| l.unit.kind.as_str()).collect();
    let codes: Vec<&str> = legs.iter().map(|l| l.unit.code.as_str()).collect();
    let names: Vec<&str> = legs.iter().map(|l| l.unit.name.as_str()).collect();
    let starts: Vec<&str> = legs.iter().map(|l| l.start.as_str()).collect();
    let given: Vec<DateTime<Utc>> = legs.iter().map(|l| l.given_at).collect();
    let due: Vec<DateTime<Utc>> = legs.iter().map(|l| l.due_at).collect();
    let signed: Vec<Option<DateTime<Utc>>> = legs.iter().map(|l| l.signed_at).collect();
    let ended: Vec<Option<DateTime<Utc>>> = legs.iter().map(|l| l.ended_at).collect();
    let outcomes: Vec<Option<&str>> = legs.iter().map(|l| l.outcome.map(|o| o.as_str())).collect();
    let reasons: Vec<Option<&str>> = legs
        .iter()
        .map(|l| l.return_reason.map(ReturnReason::as_str))
        .collect();
    sqlx::query(
        "INSERT INTO ticket_legs (ticket_id, seq, task_id, unit_kind, unit_code, unit_name, start, given_at, due_at,
                                  signed_at, ended_at, outcome, return_reason)
         SELECT $1::uuid, * FROM UNNEST($2::int[], $3::uuid[], $4::text[], $5::text[], $6::text[], $7::text[],
                                  $8::timestamptz[], $9::timestamptz[], $10::timestamptz[], $11::timestamptz[],
                                  $12::text[], $13::text[])
         ON CONFLICT (ticket_id, seq) DO UPDATE SET due_at = EXCLUDED.due_at, signed_at = EXCLUDED.signed_at,
             ended_at = EXCLUDED.ended_at, outcome = EXCLUDED.outcome, return_reason = EXCLUDED.return_reason
         WHERE ticket_legs.outcome IS NULL",
    )
    .bind(ticket.id.0)
    .bind(&seqs)
    .bind(&tasks)
    .bind(&kinds)
    .bind(&codes)
    .bind(&names)
    .bind(&starts)
    .bind(&given)
    .bind(&due)
    .bind(&signed)
    .bind(&ended)
    .bind(&outcomes)
    .bind(&reasons)
    .execute(conn)
    .await?;
    Ok(())
}
