//! `weigrid video evidence|verify|apply|applications|review|issue|view|
//! access-log|stats`: evidence clips and their custody, their verification
//! (online, or offline over the database and the evidence store an auditor
//! is given), and disclosure on application (依申请公开).

use std::path::PathBuf;

use anyhow::Context as _;
use chrono::{DateTime, Utc};
use clap::{Args, Subcommand, ValueEnum};
use proto::video::v1 as pb;
use serde_json::{Value, json};

use crate::connect::Video;
use crate::render::{enum_name as name, lines, time};

/// `weigrid video evidence …`.
#[derive(Subcommand)]
pub enum EvidenceCommand {
    /// Records a clip of a camera over a window from local files (each
    /// hashed by the service as it is stored).
    Record {
        /// The camera (20-digit channel code).
        #[arg(long)]
        camera: String,
        /// The window, RFC 3339 (2026-03-02T09:00:00+08:00).
        #[arg(long)]
        from: String,
        #[arg(long)]
        to: String,
        /// The incident the clip is evidence of.
        #[arg(long)]
        incident: Option<String>,
        /// The clip's files.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Lists clips, newest first; with --id, one clip's manifest.
    List {
        #[arg(long)]
        camera: Option<String>,
        #[arg(long)]
        id: Option<String>,
    },
    /// Puts a clip on legal hold (the retention purge never touches it).
    Hold {
        clip_id: String,
        #[arg(long)]
        reason: String,
    },
    /// Takes a clip off legal hold.
    Release {
        clip_id: String,
        #[arg(long)]
        reason: String,
    },
}

/// Where `verify` reads from: the service, or (offline) the database and
/// the evidence store directory.
#[derive(Args)]
pub struct VerifyArgs {
    /// Only this clip (every clip otherwise).
    #[arg(long)]
    pub clip: Option<String>,
    /// Offline: the video database (a copy an auditor is given), e.g.
    /// postgres://auditor@127.0.0.1/weigrid_video.
    #[arg(long, requires = "store")]
    pub database_url: Option<String>,
    /// Offline: the evidence store's directory (a copy of it).
    #[arg(long, requires = "database_url")]
    pub store: Option<PathBuf>,
}

/// Why footage is asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Purpose {
    LostItem,
    VehicleScrape,
    IllegalDumping,
    StrawBurning,
    Other,
}

impl From<Purpose> for pb::Purpose {
    fn from(p: Purpose) -> Self {
        match p {
            Purpose::LostItem => pb::Purpose::LostItem,
            Purpose::VehicleScrape => pb::Purpose::VehicleScrape,
            Purpose::IllegalDumping => pb::Purpose::IllegalDumping,
            Purpose::StrawBurning => pb::Purpose::StrawBurning,
            Purpose::Other => pb::Purpose::Other,
        }
    }
}

/// How an application is approved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Decision {
    Viewing,
    Copy,
}

impl From<Decision> for pb::Decision {
    fn from(d: Decision) -> Self {
        match d {
            Decision::Viewing => pb::Decision::Viewing,
            Decision::Copy => pb::Decision::Copy,
        }
    }
}

/// `weigrid video apply …`.
#[derive(Args)]
pub struct ApplyArgs {
    /// The applicant's name, resident ID number and phone.
    #[arg(long)]
    pub name: String,
    #[arg(long)]
    pub id_number: String,
    #[arg(long)]
    pub phone: String,
    /// A camera (20-digit channel code); repeat for several.
    #[arg(long = "camera", required = true)]
    pub cameras: Vec<String>,
    /// The window, RFC 3339.
    #[arg(long)]
    pub from: String,
    #[arg(long)]
    pub to: String,
    #[arg(long, value_enum, ignore_case = true)]
    pub purpose: Purpose,
    /// What the purpose is, for --purpose other.
    #[arg(long, default_value = "")]
    pub detail: String,
    /// The dispute's ticket (LX-2026-000123).
    #[arg(long, default_value = "")]
    pub ticket: String,
}

/// `weigrid video review …`.
#[derive(Args)]
pub struct ReviewArgs {
    /// The application's number (SQ-2026-000001) or id.
    pub application: String,
    #[arg(long, value_enum, ignore_case = true, conflicts_with = "refuse")]
    pub approve: Option<Decision>,
    /// Refuses, with this reason.
    #[arg(long)]
    pub refuse: Option<String>,
}

