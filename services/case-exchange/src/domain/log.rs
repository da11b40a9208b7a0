//! The message log: every envelope sent and received, each entry chained
//! to the one before by its hash (the kernel's [`kernel::chain`]), so that
//! an entry edited, removed or inserted afterwards breaks the chain at that
//! place. [`verify`] checks a log offline and names the first broken link.

use chrono::{DateTime, Utc};
use kernel::chain::{self, Chained};
pub use kernel::chain::{GENESIS, Verdict};

use super::envelope::{Hash, signed_hash};

/// The tag of this log's entry hashes.
const TAG: &str = "weigrid-exchange-log-v1";

/// Which way an envelope went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Sent,
    Received,
}

impl Direction {
    /// Returns the stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Sent => "SENT",
            Direction::Received => "RECEIVED",
        }
    }

    /// Returns the direction stored as `text`.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "SENT" => Some(Direction::Sent),
            "RECEIVED" => Some(Direction::Received),
            _ => None,
        }
    }
}

/// What an entry records, before it is chained.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogRecord {
    pub direction: Direction,
    pub message_id: String,
    /// The other node.
    pub peer: String,
    pub message_type: String,
    pub shared_case_id: String,
    /// The envelope's canonical bytes and signature: the evidence itself.
    pub canonical: Vec<u8>,
    pub signature: Vec<u8>,
    pub recorded_at: DateTime<Utc>,
}

/// One chained entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogEntry {
    pub seq: u64,
    pub record: LogRecord,
    pub envelope_hash: Hash,
    pub prev_hash: Hash,
    pub entry_hash: Hash,
}

impl LogEntry {
    /// Returns `record` chained after the entry `prev_hash` at `seq`.
    pub fn chain(seq: u64, record: LogRecord, prev_hash: Hash) -> Self {
        let envelope_hash = signed_hash(&record.canonical, &record.signature);
        let entry_hash = entry_hash(seq, &record, &envelope_hash, &prev_hash);
        Self {
            seq,
            record,
            envelope_hash,
            prev_hash,
            entry_hash,
        }
    }
}

/// Returns the hash of an entry: its sequence number, what it records, the
/// envelope's hash and the previous entry's hash.
fn entry_hash(seq: u64, record: &LogRecord, envelope_hash: &Hash, prev_hash: &Hash) -> Hash {
    chain::entry_hash(
        TAG,
        seq,
        &[
            record.direction.as_str().as_bytes(),
            record.message_id.as_bytes(),
            record.peer.as_bytes(),
            record.message_type.as_bytes(),
            record.shared_case_id.as_bytes(),
            &record.recorded_at.timestamp_micros().to_be_bytes(),
            envelope_hash,
        ],
        prev_hash,
    )
}

impl Chained for LogEntry {
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
        entry_hash(self.seq, &self.record, &self.envelope_hash, &self.prev_hash)
    }

    fn evidence_problem(&self) -> Option<String> {
        (signed_hash(&self.record.canonical, &self.record.signature) != self.envelope_hash)
            .then(|| "the envelope stored is not the one logged".to_owned())
    }
}

/// Checks entries in order: consecutive sequence numbers from 1, each
/// link to the entry before, each envelope's hash and each entry's hash.
pub fn verify<'a>(entries: impl IntoIterator<Item = &'a LogEntry>) -> Verdict {
    chain::verify(entries)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn log(n: u64) -> Vec<LogEntry> {
        let mut entries: Vec<LogEntry> = Vec::new();
        for seq in 1..=n {
            let record = LogRecord {
                direction: if seq % 2 == 0 {
                    Direction::Received
                } else {
                    Direction::Sent
                },
                message_id: format!("m{seq}"),
                peer: "zhejiang/pinghu/xindai/case-exchange".into(),
                message_type: "REPORT".into(),
                shared_case_id: "c".into(),
                canonical: vec![seq as u8; 10],
                signature: vec![7; 64],
                recorded_at: DateTime::UNIX_EPOCH,
            };
            let prev = entries.last().map_or(GENESIS, |e| e.entry_hash);
            entries.push(LogEntry::chain(seq, record, prev));
        }
        entries
    }

    #[test]
    fn an_untouched_log_verifies() {
        assert_eq!(
            verify(&log(5)),
            Verdict {
                checked: 5,
                broken: None
            }
        );
    }

    #[test]
    fn an_edited_envelope_an_edited_entry_or_a_removed_entry_is_named() {
        let mut edited = log(5);
        edited[2].record.canonical[0] ^= 1;
        assert_eq!(verify(&edited).broken.unwrap().0, 3);

        let mut retyped = log(5);
        retyped[1].record.message_type = "ACK".into();
        let (seq, problem) = verify(&retyped).broken.unwrap();
        assert_eq!(seq, 2);
        assert!(problem.contains("changed"), "{problem}");

        let mut removed = log(5);
        removed.remove(3);
        assert_eq!(verify(&removed).broken.unwrap().0, 5);

        // Rehashing an edited entry does not help: the next link breaks.
        let mut rehashed = log(5);
        rehashed[1].record.peer = "anhui/x/y/z".into();
        rehashed[1] = LogEntry::chain(2, rehashed[1].record.clone(), rehashed[0].entry_hash);
        let verdict = verify(&rehashed);
        assert_eq!(verdict.broken.unwrap().0, 3);
        assert_eq!(verdict.checked, 2);
    }
}
