//! Work lists (一套明细单): policies, their work items, progress,
//! verification and closing.

use platform::auth::Caller;
use platform::error::{AppError, Violations};
use platform::uow::CallKey;
use proto::review::v1 as pb;

use super::{ReviewApi, id, required, text, time};
use crate::application::worklists::{
    self, CloseWorkItem, DecomposePolicy, ListWorkItems, ReportProgress, VerifyWorkItem,
};
use crate::convert;
use crate::domain::ids::{PolicyId, WorkItemId};
use crate::domain::worklist::{NewPolicy, TaskRule};

impl ReviewApi {
    pub(super) async fn create_policy(
        &self,
        caller: Caller,
        request: pb::CreatePolicyRequest,
    ) -> Result<pb::CreatePolicyResponse, AppError> {
        let cmd = new_policy(&request)?;
        let key = CallKey::new(&caller, &request.idempotency_key, &request);
        worklists::create_policy(&self.ctx, &caller, key, cmd, |p| pb::CreatePolicyResponse {
            policy: Some(convert::policy(p)),
        })
        .await
    }

    pub(super) async fn list_policies(
        &self,
        caller: Caller,
        request: pb::ListPoliciesRequest,
    ) -> Result<pb::ListPoliciesResponse, AppError> {
        if request.limit > 500 {
            return Err(AppError::invalid("limit", "must be at most 500"));
        }
        let limit = if request.limit == 0 {
            50
        } else {
            request.limit
        };
        let found = worklists::list_policies(&self.ctx, &caller, limit).await?;
        Ok(pb::ListPoliciesResponse {
            policies: found.iter().map(convert::policy).collect(),
        })
    }

    pub(super) async fn decompose_policy(
        &self,
        caller: Caller,
        request: pb::DecomposePolicyRequest,
    ) -> Result<pb::DecomposePolicyResponse, AppError> {
        let mut violations = Violations::new();
        let policy = id(
            &request.policy_id,
            "policy_id",
            PolicyId::parse,
            &mut violations,
        );
        let under = grid(&request.grid_code, "grid_code", &mut violations);
        violations.finish()?;
        let cmd = DecomposePolicy {
            policy: policy.ok_or_else(|| required("policy_id"))?,
            under,
        };
        let key = CallKey::new(&caller, &request.idempotency_key, &request);
        let warning = self.ctx.policy.worklist_warning;
        worklists::decompose_policy(&self.ctx, &caller, key, cmd, |p, items| {
            pb::DecomposePolicyResponse {
                policy: Some(convert::policy(p)),
                items: items
                    .iter()
                    .map(|i| convert::work_item(i, i.created_at, warning))
                    .collect(),
            }
        })
        .await
    }

    pub(super) async fn list_work_items(
        &self,
        caller: Caller,
        request: pb::ListWorkItemsRequest,
    ) -> Result<pb::ListWorkItemsResponse, AppError> {
        let mut violations = Violations::new();
        let grid_code = grid(&request.grid_code, "grid_code", &mut violations);
        let policy = (!request.policy_id.trim().is_empty())
            .then(|| {
                id(
                    &request.policy_id,
                    "policy_id",
                    PolicyId::parse,
                    &mut violations,
                )
            })
            .flatten();
        violations.check(
            request.year == 0 || (2000..=2100).contains(&request.year),
            "year",
            "must be 2000–2100, or 0 for any",
        );
        violations.check(
            request.month <= 12 && (request.month == 0 || request.year != 0),
            "month",
            "must be 1–12 with a year, or 0 for the annual list",
        );
        violations.check(request.limit <= 2000, "limit", "must be at most 2000");
        violations.finish()?;
        let chief = request.chief.trim();
        let cmd = ListWorkItems {
            grid_code,
            chief: (!chief.is_empty()).then(|| chief.to_owned()),
            policy,
            year: (request.year != 0).then(|| i32::try_from(request.year).unwrap_or(0)),
            month: (request.month != 0).then_some(request.month),
            limit: if request.limit == 0 {
                500
            } else {
                request.limit
            },
        };
        let (items, now) = worklists::list_work_items(&self.ctx, &caller, cmd).await?;
        let warning = self.ctx.policy.worklist_warning;
        Ok(pb::ListWorkItemsResponse {
            items: items
                .iter()
                .map(|i| convert::work_item(i, now, warning))
                .collect(),
        })
    }

    pub(super) async fn report_progress(
        &self,
        caller: Caller,
        request: pb::ReportProgressRequest,
    ) -> Result<pb::ReportProgressResponse, AppError> {
        let mut violations = Violations::new();
        let item = id(
            &request.item_id,
            "item_id",
            WorkItemId::parse,
            &mut violations,
        );
        violations.check(request.percent <= 100, "percent", "must be 0–100");
        let note = text(&request.note, "note", 2000, &mut violations);
        violations.finish()?;
        let cmd = ReportProgress {
            item: item.ok_or_else(|| required("item_id"))?,
            percent: request.percent,
            note,
            done: request.done,
        };
        let key = CallKey::new(&caller, &request.idempotency_key, &request);
        let warning = self.ctx.policy.worklist_warning;
        worklists::report_progress(&self.ctx, &caller, key, cmd, |i, now| {
            pb::ReportProgressResponse {
                item: Some(convert::work_item(i, now, warning)),
            }
        })
        .await
    }

