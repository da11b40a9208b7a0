//! `weigrid ticket …`: ticket dispatch from the command line.

use anyhow::Context as _;
use clap::{Subcommand, ValueEnum};
use proto::dispatch::v1 as pb;
use serde_json::{Value, json};

use crate::args::lat_lng;
use crate::connect::Dispatch;
use crate::output::Output;
use crate::render::{enum_name, time};

/// The annual report's text lives with `weigrid stats`; it is named here
/// too, where the replay tool has always found it.
pub use crate::cmd::stats::report_text;

/// Ticket commands.
#[derive(Subcommand)]
pub enum TicketCommand {
    /// Takes a ticket in.
    Create {
        /// The channel it came in by.
        #[arg(long, value_enum, ignore_case = true)]
        channel: Channel,
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
        /// Which queue.
        #[arg(long, value_enum, default_value_t = Queue::All)]
        queue: Queue,
        /// Only in this state.
        #[arg(long, value_enum, ignore_case = true)]
        state: Option<State>,
        /// Only from this channel.
        #[arg(long, value_enum, ignore_case = true)]
        channel: Option<Channel>,
        #[arg(long)]
        grid: Option<String>,
        #[arg(long, default_value_t = 50)]
        limit: u32,
    },
    /// Shows a ticket with its legs (each hand it passed through, on its own deadline) and history.
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
    /// Starts work on a signed-for ticket (办理).
    Start { ticket: String },
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
    /// Records the reporter's rating (回访), 1–5, and whether the problem is
    /// solved (--solved true|false; 实际解决率 counts the last word on it).
    FollowUp {
        ticket: String,
        #[arg(long)]
        satisfaction: u32,
        #[arg(long)]
        solved: Option<bool>,
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
        /// Why it is reopened.
        #[arg(long, value_enum, ignore_case = true, default_value_t = Cause::NotSolved)]
        cause: Cause,
    },
    /// Hands a ticket back (退单) with a structured --why and a --reason
    /// text. not-our-responsibility is settled by the registry: refused when
    /// it names the returning unit, else the ticket goes on to whom it names.
    Return {
        ticket: String,
        #[arg(long)]
        reason: String,
        /// Why it is handed back.
        #[arg(long, value_enum, ignore_case = true)]
        why: Why,
    },
    /// Lists extension requests (the desk): the pending ones, oldest first,
    /// or with a ticket every request of it.
    Extensions { ticket: Option<String> },
    /// Grants an extension request (the desk), or with --refuse REASON
    /// refuses it.
    Decide {
        extension: String,
        #[arg(long)]
        refuse: Option<String>,
    },
    /// A co-handler signs for its task of a multi-department case (协办).
    TaskAccept {
        ticket: String,
        /// The co-handling unit (its code) whose task it is.
        #[arg(long)]
        unit: String,
    },
    /// A co-handler reports its task done, with what was done.
    TaskResolve {
        ticket: String,
        #[arg(long)]
        unit: String,
        #[arg(long)]
        result: String,
    },
    /// A co-handler hands its task back (退单), settled by the registry as a
    /// ticket's return is; anything else, or a second return, goes to the desk.
    TaskReturn {
        ticket: String,
        #[arg(long)]
        unit: String,
        #[arg(long)]
        reason: String,
        /// Why it is handed back.
        #[arg(long, value_enum, ignore_case = true)]
        why: Why,
    },
    /// Pauses a co-handler's task clock (the desk), with a --reason; --resume
    /// starts it again.
    TaskPause {
        ticket: String,
        #[arg(long)]
        unit: String,
        #[arg(long, default_value = "")]
        reason: String,
        #[arg(long)]
        resume: bool,
    },
    /// Rejects a ticket waiting at the desk as not a case (the desk): a
    /// prank, a duplicate by phone, outside the town. Terminal.
    Reject {
        ticket: String,
        /// Why it is not a case.
        #[arg(long, value_enum, ignore_case = true)]
        why: RejectWhy,
        /// What the desk found.
        #[arg(long)]
        note: String,
    },
    /// Refers a ticket waiting at the desk to case review (研判); it moves
    /// again on the review's decision.
    Refer {
        ticket: String,
        /// What the review is asked for.
        #[arg(long, value_enum, ignore_case = true, default_value_t = ReferralKind::LegalRisk)]
        kind: ReferralKind,
        /// The question the review is to answer.
        #[arg(long)]
        question: String,
        /// A party of the case (repeatable): an expert with a declared
        /// interest in one is not seated.
        #[arg(long)]
        party: Vec<String>,
        /// A reference to the case's materials (repeatable).
        #[arg(long)]
        material: Vec<String>,
        /// A major matter: its panel has at least five experts.
        #[arg(long)]
        major: bool,
        #[arg(long)]
        urgent: bool,
    },
    /// Asks for more working days (延期): for the ticket, or with --task
    /// UNIT for that co-handler's task.
    Extend {
        ticket: String,
        #[arg(long)]
        days: u32,
        #[arg(long)]
        reason: String,
        /// The co-handling unit (its code) whose task needs the time.
        #[arg(long)]
        task: Option<String>,
    },
}

