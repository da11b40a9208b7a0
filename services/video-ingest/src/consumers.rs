//! The service's own analytic events (`video.analytic.received`, which
//! StreamAnalyticEvents published acknowledged), through the inbox: each
//! joins its camera's incident once, however often it is delivered. An
//! event that cannot be read, or names a camera removed since, is refused
//! and set aside in `inbox_dead_letters`.

use platform::error::AppError;
use platform::inbox::{EventHandler, HandlerError, ReceivedEvent};
use platform::uow::Work;
use prost::Message as _;
use proto::video::v1 as pb;

use crate::application::{Context, incidents};
use crate::convert;
use crate::domain::camera::CameraView;
use crate::domain::incident::Sighting;

/// The durable consumer of analytic events.
pub const ANALYTIC_CONSUMER: &str = "video-analytic-received";

/// Groups analytic events into incidents.
#[derive(Clone)]
pub struct AnalyticEvents {
    pub ctx: Context,
}

/// An event decoded, with its camera (read before the work opens).
pub struct Seen {
    pub camera: CameraView,
    pub sighting: Sighting,
}

impl EventHandler for AnalyticEvents {
    type Event = Seen;

    async fn prepare(&self, event: &ReceivedEvent) -> Result<Option<Seen>, HandlerError> {
        let received = pb::AnalyticReceived::decode(event.payload.as_ref())?;
        let draft = convert::event_draft(received.event.unwrap_or_default());
        let checked = draft
            .check("event")
            .map_err(|broken| HandlerError::from(AppError::InvalidArgument(broken)))?;
        let camera = incidents::camera_of(&self.ctx, &checked.channel)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("camera {}", checked.channel)))?;
        Ok(Some(Seen {
            camera,
            sighting: Sighting::from(&checked),
        }))
    }

    async fn apply(&self, work: &mut Work, event: Seen) -> Result<(), HandlerError> {
        incidents::take_sighting(work, &self.ctx, &event.camera, &event.sighting).await?;
        Ok(())
    }
}
