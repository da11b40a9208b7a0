//! Proto ⇄ domain conversions.

use platform::mask;
use proto::dispatch::v1 as pb;

use crate::domain::channel::Channel;
use crate::domain::state::{Action, ReopenCause, TicketState};
use crate::repository::tasks::TaskRow;
use crate::repository::tickets::{TicketRow, TransitionRow};

pub use platform::time::{from_timestamp, timestamp};

pub fn channel_from(value: i32) -> Option<Channel> {
    Channel::parse(
        pb::Channel::try_from(value)
            .ok()?
            .as_str_name()
            .strip_prefix("CHANNEL_")?,
    )
}

pub fn channel(channel: &str) -> pb::Channel {
    pb::Channel::from_str_name(&format!("CHANNEL_{channel}")).unwrap_or_default()
}

pub fn state(state: &str) -> pb::TicketState {
    pb::TicketState::from_str_name(&format!("TICKET_STATE_{state}")).unwrap_or_default()
}

pub fn state_from(value: i32) -> Option<TicketState> {
    TicketState::parse(
        pb::TicketState::try_from(value)
            .ok()?
            .as_str_name()
            .strip_prefix("TICKET_STATE_")?,
    )
}

pub fn action_from(value: i32) -> Option<Action> {
    use pb::Action as A;
    Some(match A::try_from(value).ok()? {
        A::Unspecified => return None,
        A::Dispatch => Action::Dispatch,
        A::Accept => Action::Accept,
        A::Start => Action::Start,
        A::Resolve => Action::Resolve,
        A::Return => Action::Return,
        A::Verify => Action::Verify,
        A::FollowUp => Action::FollowUp,
        A::Close => Action::Close,
        A::Reopen => Action::Reopen,
    })
}

pub fn action(action: &str) -> pb::Action {
    pb::Action::from_str_name(&format!("ACTION_{}", action.to_uppercase())).unwrap_or_default()
}

fn unit(kind: &Option<String>, code: &Option<String>, name: &Option<String>) -> Option<pb::Unit> {
    Some(pb::Unit {
        kind: kind.clone()?,
        code: code.clone().unwrap_or_default(),
        name: name.clone().unwrap_or_default(),
    })
}

/// Returns a stored move as proto.
pub fn transition(t: &TransitionRow) -> pb::Transition {
    pb::Transition {
        at: Some(timestamp(t.at)),
        actor: t.actor.clone(),
        from_state: t
            .from_state
            .as_deref()
            .map(state)
            .unwrap_or_default()
            .into(),
        to_state: state(&t.to_state).into(),
        action: action(&t.action).into(),
        reason: t.reason.clone().unwrap_or_default(),
        unit: unit(&t.unit_kind, &t.unit_code, &t.unit_name),
        reopen_cause: t
            .cause
            .as_deref()
            .and_then(ReopenCause::parse)
            .map(reopen_cause)
            .unwrap_or_default()
            .into(),
    }
}

/// Returns the API's reopen cause.
pub fn reopen_cause(cause: ReopenCause) -> pb::ReopenCause {
    match cause {
        ReopenCause::ResultUntrue => pb::ReopenCause::ResultUntrue,
        ReopenCause::Unsatisfied => pb::ReopenCause::Unsatisfied,
        ReopenCause::ReportUntrue => pb::ReopenCause::ReportUntrue,
        ReopenCause::NotSolved => pb::ReopenCause::NotSolved,
    }
}

/// Returns the cause a reopen request names; unspecified is NOT_SOLVED.
pub fn reopen_cause_from(value: i32) -> ReopenCause {
    match pb::ReopenCause::try_from(value).unwrap_or_default() {
        pb::ReopenCause::Unspecified | pb::ReopenCause::NotSolved => ReopenCause::NotSolved,
        pb::ReopenCause::ResultUntrue => ReopenCause::ResultUntrue,
        pb::ReopenCause::Unsatisfied => ReopenCause::Unsatisfied,
        pb::ReopenCause::ReportUntrue => ReopenCause::ReportUntrue,
    }
}

/// Returns a ticket as proto, the reporter's phone masked.
pub fn ticket(t: &TicketRow, history: &[TransitionRow], tasks: &[TaskRow]) -> pb::Ticket {
    pb::Ticket {
        id: t.ticket_id.to_string(),
        number: t.number.clone(),
        channel: channel(&t.channel).into(),
        external_ref: t.external_ref.clone().unwrap_or_default(),
        category_code: t.category_code.clone(),
        title: t.title.clone(),
        description: t.description.clone(),
        location: match (t.lat, t.lng) {
            (Some(lat), Some(lng)) => Some(pb::LatLng { lat, lng }),
            _ => None,
        },
        micro_grid_code: t.micro_grid_code.clone().unwrap_or_default(),
        village_code: t.village_code.clone().unwrap_or_default(),
        state: state(&t.state).into(),
        unrouted: t.unrouted,
        difficult: t.difficult,
        assignee: unit(&t.assignee_kind, &t.assignee_code, &t.assignee_name),
        received_at: Some(timestamp(t.received_at)),
        dispatched_at: t.dispatched_at.map(timestamp),
        due_at: t.due_at.map(timestamp),
        clock_paused: t.paused_since.is_some(),
        satisfaction: t
            .satisfaction
            .and_then(|s| u32::try_from(s).ok())
            .unwrap_or_default(),
        history: history.iter().map(transition).collect(),
        returns: u32::try_from(t.returns).unwrap_or_default(),
        reporter_phone_masked: t
            .reporter_phone
            .as_deref()
            .map(mask::phone)
            .unwrap_or_default(),
        tasks: tasks.iter().map(task).collect(),
        escalation_level: u32::try_from(t.escalation_level).unwrap_or_default(),
        duplicate_of: t.duplicate_of.map(|id| id.to_string()).unwrap_or_default(),
    }
}

/// Returns a co-handler's task as proto.
pub fn task(t: &TaskRow) -> pb::Task {
    pb::Task {
        id: t.task_id.to_string(),
        unit: Some(pb::Unit {
            kind: t.unit_kind.clone(),
            code: t.unit_code.clone(),
            name: t.unit_name.clone(),
        }),
        state: t.state.clone(),
        dispatched_at: Some(timestamp(t.dispatched_at)),
        due_at: Some(timestamp(t.due_at)),
        result: t.result.clone().unwrap_or_default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proto_names_map_to_the_domain() {
        for c in Channel::ALL {
            assert_eq!(channel_from(channel(c.as_str()).into()), Some(c));
        }
        for s in TicketState::ALL {
            assert_eq!(state_from(state(s.as_str()).into()), Some(s));
        }
        assert_eq!(action(Action::FollowUp.as_str()), pb::Action::FollowUp);
    }
}
