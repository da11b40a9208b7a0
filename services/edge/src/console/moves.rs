//! A ticket's moves from the console (派单, 签收, 办理, 办结, 退单, 核查,
//! 回访, 结案, 重办): dispatch's RPC of that move with the staff member's
//! own token, so dispatch decides who may make which move on which ticket (a
//! micro-grid's leader signs for and resolves its tickets, the desk
//! dispatches, verifies, follows up and closes); and the desk queue's own
//! moves on a ticket waiting at the desk: rejection (驳回, what is not a
//! case), merging into the ticket it repeats (合并) and splitting a
//! duplicate off again (拆分).

use axum::Json;
use axum::extract::{Path, State};
use proto::dispatch::v1 as pb;
use serde::Deserialize;

use super::Staff;
use super::views::TicketPage;
use crate::api::IdempotencyKey;
use crate::error::{ApiError, JsonBody};
use crate::neighbours::{Dispatch, as_caller};
use crate::state::Shared;

/// The kinds of unit the desk may dispatch to, as the page names them.
const UNIT_KINDS: [&str; 5] = [
    "micro_grid",
    "workstation",
    "department",
    "town_centre",
    "leader",
];

/// A move on a ticket; which fields count depends on the action (each is
/// a field of dispatch's request for that move).
#[derive(Debug, Deserialize)]
pub struct Move {
    /// dispatch, accept, start, resolve, return, verify, follow_up, close
    /// or reopen.
    pub action: String,
    /// Dispatch: the unit the desk chooses instead of the responsibility
    /// chain's (its code; with a reason), and its kind (micro_grid,
    /// workstation, department, town_centre or leader).
    #[serde(default)]
    pub unit_code: String,
    #[serde(default)]
    pub unit_kind: String,
    /// Resolve: what was done.
    #[serde(default)]
    pub result: String,
    /// Return and reopen: why; dispatch to a unit of the desk's choosing:
    /// why that unit.
    #[serde(default)]
    pub reason: String,
    /// Return: not_our_responsibility, wrong_location,
    /// not_enough_information, beyond_our_means or other.
    #[serde(default)]
    pub return_reason: String,
    /// Reopen: result_untrue, unsatisfied, report_untrue or not_solved.
    #[serde(default)]
    pub reopen_cause: String,
    /// Verify: whether the result is true (false reopens).
    #[serde(default)]
    pub verified_true: bool,
    /// Follow up: 1–5.
    #[serde(default)]
    pub satisfaction: u32,
    /// Close without a follow-up: the reporter could not be reached.
    #[serde(default)]
    pub reporter_unreachable: bool,
}

/// Returns the enum value of `word` (`beyond_our_means`) under `prefix`,
/// unspecified for an empty word, or a field error.
fn named<E>(
    word: &str,
    prefix: &str,
    parse: fn(&str) -> Option<E>,
    field: &str,
    rule: &str,
) -> Result<Option<E>, ApiError> {
    if word.is_empty() {
        return Ok(None);
    }
    parse(&format!("{prefix}{}", word.to_uppercase()))
        .map(Some)
        .ok_or_else(|| ApiError::field(field, rule))
}

