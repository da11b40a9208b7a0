//! Ticket intake over gRPC, beside its floors measured in the same run:
//! the same rows written straight to PostgreSQL (the same statements, one
//! transaction a ticket, default commit settings) and the same number of
//! events published straight to JetStream with acknowledgement; printed as
//! ratios. Then the p99 from intake to dispatched at a fixed rate.
//!
//! Needs PostgreSQL and NATS (`make bench` starts them when missing); its
//! databases are its own, dropped at the end.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use fixtures::registry::TestRegistry;
use platform::auth::Role;
use platform::bench::{Measured, measure};
use platform::clock::SystemClock;
use platform::events::Bus;
use platform::grpc::client::Outgoing;
use platform::testing::Served;
use proto::dispatch::v1 as pb;
use proto::dispatch::v1::dispatch_service_client::DispatchServiceClient;
use sqlx::PgPool;
use sqlx::postgres::PgPoolOptions;
use ticket_dispatch::domain::channel::{Channel as TicketChannel, ChannelLimits};
use ticket_dispatch::domain::deadline::DeadlineRules;
use ticket_dispatch::domain::fixtures::intake;
use ticket_dispatch::domain::ids::TicketId;
use ticket_dispatch::domain::ticket::{Stamp, Ticket};
use ticket_dispatch::repository::{tickets, timers};
use tonic::transport::Channel;

/// Calls in flight at once.
const CONCURRENCY: usize = 16;
/// Tickets per measurement.
const TICKETS: usize = 2000;
/// The fixed rate for the intake-to-dispatch latency, per second, and for how long.
const RATE: u64 = 50;
const RATE_SECONDS: u64 = 10;
/// The intake-to-dispatched p99 at [`RATE`] recorded before (issue 9), ms.
const PREVIOUS_P99_MS: f64 = 6.9;

async fn database(admin: &PgPool, base: &str, name: &str) -> anyhow::Result<PgPool> {
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
    )))
    .execute(admin)
    .await?;
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE \"{name}\"")))
        .execute(admin)
        .await?;
    Ok(PgPoolOptions::new()
        .max_connections(20)
        .connect(&format!("{base}/{name}"))
        .await?)
}

/// A spot of its own for ticket `i`, 60–70 m from the next, so no report
/// repeats another (duplicates are linked, not dispatched).
fn spot(i: usize) -> pb::LatLng {
    pb::LatLng {
        lat: 30.001 + (i / 40) as f64 * 0.0006,
        lng: 121.001 + (i % 40) as f64 * 0.0007,
    }
}

fn hotline(i: usize, tag: &str) -> pb::CreateTicketRequest {
    pb::CreateTicketRequest {
        channel: pb::Channel::Hotline12345.into(),
        external_ref: format!("{tag}-{i:07}"),
        category_code: if tag == "warm" {
            "OTHER".into()
        } else {
            "SANITATION".into()
        },
        title: "垃圾堆放".into(),
        description: "路口垃圾三天无人清运".into(),
        location: Some(spot(i)),
        reporter_phone: "13912345678".into(),
        ..Default::default()
    }
}

/// A dispatch client as the desk calls it.
type Desk =
    DispatchServiceClient<tonic::service::interceptor::InterceptedService<Channel, Outgoing>>;

