//! The moves of a ticket and of a co-handler's task, one RPC each
//! (DispatchTicket, AcceptTicket, StartWork, ResolveTicket, ReturnTicket,
//! VerifyTicket, FollowUpTicket, CloseTicket, ReopenTicket, AcceptTask,
//! ResolveTask, ReturnTask), and ReferTicket, RejectTicket, RequestExtension,
//! DecideExtension, ListExtensions, SetClockPaused and SetTaskClockPaused.

use platform::auth::Caller;
use platform::error::AppError;
use platform::uow::CallKey;
use proto::dispatch::v1 as pb;

use super::{DispatchApi, given, id};
use crate::application::extensions::{self, DecideExtension, RequestExtension};
use crate::application::referrals::{self, Refer};
use crate::application::rejections::{self, Reject};
use crate::application::tickets::{self, Move, MoveTask, MoveTicket, PauseClock, ReturnTask, Step};
use crate::convert;
use crate::domain::escalation::UnitKind;
use crate::domain::ids::{ExtensionId, TaskId, TicketId};
use crate::domain::referral::ReferralRequest;
use crate::domain::state::ReturnReason;
use crate::domain::task::TaskAction;
use crate::domain::ticket::FollowUpAnswer;
use crate::domain::unit::UnitRef;

/// Returns the ticket a move names.
fn ticket_of(raw: &str) -> Result<TicketId, AppError> {
    id(raw, "ticket_id", TicketId::parse)
}

/// Returns the text of `field`, trimmed; INVALID_ARGUMENT naming the field
/// and `rule` when nothing is left.
fn required(text: &str, field: &str, rule: &str) -> Result<String, AppError> {
    given(text).ok_or_else(|| AppError::invalid(field, rule))
}

/// Returns the step `step` of `ticket`, with no reason of its own.
fn plain(ticket: &str, step: Step) -> Result<Move, AppError> {
    Ok(Move::Ticket(MoveTicket {
        ticket: ticket_of(ticket)?,
        step,
        reason: None,
    }))
}

/// Returns the structured reason of a return (退单).
fn return_reason(reason: i32) -> Result<ReturnReason, AppError> {
    convert::return_reason_from(reason).ok_or_else(|| {
        AppError::invalid(
            "reason",
            "is required: NOT_OUR_RESPONSIBILITY, WRONG_LOCATION, NOT_ENOUGH_INFORMATION, BEYOND_OUR_MEANS or OTHER",
        )
    })
}

/// Returns the move of a co-handler's task.
fn task_move(
    ticket: &str,
    task: &str,
    action: TaskAction,
    result: Option<String>,
) -> Result<Move, AppError> {
    Ok(Move::Task(MoveTask {
        ticket: ticket_of(ticket)?,
        task: id(task, "task_id", TaskId::parse)?,
        action,
        result,
    }))
}

/// Returns the unit the desk names for a dispatch (an override of the
/// responsibility chain, so it needs a reason); `None` to follow the chain.
fn desk_choice(unit: Option<&pb::Unit>, has_reason: bool) -> Result<Option<UnitRef>, AppError> {
    let Some(unit) = unit.filter(|u| !u.code.is_empty()) else {
        return Ok(None);
    };
    let kind = UnitKind::parse(&unit.kind).ok_or_else(|| {
        AppError::invalid(
            "unit.kind",
            "must be MICRO_GRID, WORKSTATION, DEPARTMENT, TOWN_CENTRE or LEADER",
        )
    })?;
    if !has_reason {
        return Err(AppError::invalid(
            "reason",
            "is required when the desk chooses the unit",
        ));
    }
    Ok(Some(UnitRef::new(kind, &unit.code, &unit.name)))
}

