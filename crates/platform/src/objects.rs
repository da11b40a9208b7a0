//! Object storage through the `object_store` crate, configured alike in
//! every service that keeps files (the edge's report photos, video's
//! evidence clips): a local directory by default, S3-compatible storage in
//! production (`store = "s3"`, with the `s3` feature; credentials from the
//! standard `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY` variables).

use std::path::PathBuf;
use std::sync::Arc;

use object_store::ObjectStore;
use serde::Deserialize;

use crate::config::Violations;

/// Where files go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StoreKind {
    Local,
    S3,
}

/// The store of a service's section (`[photos]`, `[evidence]`), flattened
/// into it: `store`, `local_dir`, `s3_bucket`, `s3_endpoint`, `s3_region`.
#[derive(Debug, Clone, Deserialize)]
pub struct StoreConfig {
    pub store: StoreKind,
    pub local_dir: PathBuf,
    pub s3_bucket: String,
    pub s3_endpoint: String,
    pub s3_region: String,
}

impl StoreConfig {
    /// Records what is wrong with the store of section `section`.
    pub fn validate(&self, section: &str, v: &mut Violations) {
        match self.store {
            StoreKind::Local => v.check(
                !self.local_dir.as_os_str().is_empty(),
                &format!("{section}.local_dir"),
                &format!("must not be empty when {section}.store is local"),
            ),
            StoreKind::S3 => {
                v.check(
                    !self.s3_bucket.is_empty(),
                    &format!("{section}.s3_bucket"),
                    &format!("is required when {section}.store is s3"),
                );
                v.check(
                    cfg!(feature = "s3"),
                    &format!("{section}.store"),
                    "is s3, but this binary was built without the `s3` feature",
                );
            }
        }
    }

    /// Returns the store configured (making the local directory).
    ///
    /// # Errors
    /// The directory cannot be made, or the S3 settings are unusable.
    pub fn open(&self) -> anyhow::Result<Arc<dyn ObjectStore>> {
        match self.store {
            StoreKind::Local => Ok(local(&self.local_dir)?),
            StoreKind::S3 => s3(self),
        }
    }
}

/// Returns the store over the local directory `dir` (made if missing).
///
/// # Errors
/// The directory cannot be made or read.
pub fn local(dir: &std::path::Path) -> anyhow::Result<Arc<dyn ObjectStore>> {
    std::fs::create_dir_all(dir)?;
    Ok(Arc::new(
        object_store::local::LocalFileSystem::new_with_prefix(dir)?,
    ))
}

#[cfg(feature = "s3")]
fn s3(config: &StoreConfig) -> anyhow::Result<Arc<dyn ObjectStore>> {
    let mut builder = object_store::aws::AmazonS3Builder::from_env()
        .with_bucket_name(&config.s3_bucket)
        .with_region(&config.s3_region);
    if !config.s3_endpoint.is_empty() {
        builder = builder.with_endpoint(&config.s3_endpoint);
    }
    Ok(Arc::new(builder.build()?))
}

#[cfg(not(feature = "s3"))]
fn s3(_config: &StoreConfig) -> anyhow::Result<Arc<dyn ObjectStore>> {
    anyhow::bail!("the store is s3, but this binary was built without the `s3` feature")
}