impl Move {
    /// Returns dispatch's request for this move of the ticket `ticket_id`.
    fn request(self, idempotency_key: String, ticket_id: String) -> Result<MoveRequest, ApiError> {
        Ok(match self.action.as_str() {
            "dispatch" => MoveRequest::Dispatch(pb::DispatchTicketRequest {
                unit: self.chosen_unit()?,
                idempotency_key,
                ticket_id,
                reason: self.reason,
                co_handlers: Vec::new(),
            }),
            "accept" => MoveRequest::Accept(pb::AcceptTicketRequest {
                idempotency_key,
                ticket_id,
            }),
            "start" => MoveRequest::Start(pb::StartWorkRequest {
                idempotency_key,
                ticket_id,
            }),
            "resolve" => MoveRequest::Resolve(pb::ResolveTicketRequest {
                idempotency_key,
                ticket_id,
                result: self.result,
            }),
            "return" => {
                let reason = named(
                    &self.return_reason,
                    "RETURN_REASON_",
                    pb::ReturnReason::from_str_name,
                    "return_reason",
                    "must be not_our_responsibility, wrong_location, not_enough_information, beyond_our_means or other",
                )?;
                MoveRequest::Return(pb::ReturnTicketRequest {
                    idempotency_key,
                    ticket_id,
                    reason: reason.map_or(0, Into::into),
                    note: self.reason,
                })
            }
            "verify" => MoveRequest::Verify(pb::VerifyTicketRequest {
                idempotency_key,
                ticket_id,
                verified_true: self.verified_true,
                note: self.reason,
            }),
            "follow_up" => {
                if self.satisfaction > 5 {
                    return Err(ApiError::field("satisfaction", "must be 1 to 5"));
                }
                MoveRequest::FollowUp(pb::FollowUpTicketRequest {
                    idempotency_key,
                    ticket_id,
                    satisfaction: self.satisfaction,
                    solved: None,
                    note: String::new(),
                })
            }
            "close" => MoveRequest::Close(pb::CloseTicketRequest {
                idempotency_key,
                ticket_id,
                reporter_unreachable: self.reporter_unreachable,
                note: String::new(),
            }),
            "reopen" => {
                let cause = named(
                    &self.reopen_cause,
                    "REOPEN_CAUSE_",
                    pb::ReopenCause::from_str_name,
                    "reopen_cause",
                    "must be result_untrue, unsatisfied, report_untrue or not_solved",
                )?;
                MoveRequest::Reopen(pb::ReopenTicketRequest {
                    idempotency_key,
                    ticket_id,
                    cause: cause.map_or(0, Into::into),
                    reason: self.reason,
                })
            }
            _ => {
                return Err(ApiError::field(
                    "action",
                    "must be dispatch, accept, start, resolve, return, verify, follow_up, close or reopen",
                ));
            }
        })
    }

    /// Returns the unit the desk chose for a dispatch, `None` for the
    /// responsibility chain's.
    fn chosen_unit(&self) -> Result<Option<pb::Unit>, ApiError> {
        let code = self.unit_code.trim();
        if code.is_empty() {
            return Ok(None);
        }
        if !UNIT_KINDS.contains(&self.unit_kind.as_str()) {
            return Err(ApiError::field(
                "unit_kind",
                "must be micro_grid, workstation, department, town_centre or leader with unit_code",
            ));
        }
        Ok(Some(pb::Unit {
            kind: self.unit_kind.to_uppercase(),
            code: code.to_owned(),
            name: String::new(),
        }))
    }
}

/// Dispatch's request of one move, as the console's body asks for it.
#[derive(Debug, Clone, PartialEq)]
enum MoveRequest {
    Dispatch(pb::DispatchTicketRequest),
    Accept(pb::AcceptTicketRequest),
    Start(pb::StartWorkRequest),
    Resolve(pb::ResolveTicketRequest),
    Return(pb::ReturnTicketRequest),
    Verify(pb::VerifyTicketRequest),
    FollowUp(pb::FollowUpTicketRequest),
    Close(pb::CloseTicketRequest),
    Reopen(pb::ReopenTicketRequest),
}

impl MoveRequest {
    /// Makes the move through `dispatch` as `token`'s holder; answers the
    /// ticket after it.
    async fn call(
        self,
        mut dispatch: Dispatch,
        token: &str,
    ) -> Result<Option<pb::Ticket>, ApiError> {
        macro_rules! call {
            ($rpc:ident, $request:expr) => {
                dispatch
                    .$rpc(as_caller($request, token)?)
                    .await?
                    .into_inner()
                    .ticket
            };
        }
        Ok(match self {
            MoveRequest::Dispatch(r) => call!(dispatch_ticket, r),
            MoveRequest::Accept(r) => call!(accept_ticket, r),
            MoveRequest::Start(r) => call!(start_work, r),
            MoveRequest::Resolve(r) => call!(resolve_ticket, r),
            MoveRequest::Return(r) => call!(return_ticket, r),
            MoveRequest::Verify(r) => call!(verify_ticket, r),
            MoveRequest::FollowUp(r) => call!(follow_up_ticket, r),
            MoveRequest::Close(r) => call!(close_ticket, r),
            MoveRequest::Reopen(r) => call!(reopen_ticket, r),
        })
    }
}