/// Returns the co-handlers of a multi-department case.
fn co_handlers(units: &[pb::Unit]) -> Result<Vec<UnitRef>, AppError> {
    units
        .iter()
        .enumerate()
        .map(|(i, u)| match UnitKind::parse(&u.kind) {
            Some(kind) if !u.code.trim().is_empty() => {
                Ok(UnitRef::new(kind, u.code.trim(), u.name.trim()))
            }
            _ => Err(AppError::invalid(
                format!("co_handlers[{i}]"),
                "must name a unit kind and code",
            )),
        })
        .collect()
}

/// Implements the move RPCs: each decodes its request into a [`Move`]
/// (bad input named by field), and [`DispatchApi::make_move`] runs it and
/// answers the ticket after it in the RPC's own response.
macro_rules! move_rpcs {
    ($($rpc:ident: $request:ty => $response:ident, $decode:expr;)*) => {
        impl DispatchApi {
            $(
                #[tracing::instrument(skip_all, fields(ticket_id = %request.ticket_id))]
                pub(super) async fn $rpc(
                    &self,
                    caller: Caller,
                    request: $request,
                ) -> Result<pb::$response, AppError> {
                    let decode: fn(&$request) -> Result<Move, AppError> = $decode;
                    let cmd = decode(&request)?;
                    let key = CallKey::new(&caller, &request.idempotency_key, &request);
                    tickets::transition(&self.ctx, &caller, key, cmd, |view| pb::$response {
                        ticket: Some(convert::ticket(view)),
                    })
                    .await
                }
            )*
        }
    };
}

move_rpcs! {
    dispatch_ticket: pb::DispatchTicketRequest => DispatchTicketResponse, |r| {
        let reason = given(&r.reason);
        let step = Step::Dispatch {
            unit: desk_choice(r.unit.as_ref(), reason.is_some())?,
            co_handlers: co_handlers(&r.co_handlers)?,
        };
        Ok(Move::Ticket(MoveTicket { ticket: ticket_of(&r.ticket_id)?, step, reason }))
    };
    accept_ticket: pb::AcceptTicketRequest => AcceptTicketResponse,
        |r| plain(&r.ticket_id, Step::Accept);
    start_work: pb::StartWorkRequest => StartWorkResponse,
        |r| plain(&r.ticket_id, Step::Start);
    resolve_ticket: pb::ResolveTicketRequest => ResolveTicketResponse, |r| {
        let result = required(&r.result, "result", "is required: what was done")?;
        plain(&r.ticket_id, Step::Resolve { result })
    };
    return_ticket: pb::ReturnTicketRequest => ReturnTicketResponse, |r| {
        let ticket = ticket_of(&r.ticket_id)?;
        let reason = return_reason(r.reason)?;
        let note = required(&r.note, "note", "is required to return: what the unit found")?;
        let step = Step::Return { reason, note: note.clone(), chain: None };
        Ok(Move::Ticket(MoveTicket { ticket, step, reason: Some(note) }))
    };
    verify_ticket: pb::VerifyTicketRequest => VerifyTicketResponse, |r| {
        Ok(Move::Ticket(MoveTicket {
            ticket: ticket_of(&r.ticket_id)?,
            step: Step::Verify { result_true: r.verified_true },
            reason: given(&r.note),
        }))
    };
    follow_up_ticket: pb::FollowUpTicketRequest => FollowUpTicketResponse, |r| {
        if !(1..=5).contains(&r.satisfaction) {
            return Err(AppError::invalid("satisfaction", "must be between 1 and 5"));
        }
        let answer = FollowUpAnswer { satisfaction: r.satisfaction, solved: r.solved };
        Ok(Move::Ticket(MoveTicket {
            ticket: ticket_of(&r.ticket_id)?,
            step: Step::FollowUp { answer },
            reason: given(&r.note),
        }))
    };
    close_ticket: pb::CloseTicketRequest => CloseTicketResponse, |r| {
        Ok(Move::Ticket(MoveTicket {
            ticket: ticket_of(&r.ticket_id)?,
            step: Step::Close { reporter_unreachable: r.reporter_unreachable },
            reason: given(&r.note),
        }))
    };
    reopen_ticket: pb::ReopenTicketRequest => ReopenTicketResponse, |r| {
        let ticket = ticket_of(&r.ticket_id)?;
        let reason = required(&r.reason, "reason", "is required to reopen")?;
        let step = Step::Reopen { cause: convert::reopen_cause_from(r.cause), reason: reason.clone() };
        Ok(Move::Ticket(MoveTicket { ticket, step, reason: Some(reason) }))
    };
    accept_task: pb::AcceptTaskRequest => AcceptTaskResponse,
        |r| task_move(&r.ticket_id, &r.task_id, TaskAction::Accept, None);
    return_task: pb::ReturnTaskRequest => ReturnTaskResponse, |r| {
        let ticket = ticket_of(&r.ticket_id)?;
        let task = id(&r.task_id, "task_id", TaskId::parse)?;
        let reason = return_reason(r.reason)?;
        let note = required(&r.note, "note", "is required to return: what the unit found")?;
        Ok(Move::ReturnTask(ReturnTask { ticket, task, reason, note, chain: None }))
    };
    resolve_task: pb::ResolveTaskRequest => ResolveTaskResponse, |r| {
        let result = required(&r.result, "result", "is required: what was done")?;
        task_move(&r.ticket_id, &r.task_id, TaskAction::Resolve, Some(result))
    };
}

