//! `weigrid ticket …` and `weigrid stats`: ticket dispatch from the command line.

use anyhow::Context as _;
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use clap::Subcommand;
use proto::dispatch::v1 as pb;
use serde_json::{Value, json};

use crate::connect::Dispatch;

/// Ticket commands.
#[derive(Subcommand)]
pub enum TicketCommand {
    /// Takes a ticket in.
    Create {
        /// HOTLINE_12345, NON_POLICE_110, GRID_PATROL, VILLAGER_APP, VIDEO_ALARM, CROSS_BORDER or DEPARTMENT.
        #[arg(long)]
        channel: String,
        /// The channel's own reference (the 12345 order number).
        #[arg(long, default_value = "")]
        reference: String,
        /// Category code, e.g. SANITATION.
        #[arg(long)]
        category: String,
        #[arg(long)]
        title: String,
        #[arg(long, default_value = "")]
        description: String,
        /// A point as LAT,LNG.
        #[arg(long)]
        at: Option<String>,
        /// The micro-grid cannot settle it alone.
        #[arg(long)]
        difficult: bool,
        #[arg(long, default_value = "")]
        phone: String,
    },
    /// Lists tickets.
    List {
        /// all, mine, desk or overdue.
        #[arg(long, default_value = "all")]
        queue: String,
        /// Only in this state, e.g. DISPATCHED.
        #[arg(long)]
        state: Option<String>,
        #[arg(long)]
        channel: Option<String>,
        #[arg(long)]
        grid: Option<String>,
        #[arg(long, default_value_t = 50)]
        limit: u32,
    },
    /// Shows a ticket with its history.
    Show { ticket: String },
    /// Dispatches a ticket (desk): along the responsibility chain, or to --unit with a --reason.
    Dispatch {
        ticket: String,
        /// KIND:CODE, e.g. DEPARTMENT:URBAN_MANAGEMENT.
        #[arg(long)]
        unit: Option<String>,
        /// Co-handlers of a multi-department case, KIND:CODE (repeatable).
        #[arg(long)]
        co: Vec<String>,
        #[arg(long, default_value = "")]
        reason: String,
    },
    /// Signs for a ticket (签收).
    Accept { ticket: String },
    /// Reports a ticket resolved (办结) with what was done.
    Resolve {
        ticket: String,
        #[arg(long)]
        result: String,
    },
    /// Records the town's check (核查); --untrue sends it back.
    Verify {
        ticket: String,
        #[arg(long)]
        untrue: bool,
    },
    /// Records the reporter's rating (回访), 1–5.
    FollowUp {
        ticket: String,
        #[arg(long)]
        satisfaction: u32,
    },
    /// Closes a ticket; --unreachable when the reporter could not be asked.
    Close {
        ticket: String,
        #[arg(long)]
        unreachable: bool,
    },
    /// Reopens a ticket (the desk); --cause report-untrue when the report
    /// itself proved untrue (a villager's points for it are reversed).
    Reopen {
        ticket: String,
        #[arg(long)]
        reason: String,
        /// not-solved, result-untrue, unsatisfied or report-untrue.
        #[arg(long, default_value = "not-solved")]
        cause: String,
    },
    /// Hands a ticket back to the desk (退单).
    Return {
        ticket: String,
        #[arg(long)]
        reason: String,
    },
    /// Asks for more working days (延期).
    Extend {
        ticket: String,
        #[arg(long)]
        days: u32,
        #[arg(long)]
        reason: String,
    },
}

fn enum_name(name: &str, prefix: &str) -> String {
    name.strip_prefix(prefix).unwrap_or(name).to_owned()
}

fn state(value: i32) -> String {
    match pb::TicketState::try_from(value).unwrap_or_default() {
        pb::TicketState::Unspecified => "—".to_owned(),
        state => enum_name(state.as_str_name(), "TICKET_STATE_"),
    }
}

fn channel(value: i32) -> String {
    enum_name(
        pb::Channel::try_from(value)
            .unwrap_or_default()
            .as_str_name(),
        "CHANNEL_",
    )
}

/// Returns a time in Shanghai, to the minute.
pub fn time(ts: &Option<prost_types::Timestamp>) -> String {
    ts.as_ref()
        .and_then(|t| DateTime::from_timestamp(t.seconds, 0))
        .map(|t| {
            t.with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).expect("UTC+8"))
                .format("%Y-%m-%d %H:%M")
                .to_string()
        })
        .unwrap_or_default()
}

