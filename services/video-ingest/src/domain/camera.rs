//! Devices (what registers over SIP: a camera, NVR or DVR) and their
//! channels (the cameras themselves), with kind, owner, location, the grid
//! the location resolves to, the stream reference and status.

use chrono::{DateTime, Utc};
use kernel::FieldViolation;

use super::gbid::GbId;

/// The kind of a camera.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CameraKind {
    General,
    /// Person and vehicle capture (人车抓拍).
    Capture,
    /// Face recognition (人脸识别).
    Face,
    /// Vehicle (plate) recognition (车辆识别).
    Plate,
    /// High-altitude thermal fire camera (高空火情热成像).
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

    /// Returns the kind's stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            CameraKind::General => "GENERAL",
            CameraKind::Capture => "CAPTURE",
            CameraKind::Face => "FACE",
            CameraKind::Plate => "PLATE",
            CameraKind::Thermal => "THERMAL",
        }
    }

    /// Returns the kind stored as `name`.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == name)
    }

    /// Returns whether what the camera sees identifies people or vehicles
    /// (faces, plates): readable only by the police.
    pub fn identifies(self) -> bool {
        matches!(self, CameraKind::Face | CameraKind::Plate)
    }
}

/// Who owns a device.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OwnerKind {
    /// The town (镇属).
    Town,
    /// One of the high-risk enterprises.
    Enterprise,
}

impl OwnerKind {
    /// Returns the owner kind's stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            OwnerKind::Town => "TOWN",
            OwnerKind::Enterprise => "ENTERPRISE",
        }
    }

    /// Returns the owner kind stored as `name`.
    pub fn parse(name: &str) -> Option<Self> {
        [OwnerKind::Town, OwnerKind::Enterprise]
            .into_iter()
            .find(|k| k.as_str() == name)
    }
}

/// The owner: the town, or an enterprise by code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Owner {
    pub kind: OwnerKind,
    /// The enterprise's code; empty for the town.
    pub code: String,
    pub name: String,
}

impl Owner {
    /// Returns the town as owner.
    pub fn town() -> Self {
        Self {
            kind: OwnerKind::Town,
            code: String::new(),
            name: String::new(),
        }
    }
}

/// Whether a device can be reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DeviceStatus {
    /// Known, not registered.
    Unregistered,
    /// Registered, keepalives within the deadline.
    Online,
    /// Registered once, past its deadline or registration.
    Offline,
}

impl DeviceStatus {
    pub const ALL: [DeviceStatus; 3] = [
        DeviceStatus::Unregistered,
        DeviceStatus::Online,
        DeviceStatus::Offline,
    ];

    /// Returns the status's stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            DeviceStatus::Unregistered => "UNREGISTERED",
            DeviceStatus::Online => "ONLINE",
            DeviceStatus::Offline => "OFFLINE",
        }
    }

    /// Returns the status stored as `name`.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == name)
    }
}

/// A position in WGS84 degrees.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LatLng {
    pub lat: f64,
    pub lng: f64,
}

impl LatLng {
    /// Returns whether the position is a real one (GB/T 28181 catalogues
    /// send 0,0 for "unknown").
    pub fn is_known(self) -> bool {
        (-90.0..=90.0).contains(&self.lat)
            && (-180.0..=180.0).contains(&self.lng)
            && !(self.lat == 0.0 && self.lng == 0.0)
    }
}

/// The grid a location resolves to.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Placement {
    pub micro_grid_code: String,
    pub village_code: String,
}

/// A camera: one channel of a device.
#[derive(Debug, Clone, PartialEq)]
pub struct Camera {
    pub id: GbId,
    pub device: GbId,
    pub name: String,
    pub kind: CameraKind,
    pub location: Option<LatLng>,
    /// `None` when the location is outside every micro-grid, or unknown.
    pub placement: Option<Placement>,
    pub stream_ref: String,
    /// ON or OFF as the last catalogue said.
    pub reported_status: Option<String>,
    pub manufacturer: String,
    pub model: String,
    pub updated_at: DateTime<Utc>,
}

