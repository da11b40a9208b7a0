//! `reports`.

use chrono::{DateTime, NaiveDate, Utc};
use platform::error::UnknownStoredValue;
use sqlx::PgConnection;
use sqlx::types::Json;
use uuid::Uuid;

use super::{decode_all, decode_optional, signed, stored_count};
use crate::domain::ids::{AccountId, ReportId, ResidentId, TicketId};
use crate::domain::photos::PhotoRef;
use crate::domain::report::{Cursor, Report, ReportStatus};

/// A report as stored.
#[derive(sqlx::FromRow)]
struct ReportRow {
    report_id: Uuid,
    resident_id: Uuid,
    account_id: Uuid,
    category_code: String,
    severity: i32,
    text: String,
    photos: Json<Vec<PhotoRef>>,
    lat: f64,
    lng: f64,
    status: String,
    ticket_id: Option<Uuid>,
    ticket_number: Option<String>,
    duplicate_of: Option<String>,
    pending_points: i32,
    awarded_points: i32,
    reversed_points: i32,
    submitted_at: DateTime<Utc>,
    local_day: NaiveDate,
    operator: Option<String>,
    updated_at: DateTime<Utc>,
}

impl TryFrom<ReportRow> for Report {
    type Error = UnknownStoredValue;

    fn try_from(r: ReportRow) -> Result<Self, Self::Error> {
        Ok(Report {
            id: ReportId(r.report_id),
            resident: ResidentId(r.resident_id),
            account: AccountId(r.account_id),
            category_code: r.category_code,
            severity: stored_count("reports", "severity", r.severity)?,
            text: r.text,
            photos: r.photos.0,
            lat: r.lat,
            lng: r.lng,
            status: ReportStatus::parse(&r.status)
                .ok_or_else(|| UnknownStoredValue::new("reports", "status", r.status))?,
            ticket: r.ticket_id.map(TicketId),
            ticket_number: r.ticket_number,
            duplicate_of: r.duplicate_of,
            pending_points: stored_count("reports", "pending_points", r.pending_points)?,
            awarded_points: stored_count("reports", "awarded_points", r.awarded_points)?,
            reversed_points: stored_count("reports", "reversed_points", r.reversed_points)?,
            submitted_at: r.submitted_at,
            local_day: r.local_day,
            operator: r.operator,
            updated_at: r.updated_at,
        })
    }
}

const COLUMNS: &str = "report_id, resident_id, account_id, category_code, severity, text, photos, lat, lng, status, \
                       ticket_id, ticket_number, duplicate_of, pending_points, awarded_points, reversed_points, \
                       submitted_at, local_day, operator, updated_at";

/// Returns the stored names of `statuses`.
fn names(statuses: &[ReportStatus]) -> Vec<&'static str> {
    statuses.iter().map(|s| s.as_str()).collect()
}

/// Inserts a report.
///
/// # Errors
/// The database fails.
pub async fn insert(conn: &mut PgConnection, r: &Report) -> Result<(), sqlx::Error> {
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "INSERT INTO reports ({COLUMNS})
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)"
    )))
    .bind(r.id.0)
    .bind(r.resident.0)
    .bind(r.account.0)
    .bind(&r.category_code)
    .bind(signed(r.severity))
    .bind(&r.text)
    .bind(Json(&r.photos))
    .bind(r.lat)
    .bind(r.lng)
    .bind(r.status.as_str())
    .bind(r.ticket.map(|t| t.0))
    .bind(&r.ticket_number)
    .bind(&r.duplicate_of)
    .bind(signed(r.pending_points))
    .bind(signed(r.awarded_points))
    .bind(signed(r.reversed_points))
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
pub async fn update(conn: &mut PgConnection, r: &Report) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE reports SET status = $2, ticket_id = $3, ticket_number = $4, duplicate_of = $5,
                pending_points = $6, awarded_points = $7, reversed_points = $8, updated_at = $9
         WHERE report_id = $1",
    )
    .bind(r.id.0)
    .bind(r.status.as_str())
    .bind(r.ticket.map(|t| t.0))
    .bind(&r.ticket_number)
    .bind(&r.duplicate_of)
    .bind(signed(r.pending_points))
    .bind(signed(r.awarded_points))
    .bind(signed(r.reversed_points))
    .bind(r.updated_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// Returns a report.
///
/// # Errors
/// The database fails, or the report's status is unknown.
pub async fn by_id(conn: &mut PgConnection, id: ReportId) -> Result<Option<Report>, sqlx::Error> {
    let row: Option<ReportRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM reports WHERE report_id = $1"
    )))
    .bind(id.0)
    .fetch_optional(conn)
    .await?;
    decode_optional(row)
}

/// Returns a report, locked.
///
/// # Errors
/// The database fails, or the report's status is unknown.
pub async fn lock(conn: &mut PgConnection, id: ReportId) -> Result<Option<Report>, sqlx::Error> {
    let row: Option<ReportRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM reports WHERE report_id = $1 FOR UPDATE"
    )))
    .bind(id.0)
    .fetch_optional(conn)
    .await?;
    decode_optional(row)
}