/// Returns a ticket as JSON.
pub fn ticket_json(t: &pb::Ticket) -> Value {
    json!({
        "id": t.id, "number": t.number, "channel": channel(t.channel), "external_ref": t.external_ref,
        "category": t.category_code, "title": t.title, "state": state(t.state), "unrouted": t.unrouted,
        "micro_grid": t.micro_grid_code, "village": t.village_code,
        "assignee": t.assignee.as_ref().map(|u| json!({ "kind": u.kind, "code": u.code, "name": u.name })),
        "received_at": time(&t.received_at), "dispatched_at": time(&t.dispatched_at), "due_at": time(&t.due_at),
        "returns": t.returns, "satisfaction": t.satisfaction, "reporter_phone": t.reporter_phone_masked,
        "tasks": t.tasks.iter().map(|k| json!({ "id": k.id, "unit": k.unit.as_ref().map(|u| &u.code), "state": k.state, "due_at": time(&k.due_at) })).collect::<Vec<_>>(),
        "history": t.history.iter().map(|h| json!({
            "at": time(&h.at), "actor": h.actor, "from": state(h.from_state), "to": state(h.to_state), "reason": h.reason,
            "unit": h.unit.as_ref().map(|u| &u.code),
        })).collect::<Vec<_>>(),
    })
}

/// Returns a ticket as text.
pub fn ticket_text(t: &pb::Ticket) -> String {
    let assignee = t
        .assignee
        .as_ref()
        .map(|u| format!("{} {} ({})", u.code, u.name, u.kind))
        .unwrap_or_default();
    let mut text = format!(
        "{} {}  [{}]{}\n  {} · {} · {}\n  at {} (village {})  holder: {}\n  received {}  dispatched {}  due {}\n",
        t.number,
        t.title,
        state(t.state),
        if t.unrouted { " unrouted" } else { "" },
        channel(t.channel),
        t.category_code,
        t.external_ref,
        t.micro_grid_code,
        t.village_code,
        assignee,
        time(&t.received_at),
        time(&t.dispatched_at),
        time(&t.due_at)
    );
    for k in &t.tasks {
        text += &format!(
            "  task {} {} due {}\n",
            k.unit.as_ref().map(|u| u.code.as_str()).unwrap_or_default(),
            k.state,
            time(&k.due_at)
        );
    }
    for h in &t.history {
        text += &format!(
            "  {}  {:<12} → {:<12} {} {}\n",
            time(&h.at),
            state(h.from_state),
            state(h.to_state),
            h.actor,
            h.reason
        );
    }
    text
}

async fn find(client: &mut Dispatch, ticket: &str) -> anyhow::Result<pb::Ticket> {
    let request = if ticket.contains('-') && !ticket.starts_with("01") {
        pb::GetTicketRequest {
            number: ticket.into(),
            ..Default::default()
        }
    } else {
        pb::GetTicketRequest {
            id: ticket.into(),
            ..Default::default()
        }
    };
    client
        .get_ticket(request)
        .await?
        .into_inner()
        .ticket
        .context("no ticket in the answer")
}

fn unit(spec: &str) -> anyhow::Result<pb::Unit> {
    let (kind, code) = spec
        .split_once(':')
        .context("a unit is KIND:CODE, e.g. DEPARTMENT:POLICE")?;
    Ok(pb::Unit {
        kind: kind.to_uppercase(),
        code: code.into(),
        name: String::new(),
    })
}

