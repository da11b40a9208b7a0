//! Disclosure on application (依申请公开): an application checked against
//! the cameras, their retention and the window; its review (a supervised
//! viewing, a redacted copy, or a refusal with a reason); the copy issued
//! as objects of their own, linked to the originals, with their own
//! hashes; the viewing or the copy used until the approval expires. Every
//! step (and every refusal) is on the hash-chained access log, which names
//! people by subject and role only: the applicant's identity stays in the
//! application, shown whole to the review alone.
//!
//! The redaction is a recorded step, not media processing: nothing here
//! decodes video, so a copy's bytes are the original's, written as a new
//! object and hashed on their own; the COPIED entry says so.

use bytes::Bytes;
use chrono::{DateTime, Datelike, Utc};
use kernel::FieldViolation;
use platform::auth::{Caller, Role};
use platform::error::AppError;
use platform::uow::{Begun, CallKey};
use prost::Message;

use super::evidence::{
    insert_clip, may_read, read_file, record, refuse_expired, refuse_identifying,
};
use super::{Context, access};
use crate::domain::custody::Action;
use crate::domain::disclosure::{
    Applicant, Application, ApplicationScope, Cursor, Decision, IssuedCopy, Purpose, Review, State,
};
use crate::domain::evidence::{Clip, ClipFile, object_key};
use crate::domain::gbid::GbId;
use crate::domain::ids::{ApplicationId, ClipId};
use crate::repository::applications::{self, ApplicationFilter, Tally};
use crate::repository::clips::ClipFilter;
use crate::repository::{clips, custody, devices};

/// The roles that read an applicant's identity whole: the review.
pub const REVIEWERS: &[Role] = &[Role::TownOperator, Role::Police];

/// The most cameras one application names.
pub const MAX_CAMERAS: usize = 10;

/// An application as submitted, its shape checked (the api did).
#[derive(Debug, Clone)]
pub struct ApplicationDraft {
    pub applicant: Applicant,
    pub channels: Vec<GbId>,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub purpose: Purpose,
    pub purpose_detail: String,
    pub dispute_ticket: Option<String>,
}

/// SubmitApplication: checks the cameras (each known; the api checked the
/// window), then registers the application.
///
/// # Errors
/// INVALID_ARGUMENT naming the field.
pub async fn submit<A: Message + Default>(
    ctx: &Context,
    caller: &Caller,
    key: CallKey,
    draft: ApplicationDraft,
    answer: impl FnOnce(&Application) -> A,
) -> Result<A, AppError> {
    let mut broken: Vec<FieldViolation> = Vec::new();
    {
        let mut read = ctx.units.read().await?;
        for (i, channel) in draft.channels.iter().enumerate() {
            if devices::camera(&mut read, channel).await?.is_none() {
                broken.push(FieldViolation::new(
                    format!("channel_ids[{i}]"),
                    format!("camera {channel} is not known"),
                ));
            }
        }
    }
    if !broken.is_empty() {
        return Err(AppError::InvalidArgument(broken));
    }
    let mut work = match ctx.units.begin(key).await? {
        Begun::Replay(saved) => return Ok(saved),
        Begun::Fresh(work) => work,
    };
    let now = work.now();
    let number = applications::next_number(work.conn(), now.year()).await?;
    let application = Application {
        id: ApplicationId::generate(),
        number,
        applicant: draft.applicant,
        channels: draft.channels,
        starts_at: draft.starts_at,
        ends_at: draft.ends_at,
        purpose: draft.purpose,
        purpose_detail: draft.purpose_detail,
        dispute_ticket: draft.dispute_ticket,
        state: State::Submitted,
        decision: None,
        refusal_reason: None,
        reviewed_by: None,
        reviewed_at: None,
        valid_until: None,
        submitted_by: caller.subject.clone(),
        submitted_at: now,
        copies: Vec::new(),
    };
    applications::insert(work.conn(), &application).await?;
    custody::append(
        work.conn(),
        record(
            Action::Applied,
            caller,
            None,
            Some(application.id),
            format!(
                "{} {}, {} cameras",
                application.number,
                application.purpose.as_str(),
                application.channels.len()
            ),
            now,
        ),
    )
    .await?;
    let answer = work.commit(answer(&application)).await?;
    tracing::info!(application_id = %application.id, purpose = application.purpose.as_str(), "disclosure application submitted");
    Ok(answer)
}

