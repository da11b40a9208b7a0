//! The event bus: NATS with JetStream, streams declared in code, and the
//! subject prefix that keeps tests apart.

use std::borrow::Cow;
use std::time::Duration;

use anyhow::Context as _;
use async_nats::jetstream;

use crate::config::NatsConfig;

/// A stream one bounded context publishes to, e.g. `REGISTRY` over `registry.>`.
#[derive(Debug, Clone)]
pub struct StreamSpec {
    /// Upper-case context name, e.g. `REGISTRY`.
    pub name: Cow<'static, str>,
    /// Subject root, e.g. `registry`; the stream takes `registry.>`.
    pub subject_root: Cow<'static, str>,
}

impl StreamSpec {
    /// Returns the spec of a stream known at build time.
    pub const fn fixed(name: &'static str, subject_root: &'static str) -> Self {
        Self {
            name: Cow::Borrowed(name),
            subject_root: Cow::Borrowed(subject_root),
        }
    }
}

/// How long JetStream remembers a `Nats-Msg-Id` to drop a re-sent event.
/// The relay re-sends only rows whose commit failed after publishing, within
/// seconds; the inbox covers anything older.
const DUPLICATE_WINDOW: Duration = Duration::from_secs(10 * 60);

/// What [`Bus::publish_acknowledged`] stored.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PublishedBatch {
    /// Events JetStream acknowledged (all of them).
    pub stored: u32,
    /// Of those, events it already had.
    pub duplicates: u32,
}

/// A connection to NATS and JetStream, with the configured prefix and the
/// streams' and consumers' limits.
#[derive(Clone)]
pub struct Bus {
    client: async_nats::Client,
    jetstream: jetstream::Context,
    prefix: String,
    limits: StreamLimits,
}

/// How streams are kept and how often an event is retried.
#[derive(Debug, Clone, Copy)]
struct StreamLimits {
    replicas: usize,
    max_age: Duration,
    max_bytes: i64,
    max_deliveries: i64,
}

impl Bus {
    /// Connects to NATS. When NATS is down the connection keeps retrying in
    /// the background and the service starts anyway: writes go to the outbox
    /// and are published once NATS returns.
    ///
    /// # Errors
    /// The URL is malformed.
    pub async fn connect(config: &NatsConfig) -> anyhow::Result<Self> {
        let mut options = async_nats::ConnectOptions::new()
            .custom_inbox_prefix(config.inbox_prefix.clone())
            .retry_on_initial_connect()
            .connection_timeout(Duration::from_secs(2))
            .max_reconnects(None);
        if let (Some(user), Some(password)) = (&config.user, &config.password) {
            use secrecy::ExposeSecret as _;
            options = options.user_and_password(user.clone(), password.expose_secret().to_owned());
        }
        if let Some(path) = &config.nkey_seed_path {
            let seed = std::fs::read_to_string(path)
                .with_context(|| format!("reading the NKey seed {}", path.display()))?;
            options = options.nkey(seed.trim().to_owned());
        }
        if let Some(path) = &config.credentials_path {
            options = options
                .credentials_file(path)
                .await
                .with_context(|| format!("reading the NATS credentials {}", path.display()))?;
        }
        if let Some(ca) = &config.tls_ca_path {
            options = options.require_tls(true).add_root_certificates(ca.clone());
        }
        if let (Some(cert), Some(key)) = (&config.tls_cert_path, &config.tls_key_path) {
            options = options.add_client_certificate(cert.clone(), key.clone());
        }
        let servers: Vec<&str> = config.url.split(',').map(str::trim).collect();
        let client = options
            .connect(servers.as_slice())
            .await
            .with_context(|| format!("connecting to NATS at {}", config.url))?;
        let mut jetstream = jetstream::new(client.clone());
        jetstream.set_timeout(config.ack_timeout);
        Ok(Self {
            client,
            jetstream,
            prefix: config.prefix.clone(),
            limits: StreamLimits {
                replicas: config.stream_replicas,
                max_age: config.stream_max_age,
                max_bytes: config.stream_max_bytes,
                max_deliveries: config.max_deliveries,
            },
        })
    }

    /// Returns how many times a consumer is given one event before it sets
    /// it aside.
    pub fn max_deliveries(&self) -> i64 {
        self.limits.max_deliveries
    }

    /// Returns the JetStream context.
    pub fn jetstream(&self) -> &jetstream::Context {
        &self.jetstream
    }

