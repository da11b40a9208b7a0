//! The town's cameras and the monitored enterprises' (整合镇属1114个影像探头
//! 和全镇26家存在高风险场所的企业厂房与仓库监控, 部署129部人车抓拍探头、
//! 15个人脸识别探头、63个车辆识别探头、1个高空火情热成像探头):
//!
//! - the 1,114 cameras the town integrated, general surveillance cameras on
//!   one NVR (GB/T 28181 type 118) per village or residential workstation
//!   and 64 channels, spread over the micro-grids;
//! - the cameras it deployed since: 129 person and vehicle capture, 15 face
//!   and 63 vehicle (plate) recognition cameras, each an IP camera (type 132)
//!   of one channel, and the high-altitude thermal fire camera at its key
//!   point of the overview map;
//! - one NVR at each of the 26 high-risk enterprises' premises, with 4 to 12
//!   channels, owned by the enterprise.
//!
//! Codes are GB/T 28181's 20 digits: centre code 31011611 (Jinshan district,
//! 310116, and the town's two digits), industry (00 the town's roads and
//! villages, 05 the traffic checkpoints the plate cameras watch, 03 the
//! enterprises'), type, network digit 0, and a serial. No device carries a
//! password here: the town sets each when the device is configured.

use crate::rng::Rng;
use crate::{Coord, CoveredObject, Grid, Level, ObjectKind};

/// The number of cameras of each kind the town has, as published.
pub const TOWN_GENERAL: usize = 1114;
pub const CAPTURE: usize = 129;
pub const FACE: usize = 15;
pub const PLATE: usize = 63;
pub const THERMAL: usize = 1;
/// The enterprises whose premises the town monitors.
pub const MONITORED_ENTERPRISES: usize = 26;

/// The town's centre code: Jinshan district and the town.
const CENTRE: &str = "31011611";
/// The most channels one of the town's NVRs carries.
const NVR_CHANNELS: usize = 64;
const SEED: u64 = 0x4C58_2021_1114_0208;

/// What a camera does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CameraKind {
    /// Ordinary surveillance (影像探头).
    General,
    /// Person and vehicle capture (人车抓拍).
    Capture,
    /// Face recognition (人脸识别).
    Face,
    /// Vehicle (number plate) recognition (车辆识别).
    Plate,
    /// High-altitude thermal fire detection (高空火情热成像).
    Thermal,
}

impl CameraKind {
    pub const ALL: [CameraKind; 5] = [
        CameraKind::General,
        CameraKind::Capture,
        CameraKind::Face,
        CameraKind::Plate,
        CameraKind::Thermal,
    ];

    pub fn as_str(&self) -> &'static str {
        match self {
            CameraKind::General => "GENERAL",
            CameraKind::Capture => "CAPTURE",
            CameraKind::Face => "FACE",
            CameraKind::Plate => "PLATE",
            CameraKind::Thermal => "THERMAL",
        }
    }
}

/// Who owns a device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CameraOwner {
    /// The town (镇属).
    Town,
    /// A monitored enterprise: its object code (ENT-…) and name.
    Enterprise { code: String, name: String },
}

/// A camera: one channel of a device.
#[derive(Debug, Clone, PartialEq)]
pub struct CameraChannel {
    /// The channel's 20-digit code.
    pub id: String,
    pub name: String,
    pub kind: CameraKind,
    pub location: Coord,
    /// The micro-grid the location lies in.
    pub micro_grid_code: String,
}

/// A device registering over GB/T 28181: an NVR, or an IP camera alone
/// (whose one channel has the device's own code).
#[derive(Debug, Clone, PartialEq)]
pub struct CameraDevice {
    /// The device's 20-digit code.
    pub id: String,
    pub name: String,
    pub owner: CameraOwner,
    pub channels: Vec<CameraChannel>,
}

/// Returns the 20-digit code of `industry`, `type_code` and `serial`.
fn code(industry: &str, type_code: u16, serial: usize) -> String {
    format!("{CENTRE}{industry}{type_code}0{serial:06}")
}

/// Returns a point inside `grid`'s rectangle, `margin` of its size in
/// from each side.
fn inside(rng: &mut Rng, grid: &Grid) -> Coord {
    let xs = grid.boundary.iter().map(|p| p.0);
    let ys = grid.boundary.iter().map(|p| p.1);
    let (w, e) = (
        xs.clone().fold(f64::MAX, f64::min),
        xs.fold(f64::MIN, f64::max),
    );
    let (s, n) = (
        ys.clone().fold(f64::MAX, f64::min),
        ys.fold(f64::MIN, f64::max),
    );
    let margin = 0.1;
    let round = |v: f64| (v * 1e7).round() / 1e7;
    (
        round(rng.range(w + (e - w) * margin, e - (e - w) * margin)),
        round(rng.range(s + (n - s) * margin, n - (n - s) * margin)),
    )
}

