//! The catalogue and orders: what can be had for points, where, at what
//! cost and in what stock; an order reserves stock and points together, is
//! handed over against its pickup code, or cancelled with a refund.

use chrono::{DateTime, Utc};

use super::error::DomainError;
use super::ids::{AccountId, OrderId, ResidentId};
use super::ledger::{EntryKind, Posting};
use super::resident::Resident;

/// The most of one item one order takes.
pub const MAX_QUANTITY: u32 = 10;

/// What an item is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ItemKind {
    DailyGoods,
    FarmSupplies,
    PublicService,
}

impl ItemKind {
    /// Every kind.
    pub const ALL: [ItemKind; 3] = [
        ItemKind::DailyGoods,
        ItemKind::FarmSupplies,
        ItemKind::PublicService,
    ];

    /// Returns the stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            ItemKind::DailyGoods => "DAILY_GOODS",
            ItemKind::FarmSupplies => "FARM_SUPPLIES",
            ItemKind::PublicService => "PUBLIC_SERVICE",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// A catalogue item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogItem {
    pub code: String,
    pub name: String,
    pub kind: ItemKind,
    /// Points per piece.
    pub cost: u32,
    pub stock: u32,
    /// Where it is offered; empty means every village.
    pub village_codes: Vec<String>,
    pub active: bool,
}

impl CatalogItem {
    /// Returns whether the item is offered in `village`.
    pub fn offered_in(&self, village: &str) -> bool {
        self.village_codes.is_empty() || self.village_codes.iter().any(|v| v == village)
    }

    /// Refuses an order from a village the item is not offered in.
    ///
    /// # Errors
    /// [`DomainError::NotOffered`].
    pub fn offer_to(&self, village: &str) -> Result<(), DomainError> {
        if self.offered_in(village) {
            Ok(())
        } else {
            Err(DomainError::NotOffered {
                item: self.code.clone(),
                village: village.to_owned(),
            })
        }
    }
}

/// Where an order stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderState {
    /// Stock and points taken; waiting to be picked up.
    Reserved,
    /// Handed over.
    Fulfilled,
    /// Cancelled: stock back, points refunded.
    Cancelled,
}

impl OrderState {
    /// Every state.
    pub const ALL: [OrderState; 3] = [
        OrderState::Reserved,
        OrderState::Fulfilled,
        OrderState::Cancelled,
    ];

    /// Returns the stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            OrderState::Reserved => "RESERVED",
            OrderState::Fulfilled => "FULFILLED",
            OrderState::Cancelled => "CANCELLED",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|state| state.as_str() == s)
    }
}

/// An order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Order {
    pub id: OrderId,
    pub resident: ResidentId,
    pub account: AccountId,
    pub item_code: String,
    pub quantity: u32,
    pub points: u32,
    pub state: OrderState,
    pub pickup_code: String,
    pub ordered_at: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
    pub reason: Option<String>,
    /// Who placed it, then who handed it over or cancelled it.
    pub operator: String,
}

/// What handing an order over did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Handover {
    /// Handed over now.
    Handed,
    /// It was already (a retried call): the same hand-over.
    AlreadyHanded,
}

/// What cancelling an order did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cancellation {
    /// Cancelled now: its stock goes back, and this refund is posted.
    Cancelled { refund: Posting },
    /// It was already: nothing changes.
    AlreadyCancelled,
}

impl Order {
    /// Returns an order of `quantity` × `item` for `resident`, reserved,
    /// with its pickup code. The item's stock must be taken with it.
    pub fn reserve(
        resident: &Resident,
        item: &CatalogItem,
        quantity: u32,
        pickup_code: String,
        operator: &str,
        now: DateTime<Utc>,
    ) -> Self {
        Self {
            id: OrderId::generate(),
            resident: resident.id,
            account: resident.account(),
            item_code: item.code.clone(),
            quantity,
            points: item.cost * quantity,
            state: OrderState::Reserved,
            pickup_code,
            ordered_at: now,
            closed_at: None,
            reason: None,
            operator: operator.to_owned(),
        }
    }

    /// Returns the debit that pays for the order (`redeem:<order>`).
    pub fn redemption(&self, item_name: &str) -> Posting {
        Posting {
            key: format!("redeem:{}", self.id),
            account: self.account,
            kind: EntryKind::Redemption,
            amount: -i64::from(self.points),
            at: self.ordered_at,
            resident: Some(self.resident),
            report: None,
            order: Some(self.id),
            reason: Some(format!("{item_name} × {}", self.quantity)),
            operator: self.operator.clone(),
        }
    }

