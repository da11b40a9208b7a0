//! Parsers for values that several command groups take: a point as
//! `LAT,LNG` and a period of Shanghai days.

use anyhow::Context as _;
use chrono::{DateTime, NaiveDate, TimeZone, Utc};

/// Returns `(lat, lng)` from `LAT,LNG`, or `None` when it is not two numbers.
pub fn lat_lng(value: &str) -> Option<(f64, f64)> {
    let (lat, lng) = value.split_once(',')?;
    Some((lat.trim().parse().ok()?, lng.trim().parse().ok()?))
}

/// Returns `[from, to)` for a year, or for explicit dates (Shanghai days).
///
/// # Errors
/// Unparseable dates, or neither a year nor both dates.
pub fn period(
    year: Option<i32>,
    from: Option<&str>,
    to: Option<&str>,
) -> anyhow::Result<(DateTime<Utc>, DateTime<Utc>)> {
    let tz = chrono::FixedOffset::east_opt(8 * 3600).expect("UTC+8");
    let day = |s: &str| -> anyhow::Result<DateTime<Utc>> {
        let date: NaiveDate = s
            .parse()
            .with_context(|| format!("{s} is not a date (YYYY-MM-DD)"))?;
        Ok(tz
            .from_local_datetime(&date.and_hms_opt(0, 0, 0).expect("midnight"))
            .single()
            .expect("UTC+8")
            .with_timezone(&Utc))
    };
    match (year, from, to) {
        (_, Some(from), Some(to)) => Ok((day(from)?, day(to)?)),
        (Some(year), _, _) => Ok((
            day(&format!("{year}-01-01"))?,
            day(&format!("{}-01-01", year + 1))?,
        )),
        _ => anyhow::bail!("give --year, or --from and --to"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_point_is_two_numbers_around_a_comma() {
        assert_eq!(lat_lng("30.80,121.19"), Some((30.80, 121.19)));
        assert_eq!(lat_lng(" -30.5 , 121 "), Some((-30.5, 121.0)));
        assert_eq!(lat_lng("30.80"), None);
        assert_eq!(lat_lng("north,east"), None);
    }

    #[test]
    fn a_year_is_the_shanghai_calendar_year() {
        let (from, to) = period(Some(2026), None, None).unwrap();
        assert_eq!(from.to_rfc3339(), "2025-12-31T16:00:00+00:00");
        assert_eq!(to.to_rfc3339(), "2026-12-31T16:00:00+00:00");
        assert!(period(None, Some("2026-13-01"), Some("2027-01-01")).is_err());
        assert!(period(None, Some("2026-01-01"), None).is_err());
    }
}
