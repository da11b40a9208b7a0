//! Following the reports' tickets: dispatch's `dispatch.ticket.*` events,
//! through the inbox. A report's ticket is the VILLAGER_APP ticket whose
//! channel reference is the report's id. Verification posts the award, once
//! (`award:<report>`); reopening as REPORT_UNTRUE reverses it with a
//! compensating entry (`reverse:<report>`).

use chrono::{DateTime, Datelike, Utc};
use platform::inbox::{ReceivedEvent, TxnEventHandler};
use prost::Message as _;
use proto::dispatch::v1 as dispatch;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::api::convert::from_timestamp;
use crate::config::CapsConfig;
use crate::domain::ledger::EntryKind;
use crate::domain::rules::{Awarded, capped};
use crate::repository::ledger::{self, NewEntry, PostError, Posted};
use crate::repository::reports::{self, PENDING, ReportRow};
use crate::repository::residents;

/// Who posts awards and reversals.
pub const ACTOR: &str = "points";

/// Applies dispatch's ticket events to the reports they concern.
#[derive(Clone)]
pub struct TicketEvents {
    pub caps: CapsConfig,
}

impl TxnEventHandler for TicketEvents {
    async fn handle(&self, txn: &mut PgConnection, event: &ReceivedEvent) -> anyhow::Result<()> {
        let Some(step) = event.subject.strip_prefix("dispatch.ticket.") else {
            return Ok(());
        };
        if matches!(step, "deadline_warning" | "deadline_breached" | "escalated") {
            return Ok(());
        }
        let message = dispatch::TicketEvent::decode(event.payload.as_ref())?;
        let Some(ticket) = message.ticket else {
            return Ok(());
        };
        if ticket.channel() != dispatch::Channel::VillagerApp {
            return Ok(());
        }
        let Ok(report_id) = ticket.external_ref.parse::<Uuid>() else {
            return Ok(());
        };
        let Some(mut report) = reports::by_id(txn, report_id, true).await? else {
            // Another villager front's ticket, not one of ours.
            return Ok(());
        };
        let at = message
            .meta
            .as_ref()
            .and_then(|m| m.occurred_at.as_ref())
            .and_then(from_timestamp)
            .unwrap_or_else(Utc::now);
        report.ticket_id = ticket.id.parse().ok();
        report.ticket_number = Some(ticket.number.clone());
        report.updated_at = at;
        match step {
            // Dispatch linked it to an open ticket of the same problem.
            "received"
                if !ticket.duplicate_of.is_empty() && PENDING.contains(&report.status.as_str()) =>
            {
                report.status = "DUPLICATE".into();
                report.duplicate_of = Some(ticket.duplicate_of.clone());
                report.pending_points = 0;
            }
            "received" => advance(&mut report, "FORWARDED"),
            "dispatched" | "accepted" | "started" | "returned" | "resolved" => {
                advance(&mut report, "IN_HANDLING")
            }
            "verified" => self.award(txn, &mut report, at).await?,
            "reopened" => {
                let cause = message
                    .transition
                    .as_ref()
                    .map(|t| t.reopen_cause())
                    .unwrap_or_default();
                if cause == dispatch::ReopenCause::ReportUntrue {
                    reverse(txn, &mut report, at).await?;
                } else {
                    advance(&mut report, "IN_HANDLING");
                }
            }
            "closed" if report.status == "VERIFIED" => report.status = "CLOSED".into(),
            _ => {}
        }
        reports::update(txn, &report).await?;
        Ok(())
    }
}

/// Moves a report whose points are still to come forward to `status`.
fn advance(report: &mut ReportRow, status: &str) {
    let order = |s: &str| PENDING.iter().position(|p| *p == s);
    if let (Some(now), Some(next)) = (order(&report.status), order(status))
        && next > now
    {
        report.status = status.to_owned();
    }
}

