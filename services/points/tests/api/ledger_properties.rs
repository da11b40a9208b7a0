//! Properties of the ledger over any sequence of postings: awards,
//! reversals, redemptions, refunds, adjustments, replays of an earlier key
//! and year-end expiries, each through the service's own posting code
//! (`application::ledger`) in its own unit of work against PostgreSQL.
//! After every step the account's balance is the sum of its entries, never
//! below zero, equal to the last entry's running balance and to what a
//! model of the rules expects; a refused posting and a replayed key change
//! nothing.

use std::collections::HashSet;

use chrono::{DateTime, TimeZone, Utc};
use platform::error::AppError;
use platform::testing::{ScratchDatabase, eventually};
use points::application::Context;
use points::application::Policy;
use points::application::ledger::{self, Posted};
use points::domain::ids::{AccountId, OrderId, ReportId, ResidentId};
use points::domain::ledger::{EntryKind, Posting};
use points::testing::TestPoints;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use sqlx::PgPool;
use uuid::Uuid;

/// One step of a case.
#[derive(Debug, Clone)]
enum Step {
    /// A verified report's award.
    Award { points: i64, day: u32 },
    /// An untrue report's award taken back in full (refused when spent).
    Reverse { which: usize, day: u32 },
    /// An order's redemption (refused beyond the balance).
    Redeem { points: i64, day: u32 },
    /// A cancelled order's refund.
    Refund { which: usize, day: u32 },
    /// The town's correction, either way.
    Adjust { amount: i64, day: u32 },
    /// An earlier step's posting sent again under its key.
    Replay { which: usize },
    /// The year end's expiry, as the worker runs it.
    Expire { year: i32 },
}

/// Days from 1 June 2021 to February 2026: entries old enough to lapse at
/// the year ends 2023–2025 (24 months) and recent ones.
const DAYS: u32 = 1700;

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        4 => (1i64..=50, 0..DAYS).prop_map(|(points, day)| Step::Award { points, day }),
        2 => (any::<usize>(), 0..DAYS).prop_map(|(which, day)| Step::Reverse { which, day }),
        3 => (1i64..=60, 0..DAYS).prop_map(|(points, day)| Step::Redeem { points, day }),
        1 => (any::<usize>(), 0..DAYS).prop_map(|(which, day)| Step::Refund { which, day }),
        1 => ((-30i64..=30).prop_filter("not zero", |a| *a != 0), 0..DAYS)
            .prop_map(|(amount, day)| Step::Adjust { amount, day }),
        2 => any::<usize>().prop_map(|which| Step::Replay { which }),
        1 => (2023i32..=2025).prop_map(|year| Step::Expire { year }),
    ]
}

fn on(day: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2021, 6, 1, 2, 0, 0).unwrap() + chrono::Duration::days(i64::from(day))
}

/// What the case knows of one account.
struct Model {
    account: AccountId,
    balance: i64,
    /// Postings that were taken, to replay, reverse or refund.
    posted: Vec<Posting>,
    reversed: HashSet<String>,
    refunded: HashSet<String>,
    expired: HashSet<i32>,
}

impl Model {
    fn posting(&self, key: String, kind: EntryKind, amount: i64, day: u32) -> Posting {
        Posting {
            key,
            account: self.account,
            kind,
            amount,
            at: on(day),
            resident: Some(ResidentId(self.account.0)),
            report: None,
            order: None,
            reason: Some("property".into()),
            operator: "ledger-properties".into(),
        }
    }

    /// Picks the `which`th of the postings of `kind` not yet in `done`.
    fn pick(&self, which: usize, kind: EntryKind, done: &HashSet<String>) -> Option<Posting> {
        let open: Vec<&Posting> = self
            .posted
            .iter()
            .filter(|p| p.kind == kind && !done.contains(&p.key))
            .collect();
        (!open.is_empty()).then(|| open[which % open.len()].clone())
    }
}

