//! `residents` and `households`.

use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

/// A resident as stored (phone and name in clear: mask before returning).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ResidentRow {
    pub resident_id: Uuid,
    pub openid: Option<String>,
    pub code: Option<String>,
    pub name: String,
    pub phone: String,
    pub village_code: String,
    pub household_id: Option<Uuid>,
    pub active: bool,
    pub registered_at: DateTime<Utc>,
    pub operator: Option<String>,
}

impl ResidentRow {
    /// Returns the account the resident earns into and spends from: the
    /// household's when they belong to one.
    pub fn account_id(&self) -> Uuid {
        self.household_id.unwrap_or(self.resident_id)
    }
}

const COLUMNS: &str = "resident_id, openid, code, name, phone, village_code, household_id, active, registered_at, operator";

/// Inserts a resident (their own account must exist).
///
/// # Errors
/// The database fails (a taken openid or code is a unique violation).
pub async fn insert(conn: &mut PgConnection, r: &ResidentRow) -> Result<(), sqlx::Error> {
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "INSERT INTO residents ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
    )))
    .bind(r.resident_id)
    .bind(&r.openid)
    .bind(&r.code)
    .bind(&r.name)
    .bind(&r.phone)
    .bind(&r.village_code)
    .bind(r.household_id)
    .bind(r.active)
    .bind(r.registered_at)
    .bind(&r.operator)
    .execute(conn)
    .await?;
    Ok(())
}

/// How a resident is looked up.
#[derive(Debug, Clone, Copy)]
pub enum Lookup<'a> {
    Id(Uuid),
    OpenId(&'a str),
    Code(&'a str),
}

/// Returns a resident.
///
/// # Errors
/// The database fails.
pub async fn find(
    conn: &mut PgConnection,
    by: Lookup<'_>,
) -> Result<Option<ResidentRow>, sqlx::Error> {
    let (column, value) = match by {
        Lookup::Id(id) => ("resident_id::text", id.to_string()),
        Lookup::OpenId(openid) => ("openid", openid.to_owned()),
        Lookup::Code(code) => ("code", code.to_owned()),
    };
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM residents WHERE {column} = $1"
    )))
    .bind(value)
    .fetch_optional(conn)
    .await
}

/// Returns a resident, locked: awards to one resident are capped one at a
/// time.
///
/// # Errors
/// The database fails.
pub async fn lock(conn: &mut PgConnection, id: Uuid) -> Result<Option<ResidentRow>, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM residents WHERE resident_id = $1 FOR UPDATE"
    )))
    .bind(id)
    .fetch_optional(conn)
    .await
}

/// Deactivates a resident; their history stays.
///
/// # Errors
/// The database fails.
pub async fn deactivate(
    conn: &mut PgConnection,
    id: Uuid,
    reason: &str,
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE residents SET active = false, deactivated_at = $2, deactivation_reason = $3
         WHERE resident_id = $1",
    )
    .bind(id)
    .bind(at)
    .bind(reason)
    .execute(conn)
    .await?;
    Ok(())
}

/// Returns a household's village.
///
/// # Errors
/// The database fails.
pub async fn household_village(
    conn: &mut PgConnection,
    household: Uuid,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar("SELECT village_code FROM households WHERE household_id = $1")
        .bind(household)
        .fetch_optional(conn)
        .await
}

/// Inserts a household (its account must exist).
///
/// # Errors
/// The database fails (the same label twice in a village is a unique
/// violation).
pub async fn insert_household(
    conn: &mut PgConnection,
    id: Uuid,
    village: &str,
    label: &str,
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO households (household_id, village_code, label, created_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(id)
    .bind(village)
    .bind(label)
    .bind(at)
    .execute(conn)
    .await?;
    Ok(())
}
