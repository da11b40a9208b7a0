//! `weigrid review …`: case review (研判) from the command line — review
//! requests, the expert registry and declarations of interest, panels,
//! signed opinions (signed here, with the expert's own key file), the
//! consolidated recommendation, the decision and the statistics.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use case_review::domain::ids::{ExpertId, ReviewId};
use case_review::domain::opinion::{OpinionText, RiskRating, signing_payload};
use chrono::{DateTime, NaiveDate, TimeZone as _, Utc};
use clap::{Args, Subcommand, ValueEnum};
use ed25519_dalek::{Signer as _, SigningKey};
use proto::review::v1 as pb;
use serde_json::{Value, json};

use crate::args::period;
use crate::connect::Review;
use crate::output::Output;
use crate::render::{enum_name as name, time};

/// Review commands.
#[derive(Subcommand)]
pub enum ReviewCommand {
    /// Opens a review request (研判申请) directly; dispatch's referrals open
    /// theirs by event.
    Request(RequestArgs),
    /// Lists review requests, newest first; with an id, shows one with its
    /// panel, opinions, recommendations and decision.
    Requests {
        /// The review to show.
        id: Option<String>,
        /// Only reviews in this state.
        #[arg(long, value_enum, ignore_case = true)]
        state: Option<ReviewState>,
        /// Only reviews of this dispatch ticket (its id).
        #[arg(long)]
        ticket: Option<String>,
        #[arg(long, default_value_t = 50)]
        limit: u32,
    },
    /// The expert registry (专家库): list, register, declare an interest, make
    /// a signing key.
    #[command(subcommand)]
    Experts(ExpertsCommand),
    /// Seats a review's panel (专家组), checked against the composition and
    /// conflict rules, or records a recusal (回避).
    #[command(subcommand)]
    Panel(PanelCommand),
    /// Submits an expert's signed opinion (专家意见), or returns one for a
    /// rewrite.
    #[command(subcommand)]
    Opinion(OpinionCommand),
    /// Opens the consolidated recommendation (综合意见) citing opinion
    /// versions, or withdraws it.
    #[command(subcommand)]
    Recommendation(RecommendationCommand),
    /// Records the leadership's decision (决策): refused while the review is
    /// incomplete.
    Decide {
        /// The review.
        #[arg(value_name = "REVIEW")]
        review_id: String,
        #[arg(long, value_enum, ignore_case = true)]
        outcome: Outcome,
        #[arg(long)]
        reasons: String,
        /// Redispatch the referred ticket to KIND:CODE (repeatable; the
        /// first leads), e.g. DEPARTMENT:WATER_AFFAIRS.
        #[arg(long)]
        redispatch: Vec<String>,
        /// Or close the referred ticket with this result.
        #[arg(long, default_value = "")]
        close_result: String,
    },
    /// Statistics of the reviews opened in a period (研判统计).
    Stats {
        /// A calendar year (Shanghai time).
        #[arg(long)]
        year: Option<i32>,
        /// First day, YYYY-MM-DD (with --to).
        #[arg(long)]
        from: Option<String>,
        /// Day after the last, YYYY-MM-DD.
        #[arg(long)]
        to: Option<String>,
    },
}

/// `weigrid review request`.
#[derive(Args)]
pub struct RequestArgs {
    /// What the review is about.
    #[arg(long, value_enum, ignore_case = true)]
    pub kind: Kind,
    /// The question put to the panel.
    #[arg(long)]
    pub question: String,
    /// A reference to the case's materials (repeatable), e.g. doc:petition-17.
    #[arg(long)]
    pub material: Vec<String>,
    #[arg(long, value_enum, ignore_case = true, default_value_t = Urgency::Normal)]
    pub urgency: Urgency,
    /// Due by: RFC 3339, or a day YYYY-MM-DD (its end, Shanghai time).
    #[arg(long)]
    pub deadline: String,
    /// A major matter (重大事项): its panel has at least five experts.
    #[arg(long)]
    pub major: bool,
    /// The case it is about, e.g. a ticket number.
    #[arg(long = "case")]
    pub case_ref: String,
    /// A party of the case (repeatable).
    #[arg(long)]
    pub party: Vec<String>,
    /// An expert id or organisation code that had a role in the case
    /// (repeatable): they are not seated.
    #[arg(long)]
    pub involved: Vec<String>,
    /// The organiser's organisation code.
    #[arg(long, default_value = "LX")]
    pub organiser: String,
    /// The industry authority's organisation code, e.g. WATER_AFFAIRS.
    #[arg(long, default_value = "")]
    pub industry_authority: String,
}

