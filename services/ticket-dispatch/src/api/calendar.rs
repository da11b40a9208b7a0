//! GetCalendar and SetCalendar: the business calendar, a year at a time.

use chrono::NaiveDate;
use platform::auth::Caller;
use platform::error::{AppError, Violations};
use platform::uow::CallKey;
use proto::dispatch::v1 as pb;

use super::DispatchApi;
use crate::application::calendar;
use crate::convert;
use crate::domain::calendar::{CalendarYear, ListedDay, NAME_MAX, YEARS};

/// Returns `year` when the calendar may list it.
fn year(year: i32) -> Result<i32, AppError> {
    if YEARS.contains(&year) {
        Ok(year)
    } else {
        Err(AppError::invalid(
            "year",
            format!("must be between {} and {}", YEARS.start(), YEARS.end()),
        ))
    }
}

/// Returns the listed days of a SetCalendar request, every day whose
/// date, kind or name cannot be read named with its rule.
fn decode_days(days: &[pb::CalendarDay]) -> Result<Vec<ListedDay>, AppError> {
    let mut violations = Violations::new();
    let mut listed = Vec::with_capacity(days.len());
    for (i, day) in days.iter().enumerate() {
        let date = NaiveDate::parse_from_str(&day.date, "%Y-%m-%d");
        violations.check(
            date.is_ok(),
            format!("days[{i}].date"),
            "must be a date YYYY-MM-DD",
        );
        let kind = convert::day_kind_from(day.kind);
        violations.check(
            kind.is_some(),
            format!("days[{i}].kind"),
            "is required: HOLIDAY or WORKDAY",
        );
        let name = day.name.trim();
        violations.check(
            !name.is_empty() && name.chars().count() <= NAME_MAX,
            format!("days[{i}].name"),
            format!("is required, at most {NAME_MAX} characters: what the day is for"),
        );
        if let (Ok(day), Some(kind)) = (date, kind) {
            listed.push(ListedDay {
                day,
                kind,
                name: name.to_owned(),
            });
        }
    }
    violations.finish()?;
    Ok(listed)
}

impl DispatchApi {
    pub(super) async fn get_calendar(
        &self,
        _caller: Caller,
        request: pb::GetCalendarRequest,
    ) -> Result<pb::GetCalendarResponse, AppError> {
        let year = year(request.year)?;
        let view = calendar::get_calendar(&self.ctx, year).await?;
        Ok(convert::calendar_year(&view))
    }

    pub(super) async fn set_calendar(
        &self,
        caller: Caller,
        request: pb::SetCalendarRequest,
    ) -> Result<pb::SetCalendarResponse, AppError> {
        let year = year(request.year)?;
        if request.days.len() > 366 {
            return Err(AppError::invalid(
                "days",
                "at most 366: one year's listed days",
            ));
        }
        let cmd = CalendarYear::new(year, decode_days(&request.days)?)?;
        let key = CallKey::new(&caller, &request.idempotency_key, &request);
        calendar::set_calendar(&self.ctx, &caller, key, cmd, |edited| {
            pb::SetCalendarResponse {
                calendar: Some(convert::calendar_year(&edited.year)),
                deadlines_moved: edited.deadlines_moved,
            }
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(date: &str, kind: pb::CalendarDayKind, name: &str) -> pb::CalendarDay {
        pb::CalendarDay {
            date: date.into(),
            kind: kind.into(),
            name: name.into(),
        }
    }

    #[test]
    fn every_unreadable_day_is_named_with_its_rule() {
        let Err(AppError::InvalidArgument(violations)) = decode_days(&[
            day("2027-02-08", pb::CalendarDayKind::Holiday, "春节"),
            day("2027-2-30", pb::CalendarDayKind::Holiday, "春节"),
            day("2027-02-20", pb::CalendarDayKind::Unspecified, ""),
        ]) else {
            panic!("the bad days were accepted");
        };
        let fields: Vec<&str> = violations.iter().map(|v| v.field.as_str()).collect();
        assert_eq!(fields, ["days[1].date", "days[2].kind", "days[2].name"]);
    }
}
