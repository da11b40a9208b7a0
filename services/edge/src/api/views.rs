//! The JSON the mini-program sends and receives, and its conversion from
//! the services' messages. Field names are the services' (so a field
//! violation a service reports names the field the mini-program sent);
//! enums are lowercase words; times are RFC 3339 in UTC. Personal data
//! arrives masked from points and stays so.

use proto::points::v1 as pb;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::convert::{some, time, word};

/// Signing in: the code `wx.login()` gave the mini-program.
#[derive(Debug, Deserialize, ToSchema)]
pub struct SignIn {
    /// The one-time login code of `wx.login()`.
    pub login_code: String,
}

/// Registering: a fresh login code and who the resident is.
#[derive(Debug, Deserialize, ToSchema)]
pub struct Register {
    pub login_code: String,
    /// 姓名, 1–50 characters.
    pub name: String,
    /// 11-digit mainland mobile number.
    pub phone: String,
    /// The village or residential grid the resident lives in, e.g. `LX-V02`.
    pub village_code: String,
}

/// A resident, as they see themselves (masked as points masks).
#[derive(Debug, Serialize, ToSchema)]
pub struct ResidentView {
    pub id: String,
    pub name_masked: String,
    pub phone_masked: String,
    pub village_code: String,
    pub household_id: Option<String>,
    pub active: bool,
    pub registered_at: Option<String>,
}

impl From<&pb::Resident> for ResidentView {
    fn from(r: &pb::Resident) -> Self {
        Self {
            id: r.id.clone(),
            name_masked: r.name_masked.clone(),
            phone_masked: r.phone_masked.clone(),
            village_code: r.village_code.clone(),
            household_id: some(&r.household_id),
            active: r.active,
            registered_at: time(r.registered_at.as_ref()),
        }
    }
}

/// A session: the bearer token to send as `Authorization: Bearer …`.
#[derive(Debug, Serialize, ToSchema)]
pub struct SessionView {
    pub token: String,
    pub expires_at: String,
    pub resident: ResidentView,
}

/// A stored photo, to name in a report.
#[derive(Debug, Serialize, ToSchema)]
pub struct PhotoView {
    /// Hex SHA-256 of the picture: its name in storage and in the report.
    pub sha256: String,
    /// `image/jpeg`, `image/png` or `image/webp`.
    pub content_type: String,
    pub size_bytes: u64,
}

impl From<&pb::Photo> for PhotoView {
    fn from(p: &pb::Photo) -> Self {
        Self {
            sha256: p.sha256.clone(),
            content_type: p.content_type.clone(),
            size_bytes: p.size_bytes,
        }
    }
}

/// A position in WGS84 degrees.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
pub struct LatLng {
    pub lat: f64,
    pub lng: f64,
}

/// A new report.
#[derive(Debug, Deserialize, ToSchema)]
pub struct NewReport {
    /// A category of `GET /api/v1/categories`, e.g. `ILLEGAL_DUMPING`.
    pub category_code: String,
    /// 1 minor, 2 moderate, 3 serious.
    pub severity: u32,
    /// What is there, 1–2000 characters.
    pub text: String,
    pub location: LatLng,
    /// Photos uploaded first (`POST /api/v1/photos`), by their SHA-256.
    #[serde(default)]
    pub photos: Vec<String>,
}

/// A report and how far it has come.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReportView {
    pub id: String,
    pub category_code: String,
    pub severity: u32,
    pub text: String,
    pub photos: Vec<PhotoView>,
    pub location: Option<LatLng>,
    /// `submitted`, `forwarded`, `in_handling`, `verified`, `duplicate`,
    /// `rejected` or `closed`.
    pub status: String,
    /// The ticket's number once dispatch took it in, e.g. `LX-2026-000123`.
    pub ticket_number: Option<String>,
    pub pending_points: u32,
    pub awarded_points: u32,
    pub reversed_points: u32,
    pub submitted_at: Option<String>,
}