impl DispatchApi {
    #[tracing::instrument(skip_all, fields(ticket_id = %request.ticket_id))]
    pub(super) async fn refer_ticket(
        &self,
        caller: Caller,
        request: pb::ReferTicketRequest,
    ) -> Result<pb::ReferTicketResponse, AppError> {
        let ticket = ticket_of(&request.ticket_id)?;
        let deadline = match &request.deadline {
            Some(ts) => Some(
                convert::from_timestamp(ts)
                    .ok_or_else(|| AppError::invalid("deadline", "must be a valid time"))?,
            ),
            None => None,
        };
        let key = CallKey::new(&caller, &request.idempotency_key, &request);
        let cmd = Refer {
            ticket,
            referral: ReferralRequest {
                kind: convert::referral_kind_from(request.kind),
                question: request.question,
                materials: request.materials,
                parties: request.parties,
                major: request.major,
                deadline,
                urgent: request.urgent,
            },
        };
        referrals::refer_ticket(&self.ctx, &caller, key, cmd, |view| {
            pb::ReferTicketResponse {
                ticket: Some(convert::ticket(view)),
            }
        })
        .await
    }

    #[tracing::instrument(skip_all, fields(ticket_id = %request.ticket_id))]
    pub(super) async fn reject_ticket(
        &self,
        caller: Caller,
        request: pb::RejectTicketRequest,
    ) -> Result<pb::RejectTicketResponse, AppError> {
        let ticket = ticket_of(&request.ticket_id)?;
        let reason = convert::reject_reason_from(request.reason).ok_or_else(|| {
            AppError::invalid(
                "reason",
                "is required: PRANK, DUPLICATE, OUTSIDE_THE_TOWN or NOT_A_CASE",
            )
        })?;
        let Some(note) = given(&request.note) else {
            return Err(AppError::invalid(
                "note",
                "is required: what the desk found",
            ));
        };
        let key = CallKey::new(&caller, &request.idempotency_key, &request);
        let cmd = Reject {
            ticket,
            reason,
            note,
        };
        rejections::reject_ticket(&self.ctx, &caller, key, cmd, |view| {
            pb::RejectTicketResponse {
                ticket: Some(convert::ticket(view)),
            }
        })
        .await
    }

