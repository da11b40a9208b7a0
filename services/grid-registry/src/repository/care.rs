//! The restricted store of special-care people and its audit trail.

use chrono::{DateTime, Utc};
use sqlx::{FromRow, PgConnection};
use uuid::Uuid;

/// A stored special-care person, with their micro-grid's code.
#[derive(Debug, Clone, FromRow)]
pub struct CarePersonRow {
    pub care_person_id: Uuid,
    pub code: String,
    pub micro_grid_id: Uuid,
    pub micro_grid_code: String,
    pub category: String,
    pub name: String,
    pub id_number: String,
    pub phone: Option<String>,
}

/// Inserts a special-care person.
///
/// # Errors
/// `care_people_code_key` or `care_people_id_number_key` when already
/// registered, or the database fails.
pub async fn insert(
    conn: &mut PgConnection,
    person: &CarePersonRow,
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO care_people (care_person_id, code, micro_grid_id, category, name, id_number, phone, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(person.care_person_id)
    .bind(&person.code)
    .bind(person.micro_grid_id)
    .bind(&person.category)
    .bind(&person.name)
    .bind(&person.id_number)
    .bind(&person.phone)
    .bind(at)
    .execute(conn)
    .await?;
    Ok(())
}

/// Returns a page of people in `grid_ids` (all for `None`), by category.
///
/// # Errors
/// The database fails.
pub async fn page(
    conn: &mut PgConnection,
    grid_ids: Option<&[Uuid]>,
    category: Option<&str>,
    after_code: &str,
    limit: i64,
) -> Result<Vec<CarePersonRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT c.care_person_id, c.code, c.micro_grid_id, g.code AS micro_grid_code, c.category, c.name,
                c.id_number, c.phone
         FROM care_people c JOIN grids g ON g.grid_id = c.micro_grid_id
         WHERE ($1::uuid[] IS NULL OR c.micro_grid_id = ANY($1)) AND ($2::text IS NULL OR c.category = $2)
           AND c.code > $3
         ORDER BY c.code LIMIT $4",
    )
    .bind(grid_ids)
    .bind(category)
    .bind(after_code)
    .bind(limit)
    .fetch_all(conn)
    .await
}

/// One audited read.
#[derive(Debug, Clone, FromRow)]
pub struct AccessRow {
    pub access_id: Uuid,
    pub subject: String,
    pub role: String,
    pub grid_code: String,
    pub purpose: String,
    pub records: i32,
    pub granted: bool,
    pub at: DateTime<Utc>,
}

/// Records a read (or a refused attempt).
///
/// # Errors
/// The database fails.
pub async fn log_access(conn: &mut PgConnection, access: &AccessRow) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO care_access_log (access_id, subject, role, grid_code, purpose, records, granted, at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(access.access_id)
    .bind(&access.subject)
    .bind(&access.role)
    .bind(&access.grid_code)
    .bind(&access.purpose)
    .bind(access.records)
    .bind(access.granted)
    .bind(access.at)
    .execute(conn)
    .await?;
    Ok(())
}

/// Returns a page of the audit trail, newest first, before `before_id`.
///
/// # Errors
/// The database fails.
pub async fn access_page(
    conn: &mut PgConnection,
    before_id: Option<Uuid>,
    limit: i64,
) -> Result<Vec<AccessRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT access_id, subject, role, grid_code, purpose, records, granted, at FROM care_access_log
         WHERE ($1::uuid IS NULL OR access_id < $1) ORDER BY access_id DESC LIMIT $2",
    )
    .bind(before_id)
    .bind(limit)
    .fetch_all(conn)
    .await
}
