//! `catalog_items` and `orders`.

use chrono::{DateTime, Utc};
use platform::error::{AppError, UnknownStoredValue};
use sqlx::PgConnection;
use uuid::Uuid;

use super::{decode, decode_all, decode_optional, signed, stored_count};
use crate::domain::catalog::{CatalogItem, ItemKind, Order, OrderState};
use crate::domain::ids::{AccountId, OrderId, ResidentId};

/// A catalogue item as stored.
#[derive(sqlx::FromRow)]
struct ItemRow {
    code: String,
    name: String,
    kind: String,
    cost: i32,
    stock: i32,
    village_codes: Vec<String>,
    active: bool,
}

impl TryFrom<ItemRow> for CatalogItem {
    type Error = UnknownStoredValue;

    fn try_from(i: ItemRow) -> Result<Self, Self::Error> {
        Ok(CatalogItem {
            kind: ItemKind::parse(&i.kind)
                .ok_or_else(|| UnknownStoredValue::new("catalog_items", "kind", i.kind))?,
            code: i.code,
            name: i.name,
            cost: stored_count("catalog_items", "cost", i.cost)?,
            stock: stored_count("catalog_items", "stock", i.stock)?,
            village_codes: i.village_codes,
            active: i.active,
        })
    }
}

const ITEM_COLUMNS: &str = "code, name, kind, cost, stock, village_codes, active";

/// Adds an item with `item.stock`, or changes an existing one and adds
/// `stock_change` to its stock (never set outright: orders taken meanwhile
/// would be sold again).
///
/// # Errors
/// FAILED_PRECONDITION when the stock would go below 0; the database
/// failing.
pub async fn put(
    conn: &mut PgConnection,
    item: &CatalogItem,
    stock_change: i32,
    at: DateTime<Utc>,
) -> Result<CatalogItem, AppError> {
    let row: ItemRow = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "INSERT INTO catalog_items ({ITEM_COLUMNS}, updated_at) VALUES ($1, $2, $3, $4, $5 + $9, $6, $7, $8)
         ON CONFLICT (code) DO UPDATE SET name = $2, kind = $3, cost = $4, stock = catalog_items.stock + $9,
                                          village_codes = $6, active = $7, updated_at = $8
         RETURNING {ITEM_COLUMNS}"
    )))
    .bind(&item.code)
    .bind(&item.name)
    .bind(item.kind.as_str())
    .bind(signed(item.cost))
    .bind(signed(item.stock))
    .bind(&item.village_codes)
    .bind(item.active)
    .bind(at)
    .bind(stock_change)
    .fetch_one(conn)
    .await
    .map_err(|err| {
        AppError::on_constraint(err, "catalog_items_stock_check", || {
            AppError::FailedPrecondition("the stock cannot go below 0".into())
        })
    })?;
    Ok(decode(row)?)
}

/// Returns the active items offered in `village` (every active item when
/// `None`).
///
/// # Errors
/// The database fails, or an item's kind is unknown.
pub async fn offered(
    conn: &mut PgConnection,
    village: Option<&str>,
) -> Result<Vec<CatalogItem>, sqlx::Error> {
    let rows: Vec<ItemRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {ITEM_COLUMNS} FROM catalog_items
         WHERE active AND ($1::text IS NULL OR village_codes = '{{}}' OR $1 = ANY(village_codes))
         ORDER BY kind, code"
    )))
    .bind(village)
    .fetch_all(conn)
    .await?;
    decode_all(rows)
}

/// Returns an item.
///
/// # Errors
/// The database fails, or the item's kind is unknown.
pub async fn item(conn: &mut PgConnection, code: &str) -> Result<Option<CatalogItem>, sqlx::Error> {
    let row: Option<ItemRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {ITEM_COLUMNS} FROM catalog_items WHERE code = $1"
    )))
    .bind(code)
    .fetch_optional(conn)
    .await?;
    decode_optional(row)
}

