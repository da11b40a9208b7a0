//! The business calendar: which days are working days in the town (Monday to
//! Friday, less public holidays, plus the weekend days worked in their place,
//! 调休), in Shanghai time. Holidays are data, loaded from the database and
//! edited a year at a time through the API, not code.

use std::collections::{BTreeSet, HashMap};

use kernel::FieldViolation;

use super::error::DomainError;

use chrono::{DateTime, Datelike, Days, FixedOffset, NaiveDate, NaiveTime, TimeZone, Utc, Weekday};

/// China Standard Time, UTC+8 all year.
pub fn shanghai() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).expect("UTC+8 is a valid offset")
}

/// Returns the year `at` falls in, in Shanghai (ticket numbers count by it).
pub fn year_in_shanghai(at: DateTime<Utc>) -> i32 {
    at.with_timezone(&shanghai()).year()
}

/// What a day listed in the calendar is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DayKind {
    /// A public holiday: no work.
    Holiday,
    /// A weekend day worked in exchange (调休).
    Workday,
}

impl DayKind {
    /// Returns the stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            DayKind::Holiday => "HOLIDAY",
            DayKind::Workday => "WORKDAY",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        [DayKind::Holiday, DayKind::Workday]
            .into_iter()
            .find(|k| k.as_str() == s)
    }
}

/// The years a calendar may list.
pub const YEARS: std::ops::RangeInclusive<i32> = 2000..=2099;

/// The longest name of a listed day, in characters.
pub const NAME_MAX: usize = 32;

/// A day listed in the calendar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedDay {
    pub day: NaiveDate,
    pub kind: DayKind,
    /// What it is for, e.g. 春节 or 国庆节调休.
    pub name: String,
}

/// The listed days of one year, checked: each in the year, each once, a
/// make-up working day always a Saturday or Sunday.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalendarYear {
    pub year: i32,
    /// By date.
    pub days: Vec<ListedDay>,
}

impl CalendarYear {
    /// Returns the year `year` with `days`.
    ///
    /// # Errors
    /// [`DomainError::Invalid`] naming every day (`days[i]`) that breaks a
    /// rule, and the rule.
    pub fn new(year: i32, mut days: Vec<ListedDay>) -> Result<Self, DomainError> {
        let mut violations = Vec::new();
        if !YEARS.contains(&year) {
            violations.push(FieldViolation::new(
                "year",
                format!("must be between {} and {}", YEARS.start(), YEARS.end()),
            ));
        }
        let mut first: HashMap<NaiveDate, usize> = HashMap::new();
        for (i, listed) in days.iter().enumerate() {
            let field = format!("days[{i}].date");
            if listed.day.year() != year {
                violations.push(FieldViolation::new(
                    &field,
                    format!("{} is not in {year}", listed.day),
                ));
            }
            if let Some(earlier) = first.insert(listed.day, i) {
                violations.push(FieldViolation::new(
                    &field,
                    format!("{} is listed twice (also days[{earlier}])", listed.day),
                ));
            }
            if listed.kind == DayKind::Workday && !is_weekend(listed.day) {
                violations.push(FieldViolation::new(
                    &field,
                    format!(
                        "a make-up working day (WORKDAY) is a Saturday or Sunday; {} is a {}",
                        listed.day,
                        listed.day.weekday()
                    ),
                ));
            }
        }
        if !violations.is_empty() {
            return Err(DomainError::Invalid(violations));
        }
        days.sort_by_key(|d| d.day);
        Ok(Self { year, days })
    }
}

fn is_weekend(day: NaiveDate) -> bool {
    matches!(day.weekday(), Weekday::Sat | Weekday::Sun)
}

/// The last edit of a year of the calendar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalendarEdit {
    pub changed_at: DateTime<Utc>,
    pub changed_by: String,
}

/// One year of the calendar as stored, with its last edit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YearView {
    pub year: i32,
    /// By date.
    pub days: Vec<ListedDay>,
    pub edit: Option<CalendarEdit>,
}

/// Working days in Shanghai time.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BusinessCalendar {
    holidays: BTreeSet<NaiveDate>,
    extra_working_days: BTreeSet<NaiveDate>,
}

impl BusinessCalendar {
    /// Returns a calendar with `holidays` off and `extra_working_days`
    /// (weekend days worked in exchange) on.
    pub fn new(
        holidays: impl IntoIterator<Item = NaiveDate>,
        extra_working_days: impl IntoIterator<Item = NaiveDate>,
    ) -> Self {
        Self {
            holidays: holidays.into_iter().collect(),
            extra_working_days: extra_working_days.into_iter().collect(),
        }
    }