    /// Hands the order over against `pickup_code` (upper case, as printed).
    ///
    /// # Errors
    /// The order is not reserved, or the code is not its own.
    pub fn fulfil(
        &mut self,
        pickup_code: &str,
        operator: &str,
        now: DateTime<Utc>,
    ) -> Result<Handover, DomainError> {
        match self.state {
            OrderState::Reserved => {}
            // Handing over twice (a retried call) is the same hand-over.
            OrderState::Fulfilled if self.pickup_code == pickup_code => {
                return Ok(Handover::AlreadyHanded);
            }
            state => {
                return Err(DomainError::OrderClosed {
                    state,
                    action: "handed over",
                });
            }
        }
        if self.pickup_code != pickup_code {
            return Err(DomainError::WrongPickupCode);
        }
        self.state = OrderState::Fulfilled;
        self.closed_at = Some(now);
        self.operator = operator.to_owned();
        Ok(Handover::Handed)
    }

    /// Cancels the order for `reason`: returns the refund to post (a credit,
    /// `refund:<order>`).
    ///
    /// # Errors
    /// The order was handed over.
    pub fn cancel(
        &mut self,
        reason: &str,
        operator: &str,
        now: DateTime<Utc>,
    ) -> Result<Cancellation, DomainError> {
        match self.state {
            OrderState::Reserved => {}
            OrderState::Cancelled => return Ok(Cancellation::AlreadyCancelled),
            state => {
                return Err(DomainError::OrderClosed {
                    state,
                    action: "cancelled",
                });
            }
        }
        self.state = OrderState::Cancelled;
        self.closed_at = Some(now);
        self.reason = Some(reason.to_owned());
        self.operator = operator.to_owned();
        Ok(Cancellation::Cancelled {
            refund: Posting {
                key: format!("refund:{}", self.id),
                account: self.account,
                kind: EntryKind::Refund,
                amount: i64::from(self.points),
                at: now,
                resident: Some(self.resident),
                report: None,
                order: Some(self.id),
                reason: Some(reason.to_owned()),
                operator: operator.to_owned(),
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::resident::Registration;

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-03-02T08:00:00Z")
            .unwrap()
            .to_utc()
    }

    fn item(villages: &[&str]) -> CatalogItem {
        CatalogItem {
            code: "SEEDS-RICE".into(),
            name: "稻种".into(),
            kind: ItemKind::FarmSupplies,
            cost: 40,
            stock: 5,
            village_codes: villages.iter().map(|v| (*v).to_owned()).collect(),
            active: true,
        }
    }

    fn order() -> Order {
        let resident = Resident::register(
            Registration {
                openid: None,
                name: "张三".into(),
                phone: "13812345678".into(),
                village_code: "V1".into(),
                household: None,
            },
            None,
            Some("R-7K3M-Q9XD".into()),
            Some("ws-op".into()),
            now(),
        )
        .unwrap();
        Order::reserve(&resident, &item(&[]), 2, "K3M9QX".into(), "ws-op", now())
    }

    #[test]
    fn an_item_is_offered_where_it_says_or_everywhere() {
        assert!(item(&[]).offered_in("V7"));
        assert!(item(&["V1", "V2"]).offered_in("V2"));
        assert_eq!(
            item(&["V1"]).offer_to("V2").unwrap_err().to_string(),
            "SEEDS-RICE is not offered in V2"
        );
    }

    #[test]
    fn an_order_pays_its_pieces_by_one_redemption() {
        let order = order();
        let paid = order.redemption("稻种");
        assert_eq!((order.points, paid.amount), (80, -80));
        assert_eq!(paid.key, format!("redeem:{}", order.id));
        assert_eq!(paid.reason.as_deref(), Some("稻种 × 2"));
    }

    #[test]
    fn an_order_is_handed_over_once_against_its_own_code() {
        let mut order = order();
        assert_eq!(
            order.fulfil("WRONG1", "ws-op", now()),
            Err(DomainError::WrongPickupCode)
        );
        assert_eq!(order.state, OrderState::Reserved);
        assert_eq!(order.fulfil("K3M9QX", "ws-2", now()), Ok(Handover::Handed));
        assert_eq!(
            (order.state, order.operator.as_str()),
            (OrderState::Fulfilled, "ws-2")
        );
        assert_eq!(
            order.fulfil("K3M9QX", "ws-2", now()),
            Ok(Handover::AlreadyHanded)
        );
        let late = order.cancel("不要了", "ws-op", now()).unwrap_err();
        assert_eq!(
            late.to_string(),
            "order is fulfilled; only a reserved order is cancelled"
        );
    }

    #[test]
    fn a_cancelled_order_is_refunded_once() {
        let mut order = order();
        let Cancellation::Cancelled { refund } = order.cancel("种子已有", "ws-op", now()).unwrap()
        else {
            panic!("a reserved order is cancelled");
        };
        assert_eq!((refund.kind, refund.amount), (EntryKind::Refund, 80));
        assert_eq!(refund.key, format!("refund:{}", order.id));
        assert_eq!(
            order.cancel("again", "ws-op", now()),
            Ok(Cancellation::AlreadyCancelled)
        );
        assert_eq!(order.reason.as_deref(), Some("种子已有"));
        let err = order.fulfil("K3M9QX", "ws-op", now()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "order is cancelled; only a reserved order is handed over"
        );
    }
}
