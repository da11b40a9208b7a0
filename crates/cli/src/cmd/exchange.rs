//! `weigrid exchange …`: this town's node of the case exchange with the
//! neighbouring towns — its peers, joint cases and their moves, the
//! message log, and the log's verification, online or offline over an
//! exported log.

use std::io::{BufRead as _, Write as _};
use std::path::PathBuf;

use anyhow::Context as _;
use case_exchange::domain::log::{Direction, LogEntry, LogRecord, verify};
use chrono::DateTime;
use clap::{Subcommand, ValueEnum};
use proto::exchange::v1 as pb;
use serde_json::{Value, json};

use super::exchange_joint as joint;
use crate::args::lat_lng;
use crate::connect::Exchange;
use crate::output::Output;
use crate::render::{enum_name as name, time};

/// Exchange commands.
#[derive(Subcommand)]
pub enum ExchangeCommand {
    /// Shows this node and its allow-listed peers.
    Peers,
    /// Reports a joint case (案情联报) to a peer node.
    Report {
        /// The peer node, e.g. zhejiang/pinghu/xindai/case-exchange.
        #[arg(long)]
        peer: String,
        /// This side's own case number (the local dispatch ticket).
        #[arg(long, default_value = "")]
        case_number: String,
        /// A dispatch category, e.g. WORK_INJURY.
        #[arg(long)]
        category: String,
        #[arg(long)]
        title: String,
        #[arg(long, default_value = "")]
        description: String,
        /// A point as LAT,LNG.
        #[arg(long)]
        at: Option<String>,
        /// A party as ROLE:NAME:PHONE[:NODE] (repeatable), e.g.
        /// WORKER:王某:13812345678:zhejiang/pinghu/xindai/case-exchange.
        #[arg(long)]
        party: Vec<String>,
        /// The amount in dispute, in yuan.
        #[arg(long, default_value_t = 0)]
        claimed_yuan: i64,
        /// Whether the case is real, an exercise or a test.
        #[arg(long, value_enum, ignore_case = true, default_value_t = Status::Actual)]
        status: Status,
    },
    /// Lists joint cases, newest first.
    Cases {
        /// Only those shared with this peer node.
        #[arg(long)]
        peer: Option<String>,
        #[arg(long, default_value_t = 50)]
        limit: u32,
    },
    /// Shows a joint case with its history, as this node holds it.
    Case { shared_id: String },
    /// Accepts a case reported to this town.
    Accept { shared_id: String },
    /// Rejects a case reported to this town, with a reason.
    Reject {
        shared_id: String,
        #[arg(long)]
        reason: String,
    },
    /// Schedules the joint mediation (纠纷联调) of a case.
    #[command(visible_alias = "mediation")]
    Mediate {
        shared_id: String,
        /// When, RFC 3339 (2026-03-05T09:30:00+08:00).
        #[arg(long)]
        at: String,
        #[arg(long)]
        place: String,
        /// A mediator as NAME:NODE (repeatable).
        #[arg(long)]
        mediator: Vec<String>,
    },
    /// Records a mediation's outcome: --agreed with the agreement, else
    /// failed.
    Outcome {
        shared_id: String,
        #[arg(long)]
        agreed: bool,
        #[arg(long, default_value = "")]
        agreement: String,
        /// The agreed total, in yuan.
        #[arg(long, default_value_t = 0)]
        amount_yuan: i64,
    },
    /// Closes a case, with a reason.
    Close {
        shared_id: String,
        #[arg(long)]
        reason: String,
    },
    /// Prints the message log, or writes all of it to --export FILE (one
    /// JSON entry a line, with each signed envelope) for `verify FILE`.
    Log {
        /// Entries after this sequence number.
        #[arg(long, default_value_t = 0)]
        after: u64,
        #[arg(long, default_value_t = 100)]
        limit: u32,
        #[arg(long)]
        export: Option<PathBuf>,
    },
    /// Checks the message log's hash chain: the node's own, or, given a
    /// FILE from `log --export`, offline, without any node.
    Verify { file: Option<PathBuf> },
    /// Asks a peer what it knows of a person or an enterprise (信息联查),
    /// shows a check's answer (an audited read), or lists the checks.
    Check(joint::CheckArgs),
    /// Lists the shared risk list (风险联控), or puts an entry.
    Risks(joint::RisksArgs),
    /// Issues a CAP 1.2 alert to every peer and member, or lists alerts.
    Alert(joint::AlertArgs),
    /// Shows who an alert was told to and who acknowledged (处突联动), or
    /// acknowledges it.
    Acks(joint::AcksArgs),
    /// Lists the safe-merchants alliance's shops (平安商户联盟) and the
    /// ten-household joint defence groups (十户联防) the emergency fan-out
    /// tells, or adds one.
    Members(joint::MembersArgs),
}

