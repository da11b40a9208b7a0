//! Safety domains, departments and the duty roster.

use chrono::{DateTime, Utc};
use platform::error::{AppError, UnknownStoredValue};
use sqlx::{FromRow, PgConnection};
use uuid::Uuid;

use super::decode;
use crate::domain::department::{Department, DomainDuty, SafetyDomain};
use crate::domain::ids::DutyId;
use crate::domain::kinds::{DepartmentKind, ObjectKind};

/// Creates or renames a safety domain.
///
/// # Errors
/// The database fails.
pub async fn upsert_domain(conn: &mut PgConnection, domain: &SafetyDomain) -> Result<(), AppError> {
    sqlx::query("INSERT INTO safety_domains (code, name) VALUES ($1, $2) ON CONFLICT (code) DO UPDATE SET name = $2")
        .bind(&domain.code)
        .bind(&domain.name)
        .execute(conn)
        .await?;
    Ok(())
}

/// Returns the name of a safety domain.
///
/// # Errors
/// The database fails.
pub async fn domain_name(conn: &mut PgConnection, code: &str) -> Result<Option<String>, AppError> {
    Ok(
        sqlx::query_scalar("SELECT name FROM safety_domains WHERE code = $1")
            .bind(code)
            .fetch_optional(conn)
            .await?,
    )
}

/// Returns which of `codes` are not known safety domains.
///
/// # Errors
/// The database fails.
pub async fn unknown_domains(
    conn: &mut PgConnection,
    codes: &[String],
) -> Result<Vec<String>, AppError> {
    Ok(sqlx::query_scalar(
        "SELECT c FROM unnest($1::text[]) AS c WHERE NOT EXISTS (SELECT 1 FROM safety_domains d WHERE d.code = c)",
    )
    .bind(codes)
    .fetch_all(conn)
    .await?)
}

/// A department and what it answers for.
#[derive(Debug, FromRow)]
struct DepartmentRow {
    code: String,
    name: String,
    kind: String,
    regulates: Vec<String>,
    domains: Vec<String>,
}

impl TryFrom<DepartmentRow> for Department {
    type Error = AppError;

    fn try_from(row: DepartmentRow) -> Result<Self, AppError> {
        let kind = DepartmentKind::parse(&row.kind)
            .ok_or_else(|| UnknownStoredValue::new("departments", "kind", &row.kind))?;
        let regulates = row
            .regulates
            .into_iter()
            .map(|k| {
                ObjectKind::parse(&k).ok_or_else(|| {
                    UnknownStoredValue::new("department_object_kinds", "object_kind", k)
                })
            })
            .collect::<Result<_, _>>()?;
        Ok(Department {
            code: row.code,
            name: row.name,
            kind,
            regulates,
            domains: row.domains,
        })
    }
}

/// Creates or replaces a department with its object kinds and domains.
///
/// # Errors
/// The database fails.
pub async fn upsert_department(
    conn: &mut PgConnection,
    department: &Department,
) -> Result<(), AppError> {
    let regulates: Vec<&str> = department.regulates.iter().map(|k| k.as_str()).collect();
    sqlx::query(
        "INSERT INTO departments (code, name, kind) VALUES ($1, $2, $3)
         ON CONFLICT (code) DO UPDATE SET name = $2, kind = $3",
    )
    .bind(&department.code)
    .bind(&department.name)
    .bind(department.kind.as_str())
    .execute(&mut *conn)
    .await?;
    sqlx::query("DELETE FROM department_object_kinds WHERE department_code = $1")
        .bind(&department.code)
        .execute(&mut *conn)
        .await?;
    sqlx::query("DELETE FROM department_domains WHERE department_code = $1")
        .bind(&department.code)
        .execute(&mut *conn)
        .await?;
    sqlx::query("INSERT INTO department_object_kinds (department_code, object_kind) SELECT $1, unnest($2::text[])")
        .bind(&department.code)
        .bind(regulates)
        .execute(&mut *conn)
        .await?;
    sqlx::query("INSERT INTO department_domains (department_code, domain_code) SELECT $1, unnest($2::text[])")
        .bind(&department.code)
        .bind(&department.domains)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

const SELECT_DEPARTMENTS: &str = "SELECT d.code, d.name, d.kind,
        COALESCE((SELECT array_agg(k.object_kind ORDER BY k.object_kind) FROM department_object_kinds k
                  WHERE k.department_code = d.code), '{}') AS regulates,
        COALESCE((SELECT array_agg(m.domain_code ORDER BY m.domain_code) FROM department_domains m
                  WHERE m.department_code = d.code), '{}') AS domains
    FROM departments d";

/// Returns every department.
///
/// # Errors
/// The database fails or a row holds a value this version does not know.
pub async fn all(conn: &mut PgConnection) -> Result<Vec<Department>, AppError> {
    let rows: Vec<DepartmentRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{SELECT_DEPARTMENTS} ORDER BY d.code"
    )))
    .fetch_all(conn)
    .await?;
    decode(rows)
}

