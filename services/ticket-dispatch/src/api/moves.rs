//! Transition, RequestExtension, DecideExtension and SetClockPaused.

use platform::auth::{Caller, Role};
use platform::idempotency::{self, IdempotencyKey};
use proto::dispatch::v1 as pb;
use uuid::Uuid;

use super::{ApiError, DispatchApi, convert};
use crate::domain::escalation::UnitKind;
use crate::domain::state::{Action, ReopenCause};
use crate::repository::extensions::{self, ExtensionRow};
use crate::repository::tasks;
use crate::repository::tickets::{self, TicketRow};
use crate::workflow::{self, Move, UnitRef};

/// Satisfaction at or below this sends a ticket back to its unit.
const LOW_SATISFACTION: u32 = 2;

/// Returns whether `caller` acts for the unit holding `ticket`.
fn holds(caller: &Caller, ticket: &TicketRow) -> bool {
    caller.role == Role::TownOperator
        || (caller.scope.is_some() && caller.scope == ticket.assignee_code)
        || (caller.role == Role::WorkstationStaff
            && caller.scope.is_some()
            && caller.scope == ticket.village_code
            && ticket.assignee_kind.as_deref() == Some(UnitKind::MicroGrid.as_str()))
}

fn require_desk(caller: &Caller, what: &str) -> Result<(), ApiError> {
    if caller.role == Role::TownOperator {
        Ok(())
    } else {
        Err(ApiError::PermissionDenied(format!(
            "only the town centre's desk may {what}"
        )))
    }
}

fn parse_id(id: &str, field: &str) -> Result<Uuid, ApiError> {
    id.parse()
        .map_err(|_| ApiError::invalid(field, "must be a UUID"))
}