/// The account as stored: its balance, the sum of its entries, the last
/// entry's running balance, and how many entries it has.
async fn stored(pool: &PgPool, account: AccountId) -> (i64, i64, Option<i64>, i64) {
    sqlx::query_as(
        "SELECT a.balance,
                COALESCE((SELECT SUM(amount) FROM ledger_entries e WHERE e.account_id = a.account_id), 0)::bigint,
                (SELECT balance_after FROM ledger_entries e WHERE e.account_id = a.account_id
                 ORDER BY seq DESC LIMIT 1),
                (SELECT count(*) FROM ledger_entries e WHERE e.account_id = a.account_id)
         FROM accounts a WHERE a.account_id = $1",
    )
    .bind(account.0)
    .fetch_one(pool)
    .await
    .expect("the account is there")
}

/// Posts `posting` in a unit of work of its own, through the service's
/// posting code (awards, refunds and credits settle what is owed).
async fn post(ctx: &Context, posting: Posting) -> Result<Posted, AppError> {
    let mut work = ctx.units.begin_job().await?;
    let posted = if posting.amount > 0 {
        ledger::post_and_settle(&mut work, posting).await?
    } else {
        ledger::post(&mut work, posting).await?
    };
    work.commit(()).await?;
    Ok(posted)
}

/// Runs one case's steps on a fresh account; fails at the first step that
/// breaks a property.
async fn run_case(
    test: &TestPoints,
    ctx: &Context,
    phone: u64,
    steps: Vec<Step>,
) -> Result<(), TestCaseError> {
    let resident = test.register("测试村民", &format!("139{phone:08}")).await;
    let account = AccountId(resident.id.parse().expect("a resident id is a UUID"));
    let mut model = Model {
        account,
        balance: 0,
        posted: Vec::new(),
        reversed: HashSet::new(),
        refunded: HashSet::new(),
        expired: HashSet::new(),
    };
    for step in steps {
        let (_, _, _, entries_before) = stored(&test.pool, account).await;
        let before = model.balance;
        // The posting the step makes, and whether the model takes it.
        let attempt = match &step {
            Step::Award { points, day } => {
                let report = Uuid::now_v7();
                let mut p =
                    model.posting(format!("award:{report}"), EntryKind::Award, *points, *day);
                p.report = Some(ReportId(report));
                Some(p)
            }
            Step::Reverse { which, day } => model
                .pick(*which, EntryKind::Award, &model.reversed)
                .map(|award| {
                    let mut p = model.posting(
                        format!("reverse:{}", award.report.expect("an award's report")),
                        EntryKind::Reversal,
                        -award.amount,
                        *day,
                    );
                    p.report = award.report;
                    p
                }),
            Step::Redeem { points, day } => {
                let order = Uuid::now_v7();
                let mut p = model.posting(
                    format!("redeem:{order}"),
                    EntryKind::Redemption,
                    -points,
                    *day,
                );
                p.order = Some(OrderId(order));
                Some(p)
            }
            Step::Refund { which, day } => model
                .pick(*which, EntryKind::Redemption, &model.refunded)
                .map(|redemption| {
                    let mut p = model.posting(
                        format!("refund:{}", redemption.order.expect("a redemption's order")),
                        EntryKind::Refund,
                        -redemption.amount,
                        *day,
                    );
                    p.order = redemption.order;
                    p
                }),
            Step::Adjust { amount, day } => Some(model.posting(
                format!("adjust:ledger-properties:{}", Uuid::now_v7()),
                EntryKind::Adjustment,
                *amount,
                *day,
            )),
            Step::Replay { which } => {
                (!model.posted.is_empty()).then(|| model.posted[which % model.posted.len()].clone())
            }
            Step::Expire { year } => {
                ledger::expire(ctx, *year, "ledger-properties", |_| ())
                    .await
                    .map_err(|e| TestCaseError::fail(format!("expiry of {year} failed: {e}")))?;
                None
            }
        };
        if let Some(posting) = attempt {
            let replay = matches!(step, Step::Replay { .. });
            let fits = posting.amount > 0 || before + posting.amount >= 0;
            match post(ctx, posting.clone()).await {
                Ok(Posted::Already(_)) => {
                    prop_assert!(replay, "{step:?}: a fresh key was taken as posted before")
                }
                Ok(Posted::New(entry)) => {
                    prop_assert!(!replay, "{step:?}: a replayed key was posted again");
                    prop_assert!(fits, "{step:?}: a debit beyond {before} was taken");
                    prop_assert_eq!(entry.balance_after, before + posting.amount);
                    model.balance += posting.amount;
                    match posting.kind {
                        EntryKind::Reversal => {
                            model.reversed.insert(format!(
                                "award:{}",
                                posting.report.expect("a reversal's report")
                            ));
                        }
                        EntryKind::Refund => {
                            model.refunded.insert(format!(
                                "redeem:{}",
                                posting.order.expect("a refund's order")
                            ));
                        }
                        _ => {}
                    }
                    model.posted.push(posting);
                }
                Err(AppError::FailedPrecondition(_)) if !fits && !replay => {}
                Err(err) => {
                    return Err(TestCaseError::fail(format!("{step:?}: refused: {err}")));
                }
            }
        }
        let (balance, sum, last, entries) = stored(&test.pool, account).await;
        prop_assert_eq!(
            balance,
            sum,
            "{:?}: the balance is the sum of the entries",
            step
        );
        prop_assert!(balance >= 0, "{step:?}: the balance went below zero");
        prop_assert_eq!(last.unwrap_or(0), balance, "{:?}: running balance", step);
        if let Step::Expire { year } = step {
            // An expiry only takes points away, in one entry, and an
            // account lapses once a year however often the year runs.
            prop_assert!(balance <= before, "{step:?}: an expiry added points");
            if entries > entries_before {
                prop_assert!(model.expired.insert(year), "{step:?}: a second lapse");
                prop_assert_eq!(entries, entries_before + 1, "{:?}: one entry", step);
            } else {
                prop_assert_eq!(balance, before, "{:?}: a change without an entry", step);
            }
            model.balance = balance;
        }
        prop_assert_eq!(balance, model.balance, "{:?}: the model's balance", step);
    }
    Ok(())
}

