//! The restricted store of special-care people and its audit trail.

use chrono::{DateTime, Utc};
use platform::auth::Role;
use platform::error::{AppError, UnknownStoredValue, constraint};
use sqlx::{FromRow, PgConnection};
use uuid::Uuid;

use super::{decode, uuids};
use crate::domain::care::{CareAccess, CarePerson};
use crate::domain::ids::{AccessId, CarePersonId, GridId};
use crate::domain::kinds::{CareAction, CareCategory};

/// A stored special-care person, with their micro-grid's code.
#[derive(Debug, FromRow)]
struct CarePersonRow {
    care_person_id: Uuid,
    code: String,
    micro_grid_id: Uuid,
    micro_grid_code: String,
    category: String,
    name: String,
    id_number: String,
    phone: Option<String>,
}

impl TryFrom<CarePersonRow> for CarePerson {
    type Error = AppError;

    fn try_from(row: CarePersonRow) -> Result<Self, AppError> {
        let category = CareCategory::parse(&row.category)
            .ok_or_else(|| UnknownStoredValue::new("care_people", "category", &row.category))?;
        Ok(CarePerson {
            id: CarePersonId(row.care_person_id),
            code: row.code,
            micro_grid_id: GridId(row.micro_grid_id),
            micro_grid_code: row.micro_grid_code,
            category,
            name: row.name,
            id_number: row.id_number,
            phone: row.phone,
        })
    }
}

/// Inserts a special-care person, registered at `at`.
///
/// # Errors
/// ALREADY_EXISTS when the code (`care_people_code_key`) or the ID number
/// (`care_people_id_number_key`) is registered, or the database fails.
pub async fn insert(
    conn: &mut PgConnection,
    person: &CarePerson,
    at: DateTime<Utc>,
) -> Result<(), AppError> {
    sqlx::query(
        "INSERT INTO care_people (care_person_id, code, micro_grid_id, category, name, id_number, phone, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(person.id.0)
    .bind(&person.code)
    .bind(person.micro_grid_id.0)
    .bind(person.category.as_str())
    .bind(&person.name)
    .bind(&person.id_number)
    .bind(&person.phone)
    .bind(at)
    .execute(conn)
    .await
    .map_err(|err| match constraint(&err) {
        Some("care_people_id_number_key") => {
            AppError::AlreadyExists("a special-care person with this ID number".into())
        }
        _ => AppError::on_constraint(err, "care_people_code_key", || {
            AppError::AlreadyExists("a special-care person with this code".into())
        }),
    })?;
    Ok(())
}

/// Returns a page of people in `grid_ids` (all for `None`), of `category`
/// (any for `None`), after `after_code`.
///
/// # Errors
/// The database fails or a row holds a value this version does not know.
pub async fn page(
    conn: &mut PgConnection,
    grid_ids: Option<&[GridId]>,
    category: Option<CareCategory>,
    after_code: &str,
    limit: i64,
) -> Result<Vec<CarePerson>, AppError> {
    let rows: Vec<CarePersonRow> = sqlx::query_as(
        "SELECT c.care_person_id, c.code, c.micro_grid_id, g.code AS micro_grid_code, c.category, c.name,
                c.id_number, c.phone
         FROM care_people c JOIN grids g ON g.grid_id = c.micro_grid_id
         WHERE ($1::uuid[] IS NULL OR c.micro_grid_id = ANY($1)) AND ($2::text IS NULL OR c.category = $2)
           AND c.code > $3
         ORDER BY c.code LIMIT $4",
    )
    .bind(grid_ids.map(uuids))
    .bind(category.map(CareCategory::as_str))
    .bind(after_code)
    .bind(limit)
    .fetch_all(conn)
    .await?;
    decode(rows)
}

/// One audited read.
#[derive(Debug, FromRow)]
struct AccessRow {
    access_id: Uuid,
    action: String,
    person_code: Option<String>,
    id_number_masked: Option<String>,
    subject: String,
    role: String,
    grid_code: String,
    purpose: String,
    records: i32,
    granted: bool,
    at: DateTime<Utc>,
}

impl TryFrom<AccessRow> for CareAccess {
    type Error = AppError;

    fn try_from(row: AccessRow) -> Result<Self, AppError> {
        if row.role.parse::<Role>().is_err() {
            return Err(UnknownStoredValue::new("care_access_log", "role", row.role).into());
        }
        let records = u32::try_from(row.records).map_err(|_| {
            UnknownStoredValue::new("care_access_log", "records", row.records.to_string())
        })?;
        let action = CareAction::parse(&row.action)
            .ok_or_else(|| UnknownStoredValue::new("care_access_log", "action", &row.action))?;
        Ok(CareAccess {
            id: AccessId(row.access_id),
            action,
            person_code: row.person_code,
            id_number_masked: row.id_number_masked,
            subject: row.subject,
            role: row.role,
            grid_code: row.grid_code,
            purpose: row.purpose,
            records,
            granted: row.granted,
            at: row.at,
        })
    }
}

/// Records a read or a registration (or a refused attempt). The table is
/// append-only: nothing else is ever done to its rows.
///
/// # Errors
/// The database fails.
pub async fn log_access(conn: &mut PgConnection, access: &CareAccess) -> Result<(), AppError> {
    sqlx::query(
        "INSERT INTO care_access_log (access_id, action, person_code, id_number_masked, subject,
                                      role, grid_code, purpose, records, granted, at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(access.id.0)
    .bind(access.action.as_str())
    .bind(&access.person_code)
    .bind(&access.id_number_masked)
    .bind(&access.subject)
    .bind(&access.role)
    .bind(&access.grid_code)
    .bind(&access.purpose)
    .bind(i32::try_from(access.records).unwrap_or(i32::MAX))
    .bind(access.granted)
    .bind(access.at)
    .execute(conn)
    .await?;
    Ok(())
}

/// Returns a page of the audit trail, newest first, before `before`: reads
/// only, or every entry when `with_changes`.
///
/// # Errors
/// The database fails or a row holds a value this version does not know.
pub async fn access_page(
    conn: &mut PgConnection,
    before: Option<AccessId>,
    with_changes: bool,
    limit: i64,
) -> Result<Vec<CareAccess>, AppError> {
    let rows: Vec<AccessRow> = sqlx::query_as(
        "SELECT access_id, action, person_code, id_number_masked, subject, role, grid_code, purpose,
                records, granted, at
         FROM care_access_log
         WHERE ($1::uuid IS NULL OR access_id < $1) AND ($2 OR action = 'READ')
         ORDER BY access_id DESC LIMIT $3",
    )
    .bind(before.map(|id| id.0))
    .bind(with_changes)
    .bind(limit)
    .fetch_all(conn)
    .await?;
    decode(rows)
}
