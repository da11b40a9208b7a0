//! The review aggregate: a review request with its panel, the opinions of
//! the panel's experts, the consolidated recommendations and the decision.
//! Every change is a method here that checks its rule and says what
//! changed; the repository stores that.

use chrono::{DateTime, Utc};
use kernel::FieldViolation;

use super::decision::{CarryOut, Decision, DecisionDraft};
use super::error::DomainError;
use super::expert::Expert;
use super::ids::{ExpertId, OpinionId, RecommendationId, ReviewId, TicketId};
use super::opinion::{Opinion, OpinionText, Returned, signing_payload, verifies};
use super::panel::{self, Candidate, Matter, PanelRules};

/// What a review is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ReviewKind {
    LegalRisk,
    Professional,
    Policy,
}

impl ReviewKind {
    /// Every kind, in a stable order.
    pub const ALL: [ReviewKind; 3] = [
        ReviewKind::LegalRisk,
        ReviewKind::Professional,
        ReviewKind::Policy,
    ];

    /// Returns the stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            ReviewKind::LegalRisk => "LEGAL_RISK",
            ReviewKind::Professional => "PROFESSIONAL",
            ReviewKind::Policy => "POLICY",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// How soon the review is needed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Urgency {
    Normal,
    Urgent,
}

impl Urgency {
    /// Returns the stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Urgency::Normal => "NORMAL",
            Urgency::Urgent => "URGENT",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        [Urgency::Normal, Urgency::Urgent]
            .into_iter()
            .find(|u| u.as_str() == s)
    }
}

/// Where a review is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReviewState {
    Open,
    Decided,
}

impl ReviewState {
    /// Returns the stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            ReviewState::Open => "OPEN",
            ReviewState::Decided => "DECIDED",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        [ReviewState::Open, ReviewState::Decided]
            .into_iter()
            .find(|u| u.as_str() == s)
    }
}

/// A review request, as asked for (directly or by a referral).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewRequest {
    pub kind: ReviewKind,
    pub question: String,
    /// References to the case's materials.
    pub materials: Vec<String>,
    pub urgency: Urgency,
    pub deadline: DateTime<Utc>,
    pub major: bool,
    /// The case (a ticket number for a referral).
    pub case_ref: String,
    /// The dispatch ticket it came from.
    pub ticket: Option<TicketId>,
    pub parties: Vec<String>,
    /// Expert ids or organisation codes with a past role in the case.
    pub involved: Vec<String>,
    pub organiser: String,
    pub industry_authority: Option<String>,
}

/// An expert on a review's panel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Panelist {
    pub expert: ExpertId,
    pub name: String,
    pub seated_at: DateTime<Utc>,
    pub recusal: Option<Recusal>,
}

impl Panelist {
    /// Returns whether the expert still sits.
    pub fn seated(&self) -> bool {
        self.recusal.is_none()
    }
}

/// An expert standing down, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recusal {
    pub at: DateTime<Utc>,
    pub reason: String,
}

/// Where a recommendation is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecommendationState {
    Open,
    Withdrawn,
    Decided,
}

impl RecommendationState {
    /// Returns the stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            RecommendationState::Open => "OPEN",
            RecommendationState::Withdrawn => "WITHDRAWN",
            RecommendationState::Decided => "DECIDED",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        [
            RecommendationState::Open,
            RecommendationState::Withdrawn,
            RecommendationState::Decided,
        ]
        .into_iter()
        .find(|u| u.as_str() == s)
    }
}

/// A consolidated recommendation, citing the opinion versions it rests on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recommendation {
    pub id: RecommendationId,
    pub review: ReviewId,
    pub text: String,
    pub opinions: Vec<OpinionId>,
    pub state: RecommendationState,
    pub opened_by: String,
    pub opened_at: DateTime<Utc>,
}

/// A review request and everything done on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Review {
    pub id: ReviewId,
    pub request: ReviewRequest,
    pub state: ReviewState,
    pub opened_by: String,
    pub opened_at: DateTime<Utc>,
    pub panel: Vec<Panelist>,
    /// Every version of every opinion, oldest first.
    pub opinions: Vec<Opinion>,
    /// Every recommendation, oldest first.
    pub recommendations: Vec<Recommendation>,
    pub decision: Option<Decision>,
}

