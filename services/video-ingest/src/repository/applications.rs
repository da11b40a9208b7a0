//! `applications`, `application_channels` and `application_copies`.

use chrono::{DateTime, Utc};
use platform::error::UnknownStoredValue;
use sqlx::PgConnection;
use uuid::Uuid;

use super::{decode_all, gb_id};
use crate::domain::disclosure::{
    Applicant, Application, ApplicationScope, Cursor, Decision, IssuedCopy, Purpose, State,
};
use crate::domain::ids::{ApplicationId, ClipId};

const COLUMNS: &str = "application_id, number, applicant_name, applicant_id_number,
    applicant_phone, purpose, purpose_detail, dispute_ticket, starts_at, ends_at, state, decision,
    refusal_reason, reviewed_by, reviewed_at, valid_until, submitted_by, submitted_at";

#[derive(sqlx::FromRow)]
struct ApplicationRow {
    application_id: Uuid,
    number: String,
    applicant_name: String,
    applicant_id_number: String,
    applicant_phone: String,
    purpose: String,
    purpose_detail: String,
    dispute_ticket: Option<String>,
    starts_at: DateTime<Utc>,
    ends_at: DateTime<Utc>,
    state: String,
    decision: Option<String>,
    refusal_reason: Option<String>,
    reviewed_by: Option<String>,
    reviewed_at: Option<DateTime<Utc>>,
    valid_until: Option<DateTime<Utc>>,
    submitted_by: String,
    submitted_at: DateTime<Utc>,
}

impl TryFrom<ApplicationRow> for Application {
    type Error = UnknownStoredValue;

    fn try_from(r: ApplicationRow) -> Result<Self, Self::Error> {
        let unknown = |column, v: &str| UnknownStoredValue::new("applications", column, v);
        Ok(Application {
            id: ApplicationId(r.application_id),
            number: r.number,
            applicant: Applicant {
                name: r.applicant_name,
                id_number: r.applicant_id_number,
                phone: r.applicant_phone,
            },
            channels: Vec::new(),
            starts_at: r.starts_at,
            ends_at: r.ends_at,
            purpose: Purpose::parse(&r.purpose).ok_or_else(|| unknown("purpose", &r.purpose))?,
            purpose_detail: r.purpose_detail,
            dispute_ticket: r.dispute_ticket,
            state: State::parse(&r.state).ok_or_else(|| unknown("state", &r.state))?,
            decision: r
                .decision
                .map(|d| Decision::parse(&d).ok_or_else(|| unknown("decision", &d)))
                .transpose()?,
            refusal_reason: r.refusal_reason,
            reviewed_by: r.reviewed_by,
            reviewed_at: r.reviewed_at,
            valid_until: r.valid_until,
            submitted_by: r.submitted_by,
            submitted_at: r.submitted_at,
            copies: Vec::new(),
        })
    }
}

/// Returns the next application number of `year`: `SQ-2026-000001`.
///
/// # Errors
/// The database fails.
pub async fn next_number(conn: &mut PgConnection, year: i32) -> Result<String, sqlx::Error> {
    let n: i64 = sqlx::query_scalar("SELECT nextval('application_numbers')")
        .fetch_one(conn)
        .await?;
    Ok(format!("SQ-{year}-{n:06}"))
}

/// Inserts `application` with its cameras.
///
/// # Errors
/// The database fails.
#[tracing::instrument(skip_all, fields(application_id = %a.id))]
pub async fn insert(conn: &mut PgConnection, a: &Application) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO applications (application_id, number, applicant_name, applicant_id_number,
             applicant_phone, purpose, purpose_detail, dispute_ticket, starts_at, ends_at, state,
             submitted_by, submitted_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
    )
    .bind(a.id.0)
    .bind(&a.number)
    .bind(&a.applicant.name)
    .bind(&a.applicant.id_number)
    .bind(&a.applicant.phone)
    .bind(a.purpose.as_str())
    .bind(&a.purpose_detail)
    .bind(&a.dispute_ticket)
    .bind(a.starts_at)
    .bind(a.ends_at)
    .bind(a.state.as_str())
    .bind(&a.submitted_by)
    .bind(a.submitted_at)
    .execute(&mut *conn)
    .await?;
    for channel in &a.channels {
        sqlx::query(
            "INSERT INTO application_channels (application_id, channel_id) VALUES ($1, $2)",
        )
        .bind(a.id.0)
        .bind(channel.as_str())
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Stores the review of `a`.
///
/// # Errors
/// The database fails.
pub async fn save_review(conn: &mut PgConnection, a: &Application) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE applications SET state = $2, decision = $3, refusal_reason = $4, reviewed_by = $5,
             reviewed_at = $6, valid_until = $7
         WHERE application_id = $1",
    )
    .bind(a.id.0)
    .bind(a.state.as_str())
    .bind(a.decision.map(Decision::as_str))
    .bind(&a.refusal_reason)
    .bind(&a.reviewed_by)
    .bind(a.reviewed_at)
    .bind(a.valid_until)
    .execute(conn)
    .await?;
    Ok(())
}

