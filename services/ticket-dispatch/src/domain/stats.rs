//! Statistics computed from tickets' histories: the KPIs of 12345 practice
//! (办结率, 按时响应率, 实际解决率, 满意率), times to dispatch, sign and close,
//! returns, extensions and escalations per unit, and the rectification rate
//! of hazards found by patrols; and the assessment of villages.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use super::channel::Channel;
use super::grid::Village;
use super::leg::{Leg, LegOutcome, LegStart};

/// The tickets received in `[from, to)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
}

/// What the history says of one ticket.
#[derive(Debug, Clone, PartialEq)]
pub struct TicketFacts {
    pub channel: Channel,
    pub village: Option<String>,
    pub received_at: DateTime<Utc>,
    pub first_dispatch: Option<DateTime<Utc>>,
    pub first_accept: Option<DateTime<Utc>>,
    pub first_resolve: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    pub reopens: u32,
    pub escalations: u32,
    pub extensions: u32,
    pub satisfaction: Option<u32>,
    /// Rejected at the desk as not a case.
    pub rejected: bool,
    /// Every hand it passed through, in order (see [`Leg`]).
    pub legs: Vec<Leg>,
}

impl TicketFacts {
    /// Returns the legs given to units (not the desk's own), the ticket's
    /// and its co-handlers' tasks', of `unit` only when one is named.
    pub fn unit_legs<'a>(&'a self, unit: Option<&'a str>) -> impl Iterator<Item = &'a Leg> {
        self.legs
            .iter()
            .filter(move |leg| !leg.is_desk() && unit.is_none_or(|u| leg.unit.code == u))
    }

    /// Returns the first leg a unit (not the desk) was given of the ticket
    /// itself (not a co-handler's task).
    pub fn first_unit_leg(&self) -> Option<&Leg> {
        self.legs
            .iter()
            .find(|leg| leg.task.is_none() && leg.start != LegStart::Desk)
    }

    /// Returns whether the first unit resolved it by its first leg's own
    /// deadline (with that leg's pauses and extensions). Later legs do not
    /// change it: a ticket on time and later reopened stays on time, one
    /// escalated or returned on its first leg stays not on time.
    pub fn on_time(&self) -> bool {
        self.first_unit_leg()
            .and_then(Leg::resolved_on_time)
            .unwrap_or(false)
    }
}

/// The figures of a set of tickets (see `weigrid.dispatch.v1.Statistics`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Summary {
    pub key: String,
    pub received: u32,
    pub dispatched: u32,
    pub resolved: u32,
    pub closed: u32,
    pub closure_rate: f64,
    pub on_time_rate: f64,
    pub resolution_rate: f64,
    pub satisfaction_rate: f64,
    pub rated: u32,
    pub avg_minutes_to_dispatch: f64,
    pub p90_minutes_to_dispatch: f64,
    pub avg_minutes_to_sign: f64,
    pub p90_minutes_to_sign: f64,
    pub avg_hours_to_close: f64,
    pub p90_hours_to_close: f64,
    pub returns: u32,
    pub extensions: u32,
    pub escalations: u32,
    pub hazards: u32,
    pub hazard_rectification_rate: f64,
    /// Legs given to units (to the one unit, grouped by unit).
    pub legs: u32,
    /// 退单率: returns / legs.
    pub return_rate: f64,
    /// Rejected at the desk as not a case (in `received`, in no other
    /// figure).
    pub rejected: u32,
}

fn ratio(part: usize, whole: usize) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 / whole as f64
    }
}

/// Returns the mean and the 90th percentile (nearest rank) of `values`.
pub fn mean_and_p90(mut values: Vec<f64>) -> (f64, f64) {
    if values.is_empty() {
        return (0.0, 0.0);
    }
    values.sort_by(f64::total_cmp);
    let mean = values.iter().sum::<f64>() / values.len() as f64;
    let rank = ((0.9 * values.len() as f64).ceil() as usize).clamp(1, values.len());
    (mean, values[rank - 1])
}

fn minutes(from: DateTime<Utc>, to: DateTime<Utc>) -> f64 {
    (to - from).num_seconds() as f64 / 60.0
}

