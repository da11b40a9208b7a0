//! Domain ⇄ protobuf: the values the API answers with and the events
//! carry, and the API's enums as the domain knows them. Shared by `api/`,
//! `events.rs` and the consumers.

use proto::review::v1 as pb;

use crate::domain::decision::{CarryOut, Decision, Outcome, Unit};
use crate::domain::expert::{Declaration, Expert, ExpertKind};
use crate::domain::opinion::{Opinion, RiskRating};
use crate::domain::review::{Panelist, Recommendation, Review, ReviewKind, ReviewState, Urgency};
use crate::domain::stats::Figures;
use crate::domain::worklist::{
    Light, Policy, PolicyState, ProgressReport, TaskRule, VillageAttribute, VillageCompletion,
    WorkItem, WorkItemState,
};

pub use platform::time::{from_timestamp, timestamp};

/// Returns the review kind the API value names; `None` for none.
pub fn kind_from(value: i32) -> Option<ReviewKind> {
    use pb::ReviewKind as K;
    Some(match K::try_from(value).ok()? {
        K::Unspecified => return None,
        K::LegalRisk => ReviewKind::LegalRisk,
        K::Professional => ReviewKind::Professional,
        K::Policy => ReviewKind::Policy,
    })
}

/// Returns the API's review kind.
pub fn kind(kind: ReviewKind) -> pb::ReviewKind {
    match kind {
        ReviewKind::LegalRisk => pb::ReviewKind::LegalRisk,
        ReviewKind::Professional => pb::ReviewKind::Professional,
        ReviewKind::Policy => pb::ReviewKind::Policy,
    }
}

/// Returns the urgency the API value names; unspecified is normal.
pub fn urgency_from(value: i32) -> Option<Urgency> {
    use pb::Urgency as U;
    Some(match U::try_from(value).ok()? {
        U::Unspecified | U::Normal => Urgency::Normal,
        U::Urgent => Urgency::Urgent,
    })
}

fn urgency(urgency: Urgency) -> pb::Urgency {
    match urgency {
        Urgency::Normal => pb::Urgency::Normal,
        Urgency::Urgent => pb::Urgency::Urgent,
    }
}

/// Returns the state filter the API value names: `Some(None)` for any
/// state, `None` for a value that is no state.
pub fn state_from(value: i32) -> Option<Option<ReviewState>> {
    use pb::ReviewState as S;
    Some(match S::try_from(value).ok()? {
        S::Unspecified => None,
        S::Open => Some(ReviewState::Open),
        S::Decided => Some(ReviewState::Decided),
    })
}

fn state(state: ReviewState) -> pb::ReviewState {
    match state {
        ReviewState::Open => pb::ReviewState::Open,
        ReviewState::Decided => pb::ReviewState::Decided,
    }
}

/// Returns the expert kind the API value names; `None` for none.
pub fn expert_kind_from(value: i32) -> Option<ExpertKind> {
    use pb::ExpertKind as K;
    Some(match K::try_from(value).ok()? {
        K::Unspecified => return None,
        K::PractisingLawyer => ExpertKind::PractisingLawyer,
        K::PublicLawyer => ExpertKind::PublicLawyer,
        K::LegalAdviser => ExpertKind::LegalAdviser,
        K::Department => ExpertKind::Department,
        K::AppraisalBody => ExpertKind::AppraisalBody,
    })
}

fn expert_kind(kind: ExpertKind) -> pb::ExpertKind {
    match kind {
        ExpertKind::PractisingLawyer => pb::ExpertKind::PractisingLawyer,
        ExpertKind::PublicLawyer => pb::ExpertKind::PublicLawyer,
        ExpertKind::LegalAdviser => pb::ExpertKind::LegalAdviser,
        ExpertKind::Department => pb::ExpertKind::Department,
        ExpertKind::AppraisalBody => pb::ExpertKind::AppraisalBody,
    }
}

