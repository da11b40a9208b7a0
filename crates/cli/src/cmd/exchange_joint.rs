//! `weigrid exchange check|risks|alert|acks|members`: the joint information
//! check (信息联查), the shared risk list (风险联控), CAP alerts and who
//! acknowledged them (处突联动), and the alliance's shops and joint defence
//! groups the alerts go to. Part of the `exchange` group.

use anyhow::Context as _;
use clap::{Args, ValueEnum};
use proto::exchange::v1 as pb;
use serde_json::{Value, json};

use crate::args::lat_lng;
use crate::connect::Exchange;
use crate::render::{enum_name as name, time};

/// `exchange check`: ask a peer, show one check, or list them.
#[derive(Args, Debug)]
pub struct CheckArgs {
    /// Shows this check with its findings (an audited read).
    #[arg(long, conflicts_with_all = ["peer", "person", "enterprise"])]
    pub show: Option<String>,
    /// The peer node asked.
    #[arg(long, requires = "purpose")]
    pub peer: Option<String>,
    /// A person, by id number.
    #[arg(long, conflicts_with = "enterprise")]
    pub person: Option<String>,
    /// An enterprise or shop, by name.
    #[arg(long)]
    pub enterprise: Option<String>,
    /// Why (工伤调解核实当事人身份).
    #[arg(long, requires = "approved_by")]
    pub purpose: Option<String>,
    /// The officer who approved the check.
    #[arg(long)]
    pub approved_by: Option<String>,
}

/// A risk's kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Kind {
    Place,
    Enterprise,
    Person,
}

/// A risk's level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Level {
    Low,
    Medium,
    High,
}

/// One of the six special-care groups.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Group {
    ReleasedPrisoner,
    CommunityCorrection,
    DrugRehabilitation,
    SevereMentalDisorder,
    KeyYouth,
    KeyPetitioner,
}

/// `exchange risks`: list the shared risk list, or put an entry.
#[derive(Args, Debug)]
pub struct RisksArgs {
    /// Adds (or, with --id, changes) an entry of this kind.
    #[arg(long, value_enum, ignore_case = true, requires_all = ["name", "level"])]
    pub put: Option<Kind>,
    /// An entry this node made, to change.
    #[arg(long, requires = "put")]
    pub id: Option<String>,
    /// A place's or enterprise's name; a person's (kept only masked).
    #[arg(long)]
    pub name: Option<String>,
    #[arg(long, value_enum, ignore_case = true)]
    pub level: Option<Level>,
    /// A person's special-care group.
    #[arg(long, value_enum, ignore_case = true)]
    pub group: Option<Group>,
    #[arg(long, default_value = "")]
    pub description: String,
    /// A point as LAT,LNG.
    #[arg(long)]
    pub at: Option<String>,
    /// Withdraws the entry.
    #[arg(long, requires = "id")]
    pub withdraw: bool,
    /// Lists withdrawn entries too.
    #[arg(long)]
    pub all: bool,
}

/// `exchange alert`: issue a CAP alert to every peer, or list alerts.
#[derive(Args, Debug)]
pub struct AlertArgs {
    /// What happened; without it, the alerts are listed.
    #[arg(long, requires_all = ["area"])]
    pub event: Option<String>,
    /// CAP categories (Fire, Safety, Met, …; repeatable).
    #[arg(long, default_value = "Safety")]
    pub category: Vec<String>,
    #[arg(long, default_value = "Immediate")]
    pub urgency: String,
    #[arg(long, default_value = "Severe")]
    pub severity: String,
    #[arg(long, default_value = "Observed")]
    pub certainty: String,
    #[arg(long, default_value = "")]
    pub headline: String,
    #[arg(long, default_value = "")]
    pub description: String,
    #[arg(long, default_value = "")]
    pub instruction: String,
    /// The area's description (山塘老街).
    #[arg(long)]
    pub area: Option<String>,
    /// The area's centre as LAT,LNG, with --radius-km.
    #[arg(long, requires = "radius_km")]
    pub at: Option<String>,
    #[arg(long)]
    pub radius_km: Option<f64>,
    /// Whether the alert is real, an exercise or a test.
    #[arg(long, value_enum, ignore_case = true, default_value_t = super::exchange::Status::Actual)]
    pub status: super::exchange::Status,
    /// Prints the CAP XML of each alert.
    #[arg(long)]
    pub xml: bool,
}

