//! The delivery queue: outgoing envelopes, in order per peer.

use chrono::{DateTime, Utc};
use platform::error::UnknownStoredValue;
use sqlx::PgConnection;
use uuid::Uuid;

use super::{decode, decode_all, decode_optional, unsigned};
use crate::domain::delivery::{Delivery, DeliveryState};
use crate::domain::envelope::{Hash, MessageType};
use crate::domain::ids::MessageId;

#[derive(sqlx::FromRow)]
struct DeliveryRow {
    message_id: Uuid,
    peer: String,
    message_type: String,
    shared_case_id: String,
    state: String,
    attempts: i32,
    created_at: DateTime<Utc>,
    received_at: Option<DateTime<Utc>>,
    answered_at: Option<DateTime<Utc>>,
    cause: String,
    warned: bool,
}

impl TryFrom<DeliveryRow> for Delivery {
    type Error = UnknownStoredValue;

    fn try_from(row: DeliveryRow) -> Result<Self, Self::Error> {
        Ok(Delivery {
            message_id: MessageId(row.message_id),
            peer: row.peer,
            message_type: MessageType::parse(&row.message_type).ok_or_else(|| {
                UnknownStoredValue::new("deliveries", "message_type", &row.message_type)
            })?,
            shared_case_id: row.shared_case_id,
            state: DeliveryState::parse(&row.state)
                .ok_or_else(|| UnknownStoredValue::new("deliveries", "state", &row.state))?,
            attempts: unsigned(row.attempts),
            created_at: row.created_at,
            received_at: row.received_at,
            answered_at: row.answered_at,
            cause: row.cause,
            warned: row.warned,
        })
    }
}

const COLUMNS: &str = "message_id, peer, message_type, shared_case_id, state, attempts, created_at, \
     received_at, answered_at, cause, warned";

/// Queues `delivery`, whose signed envelope is `wire` with hash `hash`.
#[tracing::instrument(skip_all, fields(message_id = %delivery.message_id))]
pub async fn insert(
    conn: &mut PgConnection,
    delivery: &Delivery,
    wire: &[u8],
    hash: &Hash,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO deliveries (message_id, peer, message_type, shared_case_id, wire, envelope_hash,
             state, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(delivery.message_id.0)
    .bind(&delivery.peer)
    .bind(delivery.message_type.as_str())
    .bind(&delivery.shared_case_id)
    .bind(wire)
    .bind(&hash[..])
    .bind(delivery.state.as_str())
    .bind(delivery.created_at)
    .execute(conn)
    .await?;
    Ok(())
}

/// Returns the oldest pending delivery for `peer` and its signed envelope:
/// what goes next, in order.
pub async fn next_pending(
    conn: &mut PgConnection,
    peer: &str,
) -> Result<Option<(Delivery, Vec<u8>)>, sqlx::Error> {
    #[derive(sqlx::FromRow)]
    struct Next {
        #[sqlx(flatten)]
        delivery: DeliveryRow,
        wire: Vec<u8>,
    }
    let row: Option<Next> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS}, wire FROM deliveries WHERE peer = $1 AND state = 'PENDING' ORDER BY seq LIMIT 1"
    )))
    .bind(peer)
    .fetch_optional(conn)
    .await?;
    row.map(|next| Ok((decode(next.delivery)?, next.wire)))
        .transpose()
}

/// Returns the delivery `id`, locked for the caller's work.
pub async fn load_for_update(
    conn: &mut PgConnection,
    id: MessageId,
) -> Result<Option<Delivery>, sqlx::Error> {
    let row: Option<DeliveryRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM deliveries WHERE message_id = $1 FOR UPDATE"
    )))
    .bind(id.0)
    .fetch_optional(conn)
    .await?;
    decode_optional(row)
}

/// Returns the delivery whose envelope hashes to `hash`, locked: the one a
/// business answer answers.
pub async fn load_by_hash_for_update(
    conn: &mut PgConnection,
    hash: &Hash,
) -> Result<Option<Delivery>, sqlx::Error> {
    let row: Option<DeliveryRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM deliveries WHERE envelope_hash = $1 FOR UPDATE"
    )))
    .bind(&hash[..])
    .fetch_optional(conn)
    .await?;
    decode_optional(row)
}

/// Saves a delivery's state, times, cause and warning, with the peer's
/// receipt signature once there is one.
pub async fn save(
    conn: &mut PgConnection,
    delivery: &Delivery,
    receipt_signature: Option<&[u8]>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE deliveries SET state = $2, received_at = $3, answered_at = $4, cause = $5, warned = $6,
             receipt_signature = COALESCE($7, receipt_signature)
         WHERE message_id = $1",
    )
    .bind(delivery.message_id.0)
    .bind(delivery.state.as_str())
    .bind(delivery.received_at)
    .bind(delivery.answered_at)
    .bind(&delivery.cause)
    .bind(delivery.warned)
    .bind(receipt_signature)
    .execute(conn)
    .await?;
    Ok(())
}

/// Counts one more attempt at delivering `id`.
pub async fn count_attempt(conn: &mut PgConnection, id: MessageId) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE deliveries SET attempts = attempts + 1 WHERE message_id = $1")
        .bind(id.0)
        .execute(conn)
        .await?;
    Ok(())
}

/// Returns the ids of deliveries still waiting for an acknowledgement,
/// oldest first.
pub async fn open_ids(conn: &mut PgConnection, limit: u32) -> Result<Vec<MessageId>, sqlx::Error> {
    let ids: Vec<Uuid> = sqlx::query_scalar(
        "SELECT message_id FROM deliveries WHERE state IN ('PENDING', 'RECEIVED')
         ORDER BY created_at, seq LIMIT $1",
    )
    .bind(i64::from(limit))
    .fetch_all(conn)
    .await?;
    Ok(ids.into_iter().map(MessageId).collect())
}

/// Returns deliveries, newest first: to `peer` when given, in `states`
/// when any.
pub async fn list(
    conn: &mut PgConnection,
    peer: Option<&str>,
    states: &[DeliveryState],
    limit: u32,
) -> Result<Vec<Delivery>, sqlx::Error> {
    let states: Vec<&str> = states.iter().map(|s| s.as_str()).collect();
    let rows: Vec<DeliveryRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM deliveries
         WHERE ($1::text IS NULL OR peer = $1) AND (cardinality($2::text[]) = 0 OR state = ANY($2))
         ORDER BY seq DESC LIMIT $3"
    )))
    .bind(peer)
    .bind(&states)
    .bind(i64::from(limit))
    .fetch_all(conn)
    .await?;
    decode_all(rows)
}