impl DispatchApi {
    #[tracing::instrument(skip_all, fields(ticket_id = %request.ticket_id, action = request.action))]
    pub(super) async fn transition(
        &self,
        caller: Caller,
        request: pb::TransitionRequest,
    ) -> Result<pb::TransitionResponse, ApiError> {
        let id = parse_id(&request.ticket_id, "ticket_id")?;
        let action = convert::action_from(request.action)
            .ok_or_else(|| ApiError::invalid("action", "must be an action"))?;
        let reason = Some(request.reason.trim().to_owned()).filter(|r| !r.is_empty());
        match action {
            Action::Return | Action::Reopen if reason.is_none() => {
                return Err(ApiError::invalid(
                    "reason",
                    format!("is required to {}", action.as_str()),
                ));
            }
            Action::Resolve if request.result.trim().is_empty() => {
                return Err(ApiError::invalid("result", "is required: what was done"));
            }
            Action::FollowUp if !(1..=5).contains(&request.satisfaction) => {
                return Err(ApiError::invalid("satisfaction", "must be between 1 and 5"));
            }
            _ => {}
        }
        let mut txn = self.pool.begin().await?;
        let key = IdempotencyKey::new(
            &caller.subject,
            "Transition",
            &request.idempotency_key,
            &request,
        );
        if let Some(saved) = idempotency::replay(&mut txn, &key).await? {
            return Ok(saved);
        }
        if !request.task_id.is_empty() {
            let response = self
                .move_task(&mut txn, &caller, id, &request, action)
                .await?;
            idempotency::finish(&mut txn, &key, &response).await?;
            txn.commit().await?;
            self.waker.wake();
            return Ok(response);
        }
        let mut ticket = tickets::by_id_for_update(&mut txn, id)
            .await?
            .ok_or_else(|| ApiError::NotFound(format!("ticket {id}")))?;
        if !super::may_see(&caller, &ticket) {
            return Err(ApiError::NotFound(format!("ticket {id}")));
        }
        match action {
            Action::Accept | Action::Start | Action::Resolve | Action::Return => {
                if !holds(&caller, &ticket) {
                    return Err(ApiError::PermissionDenied(
                        "only the unit holding the ticket may do this".into(),
                    ));
                }
            }
            _ => require_desk(&caller, action.as_str())?,
        }
        if action == Action::Dispatch && ticket.duplicate_of.is_some() {
            return Err(ApiError::FailedPrecondition(
                "ticket repeats another open ticket and closes with it; split it off to dispatch it".into(),
            ));
        }
        let now = self.clock.now();
        let mut mv = Move {
            action,
            actor: caller.subject.clone(),
            reason: reason.clone(),
            unit: None,
            at: now,
            cause: None,
        };
        match action {
            Action::Dispatch => {
                mv.unit = Some(
                    self.dispatch_unit(&caller, &ticket, request.unit.as_ref(), reason.as_deref())
                        .await?,
                );
            }
            Action::Resolve => mv.reason = Some(request.result.trim().to_owned()),
            Action::Verify if !request.verified_true => {
                crate::domain::state::TicketState::parse(&ticket.state)
                    .ok_or_else(|| anyhow::anyhow!("stored state {}", ticket.state))?
                    .apply(Action::Verify)?;
                // Not true: back to the same unit, and it counts against it.
                mv.action = Action::Reopen;
                mv.reason =
                    Some(reason.unwrap_or_else(|| "verification found the result untrue".into()));
                mv.unit = unit_of(&ticket);
                mv.cause = Some(ReopenCause::ResultUntrue);
            }
            Action::FollowUp => ticket.satisfaction = Some(request.satisfaction as i32),
            Action::Close if ticket.state == "VERIFIED" && !request.reporter_unreachable => {
                return Err(ApiError::FailedPrecondition(
                    "ticket is verified; follow up with the reporter first, or close with reporter_unreachable".into(),
                ));
            }
            Action::Reopen => {
                mv.unit = unit_of(&ticket);
                mv.cause = Some(convert::reopen_cause_from(request.reopen_cause));
            }
            _ => {}
        }
        workflow::apply(&mut txn, &self.rules, &mut ticket, mv).await?;
        if action == Action::Dispatch && !request.co_handlers.is_empty() {
            let units = request
                .co_handlers
                .iter()
                .enumerate()
                .map(|(i, u)| match UnitKind::parse(&u.kind) {
                    Some(kind) if !u.code.trim().is_empty() => Ok(UnitRef {
                        kind,
                        code: u.code.trim().to_owned(),
                        name: u.name.trim().to_owned(),
                    }),
                    _ => Err(ApiError::invalid(
                        format!("co_handlers[{i}]"),
                        "must name a unit kind and code",
                    )),
                })
                .collect::<Result<Vec<_>, _>>()?;
            workflow::dispatch_tasks(&mut txn, &self.rules, &ticket, &units, &caller.subject, now)
                .await?;
        }
        if action == Action::FollowUp && request.satisfaction <= LOW_SATISFACTION {
            let reopen = Move {
                action: Action::Reopen,
                actor: caller.subject.clone(),
                reason: Some(format!(
                    "reporter rated the handling {} of 5",
                    request.satisfaction
                )),
                unit: unit_of(&ticket),
                at: now,
                cause: Some(ReopenCause::Unsatisfied),
            };
            workflow::apply(&mut txn, &self.rules, &mut ticket, reopen).await?;
        }
        let history = tickets::history(&mut txn, id).await?;
        let tasks = crate::repository::tasks::of_ticket(&mut txn, id).await?;
        let response = pb::TransitionResponse {
            ticket: Some(convert::ticket(&ticket, &history, &tasks)),
        };
        idempotency::finish(&mut txn, &key, &response).await?;
        txn.commit().await?;
        self.waker.wake();
        Ok(response)
    }

