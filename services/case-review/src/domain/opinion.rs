//! Opinions: each expert's risk rating, reasoning and recommendation,
//! signed with the expert's ed25519 key. A submitted opinion never changes:
//! a revision is the next version, and a return for a rewrite only marks a
//! version as one the recommendation may not rest on.

use chrono::{DateTime, Utc};
use ed25519_dalek::{Signature, VerifyingKey};

use super::ids::{ExpertId, OpinionId, ReviewId};

/// An expert's rating of the case's risk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RiskRating {
    Low,
    Medium,
    High,
}

impl RiskRating {
    /// Every rating, in a stable order.
    pub const ALL: [RiskRating; 3] = [RiskRating::Low, RiskRating::Medium, RiskRating::High];

    /// Returns the stored (and signed) name.
    pub fn as_str(self) -> &'static str {
        match self {
            RiskRating::Low => "LOW",
            RiskRating::Medium => "MEDIUM",
            RiskRating::High => "HIGH",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

/// What an expert says, before it is signed and submitted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpinionText {
    pub risk: RiskRating,
    pub reasoning: String,
    pub recommendation: String,
}

/// The first line of every signing payload: a signature over one is never
/// mistaken for a signature over anything else.
pub const SIGNING_CONTEXT: &str = "weigrid.review.v1.Opinion";

/// Returns the bytes an expert signs for version `version` of their
/// opinion on `review`: the context, the review, the expert, the version
/// and the rating, one a line, then the reasoning and the recommendation,
/// each as its length in bytes, a newline and the text (so that no text can
/// shift into another).
pub fn signing_payload(
    review: ReviewId,
    expert: ExpertId,
    version: u32,
    text: &OpinionText,
) -> Vec<u8> {
    let mut payload = format!(
        "{SIGNING_CONTEXT}\n{review}\n{expert}\n{version}\n{}\n",
        text.risk.as_str()
    )
    .into_bytes();
    for part in [&text.reasoning, &text.recommendation] {
        payload.extend_from_slice(format!("{}\n", part.len()).as_bytes());
        payload.extend_from_slice(part.as_bytes());
    }
    payload
}

/// Returns whether `signature` is `key`'s over `payload`.
pub fn verifies(key: &[u8; 32], payload: &[u8], signature: &[u8; 64]) -> bool {
    VerifyingKey::from_bytes(key).is_ok_and(|key| {
        key.verify_strict(payload, &Signature::from_bytes(signature))
            .is_ok()
    })
}

/// A return for a rewrite.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Returned {
    pub at: DateTime<Utc>,
    pub reason: String,
}

/// One version of an expert's opinion, as submitted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Opinion {
    pub id: OpinionId,
    pub review: ReviewId,
    pub expert: ExpertId,
    pub version: u32,
    pub text: OpinionText,
    /// The key it was signed with (the expert's at the time).
    pub public_key: [u8; 32],
    pub signature: [u8; 64],
    pub signed_at: DateTime<Utc>,
    pub returned: Option<Returned>,
}

impl Opinion {
    /// Returns the bytes its signature is over.
    pub fn payload(&self) -> Vec<u8> {
        signing_payload(self.review, self.expert, self.version, &self.text)
    }

    /// Returns whether its signature verifies against its key.
    pub fn signature_valid(&self) -> bool {
        verifies(&self.public_key, &self.payload(), &self.signature)
    }

    /// Returns whether it was returned for a rewrite.
    pub fn is_returned(&self) -> bool {
        self.returned.is_some()
    }
}

#[cfg(test)]
mod tests {
    use ed25519_dalek::{Signer, SigningKey};

    use super::*;
    use crate::domain::review::fixtures::at;

    fn text(reasoning: &str, recommendation: &str) -> OpinionText {
        OpinionText {
            risk: RiskRating::High,
            reasoning: reasoning.into(),
            recommendation: recommendation.into(),
        }
    }

    #[test]
    fn a_signed_opinion_verifies_and_any_change_breaks_its_signature() {
        let key = SigningKey::from_bytes(&[3; 32]);
        let (review, expert) = (ReviewId::generate(), ExpertId::generate());
        let said = text("强拆程序存在瑕疵", "先补正程序再执行");
        let signature = key
            .sign(&signing_payload(review, expert, 1, &said))
            .to_bytes();
        let mut opinion = Opinion {
            id: OpinionId::generate(),
            review,
            expert,
            version: 1,
            text: said,
            public_key: key.verifying_key().to_bytes(),
            signature,
            signed_at: at(0),
            returned: None,
        };
        assert!(opinion.signature_valid());
        opinion.text.risk = RiskRating::Low;
        assert!(!opinion.signature_valid());
        opinion.text.risk = RiskRating::High;
        opinion.version = 2;
        assert!(!opinion.signature_valid());
        opinion.version = 1;
        opinion.public_key = SigningKey::from_bytes(&[4; 32]).verifying_key().to_bytes();
        assert!(!opinion.signature_valid());
    }

    #[test]
    fn text_cannot_shift_from_the_reasoning_into_the_recommendation() {
        let (review, expert) = (ReviewId::generate(), ExpertId::generate());
        assert_ne!(
            signing_payload(review, expert, 1, &text("ab", "c")),
            signing_payload(review, expert, 1, &text("a", "bc"))
        );
        let payload = signing_payload(review, expert, 1, &text("ab", "c"));
        assert!(payload.starts_with(b"weigrid.review.v1.Opinion\n"));
        assert!(payload.ends_with(b"HIGH\n2\nab1\nc"));
    }
}