#[test]
fn points_ledger_any_sequence_of_postings_keeps_the_balance_the_sum_of_its_entries_and_never_negative()
 {
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    let (db, test) = runtime.block_on(async {
        let db = ScratchDatabase::create("ledger_props").await;
        let test = TestPoints::spawn(db.pool.clone()).await;
        // The worker's own run of last year's expiry is over before the
        // cases start, so that only the cases' steps move their accounts.
        let ctx = Context {
            units: test.units(),
            policy: Policy::of(&test.config),
        };
        eventually(
            std::time::Duration::from_secs(30),
            "the expiry worker's first run",
            || {
                let ctx = ctx.clone();
                async move { ledger::expiry_has_run(&ctx, 2025).await.ok()?.then_some(()) }
            },
        )
        .await;
        (db, test)
    });
    let ctx = Context {
        units: test.units(),
        policy: Policy::of(&test.config),
    };
    // 48 cases of up to 30 steps: a few seconds against PostgreSQL.
    let mut runner = TestRunner::new(Config {
        cases: 48,
        failure_persistence: None,
        ..Config::default()
    });
    // Each case registers a resident of its own, with a phone of its own.
    let phone = std::cell::Cell::new(0u64);
    let outcome = runner.run(&prop::collection::vec(step(), 1..30), |steps| {
        phone.set(phone.get() + 1);
        runtime.block_on(run_case(&test, &ctx, phone.get(), steps))
    });
    runtime.block_on(async {
        test.cleanup().await;
        db.drop_database().await;
    });
    if let Err(failure) = outcome {
        panic!("{failure}");
    }
}
