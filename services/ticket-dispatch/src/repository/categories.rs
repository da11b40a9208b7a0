//! The category taxonomy and the calendar, both data.

use chrono::NaiveDate;
use sqlx::{FromRow, PgConnection};

use crate::domain::calendar::BusinessCalendar;

/// A ticket category.
#[derive(Debug, Clone, FromRow)]
pub struct CategoryRow {
    pub code: String,
    pub name: String,
    pub domain_code: String,
    pub working_days: i32,
    pub difficult: bool,
    pub active: bool,
}

/// Returns the category `code`.
///
/// # Errors
/// The database fails.
pub async fn get(conn: &mut PgConnection, code: &str) -> Result<Option<CategoryRow>, sqlx::Error> {
    sqlx::query_as("SELECT code, name, domain_code, working_days, difficult, active FROM categories WHERE code = $1")
        .bind(code)
        .fetch_optional(conn)
        .await
}

/// Returns the business calendar: holidays and make-up working days.
///
/// # Errors
/// The database fails.
pub async fn calendar(conn: &mut PgConnection) -> Result<BusinessCalendar, sqlx::Error> {
    let days: Vec<(NaiveDate, String)> = sqlx::query_as("SELECT day, kind FROM calendar_days")
        .fetch_all(conn)
        .await?;
    let holidays = days
        .iter()
        .filter(|(_, k)| k == "HOLIDAY")
        .map(|(d, _)| *d)
        .collect::<Vec<_>>();
    let workdays = days
        .iter()
        .filter(|(_, k)| k == "WORKDAY")
        .map(|(d, _)| *d)
        .collect::<Vec<_>>();
    Ok(BusinessCalendar::new(holidays, workdays))
}
