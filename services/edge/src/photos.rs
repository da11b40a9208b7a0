//! Report photos in object storage (`object_store`: a local directory by
//! default, S3-compatible storage in production). A photo is checked before
//! anything is stored: its size while it is read (a larger one is cut off),
//! its type from its first bytes (JPEG, PNG or WebP, whatever the upload
//! claims). It is stored under its SHA-256 (`photos/<hex>`), so the same
//! picture twice is one object, and the report keeps the hash, type and
//! size (points' `Photo`).

use std::sync::Arc;

use bytes::Bytes;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt as _};
use sha2::{Digest as _, Sha256};

use crate::config::PhotosConfig;
use crate::error::ApiError;

/// A stored photo, as a report refers to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredPhoto {
    pub sha256: String,
    pub content_type: &'static str,
    pub size_bytes: u64,
}

/// The photo store with its limits.
#[derive(Clone)]
pub struct Photos {
    store: Arc<dyn ObjectStore>,
    pub max_bytes: u64,
    pub max_count: usize,
}

/// Returns the image type `head` (a file's first bytes) shows, if it is one
/// of the accepted ones.
pub fn sniff(head: &[u8]) -> Option<&'static str> {
    if head.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if head.starts_with(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A]) {
        Some("image/png")
    } else if head.len() >= 12 && &head[..4] == b"RIFF" && &head[8..12] == b"WEBP" {
        Some("image/webp")
    } else {
        None
    }
}

/// Returns whether `text` is a SHA-256 in lowercase hex.
pub fn is_sha256(text: &str) -> bool {
    text.len() == 64
        && text
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

fn path_of(sha256: &str) -> Path {
    Path::from(format!("photos/{sha256}"))
}

impl Photos {
    /// Returns the store `config` names.
    ///
    /// # Errors
    /// The directory cannot be made, or the S3 settings are unusable.
    pub fn from_config(config: &PhotosConfig) -> anyhow::Result<Self> {
        Ok(Self::new(
            config.storage.open()?,
            config.max_bytes,
            config.max_count,
        ))
    }

    /// Returns photos in `store` with these limits.
    pub fn new(store: Arc<dyn ObjectStore>, max_bytes: u64, max_count: usize) -> Self {
        Self {
            store,
            max_bytes,
            max_count,
        }
    }

    /// Checks `content` (type by its bytes, size) and stores it under its
    /// hash; `field` names it in a refusal.
    ///
    /// # Errors
    /// INVALID_ARGUMENT for an empty, oversized or non-image photo (nothing
    /// is stored); UNAVAILABLE when the store fails.
    pub async fn put(&self, field: &str, content: Bytes) -> Result<StoredPhoto, ApiError> {
        let photo = self.check(field, &content)?;
        self.store
            .put(&path_of(&photo.sha256), content.into())
            .await
            .map_err(|err| {
                tracing::warn!(error = %err, "photo store failed");
                ApiError::unavailable("the photo store is not reachable; try again")
            })?;
        tracing::info!(sha256 = %photo.sha256, size_bytes = photo.size_bytes, "photo stored");
        Ok(photo)
    }

    /// Checks `content` without storing it.
    ///
    /// # Errors
    /// INVALID_ARGUMENT naming `field` and the rule.
    pub fn check(&self, field: &str, content: &[u8]) -> Result<StoredPhoto, ApiError> {
        if content.is_empty() {
            return Err(ApiError::field(field, "must not be empty"));
        }
        self.check_size(field, content.len() as u64)?;
        let content_type = sniff(content)
            .ok_or_else(|| ApiError::field(field, "must be a JPEG, PNG or WebP image"))?;
        Ok(StoredPhoto {
            sha256: hex::encode(Sha256::digest(content)),
            content_type,
            size_bytes: content.len() as u64,
        })
    }

    /// Refuses a photo of `size` bytes over the limit.
    ///
    /// # Errors
    /// INVALID_ARGUMENT naming `field`.
    pub fn check_size(&self, field: &str, size: u64) -> Result<(), ApiError> {
        if size > self.max_bytes {
            return Err(ApiError::field(
                field,
                format!("must be at most {} bytes", self.max_bytes),
            ));
        }
        Ok(())
    }

    /// Returns the stored photo `sha256`, read back from the store (its
    /// type from its first bytes), or `None` when there is none.
    ///
    /// # Errors
    /// UNAVAILABLE when the store fails.
    pub async fn find(&self, sha256: &str) -> Result<Option<StoredPhoto>, ApiError> {
        let path = path_of(sha256);
        let unavailable = |err: object_store::Error| {
            tracing::warn!(error = %err, "photo store failed");
            ApiError::unavailable("the photo store is not reachable; try again")
        };
        let meta = match self.store.head(&path).await {
            Ok(meta) => meta,
            Err(object_store::Error::NotFound { .. }) => return Ok(None),
            Err(err) => return Err(unavailable(err)),
        };
        let head = self
            .store
            .get_range(&path, 0..meta.size.min(16))
            .await
            .map_err(unavailable)?;
        Ok(sniff(&head).map(|content_type| StoredPhoto {
            sha256: sha256.to_owned(),
            content_type,
            size_bytes: meta.size,
        }))
    }

    /// Returns how many photos are stored (for tests and operators).
    ///
    /// # Errors
    /// The store fails.
    pub async fn count(&self) -> anyhow::Result<usize> {
        use futures::TryStreamExt as _;
        let listed: Vec<_> = self
            .store
            .list(Some(&Path::from("photos")))
            .try_collect()
            .await?;
        Ok(listed.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The smallest PNG signature followed by a header chunk's start.
    const PNG: &[u8] = &[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13];

    fn photos() -> Photos {
        Photos::new(Arc::new(object_store::memory::InMemory::new()), 64, 3)
    }

    #[test]
    fn images_are_known_by_their_bytes_not_by_what_they_claim() {
        assert_eq!(sniff(PNG), Some("image/png"));
        assert_eq!(sniff(&[0xFF, 0xD8, 0xFF, 0xE0]), Some("image/jpeg"));
        assert_eq!(sniff(b"RIFF\x10\0\0\0WEBPVP8 "), Some("image/webp"));
        assert_eq!(sniff(b"GIF89a"), None);
        assert_eq!(sniff(b"<svg xmlns="), None);
    }

    #[tokio::test]
    async fn a_photo_is_stored_under_its_hash_and_found_again() {
        let photos = photos();
        let stored = photos.put("photo", Bytes::from_static(PNG)).await.unwrap();
        assert!(is_sha256(&stored.sha256));
        assert_eq!(photos.find(&stored.sha256).await.unwrap(), Some(stored));
        assert_eq!(photos.find(&"0".repeat(64)).await.unwrap(), None);
    }

    #[tokio::test]
    async fn an_oversized_or_foreign_file_is_refused_and_nothing_is_stored() {
        let photos = photos();
        let mut big = PNG.to_vec();
        big.resize(65, 0);
        let err = photos.put("photo", big.into()).await.unwrap_err();
        assert_eq!(err.fields[0].field, "photo");
        let err = photos
            .put("photo", Bytes::from_static(b"%PDF-1.7"))
            .await
            .unwrap_err();
        assert!(err.fields[0].rule.contains("JPEG"), "{:?}", err.fields);
        assert_eq!(photos.count().await.unwrap(), 0);
    }
}