/// Returns the departments responsible for `domain`, or regulating objects
/// of `kind`: regulators first, then co-managers, by code.
///
/// # Errors
/// The database fails or a row holds a value this version does not know.
pub async fn responsible(
    conn: &mut PgConnection,
    domain: &str,
    kind: Option<ObjectKind>,
) -> Result<Vec<Department>, AppError> {
    // REGULATORY sorts after CO_MANAGEMENT: descending puts regulators first.
    let rows: Vec<DepartmentRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{SELECT_DEPARTMENTS}
         WHERE EXISTS (SELECT 1 FROM department_domains m WHERE m.department_code = d.code AND m.domain_code = $1)
            OR ($2::text IS NOT NULL AND d.kind = $3 AND EXISTS (
                SELECT 1 FROM department_object_kinds k WHERE k.department_code = d.code AND k.object_kind = $2))
         ORDER BY d.kind DESC, d.code"
    )))
    .bind(domain)
    .bind(kind.map(ObjectKind::as_str))
    .bind(DepartmentKind::Regulatory.as_str())
    .fetch_all(conn)
    .await?;
    decode(rows)
}

/// A leader on duty for a domain.
#[derive(Debug, FromRow)]
struct DutyRow {
    duty_id: Uuid,
    domain_code: String,
    leader_name: String,
    leader_title: String,
    phone: String,
    starts_at: DateTime<Utc>,
}

impl From<DutyRow> for DomainDuty {
    fn from(row: DutyRow) -> Self {
        DomainDuty {
            id: DutyId(row.duty_id),
            domain_code: row.domain_code,
            leader_name: row.leader_name,
            leader_title: row.leader_title,
            phone: row.phone,
            starts_at: row.starts_at,
        }
    }
}

/// Puts a leader on duty from `duty.starts_at`, ending the duty in force then.
///
/// # Errors
/// The database fails.
pub async fn assign_duty(conn: &mut PgConnection, duty: &DomainDuty) -> Result<(), AppError> {
    sqlx::query(
        "UPDATE domain_duties SET ends_at = $2
         WHERE domain_code = $1 AND starts_at < $2 AND (ends_at IS NULL OR ends_at > $2)",
    )
    .bind(&duty.domain_code)
    .bind(duty.starts_at)
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "INSERT INTO domain_duties (duty_id, domain_code, leader_name, leader_title, phone, starts_at)
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(duty.id.0)
    .bind(&duty.domain_code)
    .bind(&duty.leader_name)
    .bind(&duty.leader_title)
    .bind(&duty.phone)
    .bind(duty.starts_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// Returns the leader on duty for `domain` at `at`.
///
/// # Errors
/// The database fails.
pub async fn duty_at(
    conn: &mut PgConnection,
    domain: &str,
    at: DateTime<Utc>,
) -> Result<Option<DomainDuty>, AppError> {
    let row: Option<DutyRow> = sqlx::query_as(
        "SELECT duty_id, domain_code, leader_name, leader_title, phone, starts_at FROM domain_duties
         WHERE domain_code = $1 AND starts_at <= $2 AND (ends_at IS NULL OR ends_at > $2)
         ORDER BY starts_at DESC LIMIT 1",
    )
    .bind(domain)
    .bind(at)
    .fetch_optional(conn)
    .await?;
    Ok(row.map(DomainDuty::from))
}