/// A channel tickets come in by (`--channel`), spelled as dispatch names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Channel {
    /// A 12345 citizen hotline work order.
    #[value(name = "HOTLINE_12345")]
    Hotline12345,
    /// A 110 non-police incident.
    #[value(name = "NON_POLICE_110")]
    NonPolice110,
    /// A hazard found by a grid patrol.
    #[value(name = "GRID_PATROL")]
    GridPatrol,
    /// A villager's report through the mini-program.
    #[value(name = "VILLAGER_APP")]
    VillagerApp,
    /// A camera alarm.
    #[value(name = "VIDEO_ALARM")]
    VideoAlarm,
    /// A case from a neighbouring town.
    #[value(name = "CROSS_BORDER")]
    CrossBorder,
    /// Raised by a department.
    #[value(name = "DEPARTMENT")]
    Department,
}

impl From<Channel> for pb::Channel {
    fn from(channel: Channel) -> Self {
        match channel {
            Channel::Hotline12345 => pb::Channel::Hotline12345,
            Channel::NonPolice110 => pb::Channel::NonPolice110,
            Channel::GridPatrol => pb::Channel::GridPatrol,
            Channel::VillagerApp => pb::Channel::VillagerApp,
            Channel::VideoAlarm => pb::Channel::VideoAlarm,
            Channel::CrossBorder => pb::Channel::CrossBorder,
            Channel::Department => pb::Channel::Department,
        }
    }
}

/// What a referral asks a review for (`--kind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReferralKind {
    /// Legal risk and consequences.
    #[value(alias = "legal_risk")]
    LegalRisk,
    /// A professional opinion.
    Professional,
    /// Policy.
    Policy,
}

impl From<ReferralKind> for pb::ReferralKind {
    fn from(kind: ReferralKind) -> Self {
        match kind {
            ReferralKind::LegalRisk => pb::ReferralKind::LegalRisk,
            ReferralKind::Professional => pb::ReferralKind::Professional,
            ReferralKind::Policy => pb::ReferralKind::Policy,
        }
    }
}

/// A ticket's state (`--state`), spelled as tickets show it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
#[value(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum State {
    Received,
    Dispatched,
    Accepted,
    InProgress,
    Resolved,
    Verified,
    FollowedUp,
    Closed,
    Returned,
    Reopened,
    UnderReview,
    Rejected,
}

impl From<State> for pb::TicketState {
    fn from(state: State) -> Self {
        match state {
            State::Received => pb::TicketState::Received,
            State::Dispatched => pb::TicketState::Dispatched,
            State::Accepted => pb::TicketState::Accepted,
            State::InProgress => pb::TicketState::InProgress,
            State::Resolved => pb::TicketState::Resolved,
            State::Verified => pb::TicketState::Verified,
            State::FollowedUp => pb::TicketState::FollowedUp,
            State::Closed => pb::TicketState::Closed,
            State::Returned => pb::TicketState::Returned,
            State::Reopened => pb::TicketState::Reopened,
            State::UnderReview => pb::TicketState::UnderReview,
            State::Rejected => pb::TicketState::Rejected,
        }
    }
}

/// Which tickets `weigrid ticket list` shows (`--queue`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Queue {
    /// Every ticket the caller may see.
    All,
    /// Tickets held by the caller's unit (their grid scope).
    Mine,
    /// The town centre's single desk: received, returned, unrouted.
    Desk,
    /// Open tickets past their deadline.
    Overdue,
}

impl From<Queue> for pb::list_tickets_request::Queue {
    fn from(queue: Queue) -> Self {
        use pb::list_tickets_request::Queue as Pb;
        match queue {
            Queue::All => Pb::All,
            Queue::Mine => Pb::Mine,
            Queue::Desk => Pb::Desk,
            Queue::Overdue => Pb::Overdue,
        }
    }
}