fn instant(text: &str, what: &str) -> anyhow::Result<prost_types::Timestamp> {
    let at: DateTime<Utc> = DateTime::parse_from_rfc3339(text)
        .with_context(|| format!("{what}: {text} is not an RFC 3339 time"))?
        .to_utc();
    Ok(prost_types::Timestamp {
        seconds: at.timestamp(),
        nanos: 0,
    })
}

fn clip_json(c: &pb::Clip) -> Value {
    json!({
        "clip_id": c.clip_id, "channel_id": c.channel_id, "device_id": c.device_id,
        "identifies": c.identifies, "starts_at": time(&c.starts_at), "ends_at": time(&c.ends_at),
        "incident_id": c.incident_id, "source_clip_id": c.source_clip_id,
        "manifest_sha256": c.manifest_sha256, "retain_until": time(&c.retain_until),
        "hold": c.hold.as_ref().map(|h| json!({"reason": h.reason, "by": h.held_by, "at": time(&h.held_at)})),
        "purged_at": c.purged_at.map(|t| time(&Some(t))),
        "files": c.files.iter().map(|f| json!({
            "name": f.name, "object_key": f.object_key, "size_bytes": f.size_bytes, "sha256": f.sha256,
        })).collect::<Vec<_>>(),
    })
}

fn clip_text(c: &pb::Clip) -> String {
    let mut text = format!(
        "clip {}  camera {}  {} – {}{}{}\n  manifest sha256:{}  kept until {}",
        c.clip_id,
        c.channel_id,
        time(&c.starts_at),
        time(&c.ends_at),
        if c.source_clip_id.is_empty() {
            String::new()
        } else {
            format!("  redacted copy of {}", c.source_clip_id)
        },
        c.hold
            .as_ref()
            .map_or(String::new(), |h| format!("  ON HOLD ({})", h.reason)),
        c.manifest_sha256,
        time(&c.retain_until),
    );
    for f in &c.files {
        text.push_str(&format!(
            "\n  {:<16} {:>10} bytes  sha256:{}",
            f.name, f.size_bytes, f.sha256
        ));
    }
    text
}

fn application_json(a: &pb::Application) -> Value {
    let who = a.applicant.clone().unwrap_or_default();
    json!({
        "application_id": a.application_id, "number": a.number,
        "applicant": {"name": who.name, "id_number": who.id_number, "phone": who.phone},
        "cameras": a.channel_ids, "starts_at": time(&a.starts_at), "ends_at": time(&a.ends_at),
        "purpose": name(a.purpose().as_str_name(), "PURPOSE_"), "purpose_detail": a.purpose_detail,
        "dispute_ticket": a.dispute_ticket,
        "state": name(a.state().as_str_name(), "APPLICATION_STATE_"),
        "decision": name(a.decision().as_str_name(), "DECISION_"),
        "refusal_reason": a.refusal_reason, "valid_until": time(&a.valid_until),
        "copies": a.copies.iter().map(|c| json!({
            "copy_clip_id": c.copy_clip_id, "source_clip_id": c.source_clip_id,
            "expires_at": time(&c.expires_at),
        })).collect::<Vec<_>>(),
    })
}

fn application_line(a: &pb::Application) -> String {
    let who = a.applicant.clone().unwrap_or_default();
    format!(
        "{}  {:<10} {:<16} {:<8} {} {} {}  cameras {}  {} – {}",
        a.number,
        name(a.state().as_str_name(), "APPLICATION_STATE_"),
        name(a.purpose().as_str_name(), "PURPOSE_"),
        name(a.decision().as_str_name(), "DECISION_"),
        who.name,
        who.id_number,
        who.phone,
        a.channel_ids.join(","),
        time(&a.starts_at),
        time(&a.ends_at),
    )
}

fn entry_json(e: &pb::CustodyEntry) -> Value {
    json!({
        "seq": e.seq, "action": e.action, "clip_id": e.clip_id, "application_id": e.application_id,
        "actor": e.actor, "actor_role": e.actor_role, "detail": e.detail,
        "recorded_at": time(&e.recorded_at), "prev_hash": e.prev_hash, "entry_hash": e.entry_hash,
    })
}

