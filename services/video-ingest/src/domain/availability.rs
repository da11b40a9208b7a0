//! The online rate (在线率) over time: from each device's status changes,
//! kept as history, the share of camera time online in each hour or day
//! (in the town's time), per owner or per grid. A camera is online while
//! its device is; an unregistered device counts as not online. Only time
//! the history covers counts: before a device's first recorded status its
//! cameras are neither online nor offline, so a device added mid-window
//! does not pull the rate down for the time it did not exist.

use chrono::{DateTime, Duration, FixedOffset, NaiveTime, TimeDelta, Timelike as _, Utc};

use super::camera::DeviceStatus;

/// A device's status from `at` on (until its next change).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatusChange {
    pub status: DeviceStatus,
    pub at: DateTime<Utc>,
}

/// The length of one bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bucket {
    Hour,
    /// A calendar day in the town's time.
    Day,
}

impl Bucket {
    fn length(self) -> TimeDelta {
        match self {
            Bucket::Hour => TimeDelta::hours(1),
            Bucket::Day => TimeDelta::days(1),
        }
    }

    /// Returns the start of the bucket holding `at`, in the town's time
    /// `offset` (a day starts at the town's midnight).
    pub fn start_of(self, at: DateTime<Utc>, offset: FixedOffset) -> DateTime<Utc> {
        let local = at.with_timezone(&offset);
        let floored = match self {
            Bucket::Hour => local
                .date_naive()
                .and_time(NaiveTime::from_hms_opt(local.hour(), 0, 0).unwrap_or(NaiveTime::MIN)),
            Bucket::Day => local.date_naive().and_time(NaiveTime::MIN),
        };
        floored
            .and_local_timezone(offset)
            .single()
            .map_or(at, |t| t.with_timezone(&Utc))
    }
}

/// What the rates are per.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grouping {
    /// Per owner: the town, or each enterprise by its code.
    Owner,
    /// Per micro-grid the cameras are placed in.
    Grid,
}

/// The key the town's cameras are grouped under per owner, and the key of
/// cameras placed in no grid.
pub const TOWN_KEY: &str = "TOWN";
pub const UNPLACED_KEY: &str = "UNPLACED";

/// The most buckets one question may cover: a month of hours, or a year
/// and a day of days.
pub const MAX_BUCKETS: usize = 31 * 24;

/// Returns the buckets `[start, end)` covering `from..to`, the first
/// starting at the bucket holding `from`, the last ending at `to` (a
/// bucket still running is cut at `to`).
pub fn buckets(
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    bucket: Bucket,
    offset: FixedOffset,
) -> Vec<(DateTime<Utc>, DateTime<Utc>)> {
    let mut out = Vec::new();
    let mut start = bucket.start_of(from, offset);
    while start < to && out.len() < MAX_BUCKETS {
        let end = (start + bucket.length()).min(to);
        out.push((start, end));
        start += bucket.length();
    }
    out
}

/// Online and known time of one device within `[start, end)`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Covered {
    pub online: Duration,
    pub known: Duration,
}

/// Returns how long the device of `changes` (in time order) was online,
/// and how long its status was known at all, within `[start, end)`.
pub fn covered(changes: &[StatusChange], start: DateTime<Utc>, end: DateTime<Utc>) -> Covered {
    let mut covered = Covered::default();
    for (i, change) in changes.iter().enumerate() {
        let until = changes.get(i + 1).map_or(end, |next| next.at);
        let (from, to) = (change.at.max(start), until.min(end));
        if to <= from {
            continue;
        }
        covered.known += to - from;
        if change.status == DeviceStatus::Online {
            covered.online += to - from;
        }
    }
    covered
}

/// The online rate of one group (an owner or a grid) in one bucket.
#[derive(Debug, Clone, PartialEq)]
pub struct OnlineRate {
    pub bucket_start: DateTime<Utc>,
    pub key: String,
    pub cameras: u32,
    /// Camera time online, and camera time whose status is known.
    pub online: Duration,
    pub known: Duration,
}

impl OnlineRate {
    /// Returns online ÷ known, 0–1; `None` when no camera time is known
    /// (no device of the group existed yet): no figure, never 100 %.
    pub fn rate(&self) -> Option<f64> {
        let known = self.known.num_milliseconds();
        (known > 0).then(|| self.online.num_milliseconds() as f64 / known as f64)
    }
}

/// A device's share of a group: its cameras in the group, and its
/// status history.
#[derive(Debug, Clone)]
pub struct Member<'a> {
    pub key: &'a str,
    pub cameras: u32,
    pub changes: &'a [StatusChange],
}

