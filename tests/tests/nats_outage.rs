//! The outbox is what a NATS outage is for: with NATS stopped, points stays
//! ready and takes villagers' reports; when NATS returns, every report's
//! ticket reaches dispatch, each exactly once.

use std::time::Duration;

use platform::testing::{PrivateNats, eventually};
use points::testing::{TestPoints, report};
use proto::dispatch::v1 as dispatch;
use proto::points::v1 as pb;
use sqlx::PgPool;
use ticket_dispatch::testing::TestDispatch;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_client::HealthClient;

async fn readiness(addr: std::net::SocketAddr, service: &str) -> i32 {
    let channel = tonic::transport::Endpoint::from_shared(format!("http://{addr}"))
        .unwrap()
        .connect()
        .await
        .expect("the service answers");
    HealthClient::new(channel)
        .check(HealthCheckRequest {
            service: service.into(),
        })
        .await
        .expect("health answers")
        .into_inner()
        .status
}

#[sqlx::test(migrations = false)]
async fn reports_taken_while_nats_is_down_each_become_one_ticket_when_it_returns(pool: PgPool) {
    let mut nats = PrivateNats::start().await;
    let on_private = [("NATS__URL", nats.url())];
    let points = TestPoints::spawn_with(pool, &on_private).await;
    let dispatch =
        TestDispatch::spawn_beside_with(&points.config.service.nats.prefix, &on_private).await;
    let villager = points.register("张三", "13812345678").await;
    let first = points
        .submit(report(&villager, "ILLEGAL_DUMPING", 30.02, 121.02))
        .await;
    points
        .wait_report(&first, "the first ticket", |r| !r.ticket_id.is_empty())
        .await;

    nats.stop();
    let mut during = Vec::new();
    for i in 0..5 {
        let mut request = report(
            &villager,
            "ILLEGAL_DUMPING",
            30.02 + f64::from(i) * 0.001,
            121.03,
        );
        request.text = format!("断网期间的第 {i} 条");
        let taken = points.try_submit(request).await;
        during.push(taken.expect("a report is taken while NATS is away"));
    }
    assert_eq!(
        readiness(points.addr, "weigrid.points.v1.PointsService").await,
        tonic_health::ServingStatus::Serving as i32,
        "points stays ready without NATS"
    );
    assert_eq!(
        readiness(dispatch.addr, "weigrid.dispatch.v1.DispatchService").await,
        tonic_health::ServingStatus::Serving as i32,
        "dispatch stays ready without NATS"
    );

    nats.resume().await;
    for taken in &during {
        points
            .wait_report(taken, "its ticket after NATS returned", |r| {
                !r.ticket_id.is_empty()
            })
            .await;
    }
    let tickets = eventually(Duration::from_secs(20), "six villager tickets", || async {
        let tickets = dispatch
            .at_desk()
            .await
            .list(dispatch::ListTicketsRequest {
                page_size: 100,
                ..Default::default()
            })
            .await;
        (tickets.len() >= 6).then_some(tickets)
    })
    .await;
    let mut refs: Vec<_> = tickets.iter().map(|t| t.external_ref.clone()).collect();
    refs.sort();
    refs.dedup();
    assert_eq!(tickets.len(), 6, "each report is one ticket");
    assert_eq!(refs.len(), 6);
    let all: Vec<pb::Report> = std::iter::once(first).chain(during).collect();
    for submitted in &all {
        assert!(
            refs.contains(&submitted.id),
            "report {} has its ticket",
            submitted.id
        );
    }
}
