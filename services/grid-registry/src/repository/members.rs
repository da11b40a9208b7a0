//! The `members` table.

use chrono::{DateTime, Utc};
use sqlx::{FromRow, PgConnection};
use uuid::Uuid;

/// A stored member, with the code of their grid.
#[derive(Debug, Clone, FromRow)]
pub struct MemberRow {
    pub member_id: Uuid,
    pub grid_id: Uuid,
    pub grid_code: String,
    pub name: String,
    pub role: String,
    pub background: Option<String>,
    pub phone: String,
    pub active: bool,
}

const SELECT: &str =
    "SELECT m.member_id, m.grid_id, g.code AS grid_code, m.name, m.role, m.background, m.phone,
        m.active
    FROM members m JOIN grids g ON g.grid_id = m.grid_id";

/// Inserts a member.
///
/// # Errors
/// `members_one_leader` when the micro-grid has a leader, or the database fails.
pub async fn insert(
    conn: &mut PgConnection,
    member: &MemberRow,
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO members (member_id, grid_id, name, role, background, phone, active, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, true, $7)",
    )
    .bind(member.member_id)
    .bind(member.grid_id)
    .bind(&member.name)
    .bind(&member.role)
    .bind(&member.background)
    .bind(&member.phone)
    .bind(at)
    .execute(conn)
    .await?;
    Ok(())
}

/// Returns a member, locked for update.
///
/// # Errors
/// The database fails.
pub async fn by_id_for_update(
    conn: &mut PgConnection,
    id: Uuid,
) -> Result<Option<MemberRow>, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{SELECT} WHERE m.member_id = $1 FOR UPDATE OF m"
    )))
    .bind(id)
    .fetch_optional(conn)
    .await
}

/// Marks a member as no longer serving.
///
/// # Errors
/// The database fails.
pub async fn deactivate(
    conn: &mut PgConnection,
    id: Uuid,
    reason: &str,
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE members SET active = false, removed_reason = $2, removed_at = $3 WHERE member_id = $1")
        .bind(id)
        .bind(reason)
        .bind(at)
        .execute(conn)
        .await?;
    Ok(())
}

/// Returns the active members of the grids `grid_ids`, by grid code and role.
///
/// # Errors
/// The database fails.
pub async fn active_in(
    conn: &mut PgConnection,
    grid_ids: &[Uuid],
) -> Result<Vec<MemberRow>, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{SELECT} WHERE m.active AND m.grid_id = ANY($1) ORDER BY g.code, m.role, m.name"
    )))
    .bind(grid_ids)
    .fetch_all(conn)
    .await
}

/// A micro-grid and which micro-grid roles it has filled.
#[derive(Debug, Clone, FromRow)]
pub struct Staffing {
    pub grid_id: Uuid,
    pub has_leader: bool,
    pub has_party_instructor: bool,
    pub has_member: bool,
}

/// Returns the micro-grids missing a leader, an instructor or a member.
///
/// # Errors
/// The database fails.
pub async fn understaffed_micro_grids(
    conn: &mut PgConnection,
) -> Result<Vec<Staffing>, sqlx::Error> {
    sqlx::query_as(
        "SELECT g.grid_id,
                COALESCE(bool_or(m.role = 'LEADER'), false) AS has_leader,
                COALESCE(bool_or(m.role = 'PARTY_INSTRUCTOR'), false) AS has_party_instructor,
                COALESCE(bool_or(m.role = 'MEMBER'), false) AS has_member
         FROM grids g LEFT JOIN members m ON m.grid_id = g.grid_id AND m.active
         WHERE g.level = 'MICRO'
         GROUP BY g.grid_id, g.code
         HAVING NOT (COALESCE(bool_or(m.role = 'LEADER'), false)
                 AND COALESCE(bool_or(m.role = 'PARTY_INSTRUCTOR'), false)
                 AND COALESCE(bool_or(m.role = 'MEMBER'), false))
         ORDER BY g.code",
    )
    .fetch_all(conn)
    .await
}
