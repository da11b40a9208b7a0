//! Deadline clocks. Every ticket, and every task of a multi-department case,
//! has its own clock. It starts at dispatch — not at signature, so a slow
//! signature cannot hide delay — may be paused (waiting for the citizen) and
//! extended (延期, granted days), and warns at fractions of its time before
//! it is breached.

use chrono::{DateTime, TimeDelta, Utc};

use super::calendar::BusinessCalendar;

/// How much time a ticket gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeLimit {
    /// Calendar hours: 110 non-police incidents 2 h, 12345 orders 24 h.
    Hours(u32),
    /// Working days on the business calendar: street-level limits of 1, 3
    /// or 5, 15 for approved complex cases.
    WorkingDays(u32),
}

/// How a time limit is counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LimitKind {
    Hours,
    WorkingDays,
}

impl LimitKind {
    /// Returns the stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            LimitKind::Hours => "HOURS",
            LimitKind::WorkingDays => "WORKING_DAYS",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        [LimitKind::Hours, LimitKind::WorkingDays]
            .into_iter()
            .find(|k| k.as_str() == s)
    }
}

impl TimeLimit {
    /// Returns the limit of `kind` with `value` hours or working days.
    pub fn of(kind: LimitKind, value: u32) -> Self {
        match kind {
            LimitKind::Hours => TimeLimit::Hours(value),
            LimitKind::WorkingDays => TimeLimit::WorkingDays(value),
        }
    }

    /// Returns how the limit is counted.
    pub fn kind(self) -> LimitKind {
        match self {
            TimeLimit::Hours(_) => LimitKind::Hours,
            TimeLimit::WorkingDays(_) => LimitKind::WorkingDays,
        }
    }

    /// Returns the number of hours or working days.
    pub fn value(self) -> u32 {
        match self {
            TimeLimit::Hours(n) | TimeLimit::WorkingDays(n) => n,
        }
    }

    /// Returns when time runs out for a clock started at `start`.
    pub fn due(self, start: DateTime<Utc>, calendar: &BusinessCalendar) -> DateTime<Utc> {
        match self {
            TimeLimit::Hours(hours) => start + TimeDelta::hours(i64::from(hours)),
            TimeLimit::WorkingDays(days) => calendar.add_working_days(start, days),
        }
    }
}

/// What every clock is measured against: the business calendar, the
/// fractions of the allowed time at which supervision warns, and whether a
/// breach sends the ticket up the chain.
#[derive(Debug, Clone, Default)]
pub struct DeadlineRules {
    pub calendar: BusinessCalendar,
    /// Warning fractions of the allowed time, sorted.
    pub warning_fractions: Vec<f64>,
    pub escalation: Escalation,
}

impl DeadlineRules {
    /// Returns these rules on `calendar` instead.
    #[must_use]
    pub fn with_calendar(&self, calendar: BusinessCalendar) -> Self {
        Self {
            calendar,
            ..self.clone()
        }
    }
}

/// What a breached deadline does besides being recorded and published.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Escalation {
    /// The ticket goes one step up its responsibility chain (the town's
    /// practice).
    #[default]
    UpTheChain,
    /// It stays where it is: the breach is only recorded (the year replay's
    /// comparison run without supervision).
    Off,
}

/// A running deadline clock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeadlineClock {
    pub started_at: DateTime<Utc>,
    pub limit: TimeLimit,
    /// Working days granted by extensions.
    pub extension_days: u32,
    /// Time spent paused so far (not counting a pause under way).
    pub paused_total: TimeDelta,
    /// Since when the clock is paused, if it is.
    pub paused_since: Option<DateTime<Utc>>,
}

impl DeadlineClock {
    /// Starts a clock at `at` (dispatch).
    pub fn start(at: DateTime<Utc>, limit: TimeLimit) -> Self {
        Self {
            started_at: at,
            limit,
            extension_days: 0,
            paused_total: TimeDelta::zero(),
            paused_since: None,
        }
    }

    /// Returns when the clock runs out, as things stand at `now` (a pause
    /// under way pushes it back as it lasts).
    pub fn due_at(&self, calendar: &BusinessCalendar, now: DateTime<Utc>) -> DateTime<Utc> {
        let base = self.limit.due(self.started_at, calendar);
        let extended = if self.extension_days > 0 {
            calendar.add_working_days(base, self.extension_days)
        } else {
            base
        };
        extended
            + self.paused_total
            + self
                .paused_since
                .map_or(TimeDelta::zero(), |since| now - since)
    }

