//! The `members` table.

use chrono::{DateTime, Utc};
use platform::error::{AppError, UnknownStoredValue};
use sqlx::{FromRow, PgConnection};
use uuid::Uuid;

use super::{decode, uuids};
use crate::domain::ids::{GridId, MemberId};
use crate::domain::kinds::{Background, Level, MemberRole};
use crate::domain::member::{Member, Staffing};

/// A stored member, with the code of their grid.
#[derive(Debug, FromRow)]
struct MemberRow {
    member_id: Uuid,
    grid_id: Uuid,
    grid_code: String,
    name: String,
    role: String,
    background: Option<String>,
    phone: String,
    active: bool,
}

impl TryFrom<MemberRow> for Member {
    type Error = AppError;

    fn try_from(row: MemberRow) -> Result<Self, AppError> {
        let role = MemberRole::parse(&row.role)
            .ok_or_else(|| UnknownStoredValue::new("members", "role", &row.role))?;
        let background = row
            .background
            .map(|b| {
                Background::parse(&b)
                    .ok_or_else(|| UnknownStoredValue::new("members", "background", b))
            })
            .transpose()?;
        Ok(Member {
            id: MemberId(row.member_id),
            grid_id: GridId(row.grid_id),
            grid_code: row.grid_code,
            name: row.name,
            role,
            background,
            phone: row.phone,
            active: row.active,
        })
    }
}

const SELECT: &str =
    "SELECT m.member_id, m.grid_id, g.code AS grid_code, m.name, m.role, m.background, m.phone,
        m.active
    FROM members m JOIN grids g ON g.grid_id = m.grid_id";

/// Inserts a serving member, added at `at`.
///
/// # Errors
/// ALREADY_EXISTS when the micro-grid has a serving leader
/// (`members_one_leader`), or the database fails.
pub async fn insert(
    conn: &mut PgConnection,
    member: &Member,
    at: DateTime<Utc>,
) -> Result<(), AppError> {
    sqlx::query(
        "INSERT INTO members (member_id, grid_id, name, role, background, phone, active, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, true, $7)",
    )
    .bind(member.id.0)
    .bind(member.grid_id.0)
    .bind(&member.name)
    .bind(member.role.as_str())
    .bind(member.background.map(Background::as_str))
    .bind(&member.phone)
    .bind(at)
    .execute(conn)
    .await
    .map_err(|err| {
        AppError::on_constraint(err, "members_one_leader", || {
            AppError::AlreadyExists(
                "a serving leader of this micro-grid (remove them first)".into(),
            )
        })
    })?;
    Ok(())
}

/// Returns a member, locked for update.
///
/// # Errors
/// The database fails or the row holds a value this version does not know.
pub async fn by_id_for_update(
    conn: &mut PgConnection,
    id: MemberId,
) -> Result<Option<Member>, AppError> {
    let row: Option<MemberRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{SELECT} WHERE m.member_id = $1 FOR UPDATE OF m"
    )))
    .bind(id.0)
    .fetch_optional(conn)
    .await?;
    row.map(Member::try_from).transpose()
}

/// Records that `member` no longer serves, for `reason`, from `at`.
///
/// # Errors
/// The database fails.
pub async fn save_removal(
    conn: &mut PgConnection,
    member: &Member,
    reason: &str,
    at: DateTime<Utc>,
) -> Result<(), AppError> {
    sqlx::query(
        "UPDATE members SET active = $2, removed_reason = $3, removed_at = $4 WHERE member_id = $1",
    )
    .bind(member.id.0)
    .bind(member.active)
    .bind(reason)
    .bind(at)
    .execute(conn)
    .await?;
    Ok(())
}

/// Returns the active members of the grids `grid_ids`, by grid code, role
/// and name.
///
/// # Errors
/// The database fails or a row holds a value this version does not know.
pub async fn active_in(
    conn: &mut PgConnection,
    grid_ids: &[GridId],
) -> Result<Vec<Member>, AppError> {
    let rows: Vec<MemberRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{SELECT} WHERE m.active AND m.grid_id = ANY($1) ORDER BY g.code, m.role, m.name"
    )))
    .bind(uuids(grid_ids))
    .fetch_all(conn)
    .await?;
    decode(rows)
}

#[derive(Debug, FromRow)]
struct StaffingRow {
    grid_id: Uuid,
    has_leader: bool,
    has_party_instructor: bool,
    has_member: bool,
}

/// Returns the micro-grids missing a leader, an instructor or a member.
///
/// # Errors
/// The database fails.
pub async fn understaffed_micro_grids(conn: &mut PgConnection) -> Result<Vec<Staffing>, AppError> {
    let rows: Vec<StaffingRow> = sqlx::query_as(
        "SELECT g.grid_id,
                COALESCE(bool_or(m.role = $1), false) AS has_leader,
                COALESCE(bool_or(m.role = $2), false) AS has_party_instructor,
                COALESCE(bool_or(m.role = $3), false) AS has_member
         FROM grids g LEFT JOIN members m ON m.grid_id = g.grid_id AND m.active
         WHERE g.level = $4
         GROUP BY g.grid_id, g.code
         HAVING NOT (COALESCE(bool_or(m.role = $1), false)
                 AND COALESCE(bool_or(m.role = $2), false)
                 AND COALESCE(bool_or(m.role = $3), false))
         ORDER BY g.code",
    )
    .bind(MemberRole::Leader.as_str())
    .bind(MemberRole::PartyInstructor.as_str())
    .bind(MemberRole::Member.as_str())
    .bind(Level::Micro.as_str())
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| Staffing {
            grid_id: GridId(r.grid_id),
            has_leader: r.has_leader,
            has_party_instructor: r.has_party_instructor,
            has_member: r.has_member,
        })
        .collect())
}