/// Builds every camera of the town and the monitored enterprises.
pub(crate) fn build(grids: &[Grid], objects: &[CoveredObject]) -> Vec<CameraDevice> {
    let mut rng = Rng::new(SEED);
    let micro: Vec<&Grid> = grids.iter().filter(|g| g.level == Level::Micro).collect();
    let village_of = |grid: &Grid| -> String {
        let area = grids
            .iter()
            .find(|g| Some(&g.code) == grid.parent_code.as_ref())
            .expect("a micro-grid has an area");
        area.parent_code.clone().expect("an area has a village")
    };
    let workstations: Vec<&Grid> = grids
        .iter()
        .filter(|g| matches!(g.level, Level::Village | Level::Residential))
        .collect();
    let mut devices = Vec::new();

    // The integrated cameras: every micro-grid one or more, the rest spread
    // at random, then gathered on their workstation's NVRs.
    let mut per_micro = vec![1usize; micro.len()];
    for _ in micro.len()..TOWN_GENERAL {
        per_micro[rng.below(micro.len())] += 1;
    }
    let mut nvr_serial = 0;
    let mut channel_serial = 0;
    for station in &workstations {
        let mut cameras = Vec::new();
        for (grid, count) in micro.iter().zip(&per_micro) {
            if village_of(grid) != station.code {
                continue;
            }
            for n in 0..*count {
                channel_serial += 1;
                cameras.push(CameraChannel {
                    id: code("00", 131, channel_serial),
                    name: format!("{} 探头{}", grid.name, n + 1),
                    kind: CameraKind::General,
                    location: inside(&mut rng, grid),
                    micro_grid_code: grid.code.clone(),
                });
            }
        }
        for (i, chunk) in cameras.chunks(NVR_CHANNELS).enumerate() {
            nvr_serial += 1;
            devices.push(CameraDevice {
                id: code("00", 118, nvr_serial),
                name: format!("{} 录像机{}", station.name, i + 1),
                owner: CameraOwner::Town,
                channels: chunk.to_vec(),
            });
        }
    }

    // The deployed recognition cameras, one device each.
    let mut ipc_serial = 0;
    for (kind, count, industry, title) in [
        (CameraKind::Capture, CAPTURE, "00", "人车抓拍"),
        (CameraKind::Face, FACE, "00", "人脸识别"),
        (CameraKind::Plate, PLATE, "05", "车辆识别"),
    ] {
        for n in 0..count {
            ipc_serial += 1;
            let grid = micro[rng.below(micro.len())];
            let id = code(industry, 132, ipc_serial);
            let name = format!("{} {title}{}", grid.name, n + 1);
            devices.push(CameraDevice {
                id: id.clone(),
                name: name.clone(),
                owner: CameraOwner::Town,
                channels: vec![CameraChannel {
                    id,
                    name,
                    kind,
                    location: inside(&mut rng, grid),
                    micro_grid_code: grid.code.clone(),
                }],
            });
        }
    }
    let thermal = objects
        .iter()
        .find(|o| o.kind == ObjectKind::KeyPoint && o.name == "高空火情热成像探头")
        .expect("the overview map has the thermal camera");
    ipc_serial += 1;
    let id = code("00", 132, ipc_serial);
    devices.push(CameraDevice {
        id: id.clone(),
        name: thermal.name.clone(),
        owner: CameraOwner::Town,
        channels: vec![CameraChannel {
            id,
            name: thermal.name.clone(),
            kind: CameraKind::Thermal,
            location: thermal.geometry.representative_point(),
            micro_grid_code: thermal.micro_grid_code.clone(),
        }],
    });

    // The monitored enterprises' own NVRs, cameras at their premises.
    let mut enterprise_channel = 0;
    for (i, enterprise) in objects
        .iter()
        .filter(|o| o.kind == ObjectKind::Enterprise && o.high_risk)
        .enumerate()
    {
        let at = enterprise.geometry.representative_point();
        let channels = (0..rng.int(4, 12))
            .map(|n| {
                enterprise_channel += 1;
                CameraChannel {
                    id: code("03", 131, enterprise_channel),
                    name: format!("{} 厂区{}", enterprise.name, n + 1),
                    kind: CameraKind::General,
                    location: at,
                    micro_grid_code: enterprise.micro_grid_code.clone(),
                }
            })
            .collect();
        devices.push(CameraDevice {
            id: code("03", 118, i + 1),
            name: format!("{} 录像机", enterprise.name),
            owner: CameraOwner::Enterprise {
                code: enterprise.code.clone(),
                name: enterprise.name.clone(),
            },
            channels,
        });
    }
    devices
}
