//! `weigrid video …`: the cameras video ingest knows, one camera, the
//! health of the devices (online and offline, by kind and owner),
//! incidents, and (in `video_evidence`) evidence and disclosure.

use anyhow::Context as _;
use clap::{Subcommand, ValueEnum};
use proto::video::v1 as pb;
use serde_json::{Value, json};

use super::video_evidence::{self as evidence, ApplyArgs, EvidenceCommand, ReviewArgs, VerifyArgs};
use crate::connect::{PAGE_SIZE, Video, all_pages};
use crate::output::Output;
use crate::render::{enum_name as name, time};

/// Video ingest commands.
#[derive(Subcommand)]
pub enum VideoCommand {
    /// Lists cameras, by kind, owner, grid and the device's status.
    Cameras {
        #[arg(long, value_enum, ignore_case = true)]
        kind: Option<Kind>,
        #[arg(long, value_enum, ignore_case = true)]
        owner: Option<OwnerKind>,
        /// Only cameras in this grid or below it, e.g. LX-V01.
        #[arg(long)]
        grid: Option<String>,
        #[arg(long, value_enum, ignore_case = true)]
        status: Option<Status>,
        /// At most this many (0: all).
        #[arg(long, default_value_t = 0)]
        limit: usize,
    },
    /// Shows one camera by its 20-digit channel code.
    Camera { channel_id: String },
    /// Sets a device's SIP password (8–64 characters), read from the first
    /// line of standard input so that it stays out of the shell's history:
    /// the device registers with it (Digest, its 20-digit code as the
    /// user). The device keeps its name, owner and channels.
    Password { device_id: String },
    /// Counts cameras by kind, owner and their device's status, with the
    /// share online; with --over, the online rate (在线率) of each day (or
    /// hour) of the last DAYS days, per owner or grid, from the devices'
    /// status history.
    Health {
        /// The online rate over the last DAYS days (today included).
        #[arg(long, value_name = "DAYS", value_parser = clap::value_parser!(u32).range(1..=366))]
        over: Option<u32>,
        /// Per owner (the town, each enterprise) or per grid.
        #[arg(
            long,
            value_enum,
            ignore_case = true,
            default_value = "owner",
            requires = "over"
        )]
        by: RateBy,
        /// Hourly rather than daily (at most 31 days).
        #[arg(long, requires = "over")]
        hourly: bool,
    },
    /// Lists incidents (analytic events and alarms grouped per camera and
    /// kind), newest first; with --id, one incident with its events and
    /// the tickets it asked for.
    Incidents {
        /// Only this camera's (20-digit channel code).
        #[arg(long)]
        camera: Option<String>,
        #[arg(long, value_enum, ignore_case = true)]
        kind: Option<IncidentKind>,
        /// One incident, with its events and tickets.
        #[arg(long)]
        id: Option<String>,
    },
    /// Evidence clips: record, list, hold, release.
    #[command(subcommand)]
    Evidence(EvidenceCommand),
    /// Checks the custody log's chain and the clips (each manifest against
    /// the log, each file against its SHA-256), naming the first broken
    /// link; offline with --database-url and --store.
    Verify(VerifyArgs),
    /// Registers an application to see footage (依申请公开).
    Apply(ApplyArgs),
    /// Lists applications (applicants masked); with --id, one, and with
    /// --for-review its applicant whole (logged).
    Applications {
        #[arg(long)]
        id: Option<String>,
        #[arg(long, requires = "id")]
        for_review: bool,
    },
    /// Approves an application as a viewing or a copy, or refuses it.
    Review(ReviewArgs),
    /// Issues the redacted copy of an application approved as a copy.
    Issue { application: String },
    /// Records a supervised viewing, or hands over the issued copy
    /// (written to --out).
    View {
        application: String,
        #[arg(long)]
        out: Option<std::path::PathBuf>,
    },
    /// The custody and access log, of a clip or an application.
    AccessLog {
        #[arg(long)]
        clip: Option<String>,
        #[arg(long)]
        application: Option<String>,
    },
    /// Applications by purpose and outcome.
    Stats {
        /// Only those submitted since (RFC 3339).
        #[arg(long)]
        since: Option<String>,
    },
}

