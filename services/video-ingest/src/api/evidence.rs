//! Evidence: clips, holds, file reads, the custody log and its
//! verification.

use bytes::Bytes;
use platform::auth::Caller;
use platform::error::{AppError, Violations};
use platform::uow::CallKey;
use proto::video::v1 as pb;

use super::{VideoApi, gb_id, page_size, take};
use crate::application::evidence::{
    self, ClipDraft, FileSource, FileUpload, HoldChange, check_files,
};
use crate::application::{audit, disclosure};
use crate::convert::{self, from_timestamp};
use crate::domain::evidence::check_window;
use crate::domain::ids::{ClipId, IncidentId};
use crate::repository::clips::ClipFilter;

/// Parses the clip id in `field`.
pub(super) fn clip_id(text: &str, field: &str) -> Result<ClipId, AppError> {
    ClipId::parse(text).ok_or_else(|| AppError::invalid(field, "must be a UUID"))
}

/// Parses an optional SHA-256 in `field`: 64 lowercase hex digits.
fn sha256(text: &str, field: &str) -> Result<Option<[u8; 32]>, AppError> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    let bytes = hex::decode(text)
        .ok()
        .and_then(|b| <[u8; 32]>::try_from(b).ok())
        .filter(|_| text.bytes().all(|b| !b.is_ascii_uppercase()));
    bytes
        .map(Some)
        .ok_or_else(|| AppError::invalid(field, "must be 64 lowercase hex digits"))
}

/// Checks a hold's reason: 1–200 characters.
fn reason(text: &str) -> Result<String, AppError> {
    let text = text.trim();
    if text.is_empty() || text.chars().count() > 200 {
        return Err(AppError::invalid("reason", "must be 1-200 characters"));
    }
    Ok(text.to_owned())
}

/// Returns the files sent, their hashes checked for shape.
fn uploads(sent: &[pb::ClipFileUpload], v: &mut Violations) -> Vec<FileUpload> {
    let mut files = Vec::with_capacity(sent.len());
    for (i, f) in sent.iter().enumerate() {
        let hash = take(v, sha256(&f.sha256, &format!("files[{i}].sha256"))).flatten();
        let source = match (f.content.is_empty(), f.stored_key.trim()) {
            (true, key) if !key.is_empty() => FileSource::Stored(key.to_owned()),
            _ => FileSource::Content(Bytes::from(f.content.clone())),
        };
        files.push(FileUpload {
            name: f.name.trim().to_owned(),
            source,
            sha256: hash,
        });
    }
    files
}

impl VideoApi {
    #[tracing::instrument(skip_all, fields(channel_id = %request.channel_id))]
    pub(super) async fn record_clip(
        &self,
        caller: Caller,
        request: pb::RecordClipRequest,
    ) -> Result<pb::RecordClipResponse, AppError> {
        let mut v = Violations::default();
        let channel = take(&mut v, gb_id(&request.channel_id, "channel_id"));
        let incident = match request.incident_id.trim() {
            "" => None,
            id => take(
                &mut v,
                IncidentId::parse(id)
                    .ok_or_else(|| AppError::invalid("incident_id", "must be a UUID")),
            ),
        };
        let window = check_window(
            request.starts_at.as_ref().and_then(from_timestamp),
            request.ends_at.as_ref().and_then(from_timestamp),
            self.ctx.units.now(),
            self.ctx.evidence.max_window,
        );
        let window = match window {
            Ok(w) => Some(w),
            Err(broken) => {
                v.extend(broken);
                None
            }
        };
        let files = uploads(&request.files, &mut v);
        v.extend(check_files(&files, self.ctx.evidence.max_file_bytes));
        v.finish()?;
        let (Some(channel), Some((starts_at, ends_at))) = (channel, window) else {
            return Err(AppError::invalid("channel_id", "is required"));
        };
        let key = CallKey::new(&caller, &request.idempotency_key, &request);
        let draft = ClipDraft {
            channel,
            starts_at,
            ends_at,
            incident,
            files,
        };
        evidence::record_clip(&self.ctx, &caller, key, draft, |clip| {
            pb::RecordClipResponse {
                clip: Some(convert::clip(clip)),
            }
        })
        .await
    }

    pub(super) async fn get_clip(
        &self,
        _caller: Caller,
        request: pb::GetClipRequest,
    ) -> Result<pb::GetClipResponse, AppError> {
        let id = clip_id(&request.clip_id, "clip_id")?;
        let clip = evidence::get_clip(&self.ctx, id).await?;
        Ok(pb::GetClipResponse {
            clip: Some(convert::clip(&clip)),
        })
    }

