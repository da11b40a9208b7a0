//! Purging the platform's bookkeeping rows once they can no longer matter:
//! published outbox rows, handled inbox ids and idempotency keys, each after
//! its configured retention.

use std::time::Duration;

use sqlx::PgPool;

use crate::config::RetentionConfig;

/// How many rows one pass purged.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Purged {
    pub outbox: u64,
    pub inbox: u64,
    pub idempotency_keys: u64,
}

impl Purged {
    /// Returns the rows purged in all.
    pub fn total(&self) -> u64 {
        self.outbox + self.inbox + self.idempotency_keys
    }
}

fn seconds(d: Duration) -> f64 {
    d.as_secs_f64()
}

/// Deletes the rows older than `retention`. Unpublished and dead outbox rows
/// are never purged.
///
/// # Errors
/// The database fails.
pub async fn purge(pool: &PgPool, retention: &RetentionConfig) -> Result<Purged, sqlx::Error> {
    let outbox =
        sqlx::query("DELETE FROM outbox WHERE published_at < now() - make_interval(secs => $1)")
            .bind(seconds(retention.outbox))
            .execute(pool)
            .await?
            .rows_affected();
    let inbox =
        sqlx::query("DELETE FROM inbox WHERE handled_at < now() - make_interval(secs => $1)")
            .bind(seconds(retention.inbox))
            .execute(pool)
            .await?
            .rows_affected();
    let idempotency_keys = sqlx::query(
        "DELETE FROM idempotency_keys WHERE created_at < now() - make_interval(secs => $1)",
    )
    .bind(seconds(retention.idempotency_keys))
    .execute(pool)
    .await?
    .rows_affected();
    Ok(Purged {
        outbox,
        inbox,
        idempotency_keys,
    })
}