/// The desk rejecting a ticket waiting at the desk as not a case.
#[derive(Debug, Deserialize)]
pub struct Rejection {
    /// prank, duplicate, outside_the_town or not_a_case.
    #[serde(default)]
    pub reason: String,
    /// What the desk found.
    #[serde(default)]
    pub note: String,
}

impl Rejection {
    fn request(self, key: String, ticket_id: String) -> Result<pb::RejectTicketRequest, ApiError> {
        let reason = named(
            &self.reason,
            "REJECT_REASON_",
            pb::RejectReason::from_str_name,
            "reason",
            "must be prank, duplicate, outside_the_town or not_a_case",
        )?
        .ok_or_else(|| {
            ApiError::field(
                "reason",
                "is required: prank, duplicate, outside_the_town or not_a_case",
            )
        })?;
        Ok(pb::RejectTicketRequest {
            idempotency_key: key,
            ticket_id,
            reason: reason.into(),
            note: self.note,
        })
    }
}

/// The desk linking a ticket to the open one it repeats, or unlinking it.
#[derive(Debug, Deserialize)]
pub struct Link {
    /// Merge: the number of the ticket it repeats.
    #[serde(default)]
    pub into: String,
    /// Why.
    #[serde(default)]
    pub reason: String,
}

/// Returns the ticket numbered `number` as `staff` may see it.
async fn ticket_of(edge: &Shared, staff: &Staff, number: String) -> Result<pb::Ticket, ApiError> {
    Ok(edge
        .neighbours
        .dispatch
        .clone()
        .get_ticket(as_caller(
            pb::GetTicketRequest {
                number,
                ..Default::default()
            },
            staff.token(),
        )?)
        .await?
        .into_inner()
        .ticket
        .unwrap_or_default())
}

/// Answers the page of the ticket a dispatch call returned.
fn page(ticket: Option<pb::Ticket>) -> Json<TicketPage> {
    Json(TicketPage::new(&ticket.unwrap_or_default(), Vec::new()))
}

/// `POST /console/api/tickets/{number}/moves`: the move, made as the
/// signed-in staff member; answers the ticket's page after it. Dispatch's
/// refusals (a move the state does not allow, a role that may not make it,
/// a field it wants) come back as they are, by field.
pub async fn make_move(
    State(edge): State<Shared>,
    staff: Staff,
    Path(number): Path<String>,
    IdempotencyKey(key): IdempotencyKey,
    JsonBody(body): JsonBody<Move>,
) -> Result<Json<TicketPage>, ApiError> {
    let found = ticket_of(&edge, &staff, number).await?;
    let request = body.request(key, found.id)?;
    let moved = request
        .call(edge.neighbours.dispatch.clone(), staff.token())
        .await?;
    Ok(page(moved))
}

/// `POST /console/api/tickets/{number}/reject`: the desk rejects a ticket
/// waiting at the desk (`reason`, `note`); answers its page after it.
pub async fn reject(
    State(edge): State<Shared>,
    staff: Staff,
    Path(number): Path<String>,
    IdempotencyKey(key): IdempotencyKey,
    JsonBody(body): JsonBody<Rejection>,
) -> Result<Json<TicketPage>, ApiError> {
    let found = ticket_of(&edge, &staff, number).await?;
    let request = body.request(key, found.id)?;
    let answer = edge
        .neighbours
        .dispatch
        .clone()
        .reject_ticket(as_caller(request, staff.token())?)
        .await?;
    Ok(page(answer.into_inner().ticket))
}

/// `POST /console/api/tickets/{number}/merge`: the desk links a ticket
/// waiting at the desk to the open one it repeats (`into`, its number;
/// `reason`); answers the merged ticket's page.
pub async fn merge(
    State(edge): State<Shared>,
    staff: Staff,
    Path(number): Path<String>,
    IdempotencyKey(key): IdempotencyKey,
    JsonBody(body): JsonBody<Link>,
) -> Result<Json<TicketPage>, ApiError> {
    let into = body.into.trim().to_owned();
    if into.is_empty() {
        return Err(ApiError::field(
            "into",
            "is required: the number of the ticket it repeats",
        ));
    }
    let found = ticket_of(&edge, &staff, number).await?;
    let original = ticket_of(&edge, &staff, into).await?;
    let answer = edge
        .neighbours
        .dispatch
        .clone()
        .merge_tickets(as_caller(
            pb::MergeTicketsRequest {
                idempotency_key: key,
                ticket_id: found.id,
                into_ticket_id: original.id,
                reason: body.reason,
            },
            staff.token(),
        )?)
        .await?;
    Ok(page(answer.into_inner().ticket))
}

