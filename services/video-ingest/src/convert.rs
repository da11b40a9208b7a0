//! Between the domain and the API's and events' protobuf messages, for
//! `api/` and `events.rs`. A device's credential never leaves.

use proto::video::v1 as pb;

use crate::domain::alarm::Alarm;
use crate::domain::camera::{
    CameraKind, CameraView, Device, DeviceStatus, LatLng, Owner, OwnerKind,
};
use crate::domain::catalog::{CatalogSync, SyncState};
use crate::domain::custody::CustodyEntry;
use crate::domain::disclosure::{Application, Decision, Purpose, State};
use crate::domain::evidence::{Clip, ClipFile};
use crate::domain::incident::{
    AnalyticEvent, BoundingBox, EventDraft, Incident, IncidentKind, Phase, Sighting,
};
use crate::domain::rules::AskedTicket;

pub use platform::time::{from_timestamp, timestamp};

pub fn camera_kind(kind: CameraKind) -> pb::CameraKind {
    match kind {
        CameraKind::General => pb::CameraKind::General,
        CameraKind::Capture => pb::CameraKind::Capture,
        CameraKind::Face => pb::CameraKind::Face,
        CameraKind::Plate => pb::CameraKind::Plate,
        CameraKind::Thermal => pb::CameraKind::Thermal,
    }
}

/// Returns the kind a request names; `None` for UNSPECIFIED or unknown.
pub fn camera_kind_from(kind: i32) -> Option<CameraKind> {
    match pb::CameraKind::try_from(kind).ok()? {
        pb::CameraKind::Unspecified => None,
        pb::CameraKind::General => Some(CameraKind::General),
        pb::CameraKind::Capture => Some(CameraKind::Capture),
        pb::CameraKind::Face => Some(CameraKind::Face),
        pb::CameraKind::Plate => Some(CameraKind::Plate),
        pb::CameraKind::Thermal => Some(CameraKind::Thermal),
    }
}

pub fn owner_kind(kind: OwnerKind) -> pb::OwnerKind {
    match kind {
        OwnerKind::Town => pb::OwnerKind::Town,
        OwnerKind::Enterprise => pb::OwnerKind::Enterprise,
    }
}

/// Returns the owner kind a request names; `None` for UNSPECIFIED or unknown.
pub fn owner_kind_from(kind: i32) -> Option<OwnerKind> {
    match pb::OwnerKind::try_from(kind).ok()? {
        pb::OwnerKind::Unspecified => None,
        pb::OwnerKind::Town => Some(OwnerKind::Town),
        pb::OwnerKind::Enterprise => Some(OwnerKind::Enterprise),
    }
}

pub fn device_status(status: DeviceStatus) -> pb::DeviceStatus {
    match status {
        DeviceStatus::Unregistered => pb::DeviceStatus::Unregistered,
        DeviceStatus::Online => pb::DeviceStatus::Online,
        DeviceStatus::Offline => pb::DeviceStatus::Offline,
    }
}

/// Returns the status a request names; `None` for UNSPECIFIED or unknown.
pub fn device_status_from(status: i32) -> Option<DeviceStatus> {
    match pb::DeviceStatus::try_from(status).ok()? {
        pb::DeviceStatus::Unspecified => None,
        pb::DeviceStatus::Unregistered => Some(DeviceStatus::Unregistered),
        pb::DeviceStatus::Online => Some(DeviceStatus::Online),
        pb::DeviceStatus::Offline => Some(DeviceStatus::Offline),
    }
}

fn lat_lng(at: LatLng) -> pb::LatLng {
    pb::LatLng {
        lat: at.lat,
        lng: at.lng,
    }
}

pub fn owner(o: &Owner) -> pb::Owner {
    pb::Owner {
        kind: owner_kind(o.kind).into(),
        code: o.code.clone(),
        name: o.name.clone(),
    }
}