/// A case's status (EDXL-DE's).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Status {
    Actual,
    Exercise,
    Test,
}

impl From<Status> for pb::ExchangeStatus {
    fn from(status: Status) -> Self {
        match status {
            Status::Actual => pb::ExchangeStatus::Actual,
            Status::Exercise => pb::ExchangeStatus::Exercise,
            Status::Test => pb::ExchangeStatus::Test,
        }
    }
}

impl ExchangeCommand {
    /// Whether the command needs no node (offline verification).
    pub fn is_offline(&self) -> bool {
        matches!(self, ExchangeCommand::Verify { file: Some(_) })
    }

    /// Verifies an exported log without a node.
    ///
    /// # Errors
    /// The file cannot be read or holds a malformed entry.
    pub fn execute_offline(self, output: Output) -> anyhow::Result<()> {
        let ExchangeCommand::Verify { file: Some(file) } = self else {
            anyhow::bail!("this command needs the node");
        };
        let (value, text) = verify_file(&file)?;
        output.print(&value, || text);
        crate::render::fail_unless_intact(&value)
    }

    /// Runs the command against the node and prints its answer.
    ///
    /// # Errors
    /// Bad arguments, or the node's status.
    pub async fn execute(self, client: &mut Exchange, output: Output) -> anyhow::Result<()> {
        let verifying = matches!(self, ExchangeCommand::Verify { .. });
        let (value, text) = answer(client, self).await?;
        output.print(&value, || text);
        if verifying {
            crate::render::fail_unless_intact(&value)?;
        }
        Ok(())
    }
}

/// Parses ROLE:NAME:PHONE[:NODE].
fn party(text: &str) -> anyhow::Result<pb::Party> {
    let mut parts = text.splitn(4, ':');
    let (Some(role), Some(name), Some(phone)) = (parts.next(), parts.next(), parts.next()) else {
        anyhow::bail!("--party {text}: ROLE:NAME:PHONE[:NODE]");
    };
    Ok(pb::Party {
        role: role.to_owned(),
        name: name.to_owned(),
        phone: phone.to_owned(),
        side: parts.next().unwrap_or_default().to_owned(),
        ..Default::default()
    })
}

/// Parses NAME:NODE.
fn mediator(text: &str) -> anyhow::Result<pb::Party> {
    let (name, side) = text
        .split_once(':')
        .with_context(|| format!("--mediator {text}: NAME:NODE"))?;
    Ok(pb::Party {
        role: "MEDIATOR".into(),
        name: name.to_owned(),
        side: side.to_owned(),
        ..Default::default()
    })
}

fn case_json(c: &pb::JointCase) -> Value {
    let summary = c.summary.clone().unwrap_or_default();
    let mediation = c.mediation.clone().unwrap_or_default();
    json!({
        "shared_id": c.shared_id, "origin_node": c.origin_node, "peer_node": c.peer_node,
        "origin_case_number": c.origin_case_number, "peer_case_number": c.peer_case_number,
        "state": name(c.state().as_str_name(), "CASE_STATE_"),
        "status": name(c.status().as_str_name(), "EXCHANGE_STATUS_"),
        "version": c.version, "category": summary.category_code, "title": summary.title,
        "parties": summary.parties.iter().map(|p| json!({
            "role": p.role, "name": p.name, "phone": p.phone, "side": p.side,
        })).collect::<Vec<_>>(),
        "mediation": {
            "scheduled_at": time(&mediation.scheduled_at), "place": mediation.place,
            "concluded": mediation.concluded, "agreed": mediation.agreed,
            "agreement": mediation.agreement_text, "amount_fen": mediation.agreed_amount_fen,
        },
        "history": c.history.iter().map(|m| json!({
            "version": m.version, "to": name(m.to().as_str_name(), "CASE_STATE_"),
            "by_node": m.by_node, "by_person": m.by_person, "at": time(&m.at), "reason": m.reason,
        })).collect::<Vec<_>>(),
    })
}

