//! The SLA board (时效看板), as the published 12345 boards show it: per
//! unit the figures dispatch's GetStatistics computes from the legs —
//! on-time signing (按时签收率) and resolution (按时办结率), actually solved
//! (实际解决率), satisfaction (满意率), returns counted against the unit
//! that handed the work back (退单率), transfers per case, the intervals'
//! averages and p90 — and for the town the places reported more than once
//! and the rising categories. Beside them what only the open tickets tell:
//! how many each unit holds past their deadline now and how old the
//! backlog is. Nothing here recomputes a figure dispatch computes; a group
//! with no case ("无案件 no cases") has no rates at all, never 100 %.

use std::collections::BTreeMap;

use chrono::{DateTime, TimeDelta, Utc};
use proto::dispatch::v1 as pb;
use serde::Serialize;

/// A rate as dispatch gives it, or none: no case in the group, or nothing
/// judged for this rate (its denominator is 0).
fn rate(has_cases: bool, value: f64, judged: u32) -> Option<f64> {
    (has_cases && judged > 0).then_some(value)
}

/// An interval's average and p90 over the cases that reached both ends;
/// none without a case that reached the later one (as the counts tell).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Interval {
    pub avg: f64,
    pub p90: f64,
}

fn interval(has_cases: bool, reached: u32, avg: f64, p90: f64) -> Option<Interval> {
    (has_cases && reached > 0).then_some(Interval { avg, p90 })
}

/// One unit's figures (or the town's, under an empty key).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UnitFigures {
    pub key: String,
    /// The department's name from the registry, when the unit is one.
    pub name: Option<String>,
    /// False: "无案件 no cases" — every rate below is none.
    pub has_cases: bool,
    pub received: u32,
    pub rejected: u32,
    pub merged: u32,
    pub dispatched: u32,
    pub resolved: u32,
    pub closed: u32,
    /// 办结率: closed / cases.
    pub closure_rate: Option<f64>,
    /// 按时签收率: `signed_on_time` / `signing_judged` unit legs.
    pub on_time_signing_rate: Option<f64>,
    pub signed_on_time: u32,
    pub signing_judged: u32,
    /// 按时办结率: `resolved_on_time` / `resolution_judged` unit legs.
    pub on_time_resolution_rate: Option<f64>,
    pub resolved_on_time: u32,
    pub resolution_judged: u32,
    /// 实际解决率: `actually_solved` / `resolved` cases.
    pub actually_solved_rate: Option<f64>,
    pub actually_solved: u32,
    /// 满意率: ratings of 4 or 5 / `ratings`.
    pub satisfaction_rate: Option<f64>,
    pub ratings: u32,
    /// 退单: legs this unit handed back (the total: every unit's).
    pub returns: u32,
    /// Unit legs given (to this unit).
    pub legs: u32,
    /// 退单率: `returns` / `legs`.
    pub return_rate: Option<f64>,
    /// 转办: redispatches of the tickets to another unit.
    pub transfers: u32,
    /// Transfers / cases dispatched.
    pub transfers_per_ticket: Option<f64>,
    pub extensions: u32,
    pub escalations: u32,
    /// Receipt → first dispatch, minutes.
    pub minutes_to_dispatch: Option<Interval>,
    /// First dispatch → first signature, minutes.
    pub minutes_to_sign: Option<Interval>,
    /// First signature → first resolution, hours.
    pub hours_sign_to_resolve: Option<Interval>,
    /// Receipt → close, hours.
    pub hours_to_close: Option<Interval>,
    /// Open tickets this unit holds past their deadline now (from the
    /// overdue queue, not the statistics).
    pub overdue_now: u32,
}

