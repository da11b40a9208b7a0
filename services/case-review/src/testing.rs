//! The case-review test kit: an instance on a free port over a test's own
//! database and NATS subject prefix, with a manual clock, clients for the
//! town and for each expert, and a small typed client
//! (`test.register_expert(..)`, `test.open_review(..)`,
//! `test.try_assign_panel(..)`, `test.submit_opinion(..)`) so that a test
//! reads as the rule it checks. The harness of this crate's API tests and
//! of the flows through dispatch in the workspace's `tests/`; compiled only
//! with the `testkit` feature.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use ed25519_dalek::{Signer, SigningKey};
use platform::auth::Role;
use platform::clock::{Clock as _, ManualClock};
use platform::events::Bus;
use platform::grpc::client::Outgoing;
use platform::testing::{Served, eventually};
use prost::Message as _;
use proto::dispatch::v1 as dispatch;
use proto::review::v1 as pb;
use proto::review::v1::review_service_client::ReviewServiceClient;
use sqlx::PgPool;
use tonic::Status;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;

use crate::config::DEFAULTS;
use crate::convert;
use crate::domain::ids::{ExpertId, ReviewId};
use crate::domain::opinion::{OpinionText, signing_payload};
use crate::{App, ReviewConfig};

/// A case-review client sending a bearer token.
pub type Client = ReviewServiceClient<InterceptedService<Channel, Outgoing>>;

/// How long a test waits for an event to be applied.
const PATIENCE: Duration = Duration::from_secs(30);

/// Returns the time the manual clock starts at: a Wednesday morning in
/// April 2026.
pub fn start_time() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-04-01T01:00:00Z")
        .expect("a valid RFC 3339 time")
        .to_utc()
}

/// Configuration for a test instance; `overrides` are `WEIGRID_REVIEW__…`
/// keys without the prefix.
pub fn test_config(prefix: &str, overrides: &[(&str, String)]) -> ReviewConfig {
    let mut settings = vec![("REMINDERS__INTERVAL", "50ms".to_owned())];
    settings.extend_from_slice(overrides);
    platform::testing::service_config("review", DEFAULTS, prefix, &settings)
}

/// Returns a client of the service at `addr` with `token`; it connects on
/// its first call.
pub fn client_at(addr: SocketAddr, token: &str) -> Client {
    let channel = Channel::from_shared(format!("http://{addr}"))
        .expect("a valid address")
        .connect_lazy();
    ReviewServiceClient::with_interceptor(channel, Outgoing::bearer(token).expect("a valid token"))
}

/// Returns the signing key of the expert called `name` in a test (the same
/// name gives the same key).
pub fn key_of(name: &str) -> SigningKey {
    let mut seed = [0x42u8; 32];
    for (i, b) in name.bytes().enumerate() {
        seed[i % 32] = seed[i % 32].rotate_left(3) ^ b;
    }
    SigningKey::from_bytes(&seed)
}

/// Returns `key`'s signature over version `version` of an opinion on
/// `review` by `expert`.
pub fn sign(
    key: &SigningKey,
    review: &str,
    expert: &str,
    version: u32,
    text: &OpinionText,
) -> Vec<u8> {
    let review = ReviewId::parse(review).expect("a review id");
    let expert = ExpertId::parse(expert).expect("an expert id");
    key.sign(&signing_payload(review, expert, version, text))
        .to_bytes()
        .to_vec()
}

/// An expert of a test, with the key their opinions are signed with.
#[derive(Clone)]
pub struct TestExpert {
    pub expert: pb::Expert,
    pub key: SigningKey,
}

impl TestExpert {
    /// Returns the expert's id.
    pub fn id(&self) -> &str {
        &self.expert.id
    }
}

/// Returns a request to register `name` of `organisation` (reporting to
/// `reports_to`, or "").
pub fn expert_request(
    name: &str,
    kind: pb::ExpertKind,
    organisation: &str,
    reports_to: &str,
) -> pb::RegisterExpertRequest {
    pb::RegisterExpertRequest {
        idempotency_key: format!("expert-{name}"),
        name: name.into(),
        kind: kind.into(),
        fields: vec!["administrative law".into(), "planning".into()],
        credentials: format!("CERT-{name}"),
        organisation: organisation.into(),
        reports_to: reports_to.into(),
        public_key: key_of(name).verifying_key().to_bytes().to_vec(),
    }
}

/// Returns a request to open a major legal-risk review of `case_ref`,
/// due in ten days, with `parties`, organised by the town (LX), the water
/// bureau as the industry authority.
pub fn review_request(case_ref: &str, parties: &[&str]) -> pb::OpenReviewRequest {
    pb::OpenReviewRequest {
        idempotency_key: format!("open-{case_ref}"),
        kind: pb::ReviewKind::LegalRisk.into(),
        question: "拆除河道违法建筑的法律风险与后果".into(),
        materials: vec!["doc:petition-17".into(), "doc:survey-3".into()],
        urgency: pb::Urgency::Normal.into(),
        deadline: Some(convert::timestamp(
            start_time() + chrono::Duration::days(10),
        )),
        major: true,
        case_ref: case_ref.into(),
        parties: parties.iter().map(|p| (*p).to_owned()).collect(),
        involved: vec!["JS-PLANNING".into()],
        organiser: "LX".into(),
        industry_authority: "JS-WATER".into(),
    }
}

