//! Transition, ReferTicket, RejectTicket, RequestExtension,
//! DecideExtension, ListExtensions and SetClockPaused.

use platform::auth::Caller;
use platform::error::AppError;
use platform::uow::CallKey;
use proto::dispatch::v1 as pb;

use super::{DispatchApi, given, id};
use crate::application::extensions::{self, DecideExtension, RequestExtension};
use crate::application::referrals::{self, Refer};
use crate::application::rejections::{self, Reject};
use crate::application::tickets::{self, Move, MoveTask, MoveTicket, PauseClock, Step};
use crate::convert;
use crate::domain::escalation::UnitKind;
use crate::domain::ids::{ExtensionId, TaskId, TicketId};
use crate::domain::referral::ReferralRequest;
use crate::domain::state::Action;
use crate::domain::task::TaskAction;
use crate::domain::ticket::FollowUpAnswer;
use crate::domain::unit::UnitRef;

/// Returns the move a Transition request asks for.
fn decode_move(request: &pb::TransitionRequest) -> Result<Move, AppError> {
    let ticket = id(&request.ticket_id, "ticket_id", TicketId::parse)?;
    let action = convert::action_from(request.action)
        .ok_or_else(|| AppError::invalid("action", "must be an action"))?;
    let reason = given(&request.reason);
    let required_reason = match (action, &reason) {
        (Action::Return | Action::Reopen, None) => {
            return Err(AppError::invalid(
                "reason",
                format!("is required to {}", action.as_str()),
            ));
        }
        (_, reason) => reason.clone().unwrap_or_default(),
    };
    check_own_fields(request, action)?;
    if !request.task_id.is_empty() {
        return decode_task_move(request, ticket, action).map(Move::Task);
    }
    let step = match action {
        Action::Dispatch => Step::Dispatch {
            unit: desk_choice(request.unit.as_ref(), reason.is_some())?,
            co_handlers: co_handlers(&request.co_handlers)?,
        },
        Action::Accept => Step::Accept,
        Action::Start => Step::Start,
        Action::Resolve => Step::Resolve {
            result: request.result.trim().to_owned(),
        },
        Action::Return => return_step(request.return_reason, required_reason)?,
        Action::Verify => Step::Verify {
            result_true: request.verified_true,
        },
        Action::FollowUp => Step::FollowUp {
            answer: FollowUpAnswer {
                satisfaction: request.satisfaction,
                solved: request.solved,
            },
        },
        Action::Close => Step::Close {
            reporter_unreachable: request.reporter_unreachable,
        },
        Action::Reopen => Step::Reopen {
            cause: convert::reopen_cause_from(request.reopen_cause),
            reason: required_reason,
        },
        Action::Refer => return Err(AppError::invalid("action", "use ReferTicket to refer")),
        Action::Reject => return Err(AppError::invalid("action", "use RejectTicket to reject")),
    };
    Ok(Move::Ticket(MoveTicket {
        ticket,
        step,
        reason,
    }))
}

/// Checks the fields an action cannot go without: what a resolution did,
/// a follow-up's rating.
fn check_own_fields(request: &pb::TransitionRequest, action: Action) -> Result<(), AppError> {
    match action {
        Action::Resolve if request.result.trim().is_empty() => {
            Err(AppError::invalid("result", "is required: what was done"))
        }
        Action::FollowUp if !(1..=5).contains(&request.satisfaction) => {
            Err(AppError::invalid("satisfaction", "must be between 1 and 5"))
        }
        _ => Ok(()),
    }
}

/// Returns a return (退单) for the structured `reason` a request names,
/// explained by `note`; the registry's chain is asked for later.
fn return_step(reason: i32, note: String) -> Result<Step, AppError> {
    let reason = convert::return_reason_from(reason).ok_or_else(|| {
        AppError::invalid(
            "return_reason",
            "is required: NOT_OUR_RESPONSIBILITY, WRONG_LOCATION, NOT_ENOUGH_INFORMATION, BEYOND_OUR_MEANS or OTHER",
        )
    })?;
    Ok(Step::Return {
        reason,
        note,
        chain: None,
    })
}

/// Returns the move of a co-handler's task a Transition request asks for.
fn decode_task_move(
    request: &pb::TransitionRequest,
    ticket: TicketId,
    action: Action,
) -> Result<MoveTask, AppError> {
    let task = id(&request.task_id, "task_id", TaskId::parse)?;
    let action = match action {
        Action::Accept => TaskAction::Accept,
        Action::Resolve => TaskAction::Resolve,
        _ => {
            return Err(AppError::invalid(
                "action",
                "a task is only accepted or resolved",
            ));
        }
    };
    Ok(MoveTask {
        ticket,
        task,
        action,
        result: given(&request.result),
    })
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

impl DispatchApi {
    #[tracing::instrument(skip_all, fields(ticket_id = %request.ticket_id, action = request.action))]
    pub(super) async fn transition(
        &self,
        caller: Caller,
        request: pb::TransitionRequest,
    ) -> Result<pb::TransitionResponse, AppError> {
        let cmd = decode_move(&request)?;
        let key = CallKey::new(&caller, &request.idempotency_key, &request);
        tickets::transition(&self.ctx, &caller, key, cmd, |view| {
            pb::TransitionResponse {
                ticket: Some(convert::ticket(view)),
            }
        })
        .await
    }

    #[tracing::instrument(skip_all, fields(ticket_id = %request.ticket_id))]
    pub(super) async fn refer_ticket(
        &self,
        caller: Caller,
        request: pb::ReferTicketRequest,
    ) -> Result<pb::ReferTicketResponse, AppError> {
        let ticket = id(&request.ticket_id, "ticket_id", TicketId::parse)?;
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
        let ticket = id(&request.ticket_id, "ticket_id", TicketId::parse)?;
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
        let ticket = id(&request.ticket_id, "ticket_id", TicketId::parse)?;
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
        let cmd = RequestExtension {
            ticket,
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

    pub(super) async fn set_clock_paused(
        &self,
        caller: Caller,
        request: pb::SetClockPausedRequest,
    ) -> Result<pb::SetClockPausedResponse, AppError> {
        let ticket = id(&request.ticket_id, "ticket_id", TicketId::parse)?;
        if request.paused && request.reason.trim().is_empty() {
            return Err(AppError::invalid("reason", "is required to pause a clock"));
        }
        let key = CallKey::new(&caller, &request.idempotency_key, &request);
        let cmd = PauseClock {
            ticket,
            paused: request.paused,
        };
        tickets::set_clock_paused(&self.ctx, key, cmd, |view| pb::SetClockPausedResponse {
            ticket: Some(convert::ticket(view)),
        })
        .await
    }
}
