//! A catalogue sync: a device's answer to one Catalog query, which comes
//! in packets sharing the query's `SN`, each saying the whole list has
//! `SumNum` items. Packets may be resent or arrive in other transactions;
//! each item counts once. Items are applied as they arrive (an idempotent
//! upsert); only a complete list removes the channels it lacks, and a sync
//! whose packets stop arriving times out, visibly partial.

use chrono::{DateTime, Utc};

use super::camera::LatLng;
use super::gbid::{GbId, GbIdClass};
use super::ids::SyncId;
use super::registration::{SipRules, delta};

/// One item of a catalogue, as the device sent it.
#[derive(Debug, Clone, PartialEq)]
pub struct CatalogItem {
    /// The item's DeviceID as sent (a channel, or a group or organisation).
    pub id: String,
    pub name: String,
    pub manufacturer: String,
    pub model: String,
    /// ON or OFF.
    pub status: String,
    pub location: Option<LatLng>,
}

impl CatalogItem {
    /// Returns the item's channel id when it is a front-end channel (a
    /// camera); business groups and virtual organisations are listed but
    /// are no cameras.
    pub fn channel(&self) -> Option<GbId> {
        GbId::parse(&self.id)
            .ok()
            .filter(|id| id.class() == GbIdClass::FrontEnd)
    }
}

/// One packet of a catalogue answer.
#[derive(Debug, Clone, PartialEq)]
pub struct CatalogPacket {
    pub sn: u64,
    pub sum_num: u32,
    pub items: Vec<CatalogItem>,
}

/// How far a sync is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SyncState {
    Collecting,
    Complete,
    TimedOut,
}

impl SyncState {
    /// Returns the state's stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            SyncState::Collecting => "COLLECTING",
            SyncState::Complete => "COMPLETE",
            SyncState::TimedOut => "TIMED_OUT",
        }
    }

    /// Returns the state stored as `name`.
    pub fn parse(name: &str) -> Option<Self> {
        [
            SyncState::Collecting,
            SyncState::Complete,
            SyncState::TimedOut,
        ]
        .into_iter()
        .find(|s| s.as_str() == name)
    }
}

/// A catalogue sync.
#[derive(Debug, Clone, PartialEq)]
pub struct CatalogSync {
    pub id: SyncId,
    pub device: GbId,
    pub sn: u64,
    /// 0 until the first packet says.
    pub sum_num: u32,
    pub received: u32,
    pub state: SyncState,
    pub removed: u32,
    pub started_at: DateTime<Utc>,
    /// When it times out without another packet.
    pub deadline: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
}

impl CatalogSync {
    /// Returns a sync of query `sn` to `device`, started at `now`.
    pub fn start(device: GbId, sn: u64, rules: &SipRules, now: DateTime<Utc>) -> Self {
        Self {
            id: SyncId::generate(),
            device,
            sn,
            sum_num: 0,
            received: 0,
            state: SyncState::Collecting,
            removed: 0,
            started_at: now,
            deadline: now + delta(rules.catalog_timeout),
            finished_at: None,
        }
    }

    /// Takes a packet saying the list has `sum_num` items, after which
    /// `received` distinct items have arrived; returns whether the list is
    /// now complete. A packet after the sync finished changes nothing.
    pub fn receive(
        &mut self,
        sum_num: u32,
        received: u32,
        rules: &SipRules,
        now: DateTime<Utc>,
    ) -> bool {
        if self.state != SyncState::Collecting {
            return false;
        }
        // The largest SumNum said wins: a device that grows its list
        // mid-answer is complete only when every item arrived.
        self.sum_num = self.sum_num.max(sum_num);
        self.received = received;
        self.deadline = now + delta(rules.catalog_timeout);
        if self.received >= self.sum_num {
            self.state = SyncState::Complete;
            self.finished_at = Some(now);
            true
        } else {
            false
        }
    }

    /// Records the channels the complete list removed.
    pub fn removed(&mut self, removed: u32) {
        self.removed = removed;
    }

    /// Times the sync out when its deadline passed by `now`; returns
    /// whether it did.
    pub fn time_out(&mut self, now: DateTime<Utc>) -> bool {
        if self.state == SyncState::Collecting && self.deadline <= now {
            self.state = SyncState::TimedOut;
            self.finished_at = Some(now);
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::domain::registration::{test_at as at, test_rules as rules};

    #[test]
    fn a_sync_completes_when_every_item_of_sum_num_arrived() {
        let r = rules();
        let device = GbId::parse("31011611001180000001").unwrap();
        let mut sync = CatalogSync::start(device, 7, &r, at(0));
        assert!(!sync.receive(3, 1, &r, at(1)));
        assert!(!sync.receive(3, 2, &r, at(2)));
        assert_eq!(sync.deadline, at(32));
        assert!(sync.receive(3, 3, &r, at(3)));
        assert_eq!(sync.state, SyncState::Complete);
        assert!(
            !sync.receive(3, 3, &r, at(4)),
            "a packet resent after completion changes nothing"
        );
        assert!(!sync.time_out(at(100)));
    }

    #[test]
    fn a_sync_whose_packets_stop_times_out_partial() {
        let r = rules();
        let device = GbId::parse("31011611001180000001").unwrap();
        let mut sync = CatalogSync::start(device, 7, &r, at(0));
        sync.receive(3, 1, &r, at(1));
        assert!(!sync.time_out(at(30)));
        assert!(sync.time_out(at(31)));
        assert_eq!(
            (sync.state, sync.received, sync.sum_num),
            (SyncState::TimedOut, 1, 3)
        );
    }

    #[test]
    fn only_front_end_items_are_cameras() {
        let item = |id: &str| CatalogItem {
            id: id.into(),
            name: String::new(),
            manufacturer: String::new(),
            model: String::new(),
            status: "ON".into(),
            location: None,
        };
        assert!(item("31011611001310000001").channel().is_some());
        assert!(item("31011611002160000001").channel().is_none());
        assert!(item("not-a-code").channel().is_none());
    }
}
