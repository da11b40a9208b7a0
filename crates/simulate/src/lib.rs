//! A year in Langxia: the town's ticket traffic replayed through the real
//! services, time-compressed, with and without supervision (see [`year`]).

pub mod plan;
#[cfg(feature = "replay")]
pub mod report;
#[cfg(feature = "replay")]
pub mod year;