/// Runs a ticket command; returns the JSON answer and its text.
///
/// # Errors
/// A refused call or bad arguments.
pub async fn run(client: &mut Dispatch, command: TicketCommand) -> anyhow::Result<(Value, String)> {
    let key = uuid::Uuid::now_v7().to_string();
    let move_ticket = |ticket: &pb::Ticket, action: pb::Action| pb::TransitionRequest {
        idempotency_key: key.clone(),
        ticket_id: ticket.id.clone(),
        action: action.into(),
        ..Default::default()
    };
    let ticket = match command {
        TicketCommand::Create {
            channel,
            reference,
            category,
            title,
            description,
            at,
            difficult,
            phone,
        } => {
            let channel =
                pb::Channel::from_str_name(&format!("CHANNEL_{}", channel.to_uppercase()))
                    .with_context(|| format!("--channel: unknown channel {channel}"))?;
            let location = match at {
                Some(at) => {
                    let (lat, lng) = at
                        .split_once(',')
                        .and_then(|(a, b)| Some((a.trim().parse().ok()?, b.trim().parse().ok()?)))
                        .context("--at takes LAT,LNG")?;
                    Some(pb::LatLng { lat, lng })
                }
                None => None,
            };
            let request = pb::CreateTicketRequest {
                idempotency_key: if reference.is_empty() {
                    key.clone()
                } else {
                    String::new()
                },
                channel: channel.into(),
                external_ref: reference,
                category_code: category,
                title,
                description,
                location,
                difficult,
                reporter_phone: phone,
            };
            client.create_ticket(request).await?.into_inner().ticket
        }
        TicketCommand::List {
            queue,
            state: wanted,
            channel: wanted_channel,
            grid,
            limit,
        } => {
            let queue = match queue.as_str() {
                "all" => 0,
                "mine" => 1,
                "desk" => 2,
                "overdue" => 3,
                other => anyhow::bail!("--queue: {other} is not all, mine, desk or overdue"),
            };
            let states = wanted
                .iter()
                .map(|s| {
                    pb::TicketState::from_str_name(&format!("TICKET_STATE_{}", s.to_uppercase()))
                        .map(|s| s as i32)
                        .context("--state: unknown state")
                })
                .collect::<anyhow::Result<Vec<_>>>()?;
            let channels = wanted_channel
                .iter()
                .map(|c| {
                    pb::Channel::from_str_name(&format!("CHANNEL_{}", c.to_uppercase()))
                        .map(|c| c as i32)
                        .context("--channel: unknown channel")
                })
                .collect::<anyhow::Result<Vec<_>>>()?;
            let tickets = client
                .list_tickets(pb::ListTicketsRequest {
                    queue,
                    states,
                    channels,
                    grid_code: grid.unwrap_or_default(),
                    page_size: limit,
                    ..Default::default()
                })
                .await?
                .into_inner()
                .tickets;
            let mut text = String::new();
            for t in &tickets {
                let holder = t
                    .assignee
                    .as_ref()
                    .map(|u| u.code.as_str())
                    .unwrap_or_default();
                text += &format!(
                    "{:<16} {:<12} {:<15} {:<18} {:<16} due {}  {}\n",
                    t.number,
                    state(t.state),
                    channel(t.channel),
                    t.category_code,
                    holder,
                    time(&t.due_at),
                    t.title
                );
            }
            text += &format!("{} tickets", tickets.len());
            return Ok((
                Value::Array(tickets.iter().map(ticket_json).collect()),
                text,
            ));
        }
        TicketCommand::Show { ticket } => Some(find(client, &ticket).await?),
        TicketCommand::Dispatch {
            ticket,
            unit: chosen,
            co,
            reason,
        } => {
            let t = find(client, &ticket).await?;
            let mut request = move_ticket(&t, pb::Action::Dispatch);
            request.unit = chosen.as_deref().map(unit).transpose()?;
            request.co_handlers = co.iter().map(|c| unit(c)).collect::<anyhow::Result<_>>()?;
            request.reason = reason;
            client.transition(request).await?.into_inner().ticket
        }
        TicketCommand::Accept { ticket } => {
            let t = find(client, &ticket).await?;
            client
                .transition(move_ticket(&t, pb::Action::Accept))
                .await?
                .into_inner()
                .ticket
        }
        TicketCommand::Resolve { ticket, result } => {
            let t = find(client, &ticket).await?;
            let mut request = move_ticket(&t, pb::Action::Resolve);
            request.result = result;
            client.transition(request).await?.into_inner().ticket
        }
        TicketCommand::Verify { ticket, untrue } => {
            let t = find(client, &ticket).await?;
            let mut request = move_ticket(&t, pb::Action::Verify);
            request.verified_true = !untrue;
            client.transition(request).await?.into_inner().ticket
        }
        TicketCommand::FollowUp {
            ticket,
            satisfaction,
        } => {
            let t = find(client, &ticket).await?;
            let mut request = move_ticket(&t, pb::Action::FollowUp);
            request.satisfaction = satisfaction;
            client.transition(request).await?.into_inner().ticket
        }
        TicketCommand::Close {
            ticket,
            unreachable,
        } => {
            let t = find(client, &ticket).await?;
            let mut request = move_ticket(&t, pb::Action::Close);
            request.reporter_unreachable = unreachable;
            client.transition(request).await?.into_inner().ticket
        }
        TicketCommand::Reopen {
            ticket,
            reason,
            cause,
        } => {
            let cause = pb::ReopenCause::from_str_name(&format!(
                "REOPEN_CAUSE_{}",
                cause.to_uppercase().replace('-', "_")
            ))
            .with_context(|| format!("--cause: unknown cause {cause}"))?;
            let t = find(client, &ticket).await?;
            let mut request = move_ticket(&t, pb::Action::Reopen);
            request.reason = reason;
            request.reopen_cause = cause.into();
            client.transition(request).await?.into_inner().ticket
        }
        TicketCommand::Return { ticket, reason } => {
            let t = find(client, &ticket).await?;
            let mut request = move_ticket(&t, pb::Action::Return);
            request.reason = reason;
            client.transition(request).await?.into_inner().ticket
        }
        TicketCommand::Extend {
            ticket,
            days,
            reason,
        } => {
            let t = find(client, &ticket).await?;
            let asked = client
                .request_extension(pb::RequestExtensionRequest {
                    idempotency_key: key.clone(),
                    ticket_id: t.id,
                    days,
                    reason,
                })
                .await?
                .into_inner();
            let text = format!(
                "extension {} requested: {days} working days, waiting for the desk",
                asked.extension_id
            );
            return Ok((
                json!({ "extension_id": asked.extension_id, "days": days }),
                text,
            ));
        }
    };
    let ticket = ticket.context("no ticket in the answer")?;
    Ok((ticket_json(&ticket), ticket_text(&ticket)))
}

