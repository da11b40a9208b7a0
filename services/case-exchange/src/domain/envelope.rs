//! The envelope every message between nodes travels in (after EDXL-DE):
//! message id, sender, recipients, type, references, the shared case id and
//! each side's case number, status, sent time, the payload and an ed25519
//! signature over all of it. A reply carries the hash of the request it
//! answers; the receiving node answers every delivery with a signed
//! [`Receipt`].
//!
//! The signature covers a canonical encoding ([`Envelope::canonical`]):
//! a domain tag, then every field in a fixed order, each as a 4-byte
//! big-endian length and its bytes, times as microseconds since the epoch.
//! The payload is signed as the bytes sent, so no re-encoding can change
//! what was signed.

use chrono::{DateTime, Utc};
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use sha2::{Digest, Sha256};

use super::ids::{MessageId, SharedCaseId};
use super::node::NodeId;

/// The tag that starts the signed bytes of an envelope: a signature made
/// for anything else never verifies as one.
const ENVELOPE_TAG: &[u8] = b"weigrid-exchange-envelope-v1";
/// The tag that starts the signed bytes of a delivery attempt.
const ATTEMPT_TAG: &[u8] = b"weigrid-exchange-attempt-v1";
/// The tag that starts the signed bytes of a receipt.
const RECEIPT_TAG: &[u8] = b"weigrid-exchange-receipt-v1";

/// Whether a message is real, an exercise or a test.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ExchangeStatus {
    Actual,
    Exercise,
    Test,
}

impl ExchangeStatus {
    /// Returns the stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            ExchangeStatus::Actual => "ACTUAL",
            ExchangeStatus::Exercise => "EXERCISE",
            ExchangeStatus::Test => "TEST",
        }
    }

    /// Returns the status stored as `text`.
    pub fn parse(text: &str) -> Option<Self> {
        [Self::Actual, Self::Exercise, Self::Test]
            .into_iter()
            .find(|s| s.as_str() == text)
    }
}

/// The kind of an envelope.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MessageType {
    Report,
    Update,
    Ack,
    Error,
    Cancel,
    /// A question (an information check).
    Request,
    /// The answer to a REQUEST.
    Response,
}

impl MessageType {
    /// Returns the stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            MessageType::Report => "REPORT",
            MessageType::Update => "UPDATE",
            MessageType::Ack => "ACK",
            MessageType::Error => "ERROR",
            MessageType::Cancel => "CANCEL",
            MessageType::Request => "REQUEST",
            MessageType::Response => "RESPONSE",
        }
    }

    /// Returns the type stored as `text`.
    pub fn parse(text: &str) -> Option<Self> {
        [
            Self::Report,
            Self::Update,
            Self::Ack,
            Self::Error,
            Self::Cancel,
            Self::Request,
            Self::Response,
        ]
        .into_iter()
        .find(|s| s.as_str() == text)
    }
}

/// A SHA-256 digest.
pub type Hash = [u8; 32];

/// Returns the SHA-256 of `bytes`.
pub fn sha256(bytes: &[u8]) -> Hash {
    Sha256::digest(bytes).into()
}

/// An envelope, signed or not yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Envelope {
    pub message_id: MessageId,
    pub sender: NodeId,
    pub recipients: Vec<NodeId>,
    pub message_type: MessageType,
    pub references: Vec<MessageId>,
    pub shared_case_id: Option<SharedCaseId>,
    pub sender_case_number: String,
    pub recipient_case_number: String,
    pub status: ExchangeStatus,
    pub sent_at: DateTime<Utc>,
    /// The encoded payload, signed as sent.
    pub payload: Vec<u8>,
    /// For a reply: the hash of the envelope it answers.
    pub in_reply_to: Option<Hash>,
    /// ed25519 over [`Envelope::canonical`]; empty until signed.
    pub signature: Vec<u8>,
}

/// Appends `bytes` with its length.
fn field(out: &mut Vec<u8>, bytes: &[u8]) {
    let len = u32::try_from(bytes.len()).expect("an envelope field is under 4 GiB");
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(bytes);
}

/// Appends a time as microseconds since the epoch.
fn time(out: &mut Vec<u8>, at: DateTime<Utc>) {
    field(out, &at.timestamp_micros().to_be_bytes());
}