/// Case review for one test.
pub struct TestReview {
    pub addr: SocketAddr,
    pub clock: ManualClock,
    pub config: ReviewConfig,
    pub pool: PgPool,
    town: Client,
    served: Served<App>,
}

impl TestReview {
    /// Serves case review over `pool` on a fresh prefix.
    pub async fn spawn(pool: PgPool) -> Self {
        Self::spawn_with(pool, &platform::testing::unique_prefix(), &[]).await
    }

    /// Serves case review over `pool` on NATS `prefix` with configuration
    /// `overrides`.
    pub async fn spawn_with(pool: PgPool, prefix: &str, overrides: &[(&str, String)]) -> Self {
        Self::spawn_on_clock(pool, prefix, overrides, ManualClock::new(start_time())).await
    }

    /// Serves case review on `clock` (shared with the other services of a
    /// flow).
    pub async fn spawn_on_clock(
        pool: PgPool,
        prefix: &str,
        overrides: &[(&str, String)],
        clock: ManualClock,
    ) -> Self {
        let config = test_config(prefix, overrides);
        let served = Served::start(pool.clone(), config.clone(), Arc::new(clock.clone())).await;
        let addr = served.addr();
        Self {
            addr,
            clock,
            config,
            pool,
            town: client_at(
                addr,
                &platform::testing::token("town-op", Role::TownOperator, None),
            ),
            served,
        }
    }

    /// Checks the role matrix cell by cell against the policy (see
    /// [`platform::testing::assert_policy`]); returns it as a table.
    pub async fn assert_policy(&self) -> String {
        platform::testing::assert_policy(&self.served).await
    }

    /// Returns the town's client.
    pub fn town(&self) -> Client {
        self.town.clone()
    }

    /// Returns the client of `expert` (role reviewer, subject their id).
    pub fn expert_client(&self, expert: &TestExpert) -> Client {
        client_at(
            self.addr,
            &platform::testing::token(expert.id(), Role::Reviewer, None),
        )
    }

    /// Returns a client with `token`.
    pub fn client(&self, token: &str) -> Client {
        client_at(self.addr, token)
    }

    /// Registers `name`, a practising lawyer, of `organisation`.
    pub async fn register_expert(
        &self,
        name: &str,
        organisation: &str,
        reports_to: &str,
    ) -> TestExpert {
        let request = expert_request(
            name,
            pb::ExpertKind::PractisingLawyer,
            organisation,
            reports_to,
        );
        let expert = self
            .town()
            .register_expert(request)
            .await
            .expect("the expert is registered")
            .into_inner()
            .expert
            .expect("an expert");
        TestExpert {
            expert,
            key: key_of(name),
        }
    }

    /// Registers five experts who may sit together on a
    /// [`review_request`]'s panel: two lawyers, an appraisal body, the
    /// water bureau (the industry authority) and the town's legal adviser
    /// (who reports to the town).
    pub async fn five_experts(&self) -> Vec<TestExpert> {
        let mut experts = Vec::new();
        for (name, organisation, reports_to) in [
            ("律师甲", "LAWFIRM-1", ""),
            ("律师乙", "LAWFIRM-2", ""),
            ("鉴定所", "APPRAISAL-1", ""),
            ("水务局", "JS-WATER", ""),
            ("法律顾问", "LX-JUSTICE", "LX"),
        ] {
            experts.push(self.register_expert(name, organisation, reports_to).await);
        }
        experts
    }

    /// Records `expert`'s interest in `party` for thirty days.
    pub async fn declare(&self, expert: &TestExpert, party: &str) -> pb::Declaration {
        self.town()
            .declare_interest(pb::DeclareInterestRequest {
                idempotency_key: format!("declare-{}-{party}", expert.id()),
                expert_id: expert.id().into(),
                party: party.into(),
                note: "曾代理该当事人".into(),
                expires_at: Some(convert::timestamp(
                    self.clock.now() + chrono::Duration::days(30),
                )),
            })
            .await
            .expect("declared")
            .into_inner()
            .declaration
            .expect("a declaration")
    }

    /// Opens a review and returns it.
    pub async fn open_review(&self, request: pb::OpenReviewRequest) -> pb::Review {
        self.town()
            .open_review(request)
            .await
            .expect("the review opens")
            .into_inner()
            .review
            .expect("a review")
    }

    /// Returns review `id` as the town sees it.
    pub async fn get_review(&self, id: &str) -> pb::Review {
        self.town()
            .get_review(pb::GetReviewRequest { id: id.into() })
            .await
            .expect("the review is there")
            .into_inner()
            .review
            .expect("a review")
    }