    /// Pauses the clock at `at`; a second pause is a no-op.
    pub fn pause(&mut self, at: DateTime<Utc>) {
        self.paused_since.get_or_insert(at);
    }

    /// Resumes a paused clock at `at`.
    pub fn resume(&mut self, at: DateTime<Utc>) {
        if let Some(since) = self.paused_since.take() {
            self.paused_total += (at - since).max(TimeDelta::zero());
        }
    }

    /// Grants `days` more working days.
    pub fn extend(&mut self, days: u32) {
        self.extension_days += days;
    }

    /// Returns the time at which `fraction` (0–1) of the allowed time has
    /// passed, for supervision warnings (督办).
    pub fn warning_at(
        &self,
        fraction: f64,
        calendar: &BusinessCalendar,
        now: DateTime<Utc>,
    ) -> DateTime<Utc> {
        let due = self.due_at(calendar, now);
        let span = due - self.started_at;
        let millis = (span.num_milliseconds() as f64 * fraction.clamp(0.0, 1.0)).round() as i64;
        self.started_at + TimeDelta::milliseconds(millis)
    }

    /// Returns whether time has run out at `now`.
    pub fn is_breached(&self, calendar: &BusinessCalendar, now: DateTime<Utc>) -> bool {
        self.paused_since.is_none() && now > self.due_at(calendar, now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().to_utc()
    }

    #[test]
    fn a_110_incident_is_due_two_hours_after_dispatch() {
        let calendar = BusinessCalendar::default();
        let clock = DeadlineClock::start(at("2026-03-07T23:30:00+08:00"), TimeLimit::Hours(2));
        let now = at("2026-03-08T00:00:00+08:00");
        assert_eq!(
            clock.due_at(&calendar, now),
            at("2026-03-08T01:30:00+08:00")
        );
        assert!(!clock.is_breached(&calendar, now));
        assert!(clock.is_breached(&calendar, at("2026-03-08T01:31:00+08:00")));
    }

    #[test]
    fn warnings_fall_at_fractions_of_the_allowed_time() {
        let calendar = BusinessCalendar::default();
        let clock = DeadlineClock::start(at("2026-03-02T08:00:00Z"), TimeLimit::Hours(24));
        let now = at("2026-03-02T08:00:00Z");
        assert_eq!(
            clock.warning_at(0.5, &calendar, now),
            at("2026-03-02T20:00:00Z")
        );
        assert_eq!(
            clock.warning_at(0.8, &calendar, now),
            at("2026-03-03T03:12:00Z")
        );
    }

    #[test]
    fn a_pause_pushes_the_deadline_back_by_its_length() {
        let calendar = BusinessCalendar::default();
        let mut clock = DeadlineClock::start(at("2026-03-02T08:00:00Z"), TimeLimit::Hours(24));
        clock.pause(at("2026-03-02T10:00:00Z"));
        // While paused, the deadline moves with the clock and is never breached.
        assert!(!clock.is_breached(&calendar, at("2026-03-04T00:00:00Z")));
        clock.resume(at("2026-03-02T16:00:00Z"));
        assert_eq!(
            clock.due_at(&calendar, at("2026-03-02T16:00:00Z")),
            at("2026-03-03T14:00:00Z")
        );
    }

    #[test]
    fn a_limit_is_stored_as_its_kind_and_value() {
        for limit in [TimeLimit::Hours(24), TimeLimit::WorkingDays(15)] {
            let kind = LimitKind::parse(limit.kind().as_str()).unwrap();
            assert_eq!(TimeLimit::of(kind, limit.value()), limit);
        }
        assert_eq!(LimitKind::parse("FORTNIGHTS"), None);
    }

    #[test]
    fn an_extension_adds_working_days() {
        let calendar = BusinessCalendar::default();
        // Monday 09:00 + 3 working days = Thursday 09:00; + 2 granted = next Monday.
        let mut clock =
            DeadlineClock::start(at("2026-03-02T09:00:00+08:00"), TimeLimit::WorkingDays(3));
        clock.extend(2);
        assert_eq!(
            clock.due_at(&calendar, at("2026-03-02T09:00:00+08:00")),
            at("2026-03-09T09:00:00+08:00")
        );
    }
}