impl From<&pb::Report> for ReportView {
    fn from(r: &pb::Report) -> Self {
        Self {
            id: r.id.clone(),
            category_code: r.category_code.clone(),
            severity: r.severity,
            text: r.text.clone(),
            photos: r.photos.iter().map(PhotoView::from).collect(),
            location: r.location.map(|l| LatLng {
                lat: l.lat,
                lng: l.lng,
            }),
            status: word(r.status().as_str_name(), "REPORT_STATUS_"),
            ticket_number: some(&r.ticket_number),
            pending_points: r.pending_points,
            awarded_points: r.awarded_points,
            reversed_points: r.reversed_points,
            submitted_at: time(r.submitted_at.as_ref()),
        }
    }
}

/// A page of reports, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReportPage {
    pub reports: Vec<ReportView>,
    /// Pass as `page_token` for the next page; absent on the last.
    pub next_page_token: Option<String>,
}

/// A category residents may report, with the points it earns at severity 1.
#[derive(Debug, Serialize, ToSchema)]
pub struct CategoryView {
    pub category_code: String,
    pub base_points: u32,
}

/// The balance of the account the resident earns into.
#[derive(Debug, Serialize, ToSchema)]
pub struct BalanceView {
    /// `resident` or `household`.
    pub account_kind: String,
    pub balance: i64,
    /// Points of reports awaiting verification.
    pub pending: i64,
}

/// One ledger entry.
#[derive(Debug, Serialize, ToSchema)]
pub struct EntryView {
    /// `award`, `reversal`, `redemption`, `refund`, `expiry` or `adjustment`.
    pub kind: String,
    /// Credits positive, debits negative.
    pub amount: i64,
    pub balance_after: i64,
    pub at: Option<String>,
    pub report_id: Option<String>,
    pub order_id: Option<String>,
    pub reason: Option<String>,
}

impl From<&pb::Entry> for EntryView {
    fn from(e: &pb::Entry) -> Self {
        Self {
            kind: word(e.kind().as_str_name(), "ENTRY_KIND_"),
            amount: e.amount,
            balance_after: e.balance_after,
            at: time(e.at.as_ref()),
            report_id: some(&e.report_id),
            order_id: some(&e.order_id),
            reason: some(&e.reason),
        }
    }
}

/// Every entry, oldest first; they sum to the balance.
#[derive(Debug, Serialize, ToSchema)]
pub struct StatementView {
    pub balance: i64,
    pub entries: Vec<EntryView>,
}

/// An item offered in the resident's village.
#[derive(Debug, Serialize, ToSchema)]
pub struct CatalogItemView {
    pub code: String,
    pub name: String,
    /// `daily_goods`, `farm_supplies` or `public_service`.
    pub kind: String,
    pub cost: u32,
    pub stock: u32,
}

impl From<&pb::CatalogItem> for CatalogItemView {
    fn from(i: &pb::CatalogItem) -> Self {
        Self {
            code: i.code.clone(),
            name: i.name.clone(),
            kind: word(i.kind().as_str_name(), "ITEM_KIND_"),
            cost: i.cost,
            stock: i.stock,
        }
    }
}

/// Redeeming an item.
#[derive(Debug, Deserialize, ToSchema)]
pub struct NewOrder {
    pub item_code: String,
    /// 1 when absent.
    #[serde(default)]
    pub quantity: u32,
}

/// An order, collected at the workstation with its pickup code.
#[derive(Debug, Serialize, ToSchema)]
pub struct OrderView {
    pub id: String,
    pub item_code: String,
    pub quantity: u32,
    pub points: u32,
    /// `reserved`, `fulfilled` or `cancelled`.
    pub state: String,
    /// 取货码: shown at the workstation.
    pub pickup_code: String,
    pub ordered_at: Option<String>,
}

impl From<&pb::Order> for OrderView {
    fn from(o: &pb::Order) -> Self {
        Self {
            id: o.id.clone(),
            item_code: o.item_code.clone(),
            quantity: o.quantity,
            points: o.points,
            state: word(o.state().as_str_name(), "ORDER_STATE_"),
            pickup_code: o.pickup_code.clone(),
            ordered_at: time(o.ordered_at.as_ref()),
        }
    }
}

/// A placed order and the balance after it.
#[derive(Debug, Serialize, ToSchema)]
pub struct RedeemView {
    pub order: OrderView,
    pub balance: i64,
}
