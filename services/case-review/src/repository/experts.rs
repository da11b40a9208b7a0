//! `experts` and `interest_declarations`.

use chrono::{DateTime, Utc};
use platform::error::AppError;
use platform::error::UnknownStoredValue;
use sqlx::PgConnection;
use uuid::Uuid;

use super::{decode, decode_all, parse_stored, stored_bytes};
use crate::domain::expert::{Declaration, Expert, ExpertKind};
use crate::domain::ids::{DeclarationId, ExpertId};

const EXPERT_COLUMNS: &str = "expert_id, name, kind, fields, credentials, organisation, reports_to, public_key, active, registered_at";

#[derive(sqlx::FromRow)]
struct ExpertRow {
    expert_id: Uuid,
    name: String,
    kind: String,
    fields: Vec<String>,
    credentials: String,
    organisation: String,
    reports_to: Option<String>,
    public_key: Vec<u8>,
    active: bool,
    registered_at: DateTime<Utc>,
}

impl TryFrom<ExpertRow> for Expert {
    type Error = UnknownStoredValue;

    fn try_from(r: ExpertRow) -> Result<Self, Self::Error> {
        Ok(Expert {
            id: ExpertId(r.expert_id),
            name: r.name,
            kind: parse_stored("experts", "kind", &r.kind, ExpertKind::parse)?,
            fields: r.fields,
            credentials: r.credentials,
            organisation: r.organisation,
            reports_to: r.reports_to,
            public_key: stored_bytes("experts", "public_key", &r.public_key)?,
            active: r.active,
            registered_at: r.registered_at,
        })
    }
}

#[derive(sqlx::FromRow)]
struct DeclarationRow {
    declaration_id: Uuid,
    expert_id: Uuid,
    party: String,
    note: String,
    declared_at: DateTime<Utc>,
    expires_at: DateTime<Utc>,
}

impl From<DeclarationRow> for Declaration {
    fn from(r: DeclarationRow) -> Self {
        Declaration {
            id: DeclarationId(r.declaration_id),
            expert: ExpertId(r.expert_id),
            party: r.party,
            note: r.note,
            declared_at: r.declared_at,
            expires_at: r.expires_at,
        }
    }
}

/// Stores a newly registered expert.
///
/// # Errors
/// ALREADY_EXISTS for credentials of the same kind registered before; the
/// database failing.
pub async fn insert(conn: &mut PgConnection, expert: &Expert) -> Result<(), AppError> {
    sqlx::query(
        "INSERT INTO experts (expert_id, name, kind, fields, credentials, organisation, reports_to, public_key, active, registered_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(expert.id.0)
    .bind(&expert.name)
    .bind(expert.kind.as_str())
    .bind(&expert.fields)
    .bind(&expert.credentials)
    .bind(&expert.organisation)
    .bind(&expert.reports_to)
    .bind(expert.public_key.as_slice())
    .bind(expert.active)
    .bind(expert.registered_at)
    .execute(conn)
    .await
    .map_err(|err| {
        AppError::on_constraint(err, "experts_credentials_key", || {
            AppError::AlreadyExists(format!("an expert with the credentials {}", expert.credentials))
        })
    })?;
    Ok(())
}

/// Returns the expert `id`.
///
/// # Errors
/// The database fails, or a stored value is unknown.
pub async fn find(conn: &mut PgConnection, id: ExpertId) -> Result<Option<Expert>, sqlx::Error> {
    let row: Option<ExpertRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {EXPERT_COLUMNS} FROM experts WHERE expert_id = $1"
    )))
    .bind(id.0)
    .fetch_optional(conn)
    .await?;
    row.map(decode).transpose()
}

