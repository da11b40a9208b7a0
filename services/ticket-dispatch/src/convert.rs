//! Domain ⇄ protobuf: the values the API answers with and the events
//! carry, and the API's enums and requests as the domain knows them. Shared
//! by `api/`, `events.rs` and the consumers.

use platform::error::AppError;
use platform::mask;
use proto::dispatch::v1 as pb;

use crate::domain::calendar::{DayKind, YearView};
use crate::domain::category::Category;
use crate::domain::channel::Channel;
use crate::domain::extension::ExtensionRequest;
use crate::domain::grid::LatLng;
use crate::domain::intake::{Priority, TicketRequest};
use crate::domain::leg::{Leg, LegOutcome, LegStart};
use crate::domain::referral::ReferralKind;
use crate::domain::state::{Action, RejectReason, ReopenCause, ReturnReason, TicketState};
use crate::domain::stats::{Figures, Summary, VillageScore};
use crate::domain::task::Task;
use crate::domain::ticket::{Change, Ticket, TicketView, Transition};
use crate::domain::unit::UnitRef;

pub use platform::time::{from_timestamp, timestamp};

/// Returns the channel the API value names; `None` for none.
pub fn channel_from(value: i32) -> Option<Channel> {
    use pb::Channel as C;
    Some(match C::try_from(value).ok()? {
        C::Unspecified => return None,
        C::Hotline12345 => Channel::Hotline12345,
        C::NonPolice110 => Channel::NonPolice110,
        C::GridPatrol => Channel::GridPatrol,
        C::VillagerApp => Channel::VillagerApp,
        C::VideoAlarm => Channel::VideoAlarm,
        C::CrossBorder => Channel::CrossBorder,
        C::Department => Channel::Department,
        C::Open311 => Channel::Open311,
    })
}

/// Returns the API's category.
pub fn category(c: &Category) -> pb::Category {
    pb::Category {
        code: c.code.clone(),
        name: c.name.clone(),
        domain_code: c.domain_code.clone(),
        handled_by: c.handled_by.iter().map(|d| d.as_str().to_owned()).collect(),
        working_days: c.working_days,
        difficult: c.difficult,
        active: c.active,
    }
}

/// Returns the API's channel.
pub fn channel(channel: Channel) -> pb::Channel {
    match channel {
        Channel::Hotline12345 => pb::Channel::Hotline12345,
        Channel::NonPolice110 => pb::Channel::NonPolice110,
        Channel::GridPatrol => pb::Channel::GridPatrol,
        Channel::VillagerApp => pb::Channel::VillagerApp,
        Channel::VideoAlarm => pb::Channel::VideoAlarm,
        Channel::CrossBorder => pb::Channel::CrossBorder,
        Channel::Department => pb::Channel::Department,
        Channel::Open311 => pb::Channel::Open311,
    }
}

/// Returns the API's state.
pub fn state(state: TicketState) -> pb::TicketState {
    use pb::TicketState as S;
    match state {
        TicketState::Received => S::Received,
        TicketState::Dispatched => S::Dispatched,
        TicketState::Accepted => S::Accepted,
        TicketState::InProgress => S::InProgress,
        TicketState::Resolved => S::Resolved,
        TicketState::Verified => S::Verified,
        TicketState::FollowedUp => S::FollowedUp,
        TicketState::Closed => S::Closed,
        TicketState::Returned => S::Returned,
        TicketState::Reopened => S::Reopened,
        TicketState::UnderReview => S::UnderReview,
        TicketState::Rejected => S::Rejected,
    }
}

/// Returns the state the API value names; `None` for none.
pub fn state_from(value: i32) -> Option<TicketState> {
    use pb::TicketState as S;
    Some(match S::try_from(value).ok()? {
        S::Unspecified => return None,
        S::Received => TicketState::Received,
        S::Dispatched => TicketState::Dispatched,
        S::Accepted => TicketState::Accepted,
        S::InProgress => TicketState::InProgress,
        S::Resolved => TicketState::Resolved,
        S::Verified => TicketState::Verified,
        S::FollowedUp => TicketState::FollowedUp,
        S::Closed => TicketState::Closed,
        S::Returned => TicketState::Returned,
        S::Reopened => TicketState::Reopened,
        S::UnderReview => TicketState::UnderReview,
        S::Rejected => TicketState::Rejected,
    })
}

/// Returns the action the API value names; `None` for none.
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
        A::Refer => Action::Refer,
        A::Reject => Action::Reject,
    })
}