/// Records a copy issued for application `id`.
///
/// # Errors
/// The database fails.
pub async fn insert_copy(
    conn: &mut PgConnection,
    id: ApplicationId,
    copy: &IssuedCopy,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO application_copies (application_id, copy_clip_id, source_clip_id, issued_at,
             expires_at)
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(id.0)
    .bind(copy.copy_clip.0)
    .bind(copy.source_clip.0)
    .bind(copy.issued_at)
    .bind(copy.expires_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// A copy as stored: application, copy clip, source clip, issued, expires.
#[derive(sqlx::FromRow)]
struct CopyRow(Uuid, Uuid, Uuid, DateTime<Utc>, DateTime<Utc>);

async fn complete(
    conn: &mut PgConnection,
    mut found: Vec<Application>,
) -> Result<Vec<Application>, sqlx::Error> {
    let ids: Vec<Uuid> = found.iter().map(|a| a.id.0).collect();
    let channels: Vec<(Uuid, String)> = sqlx::query_as(
        "SELECT application_id, channel_id FROM application_channels
         WHERE application_id = ANY($1) ORDER BY application_id, channel_id",
    )
    .bind(&ids)
    .fetch_all(&mut *conn)
    .await?;
    for (id, channel) in channels {
        let channel = gb_id("application_channels", "channel_id", &channel)?;
        if let Some(a) = found.iter_mut().find(|a| a.id.0 == id) {
            a.channels.push(channel);
        }
    }
    let copies: Vec<CopyRow> = sqlx::query_as(
        "SELECT application_id, copy_clip_id, source_clip_id, issued_at, expires_at
         FROM application_copies WHERE application_id = ANY($1) ORDER BY issued_at, copy_clip_id",
    )
    .bind(&ids)
    .fetch_all(&mut *conn)
    .await?;
    for CopyRow(id, copy, source, issued_at, expires_at) in copies {
        if let Some(a) = found.iter_mut().find(|a| a.id.0 == id) {
            a.copies.push(IssuedCopy {
                copy_clip: ClipId(copy),
                source_clip: ClipId(source),
                issued_at,
                expires_at,
            });
        }
    }
    Ok(found)
}

/// Returns application `id` (by id or number), locked until the
/// transaction ends when `for_update`.
///
/// # Errors
/// The database fails.
pub async fn get(
    conn: &mut PgConnection,
    id_or_number: &str,
    for_update: bool,
) -> Result<Option<Application>, sqlx::Error> {
    let id = ApplicationId::parse(id_or_number).map(|i| i.0);
    let rows: Vec<ApplicationRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM applications WHERE application_id = $1 OR number = $2 {}",
        if for_update { "FOR UPDATE" } else { "" }
    )))
    .bind(id)
    .bind(id_or_number.trim())
    .fetch_all(&mut *conn)
    .await?;
    Ok(complete(conn, decode_all(rows)?).await?.pop())
}

/// Which applications a listing returns, and where its page starts.
#[derive(Debug, Clone)]
pub struct ApplicationFilter<'a> {
    pub state: Option<State>,
    pub scope: &'a ApplicationScope,
    /// Continue after this (the last of the page before).
    pub after: Option<Cursor>,
    pub limit: i64,
}

