//! Evidence: clips recorded (their files written to the evidence store and
//! hashed here, the manifest's hash on the custody log), legal holds,
//! reads of a clip's files (a face or plate camera's by the police only),
//! the retention purge that never touches a held clip, and the custody
//! log and its verification.

use bytes::Bytes;
use chrono::{DateTime, TimeDelta, Utc};
use platform::auth::{Caller, Role};
use platform::error::AppError;
use platform::uow::{Begun, CallKey, Work};
use prost::Message;

use super::Context;
use crate::domain::camera::CameraView;
use crate::domain::custody::{Action, CustodyEntry, CustodyRecord, recorded_detail};
use crate::domain::evidence::{Clip, ClipFile, Hold, MAX_FILES, object_key, valid_file_name};
use crate::domain::gbid::GbId;
use crate::domain::ids::{ApplicationId, ClipId, IncidentId};
use crate::repository::clips::ClipFilter;
use crate::repository::{clips, custody, devices, incidents};
use crate::store::{StoreError, measure};

/// The limits evidence and disclosure work within.
#[derive(Debug, Clone, Copy)]
pub struct EvidenceRules {
    /// How long a clip is kept unless held.
    pub retention: TimeDelta,
    /// The longest window of a clip or an application.
    pub max_window: TimeDelta,
    pub max_file_bytes: usize,
    /// How long an approval (a viewing, a copy) may be used.
    pub valid_for: TimeDelta,
}

/// The roles that read a face or plate camera's footage.
const IDENTITY_READERS: &[Role] = &[Role::Police];

/// Returns whether `caller` may read the footage of `clip`.
pub fn may_read(caller: &Caller, clip: &Clip) -> bool {
    !clip.camera_kind.identifies() || caller.has_role(IDENTITY_READERS)
}

/// One file sent with a clip: its bytes, or the key of an object put in
/// the store beforehand; and the hash the sender computed, if it sent one.
#[derive(Debug, Clone)]
pub struct FileUpload {
    pub name: String,
    pub source: FileSource,
    pub sha256: Option<[u8; 32]>,
}

/// Where a file's bytes are.
#[derive(Debug, Clone)]
pub enum FileSource {
    Content(Bytes),
    Stored(String),
}

/// A clip to record, checked for its shape (the api did).
#[derive(Debug, Clone)]
pub struct ClipDraft {
    pub channel: GbId,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub incident: Option<IncidentId>,
    pub files: Vec<FileUpload>,
}

/// Returns the violations of the files' names and count.
pub fn check_files(files: &[FileUpload], max_bytes: usize) -> Vec<kernel::FieldViolation> {
    let mut broken = Vec::new();
    if files.is_empty() || files.len() > MAX_FILES {
        broken.push(kernel::FieldViolation::new(
            "files",
            format!("must hold 1 to {MAX_FILES} files"),
        ));
    }
    for (i, file) in files.iter().enumerate() {
        if !valid_file_name(&file.name) {
            broken.push(kernel::FieldViolation::new(
                format!("files[{i}].name"),
                "must be 1-100 letters, digits, '.', '-' or '_', not starting with '.'",
            ));
        } else if files[..i].iter().any(|f| f.name == file.name) {
            broken.push(kernel::FieldViolation::new(
                format!("files[{i}].name"),
                "must differ from every other file's name",
            ));
        }
        match &file.source {
            FileSource::Content(bytes) if bytes.is_empty() => {
                broken.push(kernel::FieldViolation::new(
                    format!("files[{i}].content"),
                    "must not be empty (or name a stored_key)",
                ));
            }
            FileSource::Content(bytes) if bytes.len() > max_bytes => {
                broken.push(kernel::FieldViolation::new(
                    format!("files[{i}].content"),
                    format!("must be at most {max_bytes} bytes (put larger files in the store and name their stored_key)"),
                ));
            }
            FileSource::Stored(key) if key.starts_with("clips/") || key.contains("..") => {
                broken.push(kernel::FieldViolation::new(
                    format!("files[{i}].stored_key"),
                    "must name an object outside clips/ (where recorded clips are kept)",
                ));
            }
            _ => {}
        }
    }
    broken
}

/// Maps a store failure: the store away is UNAVAILABLE.
fn unavailable(err: StoreError) -> AppError {
    tracing::warn!(error = %err, "evidence store failed");
    AppError::Unavailable("the evidence store is not reachable; try again".into())
}

