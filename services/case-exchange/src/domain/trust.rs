//! Trust between nodes: peers are explicitly allow-listed with their
//! certificate authority, endpoint and signing key, and the peer port takes
//! nothing from a node that is not. [`admit`] is the order of the checks;
//! a replayed message id is the application's to find (it needs the
//! store).

use chrono::{DateTime, Duration, Utc};
use ed25519_dalek::VerifyingKey;

use super::envelope::{Attempt, Envelope};
use super::node::NodeId;
use super::sharing::SharingPolicy;

/// An allow-listed peer node.
#[derive(Debug, Clone)]
pub struct Peer {
    pub node: NodeId,
    /// Its peer port, `https://host:port`.
    pub endpoint: String,
    /// The name its TLS certificate carries.
    pub tls_name: String,
    /// The key its envelopes and receipts are signed with.
    pub verifying_key: VerifyingKey,
    /// What may leave for it.
    pub sharing: SharingPolicy,
}

/// Why the peer port refused an envelope.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// The sender is not allow-listed.
    #[error("sender {0} is not an allow-listed peer")]
    UnknownSender(String),
    /// The TLS client certificate is not the sender's.
    #[error("the client certificate is not {sender}'s ({detail})")]
    WrongCertificate { sender: String, detail: String },
    /// The signature is not the sender's over this envelope.
    #[error("the signature is not {0}'s over this envelope")]
    BadSignature(String),
    /// The message id was used before for another envelope.
    #[error("message id {0} was used before for another envelope")]
    Replayed(String),
    /// The attempt's time is outside the allowed skew.
    #[error("sent {skew_seconds}s away from this node's time (at most {max_seconds}s)")]
    Stale { skew_seconds: i64, max_seconds: i64 },
    /// The envelope is addressed to other nodes only.
    #[error("this node is not among the recipients")]
    NotForUs,
    /// The envelope or its payload cannot be read.
    #[error("malformed: {0}")]
    Malformed(String),
}

impl Refusal {
    /// Returns the stored reason code.
    pub fn code(&self) -> &'static str {
        match self {
            Refusal::UnknownSender(_) => "UNKNOWN_SENDER",
            Refusal::WrongCertificate { .. } => "WRONG_CERTIFICATE",
            Refusal::BadSignature(_) => "BAD_SIGNATURE",
            Refusal::Replayed(_) => "REPLAYED",
            Refusal::Stale { .. } => "STALE",
            Refusal::NotForUs => "NOT_FOR_US",
            Refusal::Malformed(_) => "MALFORMED",
        }
    }
}