/// `POST /console/api/tickets/{number}/split`: the desk unlinks a
/// duplicate (`reason`); it goes to the desk as a ticket of its own.
pub async fn split(
    State(edge): State<Shared>,
    staff: Staff,
    Path(number): Path<String>,
    IdempotencyKey(key): IdempotencyKey,
    JsonBody(body): JsonBody<Link>,
) -> Result<Json<TicketPage>, ApiError> {
    let found = ticket_of(&edge, &staff, number).await?;
    let answer = edge
        .neighbours
        .dispatch
        .clone()
        .split_ticket(as_caller(
            pb::SplitTicketRequest {
                idempotency_key: key,
                ticket_id: found.id,
                reason: body.reason,
            },
            staff.token(),
        )?)
        .await?;
    Ok(page(answer.into_inner().ticket))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn a_move(action: &str) -> Move {
        serde_json::from_value(serde_json::json!({ "action": action })).unwrap()
    }

    #[test]
    fn a_move_names_dispatchs_action_and_its_reasons_by_word() {
        let mut back = a_move("return");
        back.reason = "需城管执法".into();
        back.return_reason = "beyond_our_means".into();
        assert_eq!(
            back.request("k".into(), "t".into()).unwrap(),
            MoveRequest::Return(pb::ReturnTicketRequest {
                idempotency_key: "k".into(),
                ticket_id: "t".into(),
                reason: pb::ReturnReason::BeyondOurMeans.into(),
                note: "需城管执法".into(),
            })
        );
        let mut untrue = a_move("reopen");
        untrue.reopen_cause = "report_untrue".into();
        let MoveRequest::Reopen(reopen) = untrue.request("k".into(), "t".into()).unwrap() else {
            panic!("a reopening");
        };
        assert_eq!(reopen.cause(), pb::ReopenCause::ReportUntrue);
    }

    #[test]
    fn a_move_with_an_unknown_word_names_its_field() {
        let field = |m: Move| {
            m.request("k".into(), "t".into())
                .unwrap_err()
                .body()
                .error
                .fields[0]
                .field
                .clone()
        };
        assert_eq!(field(a_move("approve")), "action");
        let mut back = a_move("return");
        back.return_reason = "tired".into();
        assert_eq!(field(back), "return_reason");
        let mut rated = a_move("follow_up");
        rated.satisfaction = 6;
        assert_eq!(field(rated), "satisfaction");
        let mut elsewhere = a_move("dispatch");
        elsewhere.unit_code = "WATER_AFFAIRS".into();
        elsewhere.unit_kind = "bureau".into();
        assert_eq!(field(elsewhere), "unit_kind");
    }

    #[test]
    fn a_dispatch_names_the_desks_unit_only_when_one_is_chosen() {
        let dispatch = |m: Move| match m.request("k".into(), "t".into()).unwrap() {
            MoveRequest::Dispatch(request) => request,
            other => panic!("a dispatch, not {other:?}"),
        };
        assert!(dispatch(a_move("dispatch")).unit.is_none());
        let mut chosen = a_move("dispatch");
        chosen.unit_code = "WATER_AFFAIRS".into();
        chosen.unit_kind = "department".into();
        chosen.reason = "河道归水务".into();
        let unit = dispatch(chosen).unit.unwrap();
        assert_eq!(
            (unit.kind.as_str(), unit.code.as_str()),
            ("DEPARTMENT", "WATER_AFFAIRS")
        );
    }

    #[test]
    fn a_rejection_needs_a_known_reason() {
        let rejection = |reason: &str| Rejection {
            reason: reason.into(),
            note: "查无此事".into(),
        };
        let request = rejection("prank").request("k".into(), "t".into()).unwrap();
        assert_eq!(request.reason(), pb::RejectReason::Prank);
        for bad in ["", "boring"] {
            let err = rejection(bad).request("k".into(), "t".into()).unwrap_err();
            assert_eq!(err.body().error.fields[0].field, "reason");
        }
    }
}