    /// Returns the unit a desk dispatch goes to: the one the desk names (an
    /// override of the responsibility chain, so it needs a reason), else the
    /// first of the chain for the ticket's place and category.
    async fn dispatch_unit(
        &self,
        caller: &Caller,
        ticket: &TicketRow,
        chosen: Option<&pb::Unit>,
        reason: Option<&str>,
    ) -> Result<UnitRef, ApiError> {
        if let Some(unit) = chosen.filter(|u| !u.code.is_empty()) {
            let kind = UnitKind::parse(&unit.kind).ok_or_else(|| {
                ApiError::invalid(
                    "unit.kind",
                    "must be MICRO_GRID, WORKSTATION, DEPARTMENT, TOWN_CENTRE or LEADER",
                )
            })?;
            if reason.is_none() {
                return Err(ApiError::invalid(
                    "reason",
                    "is required when the desk chooses the unit",
                ));
            }
            return Ok(UnitRef {
                kind,
                code: unit.code.clone(),
                name: unit.name.clone(),
            });
        }
        let (Some(lat), Some(lng)) = (ticket.lat, ticket.lng) else {
            return Err(ApiError::invalid(
                "unit",
                "is required: the ticket has no location to find who is responsible",
            ));
        };
        let mut conn = self.pool.acquire().await?;
        let category = crate::repository::categories::get(&mut conn, &ticket.category_code)
            .await?
            .ok_or_else(|| anyhow::anyhow!("category {} vanished", ticket.category_code))?;
        drop(conn);
        let chain = self
            .registry
            .responsible(lat, lng, &category.domain_code, Some(caller.token()))
            .await
            .map_err(|e| {
                ApiError::FailedPrecondition(format!("{e}; name the unit to dispatch to"))
            })?;
        pick_from_chain(&chain).ok_or_else(|| {
            ApiError::FailedPrecondition(
                "the registry names nobody responsible here; name the unit to dispatch to".into(),
            )
        })
    }

    /// Accepts or resolves a co-handler's task; only its unit (or the desk)
    /// may.
    async fn move_task(
        &self,
        txn: &mut sqlx::PgConnection,
        caller: &Caller,
        ticket_id: Uuid,
        request: &pb::TransitionRequest,
        action: Action,
    ) -> Result<pb::TransitionResponse, ApiError> {
        let task_id = parse_id(&request.task_id, "task_id")?;
        if !matches!(action, Action::Accept | Action::Resolve) {
            return Err(ApiError::invalid(
                "action",
                "a task is only accepted or resolved",
            ));
        }
        if action == Action::Resolve && request.result.trim().is_empty() {
            return Err(ApiError::invalid("result", "is required: what was done"));
        }
        let ticket = tickets::by_id_for_update(txn, ticket_id)
            .await?
            .ok_or_else(|| ApiError::NotFound(format!("ticket {ticket_id}")))?;
        let mut task = tasks::by_id_for_update(txn, task_id)
            .await?
            .filter(|t| t.ticket_id == ticket_id)
            .ok_or_else(|| ApiError::NotFound(format!("task {task_id}")))?;
        if caller.role != Role::TownOperator
            && caller.scope.as_deref() != Some(task.unit_code.as_str())
        {
            return Err(ApiError::PermissionDenied(format!(
                "only {} may move its task",
                task.unit_code
            )));
        }
        let result = Some(request.result.trim().to_owned()).filter(|r| !r.is_empty());
        workflow::move_task(
            txn,
            &ticket,
            &mut task,
            action,
            result,
            &caller.subject,
            self.clock.now(),
        )
        .await?;
        let history = tickets::history(&mut *txn, ticket_id).await?;
        let all = tasks::of_ticket(&mut *txn, ticket_id).await?;
        Ok(pb::TransitionResponse {
            ticket: Some(convert::ticket(&ticket, &history, &all)),
        })
    }