/// Why a ticket is reopened (`--cause`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Cause {
    /// The problem came back or was not solved.
    #[value(alias = "not_solved")]
    NotSolved,
    /// Verification found the unit's result untrue.
    #[value(alias = "result_untrue")]
    ResultUntrue,
    /// The reporter rated the handling 1 or 2 of 5.
    Unsatisfied,
    /// The report itself proved untrue: a villager's points for it are reversed.
    #[value(alias = "report_untrue")]
    ReportUntrue,
}

/// Why a ticket is handed back (`--why`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Why {
    /// Not our responsibility (the registry settles whose it is).
    #[value(alias = "not_our_responsibility")]
    NotOurResponsibility,
    /// The location is wrong.
    #[value(alias = "wrong_location")]
    WrongLocation,
    /// Not enough information to act on.
    #[value(alias = "not_enough_information")]
    NotEnoughInformation,
    /// Beyond our means.
    #[value(alias = "beyond_our_means")]
    BeyondOurMeans,
    /// Anything else (--reason says what).
    Other,
}

/// Why the desk rejects a ticket (`--why`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RejectWhy {
    /// A prank or malicious report.
    Prank,
    /// The same matter already reported.
    Duplicate,
    /// Outside the town.
    #[value(alias = "outside_the_town")]
    OutsideTheTown,
    /// Not a case for the town.
    #[value(alias = "not_a_case")]
    NotACase,
}

impl From<RejectWhy> for pb::RejectReason {
    fn from(why: RejectWhy) -> Self {
        match why {
            RejectWhy::Prank => pb::RejectReason::Prank,
            RejectWhy::Duplicate => pb::RejectReason::Duplicate,
            RejectWhy::OutsideTheTown => pb::RejectReason::OutsideTheTown,
            RejectWhy::NotACase => pb::RejectReason::NotACase,
        }
    }
}

impl From<Why> for pb::ReturnReason {
    fn from(why: Why) -> Self {
        match why {
            Why::NotOurResponsibility => pb::ReturnReason::NotOurResponsibility,
            Why::WrongLocation => pb::ReturnReason::WrongLocation,
            Why::NotEnoughInformation => pb::ReturnReason::NotEnoughInformation,
            Why::BeyondOurMeans => pb::ReturnReason::BeyondOurMeans,
            Why::Other => pb::ReturnReason::Other,
        }
    }
}

impl From<Cause> for pb::ReopenCause {
    fn from(cause: Cause) -> Self {
        match cause {
            Cause::NotSolved => pb::ReopenCause::NotSolved,
            Cause::ResultUntrue => pb::ReopenCause::ResultUntrue,
            Cause::Unsatisfied => pb::ReopenCause::Unsatisfied,
            Cause::ReportUntrue => pb::ReopenCause::ReportUntrue,
        }
    }
}

fn state(value: i32) -> String {
    match pb::TicketState::try_from(value).unwrap_or_default() {
        pb::TicketState::Unspecified => "—".to_owned(),
        state => enum_name(state.as_str_name(), "TICKET_STATE_"),
    }
}

