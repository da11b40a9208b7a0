//! `reports` and `award_rules`.

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::PgConnection;
use sqlx::types::Json;
use uuid::Uuid;

use crate::domain::rules::AwardRule;

/// A photo reference as stored.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct StoredPhoto {
    pub sha256: String,
    pub content_type: String,
    pub size_bytes: u64,
}

/// A report as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ReportRow {
    pub report_id: Uuid,
    pub resident_id: Uuid,
    pub account_id: Uuid,
    pub category_code: String,
    pub severity: i32,
    pub text: String,
    pub photos: Json<Vec<StoredPhoto>>,
    pub lat: f64,
    pub lng: f64,
    pub status: String,
    pub ticket_id: Option<Uuid>,
    pub ticket_number: Option<String>,
    pub duplicate_of: Option<String>,
    pub pending_points: i32,
    pub awarded_points: i32,
    pub reversed_points: i32,
    pub submitted_at: DateTime<Utc>,
    pub local_day: NaiveDate,
    pub operator: Option<String>,
    pub updated_at: DateTime<Utc>,
}

const COLUMNS: &str = "report_id, resident_id, account_id, category_code, severity, text, photos, lat, lng, status, \
                       ticket_id, ticket_number, duplicate_of, pending_points, awarded_points, reversed_points, \
                       submitted_at, local_day, operator, updated_at";

/// Statuses of a report whose points are still to come.
pub const PENDING: [&str; 3] = ["SUBMITTED", "FORWARDED", "IN_HANDLING"];

/// Inserts a report.
///
/// # Errors
/// The database fails.
pub async fn insert(conn: &mut PgConnection, r: &ReportRow) -> Result<(), sqlx::Error> {
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "INSERT INTO reports ({COLUMNS})
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)"
    )))
    .bind(r.report_id)
    .bind(r.resident_id)
    .bind(r.account_id)
    .bind(&r.category_code)
    .bind(r.severity)
    .bind(&r.text)
    .bind(&r.photos)
    .bind(r.lat)
    .bind(r.lng)
    .bind(&r.status)
    .bind(r.ticket_id)
    .bind(&r.ticket_number)
    .bind(&r.duplicate_of)
    .bind(r.pending_points)
    .bind(r.awarded_points)
    .bind(r.reversed_points)
    .bind(r.submitted_at)
    .bind(r.local_day)
    .bind(&r.operator)
    .bind(r.updated_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// Saves a report's status, ticket and points.
///
/// # Errors
/// The database fails.
pub async fn update(conn: &mut PgConnection, r: &ReportRow) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE reports SET status = $2, ticket_id = $3, ticket_number = $4, duplicate_of = $5,
                pending_points = $6, awarded_points = $7, reversed_points = $8, updated_at = $9
         WHERE report_id = $1",
    )
    .bind(r.report_id)
    .bind(&r.status)
    .bind(r.ticket_id)
    .bind(&r.ticket_number)
    .bind(&r.duplicate_of)
    .bind(r.pending_points)
    .bind(r.awarded_points)
    .bind(r.reversed_points)
    .bind(r.updated_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// Returns a report, locked when `for_update`.
///
/// # Errors
/// The database fails.
pub async fn by_id(
    conn: &mut PgConnection,
    id: Uuid,
    for_update: bool,
) -> Result<Option<ReportRow>, sqlx::Error> {
    let lock = if for_update { "FOR UPDATE" } else { "" };
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM reports WHERE report_id = $1 {lock}"
    )))
    .bind(id)
    .fetch_optional(conn)
    .await
}

/// Returns a resident's reports, newest first, after the cursor
/// (submitted_at, id) when one is given.
///
/// # Errors
/// The database fails.
pub async fn of_resident(
    conn: &mut PgConnection,
    resident: Uuid,
    after: Option<(DateTime<Utc>, Uuid)>,
    limit: i64,
) -> Result<Vec<ReportRow>, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM reports
         WHERE resident_id = $1 AND ($2::timestamptz IS NULL OR (submitted_at, report_id) < ($2, $3))
         ORDER BY submitted_at DESC, report_id DESC LIMIT $4"
    )))
    .bind(resident)
    .bind(after.map(|a| a.0))
    .bind(after.map(|a| a.1))
    .bind(limit)
    .fetch_all(conn)
    .await
}

