//! The points test kit: an instance on a free port over a test's own
//! database and NATS subject prefix, with a manual clock and clients for any
//! role, and a small typed client (`test.register(..)`, `test.submit(..)`,
//! `test.try_redeem(..)`) so that a test reads as the rule it checks. The
//! harness of this crate's API tests and benchmark, and of the flows
//! through dispatch in the workspace's `tests/`; compiled only with the
//! `testkit` feature.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use platform::auth::Role;
use platform::clock::ManualClock;
use platform::events::Bus;
use platform::grpc::client::Outgoing;
use platform::outbox::RelayWaker;
use platform::testing::{Served, eventually};
use platform::uow::Units;
use prost::Message as _;
use proto::dispatch::v1 as dispatch;
use proto::points::v1 as pb;
use proto::points::v1::points_service_client::PointsServiceClient;
use sqlx::PgPool;
use tonic::Status;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;

use crate::config::DEFAULTS;
use crate::{App, PointsConfig};

/// A points client sending a bearer token.
pub type Client = PointsServiceClient<InterceptedService<Channel, Outgoing>>;

/// The village of the tests (the small town's first village).
pub const VILLAGE: &str = "V1";

/// How long a test waits for an event to be applied.
const PATIENCE: Duration = Duration::from_secs(30);

/// Returns the time the manual clock starts at: a Monday morning in March
/// 2026, in working hours in the town.
pub fn start_time() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-03-02T01:00:00Z")
        .expect("a valid RFC 3339 time")
        .to_utc()
}

/// Configuration for a test instance; `overrides` are `WEIGRID_POINTS__…`
/// keys without the prefix.
pub fn test_config(prefix: &str, overrides: &[(&str, String)]) -> PointsConfig {
    let mut settings = vec![("EXPIRY__CHECK_INTERVAL", "50ms".to_owned())];
    settings.extend_from_slice(overrides);
    platform::testing::service_config("points", DEFAULTS, prefix, &settings)
}

/// Returns a token of `subject` acting as `role` in `scope`.
pub fn token_of(subject: &str, role: Role, scope: Option<&str>) -> String {
    platform::testing::token(subject, role, scope)
}

/// Returns a client of the service at `addr` with `token`; it connects on
/// its first call.
fn client_at(addr: SocketAddr, token: &str) -> Client {
    let channel = Channel::from_shared(format!("http://{addr}"))
        .expect("a valid address")
        .connect_lazy();
    PointsServiceClient::with_interceptor(channel, Outgoing::bearer(token).expect("a valid token"))
}

/// Points for one test.
pub struct TestPoints {
    pub addr: SocketAddr,
    pub clock: ManualClock,
    pub config: PointsConfig,
    pub pool: PgPool,
    workstation: Client,
    town: Client,
    served: Served<App>,
}

impl TestPoints {
    /// Checks the role matrix cell by cell against the running service
    /// (see [`platform::testing::assert_policy`]); returns it as a table.
    pub async fn assert_policy(&self) -> String {
        platform::testing::assert_policy(&self.served).await
    }

    /// Serves points over `pool` on a fresh prefix.
    pub async fn spawn(pool: PgPool) -> Self {
        Self::spawn_with(pool, &[]).await
    }

    /// Serves points over `pool` with configuration `overrides`.
    pub async fn spawn_with(pool: PgPool, overrides: &[(&str, String)]) -> Self {
        let config = test_config(&platform::testing::unique_prefix(), overrides);
        let clock = ManualClock::new(start_time());
        let served = Served::start(pool.clone(), config.clone(), Arc::new(clock.clone())).await;
        let addr = served.addr();
        Self {
            addr,
            clock,
            config,
            pool,
            workstation: client_at(
                addr,
                &token_of("ws-op", Role::WorkstationStaff, Some(VILLAGE)),
            ),
            town: client_at(addr, &token_of("town-op", Role::TownOperator, None)),
            served,
        }
    }

    /// Returns a client with `token`.
    pub fn client(&self, token: &str) -> Client {
        client_at(self.addr, token)
    }

    /// Returns the town's client.
    pub fn town(&self) -> Client {
        self.town.clone()
    }

    /// Returns the client of the test village's workstation.
    pub fn workstation(&self) -> Client {
        self.workstation.clone()
    }

    /// Returns units of work over the test's database and clock, for
    /// calling use cases in process (the relay is not woken: it polls).
    pub fn units(&self) -> Units {
        Units::new(
            self.pool.clone(),
            Arc::new(self.clock.clone()),
            RelayWaker::default(),
        )
    }

    /// Registers a resident of the test village at its workstation.
    pub async fn register(&self, name: &str, phone: &str) -> pb::Resident {
        register(&mut self.workstation(), name, phone).await
    }