fn not_found(what: &str) -> AppError {
    AppError::NotFound(format!("application {what}"))
}

/// GetApplication. For the review (the town centre and the police) the
/// applicant's identity is read whole, and the read is on the access log.
/// Otherwise the caller reads only what its scope holds
/// ([`access::application_scope`]): a resident an application they
/// submitted, a village's staff one naming a camera of their village.
///
/// # Errors
/// NOT_FOUND (also one outside the caller's scope); PERMISSION_DENIED for
/// a review read by another role.
pub async fn get(
    ctx: &Context,
    caller: &Caller,
    id: &str,
    for_review: bool,
) -> Result<Application, AppError> {
    if for_review && !caller.has_role(REVIEWERS) {
        return Err(AppError::PermissionDenied(
            "only the review (town_operator, police) reads an applicant's identity".into(),
        ));
    }
    if !for_review {
        let scope = access::application_scope(caller)?;
        let mut read = ctx.units.read().await?;
        let application = applications::get(&mut read, id, false)
            .await?
            .ok_or_else(|| not_found(id))?;
        if scope != ApplicationScope::Town
            && !applications::within(&mut read, application.id, &scope).await?
        {
            return Err(not_found(id));
        }
        return Ok(application);
    }
    let mut work = ctx.units.begin_job::<()>().await?;
    let now = work.now();
    let application = applications::get(work.conn(), id, false)
        .await?
        .ok_or_else(|| not_found(id))?;
    custody::append(
        work.conn(),
        record(
            Action::IdentityRead,
            caller,
            None,
            Some(application.id),
            format!("{} read for the review", application.number),
            now,
        ),
    )
    .await?;
    work.commit(()).await?;
    Ok(application)
}

/// A page of applications, and where the next starts (`None`: the last).
#[derive(Debug, Clone)]
pub struct ApplicationPage {
    pub applications: Vec<Application>,
    pub next: Option<Cursor>,
}

/// ListApplications: newest first, a page of at most `limit` after
/// `after`, within the caller's scope ([`access::application_scope`]).
///
/// # Errors
/// PERMISSION_DENIED for a caller without a scope; the database.
pub async fn list(
    ctx: &Context,
    caller: &Caller,
    state: Option<State>,
    after: Option<Cursor>,
    limit: i64,
) -> Result<ApplicationPage, AppError> {
    let scope = access::application_scope(caller)?;
    let mut read = ctx.units.read().await?;
    let filter = ApplicationFilter {
        state,
        scope: &scope,
        after,
        limit,
    };
    let applications = applications::list(&mut read, &filter).await?;
    let full = i64::try_from(applications.len()).unwrap_or(i64::MAX) >= limit;
    let next = applications.last().filter(|_| full).map(Cursor::after);
    Ok(ApplicationPage { applications, next })
}

/// ReviewApplication: approves (a viewing or a copy, usable for the
/// configured time) or refuses with a reason; logged either way.
///
/// # Errors
/// NOT_FOUND; FAILED_PRECONDITION for an application reviewed already.
pub async fn review<A: Message + Default>(
    ctx: &Context,
    caller: &Caller,
    key: CallKey,
    id: &str,
    review: Review,
    answer: impl FnOnce(&Application) -> A,
) -> Result<A, AppError> {
    let mut work = match ctx.units.begin(key).await? {
        Begun::Replay(saved) => return Ok(saved),
        Begun::Fresh(work) => work,
    };
    let now = work.now();
    let mut application = applications::get(work.conn(), id, true)
        .await?
        .ok_or_else(|| not_found(id))?;
    let (action, detail) = match &review {
        Review::Approve(decision) => (Action::Approved, decision.as_str().to_owned()),
        Review::Refuse(reason) => (Action::Refused, reason.clone()),
    };
    application
        .review(review, &caller.subject, now, ctx.evidence.valid_for)
        .map_err(|err| AppError::FailedPrecondition(err.to_string()))?;
    applications::save_review(work.conn(), &application).await?;
    custody::append(
        work.conn(),
        record(action, caller, None, Some(application.id), detail, now),
    )
    .await?;
    let answer = work.commit(answer(&application)).await?;
    tracing::info!(application_id = %application.id, outcome = action.as_str(), "disclosure application reviewed");
    Ok(answer)
}

