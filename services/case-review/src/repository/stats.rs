//! The facts the statistics are computed from.

use chrono::{DateTime, Utc};
use platform::error::UnknownStoredValue;
use sqlx::PgConnection;

use super::{decode_all, parse_stored};
use crate::domain::decision::Outcome;
use crate::domain::review::ReviewKind;
use crate::domain::stats::ReviewFacts;

#[derive(sqlx::FromRow)]
struct FactsRow {
    kind: String,
    opened_at: DateTime<Utc>,
    first_opinion_at: Option<DateTime<Utc>>,
    decided_at: Option<DateTime<Utc>>,
    outcome: Option<String>,
}

impl TryFrom<FactsRow> for ReviewFacts {
    type Error = UnknownStoredValue;

    fn try_from(r: FactsRow) -> Result<Self, Self::Error> {
        Ok(ReviewFacts {
            kind: parse_stored("reviews", "kind", &r.kind, ReviewKind::parse)?,
            opened_at: r.opened_at,
            first_opinion_at: r.first_opinion_at,
            decided_at: r.decided_at,
            outcome: r
                .outcome
                .map(|o| parse_stored("decisions", "outcome", &o, Outcome::parse))
                .transpose()?,
        })
    }
}

/// Returns the facts of the reviews opened in [from, to).
///
/// # Errors
/// The database fails, or a stored value is unknown.
pub async fn facts(
    conn: &mut PgConnection,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<ReviewFacts>, sqlx::Error> {
    let rows: Vec<FactsRow> = sqlx::query_as(
        "SELECT r.kind, r.opened_at,
                (SELECT min(o.signed_at) FROM opinions o WHERE o.review_id = r.review_id) AS first_opinion_at,
                d.decided_at, d.outcome
         FROM reviews r LEFT JOIN decisions d ON d.review_id = r.review_id
         WHERE r.opened_at >= $1 AND r.opened_at < $2",
    )
    .bind(from)
    .bind(to)
    .fetch_all(conn)
    .await?;
    decode_all(rows)
}

/// Returns the conflicts found in assignments for reviews opened in
/// [from, to), by rule.
///
/// # Errors
/// The database fails.
pub async fn conflicts(
    conn: &mut PgConnection,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<(String, i64)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT c.rule, count(*) FROM conflicts_found c JOIN reviews r ON r.review_id = c.review_id
         WHERE r.opened_at >= $1 AND r.opened_at < $2 GROUP BY c.rule ORDER BY c.rule",
    )
    .bind(from)
    .bind(to)
    .fetch_all(conn)
    .await
}
