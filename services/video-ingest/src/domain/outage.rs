//! An outage: a device silent past its deadline, until it speaks again.
//! Each outage asks dispatch for one maintenance ticket, however many
//! keepalives the device misses while it lasts.

use chrono::{DateTime, Utc};

use super::gbid::GbId;
use super::ids::OutageId;

/// A device's outage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outage {
    pub id: OutageId,
    pub device: GbId,
    pub started_at: DateTime<Utc>,
    /// `None` while the device is still silent.
    pub ended_at: Option<DateTime<Utc>>,
}

impl Outage {
    /// Returns the outage `device` begins at `now`.
    pub fn begin(device: GbId, now: DateTime<Utc>) -> Self {
        Self {
            id: OutageId::generate(),
            device,
            started_at: now,
            ended_at: None,
        }
    }

    /// Returns the key of the outage's maintenance ticket in dispatch: the
    /// same request delivered twice is one ticket.
    pub fn ticket_key(&self) -> String {
        format!("video-outage-{}", self.id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_outage_has_its_own_ticket_key() {
        let device = GbId::parse("31011611001320000001").unwrap();
        let now = Utc::now();
        let (a, b) = (
            Outage::begin(device.clone(), now),
            Outage::begin(device, now),
        );
        assert!(a.ended_at.is_none());
        assert_ne!(a.ticket_key(), b.ticket_key());
        assert!(a.ticket_key().starts_with("video-outage-"));
    }
}
