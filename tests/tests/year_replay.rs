//! The year replay (`make replay`): the same plan with supervision and
//! without it, each report checked against the DISPATCH stream's own count
//! of the events dispatch published, and supervision shown to add what the
//! town expects of it.

use weigrid_simulate::year::{self, Options, Year};

const RECEIVED: &str = "dispatch.ticket.received";
const CLOSED: &str = "dispatch.ticket.closed";
const WARNINGS: &str = "dispatch.ticket.deadline_warning";
const BREACHES: &str = "dispatch.ticket.deadline_breached";
const ESCALATED: &str = "dispatch.ticket.escalated";

async fn replay(supervision: bool) -> Year {
    let admin = std::env::var("DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    year::replay(
        Options {
            scale: 0.1,
            year: 2026,
            villager_reports: 300,
            seed: 2022,
            supervision,
            keep: false,
        },
        &admin,
    )
    .await
    .expect("the year replays")
}

/// Asserts that the report's counts are the stream's.
fn assert_report_matches_stream(year: &Year) {
    let total = year.stats.total.clone().expect("a total");
    let run = if year.options.supervision {
        "supervised"
    } else {
        "unsupervised"
    };
    assert!(year.tickets > 0, "{run}: the plan has tickets");
    assert_eq!(
        year.events(RECEIVED),
        year.tickets as u64,
        "{run}: one received event per ticket replayed"
    );
    assert_eq!(
        u64::from(total.received),
        year.events(RECEIVED),
        "{run}: the report's received tickets are the stream's"
    );
    assert_eq!(
        u64::from(total.closed),
        year.events(CLOSED),
        "{run}: the report's closed tickets are the stream's"
    );
    assert_eq!(
        u64::from(total.escalations),
        year.events(ESCALATED),
        "{run}: the report's escalations are the stream's"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn year_replay_with_and_without_supervision_matches_the_dispatch_stream_and_supervision_keeps_more_on_time()
 {
    let supervised = replay(true).await;
    let unsupervised = replay(false).await;
    assert_report_matches_stream(&supervised);
    assert_report_matches_stream(&unsupervised);
    assert_eq!(
        supervised.tickets, unsupervised.tickets,
        "both runs replay the same plan"
    );

    // Without supervision nobody is warned and nothing climbs the chain;
    // breaches are still recorded.
    assert_eq!(unsupervised.events(WARNINGS), 0, "no warnings unsupervised");
    assert_eq!(
        unsupervised.events(ESCALATED),
        0,
        "no escalations unsupervised"
    );
    assert!(
        unsupervised.events(BREACHES) > 0,
        "the plan has late tickets, recorded as breaches"
    );
    assert_eq!(unsupervised.prompted, 0);

    // With it, warnings go out, handlers act on them, and fewer legs run
    // late.
    assert!(supervised.events(WARNINGS) > 0, "supervision warns");
    assert!(supervised.prompted > 0, "warned handlers act sooner");
    assert!(
        supervised.events(BREACHES) < unsupervised.events(BREACHES),
        "supervision leaves fewer breaches: {} against {}",
        supervised.events(BREACHES),
        unsupervised.events(BREACHES)
    );
    let on_time = |y: &Year| y.stats.total.clone().unwrap_or_default().on_time_rate;
    assert!(
        on_time(&supervised) > on_time(&unsupervised),
        "supervision keeps more tickets on time: {:.3} against {:.3}",
        on_time(&supervised),
        on_time(&unsupervised)
    );
}