/// A panel seated anew: who sits down, who stands down.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PanelChange {
    pub seated: Vec<Panelist>,
    /// Experts seated before and not listed again, with the recusal
    /// recorded for them.
    pub stood_down: Vec<(ExpertId, Recusal)>,
}

/// An opinion to submit: who, which version, what, and the signature.
#[derive(Debug, Clone)]
pub struct Submission {
    pub expert: ExpertId,
    pub version: u32,
    pub text: OpinionText,
    pub signature: Vec<u8>,
}

/// The reason recorded for an expert left off a panel seated anew.
pub const NOT_RESEATED: &str = "不在重新组成的专家组名单中 (not on the panel as seated again)";

impl Review {
    /// Opens a review of `request` for `actor` at `now`.
    ///
    /// # Errors
    /// The deadline is not after `now`.
    pub fn open(
        request: ReviewRequest,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<Self, FieldViolation> {
        if request.deadline <= now {
            return Err(FieldViolation::new("deadline", "must be in the future"));
        }
        Ok(Review {
            id: ReviewId::generate(),
            request,
            state: ReviewState::Open,
            opened_by: actor.to_owned(),
            opened_at: now,
            panel: Vec::new(),
            opinions: Vec::new(),
            recommendations: Vec::new(),
            decision: None,
        })
    }

    fn require_open(&self) -> Result<(), DomainError> {
        match self.state {
            ReviewState::Open => Ok(()),
            ReviewState::Decided => Err(DomainError::Decided(self.id)),
        }
    }

    /// Returns the experts who sit now.
    pub fn seated(&self) -> impl Iterator<Item = &Panelist> {
        self.panel.iter().filter(|p| p.seated())
    }

    /// Returns the case's side of the panel rules.
    pub fn matter(&self) -> Matter<'_> {
        Matter {
            major: self.request.major,
            parties: &self.request.parties,
            involved: &self.request.involved,
            organiser: &self.request.organiser,
            industry_authority: self.request.industry_authority.as_deref(),
        }
    }

    /// Returns `expert`'s latest opinion.
    pub fn latest_opinion(&self, expert: ExpertId) -> Option<&Opinion> {
        self.opinions
            .iter()
            .filter(|o| o.expert == expert)
            .max_by_key(|o| o.version)
    }

    /// Returns the open recommendation.
    pub fn current_recommendation(&self) -> Option<&Recommendation> {
        self.recommendations
            .iter()
            .find(|r| r.state == RecommendationState::Open)
    }

    /// Seats `candidates` as the whole panel at `now`: checked together
    /// against `rules`; experts seated before and not listed stand down
    /// (unless they gave an opinion, who stay).
    ///
    /// # Errors
    /// The review is decided, or the panel breaks a rule (each violation
    /// names it).
    pub fn assign_panel(
        &mut self,
        candidates: &[Candidate],
        rules: &PanelRules,
        now: DateTime<Utc>,
    ) -> Result<PanelChange, DomainError> {
        self.require_open()?;
        let recused: Vec<ExpertId> = self
            .panel
            .iter()
            .filter(|p| !p.seated())
            .map(|p| p.expert)
            .collect();
        let mut broken = panel::check(rules, &self.matter(), candidates, &recused, now);
        let listed = |id: ExpertId| candidates.iter().any(|c| c.expert.id == id);
        for sitting in self.seated().filter(|p| !listed(p.expert)) {
            if self.latest_opinion(sitting.expert).is_some() {
                broken.push(FieldViolation::new(
                    "expert_ids",
                    format!(
                        "{}: {} gave an opinion and stays on the panel (a recusal is recorded with its reason)",
                        panel::rule::OPINION_GIVEN,
                        sitting.name
                    ),
                ));
            }
        }
        if !broken.is_empty() {
            return Err(DomainError::Invalid(broken));
        }
        let stood_down: Vec<(ExpertId, Recusal)> = self
            .seated()
            .filter(|p| !listed(p.expert))
            .map(|p| {
                (
                    p.expert,
                    Recusal {
                        at: now,
                        reason: NOT_RESEATED.to_owned(),
                    },
                )
            })
            .collect();
        for (expert, recusal) in &stood_down {
            if let Some(p) = self.panel.iter_mut().find(|p| p.expert == *expert) {
                p.recusal = Some(recusal.clone());
            }
        }
        let mut seated = Vec::new();
        for candidate in candidates {
            if self.panel.iter().any(|p| p.expert == candidate.expert.id) {
                continue;
            }
            let panelist = Panelist {
                expert: candidate.expert.id,
                name: candidate.expert.name.clone(),
                seated_at: now,
                recusal: None,
            };
            self.panel.push(panelist.clone());
            seated.push(panelist);
        }
        Ok(PanelChange { seated, stood_down })
    }

