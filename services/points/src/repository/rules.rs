//! `award_rules`.

use platform::error::UnknownStoredValue;
use sqlx::PgConnection;

use super::{decode_all, decode_optional, signed, stored_count};
use crate::domain::rules::AwardRule;

/// An award rule as stored.
#[derive(sqlx::FromRow)]
struct RuleRow {
    category_code: String,
    base_points: i32,
    active: bool,
}

impl TryFrom<RuleRow> for AwardRule {
    type Error = UnknownStoredValue;

    fn try_from(r: RuleRow) -> Result<Self, Self::Error> {
        Ok(AwardRule {
            base_points: stored_count("award_rules", "base_points", r.base_points)?,
            category_code: r.category_code,
            active: r.active,
        })
    }
}

/// Returns the active award rule of `category`.
///
/// # Errors
/// The database fails.
pub async fn active(
    conn: &mut PgConnection,
    category: &str,
) -> Result<Option<AwardRule>, sqlx::Error> {
    let row: Option<RuleRow> = sqlx::query_as(
        "SELECT category_code, base_points, active FROM award_rules WHERE category_code = $1 AND active",
    )
    .bind(category)
    .fetch_optional(conn)
    .await?;
    decode_optional(row)
}

/// Returns every award rule, active or not.
///
/// # Errors
/// The database fails.
pub async fn all(conn: &mut PgConnection) -> Result<Vec<AwardRule>, sqlx::Error> {
    let rows: Vec<RuleRow> = sqlx::query_as(
        "SELECT category_code, base_points, active FROM award_rules ORDER BY category_code",
    )
    .fetch_all(conn)
    .await?;
    decode_all(rows)
}

/// Changes a category's award rule; `None` when there is none.
///
/// # Errors
/// The database fails.
pub async fn put(
    conn: &mut PgConnection,
    rule: &AwardRule,
) -> Result<Option<AwardRule>, sqlx::Error> {
    let row: Option<RuleRow> = sqlx::query_as(
        "UPDATE award_rules SET base_points = $2, active = $3 WHERE category_code = $1
         RETURNING category_code, base_points, active",
    )
    .bind(&rule.category_code)
    .bind(signed(rule.base_points))
    .bind(rule.active)
    .fetch_optional(conn)
    .await?;
    decode_optional(row)
}

/// Returns the codes of the active award rules.
///
/// # Errors
/// The database fails.
pub async fn categories(conn: &mut PgConnection) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar("SELECT category_code FROM award_rules WHERE active ORDER BY category_code")
        .fetch_all(conn)
        .await
}
