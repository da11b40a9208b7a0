//! Envelopes the peer port refused.

use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

/// One refusal, as recorded.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct RefusalRecord {
    pub message_id: String,
    pub claimed_sender: String,
    pub reason: String,
    pub detail: String,
    pub refused_at: DateTime<Utc>,
}

/// Records a refusal.
pub async fn insert(conn: &mut PgConnection, refusal: &RefusalRecord) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO refusals (refusal_id, message_id, claimed_sender, reason, detail, refused_at)
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(Uuid::now_v7())
    .bind(&refusal.message_id)
    .bind(&refusal.claimed_sender)
    .bind(&refusal.reason)
    .bind(&refusal.detail)
    .bind(refusal.refused_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// Returns the latest refusals, newest first.
pub async fn list(conn: &mut PgConnection, limit: u32) -> Result<Vec<RefusalRecord>, sqlx::Error> {
    sqlx::query_as(
        "SELECT message_id, claimed_sender, reason, detail, refused_at FROM refusals
         ORDER BY refused_at DESC, refusal_id DESC LIMIT $1",
    )
    .bind(i64::from(limit))
    .fetch_all(conn)
    .await
}