    /// Records that `expert` stands down at `now`, for `reason`.
    ///
    /// # Errors
    /// The review is decided, or the expert does not sit on it.
    pub fn recuse(
        &mut self,
        expert: ExpertId,
        reason: String,
        now: DateTime<Utc>,
    ) -> Result<Recusal, DomainError> {
        self.require_open()?;
        let panelist = self
            .panel
            .iter_mut()
            .find(|p| p.expert == expert && p.seated())
            .ok_or(DomainError::NotSeated(expert))?;
        let recusal = Recusal { at: now, reason };
        panelist.recusal = Some(recusal.clone());
        Ok(recusal)
    }

    /// Submits `submission`, signed by `expert` (its key is the registry's
    /// now), at `now`: the next version of the expert's opinion.
    ///
    /// # Errors
    /// The review is decided, the expert does not sit on it, the version is
    /// not the next or the signature does not verify.
    pub fn submit_opinion(
        &mut self,
        expert: &Expert,
        submission: Submission,
        now: DateTime<Utc>,
    ) -> Result<Opinion, DomainError> {
        self.require_open()?;
        if !self.seated().any(|p| p.expert == expert.id) {
            return Err(DomainError::NotSeated(expert.id));
        }
        let next = self.latest_opinion(expert.id).map_or(1, |o| o.version + 1);
        if submission.version != next {
            return Err(DomainError::invalid(
                "version",
                format!("must be {next}, the next version of this expert's opinion"),
            ));
        }
        let payload = signing_payload(self.id, expert.id, next, &submission.text);
        let signature: Option<[u8; 64]> = submission.signature.as_slice().try_into().ok();
        let Some(signature) = signature.filter(|s| verifies(&expert.public_key, &payload, s))
        else {
            return Err(DomainError::invalid(
                "signature",
                "must be the expert's ed25519 signature over the opinion's signing payload",
            ));
        };
        let opinion = Opinion {
            id: OpinionId::generate(),
            review: self.id,
            expert: expert.id,
            version: next,
            text: submission.text,
            public_key: expert.public_key,
            signature,
            signed_at: now,
            returned: None,
        };
        self.opinions.push(opinion.clone());
        Ok(opinion)
    }

    /// Returns opinion `id` to its expert for a rewrite at `now`.
    ///
    /// # Errors
    /// The review is decided, the opinion is not this review's, or it is
    /// not the expert's current one.
    pub fn return_opinion(
        &mut self,
        id: OpinionId,
        reason: String,
        now: DateTime<Utc>,
    ) -> Result<Opinion, DomainError> {
        self.require_open()?;
        let expert = self
            .opinions
            .iter()
            .find(|o| o.id == id)
            .ok_or(DomainError::UnknownOpinion(id))?
            .expert;
        let latest = self.latest_opinion(expert).map(|o| o.id);
        let opinion = self
            .opinions
            .iter_mut()
            .find(|o| o.id == id)
            .filter(|o| latest == Some(o.id) && o.returned.is_none())
            .ok_or(DomainError::NotCurrent(id))?;
        opinion.returned = Some(Returned { at: now, reason });
        Ok(opinion.clone())
    }