/// Returns `[from, to)` for a year, or for explicit dates (Shanghai days).
///
/// # Errors
/// Unparseable dates.
pub fn period(
    year: Option<i32>,
    from: Option<&str>,
    to: Option<&str>,
) -> anyhow::Result<(DateTime<Utc>, DateTime<Utc>)> {
    let tz = chrono::FixedOffset::east_opt(8 * 3600).expect("UTC+8");
    let day = |s: &str| -> anyhow::Result<DateTime<Utc>> {
        let date: NaiveDate = s
            .parse()
            .with_context(|| format!("{s} is not a date (YYYY-MM-DD)"))?;
        Ok(tz
            .from_local_datetime(&date.and_hms_opt(0, 0, 0).expect("midnight"))
            .single()
            .expect("UTC+8")
            .with_timezone(&Utc))
    };
    match (year, from, to) {
        (_, Some(from), Some(to)) => Ok((day(from)?, day(to)?)),
        (Some(year), _, _) => Ok((
            day(&format!("{year}-01-01"))?,
            day(&format!("{}-01-01", year + 1))?,
        )),
        _ => anyhow::bail!("give --year, or --from and --to"),
    }
}

/// Returns the annual report as text: per channel, and the lines in the
/// shape the town reports them.
pub fn report_text(stats: &pb::GetStatisticsResponse) -> String {
    let pct = |x: f64| format!("{:.1}%", 100.0 * x);
    let mut text = format!(
        "{:<16} {:>8} {:>8} {:>9} {:>9} {:>9} {:>9} {:>10} {:>10}\n",
        "channel",
        "received",
        "closed",
        "closure",
        "on time",
        "solved",
        "satisfied",
        "dispatch",
        "close"
    );
    let line = |s: &pb::Statistics| {
        format!(
            "{:<16} {:>8} {:>8} {:>9} {:>9} {:>9} {:>9} {:>8.0}m {:>8.1}h\n",
            if s.key.is_empty() {
                "total"
            } else {
                s.key.as_str()
            },
            s.received,
            s.closed,
            pct(s.closure_rate),
            pct(s.on_time_rate),
            pct(s.resolution_rate),
            if s.rated == 0 {
                "—".to_owned()
            } else {
                pct(s.satisfaction_rate)
            },
            s.avg_minutes_to_dispatch,
            s.avg_hours_to_close
        )
    };
    for group in &stats.groups {
        text += &line(group);
    }
    if let Some(total) = &stats.total {
        text += &line(total);
    }
    let by = |key: &str| {
        stats
            .groups
            .iter()
            .find(|g| g.key == key)
            .cloned()
            .unwrap_or_default()
    };
    let (p110, p12345, patrol) = (by("NON_POLICE_110"), by("HOTLINE_12345"), by("GRID_PATROL"));
    text += &format!(
        "\n办结“110”非警务警情案件{}件；各级网格力量自查整改各类安全隐患{}条，整改率{}；办结“12345”工单{}件，办结率{}。\n",
        p110.closed,
        patrol.closed,
        pct(patrol.hazard_rectification_rate),
        p12345.closed,
        pct(p12345.closure_rate)
    );
    text
}
