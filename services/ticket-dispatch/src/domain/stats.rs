//! Statistics computed from tickets' legs and histories: the KPIs of 12345
//! practice — 按时签收率, 按时办结率, 实际解决率, 满意率, 退单率 per unit,
//! 办结率 — the average and p90 of each interval, transfers, the
//! rectification rate of hazards found by patrols, the places reported
//! more than once and the rising categories (the 12345 board); and the
//! assessment of villages. Each definition, with what it leaves out, is
//! written in the dispatch README.

use std::collections::BTreeMap;

use chrono::{DateTime, TimeDelta, Utc};
use geo::{Distance, Haversine, Point};

use super::channel::Channel;
use super::grid::{LatLng, Village};
use super::leg::{Leg, LegOutcome, LegStart};

/// The figures of a period (GetStatistics).
#[derive(Debug, Clone, PartialEq)]
pub struct Figures {
    pub total: Summary,
    pub groups: Vec<Summary>,
    /// Places reported more than once, within the duplicate radius.
    pub repeat_places: Vec<RepeatPlace>,
    /// Categories reported more than in the equal period before.
    pub rising_categories: Vec<CategoryTrend>,
}

/// The tickets received in `[from, to)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
}

impl Period {
    /// Returns the period of the same length just before this one (the
    /// one rising categories are measured against).
    pub fn previous(&self) -> Period {
        Period {
            from: self.from - (self.to - self.from),
            to: self.from,
        }
    }
}

/// What the history says of one ticket.
#[derive(Debug, Clone, PartialEq)]
pub struct TicketFacts {
    /// The human number, e.g. `LX-2026-000123`.
    pub number: String,
    pub channel: Channel,
    pub category: String,
    pub location: Option<LatLng>,
    pub micro_grid: Option<String>,
    pub village: Option<String>,
    pub received_at: DateTime<Utc>,
    pub first_dispatch: Option<DateTime<Utc>>,
    pub first_accept: Option<DateTime<Utc>>,
    pub first_resolve: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    pub reopens: u32,
    pub escalations: u32,
    pub extensions: u32,
    /// Every rating given at its follow-ups (1–5), in order.
    pub ratings: Vec<u32>,
    /// Whether the last word on its result — a verification, a
    /// follow-up's answer whether it is solved, a reopening — confirmed it
    /// solved.
    pub confirmed_solved: bool,
    /// Rejected at the desk as not a case.
    pub rejected: bool,
    /// Linked, as a duplicate, to the ticket it repeats.
    pub merged: bool,
    /// How long a unit may take to sign for a leg of its channel (签收时限);
    /// `None` when the channel has none.
    pub signing_limit: Option<TimeDelta>,
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

    /// Returns whether it is a case: neither rejected at the desk nor
    /// merged into the ticket it repeats.
    pub fn is_case(&self) -> bool {
        !self.rejected && !self.merged
    }

    /// Returns how often the ticket itself was dispatched on to another
    /// unit (转办): its legs started as redispatches.
    pub fn transfers(&self) -> usize {
        self.legs
            .iter()
            .filter(|leg| leg.task.is_none() && leg.start == LegStart::Redispatch)
            .count()
    }
}

/// Returns whether `leg` was signed within `limit` of being given, as of
/// `now`: `None` while that is still open (held unsigned, the limit not
/// yet passed) or moot (it ended unsigned before the limit passed — handed
/// back at once, taken away by the desk).
pub fn signed_on_time(leg: &Leg, limit: TimeDelta, now: DateTime<Utc>) -> Option<bool> {
    let by = leg.given_at + limit;
    match leg.signed_at {
        Some(at) => Some(at <= by),
        None => (leg.ended_at.unwrap_or(now) > by).then_some(false),
    }
}