/// Starts dispatch over `pool` on NATS `prefix`, asking the registry at
/// `registry`, with its grid map following `placements` (empty: none);
/// returns it and the desk's client.
async fn start_dispatch(
    pool: PgPool,
    prefix: &str,
    registry: std::net::SocketAddr,
    placements: &str,
) -> anyhow::Result<(Served<ticket_dispatch::App>, Desk)> {
    let mut env = std::collections::HashMap::new();
    for (k, v) in [
        ("AUTH__MODE", "dev".to_owned()),
        ("GRPC__LISTEN", "127.0.0.1:0".to_owned()),
        ("METRICS__ENABLED", "false".to_owned()),
        ("NATS__PREFIX", prefix.to_owned()),
        ("CLIENTS__REGISTRY__ENDPOINT", format!("http://{registry}")),
        ("PLACEMENTS__SOURCE", placements.to_owned()),
    ] {
        env.insert(format!("WEIGRID_DISPATCH__{k}"), v);
    }
    if let Ok(url) = std::env::var("WEIGRID__NATS__URL") {
        env.insert("WEIGRID__NATS__URL".into(), url);
    }
    let config: ticket_dispatch::DispatchConfig =
        platform::config::load_from("dispatch", ticket_dispatch::config::DEFAULTS, &env)?;
    let dispatch =
        Served::<ticket_dispatch::App>::try_start(pool, config, Arc::new(SystemClock)).await?;
    let token = platform::testing::token("bench-desk", Role::TownOperator, None);
    let channel = Channel::from_shared(format!("http://{}", dispatch.addr()))?
        .connect()
        .await?;
    let client = DispatchServiceClient::with_interceptor(channel, Outgoing::bearer(&token)?);
    Ok((dispatch, client))
}

/// Takes [`TICKETS`] 12345 orders in through `client`, [`CONCURRENCY`] in
/// flight.
async fn take_in(client: &Desk, tag: &'static str) -> Measured {
    let c = client.clone();
    measure(CONCURRENCY, TICKETS, move |i| {
        let mut c = c.clone();
        async move {
            c.create_ticket(hotline(i, tag))
                .await
                .expect("intake succeeds");
        }
    })
    .await
}