/// Returns the custody record of `action` by `caller` now.
pub(crate) fn record(
    action: Action,
    caller: &Caller,
    clip: Option<ClipId>,
    application: Option<ApplicationId>,
    detail: String,
    at: DateTime<Utc>,
) -> CustodyRecord {
    CustodyRecord {
        action,
        clip_id: clip,
        application_id: application,
        actor: caller.subject.clone(),
        actor_role: caller.role.as_str().to_owned(),
        detail,
        recorded_at: at,
    }
}

/// Returns the camera `channel`, read before the work opens.
///
/// # Errors
/// NOT_FOUND; the database.
async fn camera(ctx: &Context, channel: &GbId, field: &str) -> Result<CameraView, AppError> {
    let mut read = ctx.units.read().await?;
    devices::camera(&mut read, channel)
        .await?
        .ok_or_else(|| AppError::invalid(field, format!("camera {channel} is not known")))
}

/// RecordClip: writes each file to the store under the clip's own keys
/// (or reads an object put there before), hashes it, and records the clip
/// with its manifest's hash on the custody log. The files are written
/// while the work is open, so a replayed call writes nothing; a call that
/// fails after writing leaves objects no clip names, which nothing reads.
///
/// # Errors
/// INVALID_ARGUMENT for an unknown camera or incident, a hash that does
/// not match; UNAVAILABLE when the store is away.
pub async fn record_clip<A: Message + Default>(
    ctx: &Context,
    caller: &Caller,
    key: CallKey,
    draft: ClipDraft,
    answer: impl FnOnce(&Clip) -> A,
) -> Result<A, AppError> {
    let view = camera(ctx, &draft.channel, "channel_id").await?;
    let mut work = match ctx.units.begin(key).await? {
        Begun::Replay(saved) => return Ok(saved),
        Begun::Fresh(work) => work,
    };
    let now = work.now();
    if let Some(incident) = draft.incident
        && incidents::get(work.conn(), incident).await?.is_none()
    {
        return Err(AppError::invalid(
            "incident_id",
            format!("incident {incident} is not known"),
        ));
    }
    let id = ClipId::generate();
    let mut files = Vec::with_capacity(draft.files.len());
    for (i, upload) in draft.files.into_iter().enumerate() {
        let (key, stored) = match upload.source {
            FileSource::Content(content) => {
                let key = object_key(id, &upload.name);
                let stored = ctx.store.put(&key, content).await.map_err(unavailable)?;
                (key, stored)
            }
            FileSource::Stored(key) => {
                let content = ctx
                    .store
                    .get(&key)
                    .await
                    .map_err(unavailable)?
                    .ok_or_else(|| {
                        AppError::invalid(
                            format!("files[{i}].stored_key"),
                            format!("no object {key} in the evidence store"),
                        )
                    })?;
                (key, measure(&content))
            }
        };
        if upload.sha256.is_some_and(|sent| sent != stored.sha256) {
            return Err(AppError::invalid(
                format!("files[{i}].sha256"),
                format!(
                    "does not match the file's bytes (they hash to {})",
                    hex::encode(stored.sha256)
                ),
            ));
        }
        files.push(ClipFile {
            name: upload.name,
            key,
            size_bytes: stored.size_bytes,
            sha256: stored.sha256,
        });
    }
    let clip = Clip {
        id,
        channel_id: view.camera.id.clone(),
        device_id: view.camera.device.clone(),
        camera_kind: view.camera.kind,
        starts_at: draft.starts_at,
        ends_at: draft.ends_at,
        incident_id: draft.incident,
        source: None,
        files,
        retain_until: draft.ends_at + ctx.evidence.retention,
        hold: None,
        purged_at: None,
        recorded_by: caller.subject.clone(),
        recorded_at: now,
    };
    insert_clip(&mut work, caller, &clip).await?;
    let answer = work.commit(answer(&clip)).await?;
    tracing::info!(clip_id = %clip.id, channel_id = %clip.channel_id, files = clip.files.len(), "clip recorded");
    Ok(answer)
}

/// Inserts `clip` and its RECORDED entry (the manifest's hash) in `work`.
pub(crate) async fn insert_clip<A: Message>(
    work: &mut Work<A>,
    caller: &Caller,
    clip: &Clip,
) -> Result<CustodyEntry, AppError> {
    let now = work.now();
    clips::insert(work.conn(), clip).await?;
    let detail = recorded_detail(&clip.manifest_hash());
    let entry = custody::append(
        work.conn(),
        record(Action::Recorded, caller, Some(clip.id), None, detail, now),
    )
    .await?;
    Ok(entry)
}