/// Returns whether `leg` was resolved by its own deadline (pauses and
/// extensions included), as of `now`: `None` while it is open within its
/// deadline, and for a leg the desk took away before its deadline. A leg
/// handed back (退单) or escalated ended unresolved: not on time.
pub fn resolved_in_time(leg: &Leg, now: DateTime<Utc>) -> Option<bool> {
    match (leg.outcome, leg.ended_at) {
        (Some(LegOutcome::Resolved), Some(at)) => Some(at <= leg.due_at),
        (Some(LegOutcome::Returned | LegOutcome::Escalated), _) => Some(false),
        (Some(LegOutcome::Withdrawn | LegOutcome::Dispatched), Some(at)) => {
            (at > leg.due_at).then_some(false)
        }
        (Some(_), None) => None,
        (None, _) => (now > leg.due_at).then_some(false),
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
    /// The first leg's on-time resolution, per ticket (once misnamed
    /// 按时响应率; see `on_time_resolution_rate` for every leg).
    pub on_time_rate: f64,
    /// Closed without ever being reopened / closed (once misnamed
    /// 实际解决率; see `actually_solved_rate`).
    pub resolution_rate: f64,
    /// 满意率: ratings of 4 or 5 / every rating given.
    pub satisfaction_rate: f64,
    /// Tickets rated at least once.
    pub rated: u32,
    /// Ratings given, at every follow-up.
    pub ratings: u32,
    pub avg_minutes_to_dispatch: f64,
    pub p90_minutes_to_dispatch: f64,
    pub avg_minutes_to_sign: f64,
    pub p90_minutes_to_sign: f64,
    pub avg_hours_sign_to_resolve: f64,
    pub p90_hours_sign_to_resolve: f64,
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
    /// Merged into the ticket they repeat (in `received`, in no other
    /// figure).
    pub merged: u32,
    /// False when no case falls in the group: "no cases", every rate 0.
    pub has_cases: bool,
    /// 按时签收率: `signed_on_time / signing_judged`.
    pub on_time_signing_rate: f64,
    pub signed_on_time: u32,
    pub signing_judged: u32,
    /// 按时办结率: `resolved_on_time / resolution_judged`.
    pub on_time_resolution_rate: f64,
    pub resolved_on_time: u32,
    pub resolution_judged: u32,
    /// 实际解决率: `actually_solved / resolved`.
    pub actually_solved_rate: f64,
    pub actually_solved: u32,
    /// 转办: redispatches of the tickets themselves.
    pub transfers: u32,
    /// Transfers / dispatched.
    pub transfers_per_ticket: f64,
}

fn ratio(part: usize, whole: usize) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 / whole as f64
    }
}

fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// Returns the mean and the 90th percentile (nearest rank: the smallest
/// value with at least 90% of the values at or below it) of `values`;
/// zeros when there are none.
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

/// Returns the mean and p90 of the interval `between` gives, in minutes,
/// over the facts where it is known.
fn interval(
    facts: &[&TicketFacts],
    between: impl Fn(&TicketFacts) -> Option<(DateTime<Utc>, DateTime<Utc>)>,
) -> (f64, f64) {
    mean_and_p90(
        facts
            .iter()
            .filter_map(|f| between(f).map(|(from, to)| minutes(from, to)))
            .collect(),
    )
}

/// Returns a pair of minutes as hours.
fn hours((mean, p90): (f64, f64)) -> (f64, f64) {
    (mean / 60.0, p90 / 60.0)
}