fn entry_line(e: &pb::CustodyEntry) -> String {
    format!(
        "{:>6}  {}  {:<14} {}/{}  {}{}  {}",
        e.seq,
        time(&e.recorded_at),
        e.action,
        e.actor_role,
        e.actor,
        if e.clip_id.is_empty() {
            String::new()
        } else {
            format!("clip {} ", e.clip_id)
        },
        e.detail,
        &e.entry_hash[..e.entry_hash.len().min(16)],
    )
}

/// Returns a verification's answer as JSON and as text.
pub fn verdict(r: &pb::VerifyEvidenceResponse) -> (Value, String) {
    let mut text = if r.chain_intact {
        format!(
            "custody log intact: {} entries, every link holds",
            r.checked
        )
    } else {
        format!(
            "custody log BROKEN at entry {}: {} ({} entries before it hold)",
            r.broken_seq, r.problem, r.checked
        )
    };
    for c in &r.clips {
        if c.intact {
            text.push_str(&format!("\n  clip {} intact", c.clip_id));
        } else {
            text.push_str(&format!("\n  clip {} BROKEN: {}", c.clip_id, c.problem));
        }
    }
    let intact = r.chain_intact && r.clips.iter().all(|c| c.intact);
    (
        json!({
            "intact": intact, "checked": r.checked, "chain_intact": r.chain_intact,
            "broken_seq": (!r.chain_intact).then_some(r.broken_seq), "problem": r.problem,
            "clips": r.clips.iter().map(|c| json!({"clip_id": c.clip_id, "intact": c.intact, "problem": c.problem})).collect::<Vec<_>>(),
        }),
        text,
    )
}

/// Verifies offline: the database an auditor is given and the evidence
/// store's directory, with no service running.
///
/// # Errors
/// The database or the store cannot be read.
pub async fn verify_offline(args: VerifyArgs) -> anyhow::Result<(Value, String)> {
    use video_ingest::application::audit;
    let (Some(url), Some(dir)) = (args.database_url, args.store) else {
        anyhow::bail!("offline verification needs --database-url and --store");
    };
    let mut conn = <sqlx::PgConnection as sqlx::Connection>::connect(&url)
        .await
        .with_context(|| format!("connecting to {url}"))?;
    let store = video_ingest::store::EvidenceStore::new(platform::objects::local(&dir)?);
    let clip = args
        .clip
        .as_deref()
        .map(|c| video_ingest::domain::ids::ClipId::parse(c).context("--clip is not a UUID"))
        .transpose()?;
    let report = audit::verify(&mut conn, &store, clip).await?;
    Ok(verdict(&video_ingest::api::verification(&report)))
}

/// Runs `evidence …`.
pub async fn evidence(
    client: &mut Video,
    command: EvidenceCommand,
    key: String,
) -> anyhow::Result<(Value, String)> {
    let clip = |c: Option<pb::Clip>| -> anyhow::Result<(Value, String)> {
        let c = c.context("no clip in the answer")?;
        Ok((clip_json(&c), clip_text(&c)))
    };
    match command {
        EvidenceCommand::Record {
            camera,
            from,
            to,
            incident,
            files,
        } => {
            let mut uploads = Vec::with_capacity(files.len());
            for path in &files {
                let content =
                    std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
                let name = path
                    .file_name()
                    .and_then(|n| n.to_str())
                    .with_context(|| format!("{} has no file name", path.display()))?;
                uploads.push(pb::ClipFileUpload {
                    name: name.to_owned(),
                    content,
                    ..Default::default()
                });
            }
            let r = client
                .record_clip(pb::RecordClipRequest {
                    idempotency_key: key,
                    channel_id: camera,
                    starts_at: Some(instant(&from, "--from")?),
                    ends_at: Some(instant(&to, "--to")?),
                    incident_id: incident.unwrap_or_default(),
                    files: uploads,
                })
                .await?
                .into_inner();
            clip(r.clip)
        }
        EvidenceCommand::List {
            id: Some(clip_id), ..
        } => clip(
            client
                .get_clip(pb::GetClipRequest { clip_id })
                .await?
                .into_inner()
                .clip,
        ),
        EvidenceCommand::List { camera, .. } => {
            let clips = client
                .list_clips(pb::ListClipsRequest {
                    channel_id: camera.unwrap_or_default(),
                    page_size: 500,
                    ..Default::default()
                })
                .await?
                .into_inner()
                .clips;
            let text = if clips.is_empty() {
                "no clips".to_owned()
            } else {
                clips.iter().map(clip_text).collect::<Vec<_>>().join("\n")
            };
            Ok((json!(clips.iter().map(clip_json).collect::<Vec<_>>()), text))
        }
        EvidenceCommand::Hold { clip_id, reason } => clip(
            client
                .hold_clip(pb::HoldClipRequest {
                    idempotency_key: key,
                    clip_id,
                    reason,
                })
                .await?
                .into_inner()
                .clip,
        ),
        EvidenceCommand::Release { clip_id, reason } => clip(
            client
                .release_clip(pb::ReleaseClipRequest {
                    idempotency_key: key,
                    clip_id,
                    reason,
                })
                .await?
                .into_inner()
                .clip,
        ),
    }
}

