//! Joint cases and their moves.

use chrono::{DateTime, Utc};
use platform::error::UnknownStoredValue;
use sqlx::PgConnection;
use sqlx::types::Json;
use uuid::Uuid;

use super::{decode, decode_all, decode_optional, node, unsigned};
use crate::domain::case::{CaseMove, CaseState, CaseSummary, JointCase, Mediation};
use crate::domain::envelope::ExchangeStatus;
use crate::domain::ids::SharedCaseId;

#[derive(sqlx::FromRow)]
struct CaseRow {
    shared_id: Uuid,
    origin_node: String,
    peer_node: String,
    origin_case_number: String,
    peer_case_number: String,
    state: String,
    status: String,
    summary: Json<CaseSummary>,
    mediation: Option<Json<Mediation>>,
    version: i32,
    origin_ticket_closed: bool,
    peer_ticket_closed: bool,
}

impl TryFrom<CaseRow> for JointCase {
    type Error = UnknownStoredValue;

    fn try_from(row: CaseRow) -> Result<Self, Self::Error> {
        Ok(JointCase {
            shared_id: SharedCaseId(row.shared_id),
            origin_node: node("joint_cases", "origin_node", &row.origin_node)?,
            peer_node: node("joint_cases", "peer_node", &row.peer_node)?,
            origin_case_number: row.origin_case_number,
            peer_case_number: row.peer_case_number,
            state: CaseState::parse(&row.state)
                .ok_or_else(|| UnknownStoredValue::new("joint_cases", "state", &row.state))?,
            status: ExchangeStatus::parse(&row.status)
                .ok_or_else(|| UnknownStoredValue::new("joint_cases", "status", &row.status))?,
            summary: row.summary.0,
            mediation: row.mediation.map(|m| m.0),
            version: unsigned(row.version),
            history: Vec::new(),
            origin_ticket_closed: row.origin_ticket_closed,
            peer_ticket_closed: row.peer_ticket_closed,
        })
    }
}

#[derive(sqlx::FromRow)]
struct MoveRow {
    version: i32,
    to_state: String,
    by_node: String,
    by_person: String,
    at: DateTime<Utc>,
    reason: String,
}

impl TryFrom<MoveRow> for CaseMove {
    type Error = UnknownStoredValue;

    fn try_from(row: MoveRow) -> Result<Self, Self::Error> {
        Ok(CaseMove {
            version: unsigned(row.version),
            to: CaseState::parse(&row.to_state)
                .ok_or_else(|| UnknownStoredValue::new("case_moves", "to_state", &row.to_state))?,
            by_node: node("case_moves", "by_node", &row.by_node)?,
            by_person: row.by_person,
            at: row.at,
            reason: row.reason,
        })
    }
}

const COLUMNS: &str = "shared_id, origin_node, peer_node, origin_case_number, peer_case_number, \
     state, status, summary, mediation, version, origin_ticket_closed, peer_ticket_closed";

/// Inserts a new case and its moves.
#[tracing::instrument(skip_all, fields(shared_id = %case.shared_id))]
pub async fn insert(
    conn: &mut PgConnection,
    case: &JointCase,
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO joint_cases (shared_id, origin_node, peer_node, origin_case_number, peer_case_number,
             state, status, summary, mediation, version, reported_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11)",
    )
    .bind(case.shared_id.0)
    .bind(case.origin_node.to_string())
    .bind(case.peer_node.to_string())
    .bind(&case.origin_case_number)
    .bind(&case.peer_case_number)
    .bind(case.state.as_str())
    .bind(case.status.as_str())
    .bind(Json(&case.summary))
    .bind(case.mediation.as_ref().map(Json))
    .bind(i32::try_from(case.version).unwrap_or(i32::MAX))
    .bind(at)
    .execute(&mut *conn)
    .await?;
    insert_moves(conn, case, 0).await
}

