//! ResolveLocation throughput: lookups per second in process (the spatial
//! index alone) and over gRPC (the whole service: auth, metrics, tracing),
//! beside a bare tonic call (a health Check on a plain tonic server with no
//! layers) measured in the same run, printed as ratios.
//!
//! Needs PostgreSQL and NATS (`make bench` starts them when missing); it
//! creates and drops a database of its own.

use std::time::{Duration, Instant};

use geo::Point;
use grid_registry::domain::ids::GridId;
use grid_registry::domain::index::{GridNode, Resolution, Snapshot};
use grid_registry::testing::{TestApp, test_config};
use proto::registry::v1 as pb;
use sqlx::postgres::PgPoolOptions;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_client::HealthClient;

/// Calls in flight at once over gRPC.
const CONCURRENCY: usize = 16;
/// How long each gRPC measurement runs.
const WINDOW: Duration = Duration::from_secs(5);

/// A deterministic stream of points inside Langxia's bounding box.
struct Points(u64, [f64; 4]);

impl Points {
    fn next(&mut self) -> Point {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        let a = (self.0 >> 11) as f64 / (1u64 << 53) as f64;
        let b = ((self.0.rotate_left(29)) >> 11) as f64 / (1u64 << 53) as f64;
        let [x0, y0, x1, y1] = self.1;
        Point::new(x0 + a * (x1 - x0), y0 + b * (y1 - y0))
    }
}

fn town_box(town: &langxia::Town) -> [f64; 4] {
    let ring = &town.grids[0].boundary;
    let xs = ring.iter().map(|p| p.0);
    let ys = ring.iter().map(|p| p.1);
    [
        xs.clone().fold(f64::MAX, f64::min),
        ys.clone().fold(f64::MAX, f64::min),
        xs.fold(f64::MIN, f64::max),
        ys.fold(f64::MIN, f64::max),
    ]
}

struct Measured {
    calls: u64,
    elapsed: Duration,
    latencies: Vec<Duration>,
}

impl Measured {
    fn rate(&self) -> f64 {
        self.calls as f64 / self.elapsed.as_secs_f64()
    }
    fn percentile(&mut self, p: f64) -> Duration {
        self.latencies.sort_unstable();
        let i = ((self.latencies.len() as f64 - 1.0) * p).round() as usize;
        self.latencies.get(i).copied().unwrap_or_default()
    }
}

async fn measure<F, Fut>(call: F) -> Measured
where
    F: Fn(u64) -> Fut + Clone + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    // Warm up connections and caches first.
    for i in 0..200 {
        call(i).await;
    }
    let started = Instant::now();
    let workers: Vec<_> = (0..CONCURRENCY)
        .map(|w| {
            let call = call.clone();
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                let mut i = w as u64 * 1_000_000;
                while started.elapsed() < WINDOW {
                    let t = Instant::now();
                    call(i).await;
                    latencies.push(t.elapsed());
                    i += 1;
                }
                latencies
            })
        })
        .collect();
    let mut latencies = Vec::new();
    for worker in workers {
        latencies.extend(worker.await.expect("worker joins"));
    }
    Measured {
        calls: latencies.len() as u64,
        elapsed: started.elapsed(),
        latencies,
    }
}