/// Returns the original clips of the application's cameras that overlap
/// its window.
async fn covering(
    conn: &mut sqlx::PgConnection,
    application: &Application,
) -> Result<Vec<Clip>, AppError> {
    let mut found = Vec::new();
    for channel in &application.channels {
        let filter = ClipFilter {
            channel: Some(channel.clone()),
            window: Some((application.starts_at, application.ends_at)),
            originals_only: true,
            limit: 100,
        };
        found.extend(clips::list(conn, &filter).await?);
    }
    Ok(found)
}

/// What IssueCopy made.
#[derive(Debug, Clone)]
pub struct Issued {
    pub application: Application,
    pub copies: Vec<Clip>,
}

/// IssueCopy: for an application approved as a copy, a redacted copy of
/// each clip its window covers — a new object per file, linked to the
/// original and hashed on its own, kept until the approval expires — and
/// a COPIED entry for each. A face or plate camera's footage is not copied
/// for disclosure (faces and plates are for the police only).
///
/// # Errors
/// NOT_FOUND; FAILED_PRECONDITION when the application is not approved as
/// a copy, was issued one, expired, no clip covers its window, a clip is of
/// a face or plate camera, or an original no longer matches its hash.
pub async fn issue<A: Message + Default>(
    ctx: &Context,
    caller: &Caller,
    key: CallKey,
    id: &str,
    answer: impl FnOnce(&Issued) -> A,
) -> Result<A, AppError> {
    let mut work = match ctx.units.begin(key).await? {
        Begun::Replay(saved) => return Ok(saved),
        Begun::Fresh(work) => work,
    };
    let now = work.now();
    let mut application = applications::get(work.conn(), id, true)
        .await?
        .ok_or_else(|| not_found(id))?;
    application
        .check_issue(now)
        .map_err(|err| AppError::FailedPrecondition(err.to_string()))?;
    let originals = covering(work.conn(), &application).await?;
    if originals.is_empty() {
        return Err(AppError::FailedPrecondition(format!(
            "no clip of the cameras of application {} covers its window; record one first",
            application.number
        )));
    }
    if let Some(clip) = originals.iter().find(|c| c.camera_kind.identifies()) {
        return Err(AppError::FailedPrecondition(format!(
            "clip {} is of {} camera {}: faces and plates are not copied for disclosure",
            clip.id,
            clip.camera_kind.as_str().to_lowercase(),
            clip.channel_id
        )));
    }
    let expires_at = application
        .valid_until
        .unwrap_or(now + ctx.evidence.valid_for);
    let mut copies = Vec::with_capacity(originals.len());
    for original in &originals {
        let copy_id = ClipId::generate();
        let mut files = Vec::with_capacity(original.files.len());
        for file in &original.files {
            let content: Bytes = read_file(ctx, original, file).await?;
            // The redaction step: recorded, not performed on the media
            // (nothing here decodes video); the bytes become an object of
            // the copy's own, hashed as written.
            let key = object_key(copy_id, &file.name);
            let stored = ctx.store.put(&key, content).await.map_err(|err| {
                tracing::warn!(error = %err, "evidence store failed");
                AppError::Unavailable("the evidence store is not reachable; try again".into())
            })?;
            files.push(ClipFile {
                name: file.name.clone(),
                key,
                size_bytes: stored.size_bytes,
                sha256: stored.sha256,
            });
        }
        let copy = Clip {
            id: copy_id,
            channel_id: original.channel_id.clone(),
            device_id: original.device_id.clone(),
            camera_kind: original.camera_kind,
            starts_at: original.starts_at.max(application.starts_at),
            ends_at: original.ends_at.min(application.ends_at),
            incident_id: original.incident_id,
            source: Some(original.id),
            files,
            retain_until: expires_at,
            hold: None,
            purged_at: None,
            recorded_by: caller.subject.clone(),
            recorded_at: now,
        };
        insert_clip(&mut work, caller, &copy).await?;
        let issued = IssuedCopy {
            copy_clip: copy.id,
            source_clip: original.id,
            issued_at: now,
            expires_at,
        };
        applications::insert_copy(work.conn(), application.id, &issued).await?;
        custody::append(
            work.conn(),
            record(
                Action::Copied,
                caller,
                Some(copy.id),
                Some(application.id),
                format!(
                    "redacted copy of clip {} for {}, until {expires_at}; redaction recorded, no media processing (the bytes are the original's)",
                    original.id, application.number
                ),
                now,
            ),
        )
        .await?;
        application.copies.push(issued);
        copies.push(copy);
    }
    let issued = Issued {
        application,
        copies,
    };
    let answer = work.commit(answer(&issued)).await?;
    tracing::info!(application_id = %issued.application.id, copies = issued.copies.len(), "disclosure copy issued");
    Ok(answer)
}