    /// Returns the calendar of the listed `days`.
    pub fn of_days(days: impl IntoIterator<Item = (NaiveDate, DayKind)>) -> Self {
        let mut calendar = Self::default();
        for (day, kind) in days {
            match kind {
                DayKind::Holiday => calendar.holidays.insert(day),
                DayKind::Workday => calendar.extra_working_days.insert(day),
            };
        }
        calendar
    }

    /// Returns whether `day` is a working day.
    pub fn is_working_day(&self, day: NaiveDate) -> bool {
        if self.extra_working_days.contains(&day) {
            return true;
        }
        !is_weekend(day) && !self.holidays.contains(&day)
    }

    /// Returns the time `days` working days after `from`, at the same local
    /// time of day. A start on a non-working day counts from the beginning
    /// of the next working day.
    pub fn add_working_days(&self, from: DateTime<Utc>, days: u32) -> DateTime<Utc> {
        let tz = shanghai();
        let local = from.with_timezone(&tz);
        let (mut day, time) = if self.is_working_day(local.date_naive()) {
            (local.date_naive(), local.time())
        } else {
            (self.next_working_day(local.date_naive()), NaiveTime::MIN)
        };
        for _ in 0..days {
            day = self.next_working_day(day);
        }
        tz.from_local_datetime(&day.and_time(time))
            .single()
            .expect("UTC+8 has no gaps")
            .with_timezone(&Utc)
    }

    /// Returns the first working day after `day`.
    pub fn next_working_day(&self, day: NaiveDate) -> NaiveDate {
        let mut next = day + Days::new(1);
        // A run of non-working days is never longer than a few weeks; the
        // bound only guards against a calendar made entirely of holidays.
        for _ in 0..366 {
            if self.is_working_day(next) {
                return next;
            }
            next = next + Days::new(1);
        }
        next
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().to_utc()
    }

    fn date(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn a_working_day_after_friday_afternoon_is_monday_afternoon() {
        let calendar = BusinessCalendar::default();
        // Friday 2026-03-06 15:00 Shanghai.
        let due = calendar.add_working_days(at("2026-03-06T15:00:00+08:00"), 1);
        assert_eq!(due, at("2026-03-09T15:00:00+08:00"));
    }

    #[test]
    fn holidays_are_skipped_and_make_up_days_are_worked() {
        // Labour Day 2026: 1–5 May off, Saturday 9 May worked.
        let calendar = BusinessCalendar::new(
            ["2026-05-01", "2026-05-04", "2026-05-05"].map(date),
            [date("2026-05-09")],
        );
        let due = calendar.add_working_days(at("2026-04-30T10:00:00+08:00"), 3);
        // 6, 7, 8 May are the next three working days.
        assert_eq!(due, at("2026-05-08T10:00:00+08:00"));
        assert!(calendar.is_working_day(date("2026-05-09")));
        assert!(!calendar.is_working_day(date("2026-05-04")));
    }

    fn listed(day: &str, kind: DayKind) -> ListedDay {
        ListedDay {
            day: date(day),
            kind,
            name: "春节".into(),
        }
    }

    #[test]
    fn a_year_names_every_day_that_breaks_a_rule() {
        let err = CalendarYear::new(
            2027,
            vec![
                listed("2027-02-08", DayKind::Holiday),
                listed("2026-12-31", DayKind::Holiday),
                listed("2027-02-08", DayKind::Holiday),
                // A Wednesday.
                listed("2027-02-17", DayKind::Workday),
            ],
        )
        .unwrap_err();
        let DomainError::Invalid(violations) = err else {
            panic!("{err:?}");
        };
        let fields: Vec<&str> = violations.iter().map(|v| v.field.as_str()).collect();
        assert_eq!(fields, ["days[1].date", "days[2].date", "days[3].date"]);
        assert!(violations[1].rule.contains("listed twice (also days[0])"));
        assert!(violations[2].rule.contains("2027-02-17 is a Wed"));
    }

    #[test]
    fn a_year_keeps_its_days_by_date() {
        let year = CalendarYear::new(
            2027,
            vec![
                listed("2027-02-20", DayKind::Workday),
                listed("2027-02-08", DayKind::Holiday),
            ],
        )
        .unwrap();
        assert_eq!(year.days[0].day, date("2027-02-08"));
    }

    #[test]
    fn a_start_on_a_weekend_counts_from_the_next_working_day() {
        let calendar = BusinessCalendar::default();
        // Saturday 2026-03-07 10:00 → Monday 00:00 + 1 working day → Tuesday 00:00.
        let due = calendar.add_working_days(at("2026-03-07T10:00:00+08:00"), 1);
        assert_eq!(due, at("2026-03-10T00:00:00+08:00"));
    }
}
