//! The category taxonomy, data.

use platform::error::UnknownStoredValue;
use sqlx::{FromRow, PgConnection};

use super::{parse_stored, stored_count};
use crate::domain::category::Category;
use crate::domain::grid::Duty;

#[derive(FromRow)]
struct CategoryRow {
    code: String,
    name: String,
    domain_code: String,
    handled_by: Vec<String>,
    working_days: i32,
    difficult: bool,
    active: bool,
}

impl TryFrom<CategoryRow> for Category {
    type Error = UnknownStoredValue;

    fn try_from(row: CategoryRow) -> Result<Self, Self::Error> {
        let handled_by = row
            .handled_by
            .iter()
            .map(|duty| parse_stored("categories", "handled_by", duty, Duty::parse_handling))
            .collect::<Result<_, _>>()?;
        Ok(Category {
            handled_by,
            working_days: stored_count("categories", "working_days", row.working_days)?,
            code: row.code,
            name: row.name,
            domain_code: row.domain_code,
            difficult: row.difficult,
            active: row.active,
        })
    }
}

const COLUMNS: &str = "code, name, domain_code, handled_by, working_days, difficult, active";

/// Returns the category `code`.
///
/// # Errors
/// The database fails, or the row holds a value this version does not know.
pub async fn get(conn: &mut PgConnection, code: &str) -> Result<Option<Category>, sqlx::Error> {
    let row: Option<CategoryRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM categories WHERE code = $1"
    )))
    .bind(code)
    .fetch_optional(conn)
    .await?;
    Ok(row.map(Category::try_from).transpose()?)
}

/// Returns every category, by code; only the active ones unless
/// `include_inactive`.
///
/// # Errors
/// The database fails, or a row holds a value this version does not know.
pub async fn list(
    conn: &mut PgConnection,
    include_inactive: bool,
) -> Result<Vec<Category>, sqlx::Error> {
    let rows: Vec<CategoryRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM categories WHERE active OR $1 ORDER BY code"
    )))
    .bind(include_inactive)
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(Category::try_from)
        .collect::<Result<_, _>>()?)
}
