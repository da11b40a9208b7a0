//! The fault suite (see the crate's documentation). Each phase runs the
//! load with one fault injected while it runs, then counts; the table has
//! one row per phase.
//!
//! - `faults_short_form_…` (in `make test`): a few hundred operations,
//!   three faults: NATS killed and restarted, dispatch killed, the two
//!   exchange nodes partitioned and healed.
//! - `faults_full_size` (`make faults`): at least 10,000 operations over
//!   every fault. `WEIGRID_FAULTS_OPS` sets the total of either.
//!
//! The services' binaries must be built (`cargo build --bins`; `make test`
//! and `make faults` do).

mod count;
mod load;
mod partition;
mod pii;
mod postgres;
mod town;

use std::fmt::Write as _;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rand::RngExt as _;

use crate::count::Count;
use crate::load::Load;
use crate::town::{DUPLICATE_WINDOW, Service, Town};

/// One fault, injected while the load runs.
#[derive(Debug, Clone, Copy)]
enum Fault {
    /// NATS killed (SIGKILL) and started again a second later.
    NatsKilled,
    /// NATS away for three duplicate windows.
    NatsOutage,
    /// PostgreSQL restarted without a checkpoint.
    PostgresRestarted,
    /// A service killed (SIGKILL) twice at random moments, started again
    /// each time.
    Killed(Service),
    /// Langxia's and Xindai's exchange nodes cut off from each other for
    /// three of their request timeouts, then joined again.
    PeerPartitioned,
}

/// How long the exchange nodes stay partitioned: three of the request
/// timeouts the suite gives them.
const PARTITION: Duration = Duration::from_secs(6);

impl Fault {
    fn name(self) -> String {
        match self {
            Fault::NatsKilled => "kill -9 NATS, restart".into(),
            Fault::NatsOutage => format!(
                "NATS away {}s (> {}s dup window)",
                3 * DUPLICATE_WINDOW.as_secs(),
                DUPLICATE_WINDOW.as_secs()
            ),
            Fault::PostgresRestarted => "PostgreSQL restart -m immediate".into(),
            Fault::Killed(service) => format!("kill -9 {} (twice)", service.name()),
            Fault::PeerPartitioned => {
                format!("exchange peers partitioned {}s", PARTITION.as_secs())
            }
        }
    }
}

/// Waits a random moment of `window`.
async fn random_moment(window: (Duration, Duration)) {
    let ms = rand::rng().random_range(window.0.as_millis()..=window.1.as_millis());
    tokio::time::sleep(Duration::from_millis(u64::try_from(ms).unwrap_or(1000))).await;
}

/// Injects `fault` at a random moment of `window` after the load started,
/// and waits until the town serves again.
async fn inject(town: &mut Town, fault: Fault, window: (Duration, Duration)) {
    random_moment(window).await;
    match fault {
        Fault::NatsKilled => {
            town.nats.stop();
            tokio::time::sleep(Duration::from_secs(1)).await;
            town.nats.resume().await;
        }
        Fault::NatsOutage => {
            town.nats.stop();
            tokio::time::sleep(3 * DUPLICATE_WINDOW).await;
            town.nats.resume().await;
        }
        Fault::PostgresRestarted => {
            town.postgres
                .restart_immediate()
                .expect("PostgreSQL restarts");
        }
        Fault::Killed(service) => {
            town.kill(service);
            town.resume(service).await;
            random_moment(window).await;
            town.kill(service);
            town.resume(service).await;
        }
        Fault::PeerPartitioned => {
            town.partition();
            tokio::time::sleep(PARTITION).await;
            town.heal();
        }
    }
    assert!(
        town.wait_serving(Duration::from_secs(60)).await,
        "the town serves again within a minute of {fault:?}"
    );
}

/// One row of the table.
struct Row {
    fault: String,
    operations: usize,
    count: Count,
    time: Duration,
}

/// Runs the load of `operations` with `fault` injected, and counts.
async fn phase(
    town: &mut Town,
    tag: &str,
    fault: Fault,
    operations: usize,
    residents: &[String],
    window: (Duration, Duration),
) -> Row {
    let started = Instant::now();
    let (aside_before, _) = count::set_aside(town).await;
    let load = Load::new(town, tag, operations, residents.to_vec());
    let running = tokio::spawn({
        let load = Arc::clone(&load);
        async move { load.run(12).await }
    });
    inject(town, fault, window).await;
    running.await.expect("the load runs to its end");
    let seen = load.seen.lock().await;
    let mut count = count::count(town, &seen).await;
    let (aside, some) = count::set_aside(town).await;
    count.set_aside = usize::try_from(aside - aside_before).unwrap_or(usize::MAX);
    if count.set_aside > 0 {
        count.notes.extend(some);
    }
    println!(
        "{tag}: {} — {} tickets ({} referred), {} reports ({} verified), {} analytic events, \
         {} cross-border cases, {} retries",
        fault.name(),
        seen.tickets.len(),
        seen.referred.len(),
        seen.reports.len(),
        seen.verified.len(),
        seen.events.len(),
        seen.cases.len(),
        seen.retries
    );
    Row {
        fault: fault.name(),
        operations,
        count,
        time: started.elapsed(),
    }
}

