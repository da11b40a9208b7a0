//! `policies`, `work_items` and `work_item_reports` (append-only).

use chrono::{DateTime, Utc};
use platform::error::UnknownStoredValue;
use sqlx::types::Json;
use sqlx::{PgConnection, QueryBuilder};
use uuid::Uuid;

use super::{decode, decode_all, parse_stored, stored_count};
use crate::domain::ids::{PolicyId, WorkItemId};
use crate::domain::worklist::{
    Closure, Policy, PolicyState, ProgressReport, TaskRule, Verification, VillageAttribute,
    WorkItem, WorkItemState,
};

/// A task rule as `policies.rules` holds it.
#[derive(serde::Serialize, serde::Deserialize)]
struct StoredRule {
    attribute: String,
    at_least: u32,
    title: String,
    detail: String,
}

#[derive(sqlx::FromRow)]
struct PolicyRow {
    policy_id: Uuid,
    title: String,
    issuer: String,
    reference: String,
    body: String,
    deadline: DateTime<Utc>,
    rules: Json<Vec<StoredRule>>,
    state: String,
    created_by: String,
    created_at: DateTime<Utc>,
    decomposed_at: Option<DateTime<Utc>>,
    items: i32,
}

impl TryFrom<PolicyRow> for Policy {
    type Error = UnknownStoredValue;

    fn try_from(r: PolicyRow) -> Result<Self, Self::Error> {
        let rules = r
            .rules
            .0
            .into_iter()
            .map(|rule| {
                Ok(TaskRule {
                    attribute: parse_stored(
                        "policies",
                        "rules.attribute",
                        &rule.attribute,
                        VillageAttribute::parse,
                    )?,
                    at_least: rule.at_least,
                    title: rule.title,
                    detail: rule.detail,
                })
            })
            .collect::<Result<_, UnknownStoredValue>>()?;
        Ok(Policy {
            id: PolicyId(r.policy_id),
            title: r.title,
            issuer: r.issuer,
            reference: r.reference,
            text: r.body,
            deadline: r.deadline,
            rules,
            state: parse_stored("policies", "state", &r.state, PolicyState::parse)?,
            created_by: r.created_by,
            created_at: r.created_at,
            decomposed_at: r.decomposed_at,
            items: stored_count("policies", "items", r.items)?,
        })
    }
}

const POLICY_COLUMNS: &str = "policy_id, title, issuer, reference, body, deadline, rules, state, created_by, created_at, decomposed_at, items";

/// Stores a new policy.
///
/// # Errors
/// The database failing.
pub async fn insert_policy(conn: &mut PgConnection, policy: &Policy) -> Result<(), sqlx::Error> {
    let rules: Vec<StoredRule> = policy
        .rules
        .iter()
        .map(|r| StoredRule {
            attribute: r.attribute.as_str().to_owned(),
            at_least: r.at_least,
            title: r.title.clone(),
            detail: r.detail.clone(),
        })
        .collect();
    sqlx::query(
        "INSERT INTO policies (policy_id, title, issuer, reference, body, deadline, rules, state, created_by, created_at, items)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 0)",
    )
    .bind(policy.id.0)
    .bind(&policy.title)
    .bind(&policy.issuer)
    .bind(&policy.reference)
    .bind(&policy.text)
    .bind(policy.deadline)
    .bind(Json(rules))
    .bind(policy.state.as_str())
    .bind(&policy.created_by)
    .bind(policy.created_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// Returns policy `id` (its row locked when `for_update`).
///
/// # Errors
/// A stored value this version does not know; the database failing.
pub async fn load_policy(
    conn: &mut PgConnection,
    id: PolicyId,
    for_update: bool,
) -> Result<Option<Policy>, sqlx::Error> {
    let lock = if for_update { " FOR UPDATE" } else { "" };
    let row: Option<PolicyRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {POLICY_COLUMNS} FROM policies WHERE policy_id = $1{lock}"
    )))
    .bind(id.0)
    .fetch_optional(conn)
    .await?;
    row.map(decode).transpose()
}

/// Returns the newest `limit` policies.
///
/// # Errors
/// A stored value this version does not know; the database failing.
pub async fn list_policies(
    conn: &mut PgConnection,
    limit: i64,
) -> Result<Vec<Policy>, sqlx::Error> {
    let rows: Vec<PolicyRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {POLICY_COLUMNS} FROM policies ORDER BY created_at DESC, policy_id DESC LIMIT $1"
    )))
    .bind(limit)
    .fetch_all(conn)
    .await?;
    decode_all(rows)
}