/// Summarises `facts` under `key`; the figures of legs (returns, the
/// return rate) are of `unit`'s legs only when one is named.
pub fn summarize(key: &str, facts: &[&TicketFacts], unit: Option<&str>) -> Summary {
    // What the desk rejected as not a case is counted apart, in no other
    // figure.
    let received = facts.len();
    let (rejected, cases): (Vec<&TicketFacts>, Vec<&TicketFacts>) =
        facts.iter().copied().partition(|f| f.rejected);
    let facts = &cases[..];
    let legs: Vec<&Leg> = facts.iter().flat_map(|f| f.unit_legs(unit)).collect();
    let returns = legs
        .iter()
        .filter(|l| l.outcome == Some(LegOutcome::Returned))
        .count();
    let dispatched: Vec<_> = facts
        .iter()
        .filter(|f| f.first_dispatch.is_some())
        .collect();
    let closed: Vec<_> = facts.iter().filter(|f| f.closed_at.is_some()).collect();
    let rated: Vec<u32> = facts.iter().filter_map(|f| f.satisfaction).collect();
    let hazards: Vec<_> = facts
        .iter()
        .filter(|f| f.channel == Channel::GridPatrol)
        .collect();
    let (avg_dispatch, p90_dispatch) = mean_and_p90(
        facts
            .iter()
            .filter_map(|f| Some(minutes(f.received_at, f.first_dispatch?)))
            .collect(),
    );
    let (avg_sign, p90_sign) = mean_and_p90(
        facts
            .iter()
            .filter_map(|f| Some(minutes(f.first_dispatch?, f.first_accept?)))
            .collect(),
    );
    let (avg_close, p90_close) = mean_and_p90(
        facts
            .iter()
            .filter_map(|f| Some(minutes(f.received_at, f.closed_at?) / 60.0))
            .collect(),
    );
    Summary {
        key: key.to_owned(),
        received: received as u32,
        rejected: rejected.len() as u32,
        dispatched: dispatched.len() as u32,
        resolved: facts.iter().filter(|f| f.first_resolve.is_some()).count() as u32,
        closed: closed.len() as u32,
        closure_rate: ratio(closed.len(), facts.len()),
        on_time_rate: ratio(
            dispatched.iter().filter(|f| f.on_time()).count(),
            dispatched.len(),
        ),
        resolution_rate: ratio(
            closed.iter().filter(|f| f.reopens == 0).count(),
            closed.len(),
        ),
        satisfaction_rate: ratio(rated.iter().filter(|s| **s >= 4).count(), rated.len()),
        rated: rated.len() as u32,
        avg_minutes_to_dispatch: avg_dispatch,
        p90_minutes_to_dispatch: p90_dispatch,
        avg_minutes_to_sign: avg_sign,
        p90_minutes_to_sign: p90_sign,
        avg_hours_to_close: avg_close,
        p90_hours_to_close: p90_close,
        returns: returns as u32,
        extensions: facts.iter().map(|f| f.extensions).sum(),
        escalations: facts.iter().map(|f| f.escalations).sum(),
        hazards: hazards.len() as u32,
        hazard_rectification_rate: ratio(
            hazards.iter().filter(|f| f.closed_at.is_some()).count(),
            hazards.len(),
        ),
        legs: legs.len() as u32,
        return_rate: ratio(returns, legs.len()),
    }
}

/// How statistics are grouped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GroupBy {
    Channel,
    /// Every unit that held a leg of a ticket: the tickets it held, and
    /// the figures of its own legs.
    Unit,
    Village,
}

/// The group of tickets no unit held.
pub const NOT_DISPATCHED: &str = "(not dispatched)";

impl GroupBy {
    /// Returns the keys of the groups `facts` fall in: one channel, one
    /// village, or every unit that held a leg of it.
    pub fn keys(self, facts: &TicketFacts) -> Vec<String> {
        match self {
            GroupBy::Channel => vec![facts.channel.as_str().to_owned()],
            GroupBy::Unit => {
                let mut units: Vec<String> = Vec::new();
                for leg in facts.unit_legs(None) {
                    if !units.contains(&leg.unit.code) {
                        units.push(leg.unit.code.clone());
                    }
                }
                if units.is_empty() {
                    units.push(NOT_DISPATCHED.into());
                }
                units
            }
            GroupBy::Village => vec![
                facts
                    .village
                    .clone()
                    .unwrap_or_else(|| "(no village)".into()),
            ],
        }
    }
}

/// Returns the figures of all `facts` (under the empty key) and of each
/// group by `group_by`, in the order of their keys.
pub fn summarize_by(facts: &[TicketFacts], group_by: GroupBy) -> (Summary, Vec<Summary>) {
    let mut groups: BTreeMap<String, Vec<&TicketFacts>> = BTreeMap::new();
    for f in facts {
        for key in group_by.keys(f) {
            groups.entry(key).or_default().push(f);
        }
    }
    let all: Vec<&TicketFacts> = facts.iter().collect();
    let by_unit = |key: &str| group_by == GroupBy::Unit && key != NOT_DISPATCHED;
    (
        summarize("", &all, None),
        groups
            .iter()
            .map(|(key, facts)| summarize(key, facts, by_unit(key).then_some(key.as_str())))
            .collect(),
    )
}