impl Envelope {
    /// Returns the bytes the signature covers: every field but the
    /// signature, in a fixed order, length-prefixed.
    pub fn canonical(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(256 + self.payload.len());
        field(&mut out, ENVELOPE_TAG);
        field(&mut out, self.message_id.to_string().as_bytes());
        field(&mut out, self.sender.to_string().as_bytes());
        field(&mut out, &(self.recipients.len() as u32).to_be_bytes());
        for recipient in &self.recipients {
            field(&mut out, recipient.to_string().as_bytes());
        }
        field(&mut out, self.message_type.as_str().as_bytes());
        field(&mut out, &(self.references.len() as u32).to_be_bytes());
        for reference in &self.references {
            field(&mut out, reference.to_string().as_bytes());
        }
        let case = self
            .shared_case_id
            .map(|id| id.to_string())
            .unwrap_or_default();
        field(&mut out, case.as_bytes());
        field(&mut out, self.sender_case_number.as_bytes());
        field(&mut out, self.recipient_case_number.as_bytes());
        field(&mut out, self.status.as_str().as_bytes());
        time(&mut out, self.sent_at);
        field(&mut out, &self.payload);
        field(
            &mut out,
            self.in_reply_to.as_ref().map_or(&[][..], |h| &h[..]),
        );
        out
    }

    /// Signs the envelope with the sender's key.
    pub fn sign(&mut self, key: &SigningKey) {
        self.signature = key.sign(&self.canonical()).to_bytes().to_vec();
    }

    /// Returns whether the signature is `key`'s over the envelope as it is.
    pub fn verify(&self, key: &VerifyingKey) -> bool {
        Signature::from_slice(&self.signature)
            .is_ok_and(|signature| key.verify(&self.canonical(), &signature).is_ok())
    }

    /// Returns the hash of the signed envelope (its canonical bytes and
    /// signature): what a reply and a receipt name it by, and what the
    /// message log keeps.
    pub fn hash(&self) -> Hash {
        signed_hash(&self.canonical(), &self.signature)
    }
}

/// Returns the hash of a signed envelope from its canonical bytes and
/// signature (as the message log stores them).
pub fn signed_hash(canonical: &[u8], signature: &[u8]) -> Hash {
    let mut hasher = Sha256::new();
    hasher.update(canonical);
    hasher.update(signature);
    hasher.finalize().into()
}

/// One attempt at delivering an envelope: its time, signed by the sender
/// over the envelope's hash. The allowed skew is checked on it, so an
/// envelope queued while the peer was away is still taken when it comes
/// back, and a captured request sent again later is stale.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt {
    pub envelope_hash: Hash,
    pub attempted_at: DateTime<Utc>,
    pub signature: Vec<u8>,
}

impl Attempt {
    fn canonical(envelope_hash: &Hash, attempted_at: DateTime<Utc>) -> Vec<u8> {
        let mut out = Vec::with_capacity(80);
        field(&mut out, ATTEMPT_TAG);
        field(&mut out, envelope_hash);
        time(&mut out, attempted_at);
        out
    }

    /// Returns the attempt at sending `envelope` at `at`, signed with `key`.
    pub fn sign(envelope: &Envelope, at: DateTime<Utc>, key: &SigningKey) -> Self {
        let envelope_hash = envelope.hash();
        let signature = key
            .sign(&Self::canonical(&envelope_hash, at))
            .to_bytes()
            .to_vec();
        Self {
            envelope_hash,
            attempted_at: at,
            signature,
        }
    }

    /// Returns whether the attempt is `key`'s, for `envelope`.
    pub fn verify(&self, envelope: &Envelope, key: &VerifyingKey) -> bool {
        self.envelope_hash == envelope.hash()
            && Signature::from_slice(&self.signature).is_ok_and(|signature| {
                key.verify(
                    &Self::canonical(&self.envelope_hash, self.attempted_at),
                    &signature,
                )
                .is_ok()
            })
    }
}

/// The receiving node's signed word that an envelope arrived and verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt {
    pub message_id: MessageId,
    pub receiver: NodeId,
    pub envelope_hash: Hash,
    pub received_at: DateTime<Utc>,
    pub signature: Vec<u8>,
}

