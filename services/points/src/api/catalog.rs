//! The catalogue and orders: an order takes stock and points in one
//! transaction (the item's row lock first, then the account's), so neither
//! is ever oversold or overdrawn.

use platform::auth::Caller;
use platform::error::FieldViolation;
use platform::idempotency::{self, IdempotencyKey};
use proto::points::v1 as pb;
use uuid::Uuid;

use super::residents::{check_village, random_chars};
use super::{ApiError, PointsApi, convert, parse_id, require_active, require_town, resident_for};
use crate::domain::ledger::EntryKind;
use crate::repository::catalog::{self, ItemRow, OrderRow};
use crate::repository::ledger::{self, NewEntry};
use crate::repository::residents::{self, Lookup};

/// The most of one item one order takes.
const MAX_QUANTITY: u32 = 10;

impl PointsApi {
    pub(super) async fn put_catalog_item(
        &self,
        caller: Caller,
        request: pb::PutCatalogItemRequest,
    ) -> Result<pb::PutCatalogItemResponse, ApiError> {
        require_town(&caller, "change the catalogue")?;
        let item = request.item.clone().unwrap_or_default();
        let mut violations = Vec::new();
        let code = item.code.trim().to_owned();
        if code.len() < 2
            || code.len() > 32
            || !code
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '-')
        {
            violations.push(FieldViolation::new(
                "item.code",
                "must be 2–32 capital letters, digits and dashes",
            ));
        }
        if item.name.trim().is_empty() || item.name.trim().chars().count() > 100 {
            violations.push(FieldViolation::new("item.name", "must be 1–100 characters"));
        }
        let kind = convert::item_kind_name(item.kind());
        if kind.is_none() {
            violations.push(FieldViolation::new(
                "item.kind",
                "must be DAILY_GOODS, FARM_SUPPLIES or PUBLIC_SERVICE",
            ));
        }
        if !(1..=1_000_000).contains(&item.cost) {
            violations.push(FieldViolation::new(
                "item.cost",
                "must be between 1 and 1000000 points",
            ));
        }
        if item.stock > 1_000_000 {
            violations.push(FieldViolation::new("item.stock", "must be at most 1000000"));
        }
        if !(-1_000_000..=1_000_000).contains(&request.stock_change) {
            violations.push(FieldViolation::new(
                "stock_change",
                "must be between -1000000 and 1000000",
            ));
        }
        for (i, v) in item.village_codes.iter().enumerate() {
            check_village(
                v.trim(),
                &format!("item.village_codes[{i}]"),
                &mut violations,
            );
        }
        if !violations.is_empty() {
            return Err(ApiError::InvalidArgument(violations));
        }
        let mut txn = self.pool.begin().await?;
        let key = IdempotencyKey::new(
            &caller.subject,
            "PutCatalogItem",
            &request.idempotency_key,
            &request,
        );
        if let Some(saved) = idempotency::replay(&mut txn, &key).await? {
            return Ok(saved);
        }
        let row = catalog::put(
            &mut txn,
            &ItemRow {
                code,
                name: item.name.trim().to_owned(),
                kind: kind.expect("checked above").to_owned(),
                cost: item.cost as i32,
                stock: item.stock as i32,
                village_codes: item
                    .village_codes
                    .iter()
                    .map(|v| v.trim().to_owned())
                    .collect(),
                active: item.active,
            },
            request.stock_change,
            self.clock.now(),
        )
        .await?;
        let response = pb::PutCatalogItemResponse {
            item: Some(convert::item(&row)),
        };
        idempotency::finish(&mut txn, &key, &response).await?;
        txn.commit().await?;
        Ok(response)
    }

    pub(super) async fn list_catalog(
        &self,
        _caller: Caller,
        request: pb::ListCatalogRequest,
    ) -> Result<pb::ListCatalogResponse, ApiError> {
        let village = Some(request.village_code.trim()).filter(|v| !v.is_empty());
        let mut conn = self.pool.acquire().await?;
        let items = catalog::offered(&mut conn, village).await?;
        Ok(pb::ListCatalogResponse {
            items: items.iter().map(convert::item).collect(),
        })
    }

    #[tracing::instrument(skip_all, fields(resident_id = %request.resident_id, item = %request.item_code))]
    pub(super) async fn redeem(
        &self,
        caller: Caller,
        request: pb::RedeemRequest,
    ) -> Result<pb::RedeemResponse, ApiError> {
        let quantity = match request.quantity {
            0 => 1,
            n if n <= MAX_QUANTITY => n,
            _ => {
                return Err(ApiError::invalid(
                    "quantity",
                    format!("must be between 1 and {MAX_QUANTITY}"),
                ));
            }
        };
        let code = request.item_code.trim();
        if code.is_empty() {
            return Err(ApiError::invalid("item_code", "is required"));
        }
        if request.idempotency_key.trim().is_empty() {
            return Err(ApiError::invalid(
                "idempotency_key",
                "is required: an order is placed once, however often the call is retried",
            ));
        }
        let mut txn = self.pool.begin().await?;
        let key = IdempotencyKey::new(
            &caller.subject,
            "Redeem",
            &request.idempotency_key,
            &request,
        );
        if let Some(saved) = idempotency::replay(&mut txn, &key).await? {
            return Ok(saved);
        }
        let resident = resident_for(&mut txn, &caller, &request.resident_id).await?;
        require_active(&resident)?;
        let item = catalog::item(&mut txn, code)
            .await?
            .filter(|i| i.active)
            .ok_or_else(|| ApiError::NotFound(format!("catalogue item {code}")))?;
        if !item.offered_in(&resident.village_code) {
            return Err(ApiError::FailedPrecondition(format!(
                "{} is not offered in {}",
                item.code, resident.village_code
            )));
        }
        let Some(item) = catalog::take_stock(&mut txn, code, quantity as i32).await? else {
            return Err(ApiError::FailedPrecondition(format!(
                "{code} is out of stock: fewer than {quantity} left"
            )));
        };
        let points = item.cost * quantity as i32;
        let now = self.clock.now();
        let order = OrderRow {
            order_id: Uuid::now_v7(),
            resident_id: resident.resident_id,
            account_id: resident.account_id(),
            item_code: item.code.clone(),
            quantity: quantity as i32,
            points,
            state: "RESERVED".into(),
            pickup_code: random_chars(6),
            ordered_at: now,
            closed_at: None,
            reason: None,
            operator: caller.subject.clone(),
        };
        // Refused for want of points, the transaction (and the stock taken
        // above) rolls back.
        let posted = ledger::post(
            &mut txn,
            &NewEntry {
                key: format!("redeem:{}", order.order_id),
                account_id: order.account_id,
                kind: EntryKind::Redemption,
                amount: -i64::from(points),
                at: now,
                resident_id: Some(resident.resident_id),
                report_id: None,
                order_id: Some(order.order_id),
                reason: Some(format!("{} × {}", item.name, quantity)),
                operator: caller.subject.clone(),
            },
        )
        .await?;
        catalog::insert_order(&mut txn, &order).await?;
        let response = pb::RedeemResponse {
            order: Some(convert::order(&order)),
            balance: posted.entry().balance_after,
        };
        idempotency::finish(&mut txn, &key, &response).await?;
        txn.commit().await?;
        self.waker.wake();
        Ok(response)
    }

    /// Loads an order for the workstation or the town (or, to cancel, its
    /// resident), locked.
    async fn order_for(
        &self,
        conn: &mut sqlx::PgConnection,
        caller: &Caller,
        id: &str,
    ) -> Result<OrderRow, ApiError> {
        let id = parse_id(id, "order_id")?;
        let order = catalog::lock_order(conn, id)
            .await?
            .ok_or_else(|| ApiError::NotFound(format!("order {id}")))?;
        let resident = residents::find(conn, Lookup::Id(order.resident_id))
            .await?
            .filter(|r| super::acts_for(caller, r));
        if resident.is_none() {
            return Err(ApiError::NotFound(format!("order {id}")));
        }
        Ok(order)
    }

    pub(super) async fn fulfil_order(
        &self,
        caller: Caller,
        request: pb::FulfilOrderRequest,
    ) -> Result<pb::FulfilOrderResponse, ApiError> {
        if super::operator_of(&caller).is_none() {
            return Err(ApiError::PermissionDenied(
                "orders are handed over by the workstation or the town".into(),
            ));
        }
        let mut txn = self.pool.begin().await?;
        let mut order = self.order_for(&mut txn, &caller, &request.order_id).await?;
        match order.state.as_str() {
            "RESERVED" => {}
            // Handing over twice (a retried call) is the same hand-over.
            "FULFILLED" if order.pickup_code == request.pickup_code.trim().to_ascii_uppercase() => {
                return Ok(pb::FulfilOrderResponse {
                    order: Some(convert::order(&order)),
                });
            }
            state => {
                return Err(ApiError::FailedPrecondition(format!(
                    "order is {}; only a reserved order is handed over",
                    state.to_lowercase()
                )));
            }
        }
        if order.pickup_code != request.pickup_code.trim().to_ascii_uppercase() {
            return Err(ApiError::invalid(
                "pickup_code",
                "does not match the order's pickup code",
            ));
        }
        order.state = "FULFILLED".into();
        order.closed_at = Some(self.clock.now());
        order.operator = caller.subject.clone();
        catalog::close_order(&mut txn, &order).await?;
        txn.commit().await?;
        Ok(pb::FulfilOrderResponse {
            order: Some(convert::order(&order)),
        })
    }

    #[tracing::instrument(skip_all, fields(order_id = %request.order_id))]
    pub(super) async fn cancel_order(
        &self,
        caller: Caller,
        request: pb::CancelOrderRequest,
    ) -> Result<pb::CancelOrderResponse, ApiError> {
        if request.reason.trim().is_empty() {
            return Err(ApiError::invalid("reason", "is required to cancel"));
        }
        let mut txn = self.pool.begin().await?;
        let mut order = self.order_for(&mut txn, &caller, &request.order_id).await?;
        let refund_key = format!("refund:{}", order.order_id);
        match order.state.as_str() {
            "RESERVED" => {}
            "CANCELLED" => {
                let balance = ledger::account(&mut txn, order.account_id)
                    .await?
                    .map_or(0, |a| a.balance);
                return Ok(pb::CancelOrderResponse {
                    order: Some(convert::order(&order)),
                    balance,
                });
            }
            state => {
                return Err(ApiError::FailedPrecondition(format!(
                    "order is {}; only a reserved order is cancelled",
                    state.to_lowercase()
                )));
            }
        }
        let now = self.clock.now();
        catalog::return_stock(&mut txn, &order.item_code, order.quantity).await?;
        // A refund is a credit: what untrue reports still owe is taken first.
        let posted = crate::tickets::post_and_settle(
            &mut txn,
            &NewEntry {
                key: refund_key,
                account_id: order.account_id,
                kind: EntryKind::Refund,
                amount: i64::from(order.points),
                at: now,
                resident_id: Some(order.resident_id),
                report_id: None,
                order_id: Some(order.order_id),
                reason: Some(request.reason.trim().to_owned()),
                operator: caller.subject.clone(),
            },
        )
        .await?;
        let balance = ledger::account(&mut txn, order.account_id)
            .await?
            .map_or(posted.entry().balance_after, |a| a.balance);
        order.state = "CANCELLED".into();
        order.closed_at = Some(now);
        order.reason = Some(request.reason.trim().to_owned());
        order.operator = caller.subject.clone();
        catalog::close_order(&mut txn, &order).await?;
        txn.commit().await?;
        self.waker.wake();
        Ok(pb::CancelOrderResponse {
            order: Some(convert::order(&order)),
            balance,
        })
    }
}