impl UnitFigures {
    fn new(s: &pb::Statistics, name: Option<String>, overdue_now: u32) -> Self {
        let cases = s.has_cases;
        let cases_received = s.received.saturating_sub(s.rejected + s.merged);
        Self {
            key: s.key.clone(),
            name,
            has_cases: cases,
            received: s.received,
            rejected: s.rejected,
            merged: s.merged,
            dispatched: s.dispatched,
            resolved: s.resolved,
            closed: s.closed,
            closure_rate: rate(cases, s.closure_rate, cases_received),
            on_time_signing_rate: rate(cases, s.on_time_signing_rate, s.signing_judged),
            signed_on_time: s.signed_on_time,
            signing_judged: s.signing_judged,
            on_time_resolution_rate: rate(cases, s.on_time_resolution_rate, s.resolution_judged),
            resolved_on_time: s.resolved_on_time,
            resolution_judged: s.resolution_judged,
            actually_solved_rate: rate(cases, s.actually_solved_rate, s.resolved),
            actually_solved: s.actually_solved,
            satisfaction_rate: rate(cases, s.satisfaction_rate, s.ratings),
            ratings: s.ratings,
            returns: s.returns,
            legs: s.legs,
            return_rate: rate(cases, s.return_rate, s.legs),
            transfers: s.transfers,
            transfers_per_ticket: rate(cases, s.transfers_per_ticket, s.dispatched),
            extensions: s.extensions,
            escalations: s.escalations,
            minutes_to_dispatch: interval(
                cases,
                s.dispatched,
                s.avg_minutes_to_dispatch,
                s.p90_minutes_to_dispatch,
            ),
            minutes_to_sign: interval(
                cases,
                s.signing_judged,
                s.avg_minutes_to_sign,
                s.p90_minutes_to_sign,
            ),
            hours_sign_to_resolve: interval(
                cases,
                s.resolved,
                s.avg_hours_sign_to_resolve,
                s.p90_hours_sign_to_resolve,
            ),
            hours_to_close: interval(cases, s.closed, s.avg_hours_to_close, s.p90_hours_to_close),
            overdue_now,
        }
    }
}

/// A place reported more than once in the period (重复投诉).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RepeatPlace {
    /// `[lng, lat]` of the first report.
    pub at: Option<[f64; 2]>,
    pub micro_grid_code: String,
    pub village_code: String,
    pub reports: u32,
    pub merged: u32,
    /// The reports' categories, each with its name when dispatch has it.
    pub categories: Vec<Category>,
    pub ticket_numbers: Vec<String>,
}

/// A category: its code and name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Category {
    pub code: String,
    pub name: String,
}

/// A category reported more than in the equal period before.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RisingCategory {
    pub category: Category,
    pub this_period: u32,
    pub previous_period: u32,
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
    pub repeat_places: Vec<RepeatPlace>,
    pub rising_categories: Vec<RisingCategory>,
}

/// What the board shows beside the statistics: the overdue and the open
/// tickets, the departments' and categories' names by code, and the time.
pub struct Context<'a> {
    pub overdue: &'a [pb::Ticket],
    pub open: &'a [pb::Ticket],
    pub unit_names: &'a BTreeMap<String, String>,
    pub category_names: &'a BTreeMap<String, String>,
    pub now: DateTime<Utc>,
}

impl Context<'_> {
    fn category(&self, code: &str) -> Category {
        Category {
            code: code.to_owned(),
            name: self.category_names.get(code).cloned().unwrap_or_default(),
        }
    }
}

/// The backlog's age buckets: upper bounds in days (the last is open).
const BUCKETS: [(&str, i64); 5] = [
    ("0-1d", 1),
    ("1-3d", 3),
    ("3-7d", 7),
    ("7-30d", 30),
    ("30d+", i64::MAX),
];

/// Returns the board of `statistics` (GetStatistics by unit) with what
/// `context` adds.
pub fn board(statistics: &pb::GetStatisticsResponse, context: &Context<'_>) -> Board {
    let mut held: BTreeMap<&str, u32> = BTreeMap::new();
    for ticket in context.overdue {
        let code = ticket.assignee.as_ref().map_or("", |u| u.code.as_str());
        *held.entry(code).or_default() += 1;
    }
    let units: Vec<UnitFigures> = statistics
        .groups
        .iter()
        .map(|s| {
            UnitFigures::new(
                s,
                context.unit_names.get(&s.key).cloned(),
                held.remove(s.key.as_str()).unwrap_or(0),
            )
        })
        .collect();
    let total = UnitFigures::new(
        &statistics.total.clone().unwrap_or_default(),
        None,
        u32::try_from(context.overdue.len()).unwrap_or(u32::MAX),
    );
    Board {
        total,
        units,
        overdue_elsewhere: held.values().sum(),
        open_tickets: u32::try_from(context.open.len()).unwrap_or(u32::MAX),
        ageing: ageing(context.open, context.now),
        repeat_places: statistics
            .repeat_places
            .iter()
            .map(|p| RepeatPlace {
                at: p.location.as_ref().map(|l| [l.lng, l.lat]),
                micro_grid_code: p.micro_grid_code.clone(),
                village_code: p.village_code.clone(),
                reports: p.reports,
                merged: p.merged,
                categories: p
                    .category_codes
                    .iter()
                    .map(|c| context.category(c))
                    .collect(),
                ticket_numbers: p.ticket_numbers.clone(),
            })
            .collect(),
        rising_categories: statistics
            .rising_categories
            .iter()
            .map(|c| RisingCategory {
                category: context.category(&c.category_code),
                this_period: c.this_period,
                previous_period: c.previous_period,
            })
            .collect(),
    }
}