fn in_process(town: &langxia::Town) -> (f64, usize) {
    let nodes: Vec<GridNode> = town
        .grids
        .iter()
        .map(|g| GridNode {
            id: GridId::generate(),
            code: g.code.clone(),
            name: g.name.clone(),
            level: grid_registry::domain::kinds::Level::parse(g.level.as_str())
                .expect("known level"),
            parent_id: None,
            boundary: grid_registry::domain::geometry::polygon(
                "b",
                std::slice::from_ref(&g.boundary),
            )
            .expect("valid"),
            version: 1,
        })
        .collect();
    let snapshot = Snapshot::build(nodes);
    let mut points = Points(0x9E37_79B9_7F4A_7C15, town_box(town));
    let lookups = 2_000_000;
    let started = Instant::now();
    let mut inside = 0;
    for _ in 0..lookups {
        if let Resolution::Inside { .. } = snapshot.resolve(points.next()) {
            inside += 1;
        }
    }
    (lookups as f64 / started.elapsed().as_secs_f64(), inside)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let town = langxia::generate();
    println!(
        "ResolveLocation benchmark: Langxia, {} micro-grids",
        town.grids
            .iter()
            .filter(|g| g.level == langxia::Level::Micro)
            .count()
    );
    let (rate, inside) = in_process(&town);
    println!(
        "in process (spatial index only):  {rate:>12.0} lookups/s  ({inside} of 2000000 points inside a micro-grid)"
    );

    // A database of the benchmark's own, dropped at the end.
    let admin_url = std::env::var("DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let admin = PgPoolOptions::new()
        .max_connections(1)
        .connect(&admin_url)
        .await?;
    let name = format!("weigrid_bench_{}", std::process::id());
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&admin)
        .await?;
    let url = format!(
        "{}/{name}",
        admin_url
            .rsplit_once('/')
            .map(|(base, _)| base)
            .unwrap_or(&admin_url)
    );
    let pool = PgPoolOptions::new()
        .max_connections(10)
        .connect(&url)
        .await?;

    let mut app = TestApp::spawn_with(
        pool.clone(),
        test_config(&platform::testing::unique_prefix(), &[]),
    )
    .await;
    let mut client = app.operator().await;
    for grid in &town.grids {
        let level = pb::GridLevel::from_str_name(&format!("GRID_LEVEL_{}", grid.level.as_str()))
            .unwrap_or_default();
        client
            .create_grid(pb::CreateGridRequest {
                code: grid.code.clone(),
                name: grid.name.clone(),
                level: level.into(),
                parent_code: grid.parent_code.clone().unwrap_or_default(),
                boundary: Some(pb::Polygon {
                    exterior: Some(pb::Ring {
                        points: grid
                            .boundary
                            .iter()
                            .map(|&(lng, lat)| pb::LatLng { lat, lng })
                            .collect(),
                    }),
                    holes: vec![],
                }),
                households: grid.households.unwrap_or_default(),
                party_group: grid.party_group.clone().unwrap_or_default(),
                ..Default::default()
            })
            .await?;
    }

    let bbox = town_box(&town);
    let resolve_client = client.clone();
    let mut resolve = measure(move |i| {
        let mut client = resolve_client.clone();
        async move {
            let p = Points(0x9E37_79B9_7F4A_7C15 ^ (i + 1), bbox).next();
            let _ = client
                .resolve_location(pb::ResolveLocationRequest {
                    location: Some(pb::LatLng {
                        lat: p.y(),
                        lng: p.x(),
                    }),
                })
                .await;
        }
    })
    .await;

    // A bare tonic server: the health service alone, no layers.
    let (_reporter, health) = tonic_health::server::health_reporter();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let bare_addr = listener.local_addr()?;
    tokio::spawn(
        tonic::transport::Server::builder()
            .add_service(health)
            .serve_with_incoming(
                tonic::transport::server::TcpIncoming::from(listener).with_nodelay(Some(true)),
            ),
    );
    let channel = tonic::transport::Channel::from_shared(format!("http://{bare_addr}"))?
        .connect()
        .await?;
    let bare_client = HealthClient::new(channel);
    let mut bare = measure(move |_| {
        let mut client = bare_client.clone();
        async move {
            let _ = client
                .check(HealthCheckRequest {
                    service: String::new(),
                })
                .await;
        }
    })
    .await;

    println!(
        "over gRPC ({CONCURRENCY} in flight):          {:>12.0} lookups/s  p50 {:?}  p99 {:?}",
        resolve.rate(),
        resolve.percentile(0.5),
        resolve.percentile(0.99)
    );
    println!(
        "bare tonic empty call (same):      {:>12.0} calls/s    p50 {:?}  p99 {:?}",
        bare.rate(),
        bare.percentile(0.5),
        bare.percentile(0.99)
    );
    println!(
        "ratio ResolveLocation over gRPC / bare tonic call: {:.2}",
        resolve.rate() / bare.rate()
    );
    println!(
        "ratio in process / over gRPC:                      {:.1}",
        rate / resolve.rate()
    );
    let ratio = resolve.rate() / bare.rate();
    platform::bench::row(
        "ResolveLocation over gRPC (16 in flight)",
        &platform::bench::per_second(resolve.rate()),
        &format!(
            "bare tonic call {}",
            platform::bench::per_second(bare.rate())
        ),
        ratio,
        "≥ 0.80",
        Some(ratio >= 0.8),
    );

    app.shutdown().await;
    pool.close().await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
        "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
    )))
    .execute(&admin)
    .await;
    Ok(())
}
