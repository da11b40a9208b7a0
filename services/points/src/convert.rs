//! Between the domain and the API's and events' protobuf messages, for
//! `api/` and `events.rs`. Names and phones leave masked.

use platform::mask;
use proto::points::v1 as pb;

use crate::domain::catalog::{CatalogItem, ItemKind, Order, OrderState};
use crate::domain::ledger::{EntryKind, LedgerEntry, Standing};
use crate::domain::report::{Report, ReportStatus};
use crate::domain::resident::Resident;
use crate::domain::rules::AwardRule;

pub use platform::time::{from_timestamp, timestamp};

pub fn resident(r: &Resident) -> pb::Resident {
    pb::Resident {
        id: r.id.to_string(),
        openid: r.openid.clone().unwrap_or_default(),
        code: r.code.clone().unwrap_or_default(),
        name_masked: mask::name(&r.name),
        phone_masked: mask::phone(&r.phone),
        village_code: r.village_code.clone(),
        household_id: r.household.map(|h| h.to_string()).unwrap_or_default(),
        active: r.active,
        registered_at: Some(timestamp(r.registered_at)),
        operator: r.operator.clone().unwrap_or_default(),
    }
}

pub fn report_status(status: ReportStatus) -> pb::ReportStatus {
    match status {
        ReportStatus::Submitted => pb::ReportStatus::Submitted,
        ReportStatus::Forwarded => pb::ReportStatus::Forwarded,
        ReportStatus::InHandling => pb::ReportStatus::InHandling,
        ReportStatus::Verified => pb::ReportStatus::Verified,
        ReportStatus::Duplicate => pb::ReportStatus::Duplicate,
        ReportStatus::Rejected => pb::ReportStatus::Rejected,
        ReportStatus::Closed => pb::ReportStatus::Closed,
    }
}

pub fn report(r: &Report) -> pb::Report {
    pb::Report {
        id: r.id.to_string(),
        resident_id: r.resident.to_string(),
        category_code: r.category_code.clone(),
        severity: r.severity,
        text: r.text.clone(),
        photos: r
            .photos
            .iter()
            .map(|p| pb::Photo {
                sha256: p.sha256.clone(),
                content_type: p.content_type.clone(),
                size_bytes: p.size_bytes,
            })
            .collect(),
        location: Some(pb::LatLng {
            lat: r.lat,
            lng: r.lng,
        }),
        status: report_status(r.status).into(),
        ticket_id: r.ticket.map(|t| t.to_string()).unwrap_or_default(),
        ticket_number: r.ticket_number.clone().unwrap_or_default(),
        duplicate_of: r.duplicate_of.clone().unwrap_or_default(),
        pending_points: r.pending_points,
        awarded_points: r.awarded_points,
        reversed_points: r.reversed_points,
        submitted_at: Some(timestamp(r.submitted_at)),
        operator: r.operator.clone().unwrap_or_default(),
    }
}

pub fn entry_kind(kind: EntryKind) -> pb::EntryKind {
    match kind {
        EntryKind::Award => pb::EntryKind::Award,
        EntryKind::Reversal => pb::EntryKind::Reversal,
        EntryKind::Redemption => pb::EntryKind::Redemption,
        EntryKind::Refund => pb::EntryKind::Refund,
        EntryKind::Expiry => pb::EntryKind::Expiry,
        EntryKind::Adjustment => pb::EntryKind::Adjustment,
    }
}

pub fn entry(entry: &LedgerEntry) -> pb::Entry {
    let id = |v: Option<String>| v.unwrap_or_default();
    let e = &entry.posting;
    pb::Entry {
        id: entry.id.to_string(),
        key: e.key.clone(),
        kind: entry_kind(e.kind).into(),
        amount: e.amount,
        balance_after: entry.balance_after,
        at: Some(timestamp(e.at)),
        resident_id: id(e.resident.map(|r| r.to_string())),
        report_id: id(e.report.map(|r| r.to_string())),
        order_id: id(e.order.map(|o| o.to_string())),
        reason: e.reason.clone().unwrap_or_default(),
        operator: e.operator.clone(),
    }
}

pub fn item_kind(kind: ItemKind) -> pb::ItemKind {
    match kind {
        ItemKind::DailyGoods => pb::ItemKind::DailyGoods,
        ItemKind::FarmSupplies => pb::ItemKind::FarmSupplies,
        ItemKind::PublicService => pb::ItemKind::PublicService,
    }
}

/// Returns the domain's kind of `kind`; `None` when unspecified.
pub fn item_kind_of(kind: pb::ItemKind) -> Option<ItemKind> {
    match kind {
        pb::ItemKind::DailyGoods => Some(ItemKind::DailyGoods),
        pb::ItemKind::FarmSupplies => Some(ItemKind::FarmSupplies),
        pb::ItemKind::PublicService => Some(ItemKind::PublicService),
        pb::ItemKind::Unspecified => None,
    }
}

pub fn item(i: &CatalogItem) -> pb::CatalogItem {
    pb::CatalogItem {
        code: i.code.clone(),
        name: i.name.clone(),
        kind: item_kind(i.kind).into(),
        cost: i.cost,
        stock: i.stock,
        village_codes: i.village_codes.clone(),
        active: i.active,
    }
}

pub fn order_state(state: OrderState) -> pb::OrderState {
    match state {
        OrderState::Reserved => pb::OrderState::Reserved,
        OrderState::Fulfilled => pb::OrderState::Fulfilled,
        OrderState::Cancelled => pb::OrderState::Cancelled,
    }
}

pub fn order(o: &Order) -> pb::Order {
    pb::Order {
        id: o.id.to_string(),
        resident_id: o.resident.to_string(),
        item_code: o.item_code.clone(),
        quantity: o.quantity,
        points: o.points,
        state: order_state(o.state).into(),
        pickup_code: o.pickup_code.clone(),
        ordered_at: Some(timestamp(o.ordered_at)),
        operator: o.operator.clone(),
    }
}

pub fn rule(r: &AwardRule) -> pb::AwardRule {
    pb::AwardRule {
        category_code: r.category_code.clone(),
        base_points: r.base_points,
        active: r.active,
    }
}

/// Returns a leaderboard's rows, ranked: residents' names masked (a
/// village's board) and their ids only for `with_ids` (who serves them).
pub fn leaderboard(
    rows: Vec<Standing>,
    residents: bool,
    with_ids: bool,
) -> Vec<pb::LeaderboardRow> {
    rows.into_iter()
        .zip(1..)
        .map(|(row, rank)| pb::LeaderboardRow {
            rank,
            name: if residents {
                mask::name(&row.name)
            } else {
                row.name
            },
            id: if with_ids { row.id } else { String::new() },
            points: row.points,
            verified_reports: u32::try_from(row.verified_reports).unwrap_or(u32::MAX),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_stored_kind_and_status_has_its_own_protobuf_value() {
        let kinds: std::collections::HashSet<_> =
            EntryKind::ALL.into_iter().map(entry_kind).collect();
        assert_eq!(kinds.len(), EntryKind::ALL.len());
        assert!(!kinds.contains(&pb::EntryKind::Unspecified));
        let statuses: std::collections::HashSet<_> =
            ReportStatus::ALL.into_iter().map(report_status).collect();
        assert_eq!(statuses.len(), ReportStatus::ALL.len());
        assert!(!statuses.contains(&pb::ReportStatus::Unspecified));
        for kind in ItemKind::ALL {
            assert_eq!(item_kind_of(item_kind(kind)), Some(kind));
        }
    }
}