    /// Opens the consolidated recommendation `text` citing `opinions`, for
    /// `actor` at `now`.
    ///
    /// # Errors
    /// The review is decided, one is open already, or a cited opinion is
    /// not this review's current opinion of a seated expert.
    pub fn open_recommendation(
        &mut self,
        text: String,
        opinions: Vec<OpinionId>,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<Recommendation, DomainError> {
        self.require_open()?;
        if let Some(open) = self.current_recommendation() {
            return Err(DomainError::RecommendationOpen(open.id));
        }
        let mut broken = Vec::new();
        if opinions.is_empty() {
            broken.push(FieldViolation::new(
                "opinion_ids",
                "must cite the opinions the recommendation rests on",
            ));
        }
        for (i, id) in opinions.iter().enumerate() {
            let field = format!("opinion_ids[{i}]");
            let Some(opinion) = self.opinions.iter().find(|o| o.id == *id) else {
                broken.push(FieldViolation::new(
                    field,
                    "is not an opinion of this review",
                ));
                continue;
            };
            if opinions[..i].contains(id) {
                broken.push(FieldViolation::new(field, "is cited twice"));
            } else if opinion.is_returned() {
                broken.push(FieldViolation::new(field, "was returned for a rewrite"));
            } else if let Some(latest) = self.latest_opinion(opinion.expert).filter(|l| l.id != *id)
            {
                broken.push(FieldViolation::new(
                    field,
                    format!(
                        "is version {}; version {} is the latest",
                        opinion.version, latest.version
                    ),
                ));
            } else if !self.seated().any(|p| p.expert == opinion.expert) {
                broken.push(FieldViolation::new(field, "is of an expert who stood down"));
            }
        }
        if !broken.is_empty() {
            return Err(DomainError::Invalid(broken));
        }
        let recommendation = Recommendation {
            id: RecommendationId::generate(),
            review: self.id,
            text,
            opinions,
            state: RecommendationState::Open,
            opened_by: actor.to_owned(),
            opened_at: now,
        };
        self.recommendations.push(recommendation.clone());
        Ok(recommendation)
    }

    /// Withdraws the open recommendation `id`.
    ///
    /// # Errors
    /// The review is decided, or `id` is not its open recommendation.
    pub fn withdraw_recommendation(
        &mut self,
        id: RecommendationId,
    ) -> Result<Recommendation, DomainError> {
        self.require_open()?;
        let recommendation = self
            .recommendations
            .iter_mut()
            .find(|r| r.id == id)
            .ok_or(DomainError::UnknownRecommendation(id))?;
        if recommendation.state != RecommendationState::Open {
            return Err(DomainError::RecommendationClosed(id));
        }
        recommendation.state = RecommendationState::Withdrawn;
        Ok(recommendation.clone())
    }

    /// Returns what the required review still lacks before a decision:
    /// empty when it is complete. A complete review has a panel that keeps
    /// the composition rules, a current (not returned) opinion of every
    /// seated expert, and an open recommendation citing exactly those.
    pub fn missing(&self, rules: &PanelRules) -> Vec<String> {
        let mut missing = Vec::new();
        let seated: Vec<&Panelist> = self.seated().collect();
        if seated.is_empty() {
            missing.push("no panel is seated".to_owned());
            return missing;
        }
        let composition = panel::composition(rules, self.request.major, seated.len(), 0, 0);
        missing.extend(
            composition
                .into_iter()
                .map(|v| format!("the panel: {}", v.rule)),
        );
        let mut current = Vec::new();
        for p in &seated {
            match self.latest_opinion(p.expert) {
                None => missing.push(format!("no opinion from {}", p.name)),
                Some(o) if o.is_returned() => missing.push(format!(
                    "{}'s opinion (version {}) was returned for a rewrite",
                    p.name, o.version
                )),
                Some(o) => current.push(o.id),
            }
        }
        match self.current_recommendation() {
            None => missing.push("no recommendation is open".to_owned()),
            Some(r) => {
                let mut cited = r.opinions.clone();
                cited.sort();
                current.sort();
                if !missing.is_empty() {
                    // The opinions are not all in: the citations follow.
                } else if cited != current {
                    missing.push(
                        "the open recommendation does not cite the current opinion of every seated expert"
                            .to_owned(),
                    );
                }
            }
        }
        missing
    }

    /// Records `draft` as the decision of `actor` at `now`, closing the
    /// open recommendation.
    ///
    /// # Errors
    /// The review is decided, the required review is incomplete, or what
    /// dispatch is to do does not fit where the review came from.
    pub fn decide(
        &mut self,
        draft: DecisionDraft,
        rules: &PanelRules,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<Decision, DomainError> {
        self.require_open()?;
        match (&draft.carry_out, self.request.ticket) {
            (CarryOut::Nothing, Some(_)) => {
                return Err(DomainError::invalid(
                    "redispatch_to",
                    "a referred case is redispatched to named units or closed with a result",
                ));
            }
            (CarryOut::Redispatch(_) | CarryOut::Close(_), None) => {
                return Err(DomainError::invalid(
                    "redispatch_to",
                    "only a case referred by dispatch is redispatched or closed",
                ));
            }
            _ => {}
        }
        let missing = self.missing(rules);
        if !missing.is_empty() {
            return Err(DomainError::Incomplete(missing));
        }
        let recommendation = self
            .recommendations
            .iter_mut()
            .find(|r| r.state == RecommendationState::Open)
            .ok_or_else(|| DomainError::Incomplete(vec!["no recommendation is open".into()]))?;
        recommendation.state = RecommendationState::Decided;
        let decision = Decision {
            outcome: draft.outcome,
            reasons: draft.reasons,
            recommendation: recommendation.id,
            carry_out: draft.carry_out,
            decided_by: actor.to_owned(),
            decided_at: now,
        };
        self.state = ReviewState::Decided;
        self.decision = Some(decision.clone());
        Ok(decision)
    }
}

/// Values for the domain's tests (and the repository's), in one place.
#[cfg(test)]
pub mod fixtures {
    use chrono::{DateTime, Duration, Utc};
    use ed25519_dalek::{Signer, SigningKey};

    use super::*;
    use crate::domain::expert::{Declaration, ExpertKind};
    use crate::domain::ids::DeclarationId;
    use crate::domain::opinion::RiskRating;
    use crate::domain::panel::Share;

    /// Returns day `days` of the tests' calendar.
    pub fn at(days: i64) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-04-01T01:00:00Z")
            .expect("a valid time")
            .to_utc()
            + Duration::days(days)
    }

    /// The configured rules: 3, 5 for a major matter, 1/3 and 1/2.
    pub fn rules() -> PanelRules {
        PanelRules {
            minimum: 3,
            minimum_major: 5,
            industry_authority_share: Share::parse("1/3").expect("a share"),
            reporting_relation_share: Share::parse("1/2").expect("a share"),
        }
    }

    /// Returns the signing key of the expert named `name`.
    pub fn key_of(name: &str) -> SigningKey {
        let mut seed = [0u8; 32];
        for (i, b) in name.bytes().enumerate() {
            seed[i % 32] ^= b;
        }
        seed[31] ^= 0x5a;
        SigningKey::from_bytes(&seed)
    }

    /// An active expert of `organisation`.
    pub fn expert(name: &str, organisation: &str, reports_to: Option<&str>) -> Expert {
        Expert {
            id: ExpertId::generate(),
            name: name.into(),
            kind: ExpertKind::PractisingLawyer,
            fields: vec!["administrative law".into()],
            credentials: format!("CERT-{name}"),
            organisation: organisation.into(),
            reports_to: reports_to.map(str::to_owned),
            public_key: key_of(name).verifying_key().to_bytes(),
            active: true,
            registered_at: at(-100),
        }
    }

    /// `expert`'s interest in `party`, declared at day 0.
    pub fn declaration(expert: &Expert, party: &str, expires_at: DateTime<Utc>) -> Declaration {
        Declaration {
            id: DeclarationId::generate(),
            expert: expert.id,
            party: party.into(),
            note: String::new(),
            declared_at: at(0),
            expires_at,
        }
    }

    /// A major legal-risk review of a referred ticket, organised by the town.
    pub fn request() -> ReviewRequest {
        ReviewRequest {
            kind: ReviewKind::LegalRisk,
            question: "强制拆除违法建筑的法律风险".into(),
            materials: vec!["doc:petition-17".into()],
            urgency: Urgency::Normal,
            deadline: at(10),
            major: true,
            case_ref: "LX-2026-000017".into(),
            ticket: Some(TicketId::generate()),
            parties: vec!["某建材公司".into()],
            involved: vec!["JS-PLANNING".into()],
            organiser: "LX".into(),
            industry_authority: Some("JS-WATER".into()),
        }
    }

    /// Five experts who may sit together on [`request`]'s panel.
    pub fn five() -> Vec<Expert> {
        vec![
            expert("律师甲", "LAWFIRM-1", None),
            expert("律师乙", "LAWFIRM-2", None),
            expert("鉴定所", "APPRAISAL-1", None),
            expert("水务局", "JS-WATER", None),
            expert("法律顾问", "LX-JUSTICE", Some("LX")),
        ]
    }

    /// Candidates without declarations.
    pub fn candidates(experts: &[Expert]) -> Vec<Candidate> {
        experts
            .iter()
            .map(|expert| Candidate {
                expert: expert.clone(),
                declarations: Vec::new(),
            })
            .collect()
    }

    /// `expert`'s text, signed, as version `version` on `review`.
    pub fn signed(review: &Review, expert: &Expert, version: u32, reasoning: &str) -> Submission {
        let text = OpinionText {
            risk: RiskRating::Medium,
            reasoning: reasoning.into(),
            recommendation: "依法补正程序后执行".into(),
        };
        let payload = signing_payload(review.id, expert.id, version, &text);
        Submission {
            expert: expert.id,
            version,
            text,
            signature: key_of(&expert.name).sign(&payload).to_bytes().to_vec(),
        }
    }

    /// A review with the five seated.
    pub fn with_panel(experts: &[Expert]) -> Review {
        let mut review = Review::open(request(), "town-op", at(0)).expect("a review");
        review
            .assign_panel(&candidates(experts), &rules(), at(0))
            .expect("a panel");
        review
    }

    /// A review with the five seated and each one's first opinion in.
    pub fn with_opinions(experts: &[Expert]) -> Review {
        let mut review = with_panel(experts);
        for e in experts {
            let submission = signed(&review, e, 1, "程序合法，风险可控");
            review
                .submit_opinion(e, submission, at(1))
                .expect("an opinion");
        }
        review
    }
}

#[cfg(test)]
mod tests {
    use super::fixtures::*;
    use super::*;
    use crate::domain::decision::{Outcome, Unit};
    use crate::domain::panel::rule;