    pub(super) async fn verify_work_item(
        &self,
        caller: Caller,
        request: pb::VerifyWorkItemRequest,
    ) -> Result<pb::VerifyWorkItemResponse, AppError> {
        let (item, note) = item_and_note(&request.item_id, &request.note)?;
        let cmd = VerifyWorkItem {
            item,
            confirmed: request.confirmed,
            note,
        };
        let key = CallKey::new(&caller, &request.idempotency_key, &request);
        let warning = self.ctx.policy.worklist_warning;
        worklists::verify_work_item(&self.ctx, &caller, key, cmd, |i, now| {
            pb::VerifyWorkItemResponse {
                item: Some(convert::work_item(i, now, warning)),
            }
        })
        .await
    }

    pub(super) async fn close_work_item(
        &self,
        caller: Caller,
        request: pb::CloseWorkItemRequest,
    ) -> Result<pb::CloseWorkItemResponse, AppError> {
        let (item, note) = item_and_note(&request.item_id, &request.note)?;
        let cmd = CloseWorkItem { item, note };
        let key = CallKey::new(&caller, &request.idempotency_key, &request);
        let warning = self.ctx.policy.worklist_warning;
        worklists::close_work_item(&self.ctx, &caller, key, cmd, |i, now| {
            pb::CloseWorkItemResponse {
                item: Some(convert::work_item(i, now, warning)),
            }
        })
        .await
    }
}

/// Decodes a work item's id and the note (1–2000 characters) on it.
fn item_and_note(item_id: &str, note: &str) -> Result<(WorkItemId, String), AppError> {
    let mut violations = Violations::new();
    let item = id(item_id, "item_id", WorkItemId::parse, &mut violations);
    let note = text(note, "note", 2000, &mut violations);
    violations.finish()?;
    Ok((item.ok_or_else(|| required("item_id"))?, note))
}

/// Returns the optional grid code in `field` (as the registry writes them:
/// capital letters, digits and dashes), or records that it is not one.
fn grid(value: &str, field: &str, violations: &mut Violations) -> Option<String> {
    let value = value.trim();
    if value.is_empty() {
        return None;
    }
    violations.check(
        value.len() <= 64
            && value
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '-'),
        field,
        "must be a grid code: capital letters, digits and dashes, e.g. LX-V01",
    );
    Some(value.to_owned())
}

/// Decodes a policy to record.
fn new_policy(request: &pb::CreatePolicyRequest) -> Result<NewPolicy, AppError> {
    let mut violations = Violations::new();
    let title = text(&request.title, "title", 200, &mut violations);
    let issuer = text(&request.issuer, "issuer", 200, &mut violations);
    violations.check(
        request.reference.chars().count() <= 200,
        "reference",
        "must be at most 200 characters",
    );
    violations.check(
        request.text.chars().count() <= 20_000,
        "text",
        "must be at most 20000 characters",
    );
    let deadline = time(request.deadline.as_ref(), "deadline", &mut violations);
    violations.check(
        (1..=20).contains(&request.rules.len()),
        "rules",
        "must have 1–20 rules",
    );
    let rules: Vec<Option<TaskRule>> = request
        .rules
        .iter()
        .enumerate()
        .map(|(i, r)| task_rule(i, r, &mut violations))
        .collect();
    violations.finish()?;
    Ok(NewPolicy {
        title,
        issuer,
        reference: request.reference.trim().to_owned(),
        text: request.text.trim().to_owned(),
        deadline: deadline.ok_or_else(|| required("deadline"))?,
        rules: rules.into_iter().flatten().collect(),
    })
}

/// Decodes rule `i` of a policy, recording what is wrong with it.
fn task_rule(i: usize, r: &pb::TaskRule, violations: &mut Violations) -> Option<TaskRule> {
    let attribute = convert::attribute_from(r.attribute);
    violations.check(
        attribute.is_some(),
        format!("rules[{i}].attribute"),
        "must be RIVERS, HIGH_RISK_ENTERPRISES, SCHOOLS, FARMLAND, SPECIAL_CARE or ALL",
    );
    violations.check(
        r.at_least <= 100_000,
        format!("rules[{i}].at_least"),
        "must be at most 100000",
    );
    let title = text(&r.title, &format!("rules[{i}].title"), 200, violations);
    let detail = text(&r.detail, &format!("rules[{i}].detail"), 2000, violations);
    Some(TaskRule {
        attribute: attribute?,
        at_least: r.at_least.max(1),
        title,
        detail,
    })
}
