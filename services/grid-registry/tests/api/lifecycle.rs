//! Running the service: health, reflection, metrics, TLS and graceful
//! shutdown.

use std::time::Duration;

use futures::StreamExt as _;
use platform::testing::{PrivateNats, eventually, scrape_metrics, unique_prefix};
use proto::registry::v1 as pb;
use sqlx::PgPool;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

use crate::helpers::*;
use crate::objects::point_object;

const SERVICE: &str = "weigrid.registry.v1.RegistryService";

async fn status(channel: tonic::transport::Channel, service: &str) -> Option<ServingStatus> {
    let mut health = HealthClient::new(channel);
    let response = health
        .check(HealthCheckRequest {
            service: service.into(),
        })
        .await
        .ok()?;
    Some(response.into_inner().status())
}

#[sqlx::test(migrations = false)]
async fn readiness_follows_the_database_and_not_nats(pool: PgPool) {
    let mut nats = PrivateNats::start().await;
    let app = TestApp::spawn_with(
        pool,
        test_config(&unique_prefix(), &[("NATS__URL", nats.url())]),
    )
    .await;
    let channel = app.channel().await;
    for service in ["", SERVICE] {
        eventually(Duration::from_secs(10), "SERVING", || {
            let channel = channel.clone();
            async move { (status(channel, service).await? == ServingStatus::Serving).then_some(()) }
        })
        .await;
    }
    // While NATS is away writes go on into the outbox (events.rs shows
    // they leave once NATS returns): the service stays in its Service.
    nats.stop();
    let watched = tokio::time::Instant::now();
    while watched.elapsed() < Duration::from_secs(5) {
        for service in ["", SERVICE] {
            assert_eq!(
                status(channel.clone(), service).await,
                Some(ServingStatus::Serving),
                "ready without NATS ({service:?})"
            );
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    nats.resume().await;
    assert_eq!(
        status(channel.clone(), SERVICE).await,
        Some(ServingStatus::Serving)
    );
}

#[sqlx::test(migrations = false)]
async fn reflection_lists_the_registry_in_v1_and_v1alpha(pool: PgPool) {
    use tonic_reflection::pb::{v1, v1alpha};
    let app = TestApp::spawn(pool).await;
    let request = v1alpha::ServerReflectionRequest {
        host: String::new(),
        message_request: Some(
            v1alpha::server_reflection_request::MessageRequest::ListServices(String::new()),
        ),
    };
    let mut client =
        v1alpha::server_reflection_client::ServerReflectionClient::new(app.channel().await);
    let mut answers = client
        .server_reflection_info(futures::stream::iter([request]))
        .await
        .unwrap()
        .into_inner();
    let Some(v1alpha::server_reflection_response::MessageResponse::ListServicesResponse(list)) =
        answers.next().await.unwrap().unwrap().message_response
    else {
        panic!("a list of services");
    };
    let names: Vec<_> = list.service.iter().map(|s| s.name.as_str()).collect();
    assert!(names.contains(&SERVICE), "{names:?}");
    assert!(names.contains(&"grpc.health.v1.Health"), "{names:?}");

    let request = v1::ServerReflectionRequest {
        host: String::new(),
        message_request: Some(v1::server_reflection_request::MessageRequest::ListServices(
            String::new(),
        )),
    };
    let mut client = v1::server_reflection_client::ServerReflectionClient::new(app.channel().await);
    let mut answers = client
        .server_reflection_info(futures::stream::iter([request]))
        .await
        .unwrap()
        .into_inner();
    assert!(answers.next().await.unwrap().is_ok());
}

#[sqlx::test(migrations = false)]
async fn calls_without_a_valid_token_are_unauthenticated(pool: PgPool) {
    let app = TestApp::spawn(pool).await;
    let mut anonymous =
        pb::registry_service_client::RegistryServiceClient::new(app.channel().await);
    let status = anonymous
        .resolve_location(at(30.0, 121.0))
        .await
        .unwrap_err();
    assert_eq!(status.code(), tonic::Code::Unauthenticated);

    let forged =
        platform::auth::DevIssuer::new("some-other-secret-value", "weigrid-dev", "weigrid").issue(
            "mallory",
            platform::auth::Role::TownOperator,
            None,
            Duration::from_secs(60),
        );
    let mut forger = pb::registry_service_client::RegistryServiceClient::with_interceptor(
        app.channel().await,
        platform::grpc::client::Outgoing::bearer(&forged).unwrap(),
    );
    assert_eq!(
        forger
            .resolve_location(at(30.0, 121.0))
            .await
            .unwrap_err()
            .code(),
        tonic::Code::Unauthenticated
    );
}

/// Returns the gRPC series (name and labels) of the scraped `text`.
fn grpc_series(text: &str) -> std::collections::BTreeSet<String> {
    text.lines()
        .filter(|l| l.starts_with("grpc_"))
        .filter_map(|l| l.rsplit_once(' ').map(|(series, _)| series.to_owned()))
        .collect()
}

/// Calls `path` (any path) with an empty message, without a token.
async fn call_path(channel: tonic::transport::Channel, path: &str) -> tonic::Code {
    let mut grpc = tonic::client::Grpc::new(channel);
    grpc.ready().await.unwrap();
    let codec = tonic_prost::ProstCodec::<(), ()>::default();
    grpc.unary(tonic::Request::new(()), path.parse().unwrap(), codec)
        .await
        .map(|_| tonic::Code::Ok)
        .unwrap_or_else(|status| status.code())
}

#[sqlx::test(migrations = false)]
async fn metrics_count_calls_by_method_and_code_in_the_stock_names(pool: PgPool) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let config = test_config(
        &unique_prefix(),
        &[
            ("METRICS__ENABLED", "true".into()),
            ("METRICS__LISTEN", format!("127.0.0.1:{port}")),
        ],
    );
    let app = TestApp::spawn_with(pool, config).await;
    let mut client = app.operator().await;
    let _ = client.resolve_location(at(95.0, 121.0)).await;
    let text = scrape_metrics(port).await;
    assert!(
        text.lines()
            .any(|l| l.starts_with("grpc_server_handled_total")
                && l.contains("grpc_method=\"ResolveLocation\"")
                && l.contains("grpc_service=\"weigrid.registry.v1.RegistryService\"")
                && l.contains("grpc_type=\"unary\"")
                && l.contains("grpc_code=\"InvalidArgument\"")),
        "{text}"
    );
    assert!(text.contains("grpc_server_handling_seconds_bucket"));
    assert!(text.contains("grpc_server_started_total"));
    assert!(text.contains("weigrid_outbox_pending_events"));
}

#[sqlx::test(migrations = false)]
async fn calls_to_paths_the_service_does_not_serve_add_no_metric_series(pool: PgPool) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let config = test_config(
        &unique_prefix(),
        &[
            ("METRICS__ENABLED", "true".into()),
            ("METRICS__LISTEN", format!("127.0.0.1:{port}")),
        ],
    );
    let app = TestApp::spawn_with(pool, config).await;
    let channel = app.channel().await;
    // The first unknown path opens the one "unknown" series.
    call_path(channel.clone(), "/nowhere.Service/Method").await;
    let before = grpc_series(&scrape_metrics(port).await);
    for i in 0..1000 {
        let code = call_path(channel.clone(), &format!("/random{i}.Service{i}/Method{i}")).await;
        assert_ne!(code, tonic::Code::Ok);
    }
    let after = grpc_series(&scrape_metrics(port).await);
    assert!(!before.is_empty());
    let added: Vec<_> = after.difference(&before).collect();
    assert!(added.is_empty(), "new series: {added:?}");
}

