//! The JSON the console's pages read, from dispatch's messages: enums as
//! lowercase words, times RFC 3339 in UTC (the pages show them in
//! Asia/Shanghai), the reporter's phone masked as dispatch masks it.

use proto::dispatch::v1 as pb;
use serde::Serialize;

use crate::convert::{some, time, word};

/// Who holds a ticket, a leg or a task.
#[derive(Debug, Clone, Serialize)]
pub struct UnitView {
    pub kind: String,
    pub code: String,
    pub name: String,
}

impl From<&pb::Unit> for UnitView {
    fn from(u: &pb::Unit) -> Self {
        Self {
            kind: u.kind.clone(),
            code: u.code.clone(),
            name: u.name.clone(),
        }
    }
}

fn unit(u: Option<&pb::Unit>) -> Option<UnitView> {
    u.filter(|u| !u.code.is_empty()).map(UnitView::from)
}

fn state(value: i32) -> String {
    pb::TicketState::try_from(value)
        .map(|s| word(s.as_str_name(), "TICKET_STATE_"))
        .unwrap_or_default()
}

/// A ticket in a list.
#[derive(Debug, Clone, Serialize)]
pub struct TicketRow {
    pub id: String,
    pub number: String,
    pub channel: String,
    pub category_code: String,
    pub title: String,
    pub state: String,
    pub priority: String,
    pub village_code: Option<String>,
    pub micro_grid_code: Option<String>,
    pub assignee: Option<UnitView>,
    pub received_at: Option<String>,
    pub due_at: Option<String>,
    pub returns: u32,
    pub escalation_level: u32,
    pub unrouted: bool,
}

impl From<&pb::Ticket> for TicketRow {
    fn from(t: &pb::Ticket) -> Self {
        Self {
            id: t.id.clone(),
            number: t.number.clone(),
            channel: word(t.channel().as_str_name(), "CHANNEL_"),
            category_code: t.category_code.clone(),
            title: t.title.clone(),
            state: state(t.state),
            priority: word(t.priority().as_str_name(), "PRIORITY_"),
            village_code: some(&t.village_code),
            micro_grid_code: some(&t.micro_grid_code),
            assignee: unit(t.assignee.as_ref()),
            received_at: time(t.received_at.as_ref()),
            due_at: time(t.due_at.as_ref()),
            returns: t.returns,
            escalation_level: t.escalation_level,
            unrouted: t.unrouted,
        }
    }
}

/// One move in a ticket's life.
#[derive(Debug, Clone, Serialize)]
pub struct TransitionView {
    pub at: Option<String>,
    pub actor: String,
    pub from_state: String,
    pub to_state: String,
    /// What the entry records: `move` (then `action` says which),
    /// `receive`, `escalate`, `merge`, `split`, `clock_paused`,
    /// `clock_resumed`.
    pub change: String,
    pub action: String,
    pub reason: String,
    pub unit: Option<UnitView>,
}

/// One stretch in one unit's hands.
#[derive(Debug, Clone, Serialize)]
pub struct LegView {
    pub seq: u32,
    pub task_id: Option<String>,
    pub unit: Option<UnitView>,
    pub start: String,
    pub given_at: Option<String>,
    pub due_at: Option<String>,
    pub signed_at: Option<String>,
    pub ended_at: Option<String>,
    pub outcome: Option<String>,
}

/// A co-handler's task.
#[derive(Debug, Clone, Serialize)]
pub struct TaskView {
    pub id: String,
    pub unit: Option<UnitView>,
    pub state: String,
    pub due_at: Option<String>,
    pub result: String,
}

/// A ticket's page: the row, what it is about, its history, legs and
/// tasks, and (for the desk) its extension requests.
#[derive(Debug, Clone, Serialize)]
pub struct TicketPage {
    #[serde(flatten)]
    pub row: TicketRow,
    pub description: String,
    pub location: Option<[f64; 2]>,
    pub reporter_phone_masked: Option<String>,
    pub satisfaction: u32,
    pub duplicate_of: Option<String>,
    pub history: Vec<TransitionView>,
    pub legs: Vec<LegView>,
    pub tasks: Vec<TaskView>,
    pub extensions: Vec<ExtensionRow>,
}