impl TicketEvents {
    /// Posts a verified report's points within the caps, once.
    async fn award(
        &self,
        txn: &mut PgConnection,
        report: &mut ReportRow,
        at: DateTime<Utc>,
    ) -> Result<(), PostError> {
        if !PENDING.contains(&report.status.as_str()) {
            // A duplicate, one found untrue, or one awarded already (a
            // ticket verified again after a reopening).
            return Ok(());
        }
        // Awards to one resident are capped one at a time.
        residents::lock(txn, report.resident_id).await?;
        let (today, this_month) =
            reports::awarded_around(txn, report.resident_id, report.local_day, report.report_id)
                .await?;
        let points = capped(
            report.pending_points.max(0) as u32,
            Awarded {
                today: today.max(0) as u32,
                this_month: this_month.max(0) as u32,
            },
            self.caps.caps(),
        );
        if points > 0 {
            let posted = post_and_settle(
                txn,
                &NewEntry {
                    key: format!("award:{}", report.report_id),
                    account_id: report.account_id,
                    kind: EntryKind::Award,
                    amount: i64::from(points),
                    at,
                    resident_id: Some(report.resident_id),
                    report_id: Some(report.report_id),
                    order_id: None,
                    reason: Some(format!(
                        "{} report verified, severity {}",
                        report.category_code, report.severity
                    )),
                    operator: operator_of(report),
                },
            )
            .await?;
            report.awarded_points = posted.entry().amount as i32;
        } else {
            tracing::info!(report = %report.report_id, day = %report.local_day, month = report.local_day.month(), "report verified; the resident's cap is reached");
        }
        report.status = "VERIFIED".into();
        report.pending_points = 0;
        Ok(())
    }
}

/// Marks a report found untrue and takes back what it earned, as far as
/// the balance allows: the ledger never goes negative, so points already
/// spent stay owed and are taken from the account's next credits
/// ([`post_and_settle`]).
async fn reverse(
    txn: &mut PgConnection,
    report: &mut ReportRow,
    at: DateTime<Utc>,
) -> Result<(), PostError> {
    report.status = "REJECTED".into();
    report.pending_points = 0;
    recover(txn, report, at).await
}

/// Takes back as much of an untrue report's award as the balance holds.
/// The first reversal's key is `reverse:<report>`; one taken later from a
/// new credit is `reverse:<report>@<points reversed before it>`, so each is
/// posted once.
async fn recover(
    txn: &mut PgConnection,
    report: &mut ReportRow,
    at: DateTime<Utc>,
) -> Result<(), PostError> {
    let owed = i64::from(report.awarded_points - report.reversed_points);
    if owed <= 0 {
        return Ok(());
    }
    let balance = ledger::lock(txn, report.account_id).await?.unwrap_or(0);
    let amount = owed.min(balance);
    if amount > 0 {
        let key = match report.reversed_points {
            0 => format!("reverse:{}", report.report_id),
            before => format!("reverse:{}@{before}", report.report_id),
        };
        let posted = ledger::post(
            txn,
            &NewEntry {
                key,
                account_id: report.account_id,
                kind: EntryKind::Reversal,
                amount: -amount,
                at,
                resident_id: Some(report.resident_id),
                report_id: Some(report.report_id),
                order_id: None,
                reason: Some("the report proved untrue".into()),
                operator: operator_of(report),
            },
        )
        .await?;
        if let Posted::New(entry) = posted {
            report.reversed_points += (-entry.amount) as i32;
        }
    }
    if amount < owed {
        tracing::warn!(report = %report.report_id, owed, reversed = amount, "award partly reversed: the rest was spent and is taken from the next credits");
    }
    Ok(())
}

/// Posts `entry` (see [`ledger::post`]); a new credit then pays what
/// untrue reports of the account still owe, oldest first, in the same
/// transaction. Awards, refunds and adjustments are posted this way.
///
/// # Errors
/// As [`ledger::post`].
pub async fn post_and_settle(
    txn: &mut PgConnection,
    entry: &NewEntry,
) -> Result<Posted, PostError> {
    let posted = ledger::post(txn, entry).await?;
    if matches!(posted, Posted::New(_)) && entry.amount > 0 {
        for mut report in reports::owing(txn, entry.account_id).await? {
            recover(txn, &mut report, entry.at).await?;
            report.updated_at = entry.at;
            reports::update(txn, &report).await?;
        }
    }
    Ok(posted)
}

/// Returns who an award or reversal is recorded against: the workstation
/// operator who filed the report, else the service itself.
fn operator_of(report: &ReportRow) -> String {
    report.operator.clone().unwrap_or_else(|| ACTOR.into())
}
