//! `catalog_items` and `orders`.

use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

/// A catalogue item.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ItemRow {
    pub code: String,
    pub name: String,
    pub kind: String,
    pub cost: i32,
    pub stock: i32,
    pub village_codes: Vec<String>,
    pub active: bool,
}

impl ItemRow {
    /// Returns whether the item is offered in `village`.
    pub fn offered_in(&self, village: &str) -> bool {
        self.village_codes.is_empty() || self.village_codes.iter().any(|v| v == village)
    }
}

const ITEM_COLUMNS: &str = "code, name, kind, cost, stock, village_codes, active";

/// Adds an item with `item.stock`, or changes an existing one and adds
/// `stock_change` to its stock (never set outright: orders taken meanwhile
/// would be sold again).
///
/// # Errors
/// The database fails (a stock below 0 violates `catalog_items_stock_check`).
pub async fn put(
    conn: &mut PgConnection,
    item: &ItemRow,
    stock_change: i32,
    at: DateTime<Utc>,
) -> Result<ItemRow, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "INSERT INTO catalog_items ({ITEM_COLUMNS}, updated_at) VALUES ($1, $2, $3, $4, $5 + $9, $6, $7, $8)
         ON CONFLICT (code) DO UPDATE SET name = $2, kind = $3, cost = $4, stock = catalog_items.stock + $9,
                                          village_codes = $6, active = $7, updated_at = $8
         RETURNING {ITEM_COLUMNS}"
    )))
    .bind(&item.code)
    .bind(&item.name)
    .bind(&item.kind)
    .bind(item.cost)
    .bind(item.stock)
    .bind(&item.village_codes)
        .bind(item.active)
    .bind(at)
    .bind(stock_change)
    .fetch_one(conn)
    .await
}

/// Returns the active items offered in `village` (every active item when
/// `None`).
///
/// # Errors
/// The database fails.
pub async fn offered(
    conn: &mut PgConnection,
    village: Option<&str>,
) -> Result<Vec<ItemRow>, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {ITEM_COLUMNS} FROM catalog_items
         WHERE active AND ($1::text IS NULL OR village_codes = '{{}}' OR $1 = ANY(village_codes))
         ORDER BY kind, code"
    )))
    .bind(village)
    .fetch_all(conn)
    .await
}

/// Returns an item.
///
/// # Errors
/// The database fails.
pub async fn item(conn: &mut PgConnection, code: &str) -> Result<Option<ItemRow>, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {ITEM_COLUMNS} FROM catalog_items WHERE code = $1"
    )))
    .bind(code)
    .fetch_optional(conn)
    .await
}

/// Takes `quantity` from an active item's stock, under its row lock;
/// `None` when there is not that much left.
///
/// # Errors
/// The database fails.
pub async fn take_stock(
    conn: &mut PgConnection,
    code: &str,
    quantity: i32,
) -> Result<Option<ItemRow>, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "UPDATE catalog_items SET stock = stock - $2 WHERE code = $1 AND active AND stock >= $2
         RETURNING {ITEM_COLUMNS}"
    )))
    .bind(code)
    .bind(quantity)
    .fetch_optional(conn)
    .await
}

/// Puts `quantity` back into an item's stock.
///
/// # Errors
/// The database fails.
pub async fn return_stock(
    conn: &mut PgConnection,
    code: &str,
    quantity: i32,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE catalog_items SET stock = stock + $2 WHERE code = $1")
        .bind(code)
        .bind(quantity)
        .execute(conn)
        .await?;
    Ok(())
}

/// An order.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OrderRow {
    pub order_id: Uuid,
    pub resident_id: Uuid,
    pub account_id: Uuid,
    pub item_code: String,
    pub quantity: i32,
    pub points: i32,
    pub state: String,
    pub pickup_code: String,
    pub ordered_at: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
    pub reason: Option<String>,
    pub operator: String,
}

const ORDER_COLUMNS: &str = "order_id, resident_id, account_id, item_code, quantity, points, state, pickup_code, \
                             ordered_at, closed_at, reason, operator";

/// Inserts an order.
///
/// # Errors
/// The database fails.
pub async fn insert_order(conn: &mut PgConnection, o: &OrderRow) -> Result<(), sqlx::Error> {
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "INSERT INTO orders ({ORDER_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
    )))
    .bind(o.order_id)
    .bind(o.resident_id)
    .bind(o.account_id)
    .bind(&o.item_code)
    .bind(o.quantity)
    .bind(o.points)
    .bind(&o.state)
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
/// The database fails.
pub async fn lock_order(
    conn: &mut PgConnection,
    id: Uuid,
) -> Result<Option<OrderRow>, sqlx::Error> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {ORDER_COLUMNS} FROM orders WHERE order_id = $1 FOR UPDATE"
    )))
    .bind(id)
    .fetch_optional(conn)
    .await
}

/// Closes an order as FULFILLED or CANCELLED.
///
/// # Errors
/// The database fails.
pub async fn close_order(conn: &mut PgConnection, o: &OrderRow) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE orders SET state = $2, closed_at = $3, reason = $4, operator = $5 WHERE order_id = $1",
    )
    .bind(o.order_id)
    .bind(&o.state)
    .bind(o.closed_at)
    .bind(&o.reason)
    .bind(&o.operator)
    .execute(conn)
    .await?;
    Ok(())
}
