//! # case-review
//!
//! Hard cases go to review before the town's leadership decides: an
//! independent panel of lawyers, the legal adviser, departments and
//! appraisal bodies gives signed opinions, one consolidated recommendation
//! cites them, and the decision is recorded and carried out by dispatch.
//!
//! - Owns `experts`, `interest_declarations`, `reviews`, `panel_members`,
//!   `opinions` (immutable once submitted), `recommendations` (one open per
//!   review), `decisions`, `conflicts_found`, `review_reads` (and the
//!   platform's `outbox`, `inbox`, `idempotency_keys`) in the database
//!   `weigrid_review`; for the work lists (一套明细单), `policies`,
//!   `work_items` and `work_item_reports` (append-only).
//! - Serves `weigrid.review.v1.ReviewService`.
//! - Consumes `dispatch.ticket.referred`: a referral opens a review.
//! - Calls the grid registry (ListGrids, ListObjects, ListCarePeople,
//!   ListMembers) when a policy is broken into villages' work items.
//! - Publishes `review.review.opened`, `review.panel.assigned`,
//!   `review.panelist.recused`, `review.opinion.{submitted,returned}`,
//!   `review.recommendation.{opened,withdrawn}`, `review.decision.made`
//!   (which dispatch carries out on the ticket),
//!   `review.review.deadline_warning` and `review.declaration.expiring` on
//!   the `REVIEW` stream.
//!
//! The modules, each importing only those above it:
//!
//! - [`domain`]: the review aggregate (panel, opinions, recommendation,
//!   decision), the expert registry and the panel rules; pure.
//! - [`repository`]: the SQL, taking and returning domain types.
//! - [`convert`]: domain types as protobuf messages; [`events`]: the
//!   stream, subjects and the events published.
//! - [`application`]: one function per use case, in a unit of work.
//! - [`api`] (gRPC), [`consumers`] (dispatch's referrals) and [`workers`]
//!   (reminders and deadline warnings) call the use cases.
//! - [`registry`]: the grid registry's client, asked about the villages
//!   before a policy is broken into work items.
//! - [`app`] and [`config`]: wiring; `testing`: the test kit, with the
//!   `testkit` feature.

pub mod api;
pub mod app;
pub mod application;
pub mod config;
pub mod consumers;
pub mod convert;
pub mod domain;
pub mod events;
pub mod registry;
pub mod repository;
#[cfg(any(test, feature = "testkit"))]
pub mod testing;
pub mod workers;

pub use app::App;
pub use config::ReviewConfig;

/// The case-review migrations (the platform adds its tables).
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");