    fn redispatch() -> DecisionDraft {
        DecisionDraft {
            outcome: Outcome::Adopted,
            reasons: "采纳专家组意见".into(),
            carry_out: CarryOut::Redispatch(vec![Unit {
                kind: "DEPARTMENT".into(),
                code: "JS-URBAN".into(),
                name: "城管中队".into(),
            }]),
        }
    }

    fn current(review: &Review) -> Vec<OpinionId> {
        review
            .seated()
            .filter_map(|p| review.latest_opinion(p.expert))
            .map(|o| o.id)
            .collect()
    }

    #[test]
    fn a_review_opens_only_with_a_deadline_ahead() {
        let mut late = request();
        late.deadline = at(0);
        assert_eq!(
            Review::open(late, "town-op", at(0)).unwrap_err().field,
            "deadline"
        );
        let review = Review::open(request(), "town-op", at(0)).unwrap();
        assert_eq!(review.state, ReviewState::Open);
    }

    #[test]
    fn a_panel_breaking_a_rule_is_refused_and_nothing_is_seated() {
        let experts = five();
        let mut review = Review::open(request(), "town-op", at(0)).unwrap();
        let err = review
            .assign_panel(&candidates(&experts[..4]), &rules(), at(0))
            .unwrap_err();
        let DomainError::Invalid(broken) = err else {
            panic!("{err:?}")
        };
        assert!(broken[0].rule.starts_with(rule::ODD_SIZE), "{broken:?}");
        assert!(review.panel.is_empty());
    }