/// `exchange acks`: who an alert was told to and who acknowledged, or
/// acknowledge it.
#[derive(Args, Debug)]
pub struct AcksArgs {
    /// The alert's CAP sender (a node id).
    pub sender: String,
    /// The alert's CAP identifier.
    pub identifier: String,
    /// Acknowledges the alert: this town's own acknowledgement of a peer's
    /// alert, or, with --member, that member's.
    #[arg(long)]
    pub ack: bool,
    #[arg(long, requires = "ack")]
    pub member: Option<String>,
}

/// A member's kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum MemberKind {
    /// A shop of the safe-merchants alliance (平安商户联盟).
    Shop,
    /// A ten-household joint defence group (十户联防).
    Group,
}

impl From<MemberKind> for pb::MemberKind {
    fn from(kind: MemberKind) -> Self {
        match kind {
            MemberKind::Shop => Self::AllianceShop,
            MemberKind::Group => Self::JointDefenceGroup,
        }
    }
}

/// `exchange members`: list the members, or add one.
#[derive(Args, Debug)]
pub struct MembersArgs {
    /// Adds a member of this kind; without it, the members are listed.
    #[arg(long, value_enum, ignore_case = true, requires_all = ["name", "place", "contact_name", "contact_phone"])]
    pub add: Option<MemberKind>,
    /// Lists only this kind.
    #[arg(long, value_enum, ignore_case = true, conflicts_with = "add")]
    pub kind: Option<MemberKind>,
    /// The shop's or the group's name (山塘老街平安商户 12 号).
    #[arg(long)]
    pub name: Option<String>,
    /// Where (廊下侧山塘老街 12 号, 山塘村 3 组).
    #[arg(long)]
    pub place: Option<String>,
    /// A group's households (at least 2); none for a shop.
    #[arg(long, default_value_t = 0)]
    pub households: u32,
    /// Whom an alert reaches; kept by this node, shown only masked.
    #[arg(long)]
    pub contact_name: Option<String>,
    #[arg(long)]
    pub contact_phone: Option<String>,
}

fn member_json(m: &pb::Member) -> Value {
    json!({
        "member_id": m.member_id, "kind": name(m.kind().as_str_name(), "MEMBER_KIND_"),
        "name": m.name, "place": m.place, "households": m.households,
        "contact_name": m.contact_name, "contact_phone": m.contact_phone,
        "joined_at": time(&m.joined_at),
    })
}

fn member_line(m: &pb::Member) -> String {
    format!(
        "{}  {:<19} {}  {}{}  {} {}",
        m.member_id,
        name(m.kind().as_str_name(), "MEMBER_KIND_"),
        m.name,
        m.place,
        if m.households == 0 {
            String::new()
        } else {
            format!(" ({} 户 households)", m.households)
        },
        m.contact_name,
        m.contact_phone
    )
}

fn check_json(c: &pb::Check) -> Value {
    json!({
        "check_id": c.check_id, "peer": c.peer_node,
        "subject_kind": name(c.subject_kind().as_str_name(), "SUBJECT_KIND_"),
        "subject": c.subject, "purpose": c.purpose, "approved_by": c.approved_by,
        "requested_by": c.requested_by, "state": name(c.state().as_str_name(), "CHECK_STATE_"),
        "reason": c.reason, "requested_at": time(&c.requested_at), "answered_at": time(&c.answered_at),
        "findings": c.findings.iter().map(|f| json!({
            "shared_case_id": f.shared_case_id, "category": f.category_code, "case_state": f.case_state,
            "role": f.role, "name": f.name, "phone": f.phone, "id_number": f.id_number,
        })).collect::<Vec<_>>(),
    })
}

fn check_text(c: &pb::Check) -> String {
    let mut text = format!(
        "{}  {:<8} {} {} at {} — {} (approved by {}){}",
        c.check_id,
        name(c.state().as_str_name(), "CHECK_STATE_"),
        name(c.subject_kind().as_str_name(), "SUBJECT_KIND_"),
        c.subject,
        c.peer_node,
        c.purpose,
        c.approved_by,
        if c.reason.is_empty() {
            String::new()
        } else {
            format!(": refused, {}", c.reason)
        }
    );
    for f in &c.findings {
        text.push_str(&format!(
            "\n  case {} {} {}: {} {} {} {}",
            f.shared_case_id, f.category_code, f.case_state, f.role, f.name, f.phone, f.id_number
        ));
    }
    text
}