/// `weigrid review experts …`.
#[derive(Subcommand)]
pub enum ExpertsCommand {
    /// Lists the registry's experts with their declarations of interest.
    List {
        /// Only experts of this field.
        #[arg(long)]
        field: Option<String>,
    },
    /// Adds an expert to the registry.
    Register {
        #[arg(long)]
        name: String,
        #[arg(long, value_enum, ignore_case = true)]
        kind: ExpertKind,
        /// A field of expertise (repeatable), e.g. "administrative law".
        #[arg(long)]
        field: Vec<String>,
        /// Licence or accreditation, e.g. a practising certificate number.
        #[arg(long, default_value = "")]
        credentials: String,
        /// The organisation the expert belongs to (a code).
        #[arg(long)]
        organisation: String,
        /// The organisation it reports to.
        #[arg(long, default_value = "")]
        reports_to: String,
        /// The expert's ed25519 public key, 64 hex digits (`experts keygen`
        /// prints it).
        #[arg(long)]
        public_key: String,
    },
    /// Records an expert's declared interest in a party (利益申报), until it
    /// expires.
    Declare {
        expert: String,
        #[arg(long)]
        party: String,
        #[arg(long, default_value = "")]
        note: String,
        /// Until: RFC 3339, or a day YYYY-MM-DD (its end, Shanghai time).
        #[arg(long)]
        expires: String,
    },
    /// Writes a new ed25519 signing key for an expert to FILE (the seed as
    /// hex, readable by the owner only) and prints its public key.
    Keygen {
        #[arg(long)]
        out: PathBuf,
    },
}

/// `weigrid review panel …`.
#[derive(Subcommand)]
pub enum PanelCommand {
    /// Seats the whole panel: experts seated before and not listed stand
    /// down.
    Assign {
        /// The review.
        #[arg(value_name = "REVIEW")]
        review_id: String,
        /// An expert id (repeatable).
        #[arg(long = "expert", required = true)]
        experts: Vec<String>,
    },
    /// Records that a seated expert stands down, and why.
    Recuse {
        /// The review.
        #[arg(value_name = "REVIEW")]
        review_id: String,
        expert: String,
        #[arg(long)]
        reason: String,
    },
}

/// `weigrid review opinion …`.
#[derive(Subcommand)]
pub enum OpinionCommand {
    /// Signs an opinion with the expert's key file and submits it: the next
    /// version after the expert's latest unless --version says.
    Submit {
        /// The review.
        #[arg(value_name = "REVIEW")]
        review_id: String,
        #[arg(long)]
        expert: String,
        #[arg(long, value_enum, ignore_case = true)]
        risk: Risk,
        #[arg(long)]
        reasoning: String,
        #[arg(long)]
        recommendation: String,
        /// The expert's signing key (`experts keygen`).
        #[arg(long)]
        key_file: PathBuf,
        #[arg(long)]
        version: Option<u32>,
    },
    /// Returns an opinion to its expert for a rewrite (退回重写).
    Return {
        opinion: String,
        #[arg(long)]
        reason: String,
    },
}

/// `weigrid review recommendation …`.
#[derive(Subcommand)]
pub enum RecommendationCommand {
    /// Opens the consolidated recommendation, citing opinion versions;
    /// without --opinion, every seated expert's current one.
    Open {
        /// The review.
        #[arg(value_name = "REVIEW")]
        review_id: String,
        #[arg(long)]
        text: String,
        /// An opinion id (repeatable).
        #[arg(long = "opinion")]
        opinions: Vec<String>,
    },
    /// Withdraws the open recommendation (so that another may be opened).
    Withdraw {
        recommendation: String,
        #[arg(long)]
        reason: String,
    },
}

/// What a review is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Kind {
    /// Legal risk and consequences (法律风险).
    LegalRisk,
    /// A professional opinion (专业意见).
    Professional,
    /// Policy (政策).
    Policy,
}

impl From<Kind> for pb::ReviewKind {
    fn from(kind: Kind) -> Self {
        match kind {
            Kind::LegalRisk => pb::ReviewKind::LegalRisk,
            Kind::Professional => pb::ReviewKind::Professional,
            Kind::Policy => pb::ReviewKind::Policy,
        }
    }
}

/// How soon a review is needed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Urgency {
    Normal,
    Urgent,
}

impl From<Urgency> for pb::Urgency {
    fn from(urgency: Urgency) -> Self {
        match urgency {
            Urgency::Normal => pb::Urgency::Normal,
            Urgency::Urgent => pb::Urgency::Urgent,
        }
    }
}

/// Where a review is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReviewState {
    Open,
    Decided,
}

impl From<ReviewState> for pb::ReviewState {
    fn from(state: ReviewState) -> Self {
        match state {
            ReviewState::Open => pb::ReviewState::Open,
            ReviewState::Decided => pb::ReviewState::Decided,
        }
    }
}

/// What kind of expert.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExpertKind {
    /// 执业律师.
    PractisingLawyer,
    /// 公职律师.
    PublicLawyer,
    /// The town's legal adviser (法律顾问).
    LegalAdviser,
    /// A district department.
    Department,
    /// An appraisal body (鉴定机构).
    AppraisalBody,
}

