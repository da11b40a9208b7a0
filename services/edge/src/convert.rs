//! Conversions the mini-program API, Open311 and the console share.

use chrono::{DateTime, Utc};

/// Returns a protobuf time as RFC 3339.
pub fn time(t: Option<&prost_types::Timestamp>) -> Option<String> {
    let t = t?;
    let nanos = u32::try_from(t.nanos).unwrap_or_default();
    DateTime::<Utc>::from_timestamp(t.seconds, nanos).map(|t| t.to_rfc3339())
}

/// Returns `text`, `None` when empty (proto3's absent string).
pub fn some(text: &str) -> Option<String> {
    (!text.is_empty()).then(|| text.to_owned())
}

/// Returns a protobuf enum's name without its prefix, lowercase
/// (`REPORT_STATUS_IN_HANDLING` → `in_handling`).
pub fn word(name: &str, prefix: &str) -> String {
    name.strip_prefix(prefix).unwrap_or(name).to_lowercase()
}