    /// Submits a report at the workstation and returns it.
    pub async fn submit(&self, request: pb::SubmitReportRequest) -> pb::Report {
        self.try_submit(request).await.expect("the report is taken")
    }

    /// Submits a report at the workstation.
    pub async fn try_submit(&self, request: pb::SubmitReportRequest) -> Result<pb::Report, Status> {
        Ok(self
            .workstation()
            .submit_report(request)
            .await?
            .into_inner()
            .report
            .expect("a report"))
    }

    /// Returns the report `id` as the workstation sees it now.
    pub async fn get_report(&self, id: &str) -> pb::Report {
        self.workstation()
            .get_report(pb::GetReportRequest { id: id.into() })
            .await
            .expect("the report is there")
            .into_inner()
            .report
            .expect("a report")
    }

    /// Waits until `report` is as `wanted` says.
    pub async fn wait_report(
        &self,
        report: &pb::Report,
        what: &str,
        wanted: impl Fn(&pb::Report) -> bool,
    ) -> pb::Report {
        let wanted = &wanted;
        eventually(PATIENCE, what, || {
            let mut client = self.workstation();
            let id = report.id.clone();
            async move {
                let got = client
                    .get_report(pb::GetReportRequest { id })
                    .await
                    .ok()?
                    .into_inner()
                    .report?;
                wanted(&got).then_some(got)
            }
        })
        .await
    }

    /// Waits until `report` has `status`.
    pub async fn wait_status(&self, report: &pb::Report, status: pb::ReportStatus) -> pb::Report {
        self.wait_report(report, &format!("report {status:?}"), |r| {
            r.status() == status
        })
        .await
    }

    /// Verifies `report` by event, as dispatch would, and waits until
    /// points has applied it.
    pub async fn verify(&self, report: &pb::Report) -> pb::Report {
        self.ticket_event(report, "verified", dispatch::ReopenCause::Unspecified)
            .await;
        self.wait_status(report, pb::ReportStatus::Verified).await
    }

    /// Returns a resident's balance, checking that the statement's entries
    /// sum to it and that each entry's running balance follows from the
    /// last.
    pub async fn balance(&self, resident: &pb::Resident) -> i64 {
        let statement = self.statement(resident).await;
        let mut running = 0;
        for entry in &statement.entries {
            running += entry.amount;
            assert_eq!(entry.balance_after, running, "entry {}", entry.key);
            assert!(running >= 0, "the balance went negative at {}", entry.key);
        }
        assert_eq!(
            running, statement.balance,
            "the statement sums to the balance"
        );
        let balance = self.get_balance(resident).await;
        assert_eq!(balance.balance, statement.balance);
        balance.balance
    }

    /// Returns what `GetBalance` says of a resident's account.
    pub async fn get_balance(&self, resident: &pb::Resident) -> pb::GetBalanceResponse {
        self.workstation()
            .get_balance(pb::GetBalanceRequest {
                resident_id: resident.id.clone(),
            })
            .await
            .expect("the balance is there")
            .into_inner()
    }

    /// Returns a resident's statement.
    pub async fn statement(&self, resident: &pb::Resident) -> pb::GetStatementResponse {
        self.try_statement(resident)
            .await
            .expect("the statement is there")
    }

    /// Asks for a resident's statement.
    pub async fn try_statement(
        &self,
        resident: &pb::Resident,
    ) -> Result<pb::GetStatementResponse, Status> {
        Ok(self
            .workstation()
            .get_statement(pb::GetStatementRequest {
                resident_id: resident.id.clone(),
            })
            .await?
            .into_inner())
    }

    /// Credits `points` to `resident` as the town, under `key`.
    pub async fn credit(&self, resident: &pb::Resident, points: i64, key: &str) -> pb::Entry {
        self.town()
            .adjust_points(pb::AdjustPointsRequest {
                idempotency_key: key.into(),
                resident_id: resident.id.clone(),
                amount: points,
                reason: "开户奖励".into(),
            })
            .await
            .expect("the credit is posted")
            .into_inner()
            .entry
            .expect("an entry")
    }

    /// Adds `item` to the catalogue, or changes it, as the town.
    pub async fn put_item(&self, item: pb::CatalogItem) -> pb::CatalogItem {
        self.try_put_item(pb::PutCatalogItemRequest {
            item: Some(item),
            ..Default::default()
        })
        .await
        .expect("the item is put")
    }

    /// Asks the town's change of the catalogue.
    pub async fn try_put_item(
        &self,
        request: pb::PutCatalogItemRequest,
    ) -> Result<pb::CatalogItem, Status> {
        Ok(self
            .town()
            .put_catalog_item(request)
            .await?
            .into_inner()
            .item
            .expect("an item"))
    }

