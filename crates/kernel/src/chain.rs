//! A hash-chained log: each entry's hash covers its sequence number, what
//! it records and the hash of the entry before, so an entry edited,
//! removed or inserted afterwards breaks the chain at that place. One
//! primitive for every log that must be tamper-evident (the exchange's
//! message log, video's custody and access log): a log says what its
//! entries record ([`Chained`]), and [`verify`] checks it offline and names
//! the first broken link.

use sha2::{Digest, Sha256};

/// A SHA-256.
pub type Hash = [u8; 32];

/// The previous hash of the first entry.
pub const GENESIS: Hash = [0; 32];

/// Returns the SHA-256 of `parts` under `tag` (what they are, with its
/// version), each length-prefixed so that no two different inputs hash
/// alike by moving bytes between parts.
pub fn digest(tag: &str, parts: &[&[u8]]) -> Hash {
    let mut hasher = Sha256::new();
    let mut part = |bytes: &[u8]| {
        hasher.update((bytes.len() as u32).to_be_bytes());
        hasher.update(bytes);
    };
    part(tag.as_bytes());
    for bytes in parts {
        part(bytes);
    }
    hasher.finalize().into()
}

/// Returns the hash of an entry of the log tagged `tag` (its version, such
/// as `weigrid-exchange-log-v1`): the [`digest`] of `seq`, each of `parts`
/// and `prev_hash`.
pub fn entry_hash(tag: &str, seq: u64, parts: &[&[u8]], prev_hash: &Hash) -> Hash {
    let seq = seq.to_be_bytes();
    let mut all: Vec<&[u8]> = Vec::with_capacity(parts.len() + 2);
    all.push(&seq);
    all.extend_from_slice(parts);
    all.push(prev_hash);
    digest(tag, &all)
}

/// An entry of a hash-chained log.
pub trait Chained {
    /// Returns the entry's sequence number (the first is 1).
    fn seq(&self) -> u64;
    /// Returns the hash of the entry before, as the entry holds it.
    fn prev_hash(&self) -> &Hash;
    /// Returns the entry's hash, as stored.
    fn entry_hash(&self) -> &Hash;
    /// Returns the entry's hash recomputed from what it records.
    fn recomputed_hash(&self) -> Hash;
    /// Returns what is wrong with the evidence the entry carries beside
    /// its own fields (an envelope whose hash it keeps), if anything;
    /// checked after the link and before the entry's own hash.
    fn evidence_problem(&self) -> Option<String> {
        None
    }
}

/// What [`verify`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    /// How many entries hold, from the first.
    pub checked: u64,
    /// The first broken entry's sequence number and what is wrong with it.
    pub broken: Option<(u64, String)>,
}

/// Checks entries in order: consecutive sequence numbers from 1, each link
/// to the entry before, each entry's evidence, and each entry's hash.
pub fn verify<'a, E: Chained + 'a>(entries: impl IntoIterator<Item = &'a E>) -> Verdict {
    let mut prev = GENESIS;
    let mut checked = 0;
    for entry in entries {
        let broken = |problem: String| Verdict {
            checked,
            broken: Some((entry.seq(), problem)),
        };
        if entry.seq() != checked + 1 {
            return broken(format!(
                "sequence number follows {checked}: an entry is missing or inserted"
            ));
        }
        if *entry.prev_hash() != prev {
            return broken("its link does not name the entry before it".to_owned());
        }
        if let Some(problem) = entry.evidence_problem() {
            return broken(problem);
        }
        if entry.recomputed_hash() != *entry.entry_hash() {
            return broken("the entry was changed after it was logged".to_owned());
        }
        prev = *entry.entry_hash();
        checked += 1;
    }
    Verdict {
        checked,
        broken: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Note {
        seq: u64,
        text: String,
        prev: Hash,
        hash: Hash,
    }

    impl Note {
        fn chain(seq: u64, text: &str, prev: Hash) -> Self {
            Self {
                seq,
                text: text.to_owned(),
                prev,
                hash: entry_hash("test-v1", seq, &[text.as_bytes()], &prev),
            }
        }
    }

    impl Chained for Note {
        fn seq(&self) -> u64 {
            self.seq
        }
        fn prev_hash(&self) -> &Hash {
            &self.prev
        }
        fn entry_hash(&self) -> &Hash {
            &self.hash
        }
        fn recomputed_hash(&self) -> Hash {
            entry_hash("test-v1", self.seq, &[self.text.as_bytes()], &self.prev)
        }
    }

    fn log(n: u64) -> Vec<Note> {
        let mut notes: Vec<Note> = Vec::new();
        for seq in 1..=n {
            let prev = notes.last().map_or(GENESIS, |e| e.hash);
            notes.push(Note::chain(seq, &format!("note {seq}"), prev));
        }
        notes
    }

    #[test]
    fn an_untouched_chain_verifies() {
        assert_eq!(
            verify(&log(4)),
            Verdict {
                checked: 4,
                broken: None
            }
        );
    }

    #[test]
    fn an_edited_a_removed_or_a_rehashed_entry_is_named() {
        let mut edited = log(4);
        edited[2].text = "note 9".into();
        let verdict = verify(&edited);
        assert_eq!(verdict.checked, 2);
        assert_eq!(verdict.broken.unwrap().0, 3);

        let mut removed = log(4);
        removed.remove(1);
        assert!(verify(&removed).broken.unwrap().1.contains("missing"));

        let mut rehashed = log(4);
        rehashed[1] = Note::chain(2, "other", rehashed[0].hash);
        assert_eq!(verify(&rehashed).broken.unwrap().0, 3);
    }

    #[test]
    fn moving_bytes_between_parts_changes_the_hash() {
        assert_ne!(
            entry_hash("t", 1, &[b"ab", b"c"], &GENESIS),
            entry_hash("t", 1, &[b"a", b"bc"], &GENESIS)
        );
    }
}
