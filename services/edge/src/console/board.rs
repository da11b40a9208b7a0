//! The SLA board (时效看板): dispatch's statistics per unit as
//! GetStatistics gives them (on-time rate, returns, extensions,
//! escalations), and beside them what only the open tickets tell — how many
//! each unit holds past their deadline now and how old the backlog is.
//! Nothing here recomputes a figure dispatch computes.

use std::collections::BTreeMap;

use chrono::{DateTime, TimeDelta, Utc};
use proto::dispatch::v1 as pb;
use serde::Serialize;

/// One unit's figures (or the total's, under an empty key).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UnitFigures {
    pub key: String,
    pub received: u32,
    pub dispatched: u32,
    pub resolved: u32,
    pub closed: u32,
    pub closure_rate: f64,
    pub on_time_rate: f64,
    pub satisfaction_rate: f64,
    pub returns: u32,
    pub extensions: u32,
    pub escalations: u32,
    /// 退单 per ticket received: `returns / received`; none without tickets.
    pub returns_per_ticket: Option<f64>,
    /// Open tickets this unit holds past their deadline now (from the
    /// overdue queue, not the statistics).
    pub overdue_now: u32,
}

impl UnitFigures {
    fn new(s: &pb::Statistics, overdue_now: u32) -> Self {
        Self {
            key: s.key.clone(),
            received: s.received,
            dispatched: s.dispatched,
            resolved: s.resolved,
            closed: s.closed,
            closure_rate: s.closure_rate,
            on_time_rate: s.on_time_rate,
            satisfaction_rate: s.satisfaction_rate,
            returns: s.returns,
            extensions: s.extensions,
            escalations: s.escalations,
            returns_per_ticket: (s.received > 0)
                .then(|| f64::from(s.returns) / f64::from(s.received)),
            overdue_now,
        }
    }
}

/// How many open tickets have waited how long since receipt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AgeBucket {
    /// `0-1d`, `1-3d`, `3-7d`, `7-30d`, `30d+`.
    pub bucket: &'static str,
    pub tickets: u32,
}

/// The board.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Board {
    pub total: UnitFigures,
    pub units: Vec<UnitFigures>,
    /// Overdue open tickets held by units the period's statistics do not
    /// name (dispatched before the period).
    pub overdue_elsewhere: u32,
    pub open_tickets: u32,
    pub ageing: Vec<AgeBucket>,
}

/// The backlog's age buckets: upper bounds in days (the last is open).
const BUCKETS: [(&str, i64); 5] = [
    ("0-1d", 1),
    ("1-3d", 3),
    ("3-7d", 7),
    ("7-30d", 30),
    ("30d+", i64::MAX),
];

/// Returns the board of `statistics` (GetStatistics by unit), the
/// `overdue` open tickets and the `open` ones, as of `now`.
pub fn board(
    statistics: &pb::GetStatisticsResponse,
    overdue: &[pb::Ticket],
    open: &[pb::Ticket],
    now: DateTime<Utc>,
) -> Board {
    let mut held: BTreeMap<&str, u32> = BTreeMap::new();
    for ticket in overdue {
        let code = ticket.assignee.as_ref().map_or("", |u| u.code.as_str());
        *held.entry(code).or_default() += 1;
    }
    let units: Vec<UnitFigures> = statistics
        .groups
        .iter()
        .map(|s| UnitFigures::new(s, held.remove(s.key.as_str()).unwrap_or(0)))
        .collect();
    let total = UnitFigures::new(
        &statistics.total.clone().unwrap_or_default(),
        u32::try_from(overdue.len()).unwrap_or(u32::MAX),
    );
    let mut ageing: Vec<AgeBucket> = BUCKETS
        .iter()
        .map(|(bucket, _)| AgeBucket { bucket, tickets: 0 })
        .collect();
    for ticket in open {
        let Some(received) = ticket
            .received_at
            .as_ref()
            .and_then(|t| DateTime::<Utc>::from_timestamp(t.seconds, 0))
        else {
            continue;
        };
        let age = now.signed_duration_since(received);
        let index = BUCKETS
            .iter()
            .position(|(_, days)| age < TimeDelta::try_days(*days).unwrap_or(TimeDelta::MAX))
            .unwrap_or(BUCKETS.len() - 1);
        ageing[index].tickets += 1;
    }
    Board {
        total,
        units,
        overdue_elsewhere: held.values().sum(),
        open_tickets: u32::try_from(open.len()).unwrap_or(u32::MAX),
        ageing,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn held_by(code: &str, received: DateTime<Utc>) -> pb::Ticket {
        pb::Ticket {
            assignee: Some(pb::Unit {
                code: code.into(),
                ..Default::default()
            }),
            received_at: Some(prost_types::Timestamp {
                seconds: received.timestamp(),
                nanos: 0,
            }),
            ..Default::default()
        }
    }

    #[test]
    fn the_board_keeps_the_statistics_figures_and_adds_the_open_tickets() {
        let now = DateTime::parse_from_rfc3339("2026-03-10T00:00:00Z")
            .unwrap()
            .to_utc();
        let stats = pb::GetStatisticsResponse {
            total: Some(pb::Statistics {
                received: 4,
                returns: 2,
                on_time_rate: 0.5,
                ..Default::default()
            }),
            groups: vec![
                pb::Statistics {
                    key: "M01".into(),
                    received: 3,
                    returns: 2,
                    on_time_rate: 2.0 / 3.0,
                    ..Default::default()
                },
                pb::Statistics {
                    key: "M02".into(),
                    ..Default::default()
                },
            ],
            ..Default::default()
        };
        let overdue = [
            held_by("M01", now - TimeDelta::days(10)),
            held_by("D9", now - TimeDelta::days(40)),
        ];
        let open = [
            overdue[0].clone(),
            overdue[1].clone(),
            held_by("M02", now - TimeDelta::hours(5)),
        ];
        let board = board(&stats, &overdue, &open, now);
        assert_eq!(board.units[0].on_time_rate, 2.0 / 3.0);
        assert_eq!(board.units[0].returns_per_ticket, Some(2.0 / 3.0));
        assert_eq!(board.units[0].overdue_now, 1);
        assert_eq!(
            board.units[1].returns_per_ticket, None,
            "no tickets, no rate"
        );
        assert_eq!((board.total.overdue_now, board.overdue_elsewhere), (2, 1));
        let ageing: Vec<_> = board.ageing.iter().map(|b| b.tickets).collect();
        assert_eq!(ageing, [1, 0, 0, 1, 1]);
    }
}