/// Returns the rating the API value names; `None` for none.
pub fn risk_from(value: i32) -> Option<RiskRating> {
    use pb::RiskRating as R;
    Some(match R::try_from(value).ok()? {
        R::Unspecified => return None,
        R::Low => RiskRating::Low,
        R::Medium => RiskRating::Medium,
        R::High => RiskRating::High,
    })
}

fn risk(risk: RiskRating) -> pb::RiskRating {
    match risk {
        RiskRating::Low => pb::RiskRating::Low,
        RiskRating::Medium => pb::RiskRating::Medium,
        RiskRating::High => pb::RiskRating::High,
    }
}

/// Returns the outcome the API value names; `None` for none.
pub fn outcome_from(value: i32) -> Option<Outcome> {
    use pb::Outcome as O;
    Some(match O::try_from(value).ok()? {
        O::Unspecified => return None,
        O::Adopted => Outcome::Adopted,
        O::PartlyAdopted => Outcome::PartlyAdopted,
        O::NotAdopted => Outcome::NotAdopted,
    })
}

fn outcome(outcome: Outcome) -> pb::Outcome {
    match outcome {
        Outcome::Adopted => pb::Outcome::Adopted,
        Outcome::PartlyAdopted => pb::Outcome::PartlyAdopted,
        Outcome::NotAdopted => pb::Outcome::NotAdopted,
    }
}

/// Returns the API's unit.
pub fn unit(u: &Unit) -> pb::Unit {
    pb::Unit {
        kind: u.kind.clone(),
        code: u.code.clone(),
        name: u.name.clone(),
    }
}

/// Returns the API's declaration.
pub fn declaration(d: &Declaration) -> pb::Declaration {
    pb::Declaration {
        id: d.id.to_string(),
        expert_id: d.expert.to_string(),
        party: d.party.clone(),
        note: d.note.clone(),
        declared_at: Some(timestamp(d.declared_at)),
        expires_at: Some(timestamp(d.expires_at)),
    }
}

/// Returns the API's expert, with `declarations`.
pub fn expert(e: &Expert, declarations: &[Declaration]) -> pb::Expert {
    pb::Expert {
        id: e.id.to_string(),
        name: e.name.clone(),
        kind: expert_kind(e.kind).into(),
        fields: e.fields.clone(),
        credentials: e.credentials.clone(),
        organisation: e.organisation.clone(),
        reports_to: e.reports_to.clone().unwrap_or_default(),
        public_key: e.public_key.to_vec(),
        active: e.active,
        declarations: declarations
            .iter()
            .filter(|d| d.expert == e.id)
            .map(declaration)
            .collect(),
    }
}

fn panelist(p: &Panelist) -> pb::Panelist {
    pb::Panelist {
        expert_id: p.expert.to_string(),
        name: p.name.clone(),
        seated_at: Some(timestamp(p.seated_at)),
        recused_at: p.recusal.as_ref().map(|r| timestamp(r.at)),
        recusal_reason: p
            .recusal
            .as_ref()
            .map(|r| r.reason.clone())
            .unwrap_or_default(),
    }
}

/// Returns the API's opinion, its signature checked.
pub fn opinion(o: &Opinion) -> pb::Opinion {
    pb::Opinion {
        id: o.id.to_string(),
        review_id: o.review.to_string(),
        expert_id: o.expert.to_string(),
        version: o.version,
        risk: risk(o.text.risk).into(),
        reasoning: o.text.reasoning.clone(),
        recommendation: o.text.recommendation.clone(),
        signature: o.signature.to_vec(),
        signed_at: Some(timestamp(o.signed_at)),
        signature_valid: o.signature_valid(),
        returned_at: o.returned.as_ref().map(|r| timestamp(r.at)),
        return_reason: o
            .returned
            .as_ref()
            .map(|r| r.reason.clone())
            .unwrap_or_default(),
    }
}

/// Returns the API's recommendation.
pub fn recommendation(r: &Recommendation) -> pb::Recommendation {
    pb::Recommendation {
        id: r.id.to_string(),
        text: r.text.clone(),
        opinion_ids: r.opinions.iter().map(ToString::to_string).collect(),
        state: r.state.as_str().into(),
        opened_by: r.opened_by.clone(),
        opened_at: Some(timestamp(r.opened_at)),
    }
}

