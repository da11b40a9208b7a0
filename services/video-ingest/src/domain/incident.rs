//! Analytic events (what an edge box or an NVR's analytics saw: a start,
//! updates and an end of a tracked object) and incidents: a camera's
//! events of one kind, each within the window of the one before. Alarms a
//! device reports join incidents as well.

use chrono::{DateTime, TimeDelta, Utc};
use kernel::FieldViolation;
use uuid::Uuid;

use super::alarm::Alarm;
use super::camera::{CameraKind, CameraView, LatLng};
use super::gbid::GbId;
use super::ids::{AlarmId, IncidentId};

/// What an incident is of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IncidentKind {
    Fire,
    IllegalDumping,
    StrawBurning,
    Intrusion,
    DeviceAlarm,
}

impl IncidentKind {
    pub const ALL: [IncidentKind; 5] = [
        IncidentKind::Fire,
        IncidentKind::IllegalDumping,
        IncidentKind::StrawBurning,
        IncidentKind::Intrusion,
        IncidentKind::DeviceAlarm,
    ];

    /// Returns the stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            IncidentKind::Fire => "FIRE",
            IncidentKind::IllegalDumping => "ILLEGAL_DUMPING",
            IncidentKind::StrawBurning => "STRAW_BURNING",
            IncidentKind::Intrusion => "INTRUSION",
            IncidentKind::DeviceAlarm => "DEVICE_ALARM",
        }
    }

    /// Returns the kind stored as `name`.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == name)
    }

    /// Returns the kind of incident an alarm of a camera of `camera` kind
    /// is: the thermal camera alarms only for fire (高空火情).
    pub fn of_alarm(camera: CameraKind) -> Self {
        match camera {
            CameraKind::Thermal => IncidentKind::Fire,
            _ => IncidentKind::DeviceAlarm,
        }
    }

    /// Returns the Chinese and English name, for titles.
    pub fn title(self) -> &'static str {
        match self {
            IncidentKind::Fire => "火情 / fire",
            IncidentKind::IllegalDumping => "偷倒垃圾 / illegal dumping",
            IncidentKind::StrawBurning => "焚烧秸秆 / straw burning",
            IncidentKind::Intrusion => "闯入 / intrusion",
            IncidentKind::DeviceAlarm => "设备报警 / device alarm",
        }
    }
}

/// Where a tracked object is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    Start,
    Update,
    End,
}

impl Phase {
    /// Returns the stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Start => "START",
            Phase::Update => "UPDATE",
            Phase::End => "END",
        }
    }

    /// Returns the phase stored as `name`.
    pub fn parse(name: &str) -> Option<Self> {
        [Phase::Start, Phase::Update, Phase::End]
            .into_iter()
            .find(|p| p.as_str() == name)
    }
}

/// A bounding box, as fractions of the frame.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BoundingBox {
    pub x: f64,
    pub y: f64,
    pub width: f64,
    pub height: f64,
}

impl BoundingBox {
    /// Returns whether the box lies within the frame.
    pub fn is_in_frame(self) -> bool {
        let unit = 0.0..=1.0;
        unit.contains(&self.x)
            && unit.contains(&self.y)
            && self.width > 0.0
            && self.height > 0.0
            && self.x + self.width <= 1.0 + 1e-9
            && self.y + self.height <= 1.0 + 1e-9
    }
}

/// An analytic event as a sender described it (not yet checked).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EventDraft {
    pub event_id: String,
    pub channel_id: String,
    pub kind: Option<IncidentKind>,
    pub phase: Option<Phase>,
    pub track_id: String,
    pub object_type: String,
    pub score: f64,
    pub bbox: Option<BoundingBox>,
    pub snapshot_ref: String,
    pub snapshot_sha256: String,
    pub occurred_at: Option<DateTime<Utc>>,
}

/// A checked analytic event.
#[derive(Debug, Clone, PartialEq)]
pub struct AnalyticEvent {
    pub id: Uuid,
    pub channel: GbId,
    pub kind: IncidentKind,
    pub phase: Phase,
    pub track_id: String,
    pub object_type: String,
    pub score: f64,
    pub bbox: Option<BoundingBox>,
    pub snapshot: Option<Snapshot>,
    pub occurred_at: DateTime<Utc>,
}

/// A snapshot reference and the SHA-256 of what it names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    pub reference: String,
    /// 64 lower-case hex digits.
    pub sha256: String,
}

/// Returns whether `text` is a SHA-256 as 64 hex digits.
pub fn is_sha256_hex(text: &str) -> bool {
    text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit())
}