fn risk_json(r: &pb::Risk) -> Value {
    json!({
        "risk_id": r.risk_id, "owner": r.owner_node, "kind": name(r.kind().as_str_name(), "RISK_KIND_"),
        "name": r.name, "care_group": name(r.care_group().as_str_name(), "CARE_GROUP_"),
        "level": name(r.level().as_str_name(), "RISK_LEVEL_"), "description": r.description,
        "version": r.version, "withdrawn": r.withdrawn, "updated_at": time(&r.updated_at),
    })
}

fn risk_line(r: &pb::Risk) -> String {
    format!(
        "{}  {:<10} {:<6} v{:<3} {}{}  {}{}",
        r.risk_id,
        name(r.kind().as_str_name(), "RISK_KIND_"),
        name(r.level().as_str_name(), "RISK_LEVEL_"),
        r.version,
        r.name,
        if r.care_group() == pb::CareGroup::Unspecified {
            String::new()
        } else {
            format!(" ({})", name(r.care_group().as_str_name(), "CARE_GROUP_"))
        },
        r.owner_node,
        if r.withdrawn { "  withdrawn" } else { "" }
    )
}

fn alert_json(a: &pb::Alert) -> Value {
    json!({
        "identifier": a.identifier, "sender": a.sender,
        "direction": name(a.direction().as_str_name(), "ALERT_DIRECTION_"),
        "sent": time(&a.sent), "status": a.status, "msg_type": a.msg_type, "scope": a.scope,
        "categories": a.categories, "event": a.event, "urgency": a.urgency,
        "severity": a.severity, "certainty": a.certainty, "headline": a.headline,
        "area": a.area_desc, "cap_xml": a.cap_xml,
    })
}

fn alert_line(a: &pb::Alert, xml: bool) -> String {
    let mut text = format!(
        "{}  {:<8} {:<6} {} {} {}/{}/{}  {} — {}",
        a.identifier,
        name(a.direction().as_str_name(), "ALERT_DIRECTION_"),
        a.msg_type,
        time(&a.sent),
        a.sender,
        a.urgency,
        a.severity,
        a.certainty,
        a.event,
        a.area_desc
    );
    if xml {
        text.push('\n');
        text.push_str(&a.cap_xml);
    }
    text
}

fn ack_json(a: &pb::AlertAck) -> Value {
    json!({
        "recipient_kind": a.recipient_kind, "recipient": a.recipient, "member": a.member_name,
        "state": name(a.state().as_str_name(), "ACK_STATE_"), "notified_at": time(&a.notified_at),
        "due_at": time(&a.due_at), "acked_at": time(&a.acked_at), "acked_by": a.acked_by,
    })
}

fn ack_line(a: &pb::AlertAck) -> String {
    format!(
        "{:<6} {:<40} {:<12} due {}{}",
        a.recipient_kind,
        if a.member_name.is_empty() {
            &a.recipient
        } else {
            &a.member_name
        },
        name(a.state().as_str_name(), "ACK_STATE_"),
        time(&a.due_at),
        if a.acked_by.is_empty() {
            String::new()
        } else {
            format!("  by {} at {}", a.acked_by, time(&a.acked_at))
        }
    )
}

/// Runs `exchange check`.
///
/// # Errors
/// Bad arguments, or the node's status.
pub async fn check(
    client: &mut Exchange,
    args: CheckArgs,
    key: String,
) -> anyhow::Result<(Value, String)> {
    if let Some(id) = args.show {
        let c = client
            .get_check(pb::GetCheckRequest { check_id: id })
            .await?
            .into_inner()
            .check
            .context("no check in the answer")?;
        return Ok((check_json(&c), check_text(&c)));
    }
    let Some(peer) = args.peer else {
        let r = client
            .list_checks(pb::ListChecksRequest::default())
            .await?
            .into_inner();
        let value = json!(r.checks.iter().map(check_json).collect::<Vec<_>>());
        let text = r
            .checks
            .iter()
            .map(check_text)
            .collect::<Vec<_>>()
            .join("\n");
        return Ok((value, text));
    };
    let (kind, subject) = match (args.person, args.enterprise) {
        (Some(id), None) => (pb::SubjectKind::Person, id),
        (None, Some(name)) => (pb::SubjectKind::Enterprise, name),
        _ => anyhow::bail!("name the subject: --person ID_NUMBER or --enterprise NAME"),
    };
    let c = client
        .request_check(pb::RequestCheckRequest {
            idempotency_key: key,
            peer_node: peer,
            subject_kind: kind.into(),
            subject,
            purpose: args.purpose.unwrap_or_default(),
            approved_by: args.approved_by.unwrap_or_default(),
        })
        .await?
        .into_inner()
        .check
        .context("no check in the answer")?;
    Ok((check_json(&c), check_text(&c)))
}