/// Returns the API's decision.
pub fn decision(d: &Decision) -> pb::Decision {
    let (redispatch_to, close_result) = match &d.carry_out {
        CarryOut::Nothing => (Vec::new(), String::new()),
        CarryOut::Redispatch(units) => (units.iter().map(unit).collect(), String::new()),
        CarryOut::Close(result) => (Vec::new(), result.clone()),
    };
    pb::Decision {
        outcome: outcome(d.outcome).into(),
        reasons: d.reasons.clone(),
        recommendation_id: d.recommendation.to_string(),
        redispatch_to,
        close_result,
        decided_by: d.decided_by.clone(),
        decided_at: Some(timestamp(d.decided_at)),
    }
}

/// Returns the API's review without what hangs on it.
pub fn review_summary(r: &Review) -> pb::Review {
    let q = &r.request;
    pb::Review {
        id: r.id.to_string(),
        kind: kind(q.kind).into(),
        question: q.question.clone(),
        materials: q.materials.clone(),
        urgency: urgency(q.urgency).into(),
        deadline: Some(timestamp(q.deadline)),
        major: q.major,
        case_ref: q.case_ref.clone(),
        ticket_id: q.ticket.map(|t| t.to_string()).unwrap_or_default(),
        parties: q.parties.clone(),
        involved: q.involved.clone(),
        organiser: q.organiser.clone(),
        industry_authority: q.industry_authority.clone().unwrap_or_default(),
        state: state(r.state).into(),
        opened_by: r.opened_by.clone(),
        opened_at: Some(timestamp(r.opened_at)),
        panel: Vec::new(),
        opinions: Vec::new(),
        recommendations: Vec::new(),
        decision: r.decision.as_ref().map(decision),
    }
}

/// Returns the API's review with its panel, opinions and recommendations.
pub fn review(r: &Review) -> pb::Review {
    pb::Review {
        panel: r.panel.iter().map(panelist).collect(),
        opinions: r.opinions.iter().map(opinion).collect(),
        recommendations: r.recommendations.iter().map(recommendation).collect(),
        ..review_summary(r)
    }
}

/// Returns the review as events carry it: the panel and recommendations,
/// and the opinions without their texts (they stay in the service).
pub fn review_for_event(r: &Review) -> pb::Review {
    let mut review = review(r);
    for o in &mut review.opinions {
        o.reasoning.clear();
        o.recommendation.clear();
    }
    review
}

/// Returns the API's figures.
pub fn figures(f: &Figures) -> pb::KindStatistics {
    pb::KindStatistics {
        kind: f.kind.map_or(pb::ReviewKind::Unspecified, kind).into(),
        opened: f.opened,
        decided: f.decided,
        avg_hours_to_first_opinion: f.avg_hours_to_first_opinion,
        avg_hours_to_decision: f.avg_hours_to_decision,
        adoption_rate: f.adoption_rate,
    }
}

/// Returns the village attribute the API value names; `None` for none.
pub fn attribute_from(value: i32) -> Option<VillageAttribute> {
    use pb::VillageAttribute as A;
    Some(match A::try_from(value).ok()? {
        A::Unspecified => return None,
        A::Rivers => VillageAttribute::Rivers,
        A::HighRiskEnterprises => VillageAttribute::HighRiskEnterprises,
        A::Schools => VillageAttribute::Schools,
        A::Farmland => VillageAttribute::Farmland,
        A::SpecialCare => VillageAttribute::SpecialCare,
        A::All => VillageAttribute::All,
    })
}

fn attribute(attribute: VillageAttribute) -> pb::VillageAttribute {
    match attribute {
        VillageAttribute::Rivers => pb::VillageAttribute::Rivers,
        VillageAttribute::HighRiskEnterprises => pb::VillageAttribute::HighRiskEnterprises,
        VillageAttribute::Schools => pb::VillageAttribute::Schools,
        VillageAttribute::Farmland => pb::VillageAttribute::Farmland,
        VillageAttribute::SpecialCare => pb::VillageAttribute::SpecialCare,
        VillageAttribute::All => pb::VillageAttribute::All,
    }
}

