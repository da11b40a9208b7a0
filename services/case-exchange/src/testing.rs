//! The case-exchange test kit: the three towns' nodes (Langxia, Guangchen,
//! Xindai) on loopback, each over its own database and NATS prefix, with
//! the development PKI made for the test, one manual clock, a typed client
//! per node (`node.report(..)`, `node.accept(..)`, `node.case(..)`), and a
//! raw sender for crafting envelopes the way a peer (or an impostor) would.
//! Compiled only with the `testkit` feature.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use platform::auth::Role;
use platform::clock::ManualClock;
use platform::grpc::client::Outgoing;
use platform::testing::{ScratchDatabase, Served, eventually, unique_prefix};
use proto::exchange::v1 as pb;
use proto::exchange::v1::exchange_service_client::ExchangeServiceClient;
use sqlx::PgPool;
use tonic::Status;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;

use crate::config::DEFAULTS;
use crate::domain::envelope::{Attempt, Envelope, Receipt};
use crate::domain::node::NodeId;
use crate::peers::{PeerClient, SendError};
use crate::pki::{DevTown, Identity, dev_pki, dev_towns, read_signing_key};
use crate::{App, ExchangeConfig};

/// An exchange client sending a bearer token.
pub type Client = ExchangeServiceClient<InterceptedService<Channel, Outgoing>>;

/// How long a test waits for a peer to catch up.
pub const PATIENCE: Duration = Duration::from_secs(30);

/// The towns, in the order [`Federation`] holds them.
pub const LANGXIA: usize = 0;
pub const GUANGCHEN: usize = 1;
pub const XINDAI: usize = 2;

/// Returns flow 7's joint mediation, scheduled three days after the
/// start: a mediator from each side, and the parties.
pub fn flow7_mediation(
    shared_id: &str,
    a: &TestNode,
    b: &TestNode,
) -> pb::ScheduleMediationRequest {
    let mediator = |name: &str, node: &TestNode| pb::Party {
        role: "MEDIATOR".into(),
        name: name.into(),
        side: node.id(),
        ..Default::default()
    };
    pb::ScheduleMediationRequest {
        idempotency_key: format!("schedule-{shared_id}"),
        shared_id: shared_id.into(),
        scheduled_at: Some(platform::time::timestamp(
            start_time() + chrono::Duration::days(3),
        )),
        place: "毗邻党建联调室".into(),
        mediators: vec![mediator("李调解", a), mediator("陈人民", b)],
        parties: work_injury().summary.unwrap_or_default().parties,
    }
}

/// Returns the time the manual clock starts at.
pub fn start_time() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-03-02T01:00:00Z")
        .expect("a valid RFC 3339 time")
        .to_utc()
}

use platform::testing::free_port;

/// Configuration for the node of `town`; `overrides` are
/// `WEIGRID_EXCHANGE__…` keys without the prefix.
pub fn node_config(town: &DevTown, overrides: &[(&str, String)]) -> ExchangeConfig {
    let mut settings = node_settings(town);
    settings.extend([
        ("EXCHANGE__DEADLINE_INTERVAL", "50ms".to_owned()),
        ("EXCHANGE__RETRY_MIN_DELAY", "20ms".to_owned()),
        ("EXCHANGE__RETRY_MAX_DELAY", "300ms".to_owned()),
    ]);
    settings.extend_from_slice(overrides);
    platform::testing::service_config("exchange", DEFAULTS, &unique_prefix(), &settings)
}