pub fn camera(v: &CameraView) -> pb::Camera {
    let c = &v.camera;
    pb::Camera {
        channel_id: c.id.to_string(),
        device_id: c.device.to_string(),
        name: c.name.clone(),
        kind: camera_kind(c.kind).into(),
        owner: Some(owner(&v.owner)),
        location: c.location.map(lat_lng),
        grid_code: c
            .placement
            .as_ref()
            .map(|p| p.micro_grid_code.clone())
            .unwrap_or_default(),
        village_code: c
            .placement
            .as_ref()
            .map(|p| p.village_code.clone())
            .unwrap_or_default(),
        stream_ref: c.stream_ref.clone(),
        reported_status: c.reported_status.clone().unwrap_or_default(),
        manufacturer: c.manufacturer.clone(),
        model: c.model.clone(),
        device_status: device_status(v.device_status).into(),
        updated_at: Some(timestamp(c.updated_at)),
    }
}

pub fn device(d: &Device, channels: &[CameraView]) -> pb::Device {
    pb::Device {
        device_id: d.id.to_string(),
        name: d.name.clone(),
        owner: Some(owner(&d.owner)),
        status: device_status(d.status).into(),
        transport: d
            .link
            .as_ref()
            .map(|l| l.transport.as_str().to_owned())
            .unwrap_or_default(),
        address: d
            .link
            .as_ref()
            .map(|l| l.address.clone())
            .unwrap_or_default(),
        registered_at: d.registered_at.map(timestamp),
        registration_expires_at: d.registration_expires_at.map(timestamp),
        last_keepalive_at: d.last_keepalive_at.map(timestamp),
        offline_deadline: d.offline_deadline.map(timestamp),
        channels: channels.iter().map(camera).collect(),
        has_password: d.credential.is_some(),
    }
}

pub fn sync_state(state: SyncState) -> pb::SyncState {
    match state {
        SyncState::Collecting => pb::SyncState::Collecting,
        SyncState::Complete => pb::SyncState::Complete,
        SyncState::TimedOut => pb::SyncState::TimedOut,
    }
}

pub fn sync(s: &CatalogSync) -> pb::CatalogSync {
    pb::CatalogSync {
        sync_id: s.id.to_string(),
        device_id: s.device.to_string(),
        sn: s.sn,
        sum_num: s.sum_num,
        received: s.received,
        state: sync_state(s.state).into(),
        removed: s.removed,
        started_at: Some(timestamp(s.started_at)),
        finished_at: s.finished_at.map(timestamp),
    }
}

pub fn alarm(a: &Alarm) -> pb::Alarm {
    pb::Alarm {
        alarm_id: a.id.to_string(),
        device_id: a.device.to_string(),
        channel_id: a
            .channel
            .as_ref()
            .map(ToString::to_string)
            .unwrap_or_default(),
        sn: a.sn,
        priority: a.priority,
        method: a.method,
        alarm_type: a.alarm_type.clone(),
        description: a.description.clone(),
        alarm_time: a.alarm_time.map(timestamp),
        received_at: Some(timestamp(a.received_at)),
        usable: a.unusable.is_none(),
        reason: a.unusable.clone().unwrap_or_default(),
    }
}

pub fn incident_kind(kind: IncidentKind) -> pb::IncidentKind {
    match kind {
        IncidentKind::Fire => pb::IncidentKind::Fire,
        IncidentKind::IllegalDumping => pb::IncidentKind::IllegalDumping,
        IncidentKind::StrawBurning => pb::IncidentKind::StrawBurning,
        IncidentKind::Intrusion => pb::IncidentKind::Intrusion,
        IncidentKind::DeviceAlarm => pb::IncidentKind::DeviceAlarm,
    }
}

pub fn incident_kind_from(kind: i32) -> Option<IncidentKind> {
    match pb::IncidentKind::try_from(kind).ok()? {
        pb::IncidentKind::Unspecified => None,
        pb::IncidentKind::Fire => Some(IncidentKind::Fire),
        pb::IncidentKind::IllegalDumping => Some(IncidentKind::IllegalDumping),
        pb::IncidentKind::StrawBurning => Some(IncidentKind::StrawBurning),
        pb::IncidentKind::Intrusion => Some(IncidentKind::Intrusion),
        pb::IncidentKind::DeviceAlarm => Some(IncidentKind::DeviceAlarm),
    }
}

