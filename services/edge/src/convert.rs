//! Conversions the mini-program API and Open311 share.

use chrono::{DateTime, Utc};

/// Returns a protobuf time as RFC 3339.
pub fn time(t: Option<&prost_types::Timestamp>) -> Option<String> {
    let t = t?;
    let nanos = u32::try_from(t.nanos).unwrap_or_default();
    DateTime::<Utc>::from_timestamp(t.seconds, nanos).map(|t| t.to_rfc3339())
}