/// The settings (`WEIGRID_EXCHANGE__…` keys without the prefix) that make
/// a node `town` of the development federation: its id, keys, allow-list
/// and peer port, with a 2 s request timeout to its peers.
pub fn node_settings(town: &DevTown) -> Vec<(&'static str, String)> {
    let path = |file: &str| town.dir.join(file).display().to_string();
    vec![
        ("NODE__ID", town.node.to_string()),
        ("NODE__SIGNING_KEY_PATH", path("signing.key")),
        ("NODE__PEERS_PATH", path("peers.toml")),
        ("PEER_PORT__LISTEN", town.peer_listen.to_string()),
        ("PEER_PORT__CERT_PATH", path("node.pem")),
        ("PEER_PORT__KEY_PATH", path("node.key")),
        ("PEER_PORT__CLIENT_CA_PATH", path("peers-ca.pem")),
        ("PEER_PORT__REQUEST_TIMEOUT", "2s".to_owned()),
    ]
}

/// Returns a client of the local API at `addr` with `token`.
fn client_at(addr: SocketAddr, token: &str) -> Client {
    let channel = Channel::from_shared(format!("http://{addr}"))
        .expect("a valid address")
        .connect_lazy();
    ExchangeServiceClient::with_interceptor(
        channel,
        Outgoing::bearer(token).expect("a valid token"),
    )
}

/// One town's node.
pub struct TestNode {
    pub town: DevTown,
    pub pool: PgPool,
    pub served: Served<App>,
    scratch: Option<ScratchDatabase>,
    desk: Client,
}

impl TestNode {
    /// Checks the node's role matrix cell by cell (see
    /// [`platform::testing::assert_policy`]); returns it as a table.
    pub async fn assert_policy(&self) -> String {
        platform::testing::assert_policy(&self.served).await
    }

    /// Returns the node's id.
    pub fn id(&self) -> String {
        self.town.node.to_string()
    }

    /// Returns the town desk's client (a town-centre operator).
    pub fn desk(&self) -> Client {
        self.desk.clone()
    }

    /// Returns a client with `token`.
    pub fn client(&self, token: &str) -> Client {
        client_at(self.served.addr(), token)
    }

    /// Reports a case to `peer`.
    pub async fn report(&self, peer: &TestNode, request: pb::ReportCaseRequest) -> pb::JointCase {
        self.try_report(peer, request)
            .await
            .expect("the case is reported")
    }

    /// Reports a case to `peer`.
    pub async fn try_report(
        &self,
        peer: &TestNode,
        mut request: pb::ReportCaseRequest,
    ) -> Result<pb::JointCase, Status> {
        request.peer_node = peer.id();
        Ok(self
            .desk()
            .report_case(request)
            .await?
            .into_inner()
            .case
            .expect("a case"))
    }

    /// Returns the case `id` as this node holds it.
    pub async fn case(&self, id: &str) -> pb::JointCase {
        self.try_case(id).await.expect("the case is here")
    }

    /// Returns the case `id` as this node holds it.
    pub async fn try_case(&self, id: &str) -> Result<pb::JointCase, Status> {
        Ok(self
            .desk()
            .get_case(pb::GetCaseRequest {
                shared_id: id.into(),
            })
            .await?
            .into_inner()
            .case
            .expect("a case"))
    }

    /// Waits until the case `id` is here at `version`.
    pub async fn wait_version(&self, id: &str, version: u32) -> pb::JointCase {
        eventually(
            PATIENCE,
            &format!("case at version {version} at {}", self.town.town),
            || async move {
                self.try_case(id)
                    .await
                    .ok()
                    .filter(|c| c.version == version)
            },
        )
        .await
    }

    /// Accepts the case `id`.
    pub async fn accept(&self, id: &str) -> Result<pb::JointCase, Status> {
        let request = pb::AcceptCaseRequest {
            idempotency_key: format!("accept-{id}"),
            shared_id: id.into(),
        };
        Ok(self
            .desk()
            .accept_case(request)
            .await?
            .into_inner()
            .case
            .expect("a case"))
    }

    /// Schedules the case's mediation.
    pub async fn schedule(
        &self,
        request: pb::ScheduleMediationRequest,
    ) -> Result<pb::JointCase, Status> {
        Ok(self
            .desk()
            .schedule_mediation(request)
            .await?
            .into_inner()
            .case
            .expect("a case"))
    }

