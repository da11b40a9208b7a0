//! Loads the Langxia data set's cameras into video ingest through its
//! public API (PutDevice), after the registry holds the town: video ingest
//! places each camera in its micro-grid through the registry.
//!
//! A load resumes: it first lists the devices video ingest holds, leaves
//! those alone and adds the rest. Every call carries an idempotency key
//! derived from the device's code, so a call an interrupted load left in
//! flight is replayed, not repeated. No device gets a password here: the
//! town sets each when the device is configured.

use std::collections::HashSet;
use std::time::Instant;

use futures::StreamExt as _;
use langxia::{CameraDevice, CameraKind, CameraOwner, Town};
use proto::video::v1 as pb;
use serde_json::{Value, json};

use crate::connect::{PAGE_SIZE, Video, all_pages};
use crate::load::Tally;

/// How many devices are put at once: each places all its channels through
/// the registry first.
const CONCURRENCY: usize = 4;

/// What a camera load did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct CameraReport {
    pub devices: Tally,
    /// Cameras (channels) of the devices this load added.
    pub cameras_added: usize,
    pub elapsed: std::time::Duration,
}

impl CameraReport {
    /// Returns the report in one line for people.
    pub fn summary(&self) -> String {
        let seconds = self.elapsed.as_secs_f64();
        if self.devices.added == 0 {
            return format!(
                "the Langxia cameras are complete (checked in {seconds:.1} s): {} devices already present",
                self.devices.present
            );
        }
        format!(
            "loaded the Langxia cameras in {seconds:.1} s: added {} devices with {} cameras; {} devices already present",
            self.devices.added, self.cameras_added, self.devices.present
        )
    }

    /// Returns the report for scripts.
    pub fn to_json(&self) -> Value {
        json!({
            "devices": self.devices.added, "cameras": self.cameras_added,
            "present": { "devices": self.devices.present },
            "seconds": self.elapsed.as_secs_f64(),
        })
    }
}

/// Returns the generated kind of a data-set camera.
fn kind(kind: CameraKind) -> pb::CameraKind {
    match kind {
        CameraKind::General => pb::CameraKind::General,
        CameraKind::Capture => pb::CameraKind::Capture,
        CameraKind::Face => pb::CameraKind::Face,
        CameraKind::Plate => pb::CameraKind::Plate,
        CameraKind::Thermal => pb::CameraKind::Thermal,
    }
}

/// Returns the PutDevice call that adds `device`.
fn request(device: &CameraDevice) -> pb::PutDeviceRequest {
    let owner = match &device.owner {
        CameraOwner::Town => pb::Owner {
            kind: pb::OwnerKind::Town.into(),
            ..Default::default()
        },
        CameraOwner::Enterprise { code, name } => pb::Owner {
            kind: pb::OwnerKind::Enterprise.into(),
            code: code.clone(),
            name: name.clone(),
        },
    };
    pb::PutDeviceRequest {
        idempotency_key: format!("langxia:device:{}", device.id),
        device_id: device.id.clone(),
        name: device.name.clone(),
        owner: Some(owner),
        password: String::new(),
        channels: device
            .channels
            .iter()
            .map(|c| pb::ChannelSpec {
                channel_id: c.id.clone(),
                name: c.name.clone(),
                kind: kind(c.kind).into(),
                location: Some(pb::LatLng {
                    lat: c.location.1,
                    lng: c.location.0,
                }),
                stream_ref: format!("gb28181://{}/{}", device.id, c.id),
            })
            .collect(),
    }
}

/// Loads the cameras of `town` that video ingest does not hold yet.
///
/// # Errors
/// Video ingest fails, or refuses a device (naming it).
pub async fn load(client: &Video, town: &Town) -> anyhow::Result<CameraReport> {
    let started = Instant::now();
    let mut report = CameraReport::default();
    let there: HashSet<String> = all_pages(|page_token| {
        let mut c = client.clone();
        async move {
            let page = c
                .list_devices(pb::ListDevicesRequest {
                    page_size: PAGE_SIZE,
                    page_token,
                    ..Default::default()
                })
                .await?
                .into_inner();
            Ok((page.devices, page.next_page_token))
        }
    })
    .await
    .map_err(|s| anyhow::anyhow!("listing devices: {}", crate::render::status(&s)))?
    .into_iter()
    .map(|d| d.device_id)
    .collect();
    let (present, missing): (Vec<_>, Vec<_>) =
        town.cameras.iter().partition(|d| there.contains(&d.id));
    report.devices.present = present.len();
    let calls = missing.into_iter().map(|device| {
        let request = request(device);
        let channels = device.channels.len();
        let mut c = client.clone();
        async move {
            c.put_device(request)
                .await
                .map(|answer| (answer.into_inner().created, channels))
                .map_err(|s| (device.id.clone(), s))
        }
    });
    let mut outcomes = std::pin::pin!(futures::stream::iter(calls).buffer_unordered(CONCURRENCY));
    while let Some(outcome) = outcomes.next().await {
        match outcome {
            Ok((true, channels)) => {
                report.devices.added += 1;
                report.cameras_added += channels;
            }
            Ok((false, _)) => report.devices.present += 1,
            Err((id, s)) => {
                return Err(anyhow::anyhow!(
                    "loading device {id}: {}",
                    crate::render::status(&s)
                ));
            }
        }
    }
    report.elapsed = started.elapsed();
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_device_of_the_data_set_becomes_one_call_keyed_by_its_code() {
        let town = langxia::generate();
        let thermal = town
            .cameras
            .iter()
            .find(|d| d.channels.iter().any(|c| c.kind == CameraKind::Thermal))
            .expect("the thermal camera");
        let call = request(thermal);
        assert_eq!(
            call.idempotency_key,
            format!("langxia:device:{}", thermal.id)
        );
        assert_eq!(call.channels.len(), 1);
        assert_eq!(call.channels[0].kind(), pb::CameraKind::Thermal);
        assert_eq!(call.owner.unwrap().kind(), pb::OwnerKind::Town);
        let enterprise = town
            .cameras
            .iter()
            .find(|d| matches!(d.owner, CameraOwner::Enterprise { .. }))
            .expect("an enterprise's NVR");
        let owner = request(enterprise).owner.unwrap();
        assert_eq!(owner.kind(), pb::OwnerKind::Enterprise);
        assert!(owner.code.starts_with("ENT-"), "{}", owner.code);
    }
}