/// Summarises `facts` under `key` as of `now`; the figures of legs
/// (returns, the return rate, on-time signing and resolution) are of
/// `unit`'s legs only when one is named.
pub fn summarize(
    key: &str,
    facts: &[&TicketFacts],
    unit: Option<&str>,
    now: DateTime<Utc>,
) -> Summary {
    // What the desk rejected as not a case, and duplicates merged into the
    // ticket they repeat, are counted apart, in no other figure.
    let received = facts.len();
    let rejected = facts.iter().filter(|f| f.rejected).count();
    let merged = facts.iter().filter(|f| !f.rejected && f.merged).count();
    let cases: Vec<&TicketFacts> = facts.iter().copied().filter(|f| f.is_case()).collect();
    let facts = &cases[..];
    let legs: Vec<(&TicketFacts, &Leg)> = facts
        .iter()
        .flat_map(|f| f.unit_legs(unit).map(move |leg| (*f, leg)))
        .collect();
    let returns = legs
        .iter()
        .filter(|(_, l)| l.outcome == Some(LegOutcome::Returned))
        .count();
    let signing: Vec<bool> = legs
        .iter()
        .filter_map(|(f, l)| signed_on_time(l, f.signing_limit?, now))
        .collect();
    let resolution: Vec<bool> = legs
        .iter()
        .filter_map(|(_, l)| resolved_in_time(l, now))
        .collect();
    let dispatched: Vec<_> = facts
        .iter()
        .filter(|f| f.first_dispatch.is_some())
        .collect();
    let resolved: Vec<_> = facts.iter().filter(|f| f.first_resolve.is_some()).collect();
    let solved = resolved.iter().filter(|f| f.confirmed_solved).count();
    let closed: Vec<_> = facts.iter().filter(|f| f.closed_at.is_some()).collect();
    let ratings: Vec<u32> = facts
        .iter()
        .flat_map(|f| f.ratings.iter().copied())
        .collect();
    let hazards: Vec<_> = facts
        .iter()
        .filter(|f| f.channel == Channel::GridPatrol)
        .collect();
    let transfers: usize = facts.iter().map(|f| f.transfers()).sum();
    let (avg_dispatch, p90_dispatch) =
        interval(facts, |f| Some((f.received_at, f.first_dispatch?)));
    let (avg_sign, p90_sign) = interval(facts, |f| Some((f.first_dispatch?, f.first_accept?)));
    let (avg_handle, p90_handle) = hours(interval(facts, |f| {
        Some((f.first_accept?, f.first_resolve?))
    }));
    let (avg_close, p90_close) = hours(interval(facts, |f| Some((f.received_at, f.closed_at?))));
    let on_time_signed = signing.iter().filter(|s| **s).count();
    let on_time_resolved = resolution.iter().filter(|s| **s).count();
    Summary {
        key: key.to_owned(),
        received: count(received),
        rejected: count(rejected),
        merged: count(merged),
        has_cases: !facts.is_empty(),
        dispatched: count(dispatched.len()),
        resolved: count(resolved.len()),
        closed: count(closed.len()),
        closure_rate: ratio(closed.len(), facts.len()),
        on_time_rate: ratio(
            dispatched.iter().filter(|f| f.on_time()).count(),
            dispatched.len(),
        ),
        resolution_rate: ratio(
            closed.iter().filter(|f| f.reopens == 0).count(),
            closed.len(),
        ),
        satisfaction_rate: ratio(ratings.iter().filter(|s| **s >= 4).count(), ratings.len()),
        rated: count(facts.iter().filter(|f| !f.ratings.is_empty()).count()),
        ratings: count(ratings.len()),
        avg_minutes_to_dispatch: avg_dispatch,
        p90_minutes_to_dispatch: p90_dispatch,
        avg_minutes_to_sign: avg_sign,
        p90_minutes_to_sign: p90_sign,
        avg_hours_sign_to_resolve: avg_handle,
        p90_hours_sign_to_resolve: p90_handle,
        avg_hours_to_close: avg_close,
        p90_hours_to_close: p90_close,
        returns: count(returns),
        extensions: facts.iter().map(|f| f.extensions).sum(),
        escalations: facts.iter().map(|f| f.escalations).sum(),
        hazards: count(hazards.len()),
        hazard_rectification_rate: ratio(
            hazards.iter().filter(|f| f.closed_at.is_some()).count(),
            hazards.len(),
        ),
        legs: count(legs.len()),
        return_rate: ratio(returns, legs.len()),
        on_time_signing_rate: ratio(on_time_signed, signing.len()),
        signed_on_time: count(on_time_signed),
        signing_judged: count(signing.len()),
        on_time_resolution_rate: ratio(on_time_resolved, resolution.len()),
        resolved_on_time: count(on_time_resolved),
        resolution_judged: count(resolution.len()),
        actually_solved_rate: ratio(solved, resolved.len()),
        actually_solved: count(solved),
        transfers: count(transfers),
        transfers_per_ticket: ratio(transfers, dispatched.len()),
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
/// group by `group_by`, in the order of their keys, as of `now`. Every key
/// of `shown` is among the groups, with no cases when nothing fell in it.
pub fn summarize_by(
    facts: &[TicketFacts],
    group_by: GroupBy,
    shown: &[String],
    now: DateTime<Utc>,
) -> (Summary, Vec<Summary>) {
    let mut groups: BTreeMap<String, Vec<&TicketFacts>> =
        shown.iter().map(|key| (key.clone(), Vec::new())).collect();
    for f in facts {
        for key in group_by.keys(f) {
            groups.entry(key).or_default().push(f);
        }
    }
    let all: Vec<&TicketFacts> = facts.iter().collect();
    let by_unit = |key: &str| group_by == GroupBy::Unit && key != NOT_DISPATCHED;
    (
        summarize("", &all, None, now),
        groups
            .iter()
            .map(|(key, facts)| summarize(key, facts, by_unit(key).then_some(key.as_str()), now))
            .collect(),
    )
}

/// A place reported more than once (重复投诉).
#[derive(Debug, Clone, PartialEq)]
pub struct RepeatPlace {
    /// Where its first report was.
    pub location: LatLng,
    pub micro_grid: Option<String>,
    pub village: Option<String>,
    /// The reports' numbers, oldest first (merged duplicates included).
    pub tickets: Vec<String>,
    pub merged: u32,
    /// The reports' categories, each once, in order of first report.
    pub categories: Vec<String>,
}

/// Returns the places reported more than once among `facts` (rejected
/// reports aside): every report within `radius_m` metres of a place's
/// first report is one more report of it. The most reported first, then
/// the earliest.
pub fn repeat_places(facts: &[TicketFacts], radius_m: f64) -> Vec<RepeatPlace> {
    let mut reports: Vec<&TicketFacts> = facts
        .iter()
        .filter(|f| !f.rejected && f.location.is_some())
        .collect();
    reports.sort_by_key(|f| f.received_at);
    let mut places: Vec<RepeatPlace> = Vec::new();
    for f in reports {
        let Some(at) = f.location else { continue };
        let here = Point::new(at.lng, at.lat);
        let nearest = places
            .iter()
            .enumerate()
            .map(|(index, p)| {
                let there = Point::new(p.location.lng, p.location.lat);
                (Haversine.distance(here, there), index)
            })
            .filter(|(d, _)| *d <= radius_m)
            .min_by(|a, b| a.0.total_cmp(&b.0))
            .map(|(_, index)| index);
        let index = nearest.unwrap_or_else(|| {
            places.push(RepeatPlace {
                location: at,
                micro_grid: f.micro_grid.clone(),
                village: f.village.clone(),
                tickets: Vec::new(),
                merged: 0,
                categories: Vec::new(),
            });
            places.len() - 1
        });
        let place = &mut places[index];
        place.tickets.push(f.number.clone());
        place.merged += u32::from(f.merged);
        if !place.categories.contains(&f.category) {
            place.categories.push(f.category.clone());
        }
    }
    places.retain(|p| p.tickets.len() > 1);
    // A stable sort keeps the earliest first among equals.
    places.sort_by_key(|p| std::cmp::Reverse(p.tickets.len()));
    places
}

/// A category reported more than in the period before.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CategoryTrend {
    pub category: String,
    pub this_period: u32,
    pub previous_period: u32,
}

/// Returns the categories reported more in `this` period's facts than in
/// the `previous` period's (rejected reports aside, merged duplicates
/// counted): the largest rise first, then by code.
pub fn rising_categories(this: &[TicketFacts], previous: &[TicketFacts]) -> Vec<CategoryTrend> {
    let tally = |facts: &[TicketFacts]| {
        let mut counts: BTreeMap<String, u32> = BTreeMap::new();
        for f in facts.iter().filter(|f| !f.rejected) {
            *counts.entry(f.category.clone()).or_default() += 1;
        }
        counts
    };
    let before = tally(previous);
    let mut rising: Vec<CategoryTrend> = tally(this)
        .into_iter()
        .map(|(category, this_period)| CategoryTrend {
            previous_period: before.get(&category).copied().unwrap_or(0),
            category,
            this_period,
        })
        .filter(|t| t.this_period > t.previous_period)
        .collect();
    rising.sort_by_key(|t| std::cmp::Reverse(t.this_period - t.previous_period));
    rising
}

/// The three indicators of a village's assessment, each 0–100.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Indicators {
    /// Running of the five-chief system: the on-time rate.
    pub five_chief: f64,
    /// Unified management: closure and satisfaction, half each (all
    /// satisfied when nobody rated).
    pub unified_management: f64,
    /// Safety: hazards rectified (all, when none were found) and deadlines
    /// kept without escalation, half each.
    pub safety: f64,
}