/// Runs `exchange risks`.
///
/// # Errors
/// Bad arguments, or the node's status.
pub async fn risks(
    client: &mut Exchange,
    args: RisksArgs,
    key: String,
) -> anyhow::Result<(Value, String)> {
    let Some(kind) = args.put else {
        let r = client
            .list_risks(pb::ListRisksRequest {
                include_withdrawn: args.all,
            })
            .await?
            .into_inner();
        let value = json!(r.risks.iter().map(risk_json).collect::<Vec<_>>());
        let text = r.risks.iter().map(risk_line).collect::<Vec<_>>().join("\n");
        return Ok((value, text));
    };
    let location = args
        .at
        .as_deref()
        .map(|at| lat_lng(at).with_context(|| format!("--at {at}: LAT,LNG")))
        .transpose()?
        .map(|(lat, lng)| pb::LatLng { lat, lng });
    let r = client
        .put_risk(pb::PutRiskRequest {
            idempotency_key: key,
            risk_id: args.id.unwrap_or_default(),
            kind: match kind {
                Kind::Place => pb::RiskKind::Place,
                Kind::Enterprise => pb::RiskKind::Enterprise,
                Kind::Person => pb::RiskKind::Person,
            }
            .into(),
            name: args.name.unwrap_or_default(),
            care_group: args
                .group
                .map_or(pb::CareGroup::Unspecified, |g| match g {
                    Group::ReleasedPrisoner => pb::CareGroup::ReleasedPrisoner,
                    Group::CommunityCorrection => pb::CareGroup::CommunityCorrection,
                    Group::DrugRehabilitation => pb::CareGroup::DrugRehabilitation,
                    Group::SevereMentalDisorder => pb::CareGroup::SevereMentalDisorder,
                    Group::KeyYouth => pb::CareGroup::KeyYouth,
                    Group::KeyPetitioner => pb::CareGroup::KeyPetitioner,
                })
                .into(),
            level: match args.level {
                Some(Level::Low) => pb::RiskLevel::Low,
                Some(Level::Medium) => pb::RiskLevel::Medium,
                Some(Level::High) => pb::RiskLevel::High,
                None => pb::RiskLevel::Unspecified,
            }
            .into(),
            description: args.description,
            location,
            withdrawn: args.withdraw,
        })
        .await?
        .into_inner()
        .risk
        .context("no risk in the answer")?;
    Ok((risk_json(&r), risk_line(&r)))
}

/// Runs `exchange alert`.
///
/// # Errors
/// Bad arguments, or the node's status.
pub async fn alert(
    client: &mut Exchange,
    args: AlertArgs,
    key: String,
) -> anyhow::Result<(Value, String)> {
    let Some(event) = args.event else {
        let r = client
            .list_alerts(pb::ListAlertsRequest::default())
            .await?
            .into_inner();
        let value = json!(r.alerts.iter().map(alert_json).collect::<Vec<_>>());
        let text = r
            .alerts
            .iter()
            .map(|a| alert_line(a, args.xml))
            .collect::<Vec<_>>()
            .join("\n");
        return Ok((value, text));
    };
    let centre = args
        .at
        .as_deref()
        .map(|at| lat_lng(at).with_context(|| format!("--at {at}: LAT,LNG")))
        .transpose()?
        .map(|(lat, lng)| pb::LatLng { lat, lng });
    let a = client
        .issue_alert(pb::IssueAlertRequest {
            idempotency_key: key,
            categories: args.category,
            event,
            urgency: args.urgency,
            severity: args.severity,
            certainty: args.certainty,
            headline: args.headline,
            description: args.description,
            instruction: args.instruction,
            area_desc: args.area.unwrap_or_default(),
            centre,
            radius_km: args.radius_km.unwrap_or_default(),
            expires_at: None,
            status: pb::ExchangeStatus::from(args.status).into(),
        })
        .await?
        .into_inner()
        .alert
        .context("no alert in the answer")?;
    Ok((alert_json(&a), alert_line(&a, args.xml)))
}