/// Returns the experts `ids` that exist, in no particular order.
///
/// # Errors
/// The database fails, or a stored value is unknown.
pub async fn many(conn: &mut PgConnection, ids: &[ExpertId]) -> Result<Vec<Expert>, sqlx::Error> {
    let ids: Vec<Uuid> = ids.iter().map(|id| id.0).collect();
    let rows: Vec<ExpertRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {EXPERT_COLUMNS} FROM experts WHERE expert_id = ANY($1)"
    )))
    .bind(&ids)
    .fetch_all(conn)
    .await?;
    decode_all(rows)
}

/// Returns every expert (of `field`, when given), by name.
///
/// # Errors
/// The database fails, or a stored value is unknown.
pub async fn list(
    conn: &mut PgConnection,
    field: Option<&str>,
) -> Result<Vec<Expert>, sqlx::Error> {
    let rows: Vec<ExpertRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {EXPERT_COLUMNS} FROM experts WHERE $1::text IS NULL OR $1 = ANY(fields) ORDER BY name, expert_id"
    )))
    .bind(field)
    .fetch_all(conn)
    .await?;
    decode_all(rows)
}

/// Stores a declaration of interest.
///
/// # Errors
/// The database fails.
pub async fn insert_declaration(
    conn: &mut PgConnection,
    d: &Declaration,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO interest_declarations (declaration_id, expert_id, party, note, declared_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(d.id.0)
    .bind(d.expert.0)
    .bind(&d.party)
    .bind(&d.note)
    .bind(d.declared_at)
    .bind(d.expires_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// Returns the declarations of `experts`, oldest first.
///
/// # Errors
/// The database fails.
pub async fn declarations(
    conn: &mut PgConnection,
    experts: &[ExpertId],
) -> Result<Vec<Declaration>, sqlx::Error> {
    let ids: Vec<Uuid> = experts.iter().map(|id| id.0).collect();
    let rows: Vec<DeclarationRow> = sqlx::query_as(
        "SELECT declaration_id, expert_id, party, note, declared_at, expires_at
         FROM interest_declarations WHERE expert_id = ANY($1) ORDER BY declared_at, declaration_id",
    )
    .bind(&ids)
    .fetch_all(conn)
    .await?;
    Ok(rows.into_iter().map(Declaration::from).collect())
}

/// Returns the ids of declarations whose reminder is due at `at` (they
/// expire before `until`, and were not reminded), at most `limit`.
///
/// # Errors
/// The database fails.
pub async fn reminders_due(
    conn: &mut PgConnection,
    at: DateTime<Utc>,
    until: DateTime<Utc>,
    limit: i64,
) -> Result<Vec<DeclarationId>, sqlx::Error> {
    let ids: Vec<Uuid> = sqlx::query_scalar(
        "SELECT declaration_id FROM interest_declarations
         WHERE reminded_at IS NULL AND expires_at > $1 AND expires_at <= $2
         ORDER BY expires_at LIMIT $3",
    )
    .bind(at)
    .bind(until)
    .bind(limit)
    .fetch_all(conn)
    .await?;
    Ok(ids.into_iter().map(DeclarationId).collect())
}

/// Claims the unreminded declaration `id` (another replica may have taken
/// it: then `None`).
///
/// # Errors
/// The database fails.
pub async fn claim_reminder(
    conn: &mut PgConnection,
    id: DeclarationId,
) -> Result<Option<Declaration>, sqlx::Error> {
    let row: Option<DeclarationRow> = sqlx::query_as(
        "SELECT declaration_id, expert_id, party, note, declared_at, expires_at
         FROM interest_declarations WHERE declaration_id = $1 AND reminded_at IS NULL
         FOR UPDATE SKIP LOCKED",
    )
    .bind(id.0)
    .fetch_optional(conn)
    .await?;
    Ok(row.map(Declaration::from))
}

/// Records that the declaration `id` was reminded at `at`.
///
/// # Errors
/// The database fails.
pub async fn mark_reminded(
    conn: &mut PgConnection,
    id: DeclarationId,
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE interest_declarations SET reminded_at = $2 WHERE declaration_id = $1")
        .bind(id.0)
        .bind(at)
        .execute(conn)
        .await?;
    Ok(())
}
