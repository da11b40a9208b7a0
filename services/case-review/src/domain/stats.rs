//! The statistics of reviews: how many of each kind, how long to the first
//! opinion and to the decision, and how often the recommendation was
//! adopted.

use chrono::{DateTime, Utc};

use super::decision::Outcome;
use super::review::ReviewKind;

/// What the statistics need of one review.
#[derive(Debug, Clone, PartialEq)]
pub struct ReviewFacts {
    pub kind: ReviewKind,
    pub opened_at: DateTime<Utc>,
    pub first_opinion_at: Option<DateTime<Utc>>,
    pub decided_at: Option<DateTime<Utc>>,
    pub outcome: Option<Outcome>,
}

/// The figures of a set of reviews.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Figures {
    /// `None` for the total.
    pub kind: Option<ReviewKind>,
    pub opened: u32,
    pub decided: u32,
    pub avg_hours_to_first_opinion: f64,
    pub avg_hours_to_decision: f64,
    /// Adopted fully or partly / decided; 0 when none was decided.
    pub adoption_rate: f64,
}

fn hours(from: DateTime<Utc>, to: DateTime<Utc>) -> f64 {
    (to - from).num_seconds() as f64 / 3600.0
}

fn mean(values: &[f64]) -> f64 {
    if values.is_empty() {
        0.0
    } else {
        values.iter().sum::<f64>() / values.len() as f64
    }
}

/// Returns the figures of `facts`, labelled `kind`.
pub fn figures(kind: Option<ReviewKind>, facts: &[&ReviewFacts]) -> Figures {
    let to_first: Vec<f64> = facts
        .iter()
        .filter_map(|f| f.first_opinion_at.map(|at| hours(f.opened_at, at)))
        .collect();
    let to_decision: Vec<f64> = facts
        .iter()
        .filter_map(|f| f.decided_at.map(|at| hours(f.opened_at, at)))
        .collect();
    let decided = facts.iter().filter(|f| f.outcome.is_some()).count();
    let adopted = facts
        .iter()
        .filter(|f| f.outcome.is_some_and(Outcome::adopts))
        .count();
    Figures {
        kind,
        opened: u32::try_from(facts.len()).unwrap_or(u32::MAX),
        decided: u32::try_from(decided).unwrap_or(u32::MAX),
        avg_hours_to_first_opinion: mean(&to_first),
        avg_hours_to_decision: mean(&to_decision),
        adoption_rate: if decided == 0 {
            0.0
        } else {
            adopted as f64 / decided as f64
        },
    }
}

/// Returns the total and the figures of each kind that occurs.
pub fn by_kind(facts: &[ReviewFacts]) -> (Figures, Vec<Figures>) {
    let all: Vec<&ReviewFacts> = facts.iter().collect();
    let kinds = ReviewKind::ALL
        .into_iter()
        .filter_map(|kind| {
            let of: Vec<&ReviewFacts> = facts.iter().filter(|f| f.kind == kind).collect();
            (!of.is_empty()).then(|| figures(Some(kind), &of))
        })
        .collect();
    (figures(None, &all), kinds)
}

#[cfg(test)]
mod tests {
    use chrono::Duration;

    use super::*;
    use crate::domain::review::fixtures::at;

    fn facts(
        kind: ReviewKind,
        first_hours: Option<i64>,
        decided: Option<(i64, Outcome)>,
    ) -> ReviewFacts {
        ReviewFacts {
            kind,
            opened_at: at(0),
            first_opinion_at: first_hours.map(|h| at(0) + Duration::hours(h)),
            decided_at: decided.map(|(h, _)| at(0) + Duration::hours(h)),
            outcome: decided.map(|(_, o)| o),
        }
    }

    #[test]
    fn the_figures_count_kinds_times_and_adoption() {
        let all = [
            facts(
                ReviewKind::LegalRisk,
                Some(10),
                Some((48, Outcome::Adopted)),
            ),
            facts(
                ReviewKind::LegalRisk,
                Some(20),
                Some((72, Outcome::NotAdopted)),
            ),
            facts(ReviewKind::LegalRisk, None, None),
            facts(
                ReviewKind::Policy,
                Some(6),
                Some((24, Outcome::PartlyAdopted)),
            ),
        ];
        let (total, kinds) = by_kind(&all);
        assert_eq!(total.opened, 4);
        assert_eq!(total.decided, 3);
        assert!((total.avg_hours_to_first_opinion - 12.0).abs() < 1e-9);
        assert!((total.avg_hours_to_decision - 48.0).abs() < 1e-9);
        assert!((total.adoption_rate - 2.0 / 3.0).abs() < 1e-9);
        assert_eq!(kinds.len(), 2);
        assert_eq!(kinds[0].kind, Some(ReviewKind::LegalRisk));
        assert!((kinds[0].adoption_rate - 0.5).abs() < 1e-9);
        assert_eq!(kinds[1].opened, 1);
    }

    #[test]
    fn no_reviews_give_zeros_not_nan() {
        let (total, kinds) = by_kind(&[]);
        assert_eq!(total, Figures::default());
        assert!(kinds.is_empty());
    }
}