impl EventDraft {
    /// Checks the event; violations name `field` + the event's field.
    ///
    /// # Errors
    /// Every broken rule, in field order.
    pub fn check(self, field: &str) -> Result<AnalyticEvent, Vec<FieldViolation>> {
        let mut broken = Vec::new();
        let mut breaks = |name: &str, rule: &str| {
            broken.push(FieldViolation::new(format!("{field}.{name}"), rule))
        };
        let id = Uuid::parse_str(self.event_id.trim()).ok();
        if id.is_none() {
            breaks("event_id", "must be a UUID");
        }
        let channel = GbId::parse(self.channel_id.trim()).ok();
        if channel.is_none() {
            breaks("channel_id", "must be a 20-digit GB/T 28181 code");
        }
        if self.kind.is_none() {
            breaks("kind", "must be an incident kind");
        }
        if self.phase.is_none() {
            breaks("phase", "must be START, UPDATE or END");
        }
        if self.track_id.trim().is_empty() || self.track_id.chars().count() > 64 {
            breaks("track_id", "must be 1 to 64 characters");
        }
        let object = self.object_type.trim();
        if object.is_empty() || object.chars().count() > 40 {
            breaks("object_type", "must be 1 to 40 characters");
        }
        if !(0.0..=1.0).contains(&self.score) {
            breaks("score", "must be between 0 and 1");
        }
        if self.bbox.is_some_and(|b| !b.is_in_frame()) {
            breaks(
                "box",
                "must lie within the frame (fractions 0–1, non-empty)",
            );
        }
        let reference = self.snapshot_ref.trim();
        let sha = self.snapshot_sha256.trim().to_ascii_lowercase();
        if reference.chars().count() > 500 {
            breaks("snapshot_ref", "must be at most 500 characters");
        }
        if !reference.is_empty() && !is_sha256_hex(&sha) {
            breaks(
                "snapshot_sha256",
                "must be the snapshot's SHA-256 as 64 hex digits",
            );
        }
        if reference.is_empty() && !sha.is_empty() {
            breaks("snapshot_ref", "is required with snapshot_sha256");
        }
        if self.occurred_at.is_none() {
            breaks("occurred_at", "is required");
        }
        match (id, channel, self.kind, self.phase, self.occurred_at) {
            (Some(id), Some(channel), Some(kind), Some(phase), Some(at)) if broken.is_empty() => {
                Ok(AnalyticEvent {
                    id,
                    channel,
                    kind,
                    phase,
                    track_id: self.track_id.trim().to_owned(),
                    object_type: object.to_owned(),
                    score: self.score,
                    bbox: self.bbox,
                    snapshot: (!reference.is_empty()).then(|| Snapshot {
                        reference: reference.to_owned(),
                        sha256: sha,
                    }),
                    occurred_at: at,
                })
            }
            _ => Err(broken),
        }
    }
}

/// What joins an incident: an analytic event, or an alarm.
#[derive(Debug, Clone, PartialEq)]
pub struct Sighting {
    /// The analytic event's id, or the alarm's.
    pub id: Uuid,
    pub kind: IncidentKind,
    pub phase: Phase,
    pub track_id: String,
    pub object_type: String,
    pub score: f64,
    pub bbox: Option<BoundingBox>,
    pub snapshot: Option<Snapshot>,
    pub occurred_at: DateTime<Utc>,
    pub alarm: Option<AlarmId>,
}

impl From<&AnalyticEvent> for Sighting {
    fn from(e: &AnalyticEvent) -> Self {
        Self {
            id: e.id,
            kind: e.kind,
            phase: e.phase,
            track_id: e.track_id.clone(),
            object_type: e.object_type.clone(),
            score: e.score,
            bbox: e.bbox,
            snapshot: e.snapshot.clone(),
            occurred_at: e.occurred_at,
            alarm: None,
        }
    }
}

impl Sighting {
    /// Returns what a usable `alarm` of a camera of `camera` kind adds to
    /// an incident: certain as its priority says (1, the most urgent: 1.0;
    /// each level below 0.1 less), at its AlarmTime.
    pub fn of_alarm(alarm: &Alarm, camera: CameraKind) -> Self {
        let level = f64::from(alarm.priority.clamp(1, 4) - 1);
        Self {
            id: alarm.id.0,
            kind: IncidentKind::of_alarm(camera),
            phase: Phase::Start,
            track_id: format!("alarm-{}", alarm.sn),
            object_type: if alarm.alarm_type.trim().is_empty() {
                format!("alarm method {}", alarm.method)
            } else {
                format!(
                    "alarm method {} type {}",
                    alarm.method,
                    alarm.alarm_type.trim()
                )
            },
            score: 1.0 - 0.1 * level,
            bbox: None,
            snapshot: None,
            occurred_at: alarm.alarm_time.unwrap_or(alarm.received_at),
            alarm: Some(alarm.id),
        }
    }
}

/// A camera's events of one kind, each within the window of the one
/// before.
#[derive(Debug, Clone, PartialEq)]
pub struct Incident {
    pub id: IncidentId,
    pub channel: GbId,
    pub device: GbId,
    pub kind: IncidentKind,
    pub camera_kind: CameraKind,
    pub grid_code: Option<String>,
    pub location: Option<LatLng>,
    pub first_at: DateTime<Utc>,
    pub last_at: DateTime<Utc>,
    pub events: u32,
    pub max_score: f64,
}