impl From<ExpertKind> for pb::ExpertKind {
    fn from(kind: ExpertKind) -> Self {
        match kind {
            ExpertKind::PractisingLawyer => pb::ExpertKind::PractisingLawyer,
            ExpertKind::PublicLawyer => pb::ExpertKind::PublicLawyer,
            ExpertKind::LegalAdviser => pb::ExpertKind::LegalAdviser,
            ExpertKind::Department => pb::ExpertKind::Department,
            ExpertKind::AppraisalBody => pb::ExpertKind::AppraisalBody,
        }
    }
}

/// An expert's rating of the case's risk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Risk {
    Low,
    Medium,
    High,
}

impl From<Risk> for pb::RiskRating {
    fn from(risk: Risk) -> Self {
        match risk {
            Risk::Low => pb::RiskRating::Low,
            Risk::Medium => pb::RiskRating::Medium,
            Risk::High => pb::RiskRating::High,
        }
    }
}

impl From<Risk> for RiskRating {
    fn from(risk: Risk) -> Self {
        match risk {
            Risk::Low => RiskRating::Low,
            Risk::Medium => RiskRating::Medium,
            Risk::High => RiskRating::High,
        }
    }
}

/// The leadership's decision on the recommendation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Outcome {
    /// 采纳.
    Adopted,
    /// 部分采纳.
    PartlyAdopted,
    /// 不予采纳.
    NotAdopted,
}

impl From<Outcome> for pb::Outcome {
    fn from(outcome: Outcome) -> Self {
        match outcome {
            Outcome::Adopted => pb::Outcome::Adopted,
            Outcome::PartlyAdopted => pb::Outcome::PartlyAdopted,
            Outcome::NotAdopted => pb::Outcome::NotAdopted,
        }
    }
}

impl ReviewCommand {
    /// Whether the command needs no service (making a key).
    pub fn is_offline(&self) -> bool {
        matches!(self, ReviewCommand::Experts(ExpertsCommand::Keygen { .. }))
    }

    /// Runs an offline command.
    ///
    /// # Errors
    /// The key file cannot be written.
    pub fn execute_offline(self, output: Output) -> anyhow::Result<()> {
        let ReviewCommand::Experts(ExpertsCommand::Keygen { out }) = self else {
            anyhow::bail!("this command needs case review");
        };
        let public = keygen(&out)?;
        output.print(
            &json!({"key_file": out.display().to_string(), "public_key": public}),
            || {
                format!(
                    "signing key written to {} (签名私钥，请妥善保管)\npublic key 公钥 {public}",
                    out.display()
                )
            },
        );
        Ok(())
    }

    /// Runs the command against case review and prints its answer.
    ///
    /// # Errors
    /// Bad arguments, or the service's status.
    pub async fn execute(self, client: &mut Review, output: Output) -> anyhow::Result<()> {
        let (value, text) = answer(client, self).await?;
        output.print(&value, || text);
        Ok(())
    }
}

/// Returns `text` as a time: RFC 3339, or a day's end in Shanghai.
pub fn instant(text: &str) -> anyhow::Result<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Ok(t.to_utc());
    }
    let day: NaiveDate = text
        .parse()
        .with_context(|| format!("{text} is neither RFC 3339 nor a day YYYY-MM-DD"))?;
    let tz = chrono::FixedOffset::east_opt(8 * 3600).expect("UTC+8");
    Ok(tz
        .from_local_datetime(&day.and_hms_opt(23, 59, 59).expect("a time of day"))
        .single()
        .expect("UTC+8 has no gaps")
        .to_utc())
}

/// Parses KIND:CODE into a unit.
fn unit(text: &str) -> anyhow::Result<pb::Unit> {
    let (kind, code) = text
        .split_once(':')
        .with_context(|| format!("{text}: KIND:CODE, e.g. DEPARTMENT:WATER_AFFAIRS"))?;
    Ok(pb::Unit {
        kind: kind.to_uppercase(),
        code: code.to_owned(),
        name: String::new(),
    })
}

/// Writes a fresh signing key's seed to `out` (owner-only) and returns its
/// public key in hex.
fn keygen(out: &Path) -> anyhow::Result<String> {
    let key = SigningKey::from_bytes(&rand::random::<[u8; 32]>());
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options
        .open(out)
        .with_context(|| format!("creating {} (it must not exist yet)", out.display()))?;
    std::io::Write::write_all(
        &mut file,
        format!("{}\n", hex::encode(key.to_bytes())).as_bytes(),
    )?;
    Ok(hex::encode(key.verifying_key().to_bytes()))
}

/// Reads a signing key written by `keygen`.
fn read_key(path: &Path) -> anyhow::Result<SigningKey> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading the key file {}", path.display()))?;
    let seed: [u8; 32] = hex::decode(text.trim())
        .ok()
        .and_then(|b| b.try_into().ok())
        .with_context(|| format!("{}: not 64 hex digits", path.display()))?;
    Ok(SigningKey::from_bytes(&seed))
}

/// Returns `key`'s signature over version `version` of `expert`'s opinion
/// on `review`, as the service verifies it.
fn sign(
    key: &SigningKey,
    review: &str,
    expert: &str,
    version: u32,
    text: &OpinionText,
) -> anyhow::Result<Vec<u8>> {
    let review = ReviewId::parse(review).with_context(|| format!("{review} is not a review id"))?;
    let expert =
        ExpertId::parse(expert).with_context(|| format!("{expert} is not an expert id"))?;
    Ok(key
        .sign(&signing_payload(review, expert, version, text))
        .to_bytes()
        .to_vec())
}