#[sqlx::test(migrations = false)]
async fn mutual_tls_admits_only_clients_with_a_certificate_from_the_ca(pool: PgPool) {
    use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};
    let dir = std::env::temp_dir().join(format!("weigrid-tls-{}", unique_prefix()));
    std::fs::create_dir_all(&dir).unwrap();
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca_cert = ca_params.self_signed(&ca_key).unwrap();
    let issuer = Issuer::from_params(&ca_params, &ca_key);
    let issue = |name: &str| {
        let key = KeyPair::generate().unwrap();
        let cert = CertificateParams::new(vec![name.to_owned()])
            .unwrap()
            .signed_by(&key, &issuer)
            .unwrap();
        (cert.pem(), key.serialize_pem())
    };
    let write = |file: &str, text: &str| {
        let path = dir.join(file);
        std::fs::write(&path, text).unwrap();
        path.display().to_string()
    };
    let ca = write("ca.pem", &ca_cert.pem());
    let (server_cert, server_key) = issue("localhost");
    let (client_cert, client_key) = issue("ticket-dispatch");
    let config = test_config(
        &unique_prefix(),
        &[
            ("GRPC__TLS__CERT_PATH", write("server.pem", &server_cert)),
            ("GRPC__TLS__KEY_PATH", write("server.key", &server_key)),
            ("GRPC__TLS__CLIENT_CA_PATH", ca.clone()),
        ],
    );
    let app = TestApp::spawn_with(pool, config).await;
    let client_config = |with_cert: bool| platform::config::ClientConfig {
        endpoint: format!("https://{}", app.addr),
        connect_timeout: Duration::from_secs(2),
        request_timeout: Duration::from_secs(5),
        max_attempts: 1,
        tls: Some(platform::config::ClientTlsConfig {
            ca_path: ca.clone().into(),
            domain: "localhost".into(),
            cert_path: with_cert.then(|| write("client.pem", &client_cert).into()),
            key_path: with_cert.then(|| write("client.key", &client_key).into()),
        }),
    };
    let token = token(platform::auth::Role::Service, None);
    let mut trusted = pb::registry_service_client::RegistryServiceClient::with_interceptor(
        platform::grpc::client::channel(&client_config(true)).unwrap(),
        platform::grpc::client::Outgoing::bearer(&token).unwrap(),
    );
    let status = trusted.resolve_location(at(30.0, 121.0)).await.unwrap_err();
    assert_eq!(
        status.code(),
        tonic::Code::NotFound,
        "the call got through TLS: {status:?}"
    );

    let mut stranger = pb::registry_service_client::RegistryServiceClient::with_interceptor(
        platform::grpc::client::channel(&client_config(false)).unwrap(),
        platform::grpc::client::Outgoing::bearer(&token).unwrap(),
    );
    let status = stranger
        .resolve_location(at(30.0, 121.0))
        .await
        .unwrap_err();
    assert_ne!(
        status.code(),
        tonic::Code::NotFound,
        "refused before reaching the service: {status:?}"
    );
    assert!(
        format!("{status:?}").contains("CertificateRequired"),
        "{status:?}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[sqlx::test(migrations = false)]
async fn a_graceful_shutdown_loses_no_accepted_write(pool: PgPool) {
    let mut app = TestApp::spawn(pool.clone()).await;
    let client = app.operator().await;
    let calls: Vec<_> = (0..60)
        .map(|i| {
            let mut client = client.clone();
            tokio::spawn(async move {
                let code = format!("KP-{i:04}");
                let outcome = client
                    .create_object(point_object(&code, pb::ObjectKind::KeyPoint, 30.0, 121.0))
                    .await;
                (code, outcome.is_ok())
            })
        })
        .collect();
    eventually(Duration::from_secs(10), "some writes to land", || async {
        (count_rows(&pool, "covered_objects").await >= 5).then_some(())
    })
    .await;
    app.shutdown().await;

    let mut accepted = Vec::new();
    for call in calls {
        let (code, ok) = call.await.unwrap();
        if ok {
            accepted.push(code);
        }
    }
    assert!(accepted.len() >= 5, "{} accepted", accepted.len());
    let stored: Vec<String> = sqlx::query_scalar("SELECT code FROM covered_objects")
        .fetch_all(&pool)
        .await
        .unwrap();
    for code in &accepted {
        assert!(stored.contains(code), "accepted write {code} is stored");
    }
    assert_eq!(
        count_rows(&pool, "outbox WHERE published_at IS NULL").await,
        0,
        "the relay flushed every accepted write's event before stopping"
    );
}