/// A camera as listed, with what it takes from its device.
#[derive(Debug, Clone, PartialEq)]
pub struct CameraView {
    pub camera: Camera,
    pub owner: Owner,
    pub device_status: DeviceStatus,
}

/// The transport and address a device last spoke from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    pub transport: Transport,
    /// host:port.
    pub address: String,
}

/// SIP over UDP or TCP.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Transport {
    Udp,
    Tcp,
}

impl Transport {
    /// Returns the transport's stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Transport::Udp => "UDP",
            Transport::Tcp => "TCP",
        }
    }

    /// Returns the transport stored as `name`.
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "UDP" => Some(Transport::Udp),
            "TCP" => Some(Transport::Tcp),
            _ => None,
        }
    }
}

/// A device's digest credential: never the password, only
/// MD5(username:realm:password) for the realm it was set for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credential {
    pub realm: String,
    pub ha1: String,
}

/// A device: what registers, with its registration and health.
#[derive(Debug, Clone, PartialEq)]
pub struct Device {
    pub id: GbId,
    pub name: String,
    pub owner: Owner,
    pub credential: Option<Credential>,
    pub status: DeviceStatus,
    pub link: Option<Link>,
    /// The Call-ID of the registration in force.
    pub call_id: Option<String>,
    pub registered_at: Option<DateTime<Utc>>,
    pub registration_expires_at: Option<DateTime<Utc>>,
    pub last_keepalive_at: Option<DateTime<Utc>>,
    pub offline_deadline: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A channel as an operator declares it.
#[derive(Debug, Clone, PartialEq)]
pub struct ChannelSpec {
    pub id: GbId,
    pub name: String,
    pub kind: CameraKind,
    pub location: Option<LatLng>,
    pub stream_ref: String,
}

/// A device as an operator declares it (PutDevice).
#[derive(Debug, Clone, PartialEq)]
pub struct DeviceSpec {
    pub id: GbId,
    pub name: String,
    pub owner: Owner,
    /// A new password, or `None` to keep the one set.
    pub password: Option<String>,
    pub channels: Vec<ChannelSpec>,
}

/// The most channels one PutDevice declares (an NVR of 256 channels is the
/// largest common kind).
pub const MAX_CHANNELS: usize = 256;

impl DeviceSpec {
    /// Checks the rules no field shows alone: an enterprise owner names its
    /// enterprise, the town has no code, channel ids are distinct and not
    /// the device's own unless it is a camera alone.
    ///
    /// # Errors
    /// Every broken rule, by field.
    pub fn check(&self) -> Result<(), Vec<FieldViolation>> {
        let mut broken = Vec::new();
        match self.owner.kind {
            OwnerKind::Enterprise if !is_enterprise_code(&self.owner.code) => {
                broken.push(FieldViolation::new(
                    "owner.code",
                    "must be an enterprise's code (2-32 capital letters, digits and dashes) for an enterprise owner",
                ));
            }
            OwnerKind::Town if !self.owner.code.is_empty() => broken.push(FieldViolation::new(
                "owner.code",
                "must be empty when the town owns the device",
            )),
            _ => {}
        }
        if let Some(password) = &self.password
            && !(8..=64).contains(&password.chars().count())
        {
            broken.push(FieldViolation::new(
                "password",
                "must be 8-64 characters (empty keeps the one set)",
            ));
        }
        if self.channels.len() > MAX_CHANNELS {
            broken.push(FieldViolation::new(
                "channels",
                format!("must be at most {MAX_CHANNELS}"),
            ));
        }
        let mut seen = std::collections::HashSet::new();
        for (i, channel) in self.channels.iter().enumerate() {
            if !seen.insert(channel.id.as_str()) {
                broken.push(FieldViolation::new(
                    format!("channels[{i}].channel_id"),
                    "is listed twice",
                ));
            }
        }
        if broken.is_empty() {
            Ok(())
        } else {
            Err(broken)
        }
    }
}

/// Returns whether `code` is an enterprise's code (the registry's object
/// codes, e.g. ENT-0007).
pub fn is_enterprise_code(code: &str) -> bool {
    (2..=32).contains(&code.len())
        && code
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '-')
}