fn kind_name(kind: i32) -> String {
    pb::ReviewKind::try_from(kind).map_or_else(
        |_| kind.to_string(),
        |k| name(k.as_str_name(), "REVIEW_KIND_"),
    )
}

fn review_json(r: &pb::Review) -> Value {
    let decision = r.decision.as_ref().map(|d| {
        json!({
            "outcome": name(d.outcome().as_str_name(), "OUTCOME_"), "reasons": d.reasons,
            "recommendation_id": d.recommendation_id,
            "redispatch_to": d.redispatch_to.iter().map(|u| format!("{}:{}", u.kind, u.code)).collect::<Vec<_>>(),
            "close_result": d.close_result, "decided_by": d.decided_by, "decided_at": time(&d.decided_at),
        })
    });
    json!({
        "id": r.id, "kind": kind_name(r.kind), "question": r.question, "materials": r.materials,
        "urgency": name(r.urgency().as_str_name(), "URGENCY_"), "deadline": time(&r.deadline),
        "major": r.major, "case": r.case_ref, "ticket_id": r.ticket_id, "parties": r.parties,
        "involved": r.involved, "organiser": r.organiser, "industry_authority": r.industry_authority,
        "state": name(r.state().as_str_name(), "REVIEW_STATE_"), "opened_by": r.opened_by,
        "opened_at": time(&r.opened_at),
        "panel": r.panel.iter().map(|p| json!({
            "expert_id": p.expert_id, "name": p.name, "seated_at": time(&p.seated_at),
            "recused_at": time(&p.recused_at), "recusal_reason": p.recusal_reason,
        })).collect::<Vec<_>>(),
        "opinions": r.opinions.iter().map(opinion_json).collect::<Vec<_>>(),
        "recommendations": r.recommendations.iter().map(recommendation_json).collect::<Vec<_>>(),
        "decision": decision,
    })
}

fn review_line(r: &pb::Review) -> String {
    format!(
        "{}  {:<12} {:<7} {}{}  due 截止 {}  {}",
        r.id,
        kind_name(r.kind),
        name(r.state().as_str_name(), "REVIEW_STATE_"),
        r.case_ref,
        if r.major { " (major 重大)" } else { "" },
        time(&r.deadline),
        r.question
    )
}

fn review_text(r: &pb::Review) -> String {
    let mut text = review_line(r);
    text.push_str(&format!(
        "\norganiser 组织单位 {}  industry authority 行业主管 {}",
        r.organiser,
        if r.industry_authority.is_empty() {
            "—"
        } else {
            &r.industry_authority
        }
    ));
    if !r.parties.is_empty() {
        text.push_str(&format!("\nparties 当事方 {}", r.parties.join(", ")));
    }
    for p in &r.panel {
        let recused = if p.recused_at.is_some() {
            format!(
                "  recused 回避 {}: {}",
                time(&p.recused_at),
                p.recusal_reason
            )
        } else {
            String::new()
        };
        text.push_str(&format!("\npanel 专家 {} {}{recused}", p.expert_id, p.name));
    }
    for o in &r.opinions {
        text.push_str(&format!("\n{}", opinion_line(o)));
    }
    for c in &r.recommendations {
        text.push_str(&format!("\n{}", recommendation_line(c)));
    }
    if let Some(d) = &r.decision {
        text.push_str(&format!(
            "\ndecision 决策 {} by {} at {}: {}",
            name(d.outcome().as_str_name(), "OUTCOME_"),
            d.decided_by,
            time(&d.decided_at),
            d.reasons
        ));
    }
    text
}

fn opinion_json(o: &pb::Opinion) -> Value {
    json!({
        "id": o.id, "review_id": o.review_id, "expert_id": o.expert_id, "version": o.version,
        "risk": name(o.risk().as_str_name(), "RISK_RATING_"), "reasoning": o.reasoning,
        "recommendation": o.recommendation, "signature": hex::encode(&o.signature),
        "signed_at": time(&o.signed_at), "signature_valid": o.signature_valid,
        "returned_at": time(&o.returned_at), "return_reason": o.return_reason,
    })
}

fn opinion_line(o: &pb::Opinion) -> String {
    format!(
        "opinion 意见 {} by {} v{} risk 风险 {}  signature 签名 {}{}",
        o.id,
        o.expert_id,
        o.version,
        name(o.risk().as_str_name(), "RISK_RATING_"),
        if o.signature_valid {
            "valid 有效"
        } else {
            "INVALID 无效"
        },
        if o.returned_at.is_some() {
            format!("  returned 退回: {}", o.return_reason)
        } else {
            String::new()
        }
    )
}

