//! A registry that is away or silent: dispatch locks no ticket and claims
//! no call's key while it waits for the registry, and says UNAVAILABLE.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use platform::auth::Role;
use platform::outbox::RelayWaker;
use platform::testing::eventually;
use platform::uow::Units;
use proto::dispatch::v1 as pb;
use sqlx::PgPool;
use tokio::task::JoinHandle;
use tonic::Code;
use uuid::Uuid;

use crate::intake::{hotline, patrol};
use ticket_dispatch::application::{Context, Policy, Rules};
use ticket_dispatch::domain::deadline::DeadlineRules;
use ticket_dispatch::registry::Registry;
use ticket_dispatch::testing::*;
use ticket_dispatch::workers;

/// A registry that accepts connections and never answers: every call waits
/// out the client's request timeout (1 s in the test configuration).
struct SilentRegistry {
    accepted: Arc<AtomicUsize>,
    task: JoinHandle<()>,
}

impl SilentRegistry {
    async fn bind(port: u16) -> Self {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
            .await
            .expect("the registry's port is free");
        let accepted = Arc::new(AtomicUsize::new(0));
        let counted = accepted.clone();
        let task = tokio::spawn(async move {
            let mut held = Vec::new();
            while let Ok((socket, _)) = listener.accept().await {
                counted.fetch_add(1, Ordering::SeqCst);
                held.push(socket);
            }
        });
        Self { accepted, task }
    }

    fn accepted(&self) -> usize {
        self.accepted.load(Ordering::SeqCst)
    }
}

impl Drop for SilentRegistry {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Returns whether another transaction can lock ticket `id` at once.
async fn lockable(pool: &PgPool, id: &str) -> bool {
    let id: Uuid = id.parse().expect("a ticket id is a UUID");
    let mut txn = pool.begin().await.unwrap();
    let locked = sqlx::query("SELECT 1 FROM tickets WHERE ticket_id = $1 FOR UPDATE NOWAIT")
        .bind(id)
        .execute(&mut *txn)
        .await;
    txn.rollback().await.unwrap();
    match locked {
        Ok(_) => true,
        Err(sqlx::Error::Database(e)) if e.code().as_deref() == Some("55P03") => false,
        Err(e) => panic!("locking the ticket failed: {e}"),
    }
}

/// Returns a use-case context of `test`'s dispatch over `pool`, with its
/// own registry client.
fn context(test: &TestDispatch, pool: &PgPool) -> Context {
    let token = platform::testing::token("ticket-dispatch", Role::Service, None);
    Context {
        units: Units::new(
            pool.clone(),
            Arc::new(test.clock.clone()),
            RelayWaker::default(),
        ),
        registry: Registry::new(&test.config.clients.registry, &token).unwrap(),
        rules: Rules::new(
            DeadlineRules {
                calendar: Default::default(),
                warning_fractions: test.config.deadlines.fractions(),
                ..Default::default()
            },
            0,
        ),
        policy: Policy {
            limits: test.config.deadlines.channel_limits(),
            assessment: test.config.assessment,
            duplicates: test.config.duplicates,
        },
    }
}

#[sqlx::test(migrations = false)]
async fn the_router_holds_no_ticket_locked_while_the_registry_is_silent(pool: PgPool) {
    let port = free_port();
    let silent = SilentRegistry::bind(port).await;
    let test = TestDispatch::spawn_without_registry(pool.clone(), port).await;
    let desk = test.at_desk().await;
    let hazard = desk.create_ticket(patrol("silent-1", 30.07, 121.02)).await;
    assert!(hazard.unrouted, "the silent registry placed nothing");

    let ctx = context(&test, &pool);
    let asked_before = silent.accepted();
    let router = tokio::spawn(async move { workers::route_unrouted(&ctx).await });
    eventually(
        Duration::from_secs(5),
        "the router to ask the registry",
        || async { (silent.accepted() > asked_before).then_some(()) },
    )
    .await;
    for _ in 0..5 {
        assert!(
            !router.is_finished(),
            "the router still waits for the registry"
        );
        assert!(
            lockable(&pool, &hazard.id).await,
            "no ticket is locked while the registry is asked"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let outcome = router.await.unwrap();
    assert!(
        matches!(outcome, Err(platform::error::AppError::Unavailable(_))),
        "{outcome:?}"
    );
    let waiting = desk.ticket(&hazard.id).await;
    assert!(waiting.unrouted, "nothing of the round is kept");
    test.cleanup().await;
}

#[sqlx::test(migrations = false)]
async fn a_dispatch_while_the_registry_is_silent_is_unavailable_and_locks_and_claims_nothing(
    pool: PgPool,
) {
    let port = free_port();
    let silent = SilentRegistry::bind(port).await;
    let test = TestDispatch::spawn_without_registry(pool.clone(), port).await;
    let desk = test.at_desk().await;
    let order = desk.create_ticket(hotline("12345-2026-0000777")).await;
    assert_eq!(order.state(), pb::TicketState::Received);

    assert!(
        silent.accepted() > 0,
        "dispatch talks to the silent registry"
    );
    let request = pb::DispatchTicketRequest {
        idempotency_key: "dispatch-silent-1".into(),
        ..on(&order)
    };
    let mover = desk.clone();
    let started = std::time::Instant::now();
    let dispatching = tokio::spawn(async move { mover.try_move(request).await });
    // The registry call waits out its 1 s timeout; the reads before it
    // take milliseconds.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        !dispatching.is_finished(),
        "the dispatch waits for the registry"
    );
    assert!(
        lockable(&pool, &order.id).await,
        "the ticket is not locked while the registry is asked"
    );
    let refused = dispatching.await.unwrap().unwrap_err();
    assert_eq!(refused.code(), Code::Unavailable, "{refused:?}");
    assert!(started.elapsed() >= Duration::from_millis(900));
    let claimed: i64 = sqlx::query_scalar("SELECT count(*) FROM idempotency_keys")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(claimed, 0, "a refused call leaves no key claimed");
    let unchanged = desk.ticket(&order.id).await;
    assert_eq!(unchanged.state(), pb::TicketState::Received);
    assert!(unchanged.assignee.is_none());
    drop(silent);
    test.cleanup().await;
}

#[sqlx::test(migrations = false)]
async fn a_dispatch_with_the_registry_stopped_is_unavailable_and_succeeds_once_it_returns(
    pool: PgPool,
) {
    let mut test = TestDispatch::spawn(pool.clone()).await;
    let desk = test.at_desk().await;
    let order = desk.create_ticket(hotline("12345-2026-0000778")).await;
    let request = pb::DispatchTicketRequest {
        idempotency_key: "dispatch-stopped-1".into(),
        ..on(&order)
    };
    test.stop_registry().await;

    let refused = desk.try_move(request.clone()).await.unwrap_err();
    assert_eq!(refused.code(), Code::Unavailable, "{refused:?}");
    assert!(refused.message().contains("registry"), "{refused:?}");

    test.start_registry().await;
    let dispatched = desk.move_(request.clone()).await;
    assert_eq!(dispatched.state(), pb::TicketState::Dispatched);
    // The same key now replays, even with the registry away again.
    test.stop_registry().await;
    let replayed = desk.move_(request).await;
    assert_eq!(replayed, dispatched);
    test.cleanup().await;
}