    pub(super) async fn request_extension(
        &self,
        caller: Caller,
        request: pb::RequestExtensionRequest,
    ) -> Result<pb::RequestExtensionResponse, AppError> {
        let ticket = ticket_of(&request.ticket_id)?;
        if !(1..=30).contains(&request.days) {
            return Err(AppError::invalid(
                "days",
                "must be between 1 and 30 working days",
            ));
        }
        let Some(reason) = given(&request.reason) else {
            return Err(AppError::invalid(
                "reason",
                "is required: why more time is needed",
            ));
        };
        let key = CallKey::new(&caller, &request.idempotency_key, &request);
        let task = match request.task_id.as_str() {
            "" => None,
            raw => Some(id(raw, "task_id", TaskId::parse)?),
        };
        let cmd = RequestExtension {
            ticket,
            task,
            days: request.days,
            reason,
        };
        extensions::request_extension(&self.ctx, &caller, key, cmd, |extension| {
            pb::RequestExtensionResponse {
                extension_id: extension.id.to_string(),
            }
        })
        .await
    }

    pub(super) async fn decide_extension(
        &self,
        caller: Caller,
        request: pb::DecideExtensionRequest,
    ) -> Result<pb::DecideExtensionResponse, AppError> {
        let extension = id(&request.extension_id, "extension_id", ExtensionId::parse)?;
        if !request.grant && request.reason.trim().is_empty() {
            return Err(AppError::invalid("reason", "is required to refuse"));
        }
        let key = CallKey::new(&caller, &request.idempotency_key, &request);
        let cmd = DecideExtension {
            extension,
            grant: request.grant,
            reason: request.reason.trim().to_owned(),
        };
        extensions::decide_extension(&self.ctx, &caller, key, cmd, |view| {
            pb::DecideExtensionResponse {
                ticket: Some(convert::ticket(view)),
            }
        })
        .await
    }

    pub(super) async fn list_extensions(
        &self,
        _caller: Caller,
        request: pb::ListExtensionsRequest,
    ) -> Result<pb::ListExtensionsResponse, AppError> {
        let ticket = match request.ticket_id.as_str() {
            "" => None,
            raw => Some(id(raw, "ticket_id", TicketId::parse)?),
        };
        let listed = extensions::list_extensions(&self.ctx, ticket).await?;
        Ok(pb::ListExtensionsResponse {
            extensions: listed.iter().map(convert::extension).collect(),
        })
    }

    pub(super) async fn set_task_clock_paused(
        &self,
        caller: Caller,
        request: pb::SetTaskClockPausedRequest,
    ) -> Result<pb::SetTaskClockPausedResponse, AppError> {
        let task = id(&request.task_id, "task_id", TaskId::parse)?;
        let cmd = pause(
            &request.ticket_id,
            Some(task),
            request.paused,
            &request.reason,
        )?;
        let key = CallKey::new(&caller, &request.idempotency_key, &request);
        tickets::set_clock_paused(&self.ctx, &caller, key, cmd, |view| {
            pb::SetTaskClockPausedResponse {
                ticket: Some(convert::ticket(view)),
            }
        })
        .await
    }

    pub(super) async fn set_clock_paused(
        &self,
        caller: Caller,
        request: pb::SetClockPausedRequest,
    ) -> Result<pb::SetClockPausedResponse, AppError> {
        let cmd = pause(&request.ticket_id, None, request.paused, &request.reason)?;
        let key = CallKey::new(&caller, &request.idempotency_key, &request);
        tickets::set_clock_paused(&self.ctx, &caller, key, cmd, |view| {
            pb::SetClockPausedResponse {
                ticket: Some(convert::ticket(view)),
            }
        })
        .await
    }
}

/// Returns the pause (or resumption) of the clock of `ticket`, or of its
/// task `task`; a pause needs its reason.
fn pause(
    ticket: &str,
    task: Option<TaskId>,
    paused: bool,
    reason: &str,
) -> Result<PauseClock, AppError> {
    let ticket = ticket_of(ticket)?;
    if paused && reason.trim().is_empty() {
        return Err(AppError::invalid("reason", "is required to pause a clock"));
    }
    Ok(PauseClock {
        ticket,
        task,
        paused,
        reason: reason.trim().to_owned(),
    })
}
