//! Helpers for services' tests: a service served in a task that can stop
//! and start again ([`Served`]), a private subject prefix per test, a
//! private NATS server to stop and start, scratch databases and bounded
//! waiting.

use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use anyhow::Context as _;
use sqlx::PgPool;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::clock::SharedClock;
use crate::config::NatsConfig;
use crate::events::Bus;
use crate::service::Service;

/// Returns a fresh subject prefix, so parallel tests never see each other's
/// streams or events.
pub fn unique_prefix() -> String {
    format!("t{}", uuid::Uuid::now_v7().simple())
}

/// NATS settings for a test on the shared server (`WEIGRID__NATS__URL`, else
/// 127.0.0.1:4222) with a fresh prefix.
pub fn nats_config() -> NatsConfig {
    let url =
        std::env::var("WEIGRID__NATS__URL").unwrap_or_else(|_| "nats://127.0.0.1:4222".to_owned());
    NatsConfig::plain(&url, &unique_prefix())
}

/// Waits until `check` returns `Some`, polling every 50 ms, for at most
/// `timeout`.
///
/// # Panics
/// When the timeout passes: the test fails with `what`.
pub async fn eventually<T, F, Fut>(timeout: Duration, what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out after {timeout:?} waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A NATS server of the test's own, on a free port, that the test may stop
/// and start again (with the same port and data) to simulate an outage,
/// never touching the shared server.
pub struct PrivateNats {
    port: u16,
    dir: PathBuf,
    child: Option<Child>,
    /// A configuration of the test's own (accounts, permissions), with the
    /// variables it reads.
    config: Option<(PathBuf, Vec<(String, String)>)>,
}

impl PrivateNats {
    /// Starts a private server with JetStream.
    ///
    /// # Panics
    /// No `nats-server` binary (`WEIGRID_TEST_NATS_SERVER`, else on PATH).
    pub async fn start() -> Self {
        let port = free_port();
        let dir = std::env::temp_dir().join(format!("weigrid-nats-{}", unique_prefix()));
        let mut nats = Self {
            port,
            dir,
            child: None,
            config: None,
        };
        nats.resume().await;
        nats
    }

    /// Starts a private server with JetStream and `config` added to its
    /// configuration file (accounts, users, permissions), reading the
    /// variables `env` (a configuration's `$PASSWORD`s).
    pub async fn start_with_config(config: &str, env: &[(&str, &str)]) -> Self {
        let port = free_port();
        let dir = std::env::temp_dir().join(format!("weigrid-nats-{}", unique_prefix()));
        std::fs::create_dir_all(&dir).expect("a temporary directory");
        let file = dir.join("nats.conf");
        let store = dir.join("store");
        std::fs::write(
            &file,
            format!(
                "jetstream: {{ store_dir: \"{}\" }}\n{config}\n",
                store.display()
            ),
        )
        .expect("the configuration is written");
        let env = env
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        let mut nats = Self {
            port,
            dir,
            child: None,
            config: Some((file, env)),
        };
        nats.resume().await;
        nats
    }

    /// Returns the URL to connect to.
    pub fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }

    /// Stops the server and waits for it to exit.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the server again on the same port and data directory.
    pub async fn resume(&mut self) {
        let binary =
            std::env::var("WEIGRID_TEST_NATS_SERVER").unwrap_or_else(|_| "nats-server".to_owned());
        let mut command = Command::new(&binary);
        command.args(["-a", "127.0.0.1", "-p", &self.port.to_string()]);
        match &self.config {
            Some((file, env)) => {
                command.arg("-c").arg(file).envs(env.iter().cloned());
            }
            None => {
                command.args(["-js", "-sd"]).arg(&self.dir);
            }
        }
        let child = command
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("starting {binary} (set WEIGRID_TEST_NATS_SERVER): {e}"));
        self.child = Some(child);
        let port = self.port;
        eventually(
            Duration::from_secs(10),
            "the private NATS server to listen",
            || async move {
                tokio::net::TcpStream::connect(("127.0.0.1", port))
                    .await
                    .ok()
                    .map(|_| ())
            },
        )
        .await;
    }
}