/// What an incident is of (`--kind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum IncidentKind {
    Fire,
    IllegalDumping,
    StrawBurning,
    Intrusion,
    DeviceAlarm,
}

impl From<IncidentKind> for pb::IncidentKind {
    fn from(kind: IncidentKind) -> Self {
        match kind {
            IncidentKind::Fire => pb::IncidentKind::Fire,
            IncidentKind::IllegalDumping => pb::IncidentKind::IllegalDumping,
            IncidentKind::StrawBurning => pb::IncidentKind::StrawBurning,
            IncidentKind::Intrusion => pb::IncidentKind::Intrusion,
            IncidentKind::DeviceAlarm => pb::IncidentKind::DeviceAlarm,
        }
    }
}

/// What the online rate is per (`--by`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RateBy {
    Owner,
    Grid,
}

impl From<RateBy> for pb::RateGrouping {
    fn from(by: RateBy) -> Self {
        match by {
            RateBy::Owner => pb::RateGrouping::Owner,
            RateBy::Grid => pb::RateGrouping::Grid,
        }
    }
}

/// A camera's kind (`--kind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Kind {
    General,
    Capture,
    Face,
    Plate,
    Thermal,
}

impl From<Kind> for pb::CameraKind {
    fn from(kind: Kind) -> Self {
        match kind {
            Kind::General => pb::CameraKind::General,
            Kind::Capture => pb::CameraKind::Capture,
            Kind::Face => pb::CameraKind::Face,
            Kind::Plate => pb::CameraKind::Plate,
            Kind::Thermal => pb::CameraKind::Thermal,
        }
    }
}

/// Who owns a device (`--owner`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OwnerKind {
    Town,
    Enterprise,
}

impl From<OwnerKind> for pb::OwnerKind {
    fn from(kind: OwnerKind) -> Self {
        match kind {
            OwnerKind::Town => pb::OwnerKind::Town,
            OwnerKind::Enterprise => pb::OwnerKind::Enterprise,
        }
    }
}

/// A device's status (`--status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Status {
    Unregistered,
    Online,
    Offline,
}

impl From<Status> for pb::DeviceStatus {
    fn from(status: Status) -> Self {
        match status {
            Status::Unregistered => pb::DeviceStatus::Unregistered,
            Status::Online => pb::DeviceStatus::Online,
            Status::Offline => pb::DeviceStatus::Offline,
        }
    }
}

fn camera_json(c: &pb::Camera) -> Value {
    let owner = c.owner.clone().unwrap_or_default();
    let at = c.location.unwrap_or_default();
    json!({
        "channel_id": c.channel_id, "device_id": c.device_id, "name": c.name,
        "kind": name(c.kind().as_str_name(), "CAMERA_KIND_"),
        "owner": { "kind": name(owner.kind().as_str_name(), "OWNER_KIND_"), "code": owner.code, "name": owner.name },
        "location": { "lat": at.lat, "lng": at.lng },
        "grid": c.grid_code, "village": c.village_code, "stream_ref": c.stream_ref,
        "device_status": name(c.device_status().as_str_name(), "DEVICE_STATUS_"),
        "reported_status": c.reported_status, "updated_at": time(&c.updated_at),
    })
}

fn camera_line(c: &pb::Camera) -> String {
    let owner = c.owner.clone().unwrap_or_default();
    format!(
        "{}  {:<8} {:<12} {:<13} {:<12} {}",
        c.channel_id,
        name(c.kind().as_str_name(), "CAMERA_KIND_"),
        name(c.device_status().as_str_name(), "DEVICE_STATUS_"),
        c.grid_code,
        if owner.code.is_empty() {
            name(owner.kind().as_str_name(), "OWNER_KIND_")
        } else {
            owner.code
        },
        c.name
    )
}