/// Stores a policy broken into its items: its state, when and how many.
///
/// # Errors
/// The database failing.
pub async fn save_decomposed(conn: &mut PgConnection, policy: &Policy) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE policies SET state = $2, decomposed_at = $3, items = $4 WHERE policy_id = $1",
    )
    .bind(policy.id.0)
    .bind(policy.state.as_str())
    .bind(policy.decomposed_at)
    .bind(i32::try_from(policy.items).unwrap_or(i32::MAX))
    .execute(conn)
    .await?;
    Ok(())
}

#[derive(sqlx::FromRow)]
struct ItemRow {
    item_id: Uuid,
    policy_id: Uuid,
    policy_title: String,
    grid_code: String,
    grid_name: String,
    attribute: String,
    count: i32,
    title: String,
    detail: String,
    deadline: DateTime<Utc>,
    chief: String,
    state: String,
    verified_by: Option<String>,
    verified_at: Option<DateTime<Utc>>,
    verification_note: Option<String>,
    closed_by: Option<String>,
    closed_at: Option<DateTime<Utc>>,
    close_note: Option<String>,
    created_at: DateTime<Utc>,
}

impl TryFrom<ItemRow> for WorkItem {
    type Error = UnknownStoredValue;

    fn try_from(r: ItemRow) -> Result<Self, Self::Error> {
        let verification = match (r.verified_by, r.verified_at) {
            (Some(by), Some(at)) => Some(Verification {
                by,
                at,
                note: r.verification_note.unwrap_or_default(),
            }),
            _ => None,
        };
        let closure = match (r.closed_by, r.closed_at) {
            (Some(by), Some(at)) => Some(Closure {
                by,
                at,
                note: r.close_note.unwrap_or_default(),
            }),
            _ => None,
        };
        Ok(WorkItem {
            id: WorkItemId(r.item_id),
            policy_id: PolicyId(r.policy_id),
            policy_title: r.policy_title,
            grid_code: r.grid_code,
            grid_name: r.grid_name,
            attribute: parse_stored(
                "work_items",
                "attribute",
                &r.attribute,
                VillageAttribute::parse,
            )?,
            count: stored_count("work_items", "count", r.count)?,
            title: r.title,
            detail: r.detail,
            deadline: r.deadline,
            chief: r.chief,
            state: parse_stored("work_items", "state", &r.state, WorkItemState::parse)?,
            reports: Vec::new(),
            verification,
            closure,
            created_at: r.created_at,
        })
    }
}

#[derive(sqlx::FromRow)]
struct ReportRow {
    item_id: Uuid,
    percent: i32,
    note: String,
    done: bool,
    reported_by: String,
    reported_at: DateTime<Utc>,
}

const ITEM_COLUMNS: &str = "w.item_id, w.policy_id, p.title AS policy_title, w.grid_code, w.grid_name, w.attribute, w.count, w.title, w.detail, w.deadline, w.chief, w.state, w.verified_by, w.verified_at, w.verification_note, w.closed_by, w.closed_at, w.close_note, w.created_at";

/// Stores the items a policy was broken into.
///
/// # Errors
/// The database failing.
pub async fn insert_items(conn: &mut PgConnection, items: &[WorkItem]) -> Result<(), sqlx::Error> {
    // One statement per 1000 items keeps far below PostgreSQL's bind limit.
    for chunk in items.chunks(1000) {
        let mut insert = QueryBuilder::new(
            "INSERT INTO work_items (item_id, policy_id, grid_code, grid_name, attribute, count, title, detail, deadline, chief, state, created_at) ",
        );
        insert.push_values(chunk, |mut row, item| {
            row.push_bind(item.id.0)
                .push_bind(item.policy_id.0)
                .push_bind(&item.grid_code)
                .push_bind(&item.grid_name)
                .push_bind(item.attribute.as_str())
                .push_bind(i32::try_from(item.count).unwrap_or(i32::MAX))
                .push_bind(&item.title)
                .push_bind(&item.detail)
                .push_bind(item.deadline)
                .push_bind(&item.chief)
                .push_bind(item.state.as_str())
                .push_bind(item.created_at);
        });
        insert.build().execute(&mut *conn).await?;
    }
    Ok(())
}

/// Returns work item `id` with its reports (its row locked when
/// `for_update`).
///
/// # Errors
/// A stored value this version does not know; the database failing.
pub async fn load_item(
    conn: &mut PgConnection,
    id: WorkItemId,
    for_update: bool,
) -> Result<Option<WorkItem>, sqlx::Error> {
    let lock = if for_update { " FOR UPDATE OF w" } else { "" };
    let row: Option<ItemRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {ITEM_COLUMNS} FROM work_items w JOIN policies p USING (policy_id)
         WHERE w.item_id = $1{lock}"
    )))
    .bind(id.0)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(row) = row else { return Ok(None) };
    let mut items = vec![decode(row)?];
    attach_reports(conn, &mut items).await?;
    Ok(items.pop())
}