/// The three indicators of a village's assessment, each 0–100.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Indicators {
    /// Running of the five-chief system: the on-time response rate.
    pub five_chief: f64,
    /// Unified management: closure and satisfaction, half each (all
    /// satisfied when nobody rated).
    pub unified_management: f64,
    /// Safety: hazards rectified (all, when none were found) and deadlines
    /// kept without escalation, half each.
    pub safety: f64,
}

impl Indicators {
    /// Returns the indicators of a village from its tickets' summary.
    pub fn of(summary: &Summary) -> Self {
        // Nothing to fault where nothing happened.
        let or_full = |rate: f64, whole: u32| if whole == 0 { 1.0 } else { rate };
        let on_time = or_full(summary.on_time_rate, summary.dispatched);
        let closure = or_full(summary.closure_rate, summary.received);
        let satisfaction = if summary.rated == 0 {
            1.0
        } else {
            summary.satisfaction_rate
        };
        let rectified = if summary.hazards == 0 {
            1.0
        } else {
            summary.hazard_rectification_rate
        };
        let kept = 1.0
            - ratio(
                summary.escalations.min(summary.dispatched) as usize,
                summary.dispatched as usize,
            );
        Self {
            five_chief: 100.0 * on_time,
            unified_management: 100.0 * (closure + satisfaction) / 2.0,
            safety: 100.0 * (rectified + kept) / 2.0,
        }
    }

    /// Returns the mean of the three.
    pub fn score(&self) -> f64 {
        (self.five_chief + self.unified_management + self.safety) / 3.0
    }
}

/// A village's assessment over a period.
#[derive(Debug, Clone, PartialEq)]
pub struct VillageScore {
    pub village: Village,
    pub indicators: Indicators,
    /// The mean of the indicators.
    pub score: f64,
    /// The weight of its kind in the town's assessment.
    pub weight: f64,
    pub weighted: f64,
    /// The tickets received there in the period.
    pub tickets: u32,
}