/// Returns the API's action of a history entry: unspecified for what is
/// not a move (intake, escalation, merge, split, a clock paused or
/// resumed; [`change`] says which).
pub fn action(change: Change) -> pb::Action {
    use pb::Action as A;
    match change {
        Change::Move(Action::Dispatch) => A::Dispatch,
        Change::Move(Action::Accept) => A::Accept,
        Change::Move(Action::Start) => A::Start,
        Change::Move(Action::Resolve) => A::Resolve,
        Change::Move(Action::Return) => A::Return,
        Change::Move(Action::Verify) => A::Verify,
        Change::Move(Action::FollowUp) => A::FollowUp,
        Change::Move(Action::Close) => A::Close,
        Change::Move(Action::Reopen) => A::Reopen,
        Change::Move(Action::Refer) => A::Refer,
        Change::Move(Action::Reject) => A::Reject,
        Change::Receive
        | Change::Escalate
        | Change::Merge
        | Change::Split
        | Change::Pause
        | Change::Resume => A::Unspecified,
    }
}

/// Returns the referral kind the API value names; `None` for none.
pub fn referral_kind_from(value: i32) -> Option<ReferralKind> {
    use pb::ReferralKind as K;
    Some(match K::try_from(value).ok()? {
        K::Unspecified => return None,
        K::LegalRisk => ReferralKind::LegalRisk,
        K::Professional => ReferralKind::Professional,
        K::Policy => ReferralKind::Policy,
    })
}

