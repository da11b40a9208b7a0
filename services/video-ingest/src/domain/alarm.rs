//! An alarm a device reports (GB/T 28181 Alarm notification), and whether
//! it can be used. One that cannot is recorded with the reason, never
//! dropped: a missing `AlarmTime` is a known way platforms lose alarms.

use chrono::{DateTime, FixedOffset, NaiveDateTime, Utc};

use super::camera::LatLng;
use super::gbid::GbId;
use super::ids::AlarmId;

/// An alarm as the device sent it, every field as text.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct AlarmReport {
    /// The DeviceID of the body: the alarming channel (or the device).
    pub source_id: String,
    pub sn: u64,
    pub priority: String,
    pub method: String,
    pub alarm_type: String,
    pub time: Option<String>,
    pub description: String,
    pub location: Option<LatLng>,
}

/// A recorded alarm.
#[derive(Debug, Clone, PartialEq)]
pub struct Alarm {
    pub id: AlarmId,
    pub device: GbId,
    /// The alarming channel, when the report named a known one.
    pub channel: Option<GbId>,
    pub sn: u64,
    pub priority: u32,
    pub method: u32,
    pub alarm_type: String,
    pub description: String,
    pub alarm_time: Option<DateTime<Utc>>,
    pub location: Option<LatLng>,
    pub received_at: DateTime<Utc>,
    /// Why it cannot be used; `None` when it can.
    pub unusable: Option<String>,
}

/// Reads a GB/T 28181 time (`2026-03-02T09:00:00`, local time, optional
/// fraction) in the town's `offset`.
pub fn parse_local_time(text: &str, offset: FixedOffset) -> Option<DateTime<Utc>> {
    let text = text.trim();
    [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%d %H:%M:%S",
    ]
    .iter()
    .find_map(|f| NaiveDateTime::parse_from_str(text, f).ok())
    .and_then(|t| t.and_local_timezone(offset).single())
    .map(|t| t.to_utc())
}

impl Alarm {
    /// Records `report` from `device` received at `now`; `known` says
    /// whether the channel it names is one of the device's (or the device
    /// itself). Every rule it breaks is in `unusable`, the first first.
    pub fn assess(
        report: &AlarmReport,
        device: &GbId,
        known: bool,
        offset: FixedOffset,
        now: DateTime<Utc>,
    ) -> Self {
        let mut reasons = Vec::new();
        let channel = GbId::parse(&report.source_id).ok().filter(|_| known);
        if channel.is_none() {
            reasons.push(format!(
                "DeviceID {:?} is not a known channel of device {device}",
                report.source_id
            ));
        }
        let alarm_time = match report.time.as_deref().map(str::trim) {
            None | Some("") => {
                reasons.push("AlarmTime is missing".to_owned());
                None
            }
            Some(text) => {
                let parsed = parse_local_time(text, offset);
                if parsed.is_none() {
                    reasons.push(format!("AlarmTime {text:?} is not a time"));
                }
                parsed
            }
        };
        let priority = report
            .priority
            .trim()
            .parse()
            .ok()
            .filter(|p| (1..=4).contains(p));
        if priority.is_none() {
            reasons.push(format!("AlarmPriority {:?} is not 1-4", report.priority));
        }
        let method = report
            .method
            .trim()
            .parse()
            .ok()
            .filter(|m| (1..=7).contains(m));
        if method.is_none() {
            reasons.push(format!("AlarmMethod {:?} is not 1-7", report.method));
        }
        Self {
            id: AlarmId::generate(),
            device: device.clone(),
            channel,
            sn: report.sn,
            priority: priority.unwrap_or(0),
            method: method.unwrap_or(0),
            alarm_type: report.alarm_type.trim().to_owned(),
            description: report.description.trim().to_owned(),
            alarm_time,
            location: report.location.filter(|l| l.is_known()),
            received_at: now,
            unusable: (!reasons.is_empty()).then(|| reasons.join("; ")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shanghai() -> FixedOffset {
        FixedOffset::east_opt(8 * 3600).unwrap()
    }

    fn report() -> AlarmReport {
        AlarmReport {
            source_id: "31011611001340000001".into(),
            sn: 3,
            priority: "1".into(),
            method: "5".into(),
            alarm_type: "2".into(),
            time: Some("2026-03-02T09:30:00".into()),
            description: "火情".into(),
            location: None,
        }
    }

    #[test]
    fn a_complete_alarm_is_usable_at_its_local_time() {
        let device = GbId::parse("31011611001320000001").unwrap();
        let now = DateTime::from_timestamp(1_772_413_200, 0).unwrap();
        let alarm = Alarm::assess(&report(), &device, true, shanghai(), now);
        assert_eq!(alarm.unusable, None);
        assert_eq!(
            alarm.alarm_time.unwrap().to_rfc3339(),
            "2026-03-02T01:30:00+00:00"
        );
        assert_eq!((alarm.priority, alarm.method), (1, 5));
    }

    #[test]
    fn an_alarm_without_alarm_time_is_kept_with_the_reason() {
        let device = GbId::parse("31011611001320000001").unwrap();
        let now = DateTime::from_timestamp(1_772_413_200, 0).unwrap();
        let mut r = report();
        r.time = None;
        r.priority = "9".into();
        let alarm = Alarm::assess(&r, &device, true, shanghai(), now);
        assert_eq!(
            alarm.unusable.as_deref(),
            Some("AlarmTime is missing; AlarmPriority \"9\" is not 1-4")
        );
        let stranger = Alarm::assess(&report(), &device, false, shanghai(), now);
        assert!(stranger.unusable.unwrap().starts_with("DeviceID"));
    }
}
