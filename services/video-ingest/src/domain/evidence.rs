//! Evidence clips: a camera's footage over a time window as files in object
//! storage, each with its SHA-256, bound together by the manifest's hash
//! (which the custody log's RECORDED entry also keeps); legal holds, and
//! the retention that never purges a held clip.

use chrono::{DateTime, TimeDelta, Utc};
use kernel::FieldViolation;
use kernel::chain::{self, Hash};

use super::camera::CameraKind;
use super::gbid::GbId;
use super::ids::{ClipId, IncidentId};

/// The tag of a manifest's hash.
const MANIFEST_TAG: &str = "weigrid-video-clip-v1";
/// The most files one clip holds (an NVR exports a window as a few
/// segments).
pub const MAX_FILES: usize = 32;

/// One file of a clip.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClipFile {
    /// The file's name within the clip (`0001.mp4`).
    pub name: String,
    /// Where it is in the object store.
    pub key: String,
    pub size_bytes: u64,
    pub sha256: Hash,
}

/// A legal hold: the clip is kept, whatever its retention says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hold {
    pub reason: String,
    pub by: String,
    pub at: DateTime<Utc>,
}

/// A clip and its manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Clip {
    pub id: ClipId,
    pub channel_id: GbId,
    pub device_id: GbId,
    pub camera_kind: CameraKind,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub incident_id: Option<IncidentId>,
    /// For a redacted copy: the clip it was made from.
    pub source: Option<ClipId>,
    pub files: Vec<ClipFile>,
    pub retain_until: DateTime<Utc>,
    pub hold: Option<Hold>,
    pub purged_at: Option<DateTime<Utc>>,
    pub recorded_by: String,
    pub recorded_at: DateTime<Utc>,
}

/// Returns the object key of file `name` of clip `id`.
pub fn object_key(id: ClipId, name: &str) -> String {
    format!("clips/{id}/{name}")
}

/// Returns whether `name` may name a file of a clip: 1–100 characters of
/// letters, digits, `.`, `-` and `_`, not starting with a dot.
pub fn valid_file_name(name: &str) -> bool {
    (1..=100).contains(&name.len())
        && !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
}

/// Checks a clip's window: it starts before it ends, has ended by `now`,
/// and spans at most `max`.
///
/// # Errors
/// The violations, naming `starts_at` and `ends_at`.
pub fn check_window(
    starts_at: Option<DateTime<Utc>>,
    ends_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
    max: TimeDelta,
) -> Result<(DateTime<Utc>, DateTime<Utc>), Vec<FieldViolation>> {
    let mut broken = Vec::new();
    if starts_at.is_none() {
        broken.push(FieldViolation::new("starts_at", "is required"));
    }
    if ends_at.is_none() {
        broken.push(FieldViolation::new("ends_at", "is required"));
    }
    let (Some(starts), Some(ends)) = (starts_at, ends_at) else {
        return Err(broken);
    };
    if ends <= starts {
        broken.push(FieldViolation::new("ends_at", "must be after starts_at"));
    } else if ends - starts > max {
        broken.push(FieldViolation::new(
            "ends_at",
            format!(
                "must be at most {} hours after starts_at",
                max.num_hours().max(1)
            ),
        ));
    }
    if ends > now {
        broken.push(FieldViolation::new("ends_at", "must not be in the future"));
    }
    if broken.is_empty() {
        Ok((starts, ends))
    } else {
        Err(broken)
    }
}

impl Clip {
    /// Returns the manifest's hash: the clip, its camera, its window, its
    /// source and each file's name, key, size and SHA-256, in order.
    pub fn manifest_hash(&self) -> Hash {
        let id = self.id.to_string();
        let source = self.source.map(|s| s.to_string()).unwrap_or_default();
        let starts = self.starts_at.timestamp_micros().to_be_bytes();
        let ends = self.ends_at.timestamp_micros().to_be_bytes();
        let sizes: Vec<[u8; 8]> = self
            .files
            .iter()
            .map(|f| f.size_bytes.to_be_bytes())
            .collect();
        let mut parts: Vec<&[u8]> = vec![
            id.as_bytes(),
            self.channel_id.as_str().as_bytes(),
            self.device_id.as_str().as_bytes(),
            &starts,
            &ends,
            source.as_bytes(),
        ];
        for (file, size) in self.files.iter().zip(&sizes) {
            parts.extend_from_slice(&[
                file.name.as_bytes(),
                file.key.as_bytes(),
                size,
                &file.sha256,
            ]);
        }
        chain::digest(MANIFEST_TAG, &parts)
    }

    /// Returns whether the retention purge may delete the clip's files at
    /// `now`: past its retention, not held, not purged already.
    pub fn purgeable(&self, now: DateTime<Utc>) -> bool {
        self.hold.is_none() && self.purged_at.is_none() && self.retain_until <= now
    }

    /// Returns whether the clip's window overlaps `[starts, ends)`.
    pub fn overlaps(&self, starts: DateTime<Utc>, ends: DateTime<Utc>) -> bool {
        self.starts_at < ends && starts < self.ends_at
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clip() -> Clip {
        let at = DateTime::from_timestamp(1_780_000_000, 0).unwrap();
        let id = ClipId::generate();
        Clip {
            id,
            channel_id: GbId::parse("31011600001310000001").unwrap(),
            device_id: GbId::parse("31011600001180000001").unwrap(),
            camera_kind: CameraKind::General,
            starts_at: at,
            ends_at: at + TimeDelta::minutes(5),
            incident_id: None,
            source: None,
            files: vec![ClipFile {
                name: "0001.mp4".into(),
                key: object_key(id, "0001.mp4"),
                size_bytes: 10,
                sha256: [1; 32],
            }],
            retain_until: at + TimeDelta::days(90),
            hold: None,
            purged_at: None,
            recorded_by: "town".into(),
            recorded_at: at,
        }
    }

    #[test]
    fn a_file_whose_hash_changes_changes_the_manifest() {
        let mut c = clip();
        let before = c.manifest_hash();
        c.files[0].sha256[0] ^= 1;
        assert_ne!(before, c.manifest_hash());
    }

    #[test]
    fn a_held_clip_is_never_purgeable() {
        let mut c = clip();
        let later = c.retain_until + TimeDelta::days(1);
        assert!(c.purgeable(later));
        c.hold = Some(Hold {
            reason: "诉讼".into(),
            by: "police".into(),
            at: c.recorded_at,
        });
        assert!(!c.purgeable(later));
        assert!(!clip().purgeable(clip().retain_until - TimeDelta::seconds(1)));
    }

    #[test]
    fn a_window_must_end_after_it_starts_and_not_in_the_future() {
        let now = DateTime::from_timestamp(1_780_000_000, 0).unwrap();
        let max = TimeDelta::hours(24);
        let err = check_window(Some(now), Some(now - TimeDelta::minutes(1)), now, max).unwrap_err();
        assert_eq!(err[0].field, "ends_at");
        let err = check_window(Some(now), Some(now + TimeDelta::minutes(1)), now, max).unwrap_err();
        assert!(err[0].rule.contains("future"));
        let err = check_window(None, None, now, max).unwrap_err();
        assert_eq!(err.len(), 2);
        assert!(check_window(Some(now - TimeDelta::hours(1)), Some(now), now, max).is_ok());
    }

    #[test]
    fn file_names_stay_inside_their_clip() {
        assert!(valid_file_name("0001.mp4"));
        assert!(!valid_file_name("../x"));
        assert!(!valid_file_name(".hidden"));
        assert!(!valid_file_name(""));
    }
}