/// Returns a resident's reports, newest first, after `after` when given.
///
/// # Errors
/// The database fails, or a report's status is unknown.
pub async fn of_resident(
    conn: &mut PgConnection,
    resident: ResidentId,
    after: Option<Cursor>,
    limit: i64,
) -> Result<Vec<Report>, sqlx::Error> {
    let rows: Vec<ReportRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM reports
         WHERE resident_id = $1 AND ($2::timestamptz IS NULL OR (submitted_at, report_id) < ($2, $3))
         ORDER BY submitted_at DESC, report_id DESC LIMIT $4"
    )))
    .bind(resident.0)
    .bind(after.map(|a| a.submitted_at))
    .bind(after.map(|a| a.id.0))
    .bind(limit)
    .fetch_all(conn)
    .await?;
    decode_all(rows)
}

/// Serialises reports of `category`: each one's duplicate check sees the
/// others committed (two reports of one fire at the same moment are not
/// both originals). Held until the transaction ends.
///
/// # Errors
/// The database fails.
pub async fn lock_category(conn: &mut PgConnection, category: &str) -> Result<(), sqlx::Error> {
    sqlx::query("SELECT pg_advisory_xact_lock(hashtext('points.report:' || $1))")
        .bind(category)
        .execute(conn)
        .await?;
    Ok(())
}

/// Returns reports of `category` submitted since `since` within the box
/// around (lat, lng) that are neither duplicates nor found untrue:
/// candidates an identical report repeats.
///
/// # Errors
/// The database fails, or a report's status is unknown.
pub async fn nearby(
    conn: &mut PgConnection,
    category: &str,
    (lat, lng): (f64, f64),
    (dlat, dlng): (f64, f64),
    since: DateTime<Utc>,
) -> Result<Vec<Report>, sqlx::Error> {
    let rows: Vec<ReportRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM reports
         WHERE category_code = $1 AND submitted_at >= $6 AND status <> ALL($7)
           AND lat BETWEEN $2 - $4 AND $2 + $4 AND lng BETWEEN $3 - $5 AND $3 + $5
         ORDER BY submitted_at"
    )))
    .bind(category)
    .bind(lat)
    .bind(lng)
    .bind(dlat)
    .bind(dlng)
    .bind(since)
    .bind(names(&[ReportStatus::Rejected, ReportStatus::Duplicate]))
    .fetch_all(conn)
    .await?;
    decode_all(rows)
}

/// Points already awarded (net of reversals) to a resident for reports of
/// `day` and of its month, other than `except`.
///
/// # Errors
/// The database fails.
pub async fn awarded_around(
    conn: &mut PgConnection,
    resident: ResidentId,
    day: NaiveDate,
    except: ReportId,
) -> Result<(i64, i64), sqlx::Error> {
    sqlx::query_as(
        "SELECT COALESCE(SUM(awarded_points - reversed_points) FILTER (WHERE local_day = $2), 0)::bigint,
                COALESCE(SUM(awarded_points - reversed_points), 0)::bigint
         FROM reports
         WHERE resident_id = $1 AND report_id <> $3
           AND local_day >= date_trunc('month', $2::date)::date
           AND local_day < (date_trunc('month', $2::date) + interval '1 month')::date",
    )
    .bind(resident.0)
    .bind(day)
    .bind(except.0)
    .fetch_one(conn)
    .await
}

/// The reports of account `$1` found untrue (status `$2`, bound to
/// [`ReportStatus::Rejected`]) whose award is not wholly taken back yet:
/// the ones that still owe points.
pub(super) const OWING: &str =
    "account_id = $1 AND status = $2 AND awarded_points > reversed_points";

/// Returns the reports of `account` found untrue whose award is not wholly
/// taken back yet ([`OWING`]), oldest first, locked. One locked elsewhere (being
/// rejected right now) is skipped: it settles itself.
///
/// # Errors
/// The database fails, or a report's status is unknown.
pub async fn owing(
    conn: &mut PgConnection,
    account: AccountId,
) -> Result<Vec<Report>, sqlx::Error> {
    let rows: Vec<ReportRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM reports WHERE {OWING}
         ORDER BY updated_at, report_id FOR UPDATE SKIP LOCKED"
    )))
    .bind(account.0)
    .bind(ReportStatus::Rejected.as_str())
    .fetch_all(conn)
    .await?;
    decode_all(rows)
}

/// Points pending for an account: reports not yet verified.
///
/// # Errors
/// The database fails.
pub async fn pending_for(conn: &mut PgConnection, account: AccountId) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT COALESCE(SUM(pending_points), 0)::bigint FROM reports
         WHERE account_id = $1 AND status = ANY($2)",
    )
    .bind(account.0)
    .bind(names(&ReportStatus::PENDING))
    .fetch_one(conn)
    .await
}
