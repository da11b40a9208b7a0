//! The verification of evidence, online (VerifyEvidence, over one snapshot)
//! and offline (`weigrid video verify` over the database and the evidence
//! store an auditor is given, with no service running): the custody log's
//! chain, then each clip's manifest against the hash the log recorded and
//! each file against its SHA-256. It names the first broken link.

use std::collections::HashMap;

use kernel::chain::{self, Verdict};
use sqlx::PgConnection;

use crate::domain::custody::{Action, CustodyEntry, manifest_of};
use crate::domain::evidence::Clip;
use crate::domain::ids::ClipId;
use crate::repository::{clips, custody};
use crate::store::{EvidenceStore, StoreError, measure};

/// How many log entries one read takes.
const PAGE: i64 = 1000;

/// What the verification found of one clip.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClipCheck {
    pub clip_id: ClipId,
    /// The first problem, or `None` when the clip holds.
    pub problem: Option<String>,
}

/// What the verification found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// The custody log's chain.
    pub chain: Verdict,
    pub clips: Vec<ClipCheck>,
}

impl Report {
    /// Returns whether the log and every clip checked hold.
    pub fn intact(&self) -> bool {
        self.chain.broken.is_none() && self.clips.iter().all(|c| c.problem.is_none())
    }
}

/// Why the verification could not run.
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("clip {0} not found")]
    NoClip(ClipId),
}

/// Checks the custody log and clip `only` (every clip when `None`).
///
/// # Errors
/// The database or the store cannot be read, or the clip is not there.
pub async fn verify(
    conn: &mut PgConnection,
    store: &EvidenceStore,
    only: Option<ClipId>,
) -> Result<Report, AuditError> {
    let mut entries: Vec<CustodyEntry> = Vec::new();
    loop {
        let after = entries.last().map_or(0, |e| e.seq);
        let page = custody::page(conn, after, PAGE).await?;
        if page.is_empty() {
            break;
        }
        entries.extend(page);
    }
    let verdict = chain::verify(&entries);
    let recorded: HashMap<ClipId, (u64, [u8; 32])> = entries
        .iter()
        .filter(|e| e.record.action == Action::Recorded)
        .filter_map(|e| {
            let clip = e.record.clip_id?;
            Some((clip, (e.seq, manifest_of(&e.record.detail)?)))
        })
        .collect();
    let ids = match only {
        Some(id) => vec![id],
        None => clips::all_ids(conn).await?,
    };
    let mut checks = Vec::with_capacity(ids.len());
    for id in ids {
        let clip = clips::get(conn, id).await?.ok_or(AuditError::NoClip(id))?;
        let stored = clips::stored_manifest(conn, id).await?;
        let problem = check_clip(store, &clip, stored, recorded.get(&id).copied()).await?;
        checks.push(ClipCheck {
            clip_id: id,
            problem,
        });
    }
    Ok(Report {
        chain: verdict,
        clips: checks,
    })
}

/// Returns the first problem of `clip`: its manifest against the one
/// stored and the one the log recorded at `recorded`, then each file.
async fn check_clip(
    store: &EvidenceStore,
    clip: &Clip,
    stored: Option<[u8; 32]>,
    recorded: Option<(u64, [u8; 32])>,
) -> Result<Option<String>, StoreError> {
    let manifest = clip.manifest_hash();
    let Some((seq, logged)) = recorded else {
        return Ok(Some(
            "no RECORDED entry on the custody log names this clip".to_owned(),
        ));
    };
    if logged != manifest {
        return Ok(Some(format!(
            "its manifest (camera, window, files and their hashes) is not the one custody log entry {seq} recorded"
        )));
    }
    if stored != Some(manifest) {
        return Ok(Some(
            "the manifest hash stored with the clip does not match its manifest".to_owned(),
        ));
    }
    if clip.purged_at.is_some() {
        // The retention purge deleted the files, as the log says; the
        // manifest is what remains to check.
        return Ok(None);
    }
    for file in &clip.files {
        match store.get(&file.key).await? {
            None => {
                return Ok(Some(format!(
                    "file {} ({}) is missing from the evidence store",
                    file.name, file.key
                )));
            }
            Some(content) => {
                let found = measure(&content).sha256;
                if found != file.sha256 {
                    return Ok(Some(format!(
                        "file {} ({}) does not match its SHA-256 {}: the store holds bytes hashing to {}",
                        file.name,
                        file.key,
                        hex::encode(file.sha256),
                        hex::encode(found)
                    )));
                }
            }
        }
    }
    Ok(None)
}

/// VerifyEvidence: [`verify`] over one snapshot of the service's database.
///
/// # Errors
/// NOT_FOUND for an unknown clip; UNAVAILABLE when the store is away.
pub async fn verify_evidence(
    ctx: &super::Context,
    only: Option<ClipId>,
) -> Result<Report, platform::error::AppError> {
    use platform::error::AppError;
    let mut read = ctx.units.read_snapshot().await?;
    verify(&mut read, &ctx.store, only)
        .await
        .map_err(|err| match err {
            AuditError::Database(err) => AppError::Database(err),
            AuditError::NoClip(id) => AppError::NotFound(format!("clip {id}")),
            AuditError::Store(err) => {
                tracing::warn!(error = %err, "evidence store failed");
                AppError::Unavailable("the evidence store is not reachable; try again".into())
            }
        })
}