    /// Returns whether the connection to NATS is up.
    pub fn is_connected(&self) -> bool {
        self.client.connection_state() == async_nats::connection::State::Connected
    }

    /// Returns `subject` under this bus's prefix (`registry.grid.created`,
    /// or `t1a2b.registry.grid.created` in a test).
    pub fn subject(&self, subject: &str) -> String {
        if self.prefix.is_empty() {
            subject.to_owned()
        } else {
            format!("{}.{subject}", self.prefix)
        }
    }

    /// Returns `subject` without this bus's prefix.
    pub fn strip_prefix<'a>(&self, subject: &'a str) -> &'a str {
        if self.prefix.is_empty() {
            subject
        } else {
            subject
                .strip_prefix(&self.prefix)
                .and_then(|s| s.strip_prefix('.'))
                .unwrap_or(subject)
        }
    }

    /// Returns the stream name under this bus's prefix.
    pub fn stream_name(&self, spec: &StreamSpec) -> String {
        if self.prefix.is_empty() {
            spec.name.to_string()
        } else {
            format!("{}_{}", self.prefix, spec.name)
        }
    }

    /// Publishes `events` directly (not through an outbox), each with its
    /// event id as `Nats-Msg-Id` and its headers, and waits until JetStream
    /// has acknowledged every one: only then are they stored. Returns how
    /// many JetStream already had (the same id within its duplicate
    /// window). For intake whose sender keeps an event until it is
    /// acknowledged, so that nothing acknowledged is lost.
    ///
    /// # Errors
    /// NATS is away or JetStream did not store one of them (some may be
    /// stored: sending them again is safe, by their ids).
    pub async fn publish_acknowledged(
        &self,
        events: &[crate::outbox::OutboxEvent],
    ) -> anyhow::Result<PublishedBatch> {
        anyhow::ensure!(self.is_connected(), "NATS is not connected");
        let mut pending = Vec::with_capacity(events.len());
        for event in events {
            let mut headers = async_nats::HeaderMap::new();
            headers.insert(
                async_nats::header::NATS_MESSAGE_ID,
                event.event_id.to_string().as_str(),
            );
            for (key, value) in &event.headers {
                headers.insert(key.as_str(), value.as_str());
            }
            let ack = self
                .jetstream
                .publish_with_headers(
                    self.subject(&event.subject),
                    headers,
                    event.payload.clone().into(),
                )
                .await
                .with_context(|| format!("publishing {}", event.subject))?;
            pending.push(std::future::IntoFuture::into_future(ack));
        }
        let mut batch = PublishedBatch::default();
        for ack in futures::future::join_all(pending).await {
            let ack = ack.context("JetStream did not acknowledge an event")?;
            batch.stored += 1;
            if ack.duplicate {
                batch.duplicates += 1;
            }
        }
        Ok(batch)
    }

    /// Declares `spec`'s stream (file storage, duplicate window, the
    /// configured replicas, age and size limits), creating it or updating
    /// its configuration.
    ///
    /// # Errors
    /// JetStream unreachable or refusing the configuration.
    pub async fn ensure_stream(
        &self,
        spec: &StreamSpec,
    ) -> anyhow::Result<jetstream::stream::Stream> {
        let config = jetstream::stream::Config {
            name: self.stream_name(spec),
            subjects: vec![self.subject(&format!("{}.>", spec.subject_root))],
            duplicate_window: DUPLICATE_WINDOW,
            storage: jetstream::stream::StorageType::File,
            num_replicas: self.limits.replicas,
            max_age: self.limits.max_age,
            max_bytes: if self.limits.max_bytes == 0 {
                -1
            } else {
                self.limits.max_bytes
            },
            ..Default::default()
        };
        let stream = self
            .jetstream
            .get_or_create_stream(config.clone())
            .await
            .with_context(|| format!("declaring stream {}", self.stream_name(spec)))?;
        // A stream declared by an earlier release keeps its old limits
        // unless they are brought up to the configured ones.
        let current = &stream.cached_info().config;
        if current.max_age != config.max_age
            || current.max_bytes != config.max_bytes
            || current.num_replicas != config.num_replicas
            || current.subjects != config.subjects
        {
            self.jetstream
                .update_stream(config)
                .await
                .with_context(|| format!("updating stream {}", self.stream_name(spec)))?;
        }
        Ok(stream)
    }
}
