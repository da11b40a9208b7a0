//! The resident's points: balance, statement, the catalogue of their
//! village, and redemption (the order's pickup code is collected at the
//! workstation).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use proto::points::v1 as pb;

use super::views::{
    BalanceView, CatalogItemView, EntryView, NewOrder, OrderView, RedeemView, StatementView,
};
use super::{IdempotencyKey, Resident};
use crate::error::{ApiError, ErrorBody, JsonBody};
use crate::neighbours::as_caller;
use crate::state::Shared;

/// Returns the balance of the account the resident earns into.
#[utoipa::path(get, path = "/api/v1/balance", tag = "mini-program",
    security(("session" = [])),
    responses(
        (status = 200, description = "the balance", body = BalanceView),
        (status = 401, description = "no valid session", body = ErrorBody),
    ))]
pub async fn balance(
    State(edge): State<Shared>,
    resident: Resident,
) -> Result<Json<BalanceView>, ApiError> {
    let request = pb::GetBalanceRequest {
        resident_id: resident.id().to_owned(),
    };
    let balance = edge
        .neighbours
        .points
        .clone()
        .get_balance(as_caller(request, resident.token())?)
        .await?
        .into_inner();
    Ok(Json(BalanceView {
        account_kind: balance.account_kind.to_lowercase(),
        balance: balance.balance,
        pending: balance.pending,
    }))
}

/// Returns every entry of the resident's account.
#[utoipa::path(get, path = "/api/v1/statement", tag = "mini-program",
    security(("session" = [])),
    responses(
        (status = 200, description = "the statement", body = StatementView),
        (status = 401, description = "no valid session", body = ErrorBody),
    ))]
pub async fn statement(
    State(edge): State<Shared>,
    resident: Resident,
) -> Result<Json<StatementView>, ApiError> {
    let request = pb::GetStatementRequest {
        resident_id: resident.id().to_owned(),
    };
    let statement = edge
        .neighbours
        .points
        .clone()
        .get_statement(as_caller(request, resident.token())?)
        .await?
        .into_inner();
    Ok(Json(StatementView {
        balance: statement.balance,
        entries: statement.entries.iter().map(EntryView::from).collect(),
    }))
}

/// Returns the items offered in the resident's village.
#[utoipa::path(get, path = "/api/v1/catalogue", tag = "mini-program",
    security(("session" = [])),
    responses(
        (status = 200, description = "the active items", body = [CatalogItemView]),
        (status = 401, description = "no valid session", body = ErrorBody),
    ))]
pub async fn catalogue(
    State(edge): State<Shared>,
    resident: Resident,
) -> Result<Json<Vec<CatalogItemView>>, ApiError> {
    let mut points = edge.neighbours.points.clone();
    let me = pb::GetResidentRequest {
        id: resident.id().to_owned(),
        ..Default::default()
    };
    let village = points
        .get_resident(as_caller(me, resident.token())?)
        .await?
        .into_inner()
        .resident
        .unwrap_or_default()
        .village_code;
    let request = pb::ListCatalogRequest {
        village_code: village,
    };
    let items = points
        .list_catalog(as_caller(request, resident.token())?)
        .await?
        .into_inner()
        .items;
    Ok(Json(
        items
            .iter()
            .filter(|i| i.active)
            .map(CatalogItemView::from)
            .collect(),
    ))
}

/// Orders an item: its points and stock are reserved until pickup.
#[utoipa::path(post, path = "/api/v1/orders", tag = "mini-program",
    security(("session" = [])),
    params(("Idempotency-Key" = String, Header, description = "1-128 visible ASCII characters, the same on a retry: one order", pattern = "^[!-~]{1,128}$")),
    request_body = NewOrder,
    responses(
        (status = 201, description = "ordered; show the pickup code at the workstation", body = RedeemView),
        (status = 400, description = "bad input, by field", body = ErrorBody),
        (status = 404, description = "no such item in the catalogue", body = ErrorBody),
        (status = 409, description = "not enough points or stock, or the Idempotency-Key was used for another order", body = ErrorBody),
    ))]
pub async fn redeem(
    State(edge): State<Shared>,
    resident: Resident,
    IdempotencyKey(key): IdempotencyKey,
    JsonBody(body): JsonBody<NewOrder>,
) -> Result<(StatusCode, Json<RedeemView>), ApiError> {
    if body.item_code.trim().is_empty() || body.item_code.chars().count() > 64 {
        return Err(ApiError::field(
            "item_code",
            "is required: a catalogue code, at most 64 characters",
        ));
    }
    let request = pb::RedeemRequest {
        idempotency_key: key,
        resident_id: resident.id().to_owned(),
        item_code: body.item_code.trim().to_owned(),
        quantity: body.quantity,
    };
    let redeemed = edge
        .neighbours
        .points
        .clone()
        .redeem(as_caller(request, resident.token())?)
        .await?
        .into_inner();
    let order = redeemed.order.unwrap_or_default();
    Ok((
        StatusCode::CREATED,
        Json(RedeemView {
            order: OrderView::from(&order),
            balance: redeemed.balance,
        }),
    ))
}
