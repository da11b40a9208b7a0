//! Joint information checks asked from here.

use chrono::{DateTime, Utc};
use platform::error::UnknownStoredValue;
use sqlx::PgConnection;
use sqlx::types::Json;
use uuid::Uuid;

use super::{decode_all, decode_optional, node};
use crate::domain::check::{Check, CheckState, Finding, SubjectKind};
use crate::domain::ids::CheckId;

#[derive(sqlx::FromRow)]
struct CheckRow {
    check_id: Uuid,
    peer_node: String,
    subject_kind: String,
    subject_masked: String,
    purpose: String,
    approved_by: String,
    requested_by: String,
    state: String,
    reason: String,
    findings: Json<Vec<Finding>>,
    requested_at: DateTime<Utc>,
    answered_at: Option<DateTime<Utc>>,
}

impl TryFrom<CheckRow> for Check {
    type Error = UnknownStoredValue;

    fn try_from(row: CheckRow) -> Result<Self, Self::Error> {
        Ok(Check {
            check_id: CheckId(row.check_id),
            peer: node("checks", "peer_node", &row.peer_node)?,
            kind: SubjectKind::parse(&row.subject_kind).ok_or_else(|| {
                UnknownStoredValue::new("checks", "subject_kind", &row.subject_kind)
            })?,
            subject_masked: row.subject_masked,
            purpose: row.purpose,
            approved_by: row.approved_by,
            requested_by: row.requested_by,
            state: CheckState::parse(&row.state)
                .ok_or_else(|| UnknownStoredValue::new("checks", "state", &row.state))?,
            reason: row.reason,
            findings: row.findings.0,
            requested_at: row.requested_at,
            answered_at: row.answered_at,
        })
    }
}

const COLUMNS: &str = "check_id, peer_node, subject_kind, subject_masked, purpose, approved_by, \
     requested_by, state, reason, findings, requested_at, answered_at";

/// Inserts a new check.
#[tracing::instrument(skip_all, fields(check_id = %check.check_id))]
pub async fn insert(conn: &mut PgConnection, check: &Check) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO checks (check_id, peer_node, subject_kind, subject_masked, purpose,
             approved_by, requested_by, state, reason, findings, requested_at, answered_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
    )
    .bind(check.check_id.0)
    .bind(check.peer.to_string())
    .bind(check.kind.as_str())
    .bind(&check.subject_masked)
    .bind(&check.purpose)
    .bind(&check.approved_by)
    .bind(&check.requested_by)
    .bind(check.state.as_str())
    .bind(&check.reason)
    .bind(Json(&check.findings))
    .bind(check.requested_at)
    .bind(check.answered_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// Saves a check's answer.
#[tracing::instrument(skip_all, fields(check_id = %check.check_id))]
pub async fn save_answer(conn: &mut PgConnection, check: &Check) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE checks SET state = $2, reason = $3, findings = $4, answered_at = $5
         WHERE check_id = $1",
    )
    .bind(check.check_id.0)
    .bind(check.state.as_str())
    .bind(&check.reason)
    .bind(Json(&check.findings))
    .bind(check.answered_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// Returns the check `id`, locked for the caller's work when `lock`.
pub async fn get(
    conn: &mut PgConnection,
    id: CheckId,
    lock: bool,
) -> Result<Option<Check>, sqlx::Error> {
    let lock = if lock { " FOR UPDATE" } else { "" };
    let row: Option<CheckRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM checks WHERE check_id = $1{lock}"
    )))
    .bind(id.0)
    .fetch_optional(conn)
    .await?;
    decode_optional(row)
}

/// Returns checks, newest first.
pub async fn list(conn: &mut PgConnection, limit: u32) -> Result<Vec<Check>, sqlx::Error> {
    let rows: Vec<CheckRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM checks ORDER BY requested_at DESC, check_id DESC LIMIT $1"
    )))
    .bind(i64::from(limit))
    .fetch_all(conn)
    .await?;
    decode_all(rows)
}