    pub(super) async fn list_clips(
        &self,
        _caller: Caller,
        request: pb::ListClipsRequest,
    ) -> Result<pb::ListClipsResponse, AppError> {
        let channel = match request.channel_id.trim() {
            "" => None,
            id => Some(gb_id(id, "channel_id")?),
        };
        let window = request
            .starts_at
            .as_ref()
            .and_then(from_timestamp)
            .zip(request.ends_at.as_ref().and_then(from_timestamp));
        let filter = ClipFilter {
            channel,
            window,
            originals_only: false,
            limit: page_size(request.page_size, 50, 500),
        };
        let clips = evidence::list_clips(&self.ctx, &filter).await?;
        Ok(pb::ListClipsResponse {
            clips: clips.iter().map(convert::clip).collect(),
        })
    }

    pub(super) async fn hold_clip(
        &self,
        caller: Caller,
        request: pb::HoldClipRequest,
    ) -> Result<pb::HoldClipResponse, AppError> {
        let id = clip_id(&request.clip_id, "clip_id")?;
        let why = reason(&request.reason)?;
        let key = CallKey::new(&caller, &request.idempotency_key, &request);
        evidence::change_hold(&self.ctx, &caller, key, id, HoldChange::Hold, why, |clip| {
            pb::HoldClipResponse {
                clip: Some(convert::clip(clip)),
            }
        })
        .await
    }

    pub(super) async fn release_clip(
        &self,
        caller: Caller,
        request: pb::ReleaseClipRequest,
    ) -> Result<pb::ReleaseClipResponse, AppError> {
        let id = clip_id(&request.clip_id, "clip_id")?;
        let why = reason(&request.reason)?;
        let key = CallKey::new(&caller, &request.idempotency_key, &request);
        evidence::change_hold(
            &self.ctx,
            &caller,
            key,
            id,
            HoldChange::Release,
            why,
            |clip| pb::ReleaseClipResponse {
                clip: Some(convert::clip(clip)),
            },
        )
        .await
    }

    pub(super) async fn read_clip_file(
        &self,
        caller: Caller,
        request: pb::ReadClipFileRequest,
    ) -> Result<pb::ReadClipFileResponse, AppError> {
        let id = clip_id(&request.clip_id, "clip_id")?;
        let (file, content) =
            evidence::read_clip_file(&self.ctx, &caller, id, request.name.trim()).await?;
        Ok(pb::ReadClipFileResponse {
            file: Some(convert::clip_file(&file)),
            content: content.to_vec(),
        })
    }

    pub(super) async fn list_custody_log(
        &self,
        caller: Caller,
        request: pb::ListCustodyLogRequest,
    ) -> Result<pb::ListCustodyLogResponse, AppError> {
        let clip = match request.clip_id.trim() {
            "" => None,
            id => Some(clip_id(id, "clip_id")?),
        };
        let application = match request.application.trim() {
            "" => None,
            id => Some(disclosure::get(&self.ctx, &caller, id, false).await?.id),
        };
        let entries = evidence::custody_log(
            &self.ctx,
            clip,
            application,
            request.after_seq,
            page_size(request.page_size, 100, 1000),
        )
        .await?;
        Ok(pb::ListCustodyLogResponse {
            entries: entries.iter().map(convert::custody_entry).collect(),
        })
    }

    pub(super) async fn verify_evidence(
        &self,
        _caller: Caller,
        request: pb::VerifyEvidenceRequest,
    ) -> Result<pb::VerifyEvidenceResponse, AppError> {
        let only = match request.clip_id.trim() {
            "" => None,
            id => Some(clip_id(id, "clip_id")?),
        };
        let report = audit::verify_evidence(&self.ctx, only).await?;
        Ok(verification(&report))
    }
}

/// A verification report as its message.
pub fn verification(report: &audit::Report) -> pb::VerifyEvidenceResponse {
    let (broken_seq, problem) = report.chain.broken.clone().unwrap_or((0, String::new()));
    pb::VerifyEvidenceResponse {
        checked: report.chain.checked,
        chain_intact: report.chain.broken.is_none(),
        broken_seq,
        problem,
        clips: report
            .clips
            .iter()
            .map(|c| pb::ClipCheck {
                clip_id: c.clip_id.to_string(),
                intact: c.problem.is_none(),
                problem: c.problem.clone().unwrap_or_default(),
            })
            .collect(),
    }
}