/// Takes `quantity` from an active item's stock, under its row lock;
/// `None` when there is not that much left.
///
/// # Errors
/// The database fails, or the item's kind is unknown.
pub async fn take_stock(
    conn: &mut PgConnection,
    code: &str,
    quantity: u32,
) -> Result<Option<CatalogItem>, sqlx::Error> {
    let row: Option<ItemRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "UPDATE catalog_items SET stock = stock - $2 WHERE code = $1 AND active AND stock >= $2
         RETURNING {ITEM_COLUMNS}"
    )))
    .bind(code)
    .bind(signed(quantity))
    .fetch_optional(conn)
    .await?;
    decode_optional(row)
}

/// Puts `quantity` back into an item's stock.
///
/// # Errors
/// The database fails.
pub async fn return_stock(
    conn: &mut PgConnection,
    code: &str,
    quantity: u32,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE catalog_items SET stock = stock + $2 WHERE code = $1")
        .bind(code)
        .bind(signed(quantity))
        .execute(conn)
        .await?;
    Ok(())
}

/// An order as stored.
#[derive(sqlx::FromRow)]
struct OrderRow {
    order_id: Uuid,
    resident_id: Uuid,
    account_id: Uuid,
    item_code: String,
    quantity: i32,
    points: i32,
    state: String,
    pickup_code: String,
    ordered_at: DateTime<Utc>,
    closed_at: Option<DateTime<Utc>>,
    reason: Option<String>,
    operator: String,
}

impl TryFrom<OrderRow> for Order {
    type Error = UnknownStoredValue;

    fn try_from(o: OrderRow) -> Result<Self, Self::Error> {
        Ok(Order {
            id: OrderId(o.order_id),
            resident: ResidentId(o.resident_id),
            account: AccountId(o.account_id),
            item_code: o.item_code,
            quantity: stored_count("orders", "quantity", o.quantity)?,
            points: stored_count("orders", "points", o.points)?,
            state: OrderState::parse(&o.state)
                .ok_or_else(|| UnknownStoredValue::new("orders", "state", o.state))?,
            pickup_code: o.pickup_code,
            ordered_at: o.ordered_at,
            closed_at: o.closed_at,
            reason: o.reason,
            operator: o.operator,
        })
    }
}

const ORDER_COLUMNS: &str = "order_id, resident_id, account_id, item_code, quantity, points, state, pickup_code, \
                             ordered_at, closed_at, reason, operator";

/// Inserts an order.
///
/// # Errors
/// The database fails.
pub async fn insert_order(conn: &mut PgConnection, o: &Order) -> Result<(), sqlx::Error> {
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "INSERT INTO orders ({ORDER_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
    )))
    .bind(o.id.0)
    .bind(o.resident.0)
    .bind(o.account.0)
    .bind(&o.item_code)
    .bind(signed(o.quantity))
    .bind(signed(o.points))
    .bind(o.state.as_str())
    .bind(&o.pickup_code)
    .bind(o.ordered_at)
    .bind(o.closed_at)
    .bind(&o.reason)
    .bind(&o.operator)
    .execute(conn)
    .await?;
    Ok(())
}

/// Returns an order, locked.
///
/// # Errors
/// The database fails, or the order's state is unknown.
pub async fn lock_order(
    conn: &mut PgConnection,
    id: OrderId,
) -> Result<Option<Order>, sqlx::Error> {
    let row: Option<OrderRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {ORDER_COLUMNS} FROM orders WHERE order_id = $1 FOR UPDATE"
    )))
    .bind(id.0)
    .fetch_optional(conn)
    .await?;
    decode_optional(row)
}

/// Saves an order's closing: its state, when, why and by whom.
///
/// # Errors
/// The database fails.
pub async fn close_order(conn: &mut PgConnection, o: &Order) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE orders SET state = $2, closed_at = $3, reason = $4, operator = $5 WHERE order_id = $1",
    )
    .bind(o.id.0)
    .bind(o.state.as_str())
    .bind(o.closed_at)
    .bind(&o.reason)
    .bind(&o.operator)
    .execute(conn)
    .await?;
    Ok(())
}