    pub(super) async fn request_extension(
        &self,
        caller: Caller,
        request: pb::RequestExtensionRequest,
    ) -> Result<pb::RequestExtensionResponse, ApiError> {
        let id = parse_id(&request.ticket_id, "ticket_id")?;
        if !(1..=30).contains(&request.days) {
            return Err(ApiError::invalid(
                "days",
                "must be between 1 and 30 working days",
            ));
        }
        if request.reason.trim().is_empty() {
            return Err(ApiError::invalid(
                "reason",
                "is required: why more time is needed",
            ));
        }
        let mut txn = self.pool.begin().await?;
        let key = IdempotencyKey::new(
            &caller.subject,
            "RequestExtension",
            &request.idempotency_key,
            &request,
        );
        if let Some(saved) = idempotency::replay(&mut txn, &key).await? {
            return Ok(saved);
        }
        let ticket = tickets::by_id_for_update(&mut txn, id)
            .await?
            .ok_or_else(|| ApiError::NotFound(format!("ticket {id}")))?;
        if !holds(&caller, &ticket) {
            return Err(ApiError::PermissionDenied(
                "only the unit holding the ticket may ask for more time".into(),
            ));
        }
        if !matches!(
            ticket.state.as_str(),
            "DISPATCHED" | "ACCEPTED" | "IN_PROGRESS" | "REOPENED"
        ) {
            return Err(ApiError::FailedPrecondition(format!(
                "ticket is {}; more time is asked for only while a unit handles it",
                ticket.state.to_lowercase().replace('_', " ")
            )));
        }
        let extension = ExtensionRow {
            extension_id: Uuid::now_v7(),
            ticket_id: id,
            days: request.days as i32,
            reason: request.reason.trim().to_owned(),
            state: "PENDING".into(),
        };
        extensions::request(&mut txn, &extension, &caller.subject, self.clock.now()).await?;
        let response = pb::RequestExtensionResponse {
            extension_id: extension.extension_id.to_string(),
        };
        idempotency::finish(&mut txn, &key, &response).await?;
        txn.commit().await?;
        Ok(response)
    }

    pub(super) async fn decide_extension(
        &self,
        caller: Caller,
        request: pb::DecideExtensionRequest,
    ) -> Result<pb::DecideExtensionResponse, ApiError> {
        require_desk(&caller, "decide on extensions")?;
        let id = parse_id(&request.extension_id, "extension_id")?;
        if !request.grant && request.reason.trim().is_empty() {
            return Err(ApiError::invalid("reason", "is required to refuse"));
        }
        let mut txn = self.pool.begin().await?;
        let key = IdempotencyKey::new(
            &caller.subject,
            "DecideExtension",
            &request.idempotency_key,
            &request,
        );
        if let Some(saved) = idempotency::replay(&mut txn, &key).await? {
            return Ok(saved);
        }
        let extension = extensions::by_id_for_update(&mut txn, id)
            .await?
            .ok_or_else(|| ApiError::NotFound(format!("extension {id}")))?;
        if extension.state != "PENDING" {
            return Err(ApiError::FailedPrecondition(format!(
                "extension {id} was already {}",
                extension.state.to_lowercase()
            )));
        }
        let mut ticket = tickets::by_id_for_update(&mut txn, extension.ticket_id)
            .await?
            .ok_or_else(|| anyhow::anyhow!("ticket of extension {id} vanished"))?;
        let now = self.clock.now();
        extensions::decide(
            &mut txn,
            id,
            request.grant,
            &caller.subject,
            request.reason.trim(),
            now,
        )
        .await?;
        if request.grant {
            ticket.extension_days += extension.days;
            ticket.version += 1;
            ticket.updated_at = now;
            workflow::refresh_clock(&mut txn, &self.rules, &mut ticket, now).await?;
            tickets::update(&mut txn, &ticket).await?;
        }
        let history = tickets::history(&mut txn, ticket.ticket_id).await?;
        let tasks = crate::repository::tasks::of_ticket(&mut txn, ticket.ticket_id).await?;
        let response = pb::DecideExtensionResponse {
            ticket: Some(convert::ticket(&ticket, &history, &tasks)),
        };
        idempotency::finish(&mut txn, &key, &response).await?;
        txn.commit().await?;
        Ok(response)
    }

