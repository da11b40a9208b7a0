//! The custody and access log: every clip recorded, held, released and
//! purged, every application submitted and reviewed, every view, copy and
//! refusal, each entry chained to the one before by its hash (the kernel's
//! [`kernel::chain`], as the exchange's message log is). Entries name
//! people by their subject and role only: no applicant's identity, face or
//! plate is written here.

use chrono::{DateTime, Utc};
use kernel::chain::{self, Chained, Hash};
pub use kernel::chain::{GENESIS, Verdict};

use super::ids::{ApplicationId, ClipId};

/// The tag of this log's entry hashes.
const TAG: &str = "weigrid-video-custody-v1";

/// What an entry records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// A clip and its manifest were recorded (detail: the manifest's hash).
    Recorded,
    Held,
    Released,
    /// The retention purge deleted the clip's files.
    Purged,
    /// A clip's files were read (a police read of a face or plate camera's
    /// footage, or an evidence read).
    Read,
    Applied,
    /// The applicant's identity was read by the review.
    IdentityRead,
    Approved,
    /// An application refused by the review.
    Refused,
    /// A redacted copy made and issued.
    Copied,
    /// A supervised viewing, or a copy fetched.
    Viewed,
    /// An access refused (a copy past its expiry, a face or plate camera's
    /// footage asked for by someone other than the police).
    AccessRefused,
}

impl Action {
    /// Every action, in a stable order.
    pub const ALL: [Action; 12] = [
        Action::Recorded,
        Action::Held,
        Action::Released,
        Action::Purged,
        Action::Read,
        Action::Applied,
        Action::IdentityRead,
        Action::Approved,
        Action::Refused,
        Action::Copied,
        Action::Viewed,
        Action::AccessRefused,
    ];

    /// Returns the stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Recorded => "RECORDED",
            Action::Held => "HELD",
            Action::Released => "RELEASED",
            Action::Purged => "PURGED",
            Action::Read => "READ",
            Action::Applied => "APPLIED",
            Action::IdentityRead => "IDENTITY_READ",
            Action::Approved => "APPROVED",
            Action::Refused => "REFUSED",
            Action::Copied => "COPIED",
            Action::Viewed => "VIEWED",
            Action::AccessRefused => "ACCESS_REFUSED",
        }
    }

    /// Returns the action stored as `name`.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == name)
    }
}

/// What an entry records, before it is chained.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustodyRecord {
    pub action: Action,
    pub clip_id: Option<ClipId>,
    pub application_id: Option<ApplicationId>,
    /// Who acted: the token's subject, and its role.
    pub actor: String,
    pub actor_role: String,
    /// What else the entry says (a manifest's hash, a reason); never
    /// personal data.
    pub detail: String,
    pub recorded_at: DateTime<Utc>,
}

/// One chained entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustodyEntry {
    pub seq: u64,
    pub record: CustodyRecord,
    pub prev_hash: Hash,
    pub entry_hash: Hash,
}

impl CustodyEntry {
    /// Returns `record` chained after the entry `prev_hash` at `seq`.
    pub fn chain(seq: u64, record: CustodyRecord, prev_hash: Hash) -> Self {
        let entry_hash = entry_hash(seq, &record, &prev_hash);
        Self {
            seq,
            record,
            prev_hash,
            entry_hash,
        }
    }
}

fn entry_hash(seq: u64, r: &CustodyRecord, prev_hash: &Hash) -> Hash {
    let clip = r.clip_id.map(|c| c.to_string()).unwrap_or_default();
    let application = r.application_id.map(|a| a.to_string()).unwrap_or_default();
    chain::entry_hash(
        TAG,
        seq,
        &[
            r.action.as_str().as_bytes(),
            clip.as_bytes(),
            application.as_bytes(),
            r.actor.as_bytes(),
            r.actor_role.as_bytes(),
            r.detail.as_bytes(),
            &r.recorded_at.timestamp_micros().to_be_bytes(),
        ],
        prev_hash,
    )
}

impl Chained for CustodyEntry {
    fn seq(&self) -> u64 {
        self.seq
    }

    fn prev_hash(&self) -> &Hash {
        &self.prev_hash
    }

    fn entry_hash(&self) -> &Hash {
        &self.entry_hash
    }

    fn recomputed_hash(&self) -> Hash {
        entry_hash(self.seq, &self.record, &self.prev_hash)
    }
}

/// Returns the detail of a RECORDED entry: the manifest's hash.
pub fn recorded_detail(manifest: &Hash) -> String {
    format!("manifest sha256:{}", hex::encode(manifest))
}

/// Returns the manifest hash a RECORDED entry's detail names.
pub fn manifest_of(detail: &str) -> Option<Hash> {
    let hex_text = detail.strip_prefix("manifest sha256:")?;
    hex::decode(hex_text.get(..64)?).ok()?.try_into().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn log(n: u64) -> Vec<CustodyEntry> {
        let mut entries: Vec<CustodyEntry> = Vec::new();
        for seq in 1..=n {
            let prev = entries.last().map_or(GENESIS, |e| e.entry_hash);
            let record = CustodyRecord {
                action: Action::Recorded,
                clip_id: Some(ClipId::generate()),
                application_id: None,
                actor: "town".into(),
                actor_role: "town_operator".into(),
                detail: recorded_detail(&[seq as u8; 32]),
                recorded_at: DateTime::UNIX_EPOCH,
            };
            entries.push(CustodyEntry::chain(seq, record, prev));
        }
        entries
    }

    #[test]
    fn an_edited_custody_entry_is_named() {
        assert_eq!(kernel::chain::verify(&log(3)).broken, None);
        let mut edited = log(3);
        edited[1].record.actor = "someone else".into();
        let verdict = kernel::chain::verify(&edited);
        assert_eq!(verdict.broken.unwrap().0, 2);
        assert_eq!(verdict.checked, 1);
    }

    #[test]
    fn a_recorded_entry_names_its_manifest() {
        let hash = [7; 32];
        assert_eq!(manifest_of(&recorded_detail(&hash)), Some(hash));
        assert_eq!(manifest_of("held: 诉讼"), None);
        for action in Action::ALL {
            assert_eq!(Action::parse(action.as_str()), Some(action));
        }
    }
}
