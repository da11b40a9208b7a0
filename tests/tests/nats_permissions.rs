//! NATS as production runs it: one user per service with the permissions
//! the deployment ships (`charts/weigrid/nats/permissions.yaml`, through
//! `scripts/nats-values.py accounts`). Another service's events cannot be
//! forged: a `dispatch.ticket.verified` published by points' identity is
//! refused by the server, and no consumer ever sees it.

use std::time::Duration;

use async_nats::jetstream;
use futures::StreamExt as _;
use platform::config::NatsConfig;
use platform::events::{Bus, StreamSpec};
use platform::testing::PrivateNats;

const DISPATCH: StreamSpec = StreamSpec::fixed("DISPATCH", "dispatch");
const POINTS: StreamSpec = StreamSpec::fixed("POINTS", "points");
const REVIEW: StreamSpec = StreamSpec::fixed("REVIEW", "review");

/// Every service's NATS password variable, as the shipped accounts read them.
const PASSWORDS: &[(&str, &str)] = &[
    ("GRID_REGISTRY_NATS_PASSWORD", "grid-registry-secret"),
    ("TICKET_DISPATCH_NATS_PASSWORD", "ticket-dispatch-secret"),
    ("POINTS_NATS_PASSWORD", "points-secret"),
    ("CASE_REVIEW_NATS_PASSWORD", "case-review-secret"),
];

/// The accounts block of the shipped permissions, as a nats-server reads it.
fn shipped_accounts() -> String {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
    let out = std::process::Command::new("python3")
        .arg(format!("{root}/scripts/nats-values.py"))
        .arg("accounts")
        .output()
        .expect("python3 runs scripts/nats-values.py");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8")
}

/// Connects to `nats` as the service `user`, as its chart configures it.
async fn connect_as(nats: &PrivateNats, user: &str) -> Bus {
    let mut config = NatsConfig::plain(&nats.url(), "");
    config.user = Some(user.to_owned());
    config.password = Some(format!("{user}-secret").into());
    config.inbox_prefix = format!("_INBOX_{}", user.replace('-', "_"));
    config.ack_timeout = Duration::from_secs(2);
    Bus::connect(&config).await.expect("the URL is valid")
}

/// Returns `bus`'s durable consumer `name` of `stream`, filtered to
/// `filter`, as the service's inbox creates it.
async fn durable(
    bus: &Bus,
    stream: &str,
    name: &str,
    filter: &str,
) -> jetstream::consumer::Consumer<jetstream::consumer::pull::Config> {
    bus.jetstream()
        .get_stream(stream)
        .await
        .expect("a service may look up the stream it consumes")
        .get_or_create_consumer(
            name,
            jetstream::consumer::pull::Config {
                durable_name: Some(name.into()),
                filter_subject: filter.into(),
                ack_policy: jetstream::consumer::AckPolicy::Explicit,
                ..Default::default()
            },
        )
        .await
        .expect("a service may create its own durable consumer")
}

#[tokio::test]
async fn a_forged_verification_from_points_is_refused_and_never_consumed() {
    platform::telemetry::init_for_tests();
    let nats = PrivateNats::start_with_config(&shipped_accounts(), PASSWORDS).await;
    let dispatch = connect_as(&nats, "ticket-dispatch").await;
    let points = connect_as(&nats, "points").await;
    // Each service declares its own stream, as its relay does.
    let dispatch_stream = dispatch.ensure_stream(&DISPATCH).await.unwrap();
    points.ensure_stream(&POINTS).await.unwrap();

    // Points publishes what it owns…
    points
        .jetstream()
        .publish("points.report_submitted", "a report".into())
        .await
        .expect("sent")
        .await
        .expect("points may publish its own events");
    // …but a verification in dispatch's name is refused by the server.
    let forged = async {
        points
            .jetstream()
            .publish("dispatch.ticket.verified", "pay me".into())
            .await?
            .await
    }
    .await;
    assert!(forged.is_err(), "a forged event must not be acknowledged");
    // Nor may points declare, delete or read around dispatch's stream.
    assert!(
        points.jetstream().delete_stream("DISPATCH").await.is_err(),
        "points may not delete dispatch's stream"
    );

    // Dispatch's stream never stored it, so points' consumer never sees it.
    let info = dispatch_stream.clone().info().await.unwrap().clone();
    assert_eq!(info.state.messages, 0, "nothing in DISPATCH");
    let consumer = durable(
        &points,
        "DISPATCH",
        "points-dispatch-tickets",
        "dispatch.ticket.>",
    )
    .await;
    let mut batch = consumer
        .fetch()
        .max_messages(10)
        .expires(Duration::from_millis(500))
        .messages()
        .await
        .unwrap();
    assert!(
        batch.next().await.is_none(),
        "the consumer receives nothing forged"
    );

    // A legitimate verification, from dispatch, does arrive.
    dispatch
        .jetstream()
        .publish("dispatch.ticket.verified", "verified".into())
        .await
        .unwrap()
        .await
        .expect("dispatch may publish its own events");
    let mut batch = consumer
        .fetch()
        .max_messages(10)
        .expires(Duration::from_secs(2))
        .messages()
        .await
        .unwrap();
    let message = batch.next().await.expect("one event").unwrap();
    assert_eq!(message.payload.as_ref(), b"verified");
}

#[tokio::test]
async fn only_review_publishes_decisions_and_only_dispatch_refers_tickets() {
    platform::telemetry::init_for_tests();
    let nats = PrivateNats::start_with_config(&shipped_accounts(), PASSWORDS).await;
    let dispatch = connect_as(&nats, "ticket-dispatch").await;
    let review = connect_as(&nats, "case-review").await;
    let points = connect_as(&nats, "points").await;
    dispatch.ensure_stream(&DISPATCH).await.unwrap();
    review.ensure_stream(&REVIEW).await.unwrap();

    // A referral in dispatch's name from review, and a decision in
    // review's name from points, are refused by the server.
    for (bus, subject) in [
        (&review, "dispatch.ticket.referred"),
        (&points, "review.decision.made"),
    ] {
        let forged = async {
            bus.jetstream()
                .publish(subject, "forged".into())
                .await?
                .await
        }
        .await;
        assert!(forged.is_err(), "{subject} must not be forged");
    }

    // Review consumes dispatch's referrals, dispatch review's decisions,
    // each on the durable consumer its permissions name.
    dispatch
        .jetstream()
        .publish("dispatch.ticket.referred", "referred".into())
        .await
        .unwrap()
        .await
        .expect("dispatch refers tickets");
    review
        .jetstream()
        .publish("review.decision.made", "decided".into())
        .await
        .unwrap()
        .await
        .expect("review publishes its decisions");
    for (bus, stream, name, filter, payload) in [
        (
            &review,
            "DISPATCH",
            "review-ticket-referred",
            "dispatch.ticket.referred",
            "referred",
        ),
        (
            &dispatch,
            "REVIEW",
            "dispatch-review-decision-made",
            "review.decision.made",
            "decided",
        ),
    ] {
        let consumer = durable(bus, stream, name, filter).await;
        let mut batch = consumer
            .fetch()
            .max_messages(10)
            .expires(Duration::from_secs(2))
            .messages()
            .await
            .unwrap();
        let message = batch.next().await.expect("one event").unwrap();
        assert_eq!(message.payload.as_ref(), payload.as_bytes());
        assert!(batch.next().await.is_none(), "and nothing forged");
    }
}