/// Returns what a history entry records: its move's action (`dispatch`),
/// or the change that left the state as it was (`clock_paused`).
fn entry(h: &pb::Transition) -> String {
    match h.change() {
        pb::Change::Move | pb::Change::Unspecified => match h.action() {
            pb::Action::Unspecified => "—".to_owned(),
            action => enum_name(action.as_str_name(), "ACTION_"),
        },
        change => enum_name(change.as_str_name(), "CHANGE_"),
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

/// Returns a ticket as JSON.
pub fn ticket_json(t: &pb::Ticket) -> Value {
    json!({
        "id": t.id, "number": t.number, "channel": channel(t.channel), "external_ref": t.external_ref,
        "category": t.category_code, "title": t.title, "state": state(t.state), "unrouted": t.unrouted,
        "micro_grid": t.micro_grid_code, "village": t.village_code,
        "assignee": t.assignee.as_ref().map(|u| json!({ "kind": u.kind, "code": u.code, "name": u.name })),
        "received_at": time(&t.received_at), "dispatched_at": time(&t.dispatched_at), "due_at": time(&t.due_at),
        "returns": t.returns, "supervision_warning": t.supervision_warning, "satisfaction": t.satisfaction, "reporter_phone": t.reporter_phone_masked,
        "tasks": t.tasks.iter().map(|k| json!({ "id": k.id, "unit": k.unit.as_ref().map(|u| &u.code), "state": k.state, "due_at": time(&k.due_at), "paused": k.paused })).collect::<Vec<_>>(),
        "legs": t.legs.iter().map(leg_json).collect::<Vec<_>>(),
        "history": t.history.iter().map(|h| json!({
            "at": time(&h.at), "actor": h.actor, "entry": entry(h), "from": state(h.from_state), "to": state(h.to_state), "reason": h.reason,
            "unit": h.unit.as_ref().map(|u| &u.code),
            "satisfaction": (h.satisfaction > 0).then_some(h.satisfaction), "solved": h.solved,
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
    // A ticket not (yet) placed in a grid, or held by nobody, says so.
    let place = match (t.micro_grid_code.as_str(), t.village_code.as_str()) {
        ("", "") => "no grid 未定位网格".to_owned(),
        (micro, "") => micro.to_owned(),
        ("", village) => format!("village {village}"),
        (micro, village) => format!("{micro} (village {village})"),
    };
    let assignee = if assignee.is_empty() {
        "none 无".to_owned()
    } else {
        assignee
    };
    let mut text = format!(
        "{} {}  [{}]{}\n  {} · {} · {}\n  at {place}  holder: {assignee}\n  received {}  dispatched {}  due {}\n",
        t.number,
        t.title,
        state(t.state),
        if t.unrouted { " unrouted" } else { "" },
        channel(t.channel),
        t.category_code,
        t.external_ref,
        time(&t.received_at),
        time(&t.dispatched_at),
        time(&t.due_at)
    );
    if !t.supervision_warning.is_empty() {
        text += &format!("  督办 supervision: {}\n", t.supervision_warning);
    }
    for k in &t.tasks {
        text += &format!(
            "  task {} {} due {}{}\n",
            k.unit.as_ref().map(|u| u.code.as_str()).unwrap_or_default(),
            k.state,
            time(&k.due_at),
            if k.paused { " paused 暂停" } else { "" }
        );
    }
    if !t.legs.is_empty() {
        text += "  legs 经办 (unit · how given · given → due · signed · ended · outcome):\n";
    }
    for l in &t.legs {
        text += &leg_text(l);
    }
    for h in &t.history {
        text += &format!(
            "  {}  {:<13} {:<12} → {:<12} {} {}{}\n",
            time(&h.at),
            entry(h),
            state(h.from_state),
            state(h.to_state),
            h.actor,
            h.reason,
            answer_text(h)
        );
    }
    text
}

/// Returns a follow-up's answer as the history shows it: " 满意度 rated 4/5,
/// 已解决 solved"; empty on other moves.
fn answer_text(h: &pb::Transition) -> String {
    if h.satisfaction == 0 {
        return String::new();
    }
    let solved = match h.solved {
        Some(true) => ", 已解决 solved",
        Some(false) => ", 未解决 not solved",
        None => "",
    };
    format!(" 满意度 rated {}/5{solved}", h.satisfaction)
}

fn leg_start(l: &pb::Leg) -> String {
    enum_name(l.start().as_str_name(), "LEG_START_")
}

/// Returns a leg's outcome, empty while it is held.
fn leg_outcome(l: &pb::Leg) -> String {
    match l.outcome() {
        pb::LegOutcome::Unspecified => String::new(),
        outcome => enum_name(outcome.as_str_name(), "LEG_OUTCOME_"),
    }
}

/// Returns why a leg was handed back, empty when it was not.
fn return_reason(value: i32) -> String {
    match pb::ReturnReason::try_from(value).unwrap_or_default() {
        pb::ReturnReason::Unspecified => String::new(),
        reason => enum_name(reason.as_str_name(), "RETURN_REASON_"),
    }
}

fn leg_json(l: &pb::Leg) -> Value {
    json!({
        "seq": l.seq, "task_id": l.task_id, "unit": l.unit.as_ref().map(|u| &u.code), "start": leg_start(l),
        "given_at": time(&l.given_at), "due_at": time(&l.due_at), "signed_at": time(&l.signed_at),
        "ended_at": time(&l.ended_at), "outcome": leg_outcome(l), "return_reason": return_reason(l.return_reason),
    })
}

/// Returns one leg as a line: an open leg says it is still held (办理中),
/// an ended one whether it was resolved by its deadline.
fn leg_text(l: &pb::Leg) -> String {
    let unit = l.unit.as_ref().map(|u| u.code.as_str()).unwrap_or_default();
    let of = if l.task_id.is_empty() {
        ""
    } else {
        " (task 协办)"
    };
    let late = match (l.ended_at.as_ref(), l.due_at.as_ref()) {
        (Some(ended), Some(due))
            if l.outcome() == pb::LegOutcome::Resolved && ended.seconds > due.seconds =>
        {
            " late 超时".to_owned()
        }
        _ if l.outcome() == pb::LegOutcome::Returned => {
            format!(" ({})", return_reason(l.return_reason))
        }
        _ => String::new(),
    };
    let outcome = match leg_outcome(l) {
        held if held.is_empty() => "held 办理中".to_owned(),
        outcome => outcome,
    };
    format!(
        "  #{} {unit}{of} · {} · {} → {} · signed {} · ended {} · {outcome}{late}\n",
        l.seq,
        leg_start(l),
        time(&l.given_at),
        time(&l.due_at),
        time(&l.signed_at),
        time(&l.ended_at),
    )
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

impl TicketCommand {
    /// Runs the command and prints its answer.
    ///
    /// # Errors
    /// A refused call or bad arguments.
    pub async fn execute(self, client: &mut Dispatch, output: Output) -> anyhow::Result<()> {
        let (value, text) = answer(client, self).await?;
        output.print(&value, || text);
        Ok(())
    }
}

/// Returns the id of the task `unit` (a code) holds in ticket `t`.
fn task_of(t: &pb::Ticket, unit: &str) -> anyhow::Result<String> {
    t.tasks
        .iter()
        .find(|task| task.unit.as_ref().is_some_and(|u| u.code == unit))
        .map(|task| task.id.clone())
        .with_context(|| format!("{} has no task held by {unit}", t.number))
}

/// Runs a ticket command; returns the JSON answer and its text.
async fn answer(client: &mut Dispatch, command: TicketCommand) -> anyhow::Result<(Value, String)> {
    let key = uuid::Uuid::now_v7().to_string();
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
            let channel = pb::Channel::from(channel);
            let location = match at {
                Some(at) => {
                    let (lat, lng) = lat_lng(&at).context("--at takes LAT,LNG")?;
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
                priority: pb::Priority::Normal.into(),
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
            let queue = pb::list_tickets_request::Queue::from(queue);
            let states = wanted
                .into_iter()
                .map(|s| pb::TicketState::from(s).into())
                .collect();
            let channels = wanted_channel
                .into_iter()
                .map(|c| pb::Channel::from(c).into())
                .collect();
            let tickets = client
                .list_tickets(pb::ListTicketsRequest {
                    queue: queue.into(),
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
            let request = pb::DispatchTicketRequest {
                idempotency_key: key,
                ticket_id: t.id,
                unit: chosen.as_deref().map(unit).transpose()?,
                co_handlers: co.iter().map(|c| unit(c)).collect::<anyhow::Result<_>>()?,
                reason,
            };
            client.dispatch_ticket(request).await?.into_inner().ticket
        }
        TicketCommand::Accept { ticket } => {
            let t = find(client, &ticket).await?;
            let request = pb::AcceptTicketRequest {
                idempotency_key: key,
                ticket_id: t.id,
            };
            client.accept_ticket(request).await?.into_inner().ticket
        }
        TicketCommand::Start { ticket } => {
            let t = find(client, &ticket).await?;
            let request = pb::StartWorkRequest {
                idempotency_key: key,
                ticket_id: t.id,
            };
            client.start_work(request).await?.into_inner().ticket
        }
        TicketCommand::Resolve { ticket, result } => {
            let t = find(client, &ticket).await?;
            let request = pb::ResolveTicketRequest {
                idempotency_key: key,
                ticket_id: t.id,
                result,
            };
            client.resolve_ticket(request).await?.into_inner().ticket
        }
        TicketCommand::Verify { ticket, untrue } => {
            let t = find(client, &ticket).await?;
            let request = pb::VerifyTicketRequest {
                idempotency_key: key,
                ticket_id: t.id,
                verified_true: !untrue,
                note: String::new(),
            };
            client.verify_ticket(request).await?.into_inner().ticket
        }
        TicketCommand::FollowUp {
            ticket,
            satisfaction,
            solved,
        } => {
            let t = find(client, &ticket).await?;
            let request = pb::FollowUpTicketRequest {
                idempotency_key: key,
                ticket_id: t.id,
                satisfaction,
                solved,
                note: String::new(),
            };
            client.follow_up_ticket(request).await?.into_inner().ticket
        }
        TicketCommand::Close {
            ticket,
            unreachable,
        } => {
            let t = find(client, &ticket).await?;
            let request = pb::CloseTicketRequest {
                idempotency_key: key,
                ticket_id: t.id,
                reporter_unreachable: unreachable,
                note: String::new(),
            };
            client.close_ticket(request).await?.into_inner().ticket
        }
        TicketCommand::Reopen {
            ticket,
            reason,
            cause,
        } => {
            let t = find(client, &ticket).await?;
            let request = pb::ReopenTicketRequest {
                idempotency_key: key,
                ticket_id: t.id,
                cause: pb::ReopenCause::from(cause).into(),
                reason,
            };
            client.reopen_ticket(request).await?.into_inner().ticket
        }
        TicketCommand::Return {
            ticket,
            reason,
            why,
        } => {
            let t = find(client, &ticket).await?;
            let request = pb::ReturnTicketRequest {
                idempotency_key: key,
                ticket_id: t.id,
                reason: pb::ReturnReason::from(why).into(),
                note: reason,
            };
            client.return_ticket(request).await?.into_inner().ticket
        }
        TicketCommand::Reject { ticket, why, note } => {
            let t = find(client, &ticket).await?;
            let request = pb::RejectTicketRequest {
                idempotency_key: key.clone(),
                ticket_id: t.id,
                reason: pb::RejectReason::from(why).into(),
                note,
            };
            client.reject_ticket(request).await?.into_inner().ticket
        }
        TicketCommand::Refer {
            ticket,
            kind,
            question,
            party,
            material,
            major,
            urgent,
        } => {
            let t = find(client, &ticket).await?;
            let request = pb::ReferTicketRequest {
                idempotency_key: key.clone(),
                ticket_id: t.id,
                kind: pb::ReferralKind::from(kind).into(),
                question,
                materials: material,
                parties: party,
                major,
                deadline: None,
                urgent,
            };
            client.refer_ticket(request).await?.into_inner().ticket
        }
        TicketCommand::Extensions { ticket } => {
            let ticket_id = match ticket {
                Some(ticket) => find(client, &ticket).await?.id,
                None => String::new(),
            };
            let listed = client
                .list_extensions(pb::ListExtensionsRequest { ticket_id })
                .await?
                .into_inner()
                .extensions;
            let mut text = String::new();
            for e in &listed {
                text += &format!(
                    "{}  {} {}  {} working days  {}  by {} at {}  {}\n",
                    e.id,
                    e.ticket_number,
                    if e.task_id.is_empty() {
                        "ticket"
                    } else {
                        "task"
                    },
                    e.days,
                    e.state,
                    e.requested_by,
                    time(&e.requested_at),
                    e.reason
                );
            }
            text += &format!("{} requests", listed.len());
            let value = listed
                .iter()
                .map(|e| {
                    json!({ "id": e.id, "ticket": e.ticket_number, "task_id": e.task_id,
                            "days": e.days, "state": e.state, "reason": e.reason,
                            "requested_by": e.requested_by, "requested_at": time(&e.requested_at) })
                })
                .collect();
            return Ok((Value::Array(value), text));
        }
        TicketCommand::Decide { extension, refuse } => {
            let request = pb::DecideExtensionRequest {
                idempotency_key: key,
                extension_id: extension,
                grant: refuse.is_none(),
                reason: refuse.unwrap_or_default(),
            };
            client.decide_extension(request).await?.into_inner().ticket
        }
        TicketCommand::TaskAccept { ticket, unit } => {
            let t = find(client, &ticket).await?;
            let request = pb::AcceptTaskRequest {
                idempotency_key: key,
                task_id: task_of(&t, &unit)?,
                ticket_id: t.id,
            };
            client.accept_task(request).await?.into_inner().ticket
        }
        TicketCommand::TaskResolve {
            ticket,
            unit,
            result,
        } => {
            let t = find(client, &ticket).await?;
            let request = pb::ResolveTaskRequest {
                idempotency_key: key,
                task_id: task_of(&t, &unit)?,
                ticket_id: t.id,
                result,
            };
            client.resolve_task(request).await?.into_inner().ticket
        }
        TicketCommand::TaskReturn {
            ticket,
            unit,
            reason,
            why,
        } => {
            let t = find(client, &ticket).await?;
            let request = pb::ReturnTaskRequest {
                idempotency_key: key,
                task_id: task_of(&t, &unit)?,
                ticket_id: t.id,
                reason: pb::ReturnReason::from(why).into(),
                note: reason,
            };
            client.return_task(request).await?.into_inner().ticket
        }
        TicketCommand::TaskPause {
            ticket,
            unit,
            reason,
            resume,
        } => {
            let t = find(client, &ticket).await?;
            let request = pb::SetTaskClockPausedRequest {
                idempotency_key: key,
                task_id: task_of(&t, &unit)?,
                ticket_id: t.id,
                paused: !resume,
                reason,
            };
            client
                .set_task_clock_paused(request)
                .await?
                .into_inner()
                .ticket
        }
        TicketCommand::Extend {
            ticket,
            days,
            reason,
            task,
        } => {
            let t = find(client, &ticket).await?;
            let task_id = match task {
                Some(code) => task_of(&t, &code)?,
                None => String::new(),
            };
            let asked = client
                .request_extension(pb::RequestExtensionRequest {
                    idempotency_key: key.clone(),
                    ticket_id: t.id,
                    days,
                    reason,
                    task_id,
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::{Command, assert_maps_by_name, parse};

    fn ticket(line: &str) -> TicketCommand {
        match parse(line).unwrap().command {
            Command::Ticket(command) => command,
            _ => panic!("{line} is not a ticket command"),
        }
    }

    #[test]
    fn dispatch_ticket_show_prints_every_leg_and_marks_a_late_one() {
        let at = |seconds| Some(prost_types::Timestamp { seconds, nanos: 0 });
        let unit = |code: &str| pb::Unit {
            kind: "DEPARTMENT".into(),
            code: code.into(),
            name: code.into(),
        };
        let ticket = pb::Ticket {
            number: "LX-2026-000001".into(),
            legs: vec![
                pb::Leg {
                    seq: 1,
                    unit: Some(unit("POLICE")),
                    start: pb::LegStart::Dispatch.into(),
                    given_at: at(0),
                    due_at: at(7200),
                    ended_at: at(600),
                    outcome: pb::LegOutcome::Returned.into(),
                    return_reason: pb::ReturnReason::WrongLocation.into(),
                    ..Default::default()
                },
                pb::Leg {
                    seq: 2,
                    unit: Some(unit("URBAN_MANAGEMENT")),
                    start: pb::LegStart::Redispatch.into(),
                    given_at: at(900),
                    due_at: at(8100),
                    signed_at: at(1000),
                    ended_at: at(9000),
                    outcome: pb::LegOutcome::Resolved.into(),
                    ..Default::default()
                },
                pb::Leg {
                    seq: 3,
                    task_id: "t-1".into(),
                    unit: Some(unit("WATER")),
                    start: pb::LegStart::Dispatch.into(),
                    given_at: at(900),
                    due_at: at(8100),
                    ..Default::default()
                },
            ],
            ..Default::default()
        };
        let text = ticket_text(&ticket);
        let lines: Vec<&str> = text
            .lines()
            .filter(|l| l.trim_start().starts_with('#'))
            .collect();
        assert_eq!(lines.len(), 3, "{text}");
        assert!(
            lines[0].contains("#1 POLICE · DISPATCH")
                && lines[0].ends_with("RETURNED (WRONG_LOCATION)"),
            "{}",
            lines[0]
        );
        assert!(
            lines[1].contains("URBAN_MANAGEMENT · REDISPATCH")
                && lines[1].ends_with("RESOLVED late 超时")
        );
        assert!(lines[2].contains("WATER (task 协办)") && lines[2].ends_with("held 办理中"));
        let json = ticket_json(&ticket);
        assert_eq!(json["legs"][1]["outcome"], "RESOLVED");
        assert_eq!(json["legs"][0]["return_reason"], "WRONG_LOCATION");
        assert_eq!(json["legs"][2]["task_id"], "t-1");
    }

    #[test]
    fn dispatch_ticket_reject_names_why_and_what_the_desk_found() {
        match ticket("weigrid ticket reject LX-2026-000001 --why outside_the_town --note 平湖地界")
        {
            TicketCommand::Reject { ticket, why, note } => {
                assert_eq!(
                    (ticket.as_str(), why, note.as_str()),
                    ("LX-2026-000001", RejectWhy::OutsideTheTown, "平湖地界")
                );
                assert_eq!(
                    pb::RejectReason::from(why),
                    pb::RejectReason::OutsideTheTown
                );
            }
            _ => panic!("not reject"),
        }
        assert!(parse("weigrid ticket reject LX-2026-000001 --why bored --note x").is_err());
    }

    #[test]
    fn a_channel_is_spelled_as_dispatch_names_it_in_any_case() {
        for spelling in ["HOTLINE_12345", "hotline_12345"] {
            let line = format!(
                "weigrid ticket create --channel {spelling} --category SANITATION --title x"
            );
            match ticket(&line) {
                TicketCommand::Create { channel, .. } => assert_eq!(channel, Channel::Hotline12345),
                _ => panic!("not create"),
            }
        }
        assert!(
            parse("weigrid ticket create --channel FAX --category SANITATION --title x").is_err()
        );
    }

    #[test]
    fn a_queue_a_state_and_a_channel_filter_the_list() {
        match ticket(
            "weigrid ticket list --queue overdue --state in_progress --channel GRID_PATROL",
        ) {
            TicketCommand::List {
                queue,
                state,
                channel,
                limit,
                ..
            } => {
                assert_eq!(queue, Queue::Overdue);
                assert_eq!(state, Some(State::InProgress));
                assert_eq!(channel, Some(Channel::GridPatrol));
                assert_eq!(limit, 50);
            }
            _ => panic!("not list"),
        }
        match ticket("weigrid ticket list") {
            TicketCommand::List { queue, state, .. } => {
                assert_eq!(queue, Queue::All);
                assert_eq!(state, None);
            }
            _ => panic!("not list"),
        }
        assert!(parse("weigrid ticket list --queue later").is_err());
    }

    #[test]
    fn a_reopen_cause_takes_hyphens_or_the_old_underscores() {
        for (spelling, wanted) in [
            ("report-untrue", Cause::ReportUntrue),
            ("REPORT_UNTRUE", Cause::ReportUntrue),
            ("result-untrue", Cause::ResultUntrue),
            ("unsatisfied", Cause::Unsatisfied),
        ] {
            match ticket(&format!(
                "weigrid ticket reopen LX-2026-000001 --reason x --cause {spelling}"
            )) {
                TicketCommand::Reopen { cause, .. } => assert_eq!(cause, wanted, "{spelling}"),
                _ => panic!("not reopen"),
            }
        }
        match ticket("weigrid ticket reopen LX-2026-000001 --reason x") {
            TicketCommand::Reopen { cause, .. } => assert_eq!(cause, Cause::NotSolved),
            _ => panic!("not reopen"),
        }
    }

    #[test]
    fn a_co_handlers_task_is_named_by_its_unit() {
        match ticket(
            "weigrid ticket task-return LX-2026-000002 --unit POLICE --why not-our-responsibility --reason 不属本单位",
        ) {
            TicketCommand::TaskReturn {
                ticket,
                unit,
                reason,
                why,
            } => assert_eq!(
                (ticket.as_str(), unit.as_str(), reason.as_str(), why),
                (
                    "LX-2026-000002",
                    "POLICE",
                    "不属本单位",
                    Why::NotOurResponsibility
                )
            ),
            _ => panic!("a task return"),
        }
        assert!(matches!(
            ticket("weigrid ticket task-pause LX-2026-000002 --unit POLICE --resume"),
            TicketCommand::TaskPause { resume: true, .. }
        ));
        let mut t = pb::Ticket {
            number: "LX-2026-000002".into(),
            ..Default::default()
        };
        t.tasks.push(pb::Task {
            id: "task-1".into(),
            unit: Some(pb::Unit {
                code: "POLICE".into(),
                ..Default::default()
            }),
            paused: true,
            ..Default::default()
        });
        assert_eq!(task_of(&t, "POLICE").unwrap(), "task-1");
        assert_eq!(
            task_of(&t, "WATER_STATION").unwrap_err().to_string(),
            "LX-2026-000002 has no task held by WATER_STATION"
        );
        assert!(ticket_text(&t).contains("task POLICE"));
        assert!(ticket_text(&t).contains("paused 暂停"));
    }

    #[test]
    fn every_typed_value_maps_to_the_generated_value_of_its_name() {
        assert_maps_by_name::<Channel>("CHANNEL_", |c| pb::Channel::from(c).as_str_name());
        assert_maps_by_name::<State>("TICKET_STATE_", |s| pb::TicketState::from(s).as_str_name());
        assert_maps_by_name::<Queue>("QUEUE_", |q| {
            pb::list_tickets_request::Queue::from(q).as_str_name()
        });
        assert_maps_by_name::<Cause>("REOPEN_CAUSE_", |c| pb::ReopenCause::from(c).as_str_name());
        assert_maps_by_name::<Why>("RETURN_REASON_", |w| {
            pb::ReturnReason::from(w).as_str_name()
        });
        assert_maps_by_name::<RejectWhy>("REJECT_REASON_", |w| {
            pb::RejectReason::from(w).as_str_name()
        });
    }
}
