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
use platform::testing::{PrivateNats, TestPki, unique_prefix};

const DISPATCH: StreamSpec = StreamSpec::fixed("DISPATCH", "dispatch");
const POINTS: StreamSpec = StreamSpec::fixed("POINTS", "points");

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

/// The password variable of every service user in `accounts`, each set to
/// `<user>-secret`, as the chart's Secrets would set them.
fn passwords(accounts: &str) -> Vec<(String, String)> {
    let mut found = Vec::new();
    let mut user = None;
    for line in accounts.lines().map(str::trim) {
        if let Some(name) = line.strip_prefix("user: ") {
            user = Some(name.trim_matches('"').to_owned());
        } else if let (Some(var), Some(name)) = (line.strip_prefix("password: $"), user.take()) {
            found.push((var.to_owned(), format!("{name}-secret")));
        }
    }
    assert!(
        found.len() >= 3,
        "every service has its NATS user: {found:?}"
    );
    found
}

/// Starts a private NATS server with the shipped accounts, after `extra`.
async fn nats_with_accounts(extra: &str) -> PrivateNats {
    let accounts = shipped_accounts();
    let env = passwords(&accounts);
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    PrivateNats::start_with_config(&format!("{extra}{accounts}"), &env).await
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

#[tokio::test]
async fn a_forged_verification_from_points_is_refused_and_never_consumed() {
    platform::telemetry::init_for_tests();
    let nats = nats_with_accounts("").await;
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
    let as_points = points
        .jetstream()
        .get_stream("DISPATCH")
        .await
        .expect("points may look up the stream it consumes");
    let consumer = as_points
        .get_or_create_consumer(
            "points-dispatch-tickets",
            jetstream::consumer::pull::Config {
                durable_name: Some("points-dispatch-tickets".into()),
                filter_subject: "dispatch.ticket.>".into(),
                ack_policy: jetstream::consumer::AckPolicy::Explicit,
                ..Default::default()
            },
        )
        .await
        .expect("points may create its own durable consumer");
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
async fn a_service_reaches_nats_that_requires_credentials_and_mutual_tls() {
    platform::telemetry::init_for_tests();
    let dir = std::env::temp_dir().join(format!("weigrid-nats-tls-{}", unique_prefix()));
    let pki = TestPki::write(&dir, "points");
    let tls = format!(
        "tls {{\n  cert_file: \"{}\"\n  key_file: \"{}\"\n  ca_file: \"{}\"\n  verify: true\n  timeout: 2\n}}\n",
        pki.server_cert.display(),
        pki.server_key.display(),
        pki.ca.display()
    );
    let nats = nats_with_accounts(&tls).await;
    let url = nats.url().replace("nats://", "tls://");

    // Points, as its chart configures it: its user, its password, the CA
    // and its client certificate.
    let mut config = NatsConfig::plain(&url, "");
    config.user = Some("points".into());
    config.password = Some("points-secret".to_owned().into());
    config.inbox_prefix = "_INBOX_points".into();
    config.tls_ca_path = Some(pki.ca.clone());
    config.tls_cert_path = Some(pki.client_cert.clone());
    config.tls_key_path = Some(pki.client_key.clone());
    config.ack_timeout = Duration::from_secs(2);
    let points = Bus::connect(&config).await.expect("the settings are valid");
    points
        .ensure_stream(&POINTS)
        .await
        .expect("points declares its stream over TLS");
    points
        .jetstream()
        .publish("points.report_submitted", "a report".into())
        .await
        .expect("sent")
        .await
        .expect("stored, over mutual TLS with points' credentials");

    // Without the client certificate, or without the password, nothing.
    let mut no_certificate = config.clone();
    no_certificate.tls_cert_path = None;
    no_certificate.tls_key_path = None;
    assert!(
        connected(&no_certificate).await.is_none(),
        "a client without its certificate is refused"
    );
    let mut no_password = config.clone();
    no_password.password = Some("wrong".to_owned().into());
    assert!(
        connected(&no_password).await.is_none(),
        "a wrong password is refused"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// Returns the stream info `config` reaches, if its connection is let in.
async fn connected(config: &NatsConfig) -> Option<()> {
    let bus = Bus::connect(config).await.ok()?;
    let lookup =
        tokio::time::timeout(Duration::from_secs(3), bus.jetstream().get_stream("POINTS")).await;
    matches!(lookup, Ok(Ok(_))).then_some(())
}
