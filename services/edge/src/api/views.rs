//! The JSON the mini-program sends and receives, and its conversion from
//! the services' messages. Field names are the services' (so a field
//! violation a service reports names the field the mini-program sent);
//! enums are lowercase words; times are RFC 3339 in UTC. Personal data
//! arrives masked from points and stays so.

use proto::points::v1 as pb;
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::ToSchema;

use crate::convert::{some, time, word};

/// A whole number as JSON Schema counts one, the document's `integer`: `2`
/// and `2.0` alike, never `2.5`, a negative or one beyond `u32`.
fn whole<'de, D: Deserializer<'de>>(deserializer: D) -> Result<u32, D::Error> {
    struct Whole;

    impl serde::de::Visitor<'_> for Whole {
        type Value = u32;

        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a whole number from 0 to 4294967295")
        }

        fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<u32, E> {
            u32::try_from(v).map_err(|_| E::custom(format!("{v} is beyond 4294967295")))
        }

        fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<u32, E> {
            u32::try_from(v).map_err(|_| E::custom(format!("{v} is not a whole number from 0")))
        }

        fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<u32, E> {
            if v.fract() == 0.0 && (0.0..=f64::from(u32::MAX)).contains(&v) {
                #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
                Ok(v as u32)
            } else {
                Err(E::custom(format!(
                    "{v} is not a whole number from 0 to 4294967295"
                )))
            }
        }
    }

    deserializer.deserialize_any(Whole)
}

/// Signing in: the code `wx.login()` gave the mini-program.
#[derive(Debug, Deserialize, ToSchema)]
pub struct SignIn {
    /// The one-time login code of `wx.login()`.
    #[schema(min_length = 1, max_length = 256)]
    pub login_code: String,
}

/// Registering: a fresh login code and who the resident is.
#[derive(Debug, Deserialize, ToSchema)]
pub struct Register {
    /// A fresh one-time login code of `wx.login()`.
    #[schema(min_length = 1, max_length = 256)]
    pub login_code: String,
    /// 姓名, 1–50 characters, not only spaces.
    #[schema(min_length = 1, max_length = 50)]
    pub name: String,
    /// 11-digit mainland mobile number, digits only.
    #[schema(pattern = "^1[0-9]{10}$")]
    pub phone: String,
    /// The village or residential grid the resident lives in, e.g. `LX-V02`.
    #[schema(min_length = 1, max_length = 64)]
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
    #[schema(minimum = -90.0, maximum = 90.0)]
    pub lat: f64,
    #[schema(minimum = -180.0, maximum = 180.0)]
    pub lng: f64,
}

/// A new report.
#[derive(Debug, Deserialize, ToSchema)]
pub struct NewReport {
    /// A category of `GET /api/v1/categories`, e.g. `ILLEGAL_DUMPING`.
    #[schema(min_length = 1, max_length = 64)]
    pub category_code: String,
    /// 1 minor, 2 moderate, 3 serious.
    #[serde(deserialize_with = "whole")]
    #[schema(minimum = 1, maximum = 3)]
    pub severity: u32,
    /// What is there, 1–2000 characters.
    #[schema(min_length = 1, max_length = 2000)]
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
    /// A code of `GET /api/v1/catalogue`.
    #[schema(min_length = 1, max_length = 64)]
    pub item_code: String,
    /// 1 when absent (or 0), at most 10 (what points allows).
    #[serde(default, deserialize_with = "whole")]
    #[schema(maximum = 10)]
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edge_a_whole_number_written_with_a_decimal_point_is_a_whole_number() {
        // JSON Schema's `integer`, which the document gives quantity and
        // severity, includes 2.0; schemathesis sent one and was refused.
        let order: NewOrder =
            serde_json::from_str(r#"{"item_code":"SOAP-500G","quantity":2.0}"#).unwrap();
        assert_eq!(order.quantity, 2);
        let report: NewReport = serde_json::from_str(
            r#"{"category_code":"SANITATION","severity":3.0,"text":"x","location":{"lat":30.8,"lng":121.19}}"#,
        )
        .unwrap();
        assert_eq!(report.severity, 3);
        let absent: NewOrder = serde_json::from_str(r#"{"item_code":"SOAP-500G"}"#).unwrap();
        assert_eq!(absent.quantity, 0, "absent is 0, which points takes as 1");
    }

    #[test]
    fn edge_a_fraction_a_negative_or_a_huge_number_is_no_whole_number() {
        for quantity in ["2.5", "-1", "4294967296", "1e300", "\"2\""] {
            let text = format!(r#"{{"item_code":"SOAP-500G","quantity":{quantity}}}"#);
            assert!(
                serde_json::from_str::<NewOrder>(&text).is_err(),
                "{quantity} accepted"
            );
        }
    }
}
