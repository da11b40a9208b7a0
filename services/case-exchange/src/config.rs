//! The case-exchange configuration: the shared sections and its own (the
//! node, the peer port, the exchange's deadlines).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use platform::config::{ServerTlsConfig, ServiceConfig, Validate, Violations};
use serde::Deserialize;

use crate::domain::delivery::Deadlines;
use crate::domain::node::NodeId;

/// Defaults embedded at build time.
pub const DEFAULTS: &str = include_str!("../config/default.toml");

/// Everything case-exchange reads at start.
#[derive(Debug, Clone, Deserialize)]
pub struct ExchangeConfig {
    #[serde(flatten)]
    pub service: ServiceConfig,
    pub node: NodeConfig,
    pub peer_port: PeerPortConfig,
    pub exchange: Rules,
}

/// This node: its identity, signing key and allow-list.
#[derive(Debug, Clone, Deserialize)]
pub struct NodeConfig {
    pub id: String,
    pub signing_key_path: PathBuf,
    pub peers_path: PathBuf,
}

/// The mutually authenticated port for peer nodes.
#[derive(Debug, Clone, Deserialize)]
pub struct PeerPortConfig {
    pub listen: SocketAddr,
    pub cert_path: PathBuf,
    pub key_path: PathBuf,
    pub client_ca_path: PathBuf,
    #[serde(with = "humantime_serde")]
    pub connect_timeout: Duration,
    #[serde(with = "humantime_serde")]
    pub request_timeout: Duration,
}

impl PeerPortConfig {
    /// Returns the port's server TLS, as the platform serves it: mutual,
    /// trusting the peers' CAs.
    pub fn server_tls(&self) -> ServerTlsConfig {
        ServerTlsConfig {
            cert_path: self.cert_path.clone(),
            key_path: self.key_path.clone(),
            client_ca_path: Some(self.client_ca_path.clone()),
        }
    }
}

/// Skew, deadlines and retries.
#[derive(Debug, Clone, Deserialize)]
pub struct Rules {
    #[serde(with = "humantime_serde")]
    pub max_skew: Duration,
    #[serde(with = "humantime_serde")]
    pub receipt_deadline: Duration,
    #[serde(with = "humantime_serde")]
    pub answer_deadline: Duration,
    pub warning_fraction: f64,
    #[serde(with = "humantime_serde")]
    pub deadline_interval: Duration,
    #[serde(with = "humantime_serde")]
    pub retry_min_delay: Duration,
    #[serde(with = "humantime_serde")]
    pub retry_max_delay: Duration,
    pub failure_category: String,
    /// How long a recipient of an alert has to acknowledge it before it
    /// is escalated.
    #[serde(with = "humantime_serde")]
    pub alert_ack_deadline: Duration,
}

impl Rules {
    /// Returns the delivery deadlines.
    pub fn deadlines(&self) -> Deadlines {
        let span = |d: Duration| chrono::Duration::from_std(d).unwrap_or(chrono::Duration::MAX);
        Deadlines {
            receipt: span(self.receipt_deadline),
            answer: span(self.answer_deadline),
            warning_fraction: self.warning_fraction,
        }
    }
}

fn check_file(v: &mut Violations, key: &str, path: &std::path::Path) {
    if !path.is_file() {
        v.add(
            key,
            format!(
                "must name a readable file ({} not found; `case-exchange dev-pki` makes development ones)",
                path.display()
            ),
        );
    }
}

impl Validate for ExchangeConfig {
    fn validate(&self, v: &mut Violations) {
        self.service.validate(v);
        v.check(
            NodeId::parse(&self.node.id).is_some(),
            "node.id",
            "must be province/county/town/service, each 1-40 lowercase letters, digits or dashes",
        );
        check_file(v, "node.signing_key_path", &self.node.signing_key_path);
        check_file(v, "node.peers_path", &self.node.peers_path);
        check_file(v, "peer_port.cert_path", &self.peer_port.cert_path);
        check_file(v, "peer_port.key_path", &self.peer_port.key_path);
        check_file(
            v,
            "peer_port.client_ca_path",
            &self.peer_port.client_ca_path,
        );
        v.check(
            self.peer_port.listen != self.service.grpc.listen || self.peer_port.listen.port() == 0,
            "peer_port.listen",
            "must differ from grpc.listen: peers never reach the local API",
        );
        let r = &self.exchange;
        v.check(
            r.max_skew >= Duration::from_secs(1) && r.max_skew <= Duration::from_secs(3600),
            "exchange.max_skew",
            "must be between 1s and 1h",
        );
        v.check(
            r.receipt_deadline >= Duration::from_secs(1),
            "exchange.receipt_deadline",
            "must be at least 1s",
        );
        v.check(
            r.answer_deadline >= Duration::from_secs(1),
            "exchange.answer_deadline",
            "must be at least 1s",
        );
        v.check(
            r.warning_fraction > 0.0 && r.warning_fraction < 1.0,
            "exchange.warning_fraction",
            "must be between 0 and 1, exclusive",
        );
        v.check(
            r.deadline_interval >= Duration::from_millis(10),
            "exchange.deadline_interval",
            "must be at least 10ms",
        );
        v.check(
            r.retry_min_delay >= Duration::from_millis(10)
                && r.retry_max_delay >= r.retry_min_delay,
            "exchange.retry_min_delay",
            "must be at least 10ms and at most exchange.retry_max_delay",
        );
        v.check(
            !r.failure_category.trim().is_empty(),
            "exchange.failure_category",
            "must name a dispatch category",
        );
    }
}