/// Whether a hold is put or taken off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HoldChange {
    Hold,
    Release,
}

/// HoldClip and ReleaseClip: the hold and its custody entry.
///
/// # Errors
/// NOT_FOUND; FAILED_PRECONDITION for a clip purged already, held twice or
/// released unheld.
pub async fn change_hold<A: Message + Default>(
    ctx: &Context,
    caller: &Caller,
    key: CallKey,
    id: ClipId,
    change: HoldChange,
    reason: String,
    answer: impl FnOnce(&Clip) -> A,
) -> Result<A, AppError> {
    let mut work = match ctx.units.begin(key).await? {
        Begun::Replay(saved) => return Ok(saved),
        Begun::Fresh(work) => work,
    };
    let now = work.now();
    let mut clip = clips::get_for_update(work.conn(), id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("clip {id}")))?;
    if let Some(at) = clip.purged_at {
        return Err(AppError::FailedPrecondition(format!(
            "clip {id} was purged at {at}"
        )));
    }
    let action = match (change, &clip.hold) {
        (HoldChange::Hold, Some(hold)) => {
            return Err(AppError::FailedPrecondition(format!(
                "clip {id} is on hold already ({})",
                hold.reason
            )));
        }
        (HoldChange::Release, None) => {
            return Err(AppError::FailedPrecondition(format!(
                "clip {id} is not on hold"
            )));
        }
        (HoldChange::Hold, None) => {
            clip.hold = Some(Hold {
                reason: reason.clone(),
                by: caller.subject.clone(),
                at: now,
            });
            Action::Held
        }
        (HoldChange::Release, Some(_)) => {
            clip.hold = None;
            Action::Released
        }
    };
    clips::save_hold(work.conn(), &clip).await?;
    custody::append(
        work.conn(),
        record(action, caller, Some(id), None, reason, now),
    )
    .await?;
    let answer = work.commit(answer(&clip)).await?;
    tracing::info!(clip_id = %id, action = action.as_str(), "clip hold changed");
    Ok(answer)
}

/// GetClip.
///
/// # Errors
/// NOT_FOUND; the database.
pub async fn get_clip(ctx: &Context, id: ClipId) -> Result<Clip, AppError> {
    let mut read = ctx.units.read().await?;
    clips::get(&mut read, id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("clip {id}")))
}

/// ListClips.
///
/// # Errors
/// The database fails.
pub async fn list_clips(ctx: &Context, filter: &ClipFilter) -> Result<Vec<Clip>, AppError> {
    let mut read = ctx.units.read().await?;
    Ok(clips::list(&mut read, filter).await?)
}

/// Logs a refused access to the footage of `clip` (committed on its own),
/// and returns the refusal.
async fn refuse_access(
    ctx: &Context,
    caller: &Caller,
    clip: Option<ClipId>,
    application: Option<ApplicationId>,
    why: String,
    status: fn(String) -> AppError,
) -> AppError {
    let logged = async {
        let mut work = ctx.units.begin_job::<()>().await?;
        let now = work.now();
        custody::append(
            work.conn(),
            record(
                Action::AccessRefused,
                caller,
                clip,
                application,
                why.clone(),
                now,
            ),
        )
        .await?;
        work.commit(()).await
    };
    match logged.await {
        Ok(()) => {
            tracing::info!(clip_id = ?clip.map(|c| c.to_string()), role = caller.role.as_str(), "footage access refused");
            status(why)
        }
        Err(err) => err,
    }
}

/// Returns the refusal (logged) of a face or plate camera's footage to
/// anyone but the police.
pub(crate) async fn refuse_identifying(
    ctx: &Context,
    caller: &Caller,
    clip: &Clip,
    application: Option<ApplicationId>,
) -> AppError {
    refuse_access(
        ctx,
        caller,
        Some(clip.id),
        application,
        format!(
            "footage of {} camera {} shows faces or plates: readable by the police only",
            clip.camera_kind.as_str().to_lowercase(),
            clip.channel_id
        ),
        AppError::PermissionDenied,
    )
    .await
}

/// Returns the refusal (logged) of footage `application` may not see now.
pub(crate) async fn refuse_expired(
    ctx: &Context,
    caller: &Caller,
    application: ApplicationId,
    why: String,
) -> AppError {
    refuse_access(
        ctx,
        caller,
        None,
        Some(application),
        why,
        AppError::FailedPrecondition,
    )
    .await
}