fn case_line(c: &pb::JointCase) -> String {
    let title = c.summary.as_ref().map_or("", |s| s.title.as_str());
    format!(
        "{}  {:<13} v{:<3} {} → {}  {}",
        c.shared_id,
        name(c.state().as_str_name(), "CASE_STATE_"),
        c.version,
        c.origin_node,
        c.peer_node,
        title
    )
}

fn case_text(c: &pb::JointCase) -> String {
    let mut text = case_line(c);
    let number = |n: &str| {
        if n.is_empty() {
            "—".to_owned()
        } else {
            n.to_owned()
        }
    };
    text.push_str(&format!(
        "\ncase numbers: {} at the origin, {} at the peer",
        number(&c.origin_case_number),
        number(&c.peer_case_number)
    ));
    if let Some(s) = &c.summary {
        for p in &s.parties {
            text.push_str(&format!(
                "\nparty {} {} {} ({})",
                p.role, p.name, p.phone, p.side
            ));
        }
    }
    if let Some(m) = c.mediation.as_ref().filter(|m| m.scheduled_at.is_some()) {
        text.push_str(&format!(
            "\nmediation {} at {}",
            time(&m.scheduled_at),
            m.place
        ));
        if m.concluded {
            text.push_str(&format!(
                "; {} {} (¥{:.2})",
                if m.agreed { "agreed:" } else { "failed" },
                m.agreement_text,
                m.agreed_amount_fen as f64 / 100.0
            ));
        }
    }
    for m in &c.history {
        text.push_str(&format!(
            "\n  v{:<3} {}  {:<13} by {} at {}{}",
            m.version,
            time(&m.at),
            name(m.to().as_str_name(), "CASE_STATE_"),
            m.by_person,
            m.by_node,
            if m.reason.is_empty() {
                String::new()
            } else {
                format!(" — {}", m.reason)
            }
        ));
    }
    text
}

fn entry_json(e: &pb::LogEntry) -> Value {
    json!({
        "seq": e.seq, "direction": name(e.direction().as_str_name(), "DIRECTION_"),
        "message_id": e.message_id, "peer": e.peer, "message_type": e.message_type,
        "shared_case_id": e.shared_case_id,
        "recorded_at_micros": e.recorded_at.as_ref().map_or(0, |t| t.seconds * 1_000_000 + i64::from(t.nanos) / 1000),
        "envelope_hash": e.envelope_hash, "prev_hash": e.prev_hash, "entry_hash": e.entry_hash,
        "canonical": hex::encode(&e.canonical), "signature": hex::encode(&e.signature),
    })
}

fn entry_line(e: &pb::LogEntry) -> String {
    format!(
        "{:>6}  {}  {:<8} {:<6} {}  case {}  {}",
        e.seq,
        time(&e.recorded_at),
        name(e.direction().as_str_name(), "DIRECTION_"),
        e.message_type,
        e.peer,
        e.shared_case_id,
        &e.entry_hash[..e.entry_hash.len().min(16)]
    )
}

/// Returns an exported entry as the chain holds it.
fn exported_entry(line: &str) -> anyhow::Result<LogEntry> {
    let v: Value = serde_json::from_str(line)?;
    let text = |key: &str| {
        v[key]
            .as_str()
            .map(str::to_owned)
            .with_context(|| format!("no {key}"))
    };
    let bytes = |key: &str| -> anyhow::Result<Vec<u8>> {
        hex::decode(text(key)?).with_context(|| format!("{key} is not hex"))
    };
    let hash = |key: &str| -> anyhow::Result<[u8; 32]> {
        bytes(key)?
            .try_into()
            .map_err(|_| anyhow::anyhow!("{key} is not 32 bytes"))
    };
    let direction = match text("direction")?.as_str() {
        "SENT" => Direction::Sent,
        "RECEIVED" => Direction::Received,
        other => anyhow::bail!("direction {other}"),
    };
    let micros = v["recorded_at_micros"]
        .as_i64()
        .context("no recorded_at_micros")?;
    Ok(LogEntry {
        seq: v["seq"].as_u64().context("no seq")?,
        record: LogRecord {
            direction,
            message_id: text("message_id")?,
            peer: text("peer")?,
            message_type: text("message_type")?,
            shared_case_id: text("shared_case_id")?,
            canonical: bytes("canonical")?,
            signature: bytes("signature")?,
            recorded_at: DateTime::from_timestamp_micros(micros).context("recorded_at_micros")?,
        },
        envelope_hash: hash("envelope_hash")?,
        prev_hash: hash("prev_hash")?,
        entry_hash: hash("entry_hash")?,
    })
}