impl Incident {
    /// Returns the incident `sighting` at `camera` opens.
    pub fn open(camera: &CameraView, sighting: &Sighting) -> Self {
        Self {
            id: IncidentId::generate(),
            channel: camera.camera.id.clone(),
            device: camera.camera.device.clone(),
            kind: sighting.kind,
            camera_kind: camera.camera.kind,
            grid_code: camera
                .camera
                .placement
                .as_ref()
                .map(|p| p.micro_grid_code.clone()),
            location: camera.camera.location,
            first_at: sighting.occurred_at,
            last_at: sighting.occurred_at,
            events: 1,
            max_score: sighting.score,
        }
    }

    /// Returns whether `sighting` belongs here: the same kind, within
    /// `window` of the incident's events (either side: events of one
    /// camera may arrive out of order).
    pub fn takes(&self, sighting: &Sighting, window: TimeDelta) -> bool {
        sighting.kind == self.kind
            && sighting.occurred_at >= self.first_at - window
            && sighting.occurred_at <= self.last_at + window
    }

    /// Adds `sighting` (which [`Incident::takes`]).
    pub fn add(&mut self, sighting: &Sighting) {
        self.first_at = self.first_at.min(sighting.occurred_at);
        self.last_at = self.last_at.max(sighting.occurred_at);
        self.events = self.events.saturating_add(1);
        self.max_score = self.max_score.max(sighting.score);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::camera::{Camera, DeviceStatus, Owner, Placement};

    fn draft() -> EventDraft {
        EventDraft {
            event_id: Uuid::now_v7().to_string(),
            channel_id: "31011600001320000001".into(),
            kind: Some(IncidentKind::IllegalDumping),
            phase: Some(Phase::Start),
            track_id: "t-1".into(),
            object_type: "truck".into(),
            score: 0.9,
            bbox: Some(BoundingBox {
                x: 0.1,
                y: 0.1,
                width: 0.5,
                height: 0.5,
            }),
            snapshot_ref: "snapshots/1.jpg".into(),
            snapshot_sha256: "AB".repeat(32),
            occurred_at: Some(DateTime::UNIX_EPOCH),
        }
    }

    fn camera() -> CameraView {
        CameraView {
            camera: Camera {
                id: GbId::parse("31011600001320000001").unwrap(),
                device: GbId::parse("31011600001320000001").unwrap(),
                name: "c".into(),
                kind: CameraKind::General,
                location: None,
                placement: Some(Placement {
                    micro_grid_code: "LX-V01-G01".into(),
                    village_code: "LX-V01".into(),
                }),
                stream_ref: String::new(),
                reported_status: None,
                manufacturer: String::new(),
                model: String::new(),
                updated_at: DateTime::UNIX_EPOCH,
            },
            owner: Owner::town(),
            device_status: DeviceStatus::Online,
        }
    }

    #[test]
    fn a_good_event_is_taken_with_its_hash_lower_cased() {
        let event = draft().check("events[0]").unwrap();
        assert_eq!(event.snapshot.unwrap().sha256, "ab".repeat(32));
    }

    #[test]
    fn a_bad_event_names_every_field_under_its_place() {
        let bad = EventDraft {
            event_id: "x".into(),
            score: 1.5,
            bbox: Some(BoundingBox {
                x: 0.8,
                y: 0.0,
                width: 0.5,
                height: 0.1,
            }),
            snapshot_sha256: "abc".into(),
            ..draft()
        };
        let broken = bad.check("events[3]").unwrap_err();
        let fields: Vec<_> = broken.iter().map(|b| b.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "events[3].event_id",
                "events[3].score",
                "events[3].box",
                "events[3].snapshot_sha256"
            ]
        );
    }

    #[test]
    fn events_within_the_window_of_one_another_are_one_incident() {
        let window = TimeDelta::minutes(5);
        let first = Sighting::from(&draft().check("e").unwrap());
        let mut incident = Incident::open(&camera(), &first);
        let mut later = first.clone();
        later.occurred_at += TimeDelta::minutes(4);
        later.score = 0.95;
        assert!(incident.takes(&later, window));
        incident.add(&later);
        let mut much_later = later.clone();
        much_later.occurred_at += TimeDelta::minutes(6);
        assert!(
            !incident.takes(&much_later, window),
            "a quiet window ends it"
        );
        let mut other = later.clone();
        other.kind = IncidentKind::Fire;
        assert!(
            !incident.takes(&other, window),
            "another kind, another incident"
        );
        assert_eq!((incident.events, incident.max_score), (2, 0.95));
        assert_eq!(incident.grid_code.as_deref(), Some("LX-V01-G01"));
    }

    #[test]
    fn the_thermal_cameras_alarm_is_a_fire() {
        assert_eq!(
            IncidentKind::of_alarm(CameraKind::Thermal),
            IncidentKind::Fire
        );
        assert_eq!(
            IncidentKind::of_alarm(CameraKind::General),
            IncidentKind::DeviceAlarm
        );
    }
}
