//! `weigrid points …`: residents, reports, balances and the catalogue.

use anyhow::Context as _;
use clap::{Subcommand, ValueEnum};
use proto::points::v1 as pb;
use serde_json::{Value, json};

use crate::args::{lat_lng, period};
use crate::connect::Points;
use crate::output::Output;
use crate::render::{enum_name as name, time};

/// Points commands.
#[derive(Subcommand)]
pub enum PointsCommand {
    /// Registers a resident: with --openid for a mini-program user, else at
    /// the workstation, printing their printable code.
    Register {
        #[arg(long)]
        name: String,
        #[arg(long)]
        phone: String,
        /// Village or residential grid code, e.g. LX-V02.
        #[arg(long)]
        village: String,
        #[arg(long)]
        openid: Option<String>,
        /// Earn into this household's balance.
        #[arg(long)]
        household: Option<String>,
    },
    /// Creates a household whose members earn into one balance.
    Household {
        #[arg(long)]
        village: String,
        /// E.g. the house number.
        #[arg(long)]
        label: String,
    },
    /// Submits a report for a resident (id or printable code).
    Report {
        #[arg(long)]
        resident: String,
        /// Category code, e.g. ILLEGAL_DUMPING.
        #[arg(long)]
        category: String,
        /// 1 minor, 2 moderate, 3 serious.
        #[arg(long, default_value_t = 1)]
        severity: u32,
        #[arg(long)]
        text: String,
        /// A point as LAT,LNG.
        #[arg(long)]
        at: String,
        /// A photo as SHA256:TYPE:BYTES (repeatable).
        #[arg(long)]
        photo: Vec<String>,
    },
    /// Lists a resident's reports with their tickets and points.
    Reports { resident: String },
    /// Prints how to reach the resident who made a report, for the
    /// follow-up call (the town; every read is logged with its purpose).
    Contact {
        /// The report's id (a villager ticket's external reference).
        report: String,
        /// Why the contact is needed, e.g. "回访 LX-2026-000123".
        #[arg(long)]
        purpose: String,
    },
    /// Shows a resident's balance and the points pending verification.
    Balance { resident: String },
    /// Prints every entry of a resident's account; they sum to the balance.
    Statement { resident: String },
    /// Lists the catalogue of a village, or puts an item with --put.
    Catalog {
        /// Only items offered here.
        #[arg(long)]
        village: Option<String>,
        /// Adds or changes the item CODE (the town).
        #[arg(long)]
        put: Option<String>,
        #[arg(long, default_value = "")]
        name: String,
        /// What the item is.
        #[arg(long, value_enum, ignore_case = true, default_value_t = ItemKind::DailyGoods)]
        kind: ItemKind,
        #[arg(long, default_value_t = 0)]
        cost: u32,
        /// The stock of a new item.
        #[arg(long, default_value_t = 0)]
        stock: u32,
        /// Added to an existing item's stock (negative writes off).
        #[arg(long, default_value_t = 0, allow_hyphen_values = true)]
        restock: i32,
        /// Villages where it is offered (repeatable; none means all).
        #[arg(long = "offered-in")]
        offered_in: Vec<String>,
    },
    /// Orders an item for a resident: points and stock are reserved.
    Redeem {
        #[arg(long)]
        resident: String,
        #[arg(long)]
        item: String,
        #[arg(long, default_value_t = 1)]
        quantity: u32,
    },
    /// Hands an order over against its pickup code (the workstation).
    Fulfil {
        order: String,
        #[arg(long)]
        code: String,
    },
    /// Cancels a reserved order: stock back, points refunded.
    Cancel {
        order: String,
        #[arg(long)]
        reason: String,
    },
    /// Points earned in a period: a village's residents, or the villages.
    Leaderboard {
        #[arg(long)]
        village: Option<String>,
        /// First day, YYYY-MM-DD (Shanghai time).
        #[arg(long)]
        from: String,
        /// Day after the last, YYYY-MM-DD.
        #[arg(long)]
        to: String,
        #[arg(long, default_value_t = 10)]
        limit: u32,
    },
    /// Lists the award rules, or changes one with --set (the town).
    Rules {
        /// The category to change, e.g. ILLEGAL_DUMPING.
        #[arg(long)]
        set: Option<String>,
        /// Points at severity 1.
        #[arg(long = "base-points", default_value_t = 0)]
        base_points: u32,
        /// The category takes no new reports.
        #[arg(long)]
        inactive: bool,
    },
    /// Corrects a resident's balance (the town), with a reason.
    Adjust {
        #[arg(long)]
        resident: String,
        #[arg(long, allow_hyphen_values = true)]
        amount: i64,
        #[arg(long)]
        reason: String,
    },
}