/// Returns the `open` tickets counted by how long they have waited since
/// receipt, as of `now`.
fn ageing(open: &[pb::Ticket], now: DateTime<Utc>) -> Vec<AgeBucket> {
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
    ageing
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
                legs: 5,
                return_rate: 0.4,
                has_cases: true,
                ..Default::default()
            }),
            groups: vec![
                pb::Statistics {
                    key: "M01".into(),
                    has_cases: true,
                    received: 3,
                    dispatched: 3,
                    returns: 2,
                    legs: 3,
                    return_rate: 2.0 / 3.0,
                    signed_on_time: 2,
                    signing_judged: 3,
                    on_time_signing_rate: 2.0 / 3.0,
                    resolution_judged: 0,
                    transfers: 1,
                    transfers_per_ticket: 1.0 / 3.0,
                    avg_minutes_to_sign: 12.5,
                    p90_minutes_to_sign: 20.0,
                    ..Default::default()
                },
                pb::Statistics {
                    key: "CHENGGUAN".into(),
                    has_cases: false,
                    ..Default::default()
                },
            ],
            repeat_places: vec![pb::RepeatPlace {
                location: Some(pb::LatLng {
                    lat: 30.8,
                    lng: 121.3,
                }),
                micro_grid_code: "M01".into(),
                reports: 3,
                merged: 2,
                category_codes: vec!["SANITATION".into()],
                ticket_numbers: vec!["LX-1".into(), "LX-2".into(), "LX-3".into()],
                ..Default::default()
            }],
            rising_categories: vec![pb::CategoryTrend {
                category_code: "NOISE".into(),
                this_period: 4,
                previous_period: 1,
            }],
        };
        let overdue = [
            held_by("M01", now - TimeDelta::days(10)),
            held_by("D9", now - TimeDelta::days(40)),
        ];
        let open = [
            overdue[0].clone(),
            overdue[1].clone(),
            held_by("M01", now - TimeDelta::hours(5)),
        ];
        let units = BTreeMap::from([("CHENGGUAN".to_owned(), "城管中队".to_owned())]);
        let categories = BTreeMap::from([("SANITATION".to_owned(), "环境卫生".to_owned())]);
        let board = board(
            &stats,
            &Context {
                overdue: &overdue,
                open: &open,
                unit_names: &units,
                category_names: &categories,
                now,
            },
        );
        let m01 = &board.units[0];
        assert_eq!(m01.return_rate, Some(2.0 / 3.0), "dispatch's own 退单率");
        assert_eq!(m01.on_time_signing_rate, Some(2.0 / 3.0));
        assert_eq!(m01.on_time_resolution_rate, None, "nothing judged, no rate");
        assert_eq!(m01.transfers_per_ticket, Some(1.0 / 3.0));
        assert_eq!(
            m01.minutes_to_sign,
            Some(Interval {
                avg: 12.5,
                p90: 20.0
            })
        );
        assert_eq!(m01.hours_to_close, None);
        assert_eq!(m01.overdue_now, 1);

        let none = &board.units[1];
        assert_eq!(
            (none.has_cases, none.name.as_deref()),
            (false, Some("城管中队"))
        );
        assert_eq!(
            [
                none.closure_rate,
                none.on_time_signing_rate,
                none.on_time_resolution_rate,
                none.actually_solved_rate,
                none.satisfaction_rate,
                none.return_rate,
                none.transfers_per_ticket,
            ],
            [None; 7],
            "无案件: no rate at all, never 100 %"
        );

        assert_eq!((board.total.overdue_now, board.overdue_elsewhere), (2, 1));
        assert_eq!(board.total.return_rate, Some(0.4));
        let ageing: Vec<_> = board.ageing.iter().map(|b| b.tickets).collect();
        assert_eq!(ageing, [1, 0, 0, 1, 1]);

        let place = &board.repeat_places[0];
        assert_eq!(place.at, Some([121.3, 30.8]));
        assert_eq!((place.reports, place.merged), (3, 2));
        assert_eq!(place.categories[0].name, "环境卫生");
        let rising = &board.rising_categories[0];
        assert_eq!(
            (rising.category.code.as_str(), rising.category.name.as_str()),
            ("NOISE", ""),
            "a code dispatch no longer names keeps its code"
        );
        assert_eq!((rising.this_period, rising.previous_period), (4, 1));
    }
}
