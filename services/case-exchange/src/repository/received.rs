//! Envelopes taken in, by sender and message id: a retransmit gets the
//! receipt it got the first time.

use chrono::{DateTime, Utc};
use platform::error::UnknownStoredValue;
use sqlx::PgConnection;

use super::{decode_optional, hash};
use crate::domain::envelope::Hash;
use crate::domain::ids::MessageId;

/// What was kept of an envelope taken in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
    pub envelope_hash: Hash,
    pub received_at: DateTime<Utc>,
    pub receipt_signature: Vec<u8>,
}

#[derive(sqlx::FromRow)]
struct ReceivedRow {
    envelope_hash: Vec<u8>,
    received_at: DateTime<Utc>,
    receipt_signature: Vec<u8>,
}

impl TryFrom<ReceivedRow> for Received {
    type Error = UnknownStoredValue;

    fn try_from(row: ReceivedRow) -> Result<Self, Self::Error> {
        Ok(Received {
            envelope_hash: hash("received_messages", "envelope_hash", &row.envelope_hash)?,
            received_at: row.received_at,
            receipt_signature: row.receipt_signature,
        })
    }
}

/// Returns what was taken in from `sender` as `id`, if anything.
pub async fn find(
    conn: &mut PgConnection,
    sender: &str,
    id: MessageId,
) -> Result<Option<Received>, sqlx::Error> {
    let row: Option<ReceivedRow> = sqlx::query_as(
        "SELECT envelope_hash, received_at, receipt_signature FROM received_messages
         WHERE sender = $1 AND message_id = $2",
    )
    .bind(sender)
    .bind(id.0)
    .fetch_optional(conn)
    .await?;
    decode_optional(row)
}

/// Records the envelope `id` from `sender`. Returns false when it was
/// there already (a retransmit racing this one).
pub async fn insert(
    conn: &mut PgConnection,
    sender: &str,
    id: MessageId,
    received: &Received,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "INSERT INTO received_messages (sender, message_id, envelope_hash, received_at, receipt_signature)
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
    )
    .bind(sender)
    .bind(id.0)
    .bind(&received.envelope_hash[..])
    .bind(received.received_at)
    .bind(&received.receipt_signature)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}