/// What ViewFootage shows.
#[derive(Debug, Clone)]
pub struct Viewed {
    pub application: Application,
    pub clips: Vec<Clip>,
    /// For a copy: each file with its bytes.
    pub files: Vec<(ClipFile, Bytes)>,
}

/// ViewFootage: records a supervised viewing of the originals, or hands
/// over the issued copy, each on the access log; after the approval
/// expired (or before a copy is issued, or for a refused application) the
/// access is refused and the refusal logged. A face or plate camera's
/// footage is shown to the police only.
///
/// # Errors
/// NOT_FOUND; FAILED_PRECONDITION (refused, not issued, expired);
/// PERMISSION_DENIED (a face or plate camera, not the police).
pub async fn view(ctx: &Context, caller: &Caller, id: &str) -> Result<Viewed, AppError> {
    let (application, clips) = {
        let mut read = ctx.units.read().await?;
        let application = applications::get(&mut read, id, false)
            .await?
            .ok_or_else(|| not_found(id))?;
        let clips = match application.decision {
            Some(Decision::Copy) => {
                let mut found = Vec::new();
                for copy in &application.copies {
                    if let Some(clip) = clips::get(&mut read, copy.copy_clip).await? {
                        found.push(clip);
                    }
                }
                found
            }
            _ => covering(&mut read, &application).await?,
        };
        (application, clips)
    };
    if let Err(denied) = application.check_access(ctx.units.now()) {
        return Err(refuse_expired(ctx, caller, application.id, denied.to_string()).await);
    }
    if let Some(clip) = clips.iter().find(|c| !may_read(caller, c)) {
        return Err(refuse_identifying(ctx, caller, clip, Some(application.id)).await);
    }
    let mut files = Vec::new();
    if application.decision == Some(Decision::Copy) {
        for clip in &clips {
            for file in &clip.files {
                files.push((file.clone(), read_file(ctx, clip, file).await?));
            }
        }
    }
    let mut work = ctx.units.begin_job::<()>().await?;
    let now = work.now();
    let how = match application.decision {
        Some(Decision::Copy) => "copy handed over",
        _ => "supervised viewing",
    };
    if clips.is_empty() {
        custody::append(
            work.conn(),
            record(
                Action::Viewed,
                caller,
                None,
                Some(application.id),
                format!("{how}: no clip covers the window"),
                now,
            ),
        )
        .await?;
    }
    for clip in &clips {
        custody::append(
            work.conn(),
            record(
                Action::Viewed,
                caller,
                Some(clip.id),
                Some(application.id),
                format!("{how} for {}", application.number),
                now,
            ),
        )
        .await?;
    }
    work.commit(()).await?;
    tracing::info!(application_id = %application.id, clips = clips.len(), "footage viewed");
    Ok(Viewed {
        application,
        clips,
        files,
    })
}

/// SummariseApplications: counts by purpose and outcome since `since`.
///
/// # Errors
/// The database fails.
pub async fn summarise(
    ctx: &Context,
    since: Option<DateTime<Utc>>,
) -> Result<Vec<Tally>, AppError> {
    let mut read = ctx.units.read().await?;
    Ok(applications::tally(&mut read, since).await?)
}