    pub(super) async fn set_clock_paused(
        &self,
        caller: Caller,
        request: pb::SetClockPausedRequest,
    ) -> Result<pb::SetClockPausedResponse, ApiError> {
        require_desk(&caller, "pause or resume a clock")?;
        let id = parse_id(&request.ticket_id, "ticket_id")?;
        if request.paused && request.reason.trim().is_empty() {
            return Err(ApiError::invalid("reason", "is required to pause a clock"));
        }
        let mut txn = self.pool.begin().await?;
        let key = IdempotencyKey::new(
            &caller.subject,
            "SetClockPaused",
            &request.idempotency_key,
            &request,
        );
        if let Some(saved) = idempotency::replay(&mut txn, &key).await? {
            return Ok(saved);
        }
        let mut ticket = tickets::by_id_for_update(&mut txn, id)
            .await?
            .ok_or_else(|| ApiError::NotFound(format!("ticket {id}")))?;
        let Some(mut clock) = ticket.clock() else {
            return Err(ApiError::FailedPrecondition(
                "ticket is not dispatched yet; its clock has not started".into(),
            ));
        };
        let now = self.clock.now();
        if request.paused {
            clock.pause(now)
        } else {
            clock.resume(now)
        }
        ticket.set_clock(&clock);
        ticket.version += 1;
        ticket.updated_at = now;
        workflow::refresh_clock(&mut txn, &self.rules, &mut ticket, now).await?;
        tickets::update(&mut txn, &ticket).await?;
        let history = tickets::history(&mut txn, id).await?;
        let tasks = crate::repository::tasks::of_ticket(&mut txn, id).await?;
        let response = pb::SetClockPausedResponse {
            ticket: Some(convert::ticket(&ticket, &history, &tasks)),
        };
        idempotency::finish(&mut txn, &key, &response).await?;
        txn.commit().await?;
        Ok(response)
    }
}

/// The unit holding a ticket, as a unit reference.
fn unit_of(ticket: &TicketRow) -> Option<UnitRef> {
    Some(UnitRef {
        kind: UnitKind::parse(ticket.assignee_kind.as_deref()?)?,
        code: ticket.assignee_code.clone()?,
        name: ticket.assignee_name.clone().unwrap_or_default(),
    })
}

/// Picks whom the desk dispatches to from the responsibility chain: a
/// regulator of the domain first, then a co-manager, then the workstation,
/// then the micro-grid.
pub fn pick_from_chain(chain: &[proto::registry::v1::ResponsibleParty]) -> Option<UnitRef> {
    use proto::registry::v1::Duty;
    let by_duty = |duty: Duty| chain.iter().find(|p| p.duty == duty as i32);
    if let Some(p) = by_duty(Duty::Regulator).or_else(|| by_duty(Duty::CoManagement)) {
        return Some(UnitRef {
            kind: UnitKind::Department,
            code: p.department_code.clone(),
            name: p.department_name.clone(),
        });
    }
    if let Some(grid) = by_duty(Duty::Workstation).and_then(|p| p.grid.as_ref()) {
        return Some(UnitRef {
            kind: UnitKind::Workstation,
            code: grid.code.clone(),
            name: grid.name.clone(),
        });
    }
    by_duty(Duty::MicroGridLeader)
        .and_then(|p| p.grid.as_ref())
        .map(|grid| UnitRef {
            kind: UnitKind::MicroGrid,
            code: grid.code.clone(),
            name: grid.name.clone(),
        })
}

impl DispatchApi {
    pub(super) async fn merge_tickets(
        &self,
        caller: Caller,
        request: pb::MergeTicketsRequest,
    ) -> Result<pb::MergeTicketsResponse, ApiError> {
        require_desk(&caller, "merge tickets")?;
        let id = parse_id(&request.ticket_id, "ticket_id")?;
        let into = parse_id(&request.into_ticket_id, "into_ticket_id")?;
        if id == into {
            return Err(ApiError::invalid(
                "into_ticket_id",
                "must be another ticket",
            ));
        }
        if request.reason.trim().is_empty() {
            return Err(ApiError::invalid("reason", "is required to merge"));
        }
        let mut txn = self.pool.begin().await?;
        let key = IdempotencyKey::new(
            &caller.subject,
            "MergeTickets",
            &request.idempotency_key,
            &request,
        );
        if let Some(saved) = idempotency::replay(&mut txn, &key).await? {
            return Ok(saved);
        }
        let original = tickets::by_id_for_update(&mut txn, into)
            .await?
            .ok_or_else(|| ApiError::NotFound(format!("ticket {into}")))?;
        let mut ticket = tickets::by_id_for_update(&mut txn, id)
            .await?
            .ok_or_else(|| ApiError::NotFound(format!("ticket {id}")))?;
        if original.state == "CLOSED" || original.duplicate_of.is_some() {
            return Err(ApiError::FailedPrecondition(format!(
                "{} is closed or itself a duplicate; merge into the original",
                original.number
            )));
        }
        if !matches!(ticket.state.as_str(), "RECEIVED" | "RETURNED")
            || ticket.duplicate_of.is_some()
        {
            return Err(ApiError::FailedPrecondition(format!(
                "ticket is {}; only a ticket waiting at the desk can be merged",
                ticket.state.to_lowercase().replace('_', " ")
            )));
        }
        let now = self.clock.now();
        ticket.duplicate_of = Some(into);
        ticket.version += 1;
        ticket.updated_at = now;
        tickets::update(&mut txn, &ticket).await?;
        self.record_link(
            &mut txn,
            &ticket,
            &caller,
            "merge",
            format!("{} (repeats {})", request.reason.trim(), original.number),
            now,
        )
        .await?;
        let response = pb::MergeTicketsResponse {
            ticket: Some(self.full(&mut txn, &ticket).await?),
        };
        idempotency::finish(&mut txn, &key, &response).await?;
        txn.commit().await?;
        Ok(response)
    }