fn incident_json(i: &pb::Incident) -> Value {
    json!({
        "incident_id": i.incident_id, "channel_id": i.channel_id, "device_id": i.device_id,
        "kind": name(i.kind().as_str_name(), "INCIDENT_KIND_"), "grid": i.grid_code,
        "first_at": time(&i.first_at), "last_at": time(&i.last_at),
        "events": i.events, "max_score": i.max_score,
        "history": i.history.iter().map(|e| json!({
            "event_id": e.event_id, "phase": name(e.phase().as_str_name(), "EVENT_PHASE_"),
            "track_id": e.track_id, "object_type": e.object_type, "score": e.score,
            "snapshot_ref": e.snapshot_ref, "snapshot_sha256": e.snapshot_sha256,
            "alarm_id": e.alarm_id, "occurred_at": time(&e.occurred_at),
        })).collect::<Vec<_>>(),
        "tickets": i.tickets.iter().map(|t| json!({
            "rule": t.rule_code, "unit_kind": t.unit_kind, "unit_code": t.unit_code,
            "priority": t.priority, "ticket_ref": t.ticket_ref, "requested_at": time(&t.requested_at),
        })).collect::<Vec<_>>(),
    })
}

fn incident_line(i: &pb::Incident) -> String {
    format!(
        "{}  {:<15} {}  {:<10} {:>3} events  top {:.2}  {} – {}",
        i.incident_id,
        name(i.kind().as_str_name(), "INCIDENT_KIND_"),
        i.channel_id,
        i.grid_code,
        i.events,
        i.max_score,
        time(&i.first_at),
        time(&i.last_at),
    )
}

/// Returns `part` of `whole` as a percentage, to one decimal.
fn share(part: u32, whole: u32) -> f64 {
    if whole == 0 {
        0.0
    } else {
        (f64::from(part) * 1000.0 / f64::from(whole)).round() / 10.0
    }
}

fn counts_json(counts: &[pb::CameraCount]) -> Value {
    counts
        .iter()
        .map(|c| (c.key.clone(), json!(c.cameras)))
        .collect::<serde_json::Map<_, _>>()
        .into()
}

fn counts_text(title: &str, counts: &[pb::CameraCount]) -> String {
    let mut out = format!("{title}:\n");
    for c in counts {
        out.push_str(&format!("  {:<14} {:>6}\n", c.key, c.cameras));
    }
    out
}

impl VideoCommand {
    /// Returns whether the command runs without the service (`verify`
    /// over a database and a store directory).
    pub fn is_offline(&self) -> bool {
        matches!(self, VideoCommand::Verify(args) if args.database_url.is_some())
    }

    /// Runs an offline command and prints its answer.
    ///
    /// # Errors
    /// The database or the store cannot be read.
    pub async fn execute_offline(self, output: Output) -> anyhow::Result<()> {
        let VideoCommand::Verify(args) = self else {
            anyhow::bail!("this command needs video ingest");
        };
        let (value, text) = evidence::verify_offline(args).await?;
        output.print(&value, || text);
        crate::render::fail_unless_intact(&value)
    }

    /// Runs the command and prints its answer.
    ///
    /// # Errors
    /// The service's status.
    pub async fn execute(self, client: &mut Video, output: Output) -> anyhow::Result<()> {
        let verifying = matches!(self, VideoCommand::Verify(_));
        let (value, text) = answer(client, self).await?;
        output.print(&value, || text);
        if verifying {
            crate::render::fail_unless_intact(&value)?;
        }
        Ok(())
    }
}