/// Runs `verify` against the service.
pub async fn verify(client: &mut Video, args: VerifyArgs) -> anyhow::Result<(Value, String)> {
    let r = client
        .verify_evidence(pb::VerifyEvidenceRequest {
            clip_id: args.clip.unwrap_or_default(),
        })
        .await?
        .into_inner();
    Ok(verdict(&r))
}

/// Runs `apply`.
pub async fn apply(
    client: &mut Video,
    a: ApplyArgs,
    key: String,
) -> anyhow::Result<(Value, String)> {
    let r = client
        .submit_application(pb::SubmitApplicationRequest {
            idempotency_key: key,
            applicant: Some(pb::Applicant {
                name: a.name,
                id_number: a.id_number,
                phone: a.phone,
            }),
            channel_ids: a.cameras,
            starts_at: Some(instant(&a.from, "--from")?),
            ends_at: Some(instant(&a.to, "--to")?),
            purpose: pb::Purpose::from(a.purpose).into(),
            purpose_detail: a.detail,
            dispute_ticket: a.ticket,
        })
        .await?
        .into_inner();
    let a = r.application.context("no application in the answer")?;
    Ok((
        application_json(&a),
        format!("registered {}", application_line(&a)),
    ))
}

/// Runs `applications`: the list, or one (for the review, whole).
pub async fn applications(
    client: &mut Video,
    id: Option<String>,
    for_review: bool,
) -> anyhow::Result<(Value, String)> {
    if let Some(application) = id {
        let a = client
            .get_application(pb::GetApplicationRequest {
                application,
                for_review,
            })
            .await?
            .into_inner()
            .application
            .context("no application in the answer")?;
        return Ok((application_json(&a), application_line(&a)));
    }
    // Every page: the service serves at most 500 a page.
    let found = crate::connect::all_pages(|page_token| {
        let mut c = client.clone();
        let request = pb::ListApplicationsRequest {
            page_size: 500,
            page_token,
            ..Default::default()
        };
        async move {
            let page = c.list_applications(request).await?.into_inner();
            Ok((page.applications, page.next_page_token))
        }
    })
    .await?;
    Ok((
        json!(found.iter().map(application_json).collect::<Vec<_>>()),
        lines(&found, application_line, "no applications"),
    ))
}

/// Runs `review`.
pub async fn review(
    client: &mut Video,
    r: ReviewArgs,
    key: String,
) -> anyhow::Result<(Value, String)> {
    use pb::review_application_request::Outcome;
    let outcome = match (r.approve, r.refuse) {
        (Some(d), None) => Outcome::Approve(pb::Decision::from(d).into()),
        (None, Some(reason)) => Outcome::Refuse(reason),
        _ => anyhow::bail!("give --approve viewing|copy or --refuse REASON"),
    };
    let a = client
        .review_application(pb::ReviewApplicationRequest {
            idempotency_key: key,
            application: r.application,
            outcome: Some(outcome),
        })
        .await?
        .into_inner()
        .application
        .context("no application in the answer")?;
    Ok((application_json(&a), application_line(&a)))
}

