//! One module per command group: each owns its clap definitions (the
//! `Subcommand` enum or `Args` struct and the typed values it takes), its
//! execution against one service, and its parsing tests.
//!
//! | module        | commands                     | service         |
//! | ------------- | ---------------------------- | --------------- |
//! | `grid`        | `weigrid grid …`             | grid registry   |
//! | `seed`        | `weigrid seed langxia`       | grid registry, video ingest |
//! | `ticket`      | `weigrid ticket …`           | ticket dispatch |
//! | `stats`       | `weigrid stats`              | ticket dispatch |
//! | `calendar`    | `weigrid calendar show\|set`  | ticket dispatch |
//! | `points`      | `weigrid points …`           | points          |
//! | `video`       | `weigrid video …`            | video ingest    |
//! | `exchange`    | `weigrid exchange …`         | case exchange   |
//! | `exchange_joint` | `weigrid exchange check\|risks\|alert\|acks` | case exchange |
//! | `review`      | `weigrid review …`           | case review     |
//! | `worklist`    | `weigrid worklist …`         | case review (the registry for the responsibility book, dispatch for the workflow table) |
//! | `token`       | `weigrid token`              | none            |
//! | `completions` | `weigrid completions SHELL`  | none            |

pub mod calendar;
pub mod completions;
pub mod exchange;
pub mod exchange_joint;
pub mod grid;
pub mod points;
pub mod review;
pub mod seed;
pub mod stats;
pub mod ticket;
pub mod token;
pub mod video;
pub mod video_evidence;
pub mod worklist;
