//! Balances, statements, adjustments, leaderboards and expiry.

use platform::auth::Caller;
use platform::error::{AppError, Violations};
use platform::uow::CallKey;
use proto::points::v1 as pb;

use super::{PointsApi, parse_id};
use crate::application::ledger::{self, Adjustment};
use crate::convert;
use crate::domain::ids::ResidentId;

impl PointsApi {
    pub(super) async fn get_balance(
        &self,
        caller: Caller,
        request: pb::GetBalanceRequest,
    ) -> Result<pb::GetBalanceResponse, AppError> {
        let resident = parse_id(&request.resident_id, "resident_id", ResidentId::parse)?;
        let balance = ledger::balance(&self.ctx, &caller, resident).await?;
        Ok(pb::GetBalanceResponse {
            account_kind: balance.account.kind.as_str().to_owned(),
            account_id: balance.account.id.to_string(),
            balance: balance.account.balance,
            pending: balance.pending,
        })
    }

    pub(super) async fn get_statement(
        &self,
        caller: Caller,
        request: pb::GetStatementRequest,
    ) -> Result<pb::GetStatementResponse, AppError> {
        let resident = parse_id(&request.resident_id, "resident_id", ResidentId::parse)?;
        let statement = ledger::statement(&self.ctx, &caller, resident).await?;
        Ok(pb::GetStatementResponse {
            account_id: statement.account.id.to_string(),
            balance: statement.account.balance,
            entries: statement.entries.iter().map(convert::entry).collect(),
        })
    }

    #[tracing::instrument(skip_all, fields(resident_id = %request.resident_id, amount = request.amount))]
    pub(super) async fn adjust_points(
        &self,
        caller: Caller,
        request: pb::AdjustPointsRequest,
    ) -> Result<pb::AdjustPointsResponse, AppError> {
        let adjustment = adjustment(&request)?;
        let key = CallKey::new(&caller, &request.idempotency_key, &request);
        ledger::adjust(&self.ctx, &caller, key, adjustment, |e| {
            pb::AdjustPointsResponse {
                entry: Some(convert::entry(e)),
            }
        })
        .await
    }

    pub(super) async fn get_leaderboard(
        &self,
        caller: Caller,
        request: pb::GetLeaderboardRequest,
    ) -> Result<pb::GetLeaderboardResponse, AppError> {
        let from = request.from.as_ref().and_then(convert::from_timestamp);
        let to = request.to.as_ref().and_then(convert::from_timestamp);
        let (Some(from), Some(to)) = (from, to) else {
            return Err(AppError::invalid("from", "from and to are both required"));
        };
        if from >= to {
            return Err(AppError::invalid("to", "must be after from"));
        }
        let limit = match request.limit {
            0 => 10,
            n => n.min(100),
        };
        let village = Some(request.village_code.trim()).filter(|v| !v.is_empty());
        let board = ledger::leaderboard(&self.ctx, &caller, village, (from, to), limit).await?;
        Ok(pb::GetLeaderboardResponse {
            rows: convert::leaderboard(board.rows, board.residents, board.with_ids),
        })
    }

    pub(super) async fn expire_points(
        &self,
        caller: Caller,
        request: pb::ExpirePointsRequest,
    ) -> Result<pb::ExpirePointsResponse, AppError> {
        // No key: running a year twice lapses nothing more.
        ledger::expire_points(&self.ctx, request.year, &caller.subject, |done| {
            pb::ExpirePointsResponse {
                accounts: done.accounts,
                points: done.points,
            }
        })
        .await
    }
}

/// Decodes the town's correction.
fn adjustment(request: &pb::AdjustPointsRequest) -> Result<Adjustment, AppError> {
    let mut violations = Violations::new();
    violations.check(
        request.amount != 0 && (-100_000..=100_000).contains(&request.amount),
        "amount",
        "must be non-zero and at most 100000 either way",
    );
    violations.check(
        !request.reason.trim().is_empty(),
        "reason",
        "is required: why the balance is corrected",
    );
    violations.check(
        !request.idempotency_key.trim().is_empty(),
        "idempotency_key",
        "is required: an adjustment is posted once",
    );
    violations.finish()?;
    Ok(Adjustment {
        resident: parse_id(&request.resident_id, "resident_id", ResidentId::parse)?,
        amount: request.amount,
        reason: request.reason.trim().to_owned(),
        key: request.idempotency_key.clone(),
    })
}