/// Returns reports of `category` submitted since `since` within the box
/// around (lat, lng) that are not found untrue: candidates an identical
/// report repeats.
///
/// # Errors
/// The database fails.
pub async fn nearby(
    conn: &mut PgConnection,
    category: &str,
    (lat, lng): (f64, f64),
    (dlat, dlng): (f64, f64),
    since: DateTime<Utc>,
) -> Result<Vec<ReportRow>, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM reports
         WHERE category_code = $1 AND submitted_at >= $6 AND status NOT IN ('REJECTED', 'DUPLICATE')
           AND lat BETWEEN $2 - $4 AND $2 + $4 AND lng BETWEEN $3 - $5 AND $3 + $5
         ORDER BY submitted_at"
    )))
    .bind(category)
    .bind(lat)
    .bind(lng)
    .bind(dlat)
    .bind(dlng)
    .bind(since)
    .fetch_all(conn)
    .await
}

/// Points already awarded (net of reversals) to a resident for reports of
/// `day` and of its month, other than `except`.
///
/// # Errors
/// The database fails.
pub async fn awarded_around(
    conn: &mut PgConnection,
    resident: Uuid,
    day: NaiveDate,
    except: Uuid,
) -> Result<(i64, i64), sqlx::Error> {
    sqlx::query_as(
        "SELECT COALESCE(SUM(awarded_points - reversed_points) FILTER (WHERE local_day = $2), 0)::bigint,
                COALESCE(SUM(awarded_points - reversed_points), 0)::bigint
         FROM reports
         WHERE resident_id = $1 AND report_id <> $3
           AND local_day >= date_trunc('month', $2::date)::date
           AND local_day < (date_trunc('month', $2::date) + interval '1 month')::date",
    )
    .bind(resident)
    .bind(day)
    .bind(except)
    .fetch_one(conn)
    .await
}

/// Returns the reports of `account` found untrue whose award is not wholly
/// taken back yet, oldest first, locked. One locked elsewhere (being
/// rejected right now) is skipped: it settles itself.
///
/// # Errors
/// The database fails.
pub async fn owing(conn: &mut PgConnection, account: Uuid) -> Result<Vec<ReportRow>, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM reports
                  WHERE account_id = $1 AND status = 'REJECTED' AND awarded_points > reversed_points
         ORDER BY updated_at, report_id FOR UPDATE SKIP LOCKED"
    )))
    .bind(account)
    .fetch_all(conn)
    .await
}

/// Points pending for an account: reports not yet verified.
///
/// # Errors
/// The database fails.
pub async fn pending_for(conn: &mut PgConnection, account: Uuid) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT COALESCE(SUM(pending_points), 0)::bigint FROM reports
         WHERE account_id = $1 AND status = ANY($2)",
    )
    .bind(account)
    .bind(&PENDING[..])
    .fetch_one(conn)
    .await
}

/// Returns the active award rule of `category`.
///
/// # Errors
/// The database fails.
pub async fn rule(
    conn: &mut PgConnection,
    category: &str,
) -> Result<Option<AwardRule>, sqlx::Error> {
    let base: Option<i32> = sqlx::query_scalar(
        "SELECT base_points FROM award_rules WHERE category_code = $1 AND active",
    )
    .bind(category)
    .fetch_optional(conn)
    .await?;
    Ok(base.map(|b| AwardRule {
        category_code: category.to_owned(),
        base_points: b.max(0) as u32,
    }))
}

/// One award rule as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RuleRow {
    pub category_code: String,
    pub base_points: i32,
    pub active: bool,
}

/// Returns every award rule, active or not.
///
/// # Errors
/// The database fails.
pub async fn rules(conn: &mut PgConnection) -> Result<Vec<RuleRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT category_code, base_points, active FROM award_rules ORDER BY category_code",
    )
    .fetch_all(conn)
    .await
}

/// Changes a category's award rule; `None` when there is none.
///
/// # Errors
/// The database fails.
pub async fn put_rule(
    conn: &mut PgConnection,
    rule: &RuleRow,
) -> Result<Option<RuleRow>, sqlx::Error> {
    sqlx::query_as(
        "UPDATE award_rules SET base_points = $2, active = $3 WHERE category_code = $1
         RETURNING category_code, base_points, active",
    )
    .bind(&rule.category_code)
    .bind(rule.base_points)
    .bind(rule.active)
    .fetch_optional(conn)
    .await
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