/// The scope as query parameters: the submitter whose applications are
/// seen, and the village whose cameras' applications are seen (neither:
/// every application).
fn scope_parameters(scope: &ApplicationScope) -> (Option<&str>, Option<&str>) {
    match scope {
        ApplicationScope::Town => (None, None),
        ApplicationScope::Village { village, submitter } => {
            (Some(submitter.as_str()), Some(village.as_str()))
        }
        ApplicationScope::Own { submitter } => (Some(submitter.as_str()), None),
    }
}

/// The condition of a scope over `applications a`, with the submitter as
/// `$submitter` and the village as `$village`: an application is in a
/// village when one of its cameras is (the village's code, or one of its
/// micro-grids').
fn scope_condition(submitter: &str, village: &str) -> String {
    format!(
        "(({submitter}::text IS NULL AND {village}::text IS NULL)
          OR a.submitted_by = {submitter}
          OR EXISTS (SELECT 1 FROM application_channels ac JOIN channels c USING (channel_id)
                     WHERE ac.application_id = a.application_id
                       AND (c.village_code = {village} OR c.grid_code = {village})))"
    )
}

/// Returns the applications in `filter`, newest first.
///
/// # Errors
/// The database fails.
pub async fn list(
    conn: &mut PgConnection,
    filter: &ApplicationFilter<'_>,
) -> Result<Vec<Application>, sqlx::Error> {
    let (submitter, village) = scope_parameters(filter.scope);
    let rows: Vec<ApplicationRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM applications a WHERE ($1::text IS NULL OR state = $1)
           AND {}
           AND ($4::timestamptz IS NULL OR (submitted_at, application_id) < ($4, $5))
         ORDER BY submitted_at DESC, application_id DESC LIMIT $6",
        scope_condition("$2", "$3")
    )))
    .bind(filter.state.map(State::as_str))
    .bind(submitter)
    .bind(village)
    .bind(filter.after.map(|c| c.submitted_at))
    .bind(filter.after.map(|c| c.id.0))
    .bind(filter.limit)
    .fetch_all(&mut *conn)
    .await?;
    complete(conn, decode_all(rows)?).await
}

/// Returns whether application `id` lies within `scope`.
///
/// # Errors
/// The database fails.
pub async fn within(
    conn: &mut PgConnection,
    id: ApplicationId,
    scope: &ApplicationScope,
) -> Result<bool, sqlx::Error> {
    let (submitter, village) = scope_parameters(scope);
    sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT EXISTS (SELECT 1 FROM applications a WHERE a.application_id = $1 AND {})",
        scope_condition("$2", "$3")
    )))
    .bind(id.0)
    .bind(submitter)
    .bind(village)
    .fetch_one(conn)
    .await
}

/// One cell of the statistics: applications of a purpose and state (and
/// decision, when approved) since a time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tally {
    pub purpose: Purpose,
    pub state: State,
    pub decision: Option<Decision>,
    pub count: u64,
}

/// Returns the applications submitted since `since`, counted by purpose,
/// state and decision.
///
/// # Errors
/// The database fails, or a stored value is unknown.
pub async fn tally(
    conn: &mut PgConnection,
    since: Option<DateTime<Utc>>,
) -> Result<Vec<Tally>, sqlx::Error> {
    let rows: Vec<(String, String, Option<String>, i64)> = sqlx::query_as(
        "SELECT purpose, state, decision, count(*) FROM applications
         WHERE ($1::timestamptz IS NULL OR submitted_at >= $1)
         GROUP BY purpose, state, decision ORDER BY purpose, state, decision",
    )
    .bind(since)
    .fetch_all(conn)
    .await?;
    rows.into_iter()
        .map(|(purpose, state, decision, count)| {
            let unknown = |column, v: &str| {
                sqlx::Error::from(UnknownStoredValue::new("applications", column, v))
            };
            Ok(Tally {
                purpose: Purpose::parse(&purpose).ok_or_else(|| unknown("purpose", &purpose))?,
                state: State::parse(&state).ok_or_else(|| unknown("state", &state))?,
                decision: decision
                    .map(|d| Decision::parse(&d).ok_or_else(|| unknown("decision", &d)))
                    .transpose()?,
                count: u64::try_from(count).unwrap_or(0),
            })
        })
        .collect()
}