/// What a catalogue item is (`--kind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ItemKind {
    /// Soap, oil and the like.
    #[value(alias = "daily_goods")]
    DailyGoods,
    /// Fertiliser, seed and tools.
    #[value(alias = "farm_supplies")]
    FarmSupplies,
    /// A service such as a haircut for the elderly.
    #[value(alias = "public_service")]
    PublicService,
}

impl From<ItemKind> for pb::ItemKind {
    fn from(kind: ItemKind) -> Self {
        match kind {
            ItemKind::DailyGoods => pb::ItemKind::DailyGoods,
            ItemKind::FarmSupplies => pb::ItemKind::FarmSupplies,
            ItemKind::PublicService => pb::ItemKind::PublicService,
        }
    }
}

fn resident_json(r: &pb::Resident) -> Value {
    json!({
        "id": r.id, "code": r.code, "openid": r.openid, "name": r.name_masked,
        "phone": r.phone_masked, "village": r.village_code, "household": r.household_id,
        "active": r.active,
    })
}

fn report_json(r: &pb::Report) -> Value {
    json!({
        "id": r.id, "resident": r.resident_id, "category": r.category_code,
        "severity": r.severity, "status": name(r.status().as_str_name(), "REPORT_STATUS_"),
        "ticket": r.ticket_number, "duplicate_of": r.duplicate_of,
        "pending": r.pending_points, "awarded": r.awarded_points, "reversed": r.reversed_points,
        "submitted_at": time(&r.submitted_at),
    })
}

fn report_line(r: &pb::Report) -> String {
    format!(
        "{}  {}  {:<18} {:<11} ticket {:<16} pending {:>3}  awarded {:>3}{}",
        r.id,
        time(&r.submitted_at),
        r.category_code,
        name(r.status().as_str_name(), "REPORT_STATUS_"),
        if r.ticket_number.is_empty() {
            "—"
        } else {
            &r.ticket_number
        },
        r.pending_points,
        r.awarded_points,
        if r.reversed_points > 0 {
            format!("  reversed {}", r.reversed_points)
        } else {
            String::new()
        }
    )
}

fn order_json(o: &pb::Order) -> Value {
    json!({
        "id": o.id, "resident": o.resident_id, "item": o.item_code, "quantity": o.quantity,
        "points": o.points, "state": name(o.state().as_str_name(), "ORDER_STATE_"),
        "pickup_code": o.pickup_code,
    })
}

/// Returns a resident's id from an id or a printable code.
async fn resident_id(client: &mut Points, resident: &str) -> anyhow::Result<String> {
    if resident.parse::<uuid::Uuid>().is_ok() {
        return Ok(resident.to_owned());
    }
    let found = client
        .get_resident(pb::GetResidentRequest {
            code: resident.to_owned(),
            ..Default::default()
        })
        .await?
        .into_inner()
        .resident
        .context("no resident in the answer")?;
    Ok(found.id)
}

impl PointsCommand {
    /// Runs the command and prints its answer.
    ///
    /// # Errors
    /// Bad arguments, or the service's status.
    pub async fn execute(self, client: &mut Points, output: Output) -> anyhow::Result<()> {
        let (value, text) = answer(client, self).await?;
        output.print(&value, || text);
        Ok(())
    }
}