fn task_rule(r: &TaskRule) -> pb::TaskRule {
    pb::TaskRule {
        attribute: attribute(r.attribute).into(),
        at_least: r.at_least,
        title: r.title.clone(),
        detail: r.detail.clone(),
    }
}

/// Returns the API's policy.
pub fn policy(p: &Policy) -> pb::Policy {
    pb::Policy {
        id: p.id.to_string(),
        title: p.title.clone(),
        issuer: p.issuer.clone(),
        reference: p.reference.clone(),
        text: p.text.clone(),
        deadline: Some(timestamp(p.deadline)),
        rules: p.rules.iter().map(task_rule).collect(),
        state: match p.state {
            PolicyState::Draft => pb::PolicyState::Draft,
            PolicyState::Decomposed => pb::PolicyState::Decomposed,
        }
        .into(),
        created_by: p.created_by.clone(),
        created_at: Some(timestamp(p.created_at)),
        decomposed_at: p.decomposed_at.map(timestamp),
        items: p.items,
    }
}

fn light(light: Light) -> pb::Light {
    match light {
        Light::Green => pb::Light::Green,
        Light::Yellow => pb::Light::Yellow,
        Light::Red => pb::Light::Red,
        Light::Done => pb::Light::Done,
    }
}

fn work_item_state(state: WorkItemState) -> pb::WorkItemState {
    match state {
        WorkItemState::Open => pb::WorkItemState::Open,
        WorkItemState::Reported => pb::WorkItemState::Reported,
        WorkItemState::Verified => pb::WorkItemState::Verified,
        WorkItemState::Closed => pb::WorkItemState::Closed,
    }
}

fn progress(r: &ProgressReport) -> pb::ProgressReport {
    pb::ProgressReport {
        percent: r.percent,
        note: r.note.clone(),
        done: r.done,
        reported_by: r.by.clone(),
        reported_at: Some(timestamp(r.at)),
    }
}

/// Returns the API's work item, its light as at `now` with `warning`.
pub fn work_item(
    i: &WorkItem,
    now: chrono::DateTime<chrono::Utc>,
    warning: std::time::Duration,
) -> pb::WorkItem {
    pb::WorkItem {
        id: i.id.to_string(),
        policy_id: i.policy_id.to_string(),
        policy_title: i.policy_title.clone(),
        grid_code: i.grid_code.clone(),
        grid_name: i.grid_name.clone(),
        attribute: attribute(i.attribute).into(),
        count: i.count,
        title: i.title.clone(),
        detail: i.detail.clone(),
        deadline: Some(timestamp(i.deadline)),
        chief: i.chief.clone(),
        state: work_item_state(i.state).into(),
        light: light(i.light(now, warning)).into(),
        percent: i.percent(),
        reports: i.reports.iter().map(progress).collect(),
        verified_by: i
            .verification
            .as_ref()
            .map(|v| v.by.clone())
            .unwrap_or_default(),
        verified_at: i.verification.as_ref().map(|v| timestamp(v.at)),
        verification_note: i
            .verification
            .as_ref()
            .map(|v| v.note.clone())
            .unwrap_or_default(),
        closed_by: i.closure.as_ref().map(|c| c.by.clone()).unwrap_or_default(),
        closed_at: i.closure.as_ref().map(|c| timestamp(c.at)),
    }
}

/// Returns the API's completion of one village's work list.
pub fn village_completion(v: &VillageCompletion) -> pb::VillageCompletion {
    pb::VillageCompletion {
        grid_code: v.grid_code.clone(),
        grid_name: v.grid_name.clone(),
        items: v.items,
        closed: v.closed,
        verified: v.verified,
        green: v.green,
        yellow: v.yellow,
        red: v.red,
        completion_rate: v.rate(),
    }
}
