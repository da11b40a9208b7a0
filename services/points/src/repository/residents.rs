//! `residents` and `households`.

use chrono::{DateTime, Utc};
use platform::error::AppError;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::domain::ids::{HouseholdId, ResidentId};
use crate::domain::resident::{Household, Resident, ResidentDeactivated};

/// A resident as stored.
#[derive(sqlx::FromRow)]
struct ResidentRow {
    resident_id: Uuid,
    openid: Option<String>,
    code: Option<String>,
    name: String,
    phone: String,
    village_code: String,
    household_id: Option<Uuid>,
    active: bool,
    registered_at: DateTime<Utc>,
    operator: Option<String>,
}

impl From<ResidentRow> for Resident {
    fn from(r: ResidentRow) -> Self {
        Resident {
            id: ResidentId(r.resident_id),
            openid: r.openid,
            code: r.code,
            name: r.name,
            phone: r.phone,
            village_code: r.village_code,
            household: r.household_id.map(HouseholdId),
            active: r.active,
            registered_at: r.registered_at,
            operator: r.operator,
        }
    }
}

const COLUMNS: &str = "resident_id, openid, code, name, phone, village_code, household_id, active, registered_at, operator";

/// Inserts a resident (their own account must exist).
///
/// # Errors
/// ABORTED when the same openid was registered at the same moment (the
/// caller retries and finds the resident); a taken code, or the database
/// failing, as a database error.
pub async fn insert(conn: &mut PgConnection, r: &Resident) -> Result<(), AppError> {
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "INSERT INTO residents ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
    )))
    .bind(r.id.0)
    .bind(&r.openid)
    .bind(&r.code)
    .bind(&r.name)
    .bind(&r.phone)
    .bind(&r.village_code)
    .bind(r.household.map(|h| h.0))
    .bind(r.active)
    .bind(r.registered_at)
    .bind(&r.operator)
    .execute(conn)
    .await
    .map_err(|err| {
        AppError::on_constraint(err, "residents_openid_key", || {
            AppError::Aborted(
                "a resident with this openid was registered at the same moment; try again".into(),
            )
        })
    })?;
    Ok(())
}

/// How a resident is looked up.
#[derive(Debug, Clone, Copy)]
pub enum Lookup<'a> {
    Id(ResidentId),
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
) -> Result<Option<Resident>, sqlx::Error> {
    // The parameter is cast, never the column, so each lookup takes its
    // column's index.
    let (condition, value) = match by {
        Lookup::Id(id) => ("resident_id = $1::uuid", id.to_string()),
        Lookup::OpenId(openid) => ("openid = $1", openid.to_owned()),
        Lookup::Code(code) => ("code = $1", code.to_owned()),
    };
    let row: Option<ResidentRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM residents WHERE {condition}"
    )))
    .bind(value)
    .fetch_optional(conn)
    .await?;
    Ok(row.map(Resident::from))
}

/// Locks a resident: awards to one resident are capped one at a time.
///
/// # Errors
/// The database fails.
pub async fn lock(conn: &mut PgConnection, id: ResidentId) -> Result<(), sqlx::Error> {
    sqlx::query("SELECT 1 FROM residents WHERE resident_id = $1 FOR UPDATE")
        .bind(id.0)
        .execute(conn)
        .await?;
    Ok(())
}

/// Records a deactivation; the resident's history stays.
///
/// # Errors
/// The database fails.
pub async fn save_deactivation(
    conn: &mut PgConnection,
    deactivated: &ResidentDeactivated,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE residents SET active = false, deactivated_at = $2, deactivation_reason = $3
         WHERE resident_id = $1",
    )
    .bind(deactivated.resident.0)
    .bind(deactivated.at)
    .bind(&deactivated.reason)
    .execute(conn)
    .await?;
    Ok(())
}

/// A household as stored.
#[derive(sqlx::FromRow)]
struct HouseholdRow {
    household_id: Uuid,
    village_code: String,
    label: String,
    created_at: DateTime<Utc>,
}

impl From<HouseholdRow> for Household {
    fn from(h: HouseholdRow) -> Self {
        Household {
            id: HouseholdId(h.household_id),
            village_code: h.village_code,
            label: h.label,
            created_at: h.created_at,
        }
    }
}

/// Returns a household.
///
/// # Errors
/// The database fails.
pub async fn household(
    conn: &mut PgConnection,
    id: HouseholdId,
) -> Result<Option<Household>, sqlx::Error> {
    let row: Option<HouseholdRow> = sqlx::query_as(
        "SELECT household_id, village_code, label, created_at FROM households WHERE household_id = $1",
    )
    .bind(id.0)
    .fetch_optional(conn)
    .await?;
    Ok(row.map(Household::from))
}

/// Inserts a household (its account must exist).
///
/// # Errors
/// ALREADY_EXISTS when the village has a household with this label; the
/// database failing.
pub async fn insert_household(conn: &mut PgConnection, h: &Household) -> Result<(), AppError> {
    sqlx::query(
        "INSERT INTO households (household_id, village_code, label, created_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(h.id.0)
    .bind(&h.village_code)
    .bind(&h.label)
    .bind(h.created_at)
    .execute(conn)
    .await
    .map_err(|err| {
        AppError::on_constraint(err, "households_village_code_label_key", || {
            AppError::AlreadyExists("a household of this village with this label".into())
        })
    })?;
    Ok(())
}
