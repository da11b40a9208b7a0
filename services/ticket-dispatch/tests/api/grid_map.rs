//! The grid map dispatch keeps while it follows the registry's grid events:
//! a ticket is placed without a call to the registry (even with the
//! registry away), a grid's new boundary places the next ticket as soon as
//! its event arrives, and the map places every point, borders included,
//! where the registry's ResolveLocation does.

use std::time::Duration;

use fixtures::town::rect;
use platform::testing::eventually;
use proto::dispatch::v1 as pb;
use proto::registry::v1 as registry;
use ticket_dispatch::domain::grid::LatLng;
use ticket_dispatch::testing::*;

use crate::intake::patrol;

/// How long the map may take to follow a change.
const PATIENCE: Duration = Duration::from_secs(30);

/// Stops the registry once dispatch places locations from its grid map:
/// a ticket taken in with the registry stopped is placed (before the map
/// is loaded it would be taken in unrouted, and the registry is started
/// again for the map to load). Leaves the registry stopped.
async fn stop_registry_once_the_map_holds(test: &mut TestDispatch, tag: &str) {
    let desk = test.at_desk().await;
    for attempt in 0..20 {
        // Dispatch looks for the registry's stream every second.
        tokio::time::sleep(Duration::from_millis(1500)).await;
        test.stop_registry().await;
        let probe = patrol(&format!("{tag}-probe-{attempt}"), 30.02, 121.02);
        let ticket = desk.create_ticket(probe).await;
        if !ticket.unrouted {
            assert_eq!(ticket.micro_grid_code, "V1-A1-M01");
            return;
        }
        test.start_registry().await;
    }
    panic!("dispatch never placed a ticket from its grid map");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_the_registry_away_a_ticket_is_placed_from_the_grid_map() {
    let mut test = TestDispatch::spawn_with_grid_map().await;
    stop_registry_once_the_map_holds(&mut test, "away").await;
    let desk = test.at_desk().await;
    let ticket = desk.create_ticket(patrol("away-1", 30.07, 121.02)).await;
    assert!(!ticket.unrouted, "placed without the registry");
    assert_eq!(ticket.micro_grid_code, "V1-A1-M02");
    assert_eq!(
        ticket.state(),
        pb::TicketState::Dispatched,
        "a simple case goes to its micro-grid"
    );
    test.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_grid_given_a_new_boundary_places_the_next_ticket_by_it() {
    let mut test = TestDispatch::spawn_with_grid_map().await;
    // (30.02 N, 121.02 E) lies in V1-A1-M01, the south-west micro-grid.
    stop_registry_once_the_map_holds(&mut test, "before").await;
    test.start_registry().await;
    let mut operator = test.registry.as_ref().expect("a registry").operator();
    // M01 gives its north to M02: the point now lies in M02.
    for (code, boundary) in [
        ("V1-A1-M01", rect(121.0, 30.0, 121.05, 30.01)),
        ("V1-A1-M02", rect(121.0, 30.01, 121.05, 30.1)),
    ] {
        operator
            .update_grid(registry::UpdateGridRequest {
                idempotency_key: format!("move-{code}"),
                code: code.into(),
                boundary: Some(boundary),
                ..Default::default()
            })
            .await
            .expect("the registry takes the new boundary");
    }
    let desk = test.at_desk().await;
    let mut n = 0;
    // Dispatch follows the events; the registry stays up, so every ticket
    // is placed: the map's answer changes once the events arrive.
    eventually(PATIENCE, "the next ticket placed in M02", || {
        n += 1;
        let request = patrol(&format!("after-{n}"), 30.02, 121.02);
        let desk = &desk;
        async move {
            let ticket = desk.create_ticket(request).await;
            (ticket.micro_grid_code == "V1-A1-M02").then_some(())
        }
    })
    .await;
    // And with the registry away, the map itself answers M02.
    test.stop_registry().await;
    let ticket = desk
        .create_ticket(patrol("after-away", 30.02, 121.02))
        .await;
    assert_eq!(
        ticket.micro_grid_code, "V1-A1-M02",
        "the map holds the new boundary"
    );
    test.cleanup().await;
}

#[sqlx::test(migrations = false)]
async fn the_grid_map_places_every_point_borders_and_outside_included_as_the_registry_does(
    pool: sqlx::PgPool,
) {
    let test = TestDispatch::spawn(pool).await;
    let client = test.registry_client();
    let held = client.load_map().await.expect("the map loads");
    assert_eq!(held, 4, "the small town's four micro-grids");
    let map = client.map().expect("the map is kept");
    // A lattice over the town and beyond it, on its inner borders (30.05 N,
    // 121.05 E), its outer edge and its corners.
    let mut compared = 0;
    for i in -1..=17 {
        for j in -1..=17 {
            let at = LatLng {
                lat: 30.0 + f64::from(i) * 0.00625,
                lng: 121.0 + f64::from(j) * 0.00625,
            };
            let asked = client.ask(at).await.expect("the registry answers");
            assert_eq!(map.place(at), asked, "at {at:?}");
            compared += 1;
        }
    }
    assert_eq!(compared, 19 * 19);
    test.cleanup().await;
}