fn recommendation_json(c: &pb::Recommendation) -> Value {
    json!({
        "id": c.id, "text": c.text, "opinion_ids": c.opinion_ids, "state": c.state,
        "opened_by": c.opened_by, "opened_at": time(&c.opened_at),
    })
}

fn recommendation_line(c: &pb::Recommendation) -> String {
    format!(
        "recommendation 综合意见 {} {} citing {} opinions: {}",
        c.id,
        c.state,
        c.opinion_ids.len(),
        c.text
    )
}

fn expert_json(e: &pb::Expert) -> Value {
    json!({
        "id": e.id, "name": e.name, "kind": name(e.kind().as_str_name(), "EXPERT_KIND_"),
        "fields": e.fields, "credentials": e.credentials, "organisation": e.organisation,
        "reports_to": e.reports_to, "public_key": hex::encode(&e.public_key), "active": e.active,
        "declarations": e.declarations.iter().map(declaration_json).collect::<Vec<_>>(),
    })
}

fn expert_line(e: &pb::Expert) -> String {
    let mut line = format!(
        "{}  {:<18} {}  {}{}  {}",
        e.id,
        name(e.kind().as_str_name(), "EXPERT_KIND_"),
        e.name,
        e.organisation,
        if e.reports_to.is_empty() {
            String::new()
        } else {
            format!(" → {}", e.reports_to)
        },
        e.fields.join(", ")
    );
    for d in &e.declarations {
        line.push_str(&format!(
            "\n    interest 利益申报 {} until {}",
            d.party,
            time(&d.expires_at)
        ));
    }
    line
}

fn declaration_json(d: &pb::Declaration) -> Value {
    json!({
        "id": d.id, "expert_id": d.expert_id, "party": d.party, "note": d.note,
        "declared_at": time(&d.declared_at), "expires_at": time(&d.expires_at),
    })
}

fn stats_json(r: &pb::GetStatisticsResponse) -> Value {
    let kind = |k: &pb::KindStatistics| {
        json!({
            "kind": kind_name(k.kind), "opened": k.opened, "decided": k.decided,
            "avg_hours_to_first_opinion": k.avg_hours_to_first_opinion,
            "avg_hours_to_decision": k.avg_hours_to_decision, "adoption_rate": k.adoption_rate,
        })
    };
    json!({
        "total": r.total.as_ref().map(kind),
        "kinds": r.kinds.iter().map(kind).collect::<Vec<_>>(),
        "conflicts_found": r.conflicts_found,
        "villages": r.villages.iter().map(|v| json!({
            "grid_code": v.grid_code, "grid_name": v.grid_name, "items": v.items,
            "closed": v.closed, "verified": v.verified, "green": v.green,
            "yellow": v.yellow, "red": v.red, "completion_rate": v.completion_rate,
        })).collect::<Vec<_>>(),
    })
}

fn stats_text(r: &pb::GetStatisticsResponse) -> String {
    let line = |label: &str, k: &pb::KindStatistics| {
        format!(
            "{label:<14} {:>6} {:>7} {:>18.1} {:>14.1} {:>9.0}%",
            k.opened,
            k.decided,
            k.avg_hours_to_first_opinion,
            k.avg_hours_to_decision,
            k.adoption_rate * 100.0
        )
    };
    let mut text = format!(
        "{:<14} {:>6} {:>7} {:>18} {:>14} {:>10}\n",
        "kind 类别", "opened", "decided", "h to 1st opinion", "h to decision", "adopted"
    );
    for k in &r.kinds {
        text.push_str(&line(&kind_name(k.kind), k));
        text.push('\n');
    }
    if let Some(total) = &r.total {
        text.push_str(&line("total 合计", total));
    }
    let mut conflicts: Vec<_> = r.conflicts_found.iter().collect();
    conflicts.sort();
    for (rule, n) in conflicts {
        text.push_str(&format!("\nconflicts found 冲突 {rule}: {n}"));
    }
    if !r.villages.is_empty() {
        text.push_str(&format!(
            "\n\n{:<10} {:<10} {:>5} {:>6} {:>8} {:>5} {:>6} {:>4} {:>9}",
            "work list",
            "明细单",
            "items",
            "closed",
            "verified",
            "green",
            "yellow",
            "red",
            "completed"
        ));
    }
    for v in &r.villages {
        text.push_str(&format!(
            "\n{:<10} {:<10} {:>5} {:>6} {:>8} {:>5} {:>6} {:>4} {:>8.0}%",
            v.grid_code,
            v.grid_name,
            v.items,
            v.closed,
            v.verified,
            v.green,
            v.yellow,
            v.red,
            v.completion_rate * 100.0
        ));
    }
    text
}