    pub(super) async fn split_ticket(
        &self,
        caller: Caller,
        request: pb::SplitTicketRequest,
    ) -> Result<pb::SplitTicketResponse, ApiError> {
        require_desk(&caller, "split tickets")?;
        let id = parse_id(&request.ticket_id, "ticket_id")?;
        if request.reason.trim().is_empty() {
            return Err(ApiError::invalid("reason", "is required to split"));
        }
        let mut txn = self.pool.begin().await?;
        let key = IdempotencyKey::new(
            &caller.subject,
            "SplitTicket",
            &request.idempotency_key,
            &request,
        );
        if let Some(saved) = idempotency::replay(&mut txn, &key).await? {
            return Ok(saved);
        }
        let mut ticket = tickets::by_id_for_update(&mut txn, id)
            .await?
            .ok_or_else(|| ApiError::NotFound(format!("ticket {id}")))?;
        if ticket.duplicate_of.is_none() || ticket.state == "CLOSED" {
            return Err(ApiError::FailedPrecondition(
                "only an open duplicate can be split off".into(),
            ));
        }
        let now = self.clock.now();
        ticket.duplicate_of = None;
        ticket.version += 1;
        ticket.updated_at = now;
        tickets::update(&mut txn, &ticket).await?;
        self.record_link(
            &mut txn,
            &ticket,
            &caller,
            "split",
            request.reason.trim().to_owned(),
            now,
        )
        .await?;
        let response = pb::SplitTicketResponse {
            ticket: Some(self.full(&mut txn, &ticket).await?),
        };
        idempotency::finish(&mut txn, &key, &response).await?;
        txn.commit().await?;
        Ok(response)
    }

    /// Records a merge or split in the ticket's history (its state stays).
    async fn record_link(
        &self,
        conn: &mut sqlx::PgConnection,
        ticket: &TicketRow,
        caller: &Caller,
        action: &str,
        reason: String,
        at: chrono::DateTime<chrono::Utc>,
    ) -> Result<(), ApiError> {
        let transition = tickets::TransitionRow {
            ticket_id: ticket.ticket_id,
            at,
            actor: caller.subject.clone(),
            from_state: Some(ticket.state.clone()),
            to_state: ticket.state.clone(),
            action: action.into(),
            reason: Some(reason),
            unit_kind: None,
            unit_code: None,
            unit_name: None,
            cause: None,
        };
        tickets::record(conn, &transition).await?;
        Ok(())
    }

    /// Returns a ticket with its history and tasks.
    async fn full(
        &self,
        conn: &mut sqlx::PgConnection,
        ticket: &TicketRow,
    ) -> Result<pb::Ticket, ApiError> {
        let history = tickets::history(&mut *conn, ticket.ticket_id).await?;
        let tasks = tasks::of_ticket(&mut *conn, ticket.ticket_id).await?;
        Ok(convert::ticket(ticket, &history, &tasks))
    }
}
