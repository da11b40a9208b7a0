//! Award rules as data: points by category and severity, capped per resident
//! per day and per month.

/// Points a category earns at severity 1; severity 2 and 3 multiply it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwardRule {
    pub category_code: String,
    pub base_points: u32,
    /// Whether the category takes reports.
    pub active: bool,
}

/// Severity of a report, 1 (minor) to 3 (serious).
pub const SEVERITIES: std::ops::RangeInclusive<u32> = 1..=3;

/// Caps per resident.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Caps {
    pub daily: u32,
    pub monthly: u32,
}

/// What a resident has already been awarded in the current day and month.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Awarded {
    pub today: u32,
    pub this_month: u32,
}

impl AwardRule {
    /// Returns the points a verified report of `severity` earns before caps:
    /// the base times the severity (1, 2 or 3).
    pub fn points(&self, severity: u32) -> u32 {
        self.base_points * severity.clamp(*SEVERITIES.start(), *SEVERITIES.end())
    }
}

/// Returns what may be posted of `points` given what was already awarded:
/// never more than what is left under either cap (possibly nothing).
pub fn capped(points: u32, awarded: Awarded, caps: Caps) -> u32 {
    let left_today = caps.daily.saturating_sub(awarded.today);
    let left_month = caps.monthly.saturating_sub(awarded.this_month);
    points.min(left_today).min(left_month)
}

#[cfg(test)]
mod tests {
    use super::*;

    const CAPS: Caps = Caps {
        daily: 30,
        monthly: 200,
    };

    #[test]
    fn severity_multiplies_the_base() {
        let rule = AwardRule {
            category_code: "ILLEGAL_DUMPING".into(),
            base_points: 10,
            active: true,
        };
        assert_eq!(
            (rule.points(1), rule.points(2), rule.points(3)),
            (10, 20, 30)
        );
        assert_eq!(rule.points(9), 30, "severity is at most 3");
    }

    #[test]
    fn caps_clip_an_award_and_then_stop_it() {
        assert_eq!(
            capped(
                20,
                Awarded {
                    today: 0,
                    this_month: 0
                },
                CAPS
            ),
            20
        );
        assert_eq!(
            capped(
                20,
                Awarded {
                    today: 20,
                    this_month: 20
                },
                CAPS
            ),
            10,
            "10 left today"
        );
        assert_eq!(
            capped(
                20,
                Awarded {
                    today: 30,
                    this_month: 30
                },
                CAPS
            ),
            0,
            "the day is full"
        );
        assert_eq!(
            capped(
                20,
                Awarded {
                    today: 0,
                    this_month: 195
                },
                CAPS
            ),
            5,
            "5 left this month"
        );
    }
}