/// Checks `envelope`, sent in `attempt`, as it arrives at node `me` over a
/// TLS connection whose client certificate belongs to `tls_peer` (as far as
/// the allow-list knows): an allow-listed sender, its own certificate,
/// addressed here, envelope and attempt signed by the sender's key, the
/// attempt made within `max_skew` of `now`. Returns the sender.
///
/// # Errors
/// The first check that fails, in that order.
pub fn admit<'a>(
    envelope: &Envelope,
    attempt: &Attempt,
    tls_peer: Result<&NodeId, String>,
    me: &NodeId,
    peers: &'a [Peer],
    now: DateTime<Utc>,
    max_skew: Duration,
) -> Result<&'a Peer, Refusal> {
    let sender = envelope.sender.to_string();
    let peer = peers
        .iter()
        .find(|p| p.node == envelope.sender)
        .ok_or_else(|| Refusal::UnknownSender(sender.clone()))?;
    match tls_peer {
        Ok(node) if node == &peer.node => {}
        Ok(node) => {
            return Err(Refusal::WrongCertificate {
                sender,
                detail: format!("it is {node}'s"),
            });
        }
        Err(detail) => return Err(Refusal::WrongCertificate { sender, detail }),
    }
    if !envelope.recipients.contains(me) {
        return Err(Refusal::NotForUs);
    }
    if !envelope.verify(&peer.verifying_key) || !attempt.verify(envelope, &peer.verifying_key) {
        return Err(Refusal::BadSignature(sender));
    }
    let skew = (now - attempt.attempted_at).num_seconds().abs();
    if skew > max_skew.num_seconds() {
        return Err(Refusal::Stale {
            skew_seconds: skew,
            max_seconds: max_skew.num_seconds(),
        });
    }
    Ok(peer)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::envelope::tests::{envelope, key};

    const LX: &str = "shanghai/jinshan/langxia/case-exchange";
    const XD: &str = "zhejiang/pinghu/xindai/case-exchange";
    const GC: &str = "zhejiang/pinghu/guangchen/case-exchange";

    fn peers() -> Vec<Peer> {
        [(LX, 1u8), (GC, 3)]
            .into_iter()
            .map(|(node, seed)| Peer {
                node: NodeId::parse(node).unwrap(),
                endpoint: "https://127.0.0.1:1".into(),
                tls_name: "peer".into(),
                verifying_key: key(seed).verifying_key(),
                sharing: SharingPolicy::default(),
            })
            .collect()
    }

    fn check(e: &Envelope, tls: &str, now: DateTime<Utc>) -> Result<String, Refusal> {
        check_sent(e, &Attempt::sign(e, e.sent_at, &key(1)), tls, now)
    }

    fn check_sent(
        e: &Envelope,
        attempt: &Attempt,
        tls: &str,
        now: DateTime<Utc>,
    ) -> Result<String, Refusal> {
        let tls = NodeId::parse(tls).unwrap();
        let peers = peers();
        admit(
            e,
            attempt,
            Ok(&tls),
            &NodeId::parse(XD).unwrap(),
            &peers,
            now,
            Duration::minutes(5),
        )
        .map(|p| p.node.to_string())
    }

    #[test]
    fn an_envelope_from_an_allow_listed_peer_over_its_own_certificate_is_admitted() {
        let mut e = envelope(LX, XD);
        e.sign(&key(1));
        assert_eq!(check(&e, LX, e.sent_at).as_deref(), Ok(LX));
    }

    #[test]
    fn each_broken_rule_is_refused_with_its_reason() {
        let mut good = envelope(LX, XD);
        good.sign(&key(1));
        let now = good.sent_at;

        let mut unknown = envelope("anhui/x/y/case-exchange", XD);
        unknown.sign(&key(1));
        assert_eq!(
            check(&unknown, LX, now).unwrap_err().code(),
            "UNKNOWN_SENDER"
        );
        assert_eq!(
            check(&good, GC, now).unwrap_err().code(),
            "WRONG_CERTIFICATE"
        );
        let mut forged = good.clone();
        forged.sign(&key(3));
        assert_eq!(check(&forged, LX, now).unwrap_err().code(), "BAD_SIGNATURE");
        let mut elsewhere = envelope(LX, GC);
        elsewhere.sign(&key(1));
        assert_eq!(check(&elsewhere, LX, now).unwrap_err(), Refusal::NotForUs);
        let stale = check(&good, LX, now + Duration::minutes(6)).unwrap_err();
        assert_eq!(
            stale,
            Refusal::Stale {
                skew_seconds: 360,
                max_seconds: 300
            }
        );
        assert!(
            check(&good, LX, now - Duration::minutes(5)).is_ok(),
            "at the skew's edge"
        );
        let forged_attempt = Attempt::sign(&good, now, &key(3));
        assert_eq!(
            check_sent(&good, &forged_attempt, LX, now)
                .unwrap_err()
                .code(),
            "BAD_SIGNATURE"
        );
    }

    #[test]
    fn an_envelope_queued_long_ago_is_taken_in_a_fresh_attempt() {
        let mut queued = envelope(LX, XD);
        queued.sign(&key(1));
        let later = queued.sent_at + Duration::hours(3);
        let retry = Attempt::sign(&queued, later, &key(1));
        assert!(check_sent(&queued, &retry, LX, later).is_ok());
        assert_eq!(
            check_sent(&queued, &retry, LX, later + Duration::hours(1))
                .unwrap_err()
                .code(),
            "STALE"
        );
    }
}
