//! The tonic implementation of `weigrid.video.v1.VideoService`. Each
//! handler decodes the request into a command (bad input is
//! INVALID_ARGUMENT naming the field, before any other work), builds the
//! call's idempotency key, calls one use case and encodes its answer.

mod cameras;
mod incidents;

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
        list_catalog_syncs: pb::ListCatalogSyncsRequest => pb::ListCatalogSyncsResponse;
        list_alarms: pb::ListAlarmsRequest => pb::ListAlarmsResponse;
        list_incidents: pb::ListIncidentsRequest => pb::ListIncidentsResponse;
        get_incident: pb::GetIncidentRequest => pb::GetIncidentResponse;
    }
    streaming {
        stream_analytic_events: pb::StreamAnalyticEventsRequest
            => StreamAnalyticEventsStream = incidents::AckStream;
    }
}
