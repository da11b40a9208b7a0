//! The catalogue and orders.

use platform::auth::Caller;
use platform::error::{AppError, Violations};
use platform::uow::CallKey;
use proto::points::v1 as pb;

use super::{PointsApi, check_village, parse_id};
use crate::application::catalog::{self, Redeem};
use crate::convert;
use crate::domain::catalog::{CatalogItem, MAX_QUANTITY};
use crate::domain::ids::{OrderId, ResidentId};

const KIND_RULE: &str = "must be DAILY_GOODS, FARM_SUPPLIES or PUBLIC_SERVICE";

impl PointsApi {
    pub(super) async fn put_catalog_item(
        &self,
        caller: Caller,
        request: pb::PutCatalogItemRequest,
    ) -> Result<pb::PutCatalogItemResponse, AppError> {
        let item = catalog_item(&request)?;
        let key = CallKey::new(&caller, &request.idempotency_key, &request);
        catalog::put_item(&self.ctx, key, item, request.stock_change, |i| {
            pb::PutCatalogItemResponse {
                item: Some(convert::item(i)),
            }
        })
        .await
    }

    pub(super) async fn list_catalog(
        &self,
        _caller: Caller,
        request: pb::ListCatalogRequest,
    ) -> Result<pb::ListCatalogResponse, AppError> {
        let village = Some(request.village_code.trim()).filter(|v| !v.is_empty());
        let items = catalog::offered(&self.ctx, village).await?;
        Ok(pb::ListCatalogResponse {
            items: items.iter().map(convert::item).collect(),
        })
    }

    #[tracing::instrument(skip_all, fields(resident_id = %request.resident_id, item = %request.item_code))]
    pub(super) async fn redeem(
        &self,
        caller: Caller,
        request: pb::RedeemRequest,
    ) -> Result<pb::RedeemResponse, AppError> {
        let order = order_of(&request)?;
        let key = CallKey::new(&caller, &request.idempotency_key, &request);
        catalog::redeem(&self.ctx, &caller, key, order, |r| pb::RedeemResponse {
            order: Some(convert::order(&r.order)),
            balance: r.balance,
        })
        .await
    }

    pub(super) async fn fulfil_order(
        &self,
        caller: Caller,
        request: pb::FulfilOrderRequest,
    ) -> Result<pb::FulfilOrderResponse, AppError> {
        let id = parse_id(&request.order_id, "order_id", OrderId::parse)?;
        let code = request.pickup_code.trim().to_ascii_uppercase();
        let key = CallKey::new(&caller, &request.idempotency_key, &request);
        catalog::fulfil(&self.ctx, &caller, key, id, &code, |o| {
            pb::FulfilOrderResponse {
                order: Some(convert::order(o)),
            }
        })
        .await
    }

    #[tracing::instrument(skip_all, fields(order_id = %request.order_id))]
    pub(super) async fn cancel_order(
        &self,
        caller: Caller,
        request: pb::CancelOrderRequest,
    ) -> Result<pb::CancelOrderResponse, AppError> {
        let reason = request.reason.trim();
        if reason.is_empty() {
            return Err(AppError::invalid("reason", "is required to cancel"));
        }
        let id = parse_id(&request.order_id, "order_id", OrderId::parse)?;
        let key = CallKey::new(&caller, &request.idempotency_key, &request);
        catalog::cancel(&self.ctx, &caller, key, id, reason, |c| {
            pb::CancelOrderResponse {
                order: Some(convert::order(&c.order)),
                balance: c.balance,
            }
        })
        .await
    }
}

/// Decodes a catalogue item, naming every broken rule.
fn catalog_item(request: &pb::PutCatalogItemRequest) -> Result<CatalogItem, AppError> {
    let item = request.item.clone().unwrap_or_default();
    let code = item.code.trim();
    let name = item.name.trim();
    let mut violations = Violations::new();
    violations.check(
        (2..=32).contains(&code.len())
            && code
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '-'),
        "item.code",
        "must be 2–32 capital letters, digits and dashes",
    );
    violations.check(
        !name.is_empty() && name.chars().count() <= 100,
        "item.name",
        "must be 1–100 characters",
    );
    let kind = convert::item_kind_of(item.kind());
    violations.check(kind.is_some(), "item.kind", KIND_RULE);
    violations.check(
        (1..=1_000_000).contains(&item.cost),
        "item.cost",
        "must be between 1 and 1000000 points",
    );
    violations.check(
        item.stock <= 1_000_000,
        "item.stock",
        "must be at most 1000000",
    );
    violations.check(
        (-1_000_000..=1_000_000).contains(&request.stock_change),
        "stock_change",
        "must be between -1000000 and 1000000",
    );
    for (i, village) in item.village_codes.iter().enumerate() {
        check_village(
            village.trim(),
            &format!("item.village_codes[{i}]"),
            &mut violations,
        );
    }
    violations.finish()?;
    let Some(kind) = kind else {
        return Err(AppError::invalid("item.kind", KIND_RULE));
    };
    Ok(CatalogItem {
        code: code.to_owned(),
        name: name.to_owned(),
        kind,
        cost: item.cost,
        stock: item.stock,
        village_codes: item
            .village_codes
            .iter()
            .map(|v| v.trim().to_owned())
            .collect(),
        active: item.active,
    })
}

/// Decodes an order; it needs a key, so that it is placed once.
fn order_of(request: &pb::RedeemRequest) -> Result<Redeem, AppError> {
    let quantity = match request.quantity {
        0 => 1,
        n if n <= MAX_QUANTITY => n,
        _ => {
            return Err(AppError::invalid(
                "quantity",
                format!("must be between 1 and {MAX_QUANTITY}"),
            ));
        }
    };
    let item_code = request.item_code.trim();
    if item_code.is_empty() {
        return Err(AppError::invalid("item_code", "is required"));
    }
    if request.idempotency_key.trim().is_empty() {
        return Err(AppError::invalid(
            "idempotency_key",
            "is required: an order is placed once, however often the call is retried",
        ));
    }
    Ok(Redeem {
        resident: parse_id(&request.resident_id, "resident_id", ResidentId::parse)?,
        item_code: item_code.to_owned(),
        quantity,
    })
}