impl VillageScore {
    /// Assesses `village` over `facts` (the whole town's: its own are
    /// picked), weighed `weight`.
    pub fn assess(village: Village, facts: &[TicketFacts], weight: f64) -> Self {
        let own: Vec<&TicketFacts> = facts
            .iter()
            .filter(|f| f.village.as_deref() == Some(village.code.as_str()))
            .collect();
        let summary = summarize(&village.code, &own, None);
        let indicators = Indicators::of(&summary);
        let score = indicators.score();
        Self {
            village,
            indicators,
            score,
            weight,
            weighted: score * weight,
            tickets: summary.received,
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeDelta;

    use super::*;
    use crate::domain::escalation::UnitKind;
    use crate::domain::unit::UnitRef;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().to_utc()
    }

    fn facts(channel: Channel) -> TicketFacts {
        TicketFacts {
            channel,
            village: Some("V1".into()),
            received_at: at("2026-03-02T09:00:00+08:00"),
            first_dispatch: None,
            first_accept: None,
            first_resolve: None,
            closed_at: None,
            reopens: 0,
            escalations: 0,
            extensions: 0,
            satisfaction: None,
            rejected: false,
            legs: Vec::new(),
        }
    }

    /// A 24 h leg of the ticket itself held by `unit` from `given`, ended
    /// `ended` with `outcome`.
    fn ended_leg(unit: &str, given: &str, ended: &str, outcome: LegOutcome) -> Leg {
        let given = at(given);
        let mut leg = Leg::give(
            1,
            None,
            UnitRef::new(UnitKind::MicroGrid, unit, unit),
            LegStart::Dispatch,
            given,
            given + TimeDelta::hours(24),
        );
        leg.end(outcome, at(ended));
        leg
    }

    fn resolved_leg(given: &str, resolved: &str) -> Leg {
        ended_leg("V1-A1-M01", given, resolved, LegOutcome::Resolved)
    }

    #[test]
    fn the_p90_is_the_nearest_rank() {
        let (mean, p90) = mean_and_p90((1..=10).map(f64::from).collect());
        assert_eq!((mean, p90), (5.5, 9.0));
        assert_eq!(mean_and_p90(vec![]), (0.0, 0.0));
    }

    #[test]
    fn kpis_count_what_the_history_shows() {
        let mut on_time = facts(Channel::Hotline12345);
        on_time.first_dispatch = Some(at("2026-03-02T09:30:00+08:00"));
        on_time.first_accept = Some(at("2026-03-02T10:30:00+08:00"));
        on_time.first_resolve = Some(at("2026-03-02T20:00:00+08:00"));
        on_time.closed_at = Some(at("2026-03-03T09:00:00+08:00"));
        on_time.satisfaction = Some(5);
        on_time.legs = vec![resolved_leg(
            "2026-03-02T09:30:00+08:00",
            "2026-03-02T20:00:00+08:00",
        )];
        let mut late = facts(Channel::Hotline12345);
        late.first_dispatch = Some(at("2026-03-02T11:00:00+08:00"));
        late.first_accept = Some(at("2026-03-02T12:00:00+08:00"));
        late.first_resolve = Some(at("2026-03-04T09:00:00+08:00"));
        late.closed_at = Some(at("2026-03-05T09:00:00+08:00"));
        late.reopens = 1;
        late.satisfaction = Some(2);
        late.legs = vec![
            ended_leg(
                "V1-A1-M02",
                "2026-03-02T11:00:00+08:00",
                "2026-03-02T11:30:00+08:00",
                LegOutcome::Returned,
            ),
            resolved_leg("2026-03-02T11:30:00+08:00", "2026-03-04T09:00:00+08:00"),
        ];
        let open = facts(Channel::GridPatrol);
        let all = [&on_time, &late, &open];
        let s = summarize("", &all, None);
        assert_eq!(
            (s.received, s.dispatched, s.resolved, s.closed),
            (3, 2, 2, 2)
        );
        assert!((s.closure_rate - 2.0 / 3.0).abs() < 1e-9);
        assert_eq!(s.on_time_rate, 0.5);
        assert_eq!(s.resolution_rate, 0.5);
        assert_eq!((s.satisfaction_rate, s.rated), (0.5, 2));
        // Dispatch after 30 and 120 minutes.
        assert_eq!(
            (s.avg_minutes_to_dispatch, s.p90_minutes_to_dispatch),
            (75.0, 120.0)
        );
        assert_eq!((s.avg_minutes_to_sign, s.p90_minutes_to_sign), (60.0, 60.0));
        assert_eq!((s.avg_hours_to_close, s.p90_hours_to_close), (48.0, 72.0));
        assert_eq!(
            (s.returns, s.hazards, s.hazard_rectification_rate),
            (1, 1, 0.0)
        );
        assert_eq!(s.legs, 3);
        assert!((s.return_rate - 1.0 / 3.0).abs() < 1e-9);
        let returning = summarize("V1-A1-M02", &all, Some("V1-A1-M02"));
        assert_eq!(
            (returning.legs, returning.returns, returning.return_rate),
            (1, 1, 1.0),
            "a return counts against the unit that made it"
        );
        let indicators = Indicators::of(&s);
        assert_eq!(indicators.five_chief, 50.0);
        assert!((indicators.unified_management - 100.0 * (2.0 / 3.0 + 0.5) / 2.0).abs() < 1e-9);
        assert_eq!(indicators.safety, 50.0);
    }

    #[test]
    fn a_rejected_ticket_is_counted_apart_and_in_no_other_figure() {
        let mut closed = facts(Channel::VillagerApp);
        closed.first_dispatch = Some(at("2026-03-02T09:30:00+08:00"));
        closed.closed_at = Some(at("2026-03-03T09:00:00+08:00"));
        let mut prank = facts(Channel::VillagerApp);
        prank.rejected = true;
        let s = summarize("", &[&closed, &prank], None);
        assert_eq!((s.received, s.rejected, s.closed), (2, 1, 1));
        assert_eq!(s.closure_rate, 1.0, "the prank is no unclosed case");
    }

    #[test]
    fn groups_come_in_key_order_and_name_what_is_missing() {
        let mut patrol = facts(Channel::GridPatrol);
        patrol.village = None;
        let mut hotline = facts(Channel::Hotline12345);
        hotline.legs = vec![resolved_leg(
            "2026-03-02T09:30:00+08:00",
            "2026-03-02T20:00:00+08:00",
        )];
        let all = [hotline, patrol];
        let (total, channels) = summarize_by(&all, GroupBy::Channel);
        assert_eq!(total.received, 2);
        let keys: Vec<_> = channels.iter().map(|g| g.key.as_str()).collect();
        assert_eq!(keys, ["GRID_PATROL", "HOTLINE_12345"]);
        let (_, units) = summarize_by(&all, GroupBy::Unit);
        let keys: Vec<_> = units.iter().map(|g| g.key.as_str()).collect();
        assert_eq!(keys, ["(not dispatched)", "V1-A1-M01"]);
        assert_eq!(GroupBy::Village.keys(&all[1]), ["(no village)"]);
    }
}