/// Returns the API's referral kind.
pub fn referral_kind(kind: ReferralKind) -> pb::ReferralKind {
    match kind {
        ReferralKind::LegalRisk => pb::ReferralKind::LegalRisk,
        ReferralKind::Professional => pb::ReferralKind::Professional,
        ReferralKind::Policy => pb::ReferralKind::Policy,
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

/// Returns the API's return reason.
pub fn return_reason(reason: ReturnReason) -> pb::ReturnReason {
    match reason {
        ReturnReason::NotOurResponsibility => pb::ReturnReason::NotOurResponsibility,
        ReturnReason::WrongLocation => pb::ReturnReason::WrongLocation,
        ReturnReason::NotEnoughInformation => pb::ReturnReason::NotEnoughInformation,
        ReturnReason::BeyondOurMeans => pb::ReturnReason::BeyondOurMeans,
        ReturnReason::Other => pb::ReturnReason::Other,
    }
}

/// Returns the reason a return request names; `None` when unspecified or
/// a value this version does not know.
pub fn return_reason_from(value: i32) -> Option<ReturnReason> {
    Some(match pb::ReturnReason::try_from(value).ok()? {
        pb::ReturnReason::Unspecified => return None,
        pb::ReturnReason::NotOurResponsibility => ReturnReason::NotOurResponsibility,
        pb::ReturnReason::WrongLocation => ReturnReason::WrongLocation,
        pb::ReturnReason::NotEnoughInformation => ReturnReason::NotEnoughInformation,
        pb::ReturnReason::BeyondOurMeans => ReturnReason::BeyondOurMeans,
        pb::ReturnReason::Other => ReturnReason::Other,
    })
}

/// Returns the API's reject reason.
pub fn reject_reason(reason: RejectReason) -> pb::RejectReason {
    match reason {
        RejectReason::Prank => pb::RejectReason::Prank,
        RejectReason::Duplicate => pb::RejectReason::Duplicate,
        RejectReason::OutsideTheTown => pb::RejectReason::OutsideTheTown,
        RejectReason::NotACase => pb::RejectReason::NotACase,
    }
}

/// Returns the reason a reject request names; `None` when unspecified or
/// a value this version does not know.
pub fn reject_reason_from(value: i32) -> Option<RejectReason> {
    Some(match pb::RejectReason::try_from(value).ok()? {
        pb::RejectReason::Unspecified => return None,
        pb::RejectReason::Prank => RejectReason::Prank,
        pb::RejectReason::Duplicate => RejectReason::Duplicate,
        pb::RejectReason::OutsideTheTown => RejectReason::OutsideTheTown,
        pb::RejectReason::NotACase => RejectReason::NotACase,
    })
}

/// Returns the API's leg start.
pub fn leg_start(start: LegStart) -> pb::LegStart {
    match start {
        LegStart::Desk => pb::LegStart::Desk,
        LegStart::Dispatch => pb::LegStart::Dispatch,
        LegStart::Redispatch => pb::LegStart::Redispatch,
        LegStart::Escalation => pb::LegStart::Escalation,
        LegStart::Reopen => pb::LegStart::Reopen,
    }
}

/// Returns the API's leg outcome.
pub fn leg_outcome(outcome: LegOutcome) -> pb::LegOutcome {
    match outcome {
        LegOutcome::Resolved => pb::LegOutcome::Resolved,
        LegOutcome::Returned => pb::LegOutcome::Returned,
        LegOutcome::Escalated => pb::LegOutcome::Escalated,
        LegOutcome::Dispatched => pb::LegOutcome::Dispatched,
        LegOutcome::Withdrawn => pb::LegOutcome::Withdrawn,
    }
}

/// Returns a unit as the API shows it.
pub fn unit(unit: &UnitRef) -> pb::Unit {
    pb::Unit {
        kind: unit.kind.as_str().to_owned(),
        code: unit.code.clone(),
        name: unit.name.clone(),
    }
}

/// Returns a history entry as the API shows it.
pub fn transition(t: &Transition) -> pb::Transition {
    pb::Transition {
        at: Some(timestamp(t.at)),
        actor: t.actor.clone(),
        from_state: t.from.map(state).unwrap_or_default().into(),
        to_state: state(t.to).into(),
        action: action(t.change).into(),
        reason: t.reason.clone().unwrap_or_default(),
        unit: t.unit.as_ref().map(unit),
        reopen_cause: t.cause.map(reopen_cause).unwrap_or_default().into(),
        return_reason: t
            .return_reason
            .map(return_reason)
            .unwrap_or_default()
            .into(),
        reject_reason: t
            .reject_reason
            .map(reject_reason)
            .unwrap_or_default()
            .into(),
        satisfaction: t.answer.map_or(0, |a| a.satisfaction),
        solved: t.answer.and_then(|a| a.solved),
        change: change(t.change).into(),
    }
}

/// Returns what a history entry records, as the API names it.
pub fn change(change: Change) -> pb::Change {
    use pb::Change as C;
    match change {
        Change::Receive => C::Receive,
        Change::Move(_) => C::Move,
        Change::Escalate => C::Escalate,
        Change::Merge => C::Merge,
        Change::Split => C::Split,
        Change::Pause => C::ClockPaused,
        Change::Resume => C::ClockResumed,
    }
}

/// Returns a ticket with its history and tasks, the reporter's phone masked.
pub fn ticket(view: &TicketView) -> pb::Ticket {
    pb::Ticket {
        history: view.history.iter().map(transition).collect(),
        tasks: view.ticket.tasks.iter().map(task).collect(),
        legs: view.ticket.legs.iter().map(leg).collect(),
        ..ticket_summary(&view.ticket)
    }
}

/// Returns a ticket without its history and tasks, as lists and events
/// carry it, the reporter's phone masked.
pub fn ticket_summary(t: &Ticket) -> pb::Ticket {
    pb::Ticket {
        id: t.id.to_string(),
        number: t.number.clone(),
        channel: channel(t.channel).into(),
        external_ref: t.external_ref.clone().unwrap_or_default(),
        category_code: t.category_code.clone(),
        title: t.title.clone(),
        description: t.description.clone(),
        location: t.location.map(|l| pb::LatLng {
            lat: l.lat,
            lng: l.lng,
        }),
        micro_grid_code: t.micro_grid_code.clone().unwrap_or_default(),
        village_code: t.village_code.clone().unwrap_or_default(),
        state: state(t.state).into(),
        unrouted: t.unrouted,
        difficult: t.difficult,
        priority: priority(t.priority).into(),
        assignee: t.assignee.as_ref().map(unit),
        received_at: Some(timestamp(t.received_at)),
        dispatched_at: t.dispatched_at().map(timestamp),
        due_at: t.due_at.map(timestamp),
        clock_paused: t.is_paused(),
        satisfaction: t.satisfaction.unwrap_or_default(),
        history: Vec::new(),
        returns: t.returns,
        supervision_warning: t.supervision_warning.clone().unwrap_or_default(),
        reporter_phone_masked: t
            .reporter_phone
            .as_deref()
            .map(mask::phone)
            .unwrap_or_default(),
        tasks: Vec::new(),
        escalation_level: t.escalation_level,
        duplicate_of: t.duplicate_of.map(|id| id.to_string()).unwrap_or_default(),
        legs: Vec::new(),
    }
}

/// Returns a leg as the API shows it.
pub fn leg(l: &Leg) -> pb::Leg {
    pb::Leg {
        seq: l.seq,
        task_id: l.task.map(|t| t.to_string()).unwrap_or_default(),
        unit: Some(unit(&l.unit)),
        start: leg_start(l.start).into(),
        given_at: Some(timestamp(l.given_at)),
        due_at: Some(timestamp(l.due_at)),
        signed_at: l.signed_at.map(timestamp),
        ended_at: l.ended_at.map(timestamp),
        outcome: l.outcome.map(leg_outcome).unwrap_or_default().into(),
        return_reason: l
            .return_reason
            .map(return_reason)
            .unwrap_or_default()
            .into(),
    }
}

/// Returns a co-handler's task as the API shows it.
pub fn extension(e: &ExtensionRequest) -> pb::Extension {
    pb::Extension {
        id: e.extension.id.to_string(),
        ticket_id: e.extension.ticket.to_string(),
        ticket_number: e.ticket_number.clone(),
        days: e.extension.days,
        reason: e.extension.reason.clone(),
        state: e.extension.state.as_str().to_owned(),
        requested_by: e.requested_by.clone(),
        requested_at: Some(timestamp(e.requested_at)),
        task_id: e.extension.task.map(|t| t.to_string()).unwrap_or_default(),
    }
}

pub fn task(t: &Task) -> pb::Task {
    pb::Task {
        id: t.id.to_string(),
        unit: Some(unit(&t.unit)),
        state: t.state.as_str().to_owned(),
        dispatched_at: Some(timestamp(t.dispatched_at)),
        due_at: Some(timestamp(t.due_at)),
        result: t.result.clone().unwrap_or_default(),
        paused: t.is_paused(),
    }
}

pub fn priority(p: Priority) -> pb::Priority {
    match p {
        Priority::Normal => pb::Priority::Normal,
        Priority::Urgent => pb::Priority::Urgent,
    }
}

/// Checks that a request's priority is one this version knows: an unknown
/// value is refused, never read as normal. CreateTicket answers it
/// INVALID_ARGUMENT; a `TicketRequested` event carrying it is set aside as
/// a dead letter.
///
/// # Errors
/// INVALID_ARGUMENT naming `priority` and the value.
pub fn check_priority(p: i32) -> Result<(), AppError> {
    if pb::Priority::try_from(p).is_err() {
        return Err(AppError::invalid(
            "priority",
            format!(
                "{p} is no priority this version knows: must be PRIORITY_NORMAL or PRIORITY_URGENT (or unspecified: normal)"
            ),
        ));
    }
    Ok(())
}

/// Returns the priority a request asks for; `None` when unspecified or a
/// value this version does not know (CreateTicket and the ticket requests'
/// consumer refuse that one first, with [`check_priority`]).
pub fn priority_from(p: i32) -> Option<Priority> {
    match pb::Priority::try_from(p).ok()? {
        pb::Priority::Unspecified => None,
        pb::Priority::Normal => Some(Priority::Normal),
        pb::Priority::Urgent => Some(Priority::Urgent),
    }
}

/// Returns the request for a ticket as the domain reads it (checked by
/// intake).
pub fn ticket_request(request: pb::CreateTicketRequest) -> TicketRequest {
    TicketRequest {
        channel: channel_from(request.channel),
        location: request.location.map(|l| LatLng {
            lat: l.lat,
            lng: l.lng,
        }),
        idempotency_key: request.idempotency_key,
        external_ref: request.external_ref,
        category_code: request.category_code,
        title: request.title,
        description: request.description,
        difficult: request.difficult,
        reporter_phone: request.reporter_phone,
        priority: priority_from(request.priority),
    }
}

/// Returns the figures of a set of tickets as the API shows them.
pub fn statistics(s: &Summary) -> pb::Statistics {
    pb::Statistics {
        key: s.key.clone(),
        received: s.received,
        dispatched: s.dispatched,
        resolved: s.resolved,
        closed: s.closed,
        closure_rate: s.closure_rate,
        on_time_rate: s.on_time_rate,
        resolution_rate: s.resolution_rate,
        satisfaction_rate: s.satisfaction_rate,
        rated: s.rated,
        avg_minutes_to_dispatch: s.avg_minutes_to_dispatch,
        p90_minutes_to_dispatch: s.p90_minutes_to_dispatch,
        avg_minutes_to_sign: s.avg_minutes_to_sign,
        p90_minutes_to_sign: s.p90_minutes_to_sign,
        avg_hours_to_close: s.avg_hours_to_close,
        p90_hours_to_close: s.p90_hours_to_close,
        returns: s.returns,
        extensions: s.extensions,
        escalations: s.escalations,
        hazards: s.hazards,
        hazard_rectification_rate: s.hazard_rectification_rate,
        legs: s.legs,
        return_rate: s.return_rate,
        rejected: s.rejected,
        has_cases: s.has_cases,
        on_time_signing_rate: s.on_time_signing_rate,
        signed_on_time: s.signed_on_time,
        signing_judged: s.signing_judged,
        on_time_resolution_rate: s.on_time_resolution_rate,
        resolved_on_time: s.resolved_on_time,
        resolution_judged: s.resolution_judged,
        actually_solved_rate: s.actually_solved_rate,
        actually_solved: s.actually_solved,
        ratings: s.ratings,
        avg_hours_sign_to_resolve: s.avg_hours_sign_to_resolve,
        p90_hours_sign_to_resolve: s.p90_hours_sign_to_resolve,
        transfers: s.transfers,
        transfers_per_ticket: s.transfers_per_ticket,
        merged: s.merged,
    }
}

/// Returns the figures of a period as GetStatistics answers them.
pub fn figures(f: &Figures) -> pb::GetStatisticsResponse {
    let count = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
    pb::GetStatisticsResponse {
        total: Some(statistics(&f.total)),
        groups: f.groups.iter().map(statistics).collect(),
        repeat_places: f
            .repeat_places
            .iter()
            .map(|p| pb::RepeatPlace {
                location: Some(pb::LatLng {
                    lat: p.location.lat,
                    lng: p.location.lng,
                }),
                micro_grid_code: p.micro_grid.clone().unwrap_or_default(),
                village_code: p.village.clone().unwrap_or_default(),
                reports: count(p.tickets.len()),
                merged: p.merged,
                category_codes: p.categories.clone(),
                ticket_numbers: p.tickets.clone(),
            })
            .collect(),
        rising_categories: f
            .rising_categories
            .iter()
            .map(|t| pb::CategoryTrend {
                category_code: t.category.clone(),
                this_period: t.this_period,
                previous_period: t.previous_period,
            })
            .collect(),
    }
}

/// Returns a village's assessment as the API shows it.
pub fn village_assessment(v: &VillageScore) -> pb::VillageAssessment {
    pb::VillageAssessment {
        village_code: v.village.code.clone(),
        village_name: v.village.name.clone(),
        kind: v.village.kind.as_str().to_owned(),
        five_chief_score: v.indicators.five_chief,
        unified_management_score: v.indicators.unified_management,
        safety_score: v.indicators.safety,
        score: v.score,
        weight: v.weight,
        weighted: v.weighted,
        tickets: v.tickets,
        has_cases: v.has_cases,
    }
}

/// Returns the kind of a listed day, `None` when unspecified or unknown.
pub fn day_kind_from(kind: i32) -> Option<DayKind> {
    match pb::CalendarDayKind::try_from(kind).ok()? {
        pb::CalendarDayKind::Holiday => Some(DayKind::Holiday),
        pb::CalendarDayKind::Workday => Some(DayKind::Workday),
        pb::CalendarDayKind::Unspecified => None,
    }
}

/// Returns one year of the calendar.
pub fn calendar_year(view: &YearView) -> pb::GetCalendarResponse {
    pb::GetCalendarResponse {
        year: view.year,
        days: view
            .days
            .iter()
            .map(|d| pb::CalendarDay {
                date: d.day.format("%Y-%m-%d").to_string(),
                kind: match d.kind {
                    DayKind::Holiday => pb::CalendarDayKind::Holiday,
                    DayKind::Workday => pb::CalendarDayKind::Workday,
                }
                .into(),
                name: d.name.clone(),
            })
            .collect(),
        changed_at: view.edit.as_ref().map(|e| timestamp(e.changed_at)),
        changed_by: view
            .edit
            .as_ref()
            .map(|e| e.changed_by.clone())
            .unwrap_or_default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proto_names_map_to_the_domain() {
        for c in Channel::ALL {
            assert_eq!(channel_from(channel(c).into()), Some(c));
        }
        for s in TicketState::ALL {
            assert_eq!(state_from(state(s).into()), Some(s));
        }
        assert_eq!(action(Change::Move(Action::FollowUp)), pb::Action::FollowUp);
        for a in Action::ALL {
            assert_eq!(action_from(action(Change::Move(a)).into()), Some(a));
        }
        assert_eq!(action(Change::Escalate), pb::Action::Unspecified);
        for cause in ReopenCause::ALL {
            assert_eq!(reopen_cause_from(reopen_cause(cause).into()), cause);
        }
        for reason in RejectReason::ALL {
            assert_eq!(
                reject_reason_from(reject_reason(reason).into()),
                Some(reason)
            );
        }
        for reason in ReturnReason::ALL {
            assert_eq!(
                return_reason_from(return_reason(reason).into()),
                Some(reason)
            );
        }
    }
}