    /// Records the case's mediation outcome.
    pub async fn outcome(
        &self,
        request: pb::RecordMediationOutcomeRequest,
    ) -> Result<pb::JointCase, Status> {
        Ok(self
            .desk()
            .record_mediation_outcome(request)
            .await?
            .into_inner()
            .case
            .expect("a case"))
    }

    /// Closes the case `id`.
    pub async fn close(&self, id: &str, reason: &str) -> Result<pb::JointCase, Status> {
        let request = pb::CloseCaseRequest {
            idempotency_key: format!("close-{id}"),
            shared_id: id.into(),
            reason: reason.into(),
        };
        Ok(self
            .desk()
            .close_case(request)
            .await?
            .into_inner()
            .case
            .expect("a case"))
    }

    /// Returns the node's deliveries.
    pub async fn deliveries(&self) -> Vec<pb::Delivery> {
        self.desk()
            .list_deliveries(pb::ListDeliveriesRequest::default())
            .await
            .expect("deliveries")
            .into_inner()
            .deliveries
    }

    /// Returns the node's refusals, newest first.
    pub async fn refusals(&self) -> Vec<pb::Refusal> {
        self.desk()
            .list_refusals(pb::ListRefusalsRequest::default())
            .await
            .expect("refusals")
            .into_inner()
            .refusals
    }

    /// Returns the node's log verification.
    pub async fn verify(&self) -> pb::VerifyLogResponse {
        self.desk()
            .verify_log(pb::VerifyLogRequest {})
            .await
            .expect("a verdict")
            .into_inner()
    }

    /// Returns the count `sql` gives in this node's database.
    pub async fn count(&self, sql: &str) -> i64 {
        sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_owned()))
            .fetch_one(&self.pool)
            .await
            .expect("a count")
    }

    /// Waits until `sql` counts `n` rows here.
    pub async fn wait_count(&self, sql: &str, n: i64) {
        eventually(
            PATIENCE,
            &format!("{sql} = {n} at {}", self.town.town),
            || async move { (self.count(sql).await == n).then_some(()) },
        )
        .await;
    }

    /// Asks `peer` about the person with `id_number`, approved by `officer`.
    pub async fn request_check(
        &self,
        peer: &TestNode,
        id_number: &str,
        officer: &str,
    ) -> Result<pb::Check, Status> {
        let request = pb::RequestCheckRequest {
            idempotency_key: format!("check-{id_number}-{}", peer.id()),
            peer_node: peer.id(),
            subject_kind: pb::SubjectKind::Person.into(),
            subject: id_number.into(),
            purpose: "工伤调解核实当事人身份 (identify a party to a work-injury mediation)".into(),
            approved_by: officer.into(),
        };
        Ok(self
            .desk()
            .request_check(request)
            .await?
            .into_inner()
            .check
            .expect("a check"))
    }

    /// Returns the checks asked from here (without findings: no read is
    /// audited).
    pub async fn checks(&self) -> Vec<pb::Check> {
        self.desk()
            .list_checks(pb::ListChecksRequest::default())
            .await
            .expect("checks")
            .into_inner()
            .checks
    }

    /// Waits until the check `id` is answered or refused.
    pub async fn wait_check(&self, id: &str) -> pb::Check {
        eventually(
            PATIENCE,
            &format!("check {id} answered at {}", self.town.town),
            || async move {
                self.checks()
                    .await
                    .into_iter()
                    .find(|c| c.check_id == id && c.state() != pb::CheckState::Pending)
            },
        )
        .await
    }

    /// Reads the check `id` with its findings (an audited read).
    pub async fn get_check(&self, id: &str) -> Result<pb::Check, Status> {
        Ok(self
            .desk()
            .get_check(pb::GetCheckRequest {
                check_id: id.into(),
            })
            .await?
            .into_inner()
            .check
            .expect("a check"))
    }

    /// Makes or changes an entry of the shared risk list.
    pub async fn put_risk(&self, request: pb::PutRiskRequest) -> Result<pb::Risk, Status> {
        Ok(self
            .desk()
            .put_risk(request)
            .await?
            .into_inner()
            .risk
            .expect("a risk"))
    }

    /// Returns the shared risk list as this node holds it, withdrawn
    /// entries included.
    pub async fn risks(&self) -> Vec<pb::Risk> {
        self.desk()
            .list_risks(pb::ListRisksRequest {
                include_withdrawn: true,
            })
            .await
            .expect("risks")
            .into_inner()
            .risks
    }

    /// Issues a CAP alert to every peer.
    pub async fn issue_alert(&self, request: pb::IssueAlertRequest) -> Result<pb::Alert, Status> {
        Ok(self
            .desk()
            .issue_alert(request)
            .await?
            .into_inner()
            .alert
            .expect("an alert"))
    }

    /// Returns the alerts here, of one direction (UNSPECIFIED for both).
    pub async fn alerts(&self, direction: pb::AlertDirection) -> Vec<pb::Alert> {
        self.desk()
            .list_alerts(pb::ListAlertsRequest {
                direction: direction.into(),
                page_size: 0,
            })
            .await
            .expect("alerts")
            .into_inner()
            .alerts
    }

    /// Returns this node's identity as its files hold it.
    pub fn identity(&self) -> Identity {
        Identity::load(self.served.config()).expect("the node's identity loads")
    }
}