/// Runs a review command; returns its answer as JSON and as text.
async fn answer(client: &mut Review, command: ReviewCommand) -> anyhow::Result<(Value, String)> {
    let key = uuid::Uuid::now_v7().to_string();
    let review = |r: Option<pb::Review>| -> anyhow::Result<(Value, String)> {
        let r = r.context("no review in the answer")?;
        Ok((review_json(&r), review_text(&r)))
    };
    match command {
        ReviewCommand::Request(args) => {
            let deadline = instant(&args.deadline)?;
            let r = client
                .open_review(pb::OpenReviewRequest {
                    idempotency_key: key,
                    kind: pb::ReviewKind::from(args.kind).into(),
                    question: args.question,
                    materials: args.material,
                    urgency: pb::Urgency::from(args.urgency).into(),
                    deadline: Some(platform::time::timestamp(deadline)),
                    major: args.major,
                    case_ref: args.case_ref,
                    parties: args.party,
                    involved: args.involved,
                    organiser: args.organiser,
                    industry_authority: args.industry_authority,
                })
                .await?
                .into_inner();
            review(r.review)
        }
        ReviewCommand::Requests { id: Some(id), .. } => {
            let r = client
                .get_review(pb::GetReviewRequest { id })
                .await?
                .into_inner();
            review(r.review)
        }
        ReviewCommand::Requests {
            id: None,
            state,
            ticket,
            limit,
        } => {
            let r = client
                .list_reviews(pb::ListReviewsRequest {
                    state: state.map_or(0, |s| pb::ReviewState::from(s).into()),
                    ticket_id: ticket.unwrap_or_default(),
                    limit,
                })
                .await?
                .into_inner();
            let text = r
                .reviews
                .iter()
                .map(review_line)
                .collect::<Vec<_>>()
                .join("\n");
            Ok((
                Value::Array(r.reviews.iter().map(review_json).collect()),
                text,
            ))
        }
        ReviewCommand::Experts(command) => experts(client, command, key).await,
        ReviewCommand::Panel(PanelCommand::Assign {
            review_id: id,
            experts,
        }) => {
            let r = client
                .assign_panel(pb::AssignPanelRequest {
                    idempotency_key: key,
                    review_id: id,
                    expert_ids: experts,
                })
                .await?
                .into_inner();
            review(r.review)
        }
        ReviewCommand::Panel(PanelCommand::Recuse {
            review_id: id,
            expert,
            reason,
        }) => {
            let r = client
                .recuse_panelist(pb::RecusePanelistRequest {
                    idempotency_key: key,
                    review_id: id,
                    expert_id: expert,
                    reason,
                })
                .await?
                .into_inner();
            review(r.review)
        }
        ReviewCommand::Opinion(command) => opinion(client, command, key).await,
        ReviewCommand::Recommendation(command) => recommendation(client, command, key).await,
        ReviewCommand::Decide {
            review_id: id,
            outcome,
            reasons,
            redispatch,
            close_result,
        } => {
            let redispatch_to = redispatch
                .iter()
                .map(|u| unit(u))
                .collect::<anyhow::Result<Vec<_>>>()?;
            let r = client
                .decide_review(pb::DecideReviewRequest {
                    idempotency_key: key,
                    review_id: id,
                    outcome: pb::Outcome::from(outcome).into(),
                    reasons,
                    redispatch_to,
                    close_result,
                })
                .await?
                .into_inner();
            review(r.review)
        }
        ReviewCommand::Stats { year, from, to } => {
            let (from, to) = period(year, from.as_deref(), to.as_deref())?;
            let r = client
                .get_statistics(pb::GetStatisticsRequest {
                    from: Some(platform::time::timestamp(from)),
                    to: Some(platform::time::timestamp(to)),
                })
                .await?
                .into_inner();
            Ok((stats_json(&r), stats_text(&r)))
        }
    }
}

async fn experts(
    client: &mut Review,
    command: ExpertsCommand,
    key: String,
) -> anyhow::Result<(Value, String)> {
    match command {
        ExpertsCommand::List { field } => {
            let r = client
                .list_experts(pb::ListExpertsRequest {
                    field: field.unwrap_or_default(),
                })
                .await?
                .into_inner();
            let text = r
                .experts
                .iter()
                .map(expert_line)
                .collect::<Vec<_>>()
                .join("\n");
            Ok((
                Value::Array(r.experts.iter().map(expert_json).collect()),
                text,
            ))
        }
        ExpertsCommand::Register {
            name: expert_name,
            kind,
            field,
            credentials,
            organisation,
            reports_to,
            public_key,
        } => {
            let public_key = hex::decode(public_key.trim())
                .ok()
                .filter(|k| k.len() == 32)
                .context("--public-key: 64 hex digits (32 bytes)")?;
            let r = client
                .register_expert(pb::RegisterExpertRequest {
                    idempotency_key: key,
                    name: expert_name,
                    kind: pb::ExpertKind::from(kind).into(),
                    fields: field,
                    credentials,
                    organisation,
                    reports_to,
                    public_key,
                })
                .await?
                .into_inner();
            let e = r.expert.context("no expert in the answer")?;
            Ok((expert_json(&e), expert_line(&e)))
        }
        ExpertsCommand::Declare {
            expert,
            party,
            note,
            expires,
        } => {
            let expires = instant(&expires)?;
            let r = client
                .declare_interest(pb::DeclareInterestRequest {
                    idempotency_key: key,
                    expert_id: expert,
                    party,
                    note,
                    expires_at: Some(platform::time::timestamp(expires)),
                })
                .await?
                .into_inner();
            let d = r.declaration.context("no declaration in the answer")?;
            let text = format!(
                "declared 已申报 {}: interest in {} until {}",
                d.expert_id,
                d.party,
                time(&d.expires_at)
            );
            Ok((declaration_json(&d), text))
        }
        ExpertsCommand::Keygen { .. } => anyhow::bail!("keygen needs no service"),
    }
}