impl Device {
    /// Returns a new device as `spec` declares it, not yet registered.
    pub fn declare(spec: &DeviceSpec, credential: Option<Credential>, now: DateTime<Utc>) -> Self {
        Self {
            id: spec.id.clone(),
            name: spec.name.clone(),
            owner: spec.owner.clone(),
            credential,
            status: DeviceStatus::Unregistered,
            link: None,
            call_id: None,
            registered_at: None,
            registration_expires_at: None,
            last_keepalive_at: None,
            offline_deadline: None,
            created_at: now,
            updated_at: now,
        }
    }

    /// Changes what an operator declares: name, owner, and the credential
    /// when a new password was given. Registration and health stay.
    pub fn redeclare(
        &mut self,
        spec: &DeviceSpec,
        credential: Option<Credential>,
        now: DateTime<Utc>,
    ) {
        self.name = spec.name.clone();
        self.owner = spec.owner.clone();
        if credential.is_some() {
            self.credential = credential;
        }
        self.updated_at = now;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(owner: Owner) -> DeviceSpec {
        DeviceSpec {
            id: GbId::parse("31011611001320000001").unwrap(),
            name: "中华村口".into(),
            owner,
            password: Some("12345678".into()),
            channels: vec![],
        }
    }

    #[test]
    fn an_enterprise_owner_names_its_enterprise_and_the_town_names_none() {
        let nameless = Owner {
            kind: OwnerKind::Enterprise,
            code: String::new(),
            name: String::new(),
        };
        let broken = spec(nameless).check().unwrap_err();
        assert_eq!(broken[0].field, "owner.code");
        let town_with_code = Owner {
            kind: OwnerKind::Town,
            code: "ENT-0001".into(),
            name: String::new(),
        };
        assert_eq!(
            spec(town_with_code).check().unwrap_err()[0].field,
            "owner.code"
        );
        assert!(spec(Owner::town()).check().is_ok());
    }

    #[test]
    fn a_short_password_and_a_channel_listed_twice_are_refused() {
        let mut s = spec(Owner::town());
        s.password = Some("short".into());
        let channel = ChannelSpec {
            id: GbId::parse("31011611001310000001").unwrap(),
            name: "1".into(),
            kind: CameraKind::General,
            location: None,
            stream_ref: String::new(),
        };
        s.channels = vec![channel.clone(), channel];
        let fields: Vec<_> = s
            .check()
            .unwrap_err()
            .into_iter()
            .map(|v| v.field)
            .collect();
        assert_eq!(fields, ["password", "channels[1].channel_id"]);
    }

    #[test]
    fn faces_and_plates_identify_people_and_other_kinds_do_not() {
        let identifying: Vec<_> = CameraKind::ALL
            .into_iter()
            .filter(|k| k.identifies())
            .collect();
        assert_eq!(identifying, [CameraKind::Face, CameraKind::Plate]);
        for kind in CameraKind::ALL {
            assert_eq!(CameraKind::parse(kind.as_str()), Some(kind));
        }
    }

    #[test]
    fn zero_zero_is_an_unknown_position() {
        assert!(!LatLng { lat: 0.0, lng: 0.0 }.is_known());
        assert!(
            LatLng {
                lat: 30.8,
                lng: 121.2
            }
            .is_known()
        );
        assert!(
            !LatLng {
                lat: 91.0,
                lng: 121.2
            }
            .is_known()
        );
    }
}