/// Which work items to list.
#[derive(Debug, Clone, Default)]
pub struct ItemFilter {
    pub grid_code: Option<String>,
    pub chief: Option<String>,
    pub policy: Option<PolicyId>,
    /// Deadlines in [from, to).
    pub due: Option<(DateTime<Utc>, DateTime<Utc>)>,
    pub limit: i64,
}

/// Returns the work items `filter` asks for, by deadline then grid, each
/// with its reports.
///
/// # Errors
/// A stored value this version does not know; the database failing.
pub async fn list_items(
    conn: &mut PgConnection,
    filter: &ItemFilter,
) -> Result<Vec<WorkItem>, sqlx::Error> {
    let mut query = QueryBuilder::new(format!(
        "SELECT {ITEM_COLUMNS} FROM work_items w JOIN policies p USING (policy_id) WHERE true"
    ));
    if let Some(grid) = &filter.grid_code {
        query.push(" AND w.grid_code = ").push_bind(grid);
    }
    if let Some(chief) = &filter.chief {
        query.push(" AND w.chief = ").push_bind(chief);
    }
    if let Some(policy) = filter.policy {
        query.push(" AND w.policy_id = ").push_bind(policy.0);
    }
    if let Some((from, to)) = filter.due {
        query
            .push(" AND w.deadline >= ")
            .push_bind(from)
            .push(" AND w.deadline < ")
            .push_bind(to);
    }
    query
        .push(" ORDER BY w.deadline, w.grid_code, w.attribute LIMIT ")
        .push_bind(filter.limit);
    let rows: Vec<ItemRow> = query.build_query_as().fetch_all(&mut *conn).await?;
    let mut items = decode_all(rows)?;
    attach_reports(conn, &mut items).await?;
    Ok(items)
}

/// Fills in each item's reports, oldest first.
async fn attach_reports(
    conn: &mut PgConnection,
    items: &mut [WorkItem],
) -> Result<(), sqlx::Error> {
    if items.is_empty() {
        return Ok(());
    }
    let ids: Vec<Uuid> = items.iter().map(|i| i.id.0).collect();
    let rows: Vec<ReportRow> = sqlx::query_as(
        "SELECT item_id, percent, note, done, reported_by, reported_at FROM work_item_reports
         WHERE item_id = ANY($1) ORDER BY item_id, seq",
    )
    .bind(&ids)
    .fetch_all(conn)
    .await?;
    for row in rows {
        let report = ProgressReport {
            percent: stored_count("work_item_reports", "percent", row.percent)
                .map_err(sqlx::Error::from)?,
            note: row.note,
            done: row.done,
            by: row.reported_by,
            at: row.reported_at,
        };
        if let Some(item) = items.iter_mut().find(|i| i.id.0 == row.item_id) {
            item.reports.push(report);
        }
    }
    Ok(())
}

/// Stores a work item's state, verification and closure, and appends the
/// reports it has beyond the `stored` ones.
///
/// # Errors
/// The database failing.
pub async fn save_item(
    conn: &mut PgConnection,
    item: &WorkItem,
    stored: usize,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE work_items SET state = $2, verified_by = $3, verified_at = $4, verification_note = $5,
             closed_by = $6, closed_at = $7, close_note = $8
         WHERE item_id = $1",
    )
    .bind(item.id.0)
    .bind(item.state.as_str())
    .bind(item.verification.as_ref().map(|v| &v.by))
    .bind(item.verification.as_ref().map(|v| v.at))
    .bind(item.verification.as_ref().map(|v| &v.note))
    .bind(item.closure.as_ref().map(|c| &c.by))
    .bind(item.closure.as_ref().map(|c| c.at))
    .bind(item.closure.as_ref().map(|c| &c.note))
    .execute(&mut *conn)
    .await?;
    for (seq, report) in item.reports.iter().enumerate().skip(stored) {
        sqlx::query(
            "INSERT INTO work_item_reports (item_id, seq, percent, note, done, reported_by, reported_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(item.id.0)
        .bind(i32::try_from(seq + 1).unwrap_or(i32::MAX))
        .bind(i32::try_from(report.percent).unwrap_or(100))
        .bind(&report.note)
        .bind(report.done)
        .bind(&report.by)
        .bind(report.at)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}