/// Reads the file `name` of `clip` from the store and checks it against its
/// hash.
///
/// # Errors
/// FAILED_PRECONDITION for a purged clip or a file that no longer matches
/// its hash; UNAVAILABLE when the store is away.
pub(crate) async fn read_file(
    ctx: &Context,
    clip: &Clip,
    file: &ClipFile,
) -> Result<Bytes, AppError> {
    if let Some(at) = clip.purged_at {
        return Err(AppError::FailedPrecondition(format!(
            "clip {} was purged at {at}",
            clip.id
        )));
    }
    let content = ctx
        .store
        .get(&file.key)
        .await
        .map_err(unavailable)?
        .ok_or_else(|| {
            AppError::FailedPrecondition(format!(
                "file {} of clip {} is missing from the evidence store",
                file.name, clip.id
            ))
        })?;
    if measure(&content).sha256 != file.sha256 {
        tracing::warn!(clip_id = %clip.id, file = %file.name, "clip file does not match its hash");
        return Err(AppError::FailedPrecondition(format!(
            "file {} of clip {} does not match its SHA-256: it was altered",
            file.name, clip.id
        )));
    }
    Ok(content)
}

/// ReadClipFile: a file of a clip, read by those who may (a face or plate
/// camera's by the police only; anyone else is refused, and the refusal
/// logged); every read is on the access log.
///
/// # Errors
/// NOT_FOUND; PERMISSION_DENIED; FAILED_PRECONDITION (see [`read_file`]).
pub async fn read_clip_file(
    ctx: &Context,
    caller: &Caller,
    id: ClipId,
    name: &str,
) -> Result<(ClipFile, Bytes), AppError> {
    let clip = get_clip(ctx, id).await?;
    let file = clip
        .files
        .iter()
        .find(|f| f.name == name)
        .cloned()
        .ok_or_else(|| AppError::NotFound(format!("file {name} of clip {id}")))?;
    if !may_read(caller, &clip) {
        return Err(refuse_identifying(ctx, caller, &clip, None).await);
    }
    let content = read_file(ctx, &clip, &file).await?;
    let mut work = ctx.units.begin_job::<()>().await?;
    let now = work.now();
    custody::append(
        work.conn(),
        record(
            Action::Read,
            caller,
            Some(id),
            None,
            format!("file {name}"),
            now,
        ),
    )
    .await?;
    work.commit(()).await?;
    Ok((file, content))
}

/// How many clips one purge round takes at most.
const PURGE_BATCH: i64 = 100;

/// Purges clips past their retention and not on hold: marks them purged
/// (the manifest stays) and logs each, commits, then deletes their files
/// from the store. Marking first means a failure in between leaves files
/// kept too long (logged, for an operator) rather than a clip whose files
/// are gone without the log saying so. Returns how many were purged.
///
/// # Errors
/// The database fails.
pub async fn purge_round(ctx: &Context) -> Result<usize, AppError> {
    let mut work = ctx.units.begin_job::<()>().await?;
    let now = work.now();
    let due = clips::purgeable(work.conn(), now, PURGE_BATCH).await?;
    let system = Caller::service(crate::domain::SERVICE, "");
    for clip in &due {
        clips::mark_purged(work.conn(), clip.id, now).await?;
        custody::append(
            work.conn(),
            record(
                Action::Purged,
                &system,
                Some(clip.id),
                None,
                format!("retention ended {}", clip.retain_until),
                now,
            ),
        )
        .await?;
    }
    work.commit(()).await?;
    for clip in &due {
        for file in &clip.files {
            if let Err(err) = ctx.store.delete(&file.key).await {
                tracing::error!(clip_id = %clip.id, error = %err, "a purged clip's file could not be deleted; delete it by hand");
            }
        }
        tracing::info!(clip_id = %clip.id, "clip purged");
    }
    Ok(due.len())
}

/// ListCustodyLog.
///
/// # Errors
/// The database fails.
pub async fn custody_log(
    ctx: &Context,
    clip: Option<ClipId>,
    application: Option<ApplicationId>,
    after: u64,
    limit: i64,
) -> Result<Vec<CustodyEntry>, AppError> {
    let mut read = ctx.units.read().await?;
    Ok(custody::of(&mut read, clip, application, after, limit).await?)
}
