//! Balances, statements, adjustments, leaderboards and expiry.

use platform::auth::Caller;
use platform::idempotency::{self, IdempotencyKey};
use proto::points::v1 as pb;

use super::{ApiError, PointsApi, convert, require_town, resident_for};
use crate::domain::ledger::EntryKind;
use crate::expiry;
use crate::repository::ledger::{self, NewEntry, Posted};
use crate::repository::reports;

impl PointsApi {
    pub(super) async fn get_balance(
        &self,
        caller: Caller,
        request: pb::GetBalanceRequest,
    ) -> Result<pb::GetBalanceResponse, ApiError> {
        let mut conn = self.pool.acquire().await?;
        let resident = resident_for(&mut conn, &caller, &request.resident_id).await?;
        let account = ledger::account(&mut conn, resident.account_id())
            .await?
            .ok_or_else(|| ApiError::NotFound(format!("account {}", resident.account_id())))?;
        let pending = reports::pending_for(&mut conn, account.account_id).await?;
        Ok(pb::GetBalanceResponse {
            account_kind: account.kind,
            account_id: account.account_id.to_string(),
            balance: account.balance,
            pending,
        })
    }

    pub(super) async fn get_statement(
        &self,
        caller: Caller,
        request: pb::GetStatementRequest,
    ) -> Result<pb::GetStatementResponse, ApiError> {
        // One snapshot: the entries and the balance agree.
        let mut txn = self.pool.begin().await?;
        sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
            .execute(&mut *txn)
            .await?;
        let resident = resident_for(&mut txn, &caller, &request.resident_id).await?;
        let account = ledger::account(&mut txn, resident.account_id())
            .await?
            .ok_or_else(|| ApiError::NotFound(format!("account {}", resident.account_id())))?;
        let entries = ledger::statement(&mut txn, account.account_id).await?;
        txn.commit().await?;
        Ok(pb::GetStatementResponse {
            account_id: account.account_id.to_string(),
            balance: account.balance,
            entries: entries.iter().map(convert::entry).collect(),
        })
    }

    #[tracing::instrument(skip_all, fields(resident_id = %request.resident_id, amount = request.amount))]
    pub(super) async fn adjust_points(
        &self,
        caller: Caller,
        request: pb::AdjustPointsRequest,
    ) -> Result<pb::AdjustPointsResponse, ApiError> {
        require_town(&caller, "adjust points")?;
        let mut violations = Vec::new();
        if request.amount == 0 || !(-100_000..=100_000).contains(&request.amount) {
            violations.push(platform::error::FieldViolation::new(
                "amount",
                "must be non-zero and at most 100000 either way",
            ));
        }
        if request.reason.trim().is_empty() {
            violations.push(platform::error::FieldViolation::new(
                "reason",
                "is required: why the balance is corrected",
            ));
        }
        if request.idempotency_key.trim().is_empty() {
            violations.push(platform::error::FieldViolation::new(
                "idempotency_key",
                "is required: an adjustment is posted once",
            ));
        }
        if !violations.is_empty() {
            return Err(ApiError::InvalidArgument(violations));
        }
        let mut txn = self.pool.begin().await?;
        let key = IdempotencyKey::new(
            &caller.subject,
            "AdjustPoints",
            &request.idempotency_key,
            &request,
        );
        if let Some(saved) = idempotency::replay(&mut txn, &key).await? {
            return Ok(saved);
        }
        let resident = resident_for(&mut txn, &caller, &request.resident_id).await?;
        let posted = crate::tickets::post_and_settle(
            &mut txn,
            &NewEntry {
                key: format!("adjust:{}:{}", caller.subject, request.idempotency_key),
                account_id: resident.account_id(),
                kind: EntryKind::Adjustment,
                amount: request.amount,
                at: self.clock.now(),
                resident_id: Some(resident.resident_id),
                report_id: None,
                order_id: None,
                reason: Some(request.reason.trim().to_owned()),
                operator: caller.subject.clone(),
            },
        )
        .await?;
        if let Posted::Already(entry) = &posted
            && (entry.account_id != resident.account_id() || entry.amount != request.amount)
        {
            // The key's idempotency row was purged; the entry stays.
            return Err(ApiError::FailedPrecondition(format!(
                "idempotency key {:?} was already used for another adjustment",
                request.idempotency_key
            )));
        }

        let response = pb::AdjustPointsResponse {
            entry: Some(convert::entry(posted.entry())),
        };
        idempotency::finish(&mut txn, &key, &response).await?;
        txn.commit().await?;
        self.waker.wake();
        Ok(response)
    }