    #[test]
    fn seating_again_stands_down_who_is_left_off_but_not_who_gave_an_opinion() {
        let mut experts = five();
        let mut review = with_panel(&experts);
        let first = experts[0].clone();
        review
            .submit_opinion(&first, signed(&review, &first, 1, "意见"), at(1))
            .unwrap();
        // Leaving off the one who gave an opinion is refused.
        let mut others = experts.clone();
        others[0] = expert("律师丙", "LAWFIRM-3", None);
        let err = review
            .assign_panel(&candidates(&others), &rules(), at(1))
            .unwrap_err();
        let DomainError::Invalid(broken) = err else {
            panic!("{err:?}")
        };
        assert!(
            broken[0].rule.starts_with(rule::OPINION_GIVEN),
            "{broken:?}"
        );
        // Replacing another one stands them down with the reason recorded.
        experts[1] = expert("律师丙", "LAWFIRM-3", None);
        let change = review
            .assign_panel(&candidates(&experts), &rules(), at(1))
            .unwrap();
        assert_eq!(change.seated.len(), 1);
        assert_eq!(change.stood_down.len(), 1);
        assert_eq!(change.stood_down[0].1.reason, NOT_RESEATED);
        assert_eq!(review.seated().count(), 5);
    }

    #[test]
    fn a_recused_expert_stands_down_with_a_reason_and_is_not_seated_again() {
        let experts = five();
        let mut review = with_panel(&experts);
        let recusal = review
            .recuse(experts[2].id, "与当事人有亲属关系".into(), at(1))
            .unwrap();
        assert_eq!(recusal.reason, "与当事人有亲属关系");
        assert_eq!(review.seated().count(), 4);
        assert_eq!(
            review.recuse(experts[2].id, "again".into(), at(1)),
            Err(DomainError::NotSeated(experts[2].id))
        );
        let err = review
            .assign_panel(&candidates(&experts), &rules(), at(1))
            .unwrap_err();
        let DomainError::Invalid(broken) = err else {
            panic!("{err:?}")
        };
        assert_eq!(broken[0].field, "expert_ids[2]");
        assert!(broken[0].rule.starts_with(rule::RECUSED));
    }