pub fn phase(p: Phase) -> pb::EventPhase {
    match p {
        Phase::Start => pb::EventPhase::Start,
        Phase::Update => pb::EventPhase::Update,
        Phase::End => pb::EventPhase::End,
    }
}

pub fn phase_from(p: i32) -> Option<Phase> {
    match pb::EventPhase::try_from(p).ok()? {
        pb::EventPhase::Unspecified => None,
        pb::EventPhase::Start => Some(Phase::Start),
        pb::EventPhase::Update => Some(Phase::Update),
        pb::EventPhase::End => Some(Phase::End),
    }
}

fn bbox(b: BoundingBox) -> pb::Box {
    pb::Box {
        x: b.x,
        y: b.y,
        width: b.width,
        height: b.height,
    }
}

/// Returns the event as sent, to be checked.
pub fn event_draft(e: pb::AnalyticEvent) -> EventDraft {
    EventDraft {
        kind: incident_kind_from(e.kind),
        phase: phase_from(e.phase),
        bbox: e.r#box.map(|b| BoundingBox {
            x: b.x,
            y: b.y,
            width: b.width,
            height: b.height,
        }),
        occurred_at: e.occurred_at.and_then(|t| from_timestamp(&t)),
        event_id: e.event_id,
        channel_id: e.channel_id,
        track_id: e.track_id,
        object_type: e.object_type,
        score: e.score,
        snapshot_ref: e.snapshot_ref,
        snapshot_sha256: e.snapshot_sha256,
    }
}

pub fn analytic_event(e: &AnalyticEvent) -> pb::AnalyticEvent {
    pb::AnalyticEvent {
        event_id: e.id.to_string(),
        channel_id: e.channel.to_string(),
        kind: incident_kind(e.kind).into(),
        phase: phase(e.phase).into(),
        track_id: e.track_id.clone(),
        object_type: e.object_type.clone(),
        score: e.score,
        r#box: e.bbox.map(bbox),
        snapshot_ref: e
            .snapshot
            .as_ref()
            .map(|s| s.reference.clone())
            .unwrap_or_default(),
        snapshot_sha256: e
            .snapshot
            .as_ref()
            .map(|s| s.sha256.clone())
            .unwrap_or_default(),
        occurred_at: Some(timestamp(e.occurred_at)),
    }
}

pub fn incident(i: &Incident, history: &[Sighting], tickets: &[AskedTicket]) -> pb::Incident {
    pb::Incident {
        incident_id: i.id.to_string(),
        channel_id: i.channel.to_string(),
        device_id: i.device.to_string(),
        kind: incident_kind(i.kind).into(),
        grid_code: i.grid_code.clone().unwrap_or_default(),
        location: i.location.map(|l| pb::LatLng {
            lat: l.lat,
            lng: l.lng,
        }),
        first_at: Some(timestamp(i.first_at)),
        last_at: Some(timestamp(i.last_at)),
        events: i.events,
        max_score: i.max_score,
        history: history
            .iter()
            .map(|s| pb::IncidentEvent {
                event_id: s.id.to_string(),
                phase: phase(s.phase).into(),
                track_id: s.track_id.clone(),
                object_type: s.object_type.clone(),
                score: s.score,
                r#box: s.bbox.map(bbox),
                snapshot_ref: s
                    .snapshot
                    .as_ref()
                    .map(|x| x.reference.clone())
                    .unwrap_or_default(),
                snapshot_sha256: s
                    .snapshot
                    .as_ref()
                    .map(|x| x.sha256.clone())
                    .unwrap_or_default(),
                occurred_at: Some(timestamp(s.occurred_at)),
                alarm_id: s.alarm.map(|a| a.to_string()).unwrap_or_default(),
            })
            .collect(),
        tickets: tickets
            .iter()
            .map(|t| pb::IncidentTicket {
                rule_code: t.rule_code.clone(),
                unit_kind: t.unit_kind.clone(),
                unit_code: t.unit_code.clone(),
                priority: t.priority.as_str().to_owned(),
                ticket_ref: t.ticket_ref.clone(),
                requested_at: Some(timestamp(t.requested_at)),
            })
            .collect(),
    }
}