    /// Seats `experts` on `review`.
    pub async fn try_assign_panel(
        &self,
        review: &str,
        experts: &[&TestExpert],
    ) -> Result<pb::Review, Status> {
        let ids: Vec<String> = experts.iter().map(|e| e.id().to_owned()).collect();
        Ok(self
            .town()
            .assign_panel(pb::AssignPanelRequest {
                idempotency_key: uuid::Uuid::now_v7().to_string(),
                review_id: review.into(),
                expert_ids: ids,
            })
            .await?
            .into_inner()
            .review
            .expect("a review"))
    }

    /// Seats `experts` on `review`, which must succeed.
    pub async fn assign_panel(&self, review: &str, experts: &[&TestExpert]) -> pb::Review {
        self.try_assign_panel(review, experts)
            .await
            .expect("the panel is seated")
    }

    /// `expert` submits version `version` of their opinion on `review`,
    /// signed, from their own client.
    pub async fn try_submit_opinion(
        &self,
        review: &str,
        expert: &TestExpert,
        version: u32,
        reasoning: &str,
    ) -> Result<pb::Opinion, Status> {
        let text = OpinionText {
            risk: crate::domain::opinion::RiskRating::Medium,
            reasoning: reasoning.into(),
            recommendation: "依法补正程序后再行拆除".into(),
        };
        let signature = sign(&expert.key, review, expert.id(), version, &text);
        Ok(self
            .expert_client(expert)
            .submit_opinion(pb::SubmitOpinionRequest {
                idempotency_key: format!("opinion-{review}-{}-{version}", expert.id()),
                review_id: review.into(),
                expert_id: expert.id().into(),
                version,
                risk: pb::RiskRating::Medium.into(),
                reasoning: text.reasoning,
                recommendation: text.recommendation,
                signature,
            })
            .await?
            .into_inner()
            .opinion
            .expect("an opinion"))
    }

    /// `expert` submits a signed opinion, which must be taken.
    pub async fn submit_opinion(
        &self,
        review: &str,
        expert: &TestExpert,
        version: u32,
        reasoning: &str,
    ) -> pb::Opinion {
        self.try_submit_opinion(review, expert, version, reasoning)
            .await
            .expect("the opinion is taken")
    }

    /// Opens the recommendation of `review` citing `opinions`.
    pub async fn try_open_recommendation(
        &self,
        review: &str,
        opinions: &[&pb::Opinion],
    ) -> Result<pb::Recommendation, Status> {
        Ok(self
            .town()
            .open_recommendation(pb::OpenRecommendationRequest {
                idempotency_key: uuid::Uuid::now_v7().to_string(),
                review_id: review.into(),
                text: "建议依法补正程序后由城管牵头拆除，水务配合".into(),
                opinion_ids: opinions.iter().map(|o| o.id.clone()).collect(),
            })
            .await?
            .into_inner()
            .recommendation
            .expect("a recommendation"))
    }

    /// Decides `review` as `request` says.
    pub async fn try_decide(&self, request: pb::DecideReviewRequest) -> Result<pb::Review, Status> {
        Ok(self
            .town()
            .decide_review(request)
            .await?
            .into_inner()
            .review
            .expect("a review"))
    }

    /// Publishes a `dispatch.ticket.referred` for `ticket`, as dispatch
    /// does, under a new event id; returns the event id.
    pub async fn refer(
        &self,
        ticket: dispatch::Ticket,
        question: &str,
        parties: &[&str],
    ) -> String {
        let bus = Bus::connect(&self.config.service.nats).await.expect("NATS");
        bus.ensure_stream(&crate::events::DISPATCH)
            .await
            .expect("the stream");
        let event_id = uuid::Uuid::now_v7().to_string();
        let message = dispatch::TicketReferred {
            meta: Some(dispatch::EventMeta {
                event_id: event_id.clone(),
                occurred_at: Some(convert::timestamp(self.clock.now())),
                actor: "desk-op".into(),
            }),
            ticket: Some(ticket),
            kind: dispatch::ReferralKind::LegalRisk.into(),
            question: question.into(),
            materials: vec!["ticket:history".into()],
            parties: parties.iter().map(|p| (*p).to_owned()).collect(),
            major: true,
            deadline: None,
            urgent: false,
        };
        publish(
            &bus,
            crate::consumers::SUBJECT,
            &event_id,
            message.encode_to_vec(),
        )
        .await;
        event_id
    }

    /// Waits until a review of ticket `ticket_id` is open, and returns it.
    pub async fn wait_review_of(&self, ticket_id: &str) -> pb::Review {
        eventually(PATIENCE, "a review of the referred ticket", || {
            let mut town = self.town();
            let ticket_id = ticket_id.to_owned();
            async move {
                town.list_reviews(pb::ListReviewsRequest {
                    ticket_id,
                    ..Default::default()
                })
                .await
                .ok()?
                .into_inner()
                .reviews
                .into_iter()
                .next()
            }
        })
        .await
    }

    /// Returns the number `sql` counts.
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

    /// Stops case review.
    pub async fn cleanup(mut self) {
        let _ = self.served.stop().await;
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