async fn opinion(
    client: &mut Review,
    command: OpinionCommand,
    key: String,
) -> anyhow::Result<(Value, String)> {
    let o = match command {
        OpinionCommand::Submit {
            review_id: review,
            expert,
            risk,
            reasoning,
            recommendation,
            key_file,
            version,
        } => {
            let signing = read_key(&key_file)?;
            let version = match version {
                Some(v) => v,
                None => next_version(client, &review, &expert).await?,
            };
            let text = OpinionText {
                risk: risk.into(),
                reasoning,
                recommendation,
            };
            let signature = sign(&signing, &review, &expert, version, &text)?;
            client
                .submit_opinion(pb::SubmitOpinionRequest {
                    idempotency_key: key,
                    review_id: review,
                    expert_id: expert,
                    version,
                    risk: pb::RiskRating::from(risk).into(),
                    reasoning: text.reasoning,
                    recommendation: text.recommendation,
                    signature,
                })
                .await?
                .into_inner()
                .opinion
        }
        OpinionCommand::Return { opinion, reason } => {
            client
                .return_opinion(pb::ReturnOpinionRequest {
                    idempotency_key: key,
                    opinion_id: opinion,
                    reason,
                })
                .await?
                .into_inner()
                .opinion
        }
    };
    let o = o.context("no opinion in the answer")?;
    Ok((opinion_json(&o), opinion_line(&o)))
}

/// Returns the version after `expert`'s latest opinion on `review`.
async fn next_version(client: &mut Review, review: &str, expert: &str) -> anyhow::Result<u32> {
    let r = client
        .get_review(pb::GetReviewRequest { id: review.into() })
        .await?
        .into_inner()
        .review
        .context("no review in the answer")?;
    Ok(r.opinions
        .iter()
        .filter(|o| o.expert_id == expert)
        .map(|o| o.version)
        .max()
        .unwrap_or(0)
        + 1)
}

/// Returns the current opinion of every seated expert of `review`: the
/// latest version of each, not returned.
fn current_opinions(review: &pb::Review) -> Vec<String> {
    review
        .panel
        .iter()
        .filter(|p| p.recused_at.is_none())
        .filter_map(|p| {
            review
                .opinions
                .iter()
                .filter(|o| o.expert_id == p.expert_id)
                .max_by_key(|o| o.version)
                .filter(|o| o.returned_at.is_none())
                .map(|o| o.id.clone())
        })
        .collect()
}