impl Indicators {
    /// No cases, nothing to score: every indicator 0 (with `has_cases`
    /// false beside it), never a full score for nothing done.
    pub const NO_CASES: Indicators = Indicators {
        five_chief: 0.0,
        unified_management: 0.0,
        safety: 0.0,
    };

    /// Returns the indicators of a village from its tickets' summary.
    pub fn of(summary: &Summary) -> Self {
        if !summary.has_cases {
            return Self::NO_CASES;
        }
        // Nothing to fault where nothing of that kind happened.
        let or_full = |rate: f64, whole: u32| if whole == 0 { 1.0 } else { rate };
        let on_time = or_full(summary.on_time_rate, summary.dispatched);
        let closure = summary.closure_rate;
        let satisfaction = or_full(summary.satisfaction_rate, summary.ratings);
        let rectified = or_full(summary.hazard_rectification_rate, summary.hazards);
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
    /// False when no case was received there: "no cases", scores 0.
    pub has_cases: bool,
}

impl VillageScore {
    /// Assesses `village` over `facts` (the whole town's: its own are
    /// picked), weighed `weight`, as of `now`.
    pub fn assess(
        village: Village,
        facts: &[TicketFacts],
        weight: f64,
        now: DateTime<Utc>,
    ) -> Self {
        let own: Vec<&TicketFacts> = facts
            .iter()
            .filter(|f| f.village.as_deref() == Some(village.code.as_str()))
            .collect();
        let summary = summarize(&village.code, &own, None, now);
        let indicators = Indicators::of(&summary);
        let score = indicators.score();
        Self {
            village,
            indicators,
            score,
            weight,
            weighted: score * weight,
            tickets: summary.received,
            has_cases: summary.has_cases,
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

    /// When the figures are taken: a month after the tickets.
    fn now() -> DateTime<Utc> {
        at("2026-04-02T09:00:00+08:00")
    }

    fn facts(channel: Channel) -> TicketFacts {
        TicketFacts {
            number: "LX-2026-000001".into(),
            channel,
            category: "SANITATION".into(),
            location: None,
            micro_grid: Some("V1-A1-M01".into()),
            village: Some("V1".into()),
            received_at: at("2026-03-02T09:00:00+08:00"),
            first_dispatch: None,
            first_accept: None,
            first_resolve: None,
            closed_at: None,
            reopens: 0,
            escalations: 0,
            extensions: 0,
            ratings: Vec::new(),
            confirmed_solved: false,
            rejected: false,
            merged: false,
            signing_limit: Some(TimeDelta::hours(2)),
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
        on_time.ratings = vec![5];
        on_time.confirmed_solved = true;
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
        late.ratings = vec![2];
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
        let s = summarize("", &all, None, now());
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
        let returning = summarize("V1-A1-M02", &all, Some("V1-A1-M02"), now());
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
        let s = summarize("", &[&closed, &prank], None, now());
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
        let (total, channels) = summarize_by(&all, GroupBy::Channel, &[], now());
        assert_eq!(total.received, 2);
        let keys: Vec<_> = channels.iter().map(|g| g.key.as_str()).collect();
        assert_eq!(keys, ["GRID_PATROL", "HOTLINE_12345"]);
        let (_, units) = summarize_by(&all, GroupBy::Unit, &[], now());
        let keys: Vec<_> = units.iter().map(|g| g.key.as_str()).collect();
        assert_eq!(keys, ["(not dispatched)", "V1-A1-M01"]);
        assert_eq!(GroupBy::Village.keys(&all[1]), ["(no village)"]);
    }

    #[test]
    fn the_p90_of_an_interval_is_the_nearest_rank_in_hours_and_minutes() {
        // Signed 1 h after dispatch, resolved after 1, 2, … 10 h: the
        // mean 5.5 h, the p90 the 9th value of 10 (9 h).
        let tickets: Vec<TicketFacts> = (1..=10)
            .map(|h| {
                let mut f = facts(Channel::Hotline12345);
                f.first_dispatch = Some(at("2026-03-02T09:00:00+08:00"));
                f.first_accept = Some(at("2026-03-02T10:00:00+08:00"));
                f.first_resolve = Some(at("2026-03-02T10:00:00+08:00") + TimeDelta::hours(h));
                f
            })
            .collect();
        let all: Vec<&TicketFacts> = tickets.iter().collect();
        let s = summarize("", &all, None, now());
        assert_eq!(
            (s.avg_hours_sign_to_resolve, s.p90_hours_sign_to_resolve),
            (5.5, 9.0)
        );
        assert_eq!((s.avg_minutes_to_sign, s.p90_minutes_to_sign), (60.0, 60.0));
        // One value is its own mean and p90; 11 values put the p90 at the
        // 10th (ceil(9.9)).
        assert_eq!(mean_and_p90(vec![7.0]), (7.0, 7.0));
        let (_, p90) = mean_and_p90((1..=11).map(f64::from).collect());
        assert_eq!(p90, 10.0);
    }

    #[test]
    fn a_leg_is_judged_for_signing_once_signed_or_held_unsigned_past_the_limit() {
        let limit = TimeDelta::hours(2);
        let mut leg = ended_leg(
            "V1-A1-M01",
            "2026-03-02T09:00:00+08:00",
            "2026-03-02T09:30:00+08:00",
            LegOutcome::Returned,
        );
        assert_eq!(
            signed_on_time(&leg, limit, now()),
            None,
            "handed back unsigned within the limit: moot"
        );
        leg.ended_at = Some(at("2026-03-02T12:00:00+08:00"));
        assert_eq!(signed_on_time(&leg, limit, now()), Some(false));
        leg.signed_at = Some(at("2026-03-02T11:00:00+08:00"));
        assert_eq!(
            signed_on_time(&leg, limit, now()),
            Some(true),
            "on the limit"
        );
        let given = at("2026-03-02T09:00:00+08:00");
        let open = Leg::give(
            2,
            None,
            UnitRef::new(UnitKind::MicroGrid, "M", "M"),
            LegStart::Dispatch,
            given,
            given + TimeDelta::hours(24),
        );
        assert_eq!(
            signed_on_time(&open, limit, given + TimeDelta::hours(1)),
            None
        );
        assert_eq!(
            signed_on_time(&open, limit, given + TimeDelta::hours(3)),
            Some(false)
        );
    }

    #[test]
    fn a_leg_is_judged_for_resolution_once_ended_or_past_its_deadline() {
        let given = "2026-03-02T09:00:00+08:00";
        let late = resolved_leg(given, "2026-03-03T10:00:00+08:00");
        assert_eq!(resolved_in_time(&late, now()), Some(false));
        let returned = ended_leg(
            "M",
            given,
            "2026-03-02T10:00:00+08:00",
            LegOutcome::Returned,
        );
        assert_eq!(resolved_in_time(&returned, now()), Some(false));
        let withdrawn = ended_leg(
            "M",
            given,
            "2026-03-02T10:00:00+08:00",
            LegOutcome::Withdrawn,
        );
        assert_eq!(
            resolved_in_time(&withdrawn, now()),
            None,
            "taken away by the desk in time"
        );
        let mut open = resolved_leg(given, given);
        open.outcome = None;
        open.ended_at = None;
        assert_eq!(
            resolved_in_time(&open, at("2026-03-02T20:00:00+08:00")),
            None
        );
        assert_eq!(resolved_in_time(&open, now()), Some(false));
    }

    #[test]
    fn a_group_with_no_cases_says_so_and_scores_nothing() {
        let mut prank = facts(Channel::VillagerApp);
        prank.rejected = true;
        let mut duplicate = facts(Channel::VillagerApp);
        duplicate.merged = true;
        let (_, groups) = summarize_by(
            &[prank, duplicate],
            GroupBy::Unit,
            &["URBAN_MANAGEMENT".to_owned()],
            now(),
        );
        let keys: Vec<_> = groups
            .iter()
            .map(|g| (g.key.as_str(), g.has_cases))
            .collect();
        assert_eq!(
            keys,
            [("(not dispatched)", false), ("URBAN_MANAGEMENT", false)]
        );
        assert_eq!(
            (groups[0].received, groups[0].rejected, groups[0].merged),
            (2, 1, 1)
        );
        let indicators = Indicators::of(&groups[1]);
        assert_eq!(indicators, Indicators::NO_CASES);
        assert_eq!(indicators.score(), 0.0);
    }

    #[test]
    fn reports_within_the_radius_of_a_first_report_are_one_place() {
        let report = |number: &str, lat: f64, hour: u32, category: &str| {
            let mut f = facts(Channel::VillagerApp);
            f.number = number.into();
            f.category = category.into();
            f.location = Some(LatLng { lat, lng: 121.02 });
            f.received_at = at("2026-03-02T00:00:00Z") + TimeDelta::hours(hour.into());
            f
        };
        let mut merged = report("T3", 30.0201, 3, "SANITATION");
        merged.merged = true;
        let mut rejected = report("T5", 30.02, 5, "SANITATION");
        rejected.rejected = true;
        // ~11 m and ~22 m from T1; T4 ~1.1 km away, alone.
        let all = [
            report("T2", 30.0202, 2, "ROAD"),
            report("T1", 30.02, 1, "SANITATION"),
            merged,
            report("T4", 30.03, 4, "SANITATION"),
            rejected,
        ];
        let places = repeat_places(&all, 50.0);
        assert_eq!(places.len(), 1);
        assert_eq!(places[0].tickets, ["T1", "T2", "T3"]);
        assert_eq!(places[0].merged, 1);
        assert_eq!(places[0].categories, ["SANITATION", "ROAD"]);
        assert_eq!(places[0].location.lat, 30.02);
    }

    #[test]
    fn rising_categories_are_those_reported_more_than_the_period_before() {
        let of = |category: &str| {
            let mut f = facts(Channel::VillagerApp);
            f.category = category.into();
            f
        };
        let this = [of("ROAD"), of("ROAD"), of("ROAD"), of("NOISE"), of("WATER")];
        let before = [of("ROAD"), of("NOISE"), of("NOISE")];
        let rising = rising_categories(&this, &before);
        let shown: Vec<_> = rising
            .iter()
            .map(|t| (t.category.as_str(), t.this_period, t.previous_period))
            .collect();
        assert_eq!(shown, [("ROAD", 3, 1), ("WATER", 1, 0)]);
        let period = Period {
            from: at("2026-03-01T00:00:00Z"),
            to: at("2026-03-08T00:00:00Z"),
        };
        assert_eq!(period.previous().from, at("2026-02-22T00:00:00Z"));
        assert_eq!(period.previous().to, period.from);
    }
}
