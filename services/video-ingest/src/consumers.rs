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
        self.apply_all(work, vec![event]).await
    }

    /// A batch's events are taken in together: each incident they join is
    /// saved once and asks for its tickets once.
    async fn apply_all(&self, work: &mut Work, events: Vec<Seen>) -> Result<(), HandlerError> {
        let seen: Vec<_> = events.iter().map(|e| (&e.camera, &e.sighting)).collect();
        incidents::take_sightings(work, &self.ctx, &seen).await?;
        Ok(())
    }
}
