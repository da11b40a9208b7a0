//! The annual report (年度报告): a year of dispatch's `GetStatistics` as
//! the charts show it — each month's totals (received, closed, the on-time,
//! closure and satisfaction rates), and the year by channel and by
//! village. The figures are dispatch's own, asked with the staff member's
//! token (so a workstation's report is its village's); the edge only picks
//! the periods: whole months in Asia/Shanghai.

use axum::Json;
use axum::extract::{Query, State};
use chrono::{Datelike, Utc};
use proto::dispatch::v1 as pb;
use proto::dispatch::v1::get_statistics_request::GroupBy;
use serde::{Deserialize, Serialize};

use super::Staff;
use super::pages::{Period, day_start, timestamp};
use crate::error::ApiError;
use crate::neighbours::as_caller;
use crate::state::Shared;

/// Which year.
#[derive(Debug, Deserialize)]
pub struct YearQuery {
    /// 2000–2100; this year in Asia/Shanghai when absent.
    #[serde(default)]
    pub year: Option<String>,
}

/// The figures of one period or group, as dispatch gives them.
#[derive(Debug, Serialize)]
pub struct Figures {
    /// The month (`2026-03`), the channel or the village.
    pub key: String,
    pub received: u32,
    pub dispatched: u32,
    pub closed: u32,
    pub on_time_rate: f64,
    pub closure_rate: f64,
    pub satisfaction_rate: f64,
    pub rated: u32,
    pub returns: u32,
    pub escalations: u32,
}

impl Figures {
    fn of(key: String, s: &pb::Statistics) -> Self {
        Self {
            key,
            received: s.received,
            dispatched: s.dispatched,
            closed: s.closed,
            on_time_rate: s.on_time_rate,
            closure_rate: s.closure_rate,
            satisfaction_rate: s.satisfaction_rate,
            rated: s.rated,
            returns: s.returns,
            escalations: s.escalations,
        }
    }
}

/// A year's report.
#[derive(Debug, Serialize)]
pub struct AnnualReport {
    pub year: i32,
    pub period: Period,
    pub total: Figures,
    /// January to the current month (a past year: all twelve).
    pub months: Vec<Figures>,
    pub channels: Vec<Figures>,
    pub villages: Vec<Figures>,
}

fn year_of(query: &YearQuery, this_year: i32) -> Result<i32, ApiError> {
    match query
        .year
        .as_deref()
        .map(str::trim)
        .filter(|y| !y.is_empty())
    {
        None => Ok(this_year),
        Some(text) => text
            .parse::<i32>()
            .ok()
            .filter(|y| (2000..=2100).contains(y))
            .ok_or_else(|| ApiError::field("year", "must be a year from 2000 to 2100")),
    }
}

async fn statistics(
    edge: &Shared,
    staff: &Staff,
    period: Period,
    group_by: GroupBy,
) -> Result<pb::GetStatisticsResponse, ApiError> {
    let request = pb::GetStatisticsRequest {
        from: Some(timestamp(period.from)),
        to: Some(timestamp(period.to)),
        group_by: group_by.into(),
        keys: Vec::new(),
    };
    Ok(edge
        .neighbours
        .dispatch
        .clone()
        .get_statistics(as_caller(request, staff.token())?)
        .await?
        .into_inner())
}

/// Returns the month starts of `year` up to `last` (1–12), and the start of
/// the month after.
fn months(year: i32, last: u32) -> Result<Vec<(String, Period)>, ApiError> {
    let start = |y: i32, m: u32| day_start("year", &format!("{y}-{m:02}-01"));
    (1..=last)
        .map(|m| {
            let (ny, nm) = if m == 12 {
                (year + 1, 1)
            } else {
                (year, m + 1)
            };
            Ok((
                format!("{year}-{m:02}"),
                Period {
                    from: start(year, m)?,
                    to: start(ny, nm)?,
                },
            ))
        })
        .collect()
}

pub async fn annual_report(
    State(edge): State<Shared>,
    staff: Staff,
    Query(query): Query<YearQuery>,
) -> Result<Json<AnnualReport>, ApiError> {
    let now = Utc::now().with_timezone(&super::pages::shanghai());
    let year = year_of(&query, now.year())?;
    if year > now.year() {
        return Err(ApiError::field("year", "must not be a year to come"));
    }
    let last = if year == now.year() { now.month() } else { 12 };
    let months = months(year, last)?;
    let period = Period {
        from: months[0].1.from,
        to: months[months.len() - 1].1.to,
    };
    let by_channel = statistics(&edge, &staff, period, GroupBy::Channel).await?;
    let by_village = statistics(&edge, &staff, period, GroupBy::Village).await?;
    let mut monthly = Vec::with_capacity(months.len());
    for (key, month) in months {
        let answer = statistics(&edge, &staff, month, GroupBy::Channel).await?;
        monthly.push(Figures::of(key, &answer.total.unwrap_or_default()));
    }
    let groups = |answer: &pb::GetStatisticsResponse| {
        answer
            .groups
            .iter()
            .map(|g| Figures::of(g.key.clone(), g))
            .collect()
    };
    Ok(Json(AnnualReport {
        year,
        period,
        total: Figures::of(String::new(), &by_channel.total.clone().unwrap_or_default()),
        months: monthly,
        channels: groups(&by_channel),
        villages: groups(&by_village),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_years_months_are_whole_months_in_shanghai() {
        let months = months(2026, 12).unwrap();
        assert_eq!(months.len(), 12);
        assert_eq!(months[0].0, "2026-01");
        assert_eq!(months[0].1.from.to_rfc3339(), "2025-12-31T16:00:00+00:00");
        assert_eq!(months[1].1.from, months[0].1.to, "one after the other");
        assert_eq!(months[11].1.to.to_rfc3339(), "2026-12-31T16:00:00+00:00");
    }

    #[test]
    fn a_year_outside_the_range_names_its_field() {
        let asked = |y: &str| {
            year_of(
                &YearQuery {
                    year: Some(y.into()),
                },
                2026,
            )
        };
        assert_eq!(asked("2025").unwrap(), 2025);
        assert_eq!(year_of(&YearQuery { year: None }, 2026).unwrap(), 2026);
        for bad in ["1999", "twenty", "2101"] {
            assert_eq!(asked(bad).unwrap_err().body().error.fields[0].field, "year");
        }
    }
}