impl Drop for PrivateNats {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Returns a free loopback TCP port (bound, then released, so that a
/// service can listen on it and keep it across restarts).
///
/// The port is taken below the kernel's ephemeral range
/// (`net.ipv4.ip_local_port_range`), where outgoing connections (the pools'
/// and the bus's, thousands in a parallel test run) never land, so nothing
/// takes it between its release here and the service's bind. A process never
/// hands out the same port twice.
pub fn free_port() -> u16 {
    use std::hash::{BuildHasher, RandomState};
    use std::sync::Mutex;
    static GIVEN: Mutex<Vec<u16>> = Mutex::new(Vec::new());
    const LOWEST: u16 = 10_000;
    let ephemeral_from = std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
        .ok()
        .and_then(|range| range.split_whitespace().next()?.parse::<u16>().ok())
        .filter(|&from| from > LOWEST + 1_000)
        .unwrap_or(32_768);
    let span = u64::from(ephemeral_from - LOWEST);
    let mut given = GIVEN
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let seed = RandomState::new().hash_one(std::process::id());
    for attempt in 0..span {
        let port = LOWEST
            + u16::try_from((seed.wrapping_add(attempt.wrapping_mul(7_919))) % span)
                .expect("below the ephemeral range");
        if given.contains(&port) {
            continue;
        }
        if std::net::TcpListener::bind(("127.0.0.1", port)).is_ok() {
            given.push(port);
            return port;
        }
    }
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("the OS hands out a free loopback port")
}

/// A database of a test's own, beside the one `#[sqlx::test]` gives it: for
/// a second service the test runs (a registry beside dispatch, dispatch
/// beside points). Created on the server of `DATABASE_URL`; dropped by
/// [`ScratchDatabase::drop_database`].
pub struct ScratchDatabase {
    pub pool: sqlx::PgPool,
    name: String,
    admin: sqlx::PgPool,
}

impl ScratchDatabase {
    /// Creates `weigrid_test_<purpose>_<uuid>` and connects to it.
    ///
    /// # Panics
    /// PostgreSQL is unreachable: a test cannot go on.
    pub async fn create(purpose: &str) -> Self {
        use sqlx::postgres::PgPoolOptions;
        let url = std::env::var("DATABASE_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
        let admin = PgPoolOptions::new()
            .max_connections(1)
            .connect(&url)
            .await
            .expect("admin connection");
        // Test databases' names stay within PostgreSQL's 63 characters.
        let name = format!("weigrid_test_{purpose}_{}", uuid::Uuid::now_v7().simple());
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE \"{name}\"")))
            .execute(&admin)
            .await
            .expect("the test database is created");
        let base = url.rsplit_once('/').map(|(base, _)| base).unwrap_or(&url);
        let pool = PgPoolOptions::new()
            .max_connections(5)
            .connect(&format!("{base}/{name}"))
            .await
            .expect("the test database accepts connections");
        Self { pool, name, admin }
    }

    /// Closes the pool and drops the database.
    pub async fn drop_database(self) {
        self.pool.close().await;
        let name = &self.name;
        let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
            "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
        )))
        .execute(&self.admin)
        .await;
    }
}

