//! Idempotency keys: a mutating call retried with the same key does its work
//! once. The key row, the state change and the event commit together, in
//! the unit of work ([`crate::uow`]), the only caller of this module.

use prost::Message;
use sha2::{Digest, Sha256};
use sqlx::PgConnection;

/// Identifies one mutating call.
#[derive(Debug, Clone)]
pub struct IdempotencyKey {
    caller: String,
    key: String,
    rpc: String,
    request_hash: Vec<u8>,
}

impl IdempotencyKey {
    /// Returns who called.
    pub(crate) fn caller(&self) -> &str {
        &self.caller
    }

    /// Returns the client's key.
    pub(crate) fn key(&self) -> &str {
        &self.key
    }

    /// Returns the key of `rpc` called by `caller` with client key `key` and
    /// `request` (its encoding is hashed, so a different request under the
    /// same key is detected). An empty `key` means the call is not
    /// idempotent by key.
    pub fn new(
        caller: &str,
        rpc: impl Into<String>,
        key: &str,
        request: &impl Message,
    ) -> Option<Self> {
        if key.is_empty() {
            return None;
        }
        let request_hash = Sha256::digest(request.encode_to_vec()).to_vec();
        Some(Self {
            caller: caller.to_owned(),
            key: key.to_owned(),
            rpc: rpc.into(),
            request_hash,
        })
    }
}

/// Why a key cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum IdempotencyError {
    /// The key was used for another request.
    #[error("idempotency key {key:?} was already used for a different {rpc} request")]
    KeyReused { key: String, rpc: String },
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    #[error("stored response cannot be decoded: {0}")]
    Decode(#[from] prost::DecodeError),
}

/// Starts an idempotent call inside `conn`'s transaction. Returns the saved
/// response when the same call already committed; `None` means "do the
/// work". A duplicate arriving while the first is in flight waits on the
/// row lock, then replays.
///
/// # Errors
/// The key was used for a different request, or the database failed.
pub(crate) async fn begin<R: Message + Default>(
    conn: &mut PgConnection,
    key: &IdempotencyKey,
) -> Result<Option<R>, IdempotencyError> {
    let inserted = sqlx::query(
        "INSERT INTO idempotency_keys (caller_id, idempotency_key, rpc, request_hash)
         VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
    )
    .bind(&key.caller)
    .bind(&key.key)
    .bind(&key.rpc)
    .bind(&key.request_hash)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if inserted == 1 {
        return Ok(None);
    }
    let (rpc, hash, response): (String, Vec<u8>, Option<Vec<u8>>) = sqlx::query_as(
        "SELECT rpc, request_hash, response FROM idempotency_keys WHERE caller_id = $1 AND idempotency_key = $2",
    )
    .bind(&key.caller)
    .bind(&key.key)
    .fetch_one(&mut *conn)
    .await?;
    match response {
        Some(bytes) if rpc == key.rpc && hash == key.request_hash => {
            Ok(Some(R::decode(bytes.as_slice())?))
        }
        _ => Err(IdempotencyError::KeyReused {
            key: key.key.clone(),
            rpc: key.rpc.clone(),
        }),
    }
}