async fn recommendation(
    client: &mut Review,
    command: RecommendationCommand,
    key: String,
) -> anyhow::Result<(Value, String)> {
    let c = match command {
        RecommendationCommand::Open {
            review_id: review,
            text,
            opinions,
        } => {
            let opinion_ids = if opinions.is_empty() {
                let r = client
                    .get_review(pb::GetReviewRequest { id: review.clone() })
                    .await?
                    .into_inner()
                    .review
                    .context("no review in the answer")?;
                current_opinions(&r)
            } else {
                opinions
            };
            client
                .open_recommendation(pb::OpenRecommendationRequest {
                    idempotency_key: key,
                    review_id: review,
                    text,
                    opinion_ids,
                })
                .await?
                .into_inner()
                .recommendation
        }
        RecommendationCommand::Withdraw {
            recommendation,
            reason,
        } => {
            client
                .withdraw_recommendation(pb::WithdrawRecommendationRequest {
                    idempotency_key: key,
                    recommendation_id: recommendation,
                    reason,
                })
                .await?
                .into_inner()
                .recommendation
        }
    };
    let c = c.context("no recommendation in the answer")?;
    Ok((recommendation_json(&c), recommendation_line(&c)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::{Command, assert_maps_by_name, parse};
    use case_review::domain::opinion::verifies;

    #[test]
    fn the_review_commands_parse() {
        let line = "weigrid review request --kind legal-risk --question 拆违的法律风险 \
                    --deadline 2026-04-10 --case LX-2026-000017 --party 某公司 --major";
        let cli = parse(line).unwrap();
        let Command::Review(ReviewCommand::Request(args)) = cli.command else {
            panic!("a review request")
        };
        assert_eq!(args.kind, Kind::LegalRisk);
        assert!(args.major);
        assert_eq!(args.organiser, "LX");
        assert!(parse("weigrid review panel assign R --expert a --expert b --expert c").is_ok());
        assert!(
            parse("weigrid review panel assign R").is_err(),
            "a panel needs experts"
        );
        assert!(parse("weigrid review decide R --outcome partly-adopted --reasons r").is_ok());
        assert!(parse("weigrid review decide R --outcome maybe --reasons r").is_err());
        assert!(parse("weigrid review opinion submit R --expert E --risk high --reasoning a --recommendation b --key-file k").is_ok());
        assert!(parse("weigrid review experts register --name 张律师 --kind practising-lawyer --organisation LAW-1 --public-key 00").is_ok());
        assert!(parse("weigrid review stats --year 2026").is_ok());
        let cli = parse("weigrid review panel assign R1 --expert a").unwrap();
        assert_eq!(
            cli.review, "http://127.0.0.1:50054",
            "a review id is not the address"
        );
        let Command::Review(ReviewCommand::Panel(PanelCommand::Assign { review_id, .. })) =
            cli.command
        else {
            panic!("an assignment")
        };
        assert_eq!(review_id, "R1");
        let cli = parse("weigrid review experts keygen --out /tmp/k").unwrap();
        let Command::Review(command) = cli.command else {
            panic!("a review command")
        };
        assert!(command.is_offline());
    }

    #[test]
    fn typed_values_go_out_by_name() {
        assert_maps_by_name::<Kind>("REVIEW_KIND_", |k| pb::ReviewKind::from(k).as_str_name());
        assert_maps_by_name::<Urgency>("URGENCY_", |u| pb::Urgency::from(u).as_str_name());
        assert_maps_by_name::<ReviewState>("REVIEW_STATE_", |s| {
            pb::ReviewState::from(s).as_str_name()
        });
        assert_maps_by_name::<ExpertKind>("EXPERT_KIND_", |k| {
            pb::ExpertKind::from(k).as_str_name()
        });
        assert_maps_by_name::<Risk>("RISK_RATING_", |r| pb::RiskRating::from(r).as_str_name());
        assert_maps_by_name::<Outcome>("OUTCOME_", |o| pb::Outcome::from(o).as_str_name());
        for risk in Risk::value_variants() {
            assert_eq!(
                RiskRating::from(*risk).as_str(),
                name(pb::RiskRating::from(*risk).as_str_name(), "RISK_RATING_")
            );
        }
    }

    #[test]
    fn a_key_made_by_keygen_signs_what_the_service_verifies() {
        let dir = std::env::temp_dir().join(format!("weigrid-key-{}", uuid::Uuid::now_v7()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("expert.key");
        let public = keygen(&file).unwrap();
        assert!(
            keygen(&file).is_err(),
            "an existing key is never overwritten"
        );
        let key = read_key(&file).unwrap();
        let review = uuid::Uuid::now_v7().to_string();
        let expert = uuid::Uuid::now_v7().to_string();
        let text = OpinionText {
            risk: RiskRating::High,
            reasoning: "程序瑕疵".into(),
            recommendation: "补正后再拆除".into(),
        };
        let signature: [u8; 64] = sign(&key, &review, &expert, 2, &text)
            .unwrap()
            .try_into()
            .unwrap();
        let public: [u8; 32] = hex::decode(public).unwrap().try_into().unwrap();
        let payload = signing_payload(
            ReviewId::parse(&review).unwrap(),
            ExpertId::parse(&expert).unwrap(),
            2,
            &text,
        );
        assert!(verifies(&public, &payload, &signature));
        let other = signing_payload(
            ReviewId::parse(&review).unwrap(),
            ExpertId::parse(&expert).unwrap(),
            3,
            &text,
        );
        assert!(
            !verifies(&public, &other, &signature),
            "bound to its version"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_deadline_is_a_time_or_the_end_of_a_shanghai_day() {
        assert_eq!(
            instant("2026-04-10").unwrap().to_rfc3339(),
            "2026-04-10T15:59:59+00:00"
        );
        assert_eq!(
            instant("2026-04-10T09:00:00+08:00").unwrap().to_rfc3339(),
            "2026-04-10T01:00:00+00:00"
        );
        assert!(instant("next week").is_err());
    }

    #[test]
    fn the_recommendation_cites_each_seated_experts_current_opinion() {
        let opinion = |id: &str, expert: &str, version: u32, returned: bool| pb::Opinion {
            id: id.into(),
            expert_id: expert.into(),
            version,
            returned_at: returned.then(|| platform::time::timestamp(Utc::now())),
            ..Default::default()
        };
        let seated = |expert: &str, recused: bool| pb::Panelist {
            expert_id: expert.into(),
            recused_at: recused.then(|| platform::time::timestamp(Utc::now())),
            ..Default::default()
        };
        let review = pb::Review {
            panel: vec![seated("a", false), seated("b", false), seated("c", true)],
            opinions: vec![
                opinion("a1", "a", 1, true),
                opinion("a2", "a", 2, false),
                opinion("b1", "b", 1, true),
                opinion("c1", "c", 1, false),
            ],
            ..Default::default()
        };
        assert_eq!(current_opinions(&review), vec!["a2".to_owned()]);
        assert!(unit("DEPARTMENT:WATER_AFFAIRS").is_ok());
        assert!(unit("WATER_AFFAIRS").is_err());
    }
}