/// Returns the table of `rows`, with the notes under it.
fn table(rows: &[Row]) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "| {:<36} | {:>6} | {:>4} | {:>5} | {:>9} | {:>9} | {:>9} | {:>6} |",
        "fault", "N", "lost", "twice", "ledger ok", "bad codes", "set aside", "time"
    );
    let _ = writeln!(
        out,
        "|{:-<38}|{:->8}|{:->6}|{:->7}|{:->11}|{:->11}|{:->11}|{:->8}|",
        "", "", "", "", "", "", "", ""
    );
    for row in rows {
        let _ = writeln!(
            out,
            "| {:<36} | {:>6} | {:>4} | {:>5} | {:>9} | {:>9} | {:>9} | {:>5}s |",
            row.fault,
            row.operations,
            row.count.lost,
            row.count.twice,
            if row.count.ledger_ok { "yes" } else { "NO" },
            row.count.bad_codes,
            row.count.set_aside,
            row.time.as_secs()
        );
    }
    let total: usize = rows.iter().map(|r| r.operations).sum();
    let _ = writeln!(out, "total operations: {total}");
    for row in rows {
        for note in &row.count.notes {
            let _ = writeln!(out, "  {}: {note}", row.fault);
        }
    }
    out
}

/// Runs every fault in `faults` with `total` operations spread over them,
/// prints the table, and fails on anything lost, applied twice, an
/// unbalanced ledger, a bad code or an event set aside.
async fn suite(total: usize, faults: &[Fault], window: (Duration, Duration)) {
    let total = std::env::var("WEIGRID_FAULTS_OPS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(total);
    let mut town = Town::start().await.expect("the town starts");
    for (stream, window) in town
        .duplicate_windows()
        .await
        .expect("the streams are there")
    {
        println!("stream {stream}: duplicate window {window:?} (production: 10 min)");
    }
    let residents = load::residents(&town, 40).await;
    let per_fault = total.div_ceil(faults.len());
    let mut rows = Vec::new();
    for (i, fault) in faults.iter().enumerate() {
        let row = phase(
            &mut town,
            &format!("p{}", i + 1),
            *fault,
            per_fault,
            &residents,
            window,
        )
        .await;
        rows.push(row);
    }
    let mut printed = table(&rows);
    let sweep = pii::sweep(&town, &town.logs).await;
    let _ = writeln!(
        printed,
        "personal data sweep: {} outbox rows, {} stream messages, {} log lines searched; {} hits",
        sweep.searched[0],
        sweep.searched[1],
        sweep.searched[2],
        sweep.hits.len()
    );
    for hit in &sweep.hits {
        let _ = writeln!(printed, "  {hit}");
    }
    let _ = writeln!(
        printed,
        "bus: {} events marked published and in no stream; {} held twice under one event id",
        sweep.missing_on_bus, sweep.twice_on_bus
    );
    println!("{printed}");
    let dir = postgres::target_dir().join("faults");
    let _ = std::fs::write(dir.join("table.txt"), &printed);
    assert!(
        sweep.hits.is_empty(),
        "personal data where it must not be\n{printed}"
    );
    assert_eq!(sweep.missing_on_bus, 0, "events lost on the bus\n{printed}");
    for row in &rows {
        assert!(
            row.count.lost == 0
                && row.count.twice == 0
                && row.count.ledger_ok
                && row.count.bad_codes == 0
                && row.count.set_aside == 0,
            "{}: {:?}\n{printed}",
            row.fault,
            row.count
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn faults_short_form_nats_and_dispatch_killed_and_peers_partitioned_under_load_lose_nothing_and_apply_nothing_twice()
 {
    suite(
        300,
        &[
            Fault::NatsKilled,
            Fault::Killed(Service::Dispatch),
            Fault::PeerPartitioned,
        ],
        (Duration::from_millis(300), Duration::from_millis(1200)),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "the full-size suite, minutes long: make faults"]
async fn faults_full_size() {
    suite(
        10_000,
        &[
            Fault::NatsKilled,
            Fault::NatsOutage,
            Fault::PostgresRestarted,
            Fault::Killed(Service::Dispatch),
            Fault::Killed(Service::Points),
            Fault::Killed(Service::Registry),
            Fault::Killed(Service::Video),
            Fault::Killed(Service::Review),
            Fault::Killed(Service::Exchange),
            Fault::PeerPartitioned,
        ],
        (Duration::from_millis(1000), Duration::from_millis(4000)),
    )
    .await;
}
