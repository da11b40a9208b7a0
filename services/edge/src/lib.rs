//! The HTTP edge (边缘服务): what the villagers' WeChat mini-program and
//! existing civic-reporting clients speak, translated to the services'
//! gRPC with the caller's identity. It owns no database and no stream and
//! keeps nothing between requests; photos go to object storage.
//!
//! - `api/`: the mini-program's JSON API under `/api/v1/` (sign-in with the
//!   mini-program's login code, registration, reports with photos, the
//!   points balance, statement and catalogue, redemption, footage
//!   applications to video ingest), described by an
//!   OpenAPI 3.1 document generated from the code (`/api/v1/openapi.json`);
//! - `open311/`: Open311 GeoReport v2 under `/open311/v2/` (discovery,
//!   services from dispatch's categories, requests in JSON and XML), whose
//!   posted requests become dispatch tickets on the OPEN311 channel;
//! - `console/`: the operations console under `/console/` (staff sign-in
//!   through the identity contract kept in a cookie, the overview map, the
//!   map's layers of covered objects and cameras, the SLA board, the desk
//!   queue, tickets with their history, legs and moves, extension
//!   approvals, the footage disclosure review, the village assessment and
//!   the annual report), its front end served
//!   from `console.assets_dir`;
//! - `error.rs`: the one JSON error shape, gRPC field violations carried
//!   through by field;
//! - `staff.rs`: staff sign-in for the console (the cookie, the
//!   development sign-in, the header a change carries);
//! - `session.rs`: residents' sessions (bearer tokens of the identity
//!   contract, signed by the edge); `wechat.rs`: the login-code exchange
//!   (`jscode2session`, and the local stand-in);
//! - `photos.rs`: photo checks (type, size) and storage through
//!   `object_store`; `limits.rs`: rate limits per resident and per address;
//! - `neighbours.rs`: the gRPC clients of points, dispatch and the registry;
//! - `state.rs`: what every handler reaches; `convert.rs`: shared
//!   conversions;
//! - `app.rs`, `config.rs`, `metrics.rs`: wiring, configuration, `/metrics`.
//!
//! It calls points (`GetResident`, `RegisterResident`, `SubmitReport`,
//! `GetReport`, `ListReports`, `GetBalance`, `GetStatement`, `ListCatalog`,
//! `ListAwardRules`, `Redeem`) and dispatch (`ListCategories`,
//! `CreateTicket`, `GetTicket`, `ListTickets`, and for the console with
//! the staff member's token `GetStatistics`, `GetAssessment`,
//! `ListExtensions`, `DecideExtension`) and the registry (`ExportMap`, for
//! the console, and `ListObjects`); video ingest (`SubmitApplication`,
//! `ListApplications`, `GetApplication` for a resident; `ListCameras`,
//! `ReviewApplication` for the console); it publishes and consumes no
//! events.

pub mod api;
pub mod app;
pub mod config;
pub mod console;
pub mod convert;
pub mod error;
pub mod limits;
pub mod metrics;
pub mod neighbours;
pub mod open311;
pub mod photos;
pub mod session;
pub mod staff;
pub mod state;
pub mod wechat;

pub use app::App;
pub use config::EdgeConfig;