    /// Orders one `item` for `resident` at the workstation, under `key`.
    pub async fn redeem(
        &self,
        resident: &pb::Resident,
        item: &str,
        key: &str,
    ) -> pb::RedeemResponse {
        self.try_redeem(pb::RedeemRequest {
            idempotency_key: key.into(),
            resident_id: resident.id.clone(),
            item_code: item.into(),
            quantity: 1,
        })
        .await
        .expect("the order is placed")
    }

    /// Places an order at the workstation.
    pub async fn try_redeem(
        &self,
        request: pb::RedeemRequest,
    ) -> Result<pb::RedeemResponse, Status> {
        Ok(self.workstation().redeem(request).await?.into_inner())
    }

    /// Counts rows.
    pub async fn count(&self, sql: &str) -> i64 {
        sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_owned()))
            .fetch_one(&self.pool)
            .await
            .expect("a count")
    }

    /// Waits until `sql` counts `n` rows.
    pub async fn wait_count(&self, sql: &str, n: i64, what: &str) {
        eventually(PATIENCE, what, || async move {
            (self.count(sql).await == n).then_some(())
        })
        .await;
    }

    /// Publishes a `dispatch.ticket.<step>` event for `report`'s ticket, as
    /// dispatch does, under a new event id.
    pub async fn ticket_event(
        &self,
        report: &pb::Report,
        step: &str,
        cause: dispatch::ReopenCause,
    ) {
        let bus = Bus::connect(&self.config.service.nats).await.unwrap();
        bus.ensure_stream(&crate::events::DISPATCH).await.unwrap();
        let event_id = uuid::Uuid::now_v7().to_string();
        let ticket_id = if report.ticket_id.is_empty() {
            uuid::Uuid::now_v7().to_string()
        } else {
            report.ticket_id.clone()
        };
        let message = dispatch::TicketEvent {
            meta: Some(dispatch::EventMeta {
                event_id: event_id.clone(),
                occurred_at: report.submitted_at,
                actor: "test-desk".into(),
            }),
            ticket: Some(dispatch::Ticket {
                id: ticket_id,
                number: "LX-2026-000001".into(),
                channel: dispatch::Channel::VillagerApp.into(),
                external_ref: report.id.clone(),
                ..Default::default()
            }),
            transition: Some(dispatch::Transition {
                reopen_cause: cause.into(),
                ..Default::default()
            }),
            task: None,
        };
        publish(
            &bus,
            &format!("dispatch.ticket.{step}"),
            &event_id,
            message.encode_to_vec(),
        )
        .await;
    }

    /// Stops points.
    pub async fn cleanup(mut self) {
        let _ = self.served.stop().await;
    }
}

/// Registers a resident of the test village at its workstation.
pub async fn register(client: &mut Client, name: &str, phone: &str) -> pb::Resident {
    client
        .register_resident(pb::RegisterResidentRequest {
            at_workstation: true,
            name: name.into(),
            phone: phone.into(),
            village_code: VILLAGE.into(),
            ..Default::default()
        })
        .await
        .expect("the resident is registered")
        .into_inner()
        .resident
        .expect("a resident")
}

/// A report of `category` at (lat, lng) by `resident`.
pub fn report(
    resident: &pb::Resident,
    category: &str,
    lat: f64,
    lng: f64,
) -> pb::SubmitReportRequest {
    pb::SubmitReportRequest {
        resident_id: resident.id.clone(),
        category_code: category.into(),
        severity: 1,
        text: "河边有人偷倒建筑垃圾".into(),
        photos: vec![pb::Photo {
            sha256: "ab".repeat(32),
            content_type: "image/jpeg".into(),
            size_bytes: 1_500_000,
        }],
        location: Some(pb::LatLng { lat, lng }),
        ..Default::default()
    }
}

/// A catalogue item of the test village: `code`, costing `cost`, `stock`
/// of it.
pub fn item(code: &str, cost: u32, stock: u32) -> pb::CatalogItem {
    pb::CatalogItem {
        code: code.into(),
        name: "洗衣液 2kg".into(),
        kind: pb::ItemKind::DailyGoods.into(),
        cost,
        stock,
        village_codes: vec![VILLAGE.into()],
        active: true,
    }
}

/// Publishes `payload` on `subject` (without prefix) with `event_id` as its
/// `Nats-Msg-Id`, and waits for JetStream's acknowledgement.
///
/// # Panics
/// NATS refuses it.
pub async fn publish(bus: &Bus, subject: &str, event_id: &str, payload: Vec<u8>) {
    let mut headers = async_nats::HeaderMap::new();
    headers.insert("Nats-Msg-Id", event_id);
    bus.jetstream()
        .publish_with_headers(bus.subject(subject), headers, payload.into())
        .await
        .expect("published")
        .await
        .expect("acknowledged");
}