async fn insert_moves(
    conn: &mut PgConnection,
    case: &JointCase,
    after: u32,
) -> Result<(), sqlx::Error> {
    for step in case.history.iter().filter(|m| m.version > after) {
        sqlx::query(
            "INSERT INTO case_moves (shared_id, version, to_state, by_node, by_person, at, reason)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(case.shared_id.0)
        .bind(i32::try_from(step.version).unwrap_or(i32::MAX))
        .bind(step.to.as_str())
        .bind(step.by_node.to_string())
        .bind(&step.by_person)
        .bind(step.at)
        .bind(&step.reason)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Saves a case loaded at version `loaded`: its state, mediation, case
/// numbers, and the moves made since.
#[tracing::instrument(skip_all, fields(shared_id = %case.shared_id))]
pub async fn save(
    conn: &mut PgConnection,
    case: &JointCase,
    loaded: u32,
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE joint_cases SET state = $2, mediation = $3, version = $4, peer_case_number = $5,
             origin_case_number = $6, updated_at = $7, origin_ticket_closed = $8,
             peer_ticket_closed = $9
         WHERE shared_id = $1",
    )
    .bind(case.shared_id.0)
    .bind(case.state.as_str())
    .bind(case.mediation.as_ref().map(Json))
    .bind(i32::try_from(case.version).unwrap_or(i32::MAX))
    .bind(&case.peer_case_number)
    .bind(&case.origin_case_number)
    .bind(at)
    .bind(case.origin_ticket_closed)
    .bind(case.peer_ticket_closed)
    .execute(&mut *conn)
    .await?;
    insert_moves(conn, case, loaded).await
}

async fn with_history(
    conn: &mut PgConnection,
    case: Option<JointCase>,
) -> Result<Option<JointCase>, sqlx::Error> {
    let Some(mut case) = case else {
        return Ok(None);
    };
    let rows: Vec<MoveRow> = sqlx::query_as(
        "SELECT version, to_state, by_node, by_person, at, reason FROM case_moves
         WHERE shared_id = $1 ORDER BY version",
    )
    .bind(case.shared_id.0)
    .fetch_all(&mut *conn)
    .await?;
    case.history = decode_all(rows)?;
    Ok(Some(case))
}

/// Returns the case `id` with its history, locked for the caller's work.
pub async fn load_for_update(
    conn: &mut PgConnection,
    id: SharedCaseId,
) -> Result<Option<JointCase>, sqlx::Error> {
    let row: Option<CaseRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM joint_cases WHERE shared_id = $1 FOR UPDATE"
    )))
    .bind(id.0)
    .fetch_optional(&mut *conn)
    .await?;
    let case = decode_optional(row)?;
    with_history(conn, case).await
}

/// Returns the shared id of the case this node reported with its own case
/// number `number`, if any.
pub async fn reported_as(
    conn: &mut PgConnection,
    origin: &str,
    number: &str,
) -> Result<Option<SharedCaseId>, sqlx::Error> {
    let id: Option<Uuid> = sqlx::query_scalar(
        "SELECT shared_id FROM joint_cases WHERE origin_node = $1 AND origin_case_number = $2
         ORDER BY reported_at DESC LIMIT 1",
    )
    .bind(origin)
    .bind(number)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(id.map(SharedCaseId))
}

/// Returns the case `id` with its history.
pub async fn get(
    conn: &mut PgConnection,
    id: SharedCaseId,
) -> Result<Option<JointCase>, sqlx::Error> {
    let row: Option<CaseRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM joint_cases WHERE shared_id = $1"
    )))
    .bind(id.0)
    .fetch_optional(&mut *conn)
    .await?;
    let case = decode_optional(row)?;
    with_history(conn, case).await
}

/// Returns cases (without history), newest first: those shared with
/// `peer` when given, in `states` when any.
pub async fn list(
    conn: &mut PgConnection,
    peer: Option<&str>,
    states: &[CaseState],
    limit: u32,
) -> Result<Vec<JointCase>, sqlx::Error> {
    let states: Vec<&str> = states.iter().map(|s| s.as_str()).collect();
    let rows: Vec<CaseRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM joint_cases
         WHERE ($1::text IS NULL OR origin_node = $1 OR peer_node = $1)
           AND (cardinality($2::text[]) = 0 OR state = ANY($2))
         ORDER BY reported_at DESC, shared_id DESC LIMIT $3"
    )))
    .bind(peer)
    .bind(&states)
    .bind(i64::from(limit))
    .fetch_all(&mut *conn)
    .await?;
    rows.into_iter().map(decode).collect()
}

/// Returns the cases (without history) one of whose parties, in the
/// summary or the mediation, has `value` as its `field` (`id_number` or
/// `name`): what an information check looks at. At most `limit`, newest
/// first.
pub async fn involving(
    conn: &mut PgConnection,
    field: &'static str,
    value: &str,
    limit: u32,
) -> Result<Vec<JointCase>, sqlx::Error> {
    let rows: Vec<CaseRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM joint_cases
         WHERE summary->'parties' @> jsonb_build_array(jsonb_build_object($1::text, $2::text))
            OR mediation->'parties' @> jsonb_build_array(jsonb_build_object($1::text, $2::text))
         ORDER BY reported_at DESC, shared_id DESC LIMIT $3"
    )))
    .bind(field)
    .bind(value)
    .bind(i64::from(limit))
    .fetch_all(&mut *conn)
    .await?;
    rows.into_iter().map(decode).collect()
}