/// Returns the online rate of each group of `members` in each of
/// `buckets`, by bucket then key; each device's time counts once per
/// camera it has in the group.
pub fn online_rates(
    members: &[Member<'_>],
    buckets: &[(DateTime<Utc>, DateTime<Utc>)],
) -> Vec<OnlineRate> {
    let mut keys: Vec<&str> = members.iter().map(|m| m.key).collect();
    keys.sort_unstable();
    keys.dedup();
    let mut out = Vec::with_capacity(keys.len() * buckets.len());
    for &(start, end) in buckets {
        for key in &keys {
            let mut rate = OnlineRate {
                bucket_start: start,
                key: (*key).to_owned(),
                cameras: 0,
                online: Duration::zero(),
                known: Duration::zero(),
            };
            for member in members.iter().filter(|m| m.key == *key) {
                let c = covered(member.changes, start, end);
                let weight = i32::try_from(member.cameras).unwrap_or(i32::MAX);
                rate.cameras += member.cameras;
                rate.online += c.online * weight;
                rate.known += c.known * weight;
            }
            out.push(rate);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).unwrap().to_utc()
    }

    fn shanghai() -> FixedOffset {
        FixedOffset::east_opt(8 * 3600).unwrap()
    }

    fn change(status: DeviceStatus, at: &str) -> StatusChange {
        StatusChange { status, at: t(at) }
    }

    #[test]
    fn a_day_starts_at_the_towns_midnight_and_an_hour_on_the_hour() {
        let at = t("2026-03-02T17:25:10Z"); // 01:25 on 3 March in Shanghai
        assert_eq!(
            Bucket::Day.start_of(at, shanghai()),
            t("2026-03-02T16:00:00Z")
        );
        assert_eq!(
            Bucket::Hour.start_of(at, shanghai()),
            t("2026-03-02T17:00:00Z")
        );
    }

    #[test]
    fn buckets_run_from_the_one_holding_from_and_the_last_is_cut_at_to() {
        let got = buckets(
            t("2026-03-02T01:10:00Z"),
            t("2026-03-02T03:30:00Z"),
            Bucket::Hour,
            shanghai(),
        );
        assert_eq!(
            got,
            [
                (t("2026-03-02T01:00:00Z"), t("2026-03-02T02:00:00Z")),
                (t("2026-03-02T02:00:00Z"), t("2026-03-02T03:00:00Z")),
                (t("2026-03-02T03:00:00Z"), t("2026-03-02T03:30:00Z")),
            ]
        );
    }

    #[test]
    fn online_time_is_counted_between_changes_and_only_where_the_history_reaches() {
        use DeviceStatus::{Offline, Online, Unregistered};
        let changes = [
            change(Unregistered, "2026-03-02T01:15:00Z"),
            change(Online, "2026-03-02T01:30:00Z"),
            change(Offline, "2026-03-02T01:45:00Z"),
            change(Online, "2026-03-02T02:30:00Z"),
        ];
        let first = covered(
            &changes,
            t("2026-03-02T01:00:00Z"),
            t("2026-03-02T02:00:00Z"),
        );
        // Nothing known before 01:15; online 01:30–01:45.
        assert_eq!(first.known, Duration::minutes(45));
        assert_eq!(first.online, Duration::minutes(15));
        let second = covered(
            &changes,
            t("2026-03-02T02:00:00Z"),
            t("2026-03-02T03:00:00Z"),
        );
        assert_eq!(second.known, Duration::hours(1));
        assert_eq!(second.online, Duration::minutes(30));
        let before = covered(
            &changes,
            t("2026-03-02T00:00:00Z"),
            t("2026-03-02T01:00:00Z"),
        );
        assert_eq!(before, Covered::default());
    }

    #[test]
    fn a_group_weighs_each_device_by_its_cameras_and_knows_no_rate_without_history() {
        use DeviceStatus::{Offline, Online};
        let nvr = [change(Online, "2026-03-02T00:00:00Z")];
        let camera = [change(Offline, "2026-03-02T00:00:00Z")];
        let later = [change(Online, "2026-03-02T05:00:00Z")];
        let members = [
            Member {
                key: "V1-A1-M01",
                cameras: 3,
                changes: &nvr,
            },
            Member {
                key: "V1-A1-M01",
                cameras: 1,
                changes: &camera,
            },
            Member {
                key: "V1-A1-M02",
                cameras: 1,
                changes: &later,
            },
        ];
        let hour = [(t("2026-03-02T01:00:00Z"), t("2026-03-02T02:00:00Z"))];
        let rates = online_rates(&members, &hour);
        assert_eq!(rates.len(), 2);
        assert_eq!(rates[0].key, "V1-A1-M01");
        assert_eq!(rates[0].cameras, 4);
        assert_eq!(rates[0].rate(), Some(0.75));
        assert_eq!(rates[1].key, "V1-A1-M02");
        assert_eq!(rates[1].rate(), None, "no history yet: no figure");
    }
}