/// Runs a video command; returns its answer as JSON and as text.
async fn answer(client: &mut Video, command: VideoCommand) -> anyhow::Result<(Value, String)> {
    let key = uuid::Uuid::now_v7().to_string();
    Ok(match command {
        VideoCommand::Evidence(command) => evidence::evidence(client, command, key).await?,
        VideoCommand::Verify(args) => evidence::verify(client, args).await?,
        VideoCommand::Apply(args) => evidence::apply(client, args, key).await?,
        VideoCommand::Applications { id, for_review } => {
            evidence::applications(client, id, for_review).await?
        }
        VideoCommand::Review(args) => evidence::review(client, args, key).await?,
        VideoCommand::Issue { application } => evidence::issue(client, application, key).await?,
        VideoCommand::View { application, out } => evidence::view(client, application, out).await?,
        VideoCommand::AccessLog { clip, application } => {
            evidence::access_log(client, clip, application).await?
        }
        VideoCommand::Stats { since } => evidence::stats(client, since).await?,
        VideoCommand::Cameras {
            kind,
            owner,
            grid,
            status,
            limit,
        } => {
            let request = pb::ListCamerasRequest {
                kind: kind.map_or(0, |k| pb::CameraKind::from(k).into()),
                owner_kind: owner.map_or(0, |o| pb::OwnerKind::from(o).into()),
                grid_code: grid.unwrap_or_default(),
                device_status: status.map_or(0, |s| pb::DeviceStatus::from(s).into()),
                page_size: PAGE_SIZE,
                page_token: String::new(),
            };
            let mut cameras = all_pages(|page_token| {
                let mut c = client.clone();
                let request = pb::ListCamerasRequest {
                    page_token,
                    ..request.clone()
                };
                async move {
                    let page = c.list_cameras(request).await?.into_inner();
                    Ok((page.cameras, page.next_page_token))
                }
            })
            .await?;
            if limit > 0 {
                cameras.truncate(limit);
            }
            let text = if cameras.is_empty() {
                "no cameras".to_owned()
            } else {
                cameras
                    .iter()
                    .map(camera_line)
                    .collect::<Vec<_>>()
                    .join("\n")
            };
            (
                json!(cameras.iter().map(camera_json).collect::<Vec<_>>()),
                text,
            )
        }
        VideoCommand::Password { device_id } => set_password(client, device_id, &key).await?,
        VideoCommand::Camera { channel_id } => {
            let c = client
                .get_camera(pb::GetCameraRequest { channel_id })
                .await?
                .into_inner()
                .camera
                .context("no camera in the answer")?;
            let owner = c.owner.clone().unwrap_or_default();
            let at = c.location.unwrap_or_default();
            let text = format!(
                "{} {}\n  kind {}  device {} ({})\n  owner {}{}\n  at {:.6},{:.6} in {} ({})\n  stream {}\n  updated {}",
                c.channel_id,
                c.name,
                name(c.kind().as_str_name(), "CAMERA_KIND_"),
                c.device_id,
                name(c.device_status().as_str_name(), "DEVICE_STATUS_"),
                name(owner.kind().as_str_name(), "OWNER_KIND_"),
                if owner.code.is_empty() {
                    String::new()
                } else {
                    format!(" {} {}", owner.code, owner.name)
                },
                at.lat,
                at.lng,
                c.grid_code,
                c.village_code,
                c.stream_ref,
                time(&c.updated_at),
            );
            (camera_json(&c), text)
        }
        VideoCommand::Incidents {
            id: Some(incident_id),
            ..
        } => {
            let i = client
                .get_incident(pb::GetIncidentRequest { incident_id })
                .await?
                .into_inner()
                .incident
                .context("no incident in the answer")?;
            let mut text = incident_line(&i);
            for e in &i.history {
                text.push_str(&format!(
                    "\n  {} {:<6} {} {:.2} {}{}",
                    time(&e.occurred_at),
                    name(e.phase().as_str_name(), "EVENT_PHASE_"),
                    e.object_type,
                    e.score,
                    e.snapshot_ref,
                    if e.alarm_id.is_empty() {
                        String::new()
                    } else {
                        format!("alarm {}", e.alarm_id)
                    },
                ));
            }
            for t in &i.tickets {
                text.push_str(&format!(
                    "\n  ticket {} {} {} {} ({})",
                    t.priority, t.unit_kind, t.unit_code, t.ticket_ref, t.rule_code
                ));
            }
            (incident_json(&i), text)
        }
        VideoCommand::Incidents { camera, kind, .. } => {
            let found = client
                .list_incidents(pb::ListIncidentsRequest {
                    channel_id: camera.unwrap_or_default(),
                    kind: kind.map_or(0, |k| pb::IncidentKind::from(k).into()),
                    page_size: 500,
                })
                .await?
                .into_inner()
                .incidents;
            let text = if found.is_empty() {
                "no incidents".to_owned()
            } else {
                found
                    .iter()
                    .map(incident_line)
                    .collect::<Vec<_>>()
                    .join("\n")
            };
            (
                json!(found.iter().map(incident_json).collect::<Vec<_>>()),
                text,
            )
        }
        VideoCommand::Health {
            over: Some(days),
            by,
            hourly,
        } => online_rate(client, days, by, hourly).await?,
        VideoCommand::Health { over: None, .. } => {
            let s = client
                .summarise_cameras(pb::SummariseCamerasRequest {})
                .await?
                .into_inner();
            let online = s
                .by_device_status
                .iter()
                .find(|c| c.key == "ONLINE")
                .map_or(0, |c| c.cameras);
            let rate = share(online, s.cameras);
            let text = format!(
                "{} cameras on {} devices ({} enterprises monitored); {online} online ({rate}%)\n{}{}{}",
                s.cameras,
                s.devices,
                s.enterprises,
                counts_text("by device status", &s.by_device_status),
                counts_text("by kind", &s.by_kind),
                counts_text("by owner", &s.by_owner),
            );
            (
                json!({
                    "cameras": s.cameras, "devices": s.devices, "enterprises": s.enterprises,
                    "online": online, "online_percent": rate,
                    "by_device_status": counts_json(&s.by_device_status),
                    "by_kind": counts_json(&s.by_kind), "by_owner": counts_json(&s.by_owner),
                }),
                text,
            )
        }
    })
}