/// Runs a points command; returns its answer as JSON and as text.
async fn answer(client: &mut Points, command: PointsCommand) -> anyhow::Result<(Value, String)> {
    let key = uuid::Uuid::now_v7().to_string();
    Ok(match command {
        PointsCommand::Register {
            name,
            phone,
            village,
            openid,
            household,
        } => {
            let r = client
                .register_resident(pb::RegisterResidentRequest {
                    idempotency_key: key,
                    at_workstation: openid.is_none(),
                    openid: openid.unwrap_or_default(),
                    name,
                    phone,
                    village_code: village,
                    household_id: household.unwrap_or_default(),
                })
                .await?
                .into_inner()
                .resident
                .context("no resident in the answer")?;
            let text = format!(
                "registered {} {} ({}) in {}{}\nresident id {}",
                r.name_masked,
                r.phone_masked,
                if r.code.is_empty() {
                    &r.openid
                } else {
                    &r.code
                },
                r.village_code,
                if r.code.is_empty() {
                    String::new()
                } else {
                    format!("; printable code {}", r.code)
                },
                r.id
            );
            (resident_json(&r), text)
        }
        PointsCommand::Household { village, label } => {
            let id = client
                .create_household(pb::CreateHouseholdRequest {
                    idempotency_key: key,
                    village_code: village,
                    label: label.clone(),
                })
                .await?
                .into_inner()
                .household_id;
            (
                json!({ "household_id": id }),
                format!("household {label}: {id}"),
            )
        }
        PointsCommand::Report {
            resident,
            category,
            severity,
            text,
            at,
            photo,
        } => {
            let (lat, lng) = lat_lng(&at).context("--at takes LAT,LNG")?;
            let photos = photo
                .iter()
                .map(|p| {
                    let mut parts = p.splitn(3, ':');
                    Some(pb::Photo {
                        sha256: parts.next()?.to_owned(),
                        content_type: parts.next()?.to_owned(),
                        size_bytes: parts.next()?.parse().ok()?,
                    })
                })
                .collect::<Option<Vec<_>>>()
                .context("--photo takes SHA256:TYPE:BYTES")?;
            let resident_id = resident_id(client, &resident).await?;
            let r = client
                .submit_report(pb::SubmitReportRequest {
                    idempotency_key: key,
                    resident_id,
                    category_code: category,
                    severity,
                    text,
                    photos,
                    location: Some(pb::LatLng { lat, lng }),
                })
                .await?
                .into_inner()
                .report
                .context("no report in the answer")?;
            let text = format!(
                "report {} {}: {} points pending verification; forwarded to dispatch as a villager ticket",
                r.id,
                name(r.status().as_str_name(), "REPORT_STATUS_"),
                r.pending_points
            );
            (report_json(&r), text)
        }
        PointsCommand::Contact { report, purpose } => {
            let c = client
                .get_reporter_contact(pb::GetReporterContactRequest {
                    report_id: report,
                    purpose,
                })
                .await?
                .into_inner();
            let text = format!("report {}: {} {}", c.report_id, c.name_masked, c.phone);
            (
                json!({ "report_id": c.report_id, "name_masked": c.name_masked, "phone": c.phone }),
                text,
            )
        }
        PointsCommand::Reports { resident } => {
            let resident_id = resident_id(client, &resident).await?;
            let reports = client
                .list_reports(pb::ListReportsRequest {
                    resident_id,
                    page_size: 100,
                    ..Default::default()
                })
                .await?
                .into_inner()
                .reports;
            let text = reports
                .iter()
                .map(report_line)
                .collect::<Vec<_>>()
                .join("\n");
            (
                Value::Array(reports.iter().map(report_json).collect()),
                text,
            )
        }
        PointsCommand::Balance { resident } => {
            let resident_id = resident_id(client, &resident).await?;
            let b = client
                .get_balance(pb::GetBalanceRequest { resident_id })
                .await?
                .into_inner();
            (
                json!({ "account": b.account_id, "kind": b.account_kind, "balance": b.balance, "pending": b.pending }),
                format!(
                    "balance {} points ({} account), {} pending verification",
                    b.balance,
                    b.account_kind.to_lowercase(),
                    b.pending
                ),
            )
        }
        PointsCommand::Statement { resident } => {
            let resident_id = resident_id(client, &resident).await?;
            let s = client
                .get_statement(pb::GetStatementRequest { resident_id })
                .await?
                .into_inner();
            let mut text: Vec<String> = s
                .entries
                .iter()
                .map(|e| {
                    format!(
                        "{}  {:<10} {:>+6}  = {:>6}  {}  ({})",
                        time(&e.at),
                        name(e.kind().as_str_name(), "ENTRY_KIND_"),
                        e.amount,
                        e.balance_after,
                        e.reason,
                        e.operator
                    )
                })
                .collect();
            text.push(format!("balance {}", s.balance));
            let entries: Vec<Value> = s
                .entries
                .iter()
                .map(|e| {
                    json!({
                        "key": e.key, "kind": name(e.kind().as_str_name(), "ENTRY_KIND_"),
                        "amount": e.amount, "balance_after": e.balance_after, "at": time(&e.at),
                        "reason": e.reason, "operator": e.operator,
                    })
                })
                .collect();
            (
                json!({ "account": s.account_id, "balance": s.balance, "entries": entries }),
                text.join("\n"),
            )
        }
        PointsCommand::Catalog {
            village,
            put: Some(code),
            name: item_name,
            kind,
            cost,
            stock,
            restock,
            offered_in,
        } => {
            let kind = pb::ItemKind::from(kind);
            let mut villages = offered_in;
            villages.extend(village);
            let item = client
                .put_catalog_item(pb::PutCatalogItemRequest {
                    idempotency_key: key,
                    item: Some(pb::CatalogItem {
                        code,
                        name: item_name,
                        kind: kind.into(),
                        cost,
                        stock,
                        village_codes: villages,
                        active: true,
                    }),
                    stock_change: restock,
                })
                .await?
                .into_inner()
                .item
                .context("no item in the answer")?;
            (
                json!({ "code": item.code, "cost": item.cost, "stock": item.stock }),
                format!(
                    "{} {}: {} points, {} in stock",
                    item.code, item.name, item.cost, item.stock
                ),
            )
        }
        PointsCommand::Catalog { village, .. } => {
            let items = client
                .list_catalog(pb::ListCatalogRequest {
                    village_code: village.unwrap_or_default(),
                })
                .await?
                .into_inner()
                .items;
            let text = items
                .iter()
                .map(|i| {
                    format!(
                        "{:<16} {:<20} {:<14} {:>5} points  {:>4} left",
                        i.code,
                        i.name,
                        name(i.kind().as_str_name(), "ITEM_KIND_"),
                        i.cost,
                        i.stock
                    )
                })
                .collect::<Vec<_>>()
                .join("\n");
            let value = items
                .iter()
                .map(|i| json!({ "code": i.code, "name": i.name, "cost": i.cost, "stock": i.stock, "villages": i.village_codes }))
                .collect();
            (Value::Array(value), text)
        }
        PointsCommand::Redeem {
            resident,
            item,
            quantity,
        } => {
            let resident_id = resident_id(client, &resident).await?;
            let r = client
                .redeem(pb::RedeemRequest {
                    idempotency_key: key,
                    resident_id,
                    item_code: item,
                    quantity,
                })
                .await?
                .into_inner();
            let o = r.order.context("no order in the answer")?;
            let text = format!(
                "order {}: {} × {} for {} points; pickup code {}; balance {}",
                o.id, o.item_code, o.quantity, o.points, o.pickup_code, r.balance
            );
            (order_json(&o), text)
        }
        PointsCommand::Fulfil { order, code } => {
            let o = client
                .fulfil_order(pb::FulfilOrderRequest {
                    idempotency_key: key,
                    order_id: order,
                    pickup_code: code,
                })
                .await?
                .into_inner()
                .order
                .context("no order in the answer")?;
            let text = format!("order {} handed over", o.id);
            (order_json(&o), text)
        }
        PointsCommand::Cancel { order, reason } => {
            let r = client
                .cancel_order(pb::CancelOrderRequest {
                    idempotency_key: key,
                    order_id: order,
                    reason,
                })
                .await?
                .into_inner();
            let o = r.order.context("no order in the answer")?;
            let text = format!(
                "order {} cancelled; {} points refunded; balance {}",
                o.id, o.points, r.balance
            );
            (order_json(&o), text)
        }
        PointsCommand::Leaderboard {
            village,
            from,
            to,
            limit,
        } => {
            let (from, to) = period(None, Some(&from), Some(&to))?;
            let stamp = platform::time::timestamp;
            let rows = client
                .get_leaderboard(pb::GetLeaderboardRequest {
                    village_code: village.unwrap_or_default(),
                    from: Some(stamp(from)),
                    to: Some(stamp(to)),
                    limit,
                })
                .await?
                .into_inner()
                .rows;
            let text = rows
                .iter()
                .map(|r| {
                    format!(
                        "{:>3}. {:<20} {:>6} points  {:>3} verified reports",
                        r.rank, r.name, r.points, r.verified_reports
                    )
                })
                .collect::<Vec<_>>()
                .join("\n");
            let value = rows
                .iter()
                .map(|r| json!({ "rank": r.rank, "id": r.id, "name": r.name, "points": r.points, "verified_reports": r.verified_reports }))
                .collect();
            (Value::Array(value), text)
        }
        PointsCommand::Rules {
            set: Some(category_code),
            base_points,
            inactive,
        } => {
            let rule = client
                .put_award_rule(pb::PutAwardRuleRequest {
                    idempotency_key: key,
                    rule: Some(pb::AwardRule {
                        category_code,
                        base_points,
                        active: !inactive,
                    }),
                })
                .await?
                .into_inner()
                .rule
                .context("no rule in the answer")?;
            (
                json!({ "category": rule.category_code, "base_points": rule.base_points, "active": rule.active }),
                format!(
                    "{}: {} points at severity 1{}",
                    rule.category_code,
                    rule.base_points,
                    if rule.active {
                        ""
                    } else {
                        " (takes no reports)"
                    }
                ),
            )
        }
        PointsCommand::Rules { set: None, .. } => {
            let rules = client
                .list_award_rules(pb::ListAwardRulesRequest {})
                .await?
                .into_inner()
                .rules;
            let text = rules
                .iter()
                .map(|r| {
                    format!(
                        "{:<20} {:>4} points{}",
                        r.category_code,
                        r.base_points,
                        if r.active { "" } else { "  (inactive)" }
                    )
                })
                .collect::<Vec<_>>()
                .join("\n");
            let value = rules
                .iter()
                .map(|r| json!({ "category": r.category_code, "base_points": r.base_points, "active": r.active }))
                .collect();
            (Value::Array(value), text)
        }
        PointsCommand::Adjust {
            resident,
            amount,
            reason,
        } => {
            let resident_id = resident_id(client, &resident).await?;
            let e = client
                .adjust_points(pb::AdjustPointsRequest {
                    idempotency_key: key,
                    resident_id,
                    amount,
                    reason,
                })
                .await?
                .into_inner()
                .entry
                .context("no entry in the answer")?;
            (
                json!({ "key": e.key, "amount": e.amount, "balance_after": e.balance_after }),
                format!("{:+} points; balance {}", e.amount, e.balance_after),
            )
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::{Command, assert_maps_by_name, parse};

    fn kind(line: &str) -> ItemKind {
        match parse(line).unwrap().command {
            Command::Points(PointsCommand::Catalog { kind, .. }) => kind,
            _ => panic!("{line} is not points catalog"),
        }
    }

    #[test]
    fn an_item_kind_takes_hyphens_or_underscores_and_defaults_to_daily_goods() {
        assert_eq!(
            kind("weigrid points catalog --put SOAP --cost 5"),
            ItemKind::DailyGoods
        );
        assert_eq!(
            kind("weigrid points catalog --put FERT --kind farm-supplies"),
            ItemKind::FarmSupplies
        );
        assert_eq!(
            kind("weigrid points catalog --put CUT --kind PUBLIC_SERVICE"),
            ItemKind::PublicService
        );
        assert!(parse("weigrid points catalog --put X --kind toys").is_err());
    }

    #[test]
    fn every_item_kind_maps_to_the_generated_kind_of_its_name() {
        assert_maps_by_name::<ItemKind>("ITEM_KIND_", |k| pb::ItemKind::from(k).as_str_name());
    }
}
