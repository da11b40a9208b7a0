//! Award rules.

use platform::auth::Caller;
use platform::error::{AppError, Violations};
use platform::uow::CallKey;
use proto::points::v1 as pb;

use super::PointsApi;
use crate::application::rules;
use crate::convert;
use crate::domain::rules::AwardRule;

impl PointsApi {
    pub(super) async fn list_award_rules(
        &self,
        _caller: Caller,
        _request: pb::ListAwardRulesRequest,
    ) -> Result<pb::ListAwardRulesResponse, AppError> {
        Ok(pb::ListAwardRulesResponse {
            rules: rules::list(&self.ctx)
                .await?
                .iter()
                .map(convert::rule)
                .collect(),
        })
    }

    pub(super) async fn put_award_rule(
        &self,
        caller: Caller,
        request: pb::PutAwardRuleRequest,
    ) -> Result<pb::PutAwardRuleResponse, AppError> {
        let rule = award_rule(&request)?;
        let key = CallKey::new(&caller, &request.idempotency_key, &request);
        rules::put(&self.ctx, &caller.subject, key, rule, |r| {
            pb::PutAwardRuleResponse {
                rule: Some(convert::rule(r)),
            }
        })
        .await
    }
}

/// Decodes an award rule.
fn award_rule(request: &pb::PutAwardRuleRequest) -> Result<AwardRule, AppError> {
    let wanted = request.rule.clone().unwrap_or_default();
    let code = wanted.category_code.trim();
    let mut violations = Violations::new();
    violations.check(
        (2..=40).contains(&code.len())
            && code
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_'),
        "rule.category_code",
        "must be a category code: 2–40 capital letters, digits and underscores",
    );
    violations.check(
        wanted.base_points <= 1000,
        "rule.base_points",
        "must be between 0 and 1000",
    );
    violations.finish()?;
    Ok(AwardRule {
        category_code: code.to_owned(),
        base_points: wanted.base_points,
        active: wanted.active,
    })
}