/// Runs `exchange acks`.
///
/// # Errors
/// The node's status.
pub async fn acks(
    client: &mut Exchange,
    args: AcksArgs,
    key: String,
) -> anyhow::Result<(Value, String)> {
    if args.ack {
        let r = client
            .acknowledge_alert(pb::AcknowledgeAlertRequest {
                idempotency_key: key,
                sender: args.sender,
                identifier: args.identifier,
                member_id: args.member.unwrap_or_default(),
            })
            .await?
            .into_inner();
        if let Some(a) = r.ack {
            return Ok((ack_json(&a), ack_line(&a)));
        }
        let a = r.cap_ack.context("no acknowledgement in the answer")?;
        return Ok((alert_json(&a), alert_line(&a, false)));
    }
    let r = client
        .list_alert_acks(pb::ListAlertAcksRequest {
            sender: args.sender,
            identifier: args.identifier,
        })
        .await?
        .into_inner();
    let value = json!(r.acks.iter().map(ack_json).collect::<Vec<_>>());
    let text = r.acks.iter().map(ack_line).collect::<Vec<_>>().join("\n");
    Ok((value, text))
}

/// Runs `exchange members`.
///
/// # Errors
/// The node's status (a field violation names what is wrong with a member).
pub async fn members(
    client: &mut Exchange,
    args: MembersArgs,
    key: String,
) -> anyhow::Result<(Value, String)> {
    let Some(kind) = args.add else {
        let r = client
            .list_members(pb::ListMembersRequest {
                kind: args
                    .kind
                    .map_or(pb::MemberKind::Unspecified, pb::MemberKind::from)
                    .into(),
            })
            .await?
            .into_inner();
        let value = json!(r.members.iter().map(member_json).collect::<Vec<_>>());
        let text = r
            .members
            .iter()
            .map(member_line)
            .collect::<Vec<_>>()
            .join("\n");
        return Ok((value, text));
    };
    let m = client
        .add_member(pb::AddMemberRequest {
            idempotency_key: key,
            kind: pb::MemberKind::from(kind).into(),
            name: args.name.unwrap_or_default(),
            place: args.place.unwrap_or_default(),
            households: args.households,
            contact_name: args.contact_name.unwrap_or_default(),
            contact_phone: args.contact_phone.unwrap_or_default(),
        })
        .await?
        .into_inner()
        .member
        .context("no member in the answer")?;
    Ok((member_json(&m), member_line(&m)))
}

#[cfg(test)]
mod tests {
    use crate::cli::{Command, parse};

    #[test]
    fn the_joint_exchange_commands_parse() {
        for line in [
            "weigrid exchange check --peer zhejiang/pinghu/xindai/case-exchange --person 330482199001011234 --purpose 核实 --approved-by 张科长",
            "weigrid exchange check --show 0190f1a2-0000-7000-8000-000000000001",
            "weigrid exchange check",
            "weigrid exchange risks --put person --name 王某 --level high --group key-petitioner",
            "weigrid exchange risks --all",
            "weigrid exchange alert --event 山塘老街商铺火情 --category Fire --area 山塘老街 --at 30.812,121.163 --radius-km 0.5 --status exercise",
            "weigrid exchange alert --xml",
            "weigrid exchange acks shanghai/jinshan/langxia/case-exchange a-1 --ack --member m-1",
            "weigrid exchange members",
            "weigrid exchange members --kind group",
            "weigrid exchange members --add shop --name 山塘老街12号 --place 廊下侧山塘老街12号 --contact-name 张三 --contact-phone 13812345678",
            "weigrid exchange members --add group --name 山塘村3组十户联防 --place 山塘村3组 --households 10 --contact-name 李四 --contact-phone 13912345678",
        ] {
            let cli = parse(line).unwrap_or_else(|err| panic!("{line}: {err}"));
            assert!(matches!(cli.command, Command::Exchange(_)), "{line}");
        }
        assert!(
            parse("weigrid exchange check --peer p --person 1").is_err(),
            "a check needs its purpose"
        );
        assert!(
            parse("weigrid exchange check --peer p --person 1 --purpose x").is_err(),
            "and its approval"
        );
        assert!(
            parse("weigrid exchange members --add shop --name x").is_err(),
            "a member names its place and contact"
        );
        assert!(
            parse("weigrid exchange risks --withdraw").is_err(),
            "withdrawing names the entry"
        );
    }
}