/// The three towns' nodes.
pub struct Federation {
    pub dir: PathBuf,
    pub clock: ManualClock,
    pub nodes: Vec<TestNode>,
}

impl Federation {
    /// Makes the development PKI in a fresh folder and serves the three
    /// nodes: Langxia over `pool`, the others over scratch databases.
    pub async fn start(pool: PgPool) -> Self {
        Self::start_with(pool, &[]).await
    }

    /// As [`Federation::start`], with configuration `overrides` for every
    /// node.
    pub async fn start_with(pool: PgPool, overrides: &[(&str, String)]) -> Self {
        let dir = std::env::temp_dir().join(format!("weigrid-exchange-{}", unique_prefix()));
        let towns = dev_towns(&dir, [free_port(), free_port(), free_port()]);
        dev_pki(&dir, &towns).expect("the development PKI is made");
        let clock = ManualClock::new(start_time());
        let mut nodes = Vec::new();
        for (n, town) in towns.into_iter().enumerate() {
            let (pool, scratch) = if n == LANGXIA {
                (pool.clone(), None)
            } else {
                let scratch = ScratchDatabase::create(town.town).await;
                (scratch.pool.clone(), Some(scratch))
            };
            let config = node_config(&town, overrides);
            let served = Served::<App>::start(pool.clone(), config, Arc::new(clock.clone())).await;
            let desk = client_at(
                served.addr(),
                &platform::testing::token("desk-op", Role::TownOperator, None),
            );
            nodes.push(TestNode {
                town,
                pool,
                served,
                scratch,
                desk,
            });
        }
        Self { dir, clock, nodes }
    }

    /// Returns a raw sender from the node `from`, presenting the
    /// certificate in `cert_dir` (a town's folder).
    pub fn raw_sender(&self, from: usize, to: usize, cert_dir: &Path) -> RawSender {
        let identity = self.nodes[from].identity();
        let target = &self.nodes[to].town.node;
        let link = identity
            .links
            .get(target)
            .expect("the target is a peer")
            .clone();
        let client = PeerClient::connect(
            &link,
            cert_dir.join("node.pem"),
            cert_dir.join("node.key"),
            Duration::from_secs(2),
            Duration::from_secs(5),
        )
        .expect("a client");
        RawSender {
            client,
            key: read_signing_key(&self.nodes[from].town.dir.join("signing.key")).expect("a key"),
        }
    }