    #[test]
    fn an_opinion_is_the_next_version_signed_by_a_seated_expert() {
        let experts = five();
        let mut review = with_panel(&experts);
        let e = &experts[0];
        let skip = review
            .submit_opinion(e, signed(&review, e, 2, "x"), at(1))
            .unwrap_err();
        assert_eq!(
            skip,
            DomainError::invalid(
                "version",
                "must be 1, the next version of this expert's opinion"
            )
        );
        let mut forged = signed(&review, e, 1, "原文");
        forged.text.reasoning = "改过的".into();
        let forged = review.submit_opinion(e, forged, at(1)).unwrap_err();
        let DomainError::Invalid(broken) = forged else {
            panic!()
        };
        assert_eq!(broken[0].field, "signature");
        let outsider = expert("局外人", "LAWFIRM-9", None);
        assert_eq!(
            review.submit_opinion(&outsider, signed(&review, &outsider, 1, "x"), at(1)),
            Err(DomainError::NotSeated(outsider.id))
        );
        let first = review
            .submit_opinion(e, signed(&review, e, 1, "原文"), at(1))
            .unwrap();
        assert!(first.signature_valid());
        let revised = review
            .submit_opinion(e, signed(&review, e, 2, "修订"), at(2))
            .unwrap();
        assert_eq!(revised.version, 2);
        // The first version is kept as it was.
        assert_eq!(review.opinions[0], first);
    }

    #[test]
    fn a_returned_opinion_must_be_rewritten_before_it_is_cited() {
        let experts = five();
        let mut review = with_opinions(&experts);
        let first = review.latest_opinion(experts[0].id).unwrap().id;
        let returned = review
            .return_opinion(first, "论证不充分".into(), at(2))
            .unwrap();
        assert!(returned.is_returned());
        assert_eq!(
            review.return_opinion(first, "again".into(), at(2)),
            Err(DomainError::NotCurrent(first))
        );
        let err = review
            .open_recommendation("建议".into(), current(&review), "town-op", at(2))
            .unwrap_err();
        let DomainError::Invalid(broken) = err else {
            panic!()
        };
        assert_eq!(broken[0].rule, "was returned for a rewrite");
        let e = &experts[0];
        review
            .submit_opinion(e, signed(&review, e, 2, "补充论证"), at(3))
            .unwrap();
        // Citing the old version is refused naming the latest.
        let mut old = current(&review);
        old[0] = first;
        let err = review
            .open_recommendation("建议".into(), old, "town-op", at(3))
            .unwrap_err();
        let DomainError::Invalid(broken) = err else {
            panic!()
        };
        assert!(broken[0].rule.contains("was returned") || broken[0].rule.contains("latest"));
        review
            .open_recommendation("建议".into(), current(&review), "town-op", at(3))
            .unwrap();
    }