/// Verifies the log exported to `file`.
fn verify_file(file: &std::path::Path) -> anyhow::Result<(Value, String)> {
    let reader = std::io::BufReader::new(
        std::fs::File::open(file).with_context(|| format!("opening {}", file.display()))?,
    );
    let mut entries = Vec::new();
    for (n, line) in reader.lines().enumerate() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        entries.push(
            exported_entry(&line).with_context(|| format!("{} line {}", file.display(), n + 1))?,
        );
    }
    let verdict = verify(&entries);
    Ok(verdict_answer(
        verdict.checked,
        verdict
            .broken
            .as_ref()
            .map(|(seq, problem)| (*seq, problem.as_str())),
    ))
}

fn verdict_answer(checked: u64, broken: Option<(u64, &str)>) -> (Value, String) {
    let value = json!({
        "checked": checked, "intact": broken.is_none(),
        "broken_seq": broken.map(|b| b.0), "problem": broken.map(|b| b.1),
    });
    let text = match broken {
        None => format!("intact: {checked} entries, every link and envelope holds"),
        Some((seq, problem)) => {
            format!("BROKEN at entry {seq}: {problem} ({checked} entries before it hold)")
        }
    };
    (value, text)
}

/// Runs an exchange command; returns its answer as JSON and as text.
async fn answer(
    client: &mut Exchange,
    command: ExchangeCommand,
) -> anyhow::Result<(Value, String)> {
    let key = uuid::Uuid::now_v7().to_string();
    let case = |c: Option<pb::JointCase>| -> anyhow::Result<(Value, String)> {
        let c = c.context("no case in the answer")?;
        Ok((case_json(&c), case_text(&c)))
    };
    match command {
        ExchangeCommand::Peers => {
            let r = client
                .list_peers(pb::ListPeersRequest {})
                .await?
                .into_inner();
            let mut text = format!("this node {} (signing key {})", r.node, r.signing_key);
            for p in &r.peers {
                text.push_str(&format!(
                    "\npeer {}  {}  tls {}",
                    p.node, p.endpoint, p.tls_name
                ));
            }
            let peers: Vec<Value> = r
                .peers
                .iter()
                .map(|p| json!({"node": p.node, "endpoint": p.endpoint, "tls_name": p.tls_name, "signing_key": p.signing_key}))
                .collect();
            Ok((
                json!({"node": r.node, "signing_key": r.signing_key, "peers": peers}),
                text,
            ))
        }
        ExchangeCommand::Report {
            peer,
            case_number,
            category,
            title,
            description,
            at,
            party: parties,
            claimed_yuan,
            status,
        } => {
            let location = match at {
                Some(at) => {
                    let (lat, lng) = lat_lng(&at).with_context(|| format!("--at {at}: LAT,LNG"))?;
                    Some(pb::LatLng { lat, lng })
                }
                None => None,
            };
            let parties = parties
                .iter()
                .map(|p| party(p))
                .collect::<anyhow::Result<Vec<_>>>()?;
            let r = client
                .report_case(pb::ReportCaseRequest {
                    idempotency_key: key,
                    peer_node: peer,
                    case_number,
                    summary: Some(pb::CaseSummary {
                        category_code: category,
                        title,
                        description,
                        location,
                        parties,
                        claimed_amount_fen: claimed_yuan * 100,
                    }),
                    status: pb::ExchangeStatus::from(status).into(),
                })
                .await?
                .into_inner();
            case(r.case)
        }
        ExchangeCommand::Cases { peer, limit } => {
            let r = client
                .list_cases(pb::ListCasesRequest {
                    peer_node: peer.unwrap_or_default(),
                    states: Vec::new(),
                    page_size: limit,
                })
                .await?
                .into_inner();
            let text = r.cases.iter().map(case_line).collect::<Vec<_>>().join("\n");
            Ok((Value::Array(r.cases.iter().map(case_json).collect()), text))
        }
        ExchangeCommand::Case { shared_id } => {
            let r = client
                .get_case(pb::GetCaseRequest { shared_id })
                .await?
                .into_inner();
            case(r.case)
        }
        ExchangeCommand::Accept { shared_id } => {
            let r = client
                .accept_case(pb::AcceptCaseRequest {
                    idempotency_key: key,
                    shared_id,
                })
                .await?
                .into_inner();
            case(r.case)
        }
        ExchangeCommand::Reject { shared_id, reason } => {
            let r = client
                .reject_case(pb::RejectCaseRequest {
                    idempotency_key: key,
                    shared_id,
                    reason,
                })
                .await?
                .into_inner();
            case(r.case)
        }
        ExchangeCommand::Mediate {
            shared_id,
            at,
            place,
            mediator: mediators,
        } => {
            let at = DateTime::parse_from_rfc3339(&at)
                .with_context(|| format!("--at {at}: an RFC 3339 time"))?;
            let mediators = mediators
                .iter()
                .map(|m| mediator(m))
                .collect::<anyhow::Result<Vec<_>>>()?;
            let r = client
                .schedule_mediation(pb::ScheduleMediationRequest {
                    idempotency_key: key,
                    shared_id,
                    scheduled_at: Some(prost_types::Timestamp {
                        seconds: at.timestamp(),
                        nanos: 0,
                    }),
                    place,
                    mediators,
                    parties: Vec::new(),
                })
                .await?
                .into_inner();
            case(r.case)
        }
        ExchangeCommand::Outcome {
            shared_id,
            agreed,
            agreement,
            amount_yuan,
        } => {
            let r = client
                .record_mediation_outcome(pb::RecordMediationOutcomeRequest {
                    idempotency_key: key,
                    shared_id,
                    agreed,
                    agreement_text: agreement,
                    agreed_amount_fen: amount_yuan * 100,
                    obligations: Vec::new(),
                })
                .await?
                .into_inner();
            case(r.case)
        }
        ExchangeCommand::Close { shared_id, reason } => {
            let r = client
                .close_case(pb::CloseCaseRequest {
                    idempotency_key: key,
                    shared_id,
                    reason,
                })
                .await?
                .into_inner();
            case(r.case)
        }
        ExchangeCommand::Log {
            after,
            limit,
            export,
        } => match export {
            Some(file) => export_log(client, &file).await,
            None => {
                let r = client
                    .list_messages(pb::ListMessagesRequest {
                        after_seq: after,
                        page_size: limit,
                    })
                    .await?
                    .into_inner();
                let text = r
                    .entries
                    .iter()
                    .map(entry_line)
                    .collect::<Vec<_>>()
                    .join("\n");
                Ok((
                    Value::Array(r.entries.iter().map(entry_json).collect()),
                    text,
                ))
            }
        },
        ExchangeCommand::Verify { file: Some(file) } => verify_file(&file),
        ExchangeCommand::Verify { file: None } => {
            let r = client
                .verify_log(pb::VerifyLogRequest {})
                .await?
                .into_inner();
            Ok(verdict_answer(
                r.checked,
                (!r.intact).then_some((r.broken_seq, r.problem.as_str())),
            ))
        }
        ExchangeCommand::Check(args) => joint::check(client, args, key).await,
        ExchangeCommand::Risks(args) => joint::risks(client, args, key).await,
        ExchangeCommand::Alert(args) => joint::alert(client, args, key).await,
        ExchangeCommand::Acks(args) => joint::acks(client, args, key).await,
        ExchangeCommand::Members(args) => joint::members(client, args, key).await,
    }
}

