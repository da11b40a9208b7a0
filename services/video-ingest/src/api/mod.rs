//! The tonic implementation of `weigrid.video.v1.VideoService`. Each
//! handler decodes the request into a command (bad input is
//! INVALID_ARGUMENT naming the field, before any other work), builds the
//! call's idempotency key, calls one use case and encodes its answer.

mod cameras;
mod disclosure;
mod evidence;
mod incidents;

pub use evidence::verification;
pub use incidents::{REFUSED_BATCH, RETRY_AFTER_MS};

use platform::error::AppError;
use proto::video::v1 as pb;
use proto::video::v1::video_service_server::VideoService;

use crate::application::Context;
use crate::domain::gbid::GbId;

/// The video gRPC service.
#[derive(Clone)]
pub struct VideoApi {
    ctx: Context,
}

impl VideoApi {
    /// Returns the service over `ctx`.
    pub fn new(ctx: Context) -> Self {
        Self { ctx }
    }
}

/// Parses the GB/T 28181 code in `field`.
fn gb_id(text: &str, field: &str) -> Result<GbId, AppError> {
    GbId::parse(text).map_err(|rule| AppError::invalid(field, rule.to_string()))
}

/// Returns the value of a check, or records its field violations in `v`.
fn take<T>(v: &mut platform::error::Violations, checked: Result<T, AppError>) -> Option<T> {
    match checked {
        Ok(value) => Some(value),
        Err(AppError::InvalidArgument(broken)) => {
            v.extend(broken);
            None
        }
        Err(other) => {
            v.add("request", other.to_string());
            None
        }
    }
}

/// Returns the page size asked for, within 1..=max (0: `default`).
fn page_size(asked: u32, default: u32, max: u32) -> i64 {
    i64::from(if asked == 0 { default } else { asked.min(max) })
}

platform::delegate_rpcs! {
    VideoService for VideoApi {
        put_device: pb::PutDeviceRequest => pb::PutDeviceResponse;
        get_device: pb::GetDeviceRequest => pb::GetDeviceResponse;
        list_devices: pb::ListDevicesRequest => pb::ListDevicesResponse;
        list_cameras: pb::ListCamerasRequest => pb::ListCamerasResponse;
        get_camera: pb::GetCameraRequest => pb::GetCameraResponse;
        summarise_cameras: pb::SummariseCamerasRequest => pb::SummariseCamerasResponse;
        summarise_online_rate: pb::SummariseOnlineRateRequest => pb::SummariseOnlineRateResponse;
        list_catalog_syncs: pb::ListCatalogSyncsRequest => pb::ListCatalogSyncsResponse;
        list_alarms: pb::ListAlarmsRequest => pb::ListAlarmsResponse;
        list_incidents: pb::ListIncidentsRequest => pb::ListIncidentsResponse;
        get_incident: pb::GetIncidentRequest => pb::GetIncidentResponse;
        record_clip: pb::RecordClipRequest => pb::RecordClipResponse;
        get_clip: pb::GetClipRequest => pb::GetClipResponse;
        list_clips: pb::ListClipsRequest => pb::ListClipsResponse;
        hold_clip: pb::HoldClipRequest => pb::HoldClipResponse;
        release_clip: pb::ReleaseClipRequest => pb::ReleaseClipResponse;
        read_clip_file: pb::ReadClipFileRequest => pb::ReadClipFileResponse;
        list_custody_log: pb::ListCustodyLogRequest => pb::ListCustodyLogResponse;
        verify_evidence: pb::VerifyEvidenceRequest => pb::VerifyEvidenceResponse;
        submit_application: pb::SubmitApplicationRequest => pb::SubmitApplicationResponse;
        get_application: pb::GetApplicationRequest => pb::GetApplicationResponse;
        list_applications: pb::ListApplicationsRequest => pb::ListApplicationsResponse;
        review_application: pb::ReviewApplicationRequest => pb::ReviewApplicationResponse;
        issue_copy: pb::IssueCopyRequest => pb::IssueCopyResponse;
        view_footage: pb::ViewFootageRequest => pb::ViewFootageResponse;
        summarise_applications: pb::SummariseApplicationsRequest => pb::SummariseApplicationsResponse;
    }
    streaming {
        stream_analytic_events: pb::StreamAnalyticEventsRequest
            => StreamAnalyticEventsStream = incidents::AckStream;
    }
}