impl TicketPage {
    /// Returns the page of `t` with its `extensions`.
    pub fn new(t: &pb::Ticket, extensions: Vec<ExtensionRow>) -> Self {
        Self {
            row: TicketRow::from(t),
            description: t.description.clone(),
            location: t.location.as_ref().map(|l| [l.lng, l.lat]),
            reporter_phone_masked: some(&t.reporter_phone_masked),
            satisfaction: t.satisfaction,
            duplicate_of: some(&t.duplicate_of),
            history: t
                .history
                .iter()
                .map(|h| TransitionView {
                    at: time(h.at.as_ref()),
                    actor: h.actor.clone(),
                    from_state: state(h.from_state),
                    to_state: state(h.to_state),
                    change: word(h.change().as_str_name(), "CHANGE_"),
                    action: word(h.action().as_str_name(), "ACTION_"),
                    reason: h.reason.clone(),
                    unit: unit(h.unit.as_ref()),
                })
                .collect(),
            legs: t
                .legs
                .iter()
                .map(|l| LegView {
                    seq: l.seq,
                    task_id: some(&l.task_id),
                    unit: unit(l.unit.as_ref()),
                    start: l
                        .start()
                        .as_str_name()
                        .trim_start_matches("LEG_START_")
                        .to_owned(),
                    given_at: time(l.given_at.as_ref()),
                    due_at: time(l.due_at.as_ref()),
                    signed_at: time(l.signed_at.as_ref()),
                    ended_at: time(l.ended_at.as_ref()),
                    outcome: (l.outcome() != pb::LegOutcome::Unspecified).then(|| {
                        l.outcome()
                            .as_str_name()
                            .trim_start_matches("LEG_OUTCOME_")
                            .to_owned()
                    }),
                })
                .collect(),
            tasks: t
                .tasks
                .iter()
                .map(|k| TaskView {
                    id: k.id.clone(),
                    unit: unit(k.unit.as_ref()),
                    state: k.state.clone(),
                    due_at: time(k.due_at.as_ref()),
                    result: k.result.clone(),
                })
                .collect(),
            extensions,
        }
    }
}

/// An extension request (延期).
#[derive(Debug, Clone, Serialize)]
pub struct ExtensionRow {
    pub id: String,
    pub ticket_id: String,
    pub ticket_number: String,
    pub days: u32,
    pub reason: String,
    pub state: String,
    pub requested_by: String,
    pub requested_at: Option<String>,
}

impl From<&pb::Extension> for ExtensionRow {
    fn from(e: &pb::Extension) -> Self {
        Self {
            id: e.id.clone(),
            ticket_id: e.ticket_id.clone(),
            ticket_number: e.ticket_number.clone(),
            days: e.days,
            reason: e.reason.clone(),
            state: e.state.to_lowercase(),
            requested_by: e.requested_by.clone(),
            requested_at: time(e.requested_at.as_ref()),
        }
    }
}

/// One village's assessment.
#[derive(Debug, Clone, Serialize)]
pub struct AssessmentRow {
    pub village_code: String,
    pub village_name: String,
    pub kind: String,
    pub five_chief_score: f64,
    pub unified_management_score: f64,
    pub safety_score: f64,
    pub score: f64,
    pub weight: f64,
    pub weighted: f64,
    pub tickets: u32,
}

impl From<&pb::VillageAssessment> for AssessmentRow {
    fn from(v: &pb::VillageAssessment) -> Self {
        Self {
            village_code: v.village_code.clone(),
            village_name: v.village_name.clone(),
            kind: v.kind.clone(),
            five_chief_score: v.five_chief_score,
            unified_management_score: v.unified_management_score,
            safety_score: v.safety_score,
            score: v.score,
            weight: v.weight,
            weighted: v.weighted,
            tickets: v.tickets,
        }
    }
}