/// A clip's file.
pub fn clip_file(f: &ClipFile) -> pb::ClipFile {
    pb::ClipFile {
        name: f.name.clone(),
        object_key: f.key.clone(),
        size_bytes: f.size_bytes,
        sha256: hex::encode(f.sha256),
    }
}

/// A clip and its manifest.
pub fn clip(c: &Clip) -> pb::Clip {
    pb::Clip {
        clip_id: c.id.to_string(),
        channel_id: c.channel_id.to_string(),
        device_id: c.device_id.to_string(),
        identifies: c.camera_kind.identifies(),
        starts_at: Some(timestamp(c.starts_at)),
        ends_at: Some(timestamp(c.ends_at)),
        incident_id: c.incident_id.map(|i| i.to_string()).unwrap_or_default(),
        source_clip_id: c.source.map(|s| s.to_string()).unwrap_or_default(),
        files: c.files.iter().map(clip_file).collect(),
        manifest_sha256: hex::encode(c.manifest_hash()),
        retain_until: Some(timestamp(c.retain_until)),
        hold: c.hold.as_ref().map(|h| pb::Hold {
            reason: h.reason.clone(),
            held_by: h.by.clone(),
            held_at: Some(timestamp(h.at)),
        }),
        purged_at: c.purged_at.map(timestamp),
        recorded_by: c.recorded_by.clone(),
        recorded_at: Some(timestamp(c.recorded_at)),
    }
}

/// An entry of the custody and access log.
pub fn custody_entry(e: &CustodyEntry) -> pb::CustodyEntry {
    let r = &e.record;
    pb::CustodyEntry {
        seq: e.seq,
        action: r.action.as_str().to_owned(),
        clip_id: r.clip_id.map(|c| c.to_string()).unwrap_or_default(),
        application_id: r.application_id.map(|a| a.to_string()).unwrap_or_default(),
        actor: r.actor.clone(),
        actor_role: r.actor_role.clone(),
        detail: r.detail.clone(),
        recorded_at: Some(timestamp(r.recorded_at)),
        prev_hash: hex::encode(e.prev_hash),
        entry_hash: hex::encode(e.entry_hash),
    }
}

pub fn purpose(p: Purpose) -> pb::Purpose {
    match p {
        Purpose::LostItem => pb::Purpose::LostItem,
        Purpose::VehicleScrape => pb::Purpose::VehicleScrape,
        Purpose::IllegalDumping => pb::Purpose::IllegalDumping,
        Purpose::StrawBurning => pb::Purpose::StrawBurning,
        Purpose::Other => pb::Purpose::Other,
    }
}

pub fn purpose_from(p: i32) -> Option<Purpose> {
    match pb::Purpose::try_from(p).ok()? {
        pb::Purpose::Unspecified => None,
        pb::Purpose::LostItem => Some(Purpose::LostItem),
        pb::Purpose::VehicleScrape => Some(Purpose::VehicleScrape),
        pb::Purpose::IllegalDumping => Some(Purpose::IllegalDumping),
        pb::Purpose::StrawBurning => Some(Purpose::StrawBurning),
        pb::Purpose::Other => Some(Purpose::Other),
    }
}

pub fn application_state(s: State) -> pb::ApplicationState {
    match s {
        State::Submitted => pb::ApplicationState::Submitted,
        State::Approved => pb::ApplicationState::Approved,
        State::Refused => pb::ApplicationState::Refused,
    }
}