/// Writes every entry of the node's log to `file`, one JSON object a line.
async fn export_log(
    client: &mut Exchange,
    file: &std::path::Path,
) -> anyhow::Result<(Value, String)> {
    let mut out = std::io::BufWriter::new(
        std::fs::File::create(file).with_context(|| format!("creating {}", file.display()))?,
    );
    let (mut after, mut written) = (0, 0u64);
    loop {
        let page = client
            .list_messages(pb::ListMessagesRequest {
                after_seq: after,
                page_size: 500,
            })
            .await?
            .into_inner()
            .entries;
        let Some(last) = page.last() else { break };
        after = last.seq;
        for entry in &page {
            writeln!(out, "{}", entry_json(entry))?;
            written += 1;
        }
    }
    out.flush()?;
    Ok((
        json!({"exported": written, "file": file.display().to_string()}),
        format!(
            "{written} entries written to {}; check them with `weigrid exchange verify {}`",
            file.display(),
            file.display()
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::{Command, parse};
    use case_exchange::domain::log::GENESIS;

    #[test]
    fn the_exchange_commands_parse() {
        let cli = parse("weigrid exchange verify /tmp/log.jsonl").unwrap();
        let Command::Exchange(command) = cli.command else {
            panic!("an exchange command")
        };
        assert!(command.is_offline());
        assert!(parse("weigrid exchange report --peer p --category WORK_INJURY --title t --party WORKER:王某:13812345678").is_ok());
        assert!(party("WORKER:王某").is_err(), "a party needs its phone");
        assert!(mediator("李调解:shanghai/jinshan/langxia/case-exchange").is_ok());
        for verb in ["mediate", "mediation"] {
            assert!(
                parse(&format!(
                    "weigrid exchange {verb} c-1 --at 2026-12-03T09:30:00+08:00 --place 山塘联合调处站 --mediator 李调解:shanghai/jinshan/langxia/case-exchange"
                ))
                .is_ok(),
                "{verb}"
            );
        }
    }

    fn exported(n: u64) -> Vec<String> {
        let mut prev = GENESIS;
        (1..=n)
            .map(|seq| {
                let entry = LogEntry::chain(
                    seq,
                    LogRecord {
                        direction: Direction::Sent,
                        message_id: format!("m{seq}"),
                        peer: "zhejiang/pinghu/xindai/case-exchange".into(),
                        message_type: "REPORT".into(),
                        shared_case_id: "c".into(),
                        canonical: vec![seq as u8; 8],
                        signature: vec![7; 64],
                        recorded_at: DateTime::from_timestamp_micros(1_772_413_200_000_123)
                            .unwrap(),
                    },
                    prev,
                );
                prev = entry.entry_hash;
                let pb_entry = pb::LogEntry {
                    seq,
                    direction: pb::Direction::Sent.into(),
                    message_id: entry.record.message_id.clone(),
                    peer: entry.record.peer.clone(),
                    message_type: entry.record.message_type.clone(),
                    shared_case_id: entry.record.shared_case_id.clone(),
                    envelope_hash: hex::encode(entry.envelope_hash),
                    prev_hash: hex::encode(entry.prev_hash),
                    entry_hash: hex::encode(entry.entry_hash),
                    recorded_at: Some(prost_types::Timestamp {
                        seconds: 1_772_413_200,
                        nanos: 123_000,
                    }),
                    canonical: entry.record.canonical.clone(),
                    signature: entry.record.signature.clone(),
                };
                entry_json(&pb_entry).to_string()
            })
            .collect()
    }

    #[test]
    fn verify_over_an_export_finds_the_edited_entry() {
        let dir = std::env::temp_dir().join(format!("weigrid-log-{}", uuid::Uuid::now_v7()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("log.jsonl");
        let lines = exported(4);
        std::fs::write(&file, lines.join("\n")).unwrap();
        let (value, _) = verify_file(&file).unwrap();
        assert_eq!(value["intact"], true);
        assert_eq!(value["checked"], 4);

        let edited: Vec<String> = lines
            .iter()
            .map(|l| l.replacen("\"message_id\":\"m3\"", "\"message_id\":\"m9\"", 1))
            .collect();
        std::fs::write(&file, edited.join("\n")).unwrap();
        let (value, text) = verify_file(&file).unwrap();
        assert_eq!(value["intact"], false);
        assert_eq!(value["broken_seq"], 3, "{text}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