/// Runs `issue`: the redacted copy of an application approved as a copy.
pub async fn issue(
    client: &mut Video,
    application: String,
    key: String,
) -> anyhow::Result<(Value, String)> {
    let r = client
        .issue_copy(pb::IssueCopyRequest {
            idempotency_key: key,
            application,
        })
        .await?
        .into_inner();
    let a = r.application.context("no application in the answer")?;
    let mut text = application_line(&a);
    for c in &r.copies {
        text.push('\n');
        text.push_str(&clip_text(c));
    }
    Ok((
        json!({"application": application_json(&a), "copies": r.copies.iter().map(clip_json).collect::<Vec<_>>()}),
        text,
    ))
}

/// Runs `view`: a supervised viewing recorded, or the copy handed over
/// (written to `out` when given).
pub async fn view(
    client: &mut Video,
    application: String,
    out: Option<PathBuf>,
) -> anyhow::Result<(Value, String)> {
    let r = client
        .view_footage(pb::ViewFootageRequest { application })
        .await?
        .into_inner();
    let a = r.application.context("no application in the answer")?;
    let mut written = Vec::new();
    if let Some(dir) = &out {
        std::fs::create_dir_all(dir)?;
        for f in &r.files {
            let file = f.file.clone().unwrap_or_default();
            let path = dir.join(&file.name);
            std::fs::write(&path, &f.content)?;
            written.push(path.display().to_string());
        }
    }
    let text = format!(
        "{}\n  {} clips seen; {} files handed over{}",
        application_line(&a),
        r.clips.len(),
        r.files.len(),
        if written.is_empty() {
            String::new()
        } else {
            format!(" to {}", written.join(", "))
        }
    );
    Ok((
        json!({"application": application_json(&a), "clips": r.clips.iter().map(clip_json).collect::<Vec<_>>(), "written": written}),
        text,
    ))
}

/// Runs `access-log`.
pub async fn access_log(
    client: &mut Video,
    clip: Option<String>,
    application: Option<String>,
) -> anyhow::Result<(Value, String)> {
    // The log pages by sequence number: each page starts after the last
    // entry of the one before, until a page comes back short.
    const PAGE: u32 = 1000;
    let (clip_id, application) = (clip.unwrap_or_default(), application.unwrap_or_default());
    let entries = crate::connect::all_pages(|after| {
        let mut c = client.clone();
        let request = pb::ListCustodyLogRequest {
            clip_id: clip_id.clone(),
            application: application.clone(),
            after_seq: after.parse().unwrap_or(0),
            page_size: PAGE,
        };
        async move {
            let page = c.list_custody_log(request).await?.into_inner().entries;
            let next = match page.last() {
                Some(last) if page.len() == PAGE as usize => last.seq.to_string(),
                _ => String::new(),
            };
            Ok((page, next))
        }
    })
    .await?;
    Ok((
        json!(entries.iter().map(entry_json).collect::<Vec<_>>()),
        lines(&entries, entry_line, "no entries"),
    ))
}

/// Runs `stats`.
pub async fn stats(client: &mut Video, since: Option<String>) -> anyhow::Result<(Value, String)> {
    let since = since.map(|s| instant(&s, "--since")).transpose()?;
    let r = client
        .summarise_applications(pb::SummariseApplicationsRequest { since })
        .await?
        .into_inner();
    let mut text = format!("{} applications (依申请公开)", r.total);
    for t in &r.tallies {
        text.push_str(&format!(
            "\n  {:<16} {:<10} {:<8} {:>5}",
            name(t.purpose().as_str_name(), "PURPOSE_"),
            name(t.state().as_str_name(), "APPLICATION_STATE_"),
            name(t.decision().as_str_name(), "DECISION_"),
            t.count
        ));
    }
    Ok((
        json!({"total": r.total, "tallies": r.tallies.iter().map(|t| json!({
            "purpose": name(t.purpose().as_str_name(), "PURPOSE_"),
            "state": name(t.state().as_str_name(), "APPLICATION_STATE_"),
            "decision": name(t.decision().as_str_name(), "DECISION_"),
            "count": t.count,
        })).collect::<Vec<_>>()}),
        text,
    ))
}