    #[test]
    fn only_one_recommendation_is_open_at_a_time() {
        let experts = five();
        let mut review = with_opinions(&experts);
        let open = review
            .open_recommendation("建议一".into(), current(&review), "town-op", at(2))
            .unwrap();
        assert_eq!(
            review.open_recommendation("建议二".into(), current(&review), "town-op", at(2)),
            Err(DomainError::RecommendationOpen(open.id))
        );
        review.withdraw_recommendation(open.id).unwrap();
        assert_eq!(
            review.withdraw_recommendation(open.id),
            Err(DomainError::RecommendationClosed(open.id))
        );
        review
            .open_recommendation("建议二".into(), current(&review), "town-op", at(2))
            .unwrap();
        assert_eq!(review.recommendations.len(), 2);
    }

    #[test]
    fn the_decision_is_refused_until_every_opinion_is_in_and_cited() {
        let experts = five();
        let mut review = with_panel(&experts);
        let err = review
            .decide(redispatch(), &rules(), "leader", at(2))
            .unwrap_err();
        let DomainError::Incomplete(missing) = err else {
            panic!()
        };
        assert_eq!(missing.len(), 6, "{missing:?}"); // five opinions and the recommendation
        assert!(missing[0].starts_with("no opinion from 律师甲"));
        for e in &experts {
            review
                .submit_opinion(e, signed(&review, e, 1, "意见"), at(1))
                .unwrap();
        }
        let partial: Vec<OpinionId> = current(&review).into_iter().take(4).collect();
        review
            .open_recommendation("建议".into(), partial, "town-op", at(2))
            .unwrap();
        let err = review
            .decide(redispatch(), &rules(), "leader", at(2))
            .unwrap_err();
        assert!(
            matches!(err, DomainError::Incomplete(ref m) if m[0].contains("does not cite")),
            "{err:?}"
        );
        let open = review.current_recommendation().unwrap().id;
        review.withdraw_recommendation(open).unwrap();
        let full = review
            .open_recommendation("建议".into(), current(&review), "town-op", at(2))
            .unwrap();
        let decision = review
            .decide(redispatch(), &rules(), "leader", at(3))
            .unwrap();
        assert_eq!(decision.recommendation, full.id);
        assert_eq!(review.state, ReviewState::Decided);
        assert_eq!(review.current_recommendation(), None);
        assert_eq!(
            review.decide(redispatch(), &rules(), "leader", at(3)),
            Err(DomainError::Decided(review.id))
        );
    }

    #[test]
    fn a_panel_short_after_a_recusal_holds_the_decision() {
        let experts = five();
        let mut review = with_opinions(&experts);
        review.recuse(experts[4].id, "回避".into(), at(2)).unwrap();
        review
            .open_recommendation("建议".into(), current(&review), "town-op", at(2))
            .unwrap();
        let err = review
            .decide(redispatch(), &rules(), "leader", at(2))
            .unwrap_err();
        let DomainError::Incomplete(missing) = err else {
            panic!()
        };
        assert!(missing[0].contains(rule::ODD_SIZE), "{missing:?}");
    }

    #[test]
    fn a_referred_case_is_redispatched_or_closed_and_a_direct_one_neither() {
        let experts = five();
        let mut review = with_opinions(&experts);
        review
            .open_recommendation("建议".into(), current(&review), "town-op", at(2))
            .unwrap();
        let mut nothing = redispatch();
        nothing.carry_out = CarryOut::Nothing;
        let err = review
            .decide(nothing.clone(), &rules(), "leader", at(2))
            .unwrap_err();
        assert!(matches!(err, DomainError::Invalid(_)));
        review.request.ticket = None;
        let err = review
            .decide(redispatch(), &rules(), "leader", at(2))
            .unwrap_err();
        assert!(matches!(err, DomainError::Invalid(_)));
        review.decide(nothing, &rules(), "leader", at(2)).unwrap();
    }
}