/// Sets `device_id`'s SIP password from standard input, keeping the rest
/// of the device as it is.
async fn set_password(
    client: &mut Video,
    device_id: String,
    key: &str,
) -> anyhow::Result<(Value, String)> {
    let mut password = String::new();
    std::io::stdin()
        .read_line(&mut password)
        .context("reading the password from standard input")?;
    let password = password.trim_end_matches(['\r', '\n']).to_owned();
    anyhow::ensure!(!password.is_empty(), "no password on standard input");
    let device = client
        .get_device(pb::GetDeviceRequest {
            device_id: device_id.clone(),
        })
        .await?
        .into_inner()
        .device
        .context("no device in the answer")?;
    let channels = device
        .channels
        .iter()
        .map(|c| pb::ChannelSpec {
            channel_id: c.channel_id.clone(),
            name: c.name.clone(),
            kind: c.kind,
            location: c.location.as_ref().map(|l| pb::LatLng {
                lat: l.lat,
                lng: l.lng,
            }),
            stream_ref: c.stream_ref.clone(),
        })
        .collect();
    let put = client
        .put_device(pb::PutDeviceRequest {
            idempotency_key: key.to_owned(),
            device_id,
            name: device.name,
            owner: device.owner,
            password,
            channels,
        })
        .await?
        .into_inner()
        .device
        .context("no device in the answer")?;
    Ok((
        json!({ "device_id": put.device_id, "has_password": put.has_password }),
        format!(
            "{} {}: password set ({} channels)",
            put.device_id,
            put.name,
            put.channels.len()
        ),
    ))
}

