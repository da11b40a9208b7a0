//! The business calendar: `calendar_days`, edited a year at a time, and
//! `calendar_edits`, whose highest id is the calendar's version.

use chrono::{DateTime, NaiveDate, Utc};
use platform::error::UnknownStoredValue;
use sqlx::PgConnection;

use super::parse_stored;
use crate::domain::calendar::{
    BusinessCalendar, CalendarEdit as Edit, CalendarYear, DayKind, ListedDay,
};

/// Returns the whole calendar with its version (0 before any edit).
///
/// # Errors
/// The database fails, or a day is of a kind this version does not know.
pub async fn load(conn: &mut PgConnection) -> Result<(BusinessCalendar, i64), sqlx::Error> {
    let version = version(&mut *conn).await?;
    let days: Vec<(NaiveDate, String)> = sqlx::query_as("SELECT day, kind FROM calendar_days")
        .fetch_all(conn)
        .await?;
    let days = days
        .into_iter()
        .map(|(day, kind)| Ok((day, kind_of(&kind)?)))
        .collect::<Result<Vec<_>, UnknownStoredValue>>()?;
    Ok((BusinessCalendar::of_days(days), version))
}

/// Returns the calendar's version: the id of its last edit, 0 before any.
///
/// # Errors
/// The database fails.
pub async fn version(conn: &mut PgConnection) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT COALESCE(MAX(edit_id), 0) FROM calendar_edits")
        .fetch_one(conn)
        .await
}

/// Returns the listed days of `year`, by date, and its last edit.
///
/// # Errors
/// The database fails, or a day is of a kind this version does not know.
pub async fn year(
    conn: &mut PgConnection,
    year: i32,
) -> Result<(Vec<ListedDay>, Option<Edit>), sqlx::Error> {
    let rows: Vec<(NaiveDate, String, String)> = sqlx::query_as(
        "SELECT day, kind, name FROM calendar_days
         WHERE EXTRACT(YEAR FROM day) = $1 ORDER BY day",
    )
    .bind(year)
    .fetch_all(&mut *conn)
    .await?;
    let days = rows
        .into_iter()
        .map(|(day, kind, name)| {
            Ok(ListedDay {
                day,
                kind: kind_of(&kind)?,
                name,
            })
        })
        .collect::<Result<Vec<_>, UnknownStoredValue>>()?;
    let edit: Option<(DateTime<Utc>, String)> = sqlx::query_as(
        "SELECT changed_at, changed_by FROM calendar_edits
         WHERE year = $1 ORDER BY edit_id DESC LIMIT 1",
    )
    .bind(year)
    .fetch_optional(conn)
    .await?;
    Ok((
        days,
        edit.map(|(changed_at, changed_by)| Edit {
            changed_at,
            changed_by,
        }),
    ))
}

/// Replaces the listed days of `calendar`'s year and records the edit,
/// after waiting for any other edit under way. Returns the new version.
///
/// # Errors
/// The database fails.
pub async fn replace_year(
    conn: &mut PgConnection,
    calendar: &CalendarYear,
    edit: &Edit,
) -> Result<i64, sqlx::Error> {
    // Edits one after another: each recomputes the deadlines on the
    // calendar the one before it left.
    sqlx::query("LOCK TABLE calendar_edits IN SHARE ROW EXCLUSIVE MODE")
        .execute(&mut *conn)
        .await?;
    sqlx::query("DELETE FROM calendar_days WHERE EXTRACT(YEAR FROM day) = $1")
        .bind(calendar.year)
        .execute(&mut *conn)
        .await?;
    let days: Vec<NaiveDate> = calendar.days.iter().map(|d| d.day).collect();
    let kinds: Vec<&str> = calendar.days.iter().map(|d| d.kind.as_str()).collect();
    let names: Vec<&str> = calendar.days.iter().map(|d| d.name.as_str()).collect();
    sqlx::query(
        "INSERT INTO calendar_days (day, kind, name)
         SELECT * FROM UNNEST($1::date[], $2::text[], $3::text[])",
    )
    .bind(&days)
    .bind(&kinds)
    .bind(&names)
    .execute(&mut *conn)
    .await?;
    sqlx::query_scalar(
        "INSERT INTO calendar_edits (year, days, changed_at, changed_by)
         VALUES ($1, $2, $3, $4) RETURNING edit_id",
    )
    .bind(calendar.year)
    .bind(i32::try_from(days.len()).unwrap_or(i32::MAX))
    .bind(edit.changed_at)
    .bind(&edit.changed_by)
    .fetch_one(conn)
    .await
}

fn kind_of(kind: &str) -> Result<DayKind, UnknownStoredValue> {
    parse_stored("calendar_days", "kind", kind, DayKind::parse)
}
