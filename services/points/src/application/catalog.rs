//! The catalogue and orders: an order takes stock and points in one unit
//! of work (the item's row lock first, then the account's), so neither is
//! ever oversold or overdrawn.

use platform::auth::Caller;
use platform::error::AppError;
use platform::uow::{Begun, CallKey};
use prost::Message;
use sqlx::PgConnection;

use super::{Context, access, codes, ledger};
use crate::domain::DomainError;
use crate::domain::catalog::{Cancellation, CatalogItem, Handover, Order};
use crate::domain::ids::{OrderId, ResidentId};
use crate::repository::residents::{self, Lookup};
use crate::repository::{catalog, ledger as accounts};

/// Adds `item`, or changes it and adds `stock_change` to its stock.
///
/// # Errors
/// FAILED_PRECONDITION when the stock would go below 0.
pub async fn put_item<A: Message + Default>(
    ctx: &Context,
    key: CallKey,
    item: CatalogItem,
    stock_change: i32,
    answer: impl FnOnce(&CatalogItem) -> A,
) -> Result<A, AppError> {
    let mut work = match ctx.units.begin(key).await? {
        Begun::Replay(saved) => return Ok(saved),
        Begun::Fresh(work) => work,
    };
    let now = work.now();
    let stored = catalog::put(work.conn(), &item, stock_change, now).await?;
    work.commit(answer(&stored)).await
}

/// Returns the active items offered in `village` (every active item when
/// `None`).
///
/// # Errors
/// The database fails.
pub async fn offered(ctx: &Context, village: Option<&str>) -> Result<Vec<CatalogItem>, AppError> {
    let mut conn = ctx.units.read().await?;
    Ok(catalog::offered(&mut conn, village).await?)
}

/// An order asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redeem {
    pub resident: ResidentId,
    pub item_code: String,
    pub quantity: u32,
}

/// An order placed, and the balance after it.
#[derive(Debug, Clone)]
pub struct Redeemed {
    pub order: Order,
    pub balance: i64,
}

/// Orders an item: stock and points are reserved together, or neither.
///
/// # Errors
/// NOT_FOUND for a resident or item not there; FAILED_PRECONDITION for a
/// deactivated resident, an item not offered in their village, too little
/// stock or too few points.
pub async fn redeem<A: Message + Default>(
    ctx: &Context,
    caller: &Caller,
    key: CallKey,
    cmd: Redeem,
    answer: impl FnOnce(&Redeemed) -> A,
) -> Result<A, AppError> {
    let mut work = match ctx.units.begin(key).await? {
        Begun::Replay(saved) => return Ok(saved),
        Begun::Fresh(work) => work,
    };
    let resident = access::resident_for(work.conn(), caller, cmd.resident).await?;
    resident.require_active()?;
    let item = catalog::item(work.conn(), &cmd.item_code)
        .await?
        .filter(|i| i.active)
        .ok_or_else(|| AppError::NotFound(format!("catalogue item {}", cmd.item_code)))?;
    item.offer_to(&resident.village_code)?;
    let Some(item) = catalog::take_stock(work.conn(), &cmd.item_code, cmd.quantity).await? else {
        return Err(DomainError::OutOfStock {
            item: cmd.item_code,
            quantity: cmd.quantity,
        }
        .into());
    };
    let order = Order::reserve(
        &resident,
        &item,
        cmd.quantity,
        codes::pickup_code(),
        &caller.subject,
        work.now(),
    );
    // Refused for want of points, the work (and the stock taken above)
    // rolls back.
    let posted = ledger::post(&mut work, order.redemption(&item.name)).await?;
    catalog::insert_order(work.conn(), &order).await?;
    let balance = posted.entry().balance_after;
    work.commit(answer(&Redeemed { order, balance })).await
}

/// Loads an order for the workstation or the town (or, to cancel, its
/// resident), locked.
async fn order_for(
    conn: &mut PgConnection,
    caller: &Caller,
    id: OrderId,
) -> Result<Order, AppError> {
    let order = catalog::lock_order(conn, id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("order {id}")))?;
    let resident = residents::find(conn, Lookup::Id(order.resident))
        .await?
        .filter(|r| access::acts_for(caller, r));
    if resident.is_none() {
        return Err(AppError::NotFound(format!("order {id}")));
    }
    Ok(order)
}

/// Hands an order over against its pickup code; handing it over twice is
/// the same hand-over.
///
/// # Errors
/// NOT_FOUND; INVALID_ARGUMENT for another code; FAILED_PRECONDITION for
/// an order not reserved.
pub async fn fulfil<A: Message + Default>(
    ctx: &Context,
    caller: &Caller,
    key: CallKey,
    id: OrderId,
    pickup_code: &str,
    answer: impl FnOnce(&Order) -> A,
) -> Result<A, AppError> {
    let mut work = match ctx.units.begin(key).await? {
        Begun::Replay(saved) => return Ok(saved),
        Begun::Fresh(work) => work,
    };
    let mut order = order_for(work.conn(), caller, id).await?;
    if order.fulfil(pickup_code, &caller.subject, work.now())? == Handover::Handed {
        catalog::close_order(work.conn(), &order).await?;
    }
    work.commit(answer(&order)).await
}

/// An order cancelled, and the balance after its refund.
#[derive(Debug, Clone)]
pub struct Cancelled {
    pub order: Order,
    pub balance: i64,
}

/// Cancels an order not yet handed over: its stock back, its points
/// refunded (a credit: what untrue reports still owe is taken first).
///
/// # Errors
/// NOT_FOUND; FAILED_PRECONDITION for an order handed over.
pub async fn cancel<A: Message + Default>(
    ctx: &Context,
    caller: &Caller,
    key: CallKey,
    id: OrderId,
    reason: &str,
    answer: impl FnOnce(&Cancelled) -> A,
) -> Result<A, AppError> {
    let mut work = match ctx.units.begin(key).await? {
        Begun::Replay(saved) => return Ok(saved),
        Begun::Fresh(work) => work,
    };
    let mut order = order_for(work.conn(), caller, id).await?;
    let refund = match order.cancel(reason, &caller.subject, work.now())? {
        Cancellation::Cancelled { refund } => refund,
        Cancellation::AlreadyCancelled => {
            let balance = accounts::account(work.conn(), order.account)
                .await?
                .map_or(0, |a| a.balance);
            return work.commit(answer(&Cancelled { order, balance })).await;
        }
    };
    catalog::return_stock(work.conn(), &order.item_code, order.quantity).await?;
    let posted = ledger::post_and_settle(&mut work, refund).await?;
    let balance = accounts::account(work.conn(), order.account)
        .await?
        .map_or(posted.entry().balance_after, |a| a.balance);
    catalog::close_order(work.conn(), &order).await?;
    work.commit(answer(&Cancelled { order, balance })).await
}