impl ScratchDatabase {
    /// Returns the URL a process connects to this database with.
    pub fn url(&self) -> String {
        let url = std::env::var("DATABASE_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
        let base = url.rsplit_once('/').map(|(base, _)| base).unwrap_or(&url);
        format!("{base}/{}", self.name)
    }
}

/// Returns the path of the workspace binary `name`: in `WEIGRID_BIN_DIR`
/// when it is set, else beside the running test's own executable
/// (`target/debug/deps/<test>` → `target/debug/<name>`), where a workspace
/// build (`make test`, `cargo build --bins`) puts it.
///
/// # Panics
/// The binary is not built: the message says how to build it.
pub fn workspace_binary(name: &str) -> PathBuf {
    let dir = match std::env::var_os("WEIGRID_BIN_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => std::env::current_exe()
            .ok()
            .and_then(|exe| exe.parent()?.parent().map(PathBuf::from))
            .expect("the test executable lies in target/<profile>/deps"),
    };
    let path = dir.join(name);
    assert!(
        path.is_file(),
        "{} is not built: run `cargo build --bin {name}` first (make test does), \
         or set WEIGRID_BIN_DIR to the directory that holds it",
        path.display()
    );
    path
}

/// A service's own binary run as a process for a test, as a deployment runs
/// it: configured only through `WEIGRID_<SERVICE>__…` variables (the test
/// kits' settings: development tokens, loopback, no metrics endpoint, a
/// private NATS prefix), asked for readiness over the gRPC health service,
/// stopped with SIGTERM (or killed, an outage without warning) and started
/// again with the same configuration. Dropping it kills the process.
///
/// A test kit runs the neighbours of the service under test this way, so
/// that no service's test build compiles another service.
pub struct ServiceProcess {
    binary: PathBuf,
    health: String,
    env: Vec<(String, String)>,
    addr: SocketAddr,
    child: Option<Child>,
    /// The file its log goes to, and the level.
    log: Option<(PathBuf, String)>,
}

impl ServiceProcess {
    /// Starts the workspace binary `binary` (configuration prefix
    /// `WEIGRID_<SERVICE>__` from `service`) listening on `addr`, over the
    /// database at `database_url`, on the NATS subject `prefix`, with
    /// `settings` (keys without the service's prefix, later ones winning),
    /// and waits until its health service reports `health` (e.g.
    /// `weigrid.registry.v1.RegistryService`) SERVING.
    ///
    /// # Panics
    /// The binary is missing, exits, or is not ready within 30 s.
    pub async fn start(
        binary: &str,
        service: &str,
        health: &str,
        addr: SocketAddr,
        database_url: &str,
        prefix: &str,
        settings: &[(&str, String)],
    ) -> Self {
        let mut process = Self::new(
            binary,
            service,
            health,
            addr,
            database_url,
            prefix,
            settings,
        );
        process.resume().await;
        process
    }

    /// Returns the process [`ServiceProcess::start`] starts, not started
    /// yet: [`ServiceProcess::log_to`] may send its log to a file first,
    /// [`ServiceProcess::resume`] starts it.
    ///
    /// # Panics
    /// The binary is missing.
    pub fn new(
        binary: &str,
        service: &str,
        health: &str,
        addr: SocketAddr,
        database_url: &str,
        prefix: &str,
        settings: &[(&str, String)],
    ) -> Self {
        let process = [
            ("DATABASE__URL", database_url.to_owned()),
            ("DATABASE__MIGRATE_AT_START", "true".to_owned()),
            ("GRPC__LISTEN", addr.to_string()),
            ("TELEMETRY__FORMAT", "json".to_owned()),
        ];
        let env = test_environment(service, prefix, &[&process, settings]).collect();
        Self {
            binary: workspace_binary(binary),
            health: health.to_owned(),
            env,
            addr,
            child: None,
            log: None,
        }
    }

    /// Sends the process's log, at `level` (a `RUST_LOG` filter), to the
    /// end of the file `path` rather than the test's output, for a test
    /// that reads it (a sweep for personal data).
    pub fn log_to(mut self, path: PathBuf, level: &str) -> Self {
        self.log = Some((path, level.to_owned()));
        self
    }