/// Takes simple patrol hazards in through `client` at [`RATE`] a second for
/// [`RATE_SECONDS`], each dispatched to its micro-grid within the call;
/// returns the latencies.
async fn at_fixed_rate(client: &Desk) -> anyhow::Result<Measured> {
    let tag = uuid::Uuid::now_v7().simple().to_string();
    let mut latencies = Vec::new();
    let mut ticks = tokio::time::interval(Duration::from_millis(1000 / RATE));
    let mut pending = Vec::new();
    for i in 0..(RATE * RATE_SECONDS) as usize {
        ticks.tick().await;
        let mut c = client.clone();
        let key = format!("rate-{tag}-{i}");
        pending.push(tokio::spawn(async move {
            let t = Instant::now();
            let request = pb::CreateTicketRequest {
                idempotency_key: key,
                channel: pb::Channel::GridPatrol.into(),
                category_code: "DRAINAGE".into(),
                title: "排水沟堵塞".into(),
                location: Some(spot(i)),
                ..Default::default()
            };
            let ticket = c
                .create_ticket(request)
                .await
                .expect("intake")
                .into_inner()
                .ticket
                .expect("ticket");
            assert_eq!(ticket.state(), pb::TicketState::Dispatched);
            t.elapsed()
        }));
    }
    for p in pending {
        latencies.push(p.await?);
    }
    Ok(Measured {
        elapsed: Duration::from_secs(RATE_SECONDS),
        latencies,
    })
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    platform::telemetry::init_quiet("error");
    let admin_url = std::env::var("DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let base = admin_url
        .rsplit_once('/')
        .map(|(b, _)| b.to_owned())
        .unwrap_or(admin_url.clone());
    let admin = PgPoolOptions::new()
        .max_connections(2)
        .connect(&admin_url)
        .await?;
    let id = std::process::id();
    let (dispatch_db, asking_db, raw_db) = (
        format!("weigrid_bench_dispatch_{id}"),
        format!("weigrid_bench_dispatch_asking_{id}"),
        format!("weigrid_bench_raw_{id}"),
    );

    // The registry (its release binary, as deployed) with a small town, on
    // dispatch's NATS prefix as deployed: dispatch follows its grid events
    // and places locations from the grid map it keeps.
    let registry_addr =
        std::net::SocketAddr::from(([127, 0, 0, 1], platform::testing::free_port()));
    let mut registry = TestRegistry::start(registry_addr, &[]).await;
    let prefix = platform::testing::unique_prefix();
    registry.prefix = prefix.clone();
    registry.restart(&[]).await;
    let dispatch_pool = database(&admin, &base, &dispatch_db).await?;
    let (mut dispatch, client) = start_dispatch(
        dispatch_pool.clone(),
        &prefix,
        registry.addr,
        "REGISTRY:registry",
    )
    .await?;
    // Beside it, on a database of its own, dispatch as it was: asking the
    // registry where each ticket lies.
    let asking_pool = database(&admin, &base, &asking_db).await?;
    let (mut asking, asking_client) = start_dispatch(
        asking_pool.clone(),
        &platform::testing::unique_prefix(),
        registry.addr,
        "",
    )
    .await?;

    println!("ticket intake benchmark: {TICKETS} tickets, {CONCURRENCY} in flight");
    // Warm up connections, pools and the registry's index.
    for i in 0..100 {
        client.clone().create_ticket(hotline(i, "warm")).await?;
        asking_client
            .clone()
            .create_ticket(hotline(i, "warm"))
            .await?;
    }

    // 1. Intake over gRPC: validation, the place from the grid map, one
    //    transaction with the ticket, its history and its event; and the
    //    same asking the registry's ResolveLocation for each ticket.
    let mut grpc = take_in(&client, "grpc").await;
    let mut asked = take_in(&asking_client, "asked").await;

    // 2. The same rows straight into PostgreSQL, one transaction each.
    let raw_pool = database(&admin, &base, &raw_db).await?;
    platform::db::migrate(&raw_pool, &ticket_dispatch::MIGRATOR).await?;
    let pool = raw_pool.clone();
    let mut raw = measure(CONCURRENCY, TICKETS, move |i| {
        let pool = pool.clone();
        async move {
            let now = Utc::now();
            let mut txn = pool.begin().await.expect("begin");
            let number = tickets::next_number(&mut txn, "LX", 2026)
                .await
                .expect("number");
            let (ticket, received) = Ticket::receive(
                TicketId::generate(),
                number,
                &intake(TicketChannel::Hotline12345, &format!("raw-{i:07}")),
                None,
                &ChannelLimits::default(),
                &Stamp::new("bench", now),
                &DeadlineRules::default(),
            );
            tickets::insert(&mut txn, &ticket).await.expect("insert");
            // The desk's clock, as the service plans it.
            let planned = ticket.timers(&DeadlineRules::default(), now);
            timers::replace(&mut txn, ticket.id, None, &planned)
                .await
                .expect("timers");
            tickets::record(&mut txn, ticket.id, &received)
                .await
                .expect("history");
            // The baseline writes its outbox row by hand: it measures the
            // floor under the unit of work, not the service.
            sqlx::query(
                "INSERT INTO outbox (event_id, subject, payload, headers) VALUES ($1, $2, $3, '{}')",
            )
            .bind(uuid::Uuid::now_v7())
            .bind("dispatch.ticket.received")
            .bind(vec![0u8; 420])
            .execute(&mut *txn)
            .await
            .expect("outbox");
            txn.commit().await.expect("commit");
        }
    })
    .await;

    // 3. The same number of events straight to JetStream, acknowledged.
    let raw_bus = Bus::connect(&platform::testing::nats_config()).await?;
    let stream = platform::events::StreamSpec::fixed("BENCH", "bench");
    raw_bus.ensure_stream(&stream).await?;
    let subject = raw_bus.subject("bench.ticket.received");
    let js = raw_bus.jetstream().clone();
    let mut jetstream = measure(CONCURRENCY, TICKETS, move |i| {
        let (js, subject) = (js.clone(), subject.clone());
        async move {
            let mut headers = async_nats::HeaderMap::new();
            headers.insert("Nats-Msg-Id", format!("bench-{i}").as_str());
            let ack = js
                .publish_with_headers(subject, headers, vec![0u8; 420].into())
                .await
                .expect("publish");
            ack.await.expect("ack");
        }
    })
    .await;

    println!("{}", grpc.line("CreateTicket over gRPC"));
    println!(
        "{}",
        asked.line("CreateTicket, asking the registry each time")
    );
    println!("{}", raw.line("same rows, raw PostgreSQL (1 txn each)"));
    println!(
        "{}",
        jetstream.line("same events, raw JetStream publish + ack")
    );
    println!(
        "ratio gRPC intake / raw PostgreSQL:  {:.2}",
        grpc.rate() / raw.rate()
    );
    println!(
        "ratio gRPC intake / raw JetStream:   {:.2}",
        grpc.rate() / jetstream.rate()
    );
    println!(
        "ratio asking the registry / raw PostgreSQL: {:.2} (grid map / asking: {:.2})",
        asked.rate() / raw.rate(),
        grpc.rate() / asked.rate()
    );
    platform::bench::durability(&dispatch_pool, "CreateTicket").await?;
    platform::bench::durability(&raw_pool, "raw PostgreSQL").await?;
    let ratio = grpc.rate() / raw.rate();
    platform::bench::row(
        "CreateTicket over gRPC (16 in flight)",
        &format!(
            "{}, p99 {:.1} ms",
            platform::bench::per_second(grpc.rate()),
            grpc.pct(0.99).as_secs_f64() * 1e3
        ),
        &format!(
            "same rows raw PostgreSQL {}, p99 {:.1} ms",
            platform::bench::per_second(raw.rate()),
            raw.pct(0.99).as_secs_f64() * 1e3
        ),
        ratio,
        "≥ 0.70",
        Some(ratio >= 0.7),
    );

    // 4. Intake to dispatched at a fixed rate: simple patrol hazards are
    //    dispatched to their micro-grid within the intake call; the same
    //    beside it on the dispatch asking the registry.
    let mut fixed = at_fixed_rate(&client).await?;
    let mut fixed_asking = at_fixed_rate(&asking_client).await?;
    for (what, m) in [
        ("", &mut fixed),
        (" (asking the registry)", &mut fixed_asking),
    ] {
        println!(
            "intake → dispatched at {RATE}/s for {RATE_SECONDS} s{what}:    p50 {:.2} ms   p99 {:.2} ms",
            m.pct(0.5).as_secs_f64() * 1e3,
            m.pct(0.99).as_secs_f64() * 1e3
        );
    }
    // Held to the figure recorded before (issue 9), 6.9 ms, on the machine
    // it was measured on; and to the dispatch asking the registry, beside
    // it in this run.
    let p99 = fixed.pct(0.99).as_secs_f64() * 1e3;
    let p99_asking = fixed_asking.pct(0.99).as_secs_f64() * 1e3;
    platform::bench::row(
        &format!("intake → dispatched p99 at {RATE}/s, grid map"),
        &format!("p99 {p99:.2} ms"),
        &format!("asking the registry, same run: p99 {p99_asking:.2} ms"),
        p99 / p99_asking,
        "≤ 1.00",
        Some(p99 <= p99_asking),
    );
    platform::bench::row(
        &format!("intake → dispatched p99 at {RATE}/s"),
        &format!("p99 {p99:.2} ms"),
        &format!("recorded before: p99 {PREVIOUS_P99_MS} ms"),
        p99 / PREVIOUS_P99_MS,
        "≤ 1.00",
        Some(p99 <= PREVIOUS_P99_MS),
    );

    dispatch.stop().await?;
    asking.stop().await?;
    registry.cleanup().await;
    for name in [dispatch_db, asking_db, raw_db] {
        let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
            "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
        )))
        .execute(&admin)
        .await;
    }
    Ok(())
}
