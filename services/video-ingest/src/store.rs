//! The evidence store: clip files in object storage (`object_store`
//! through `platform::objects`: a local directory by default,
//! S3-compatible storage in production), each hashed as it is written and
//! as it is read back.

use std::sync::Arc;

use bytes::Bytes;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt as _};
use sha2::{Digest as _, Sha256};

/// What the store failed at.
#[derive(Debug, thiserror::Error)]
#[error("the evidence store failed at {key}: {source}")]
pub struct StoreError {
    pub key: String,
    #[source]
    pub source: object_store::Error,
}

/// A file as stored: its size and SHA-256.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stored {
    pub size_bytes: u64,
    pub sha256: [u8; 32],
}

/// Returns the size and SHA-256 of `content`.
pub fn measure(content: &[u8]) -> Stored {
    Stored {
        size_bytes: content.len() as u64,
        sha256: Sha256::digest(content).into(),
    }
}

/// The evidence store.
#[derive(Clone)]
pub struct EvidenceStore {
    store: Arc<dyn ObjectStore>,
}

impl EvidenceStore {
    /// Returns the evidence store over `store`.
    pub fn new(store: Arc<dyn ObjectStore>) -> Self {
        Self { store }
    }

    /// Writes `content` at `key`; returns its size and hash.
    ///
    /// # Errors
    /// The store fails.
    pub async fn put(&self, key: &str, content: Bytes) -> Result<Stored, StoreError> {
        let stored = measure(&content);
        self.store
            .put(&Path::from(key), content.into())
            .await
            .map_err(|source| StoreError {
                key: key.to_owned(),
                source,
            })?;
        Ok(stored)
    }

    /// Returns the object at `key`, or `None` when there is none.
    ///
    /// # Errors
    /// The store fails.
    pub async fn get(&self, key: &str) -> Result<Option<Bytes>, StoreError> {
        let failed = |source| StoreError {
            key: key.to_owned(),
            source,
        };
        match self.store.get(&Path::from(key)).await {
            Ok(found) => Ok(Some(found.bytes().await.map_err(failed)?)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(err) => Err(failed(err)),
        }
    }

    /// Deletes the object at `key` (none there is no error).
    ///
    /// # Errors
    /// The store fails.
    pub async fn delete(&self, key: &str) -> Result<(), StoreError> {
        match self.store.delete(&Path::from(key)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(source) => Err(StoreError {
                key: key.to_owned(),
                source,
            }),
        }
    }
}