    /// Returns where the service listens.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Starts the process again after [`ServiceProcess::stop`] or
    /// [`ServiceProcess::kill`], with the same configuration, and waits
    /// until it is ready. Its log (warnings and above, or what
    /// `WEIGRID_TEST_CHILD_LOG` says as `RUST_LOG`) joins the test's output,
    /// unless [`ServiceProcess::log_to`] sent it to a file.
    ///
    /// # Panics
    /// As [`ServiceProcess::start`].
    pub async fn resume(&mut self) {
        assert!(self.child.is_none(), "the process is already running");
        let mut command = Command::new(&self.binary);
        command.envs(self.env.iter().cloned()).stdin(Stdio::null());
        match &self.log {
            Some((path, level)) => {
                let file = std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(path)
                    .unwrap_or_else(|e| panic!("opening the log {}: {e}", path.display()));
                let copy = file.try_clone().expect("a log file handle is cloned");
                command.env("RUST_LOG", level).stdout(file).stderr(copy);
            }
            None => {
                command.env(
                    "RUST_LOG",
                    std::env::var("WEIGRID_TEST_CHILD_LOG").unwrap_or("warn".into()),
                );
            }
        }
        let child = command
            .spawn()
            .unwrap_or_else(|e| panic!("starting {}: {e}", self.binary.display()));
        self.child = Some(child);
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(child) = self.child.as_mut()
                && let Ok(Some(status)) = child.try_wait()
            {
                self.child = None;
                panic!("{} exited at start: {status}", self.binary.display());
            }
            if self.serving().await {
                return;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "{} was not ready within 30 s",
                self.binary.display()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Asks the health service whether the service is SERVING.
    async fn serving(&self) -> bool {
        serving(self.addr, &self.health).await
    }

    /// Stops the service as Kubernetes does (SIGTERM) and waits for it to
    /// exit; kills it after 10 s.
    pub async fn stop(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        let _ = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        while tokio::time::Instant::now() < deadline {
            if let Ok(Some(_)) = child.try_wait() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let _ = child.kill();
        let _ = child.wait();
    }

    /// Kills the service without warning (SIGKILL) and reaps it.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for ServiceProcess {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Returns the text of the `/metrics` endpoint on the loopback `port`,
/// waiting up to 5 s for it to answer.
pub async fn scrape_metrics(port: u16) -> String {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    eventually(
        Duration::from_secs(5),
        "the metrics endpoint",
        || async move {
            let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .ok()?;
            stream
                .write_all(b"GET /metrics HTTP/1.0\r\nHost: localhost\r\n\r\n")
                .await
                .ok()?;
            let mut body = String::new();
            stream.read_to_string(&mut body).await.ok()?;
            Some(body)
        },
    )
    .await
}

/// Asks the health service at `addr` whether `health` (e.g.
/// `weigrid.registry.v1.RegistryService`) is SERVING; `false` when nothing
/// answers within a second.
pub async fn serving(addr: SocketAddr, health: &str) -> bool {
    use tonic_health::pb::health_client::HealthClient;
    use tonic_health::pb::{HealthCheckRequest, health_check_response::ServingStatus};
    let Ok(endpoint) = tonic::transport::Endpoint::from_shared(format!("http://{addr}")) else {
        return false;
    };
    let Ok(channel) = endpoint
        .connect_timeout(Duration::from_millis(500))
        .timeout(Duration::from_secs(1))
        .connect()
        .await
    else {
        return false;
    };
    HealthClient::new(channel)
        .check(HealthCheckRequest {
            service: health.to_owned(),
        })
        .await
        .is_ok_and(|answer| answer.into_inner().status() == ServingStatus::Serving)
}

/// Returns the `WEIGRID_<SERVICE>__…` variables of a test instance:
/// development tokens, no metrics endpoint, NATS at `WEIGRID__NATS__URL`
/// (else 127.0.0.1:4222) under `prefix`, a quick outbox relay; then each of
/// `layers` (keys without the service's prefix), later ones winning.
fn test_environment(
    service: &str,
    prefix: &str,
    layers: &[&[(&str, String)]],
) -> impl Iterator<Item = (String, String)> {
    let nats =
        std::env::var("WEIGRID__NATS__URL").unwrap_or_else(|_| "nats://127.0.0.1:4222".into());
    let base = [
        ("AUTH__MODE", "dev".to_owned()),
        ("METRICS__ENABLED", "false".to_owned()),
        ("NATS__PREFIX", prefix.to_owned()),
        ("NATS__URL", nats),
        ("OUTBOX__POLL_INTERVAL", "50ms".to_owned()),
    ];
    let upper = service.to_uppercase();
    let settings: Vec<(String, String)> = base
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .chain(
            layers
                .iter()
                .flat_map(|layer| layer.iter().map(|(k, v)| ((*k).to_owned(), v.clone()))),
        )
        .map(|(k, v)| (format!("WEIGRID_{upper}__{k}"), v))
        .collect();
    settings.into_iter()
}

/// Loads `service`'s configuration for a test instance: a free port, no
/// metrics endpoint, NATS at `WEIGRID__NATS__URL` (else 127.0.0.1:4222)
/// under `prefix`, a quick outbox relay; then `settings`, keys without the
/// service's prefix (e.g. `("CAPS__DAILY", "25")`), later ones winning.
///
/// # Panics
/// The result is not a valid configuration: the test is wrong.
pub fn service_config<T: serde::de::DeserializeOwned + crate::config::Validate>(
    service: &str,
    defaults: &str,
    prefix: &str,
    settings: &[(&str, String)],
) -> T {
    let listen = [("GRPC__LISTEN", "127.0.0.1:0".to_owned())];
    let env: std::collections::HashMap<String, String> =
        test_environment(service, prefix, &[&listen, settings]).collect();
    crate::config::load_from(service, defaults, &env).expect("test configuration is valid")
}

/// A service served for a test: `S` over a migrated pool, with the test's
/// configuration (a free port, a private NATS prefix) and clock, in a task
/// that a stop channel ends, as SIGTERM would. It can be stopped (an
/// outage) and started again on the same database, port and prefix;
/// dropping it asks the service to stop.
pub struct Served<S: Service> {
    config: S::Config,
    pool: PgPool,
    clock: SharedClock,
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<anyhow::Result<()>>>,
}

impl<S: Service> Served<S> {
    /// Migrates `pool` and serves `S` on it with `config` and `clock`.
    ///
    /// # Panics
    /// The migrations fail, the NATS settings are unusable or the service
    /// does not build: the test cannot go on.
    pub async fn start(pool: PgPool, config: S::Config, clock: SharedClock) -> Self {
        Self::try_start(pool, config, clock)
            .await
            .unwrap_or_else(|err| panic!("{} starts: {err:#}", S::NAME))
    }

    /// Starts as [`Served::start`] does, for tools that report a failure
    /// rather than panic.
    ///
    /// # Errors
    /// The migrations fail, the NATS settings are unusable or the service
    /// does not build.
    pub async fn try_start(
        pool: PgPool,
        config: S::Config,
        clock: SharedClock,
    ) -> anyhow::Result<Self> {
        crate::telemetry::init_for_tests();
        crate::db::migrate(&pool, S::MIGRATOR)
            .await
            .context("applying the migrations")?;
        let mut served = Self {
            config,
            pool,
            clock,
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            stop: None,
            task: None,
        };
        served.serve().await?;
        Ok(served)
    }

    /// Returns the address the service listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Returns the configuration the service runs with.
    pub fn config(&self) -> &S::Config {
        &self.config
    }

    /// Asks the service to stop, as SIGTERM does, and waits until it has;
    /// returns how it ended (`Ok` when it was not running).
    ///
    /// # Errors
    /// The service failed while running or stopping, or its task panicked.
    pub async fn stop(&mut self) -> anyhow::Result<()> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        match self.task.take() {
            Some(task) => task.await.context("the service's task ended abnormally")?,
            None => Ok(()),
        }
    }

    /// Starts the service again (stopping it first if it runs), on the same
    /// database, port and prefix.
    ///
    /// # Panics
    /// The service does not build, e.g. its port was taken meanwhile.
    pub async fn restart(&mut self) {
        let _ = self.stop().await;
        S::shared_mut(&mut self.config).grpc.listen = self.addr;
        self.serve()
            .await
            .unwrap_or_else(|err| panic!("{} starts again: {err:#}", S::NAME));
    }

    async fn serve(&mut self) -> anyhow::Result<()> {
        let bus = Bus::connect(&S::shared(&self.config).nats).await?;
        let app = S::from_parts(
            self.config.clone(),
            self.pool.clone(),
            bus,
            self.clock.clone(),
        )
        .await?;
        self.addr = app.local_addr();
        let (stop, stopped) = oneshot::channel();
        self.task = Some(tokio::spawn(app.run_until_stopped(async {
            let _ = stopped.await;
        })));
        self.stop = Some(stop);
        Ok(())
    }
}

impl<S: Service> Drop for Served<S> {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// The development secret every service's `config/default.toml` holds
/// (with `auth.mode = "dev"`, as the test kits configure).
pub const DEV_SECRET: &str = "weigrid-development-secret-not-for-production";

/// Returns a development token of `subject` acting as `role` in `scope`,
/// valid for an hour: what every test kit's clients send.
pub fn token(subject: &str, role: crate::auth::Role, scope: Option<&str>) -> String {
    crate::auth::DevIssuer::new(DEV_SECRET, "weigrid-dev", "weigrid").issue(
        subject,
        role,
        scope,
        Duration::from_secs(3600),
    )
}

/// One RPC as the server's reflection service lists it.
#[derive(Debug, Clone)]
struct Reflected {
    name: String,
    client_streaming: bool,
    server_streaming: bool,
}

/// Lists the RPCs of `service` that the server at `addr` serves, through
/// its reflection service.
async fn reflected_methods(addr: SocketAddr, service: &str) -> Vec<Reflected> {
    use prost::Message as _;
    use tonic_reflection::pb::v1::ServerReflectionRequest;
    use tonic_reflection::pb::v1::server_reflection_client::ServerReflectionClient;
    use tonic_reflection::pb::v1::server_reflection_request::MessageRequest;
    use tonic_reflection::pb::v1::server_reflection_response::MessageResponse;

    let channel = tonic::transport::Endpoint::from_shared(format!("http://{addr}"))
        .expect("an endpoint")
        .connect()
        .await
        .expect("the reflection service answers");
    let mut client = ServerReflectionClient::new(channel);
    let ask = |request| ServerReflectionRequest {
        host: String::new(),
        message_request: Some(request),
    };
    let requests = futures::stream::iter([
        ask(MessageRequest::ListServices(String::new())),
        ask(MessageRequest::FileContainingSymbol(service.to_owned())),
    ]);
    let mut answers = client
        .server_reflection_info(requests)
        .await
        .expect("reflection answers")
        .into_inner();
    let mut listed = false;
    let mut methods = Vec::new();
    while let Some(answer) = futures::StreamExt::next(&mut answers).await {
        match answer.expect("a reflection answer").message_response {
            Some(MessageResponse::ListServicesResponse(list)) => {
                listed = list.service.iter().any(|s| s.name == service);
            }
            Some(MessageResponse::FileDescriptorResponse(files)) => {
                for bytes in files.file_descriptor_proto {
                    let file = prost_types::FileDescriptorProto::decode(bytes.as_slice())
                        .expect("a file descriptor");
                    let package = file.package().to_owned();
                    for found in &file.service {
                        if format!("{package}.{}", found.name()) != service {
                            continue;
                        }
                        methods.extend(found.method.iter().map(|m| Reflected {
                            name: m.name().to_owned(),
                            client_streaming: m.client_streaming(),
                            server_streaming: m.server_streaming(),
                        }));
                    }
                }
            }
            other => panic!("reflection answered {other:?}"),
        }
    }
    assert!(listed, "reflection lists {service}");
    methods
}

/// Calls `method` of `service` at `addr` with an empty request as `token`,
/// and returns whether the role matrix refused it.
async fn refused_by_policy(
    channel: tonic::transport::Channel,
    service: &str,
    method: &Reflected,
    token: &str,
) -> bool {
    use tonic::codegen::http::uri::PathAndQuery;
    let path: PathAndQuery = format!("/{service}/{}", method.name)
        .parse()
        .expect("a method path");
    let mut grpc = tonic::client::Grpc::new(channel);
    grpc.ready().await.expect("the channel is ready");
    let codec = tonic_prost::ProstCodec::<(), ()>::default();
    let bearer: tonic::metadata::MetadataValue<_> =
        format!("Bearer {token}").parse().expect("a header value");
    let status = match (method.client_streaming, method.server_streaming) {
        (false, false) => {
            let mut request = tonic::Request::new(());
            request.metadata_mut().insert("authorization", bearer);
            grpc.unary(request, path, codec).await.err()
        }
        (false, true) => {
            let mut request = tonic::Request::new(());
            request.metadata_mut().insert("authorization", bearer);
            grpc.server_streaming(request, path, codec).await.err()
        }
        (true, false) => {
            let mut request = tonic::Request::new(futures::stream::empty::<()>());
            request.metadata_mut().insert("authorization", bearer);
            grpc.client_streaming(request, path, codec).await.err()
        }
        (true, true) => {
            let mut request = tonic::Request::new(futures::stream::empty::<()>());
            request.metadata_mut().insert("authorization", bearer);
            grpc.streaming(request, path, codec).await.err()
        }
    };
    status.is_some_and(|s| s.metadata().get(crate::authz::REFUSED_BY_POLICY).is_some())
}

/// Checks the role matrix of the served `S` cell by cell: lists the RPCs
/// its reflection service serves, checks that its policy has a rule for
/// each, and calls every RPC once as every role (scoped roles with a
/// scope), with an empty request. The matrix must refuse exactly the cells
/// the policy denies; what an allowed call then does (an INVALID_ARGUMENT
/// for the empty request, a scope refusal by the use case) is the use
/// case's. Returns the matrix as a Markdown table.
///
/// # Panics
/// An RPC without a rule, or every cell that differs from the policy.
pub async fn assert_policy<S: Service>(served: &Served<S>) -> String {
    use crate::auth::Role;
    let policy = crate::authz::Policy::new(S::HEALTH_SERVICE, S::POLICY, S::FILE_DESCRIPTOR_SET)
        .unwrap_or_else(|err| panic!("{err}"));
    let methods = reflected_methods(served.addr(), S::HEALTH_SERVICE).await;
    let served_names: Vec<_> = methods.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(
        served_names,
        policy
            .methods()
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
        "every RPC served has a rule"
    );
    let channel = tonic::transport::Endpoint::from_shared(format!("http://{}", served.addr()))
        .expect("an endpoint")
        .connect()
        .await
        .expect("the service answers");
    let mut wrong = Vec::new();
    for method in &methods {
        for role in Role::ALL {
            let scope = match role {
                Role::WorkstationStaff
                | Role::MicroGridLeader
                | Role::Member
                | Role::DepartmentOfficer => Some("LX-V01"),
                _ => None,
            };
            let token = token(&format!("matrix-{}", role.as_str()), role, scope);
            let refused = tokio::time::timeout(
                Duration::from_secs(10),
                refused_by_policy(channel.clone(), S::HEALTH_SERVICE, method, &token),
            )
            .await
            .unwrap_or_else(|_| panic!("{} as {role} answers in time", method.name));
            let allowed = policy.allows(&method.name, role);
            if refused == allowed {
                wrong.push(format!(
                    "{} as {role}: the policy {} it, the server {}",
                    method.name,
                    if allowed { "allows" } else { "denies" },
                    if refused { "refused" } else { "did not refuse" },
                ));
            }
        }
    }
    assert!(wrong.is_empty(), "cells that differ:\n{}", wrong.join("\n"));
    policy.matrix()
}

/// A certificate authority of a test's own, with a server certificate (for
/// `localhost` and 127.0.0.1) and a client certificate it signed, written
/// as PEM files into a directory: for TLS and mutual TLS on loopback.
#[derive(Debug, Clone)]
pub struct TestPki {
    pub ca: PathBuf,
    pub server_cert: PathBuf,
    pub server_key: PathBuf,
    pub client_cert: PathBuf,
    pub client_key: PathBuf,
}

impl TestPki {
    /// Writes a CA, a server certificate and a client certificate named
    /// `client` into `dir`.
    ///
    /// # Panics
    /// The keys cannot be made or the files written.
    pub fn write(dir: &std::path::Path, client: &str) -> Self {
        use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};
        std::fs::create_dir_all(dir).expect("the directory is made");
        let ca_key = KeyPair::generate().expect("a CA key");
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("CA parameters");
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let ca_cert = ca_params.self_signed(&ca_key).expect("the CA signs itself");
        let issuer = Issuer::from_params(&ca_params, &ca_key);
        let issue = |names: &[&str]| {
            let key = KeyPair::generate().expect("a key");
            let names: Vec<String> = names.iter().map(|n| (*n).to_owned()).collect();
            let cert = CertificateParams::new(names)
                .expect("certificate parameters")
                .signed_by(&key, &issuer)
                .expect("the CA signs");
            (cert.pem(), key.serialize_pem())
        };
        let write = |file: &str, text: &str| {
            let path = dir.join(file);
            std::fs::write(&path, text).expect("a PEM file is written");
            path
        };
        let (server_cert, server_key) = issue(&["localhost", "127.0.0.1"]);
        let (client_cert, client_key) = issue(&[client]);
        Self {
            ca: write("ca.pem", &ca_cert.pem()),
            server_cert: write("server.pem", &server_cert),
            server_key: write("server.key", &server_key),
            client_cert: write("client.pem", &client_cert),
            client_key: write("client.key", &client_key),
        }
    }
}