    pub(super) async fn get_leaderboard(
        &self,
        caller: Caller,
        request: pb::GetLeaderboardRequest,
    ) -> Result<pb::GetLeaderboardResponse, ApiError> {
        let from = request.from.as_ref().and_then(convert::from_timestamp);
        let to = request.to.as_ref().and_then(convert::from_timestamp);
        let (Some(from), Some(to)) = (from, to) else {
            return Err(ApiError::invalid("from", "from and to are both required"));
        };
        if from >= to {
            return Err(ApiError::invalid("to", "must be after from"));
        }
        let limit = match request.limit {
            0 => 10,
            n => n.min(100),
        };
        let village = Some(request.village_code.trim()).filter(|v| !v.is_empty());
        let mut conn = self.pool.acquire().await?;
        let rows = ledger::leaderboard(&mut conn, village, (from, to), i64::from(limit)).await?;
        // Village honours are public; who the residents are is for those
        // who serve them.
        let ids = village.is_none_or(|v| super::serves_village(&caller, v));
        Ok(pb::GetLeaderboardResponse {
            rows: rows
                .into_iter()
                .enumerate()
                .map(|(i, row)| pb::LeaderboardRow {
                    rank: i as u32 + 1,
                    name: if village.is_some() {
                        platform::mask::name(&row.name)
                    } else {
                        row.name
                    },
                    id: if ids { row.id } else { String::new() },
                    points: row.points,
                    verified_reports: row.verified_reports as u32,
                })
                .collect(),
        })
    }

    pub(super) async fn expire_points(
        &self,
        caller: Caller,
        request: pb::ExpirePointsRequest,
    ) -> Result<pb::ExpirePointsResponse, ApiError> {
        require_town(&caller, "run the expiry")?;
        let this_year = self
            .clock
            .now()
            .with_timezone(&self.policy.offset)
            .format("%Y")
            .to_string()
            .parse::<i32>()
            .unwrap_or(i32::MAX);
        if request.year < 2000 || request.year >= this_year {
            return Err(ApiError::invalid(
                "year",
                format!("must be a year that has ended (2000–{})", this_year - 1),
            ));
        }
        if self.policy.expiry.months == 0 {
            return Err(ApiError::FailedPrecondition(
                "points never lapse: expiry.months is 0".into(),
            ));
        }
        let done = expiry::run(
            &self.pool,
            request.year,
            self.policy.expiry.months,
            self.policy.offset,
            &caller.subject,
        )
        .await?;
        self.waker.wake();
        Ok(pb::ExpirePointsResponse {
            accounts: done.accounts,
            points: done.points,
        })
    }
}

fn rule(r: &reports::RuleRow) -> pb::AwardRule {
    pb::AwardRule {
        category_code: r.category_code.clone(),
        base_points: r.base_points.max(0) as u32,
        active: r.active,
    }
}

impl PointsApi {
    pub(super) async fn list_award_rules(
        &self,
        _caller: Caller,
        _request: pb::ListAwardRulesRequest,
    ) -> Result<pb::ListAwardRulesResponse, ApiError> {
        let mut conn = self.pool.acquire().await?;
        Ok(pb::ListAwardRulesResponse {
            rules: reports::rules(&mut conn).await?.iter().map(rule).collect(),
        })
    }

    pub(super) async fn put_award_rule(
        &self,
        caller: Caller,
        request: pb::PutAwardRuleRequest,
    ) -> Result<pb::PutAwardRuleResponse, ApiError> {
        require_town(&caller, "change the award rules")?;
        let wanted = request.rule.clone().unwrap_or_default();
        let code = wanted.category_code.trim().to_owned();
        let mut violations = Vec::new();
        if code.len() < 2
            || code.len() > 40
            || !code
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
        {
            violations.push(platform::error::FieldViolation::new(
                "rule.category_code",
                "must be a category code: 2–40 capital letters, digits and underscores",
            ));
        }
        if wanted.base_points > 1000 {
            violations.push(platform::error::FieldViolation::new(
                "rule.base_points",
                "must be between 0 and 1000",
            ));
        }
        if !violations.is_empty() {
            return Err(ApiError::InvalidArgument(violations));
        }
        let mut txn = self.pool.begin().await?;
        let key = IdempotencyKey::new(
            &caller.subject,
            "PutAwardRule",
            &request.idempotency_key,
            &request,
        );
        if let Some(saved) = idempotency::replay(&mut txn, &key).await? {
            return Ok(saved);
        }
        let stored = reports::put_rule(
            &mut txn,
            &reports::RuleRow {
                category_code: code.clone(),
                base_points: wanted.base_points as i32,
                active: wanted.active,
            },
        )
        .await?
        .ok_or_else(|| {
            // A report's category must be one dispatch takes tickets for:
            // new categories come with dispatch's, by migration.
            ApiError::NotFound(format!("award rule for category {code}"))
        })?;
        tracing::info!(category = %stored.category_code, base_points = stored.base_points, active = stored.active, by = %caller.subject, "award rule changed");
        let response = pb::PutAwardRuleResponse {
            rule: Some(rule(&stored)),
        };
        idempotency::finish(&mut txn, &key, &response).await?;
        txn.commit().await?;
        Ok(response)
    }
}
