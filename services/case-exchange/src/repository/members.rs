//! The alliance's and the joint defence groups' members this town keeps.

use chrono::{DateTime, Utc};
use platform::error::{AppError, UnknownStoredValue};
use sqlx::PgConnection;
use uuid::Uuid;

use super::{decode_all, unsigned};
use crate::domain::alliance::{Member, MemberKind};
use crate::domain::ids::MemberId;

#[derive(sqlx::FromRow)]
struct MemberRow {
    member_id: Uuid,
    kind: String,
    name: String,
    place: String,
    households: i32,
    contact_name: String,
    contact_phone: String,
    joined_at: DateTime<Utc>,
}

impl TryFrom<MemberRow> for Member {
    type Error = UnknownStoredValue;

    fn try_from(row: MemberRow) -> Result<Self, Self::Error> {
        Ok(Member {
            member_id: MemberId(row.member_id),
            kind: MemberKind::parse(&row.kind)
                .ok_or_else(|| UnknownStoredValue::new("members", "kind", &row.kind))?,
            name: row.name,
            place: row.place,
            households: unsigned(row.households),
            contact_name: row.contact_name,
            contact_phone: row.contact_phone,
            joined_at: row.joined_at,
        })
    }
}

/// Inserts a member.
///
/// # Errors
/// ALREADY_EXISTS for a name of that kind kept before; the database
/// failing.
#[tracing::instrument(skip_all, fields(member_id = %member.member_id))]
pub async fn insert(conn: &mut PgConnection, member: &Member) -> Result<(), AppError> {
    sqlx::query(
        "INSERT INTO members (member_id, kind, name, place, households, contact_name,
             contact_phone, joined_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(member.member_id.0)
    .bind(member.kind.as_str())
    .bind(&member.name)
    .bind(&member.place)
    .bind(i32::try_from(member.households).unwrap_or(i32::MAX))
    .bind(&member.contact_name)
    .bind(&member.contact_phone)
    .bind(member.joined_at)
    .execute(conn)
    .await
    .map_err(|err| {
        AppError::on_constraint(err, "members_name_key", || {
            AppError::AlreadyExists(format!("member {}", member.name))
        })
    })?;
    Ok(())
}

/// Returns the members, of `kind` when given, in the order they joined.
pub async fn list(
    conn: &mut PgConnection,
    kind: Option<MemberKind>,
) -> Result<Vec<Member>, sqlx::Error> {
    let rows: Vec<MemberRow> = sqlx::query_as(
        "SELECT member_id, kind, name, place, households, contact_name, contact_phone, joined_at
         FROM members WHERE ($1::text IS NULL OR kind = $1) ORDER BY member_id",
    )
    .bind(kind.map(MemberKind::as_str))
    .fetch_all(conn)
    .await?;
    decode_all(rows)
}

/// Returns whether the member `id` is kept here.
pub async fn exists(conn: &mut PgConnection, id: MemberId) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM members WHERE member_id = $1)")
        .bind(id.0)
        .fetch_one(conn)
        .await
}