impl Receipt {
    /// Returns the receipt for the envelope of `envelope_hash`, signed by
    /// the receiver's `key`.
    pub fn issue(
        message_id: MessageId,
        receiver: NodeId,
        envelope_hash: Hash,
        received_at: DateTime<Utc>,
        key: &SigningKey,
    ) -> Self {
        let mut receipt = Self {
            message_id,
            receiver,
            envelope_hash,
            received_at,
            signature: Vec::new(),
        };
        receipt.signature = key.sign(&receipt.canonical()).to_bytes().to_vec();
        receipt
    }

    fn canonical(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(160);
        field(&mut out, RECEIPT_TAG);
        field(&mut out, self.message_id.to_string().as_bytes());
        field(&mut out, self.receiver.to_string().as_bytes());
        field(&mut out, &self.envelope_hash);
        time(&mut out, self.received_at);
        out
    }

    /// Returns whether the receipt is `key`'s and names `envelope_hash`.
    pub fn verify(&self, key: &VerifyingKey, envelope_hash: &Hash) -> bool {
        &self.envelope_hash == envelope_hash
            && Signature::from_slice(&self.signature)
                .is_ok_and(|signature| key.verify(&self.canonical(), &signature).is_ok())
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn key(seed: u8) -> SigningKey {
        SigningKey::from_bytes(&[seed; 32])
    }

    pub(crate) fn envelope(sender: &str, to: &str) -> Envelope {
        Envelope {
            message_id: MessageId::generate(),
            sender: NodeId::parse(sender).unwrap(),
            recipients: vec![NodeId::parse(to).unwrap()],
            message_type: MessageType::Report,
            references: vec![],
            shared_case_id: Some(SharedCaseId::generate()),
            sender_case_number: "LX-2026-000001".into(),
            recipient_case_number: String::new(),
            status: ExchangeStatus::Exercise,
            sent_at: DateTime::from_timestamp(1_772_413_200, 123_456_000).unwrap(),
            payload: b"payload".to_vec(),
            in_reply_to: None,
            signature: Vec::new(),
        }
    }

    const LX: &str = "shanghai/jinshan/langxia/case-exchange";
    const XD: &str = "zhejiang/pinghu/xindai/case-exchange";

    #[test]
    fn a_signed_envelope_verifies_and_any_changed_field_breaks_it() {
        let mut signed = envelope(LX, XD);
        signed.sign(&key(1));
        assert!(signed.verify(&key(1).verifying_key()));
        assert!(
            !signed.verify(&key(2).verifying_key()),
            "another node's key"
        );
        let changes: Vec<fn(&mut Envelope)> = vec![
            |e| e.message_id = MessageId::generate(),
            |e| e.recipients.clear(),
            |e| e.message_type = MessageType::Update,
            |e| e.references.push(MessageId::generate()),
            |e| e.shared_case_id = None,
            |e| e.sender_case_number.push('9'),
            |e| e.recipient_case_number.push('9'),
            |e| e.status = ExchangeStatus::Actual,
            |e| e.sent_at += chrono::Duration::microseconds(1),
            |e| e.payload.push(0),
            |e| e.in_reply_to = Some([0; 32]),
        ];
        for (n, change) in changes.into_iter().enumerate() {
            let mut edited = signed.clone();
            change(&mut edited);
            assert!(!edited.verify(&key(1).verifying_key()), "change {n}");
            assert_ne!(edited.hash(), signed.hash(), "change {n}");
        }
    }

    #[test]
    fn fields_cannot_slide_into_each_other() {
        let mut a = envelope(LX, XD);
        let mut b = a.clone();
        a.sender_case_number = "AB".into();
        a.recipient_case_number = "C".into();
        b.sender_case_number = "A".into();
        b.recipient_case_number = "BC".into();
        assert_ne!(a.canonical(), b.canonical());
    }

    #[test]
    fn a_receipt_names_the_envelope_and_verifies_with_the_receivers_key() {
        let mut signed = envelope(LX, XD);
        signed.sign(&key(1));
        let receipt = Receipt::issue(
            signed.message_id,
            NodeId::parse(XD).unwrap(),
            signed.hash(),
            signed.sent_at,
            &key(2),
        );
        assert!(receipt.verify(&key(2).verifying_key(), &signed.hash()));
        assert!(!receipt.verify(&key(1).verifying_key(), &signed.hash()));
        assert!(!receipt.verify(&key(2).verifying_key(), &[0; 32]));
    }
}