pub fn application_state_from(s: i32) -> Option<State> {
    match pb::ApplicationState::try_from(s).ok()? {
        pb::ApplicationState::Unspecified => None,
        pb::ApplicationState::Submitted => Some(State::Submitted),
        pb::ApplicationState::Approved => Some(State::Approved),
        pb::ApplicationState::Refused => Some(State::Refused),
    }
}

pub fn decision(d: Decision) -> pb::Decision {
    match d {
        Decision::Viewing => pb::Decision::Viewing,
        Decision::Copy => pb::Decision::Copy,
    }
}

pub fn decision_from(d: i32) -> Option<Decision> {
    match pb::Decision::try_from(d).ok()? {
        pb::Decision::Unspecified => None,
        pb::Decision::Viewing => Some(Decision::Viewing),
        pb::Decision::Copy => Some(Decision::Copy),
    }
}

/// An application; the applicant masked unless `reveal` (the review).
pub fn application(a: &Application, reveal: bool) -> pb::Application {
    let applicant = if reveal {
        pb::Applicant {
            name: a.applicant.name.clone(),
            id_number: a.applicant.id_number.clone(),
            phone: a.applicant.phone.clone(),
        }
    } else {
        pb::Applicant {
            name: platform::mask::name(&a.applicant.name),
            id_number: platform::mask::id_number(&a.applicant.id_number),
            phone: platform::mask::phone(&a.applicant.phone),
        }
    };
    pb::Application {
        application_id: a.id.to_string(),
        number: a.number.clone(),
        applicant: Some(applicant),
        channel_ids: a.channels.iter().map(ToString::to_string).collect(),
        starts_at: Some(timestamp(a.starts_at)),
        ends_at: Some(timestamp(a.ends_at)),
        purpose: purpose(a.purpose).into(),
        purpose_detail: a.purpose_detail.clone(),
        dispute_ticket: a.dispute_ticket.clone().unwrap_or_default(),
        state: application_state(a.state).into(),
        decision: a
            .decision
            .map_or(pb::Decision::Unspecified, decision)
            .into(),
        refusal_reason: a.refusal_reason.clone().unwrap_or_default(),
        reviewed_by: a.reviewed_by.clone().unwrap_or_default(),
        reviewed_at: a.reviewed_at.map(timestamp),
        valid_until: a.valid_until.map(timestamp),
        submitted_at: Some(timestamp(a.submitted_at)),
        copies: a
            .copies
            .iter()
            .map(|c| pb::IssuedCopy {
                copy_clip_id: c.copy_clip.to_string(),
                source_clip_id: c.source_clip.to_string(),
                issued_at: Some(timestamp(c.issued_at)),
                expires_at: Some(timestamp(c.expires_at)),
            })
            .collect(),
    }
}

/// Returns an online rate as the API shows it, named `name`.
pub fn online_rate(
    r: &crate::domain::availability::OnlineRate,
    name: Option<&String>,
) -> pb::OnlineRate {
    let hours = |d: chrono::Duration| d.num_milliseconds() as f64 / 3_600_000.0;
    pb::OnlineRate {
        bucket_start: Some(timestamp(r.bucket_start)),
        key: r.key.clone(),
        name: name.cloned().unwrap_or_else(|| r.key.clone()),
        cameras: r.cameras,
        online_camera_hours: hours(r.online),
        known_camera_hours: hours(r.known),
        rate: r.rate().unwrap_or(0.0),
        has_rate: r.rate().is_some(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_owner_and_status_goes_out_and_comes_back() {
        for kind in CameraKind::ALL {
            assert_eq!(camera_kind_from(camera_kind(kind).into()), Some(kind));
        }
        for kind in [OwnerKind::Town, OwnerKind::Enterprise] {
            assert_eq!(owner_kind_from(owner_kind(kind).into()), Some(kind));
        }
        for status in DeviceStatus::ALL {
            assert_eq!(
                device_status_from(device_status(status).into()),
                Some(status)
            );
        }
        assert_eq!(camera_kind_from(0), None);
        assert_eq!(camera_kind_from(99), None);
    }
}