    /// Stops every node and drops the scratch databases.
    pub async fn cleanup(self) {
        for mut node in self.nodes {
            let _ = node.served.stop().await;
            if let Some(scratch) = node.scratch.take() {
                scratch.drop_database().await;
            }
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Sends envelopes as a peer would, or as an impostor might.
pub struct RawSender {
    pub client: PeerClient,
    pub key: ed25519_dalek::SigningKey,
}

impl RawSender {
    /// Signs `envelope` with this sender's key (unless it is signed
    /// already) and delivers it in an attempt made at `at`.
    pub async fn send(
        &self,
        envelope: &mut Envelope,
        at: DateTime<Utc>,
    ) -> Result<Receipt, SendError> {
        if envelope.signature.is_empty() {
            envelope.sign(&self.key);
        }
        let attempt = Attempt::sign(envelope, at, &self.key);
        self.client
            .deliver(&crate::convert::envelope_bytes(envelope), &attempt)
            .await
    }
}

/// Returns the node id of `text`.
pub fn node(text: &str) -> NodeId {
    NodeId::parse(text).expect("a node id")
}

/// Returns the seed's flow 7: a work-injury dispute with a worker from
/// Xindai, at a factory in Langxia.
pub fn work_injury() -> pb::ReportCaseRequest {
    pb::ReportCaseRequest {
        idempotency_key: "flow-7".into(),
        peer_node: String::new(),
        case_number: "LX-2026-000417".into(),
        summary: Some(pb::CaseSummary {
            category_code: "WORK_INJURY".into(),
            title: "新埭籍工人在廊下工厂受伤，工伤赔偿纠纷".into(),
            description: "工人在冲压车间受伤，双方对赔偿金额有分歧。".into(),
            location: Some(pb::LatLng {
                lat: 30.81,
                lng: 121.15,
            }),
            parties: vec![
                pb::Party {
                    role: "WORKER".into(),
                    name: "王小明".into(),
                    phone: "13812345678".into(),
                    id_number: "330482199001011234".into(),
                    side: "zhejiang/pinghu/xindai/case-exchange".into(),
                },
                pb::Party {
                    role: "EMPLOYER".into(),
                    name: "廊下精密冲压厂".into(),
                    phone: "02157301234".into(),
                    id_number: String::new(),
                    side: "shanghai/jinshan/langxia/case-exchange".into(),
                },
            ],
            claimed_amount_fen: 15_000_000,
        }),
        status: pb::ExchangeStatus::Exercise.into(),
    }
}

/// Returns the exercise's fire alert on Shantang old street (山塘老街).
pub fn shantang_fire() -> pb::IssueAlertRequest {
    pb::IssueAlertRequest {
        idempotency_key: "shantang-fire".into(),
        categories: vec!["Fire".into(), "Safety".into()],
        event: "山塘老街商铺火情".into(),
        urgency: "Immediate".into(),
        severity: "Severe".into(),
        certainty: "Observed".into(),
        headline: "山塘老街东段商铺起火，请沿街商户疏散".into(),
        description: "廊下一侧东段一家商铺起火，火势向广陈一侧蔓延。".into(),
        instruction: "关闭燃气阀门，沿河埠头撤离，勿围观。".into(),
        area_desc: "山塘老街（廊下、广陈两侧）".into(),
        centre: Some(pb::LatLng {
            lat: 30.812,
            lng: 121.163,
        }),
        radius_km: 0.5,
        expires_at: Some(platform::time::timestamp(
            start_time() + chrono::Duration::hours(3),
        )),
        status: pb::ExchangeStatus::Exercise.into(),
    }
}

/// Returns what both nodes must hold the same of a case: ids, numbers,
/// state, version, history and the mediation's schedule and outcome.
pub fn shared_view(case: &pb::JointCase) -> pb::JointCase {
    let mut view = case.clone();
    view.summary = None;
    if let Some(m) = view.mediation.as_mut() {
        for party in m.parties.iter_mut().chain(m.mediators.iter_mut()) {
            // Id numbers never leave under the development policy.
            party.id_number.clear();
        }
    }
    view
}