/// The online rate over the last `days` days (from the town's midnight
/// `days - 1` days ago until now), per `by`, daily or `hourly`.
async fn online_rate(
    client: &mut Video,
    days: u32,
    by: RateBy,
    hourly: bool,
) -> anyhow::Result<(Value, String)> {
    let town = chrono::FixedOffset::east_opt(8 * 3600).expect("UTC+8");
    let today = chrono::Utc::now().with_timezone(&town).date_naive();
    let first = today - chrono::Days::new(u64::from(days) - 1);
    let from = first
        .and_time(chrono::NaiveTime::MIN)
        .and_local_timezone(town)
        .single()
        .context("the town's midnight")?
        .to_utc();
    let bucket = if hourly {
        pb::RateBucket::Hour
    } else {
        pb::RateBucket::Day
    };
    let found = client
        .summarise_online_rate(pb::SummariseOnlineRateRequest {
            from: Some(prost_types::Timestamp {
                seconds: from.timestamp(),
                nanos: 0,
            }),
            to: None,
            bucket: bucket.into(),
            group_by: pb::RateGrouping::from(by).into(),
        })
        .await?
        .into_inner();
    let percent = |r: &pb::OnlineRate| {
        if r.has_rate {
            format!("{:.1}%", r.rate * 100.0)
        } else {
            "no data".to_owned()
        }
    };
    let mut text = format!(
        "online rate (在线率) {} by {}, from {}{}",
        if hourly { "hourly" } else { "daily" },
        if by == RateBy::Owner { "owner" } else { "grid" },
        first,
        if found.totals.is_empty() {
            "\nno cameras"
        } else {
            ""
        }
    );
    let mut groups = Vec::new();
    for total in &found.totals {
        text.push_str(&format!(
            "\n{} ({}), {} cameras: {} over the window",
            total.name,
            total.key,
            total.cameras,
            percent(total)
        ));
        let buckets: Vec<_> = found.rates.iter().filter(|r| r.key == total.key).collect();
        for r in &buckets {
            text.push_str(&format!(
                "\n  {:<16} {:>8}",
                time(&r.bucket_start),
                percent(r)
            ));
        }
        let json_rate = |r: &pb::OnlineRate| {
            json!({
                "bucket_start": time(&r.bucket_start),
                "rate": r.has_rate.then_some(r.rate),
                "online_camera_hours": r.online_camera_hours,
                "known_camera_hours": r.known_camera_hours,
            })
        };
        groups.push(json!({
            "key": total.key, "name": total.name, "cameras": total.cameras,
            "rate": total.has_rate.then_some(total.rate),
            "buckets": buckets.iter().map(|r| json_rate(r)).collect::<Vec<_>>(),
        }));
    }
    Ok((json!({ "from": first.to_string(), "groups": groups }), text))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::assert_maps_by_name;

    #[test]
    fn kinds_owners_and_statuses_go_out_by_name() {
        assert_maps_by_name::<Kind>("CAMERA_KIND_", |k| pb::CameraKind::from(k).as_str_name());
        assert_maps_by_name::<OwnerKind>("OWNER_KIND_", |o| pb::OwnerKind::from(o).as_str_name());
        assert_maps_by_name::<Status>("DEVICE_STATUS_", |s| {
            pb::DeviceStatus::from(s).as_str_name()
        });
        assert_maps_by_name::<RateBy>("RATE_GROUPING_", |b| {
            pb::RateGrouping::from(b).as_str_name()
        });
        assert_maps_by_name::<IncidentKind>("INCIDENT_KIND_", |k| {
            pb::IncidentKind::from(k).as_str_name()
        });
        assert_maps_by_name::<evidence::Purpose>("PURPOSE_", |p| {
            pb::Purpose::from(p).as_str_name()
        });
        assert_maps_by_name::<evidence::Decision>("DECISION_", |d| {
            pb::Decision::from(d).as_str_name()
        });
    }

    #[test]
    fn the_evidence_and_disclosure_commands_parse() {
        use crate::cli::{Command, parse};
        let offline = parse("weigrid video verify --database-url postgres://a@h/weigrid_video --store /srv/evidence").unwrap();
        let Command::Video(command) = offline.command else {
            panic!("a video command")
        };
        assert!(
            command.is_offline(),
            "verify over a database and a store needs no service"
        );
        let online =
            parse("weigrid video verify --clip 0190a000-0000-7000-8000-000000000000").unwrap();
        let Command::Video(command) = online.command else {
            panic!("a video command")
        };
        assert!(!command.is_offline());
        assert!(
            parse("weigrid video verify --database-url postgres://a@h/v").is_err(),
            "the store is needed too"
        );
        assert!(parse("weigrid video apply --name 王小明 --id-number 310116199001011234 --phone 13812345678 --camera 31011611001310000001 --from 2026-03-02T08:00:00+08:00 --to 2026-03-02T08:30:00+08:00 --purpose vehicle-scrape").is_ok());
        assert!(parse("weigrid video review SQ-2026-000001 --approve copy").is_ok());
        assert!(parse("weigrid video review SQ-2026-000001 --approve copy --refuse no").is_err());
        assert!(
            parse("weigrid video evidence record --camera 31011611001310000001 --from a --to b")
                .is_err(),
            "a clip has files"
        );
        assert!(parse("weigrid video access-log --application SQ-2026-000001").is_ok());
    }

    #[test]
    fn the_online_share_is_a_percentage_to_one_decimal() {
        assert!((share(1, 3) - 33.3).abs() < 1e-9);
        assert!((share(0, 0)).abs() < 1e-9);
        assert!((share(1322, 1322) - 100.0).abs() < 1e-9);
    }
}
