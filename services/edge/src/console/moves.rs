//! A ticket's moves from the console (签收, 办理, 办结, 退单, 核查, 回访,
//! 结案, 重办): dispatch's `Transition` with the staff member's own token,
//! so dispatch decides who may make which move on which ticket (a
//! micro-grid's leader signs for and resolves its tickets, the desk
//! verifies, follows up and closes).

use axum::Json;
use axum::extract::{Path, State};
use proto::dispatch::v1 as pb;
use serde::Deserialize;

use super::Staff;
use super::views::TicketPage;
use crate::api::IdempotencyKey;
use crate::error::{ApiError, JsonBody};
use crate::neighbours::as_caller;
use crate::state::Shared;

/// The moves the console offers, as the page names them.
const MOVES: [(&str, pb::Action); 8] = [
    ("accept", pb::Action::Accept),
    ("start", pb::Action::Start),
    ("resolve", pb::Action::Resolve),
    ("return", pb::Action::Return),
    ("verify", pb::Action::Verify),
    ("follow_up", pb::Action::FollowUp),
    ("close", pb::Action::Close),
    ("reopen", pb::Action::Reopen),
];

/// A move on a ticket; which fields count depends on the action (as in
/// dispatch's `TransitionRequest`).
#[derive(Debug, Deserialize)]
pub struct Move {
    /// accept, start, resolve, return, verify, follow_up, close or reopen.
    pub action: String,
    /// Resolve: what was done.
    #[serde(default)]
    pub result: String,
    /// Return and reopen: why.
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
    /// Returns dispatch's request for the ticket `ticket_id`.
    fn request(self, key: String, ticket_id: String) -> Result<pb::TransitionRequest, ApiError> {
        let action = MOVES
            .iter()
            .find(|(name, _)| *name == self.action)
            .map(|(_, action)| *action)
            .ok_or_else(|| {
                ApiError::field(
                    "action",
                    "must be accept, start, resolve, return, verify, follow_up, close or reopen",
                )
            })?;
        let return_reason = named(
            &self.return_reason,
            "RETURN_REASON_",
            pb::ReturnReason::from_str_name,
            "return_reason",
            "must be not_our_responsibility, wrong_location, not_enough_information, beyond_our_means or other",
        )?;
        let reopen_cause = named(
            &self.reopen_cause,
            "REOPEN_CAUSE_",
            pb::ReopenCause::from_str_name,
            "reopen_cause",
            "must be result_untrue, unsatisfied, report_untrue or not_solved",
        )?;
        if self.satisfaction > 5 {
            return Err(ApiError::field("satisfaction", "must be 1 to 5"));
        }
        Ok(pb::TransitionRequest {
            idempotency_key: key,
            ticket_id,
            action: action.into(),
            reason: self.reason,
            result: self.result,
            verified_true: self.verified_true,
            satisfaction: self.satisfaction,
            reporter_unreachable: self.reporter_unreachable,
            return_reason: return_reason.map_or(0, Into::into),
            reopen_cause: reopen_cause.map_or(0, Into::into),
            ..Default::default()
        })
    }
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
    let found = edge
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
        .unwrap_or_default();
    let request = body.request(key, found.id)?;
    let moved = edge
        .neighbours
        .dispatch
        .clone()
        .transition(as_caller(request, staff.token())?)
        .await?
        .into_inner()
        .ticket
        .unwrap_or_default();
    Ok(Json(TicketPage::new(&moved, Vec::new())))
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
        let request = back.request("k".into(), "t".into()).unwrap();
        assert_eq!(request.action(), pb::Action::Return);
        assert_eq!(request.return_reason(), pb::ReturnReason::BeyondOurMeans);
        assert_eq!(
            (request.ticket_id.as_str(), request.idempotency_key.as_str()),
            ("t", "k")
        );
        let mut untrue = a_move("reopen");
        untrue.reopen_cause = "report_untrue".into();
        assert_eq!(
            untrue
                .request("k".into(), "t".into())
                .unwrap()
                .reopen_cause(),
            pb::ReopenCause::ReportUntrue
        );
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
    }
}
