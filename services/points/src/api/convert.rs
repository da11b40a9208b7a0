//! Between stored rows and the API's messages. Names and phones leave
//! masked.

use platform::mask;
use proto::points::v1 as pb;

use crate::domain::ledger::EntryKind;
use crate::repository::catalog::{ItemRow, OrderRow};
use crate::repository::ledger::EntryRow;
use crate::repository::reports::ReportRow;
use crate::repository::residents::ResidentRow;

pub use platform::time::{from_timestamp, timestamp};

pub fn resident(r: &ResidentRow) -> pb::Resident {
    pb::Resident {
        id: r.resident_id.to_string(),
        openid: r.openid.clone().unwrap_or_default(),
        code: r.code.clone().unwrap_or_default(),
        name_masked: mask::name(&r.name),
        phone_masked: mask::phone(&r.phone),
        village_code: r.village_code.clone(),
        household_id: r.household_id.map(|h| h.to_string()).unwrap_or_default(),
        active: r.active,
        registered_at: Some(timestamp(r.registered_at)),
        operator: r.operator.clone().unwrap_or_default(),
    }
}

pub fn report_status(status: &str) -> pb::ReportStatus {
    match status {
        "SUBMITTED" => pb::ReportStatus::Submitted,
        "FORWARDED" => pb::ReportStatus::Forwarded,
        "IN_HANDLING" => pb::ReportStatus::InHandling,
        "VERIFIED" => pb::ReportStatus::Verified,
        "DUPLICATE" => pb::ReportStatus::Duplicate,
        "REJECTED" => pb::ReportStatus::Rejected,
        "CLOSED" => pb::ReportStatus::Closed,
        _ => pb::ReportStatus::Unspecified,
    }
}

pub fn report(r: &ReportRow) -> pb::Report {
    pb::Report {
        id: r.report_id.to_string(),
        resident_id: r.resident_id.to_string(),
        category_code: r.category_code.clone(),
        severity: r.severity as u32,
        text: r.text.clone(),
        photos: r
            .photos
            .0
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
        status: report_status(&r.status).into(),
        ticket_id: r.ticket_id.map(|t| t.to_string()).unwrap_or_default(),
        ticket_number: r.ticket_number.clone().unwrap_or_default(),
        duplicate_of: r.duplicate_of.clone().unwrap_or_default(),
        pending_points: r.pending_points as u32,
        awarded_points: r.awarded_points as u32,
        reversed_points: r.reversed_points as u32,
        submitted_at: Some(timestamp(r.submitted_at)),
        operator: r.operator.clone().unwrap_or_default(),
    }
}

pub fn entry_kind(kind: &str) -> pb::EntryKind {
    match EntryKind::parse(kind) {
        Some(EntryKind::Award) => pb::EntryKind::Award,
        Some(EntryKind::Reversal) => pb::EntryKind::Reversal,
        Some(EntryKind::Redemption) => pb::EntryKind::Redemption,
        Some(EntryKind::Refund) => pb::EntryKind::Refund,
        Some(EntryKind::Expiry) => pb::EntryKind::Expiry,
        Some(EntryKind::Adjustment) => pb::EntryKind::Adjustment,
        None => pb::EntryKind::Unspecified,
    }
}

pub fn entry(e: &EntryRow) -> pb::Entry {
    let id = |v: Option<uuid::Uuid>| v.map(|v| v.to_string()).unwrap_or_default();
    pb::Entry {
        id: e.entry_id.to_string(),
        key: e.key.clone(),
        kind: entry_kind(&e.kind).into(),
        amount: e.amount,
        balance_after: e.balance_after,
        at: Some(timestamp(e.at)),
        resident_id: id(e.resident_id),
        report_id: id(e.report_id),
        order_id: id(e.order_id),
        reason: e.reason.clone().unwrap_or_default(),
        operator: e.operator.clone(),
    }
}

pub fn item_kind(kind: &str) -> pb::ItemKind {
    match kind {
        "DAILY_GOODS" => pb::ItemKind::DailyGoods,
        "FARM_SUPPLIES" => pb::ItemKind::FarmSupplies,
        "PUBLIC_SERVICE" => pb::ItemKind::PublicService,
        _ => pb::ItemKind::Unspecified,
    }
}

pub fn item_kind_name(kind: pb::ItemKind) -> Option<&'static str> {
    match kind {
        pb::ItemKind::DailyGoods => Some("DAILY_GOODS"),
        pb::ItemKind::FarmSupplies => Some("FARM_SUPPLIES"),
        pb::ItemKind::PublicService => Some("PUBLIC_SERVICE"),
        pb::ItemKind::Unspecified => None,
    }
}

pub fn item(i: &ItemRow) -> pb::CatalogItem {
    pb::CatalogItem {
        code: i.code.clone(),
        name: i.name.clone(),
        kind: item_kind(&i.kind).into(),
        cost: i.cost as u32,
        stock: i.stock as u32,
        village_codes: i.village_codes.clone(),
        active: i.active,
    }
}

pub fn order(o: &OrderRow) -> pb::Order {
    pb::Order {
        id: o.order_id.to_string(),
        resident_id: o.resident_id.to_string(),
        item_code: o.item_code.clone(),
        quantity: o.quantity as u32,
        points: o.points as u32,
        state: match o.state.as_str() {
            "RESERVED" => pb::OrderState::Reserved,
            "FULFILLED" => pb::OrderState::Fulfilled,
            "CANCELLED" => pb::OrderState::Cancelled,
            _ => pb::OrderState::Unspecified,
        }
        .into(),
        pickup_code: o.pickup_code.clone(),
        ordered_at: Some(timestamp(o.ordered_at)),
        operator: o.operator.clone(),
    }
}
