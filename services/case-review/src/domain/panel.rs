//! The rules a panel is seated by: an odd number of experts, at least the
//! configured minimum (more for a major matter), at most a share from the
//! industry authority and a share with a reporting relation to the
//! organiser, and nobody with a declared interest in a party or a past
//! role in the case. Each broken rule is a field violation whose text opens
//! with the rule's name, so that a refusal says which rule it was.

use chrono::{DateTime, Utc};
use kernel::FieldViolation;

use super::expert::{Declaration, Expert};
use super::ids::ExpertId;
use super::same_name;

/// A fraction n/d, exact (one third is not 0.333).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Share {
    pub numerator: u32,
    pub denominator: u32,
}

impl Share {
    /// Parses `n/d` with 0 ≤ n ≤ d, d > 0.
    pub fn parse(text: &str) -> Option<Self> {
        let (n, d) = text.split_once('/')?;
        let (numerator, denominator) = (n.trim().parse().ok()?, d.trim().parse().ok()?);
        (denominator > 0 && numerator <= denominator).then_some(Share {
            numerator,
            denominator,
        })
    }

    /// Returns whether `count` of `size` is within the share.
    pub fn allows(self, count: usize, size: usize) -> bool {
        count as u64 * u64::from(self.denominator) <= size as u64 * u64::from(self.numerator)
    }
}

impl std::fmt::Display for Share {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.numerator, self.denominator)
    }
}

/// The configured composition rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PanelRules {
    /// The fewest experts of any panel.
    pub minimum: u32,
    /// The fewest experts of a major matter's panel (5).
    pub minimum_major: u32,
    pub industry_authority_share: Share,
    pub reporting_relation_share: Share,
}

/// The names of the rules, as refusals open with them.
pub mod rule {
    pub const ODD_SIZE: &str = "odd_size";
    pub const MINIMUM_SIZE: &str = "minimum_size";
    pub const INDUSTRY_AUTHORITY_SHARE: &str = "industry_authority_share";
    pub const REPORTING_RELATION_SHARE: &str = "reporting_relation_share";
    pub const DECLARED_INTEREST: &str = "declared_interest";
    pub const PAST_ROLE: &str = "past_role";
    pub const RECUSED: &str = "recused";
    pub const INACTIVE: &str = "inactive";
    pub const DUPLICATE: &str = "duplicate";
    pub const OPINION_GIVEN: &str = "opinion_given";

    /// The rules that are conflicts of an expert (counted in statistics).
    pub const CONFLICTS: [&str; 2] = [DECLARED_INTEREST, PAST_ROLE];
}

/// An expert proposed for a panel, with their declarations.
#[derive(Debug, Clone)]
pub struct Candidate {
    pub expert: Expert,
    pub declarations: Vec<Declaration>,
}

/// What a panel is checked against: the case's side of the rules.
#[derive(Debug, Clone)]
pub struct Matter<'a> {
    pub major: bool,
    pub parties: &'a [String],
    /// Expert ids or organisation codes with a past role in the case.
    pub involved: &'a [String],
    pub organiser: &'a str,
    pub industry_authority: Option<&'a str>,
}

/// Returns the violations of a panel of `size` experts of whom
/// `from_authority` come from the industry authority and `related` have a
/// reporting relation to the organiser (field `expert_ids`).
pub fn composition(
    rules: &PanelRules,
    major: bool,
    size: usize,
    from_authority: usize,
    related: usize,
) -> Vec<FieldViolation> {
    let mut broken = Vec::new();
    let mut add = |rule: &str, text: String| {
        broken.push(FieldViolation::new("expert_ids", format!("{rule}: {text}")));
    };
    if size.is_multiple_of(2) {
        add(
            rule::ODD_SIZE,
            format!("a panel has an odd number of experts; {size} listed"),
        );
    }
    let minimum = if major {
        rules.minimum_major
    } else {
        rules.minimum
    };
    if (size as u64) < u64::from(minimum) {
        let matter = if major { "a major matter" } else { "a matter" };
        add(
            rule::MINIMUM_SIZE,
            format!("{matter} has a panel of at least {minimum}; {size} listed"),
        );
    }
    if !rules.industry_authority_share.allows(from_authority, size) {
        add(
            rule::INDUSTRY_AUTHORITY_SHARE,
            format!(
                "at most {} of the panel from the industry authority; {from_authority} of {size}",
                rules.industry_authority_share
            ),
        );
    }
    if !rules.reporting_relation_share.allows(related, size) {
        add(
            rule::REPORTING_RELATION_SHARE,
            format!(
                "at most {} of the panel with a reporting relation to the organiser; {related} of {size}",
                rules.reporting_relation_share
            ),
        );
    }
    broken
}

/// Returns the violations of seating `candidates` (in the order listed,
/// field `expert_ids[i]` for one expert's, `expert_ids` for the panel's)
/// for `matter` at `now`. `recused` are the experts who stood down from
/// this review.
pub fn check(
    rules: &PanelRules,
    matter: &Matter<'_>,
    candidates: &[Candidate],
    recused: &[ExpertId],
    now: DateTime<Utc>,
) -> Vec<FieldViolation> {
    let mut broken = Vec::new();
    for (i, candidate) in candidates.iter().enumerate() {
        let expert = &candidate.expert;
        let field = format!("expert_ids[{i}]");
        let mut add = |rule: &str, text: String| {
            broken.push(FieldViolation::new(
                field.clone(),
                format!("{rule}: {text}"),
            ));
        };
        if candidates[..i].iter().any(|c| c.expert.id == expert.id) {
            add(rule::DUPLICATE, format!("{} is listed twice", expert.name));
        }
        if !expert.active {
            add(
                rule::INACTIVE,
                format!("{} is no longer active", expert.name),
            );
        }
        if recused.contains(&expert.id) {
            add(
                rule::RECUSED,
                format!("{} stood down from this review", expert.name),
            );
        }
        if let Some(declaration) = candidate
            .declarations
            .iter()
            .find(|d| d.concerns(matter.parties, now))
        {
            add(
                rule::DECLARED_INTEREST,
                format!(
                    "{} declared an interest in the party {}",
                    expert.name, declaration.party
                ),
            );
        }
        if matter
            .involved
            .iter()
            .any(|who| same_name(who, &expert.id.to_string()) || expert.belongs_to(who))
        {
            add(
                rule::PAST_ROLE,
                format!(
                    "{} (of {}) had a role in the case",
                    expert.name, expert.organisation
                ),
            );
        }
    }
    let from_authority = matter.industry_authority.map_or(0, |authority| {
        candidates
            .iter()
            .filter(|c| c.expert.belongs_to(authority))
            .count()
    });
    let related = candidates
        .iter()
        .filter(|c| c.expert.reports_to(matter.organiser))
        .count();
    broken.extend(composition(
        rules,
        matter.major,
        candidates.len(),
        from_authority,
        related,
    ));
    broken
}

/// Returns the rule a violation names (the text before its colon).
pub fn rule_of(violation: &FieldViolation) -> &str {
    violation
        .rule
        .split_once(':')
        .map_or(violation.rule.as_str(), |(rule, _)| rule)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::review::fixtures::{at, declaration, expert, rules};

    fn candidates(experts: Vec<Expert>) -> Vec<Candidate> {
        experts
            .into_iter()
            .map(|expert| Candidate {
                expert,
                declarations: Vec::new(),
            })
            .collect()
    }

    fn matter<'a>(parties: &'a [String], involved: &'a [String]) -> Matter<'a> {
        Matter {
            major: true,
            parties,
            involved,
            organiser: "LX",
            industry_authority: Some("JS-WATER"),
        }
    }

    fn rules_broken(broken: &[FieldViolation]) -> Vec<&str> {
        broken.iter().map(rule_of).collect()
    }

    fn five_independent() -> Vec<Expert> {
        vec![
            expert("律师甲", "LAWFIRM-1", None),
            expert("律师乙", "LAWFIRM-2", None),
            expert("鉴定所", "APPRAISAL-1", None),
            expert("水务局", "JS-WATER", None),
            expert("法律顾问", "LX-JUSTICE", Some("LX")),
        ]
    }

    #[test]
    fn one_third_is_exact_so_one_of_three_is_allowed_and_two_of_five_are_not() {
        let third = Share::parse("1/3").unwrap();
        assert!(third.allows(1, 3));
        assert!(third.allows(1, 5));
        assert!(!third.allows(2, 5));
        assert!(third.allows(0, 0));
        assert_eq!(Share::parse("2/1"), None);
        assert_eq!(Share::parse("1/0"), None);
        assert_eq!(Share::parse("0.33"), None);
    }

    #[test]
    fn five_independent_experts_make_a_panel_for_a_major_matter() {
        let broken = check(
            &rules(),
            &matter(&[], &[]),
            &candidates(five_independent()),
            &[],
            at(0),
        );
        assert_eq!(broken, []);
    }

    #[test]
    fn an_even_panel_is_refused_naming_the_odd_size_rule() {
        let mut four = five_independent();
        four.pop();
        let broken = check(&rules(), &matter(&[], &[]), &candidates(four), &[], at(0));
        assert_eq!(rules_broken(&broken), [rule::ODD_SIZE, rule::MINIMUM_SIZE]);
        assert_eq!(broken[0].field, "expert_ids");
    }

    #[test]
    fn a_major_matter_needs_five_and_a_minor_one_three() {
        let three: Vec<Expert> = five_independent().into_iter().take(3).collect();
        let major = check(
            &rules(),
            &matter(&[], &[]),
            &candidates(three.clone()),
            &[],
            at(0),
        );
        assert_eq!(rules_broken(&major), [rule::MINIMUM_SIZE]);
        let mut minor = matter(&[], &[]);
        minor.major = false;
        assert_eq!(check(&rules(), &minor, &candidates(three), &[], at(0)), []);
    }

    #[test]
    fn two_of_five_from_the_industry_authority_break_its_share() {
        let mut experts = five_independent();
        experts[0] = expert("水务所", "JS-WATER", None);
        let broken = check(
            &rules(),
            &matter(&[], &[]),
            &candidates(experts),
            &[],
            at(0),
        );
        assert_eq!(rules_broken(&broken), [rule::INDUSTRY_AUTHORITY_SHARE]);
        assert!(broken[0].rule.contains("2 of 5"), "{}", broken[0].rule);
    }

    #[test]
    fn three_of_five_reporting_to_the_organiser_break_its_share() {
        let mut experts = five_independent();
        experts[0] = expert("城运中心", "LX", None);
        experts[1] = expert("司法所", "LX-JUDICIAL", Some("LX"));
        let broken = check(
            &rules(),
            &matter(&[], &[]),
            &candidates(experts),
            &[],
            at(0),
        );
        assert_eq!(rules_broken(&broken), [rule::REPORTING_RELATION_SHARE]);
    }

    #[test]
    fn an_expert_with_an_interest_in_a_party_in_force_is_refused_by_name() {
        let mut list = candidates(five_independent());
        let parties = vec!["某建材公司".to_owned()];
        list[2].declarations = vec![declaration(&list[2].expert, "某建材公司", at(10))];
        let broken = check(&rules(), &matter(&parties, &[]), &list, &[], at(0));
        assert_eq!(rules_broken(&broken), [rule::DECLARED_INTEREST]);
        assert_eq!(broken[0].field, "expert_ids[2]");
        // Expired, it no longer counts.
        assert_eq!(
            check(&rules(), &matter(&parties, &[]), &list, &[], at(10)),
            []
        );
    }

    #[test]
    fn an_expert_whose_organisation_had_a_role_in_the_case_is_refused() {
        let list = candidates(five_independent());
        let involved = vec!["js-water".to_owned()];
        let broken = check(&rules(), &matter(&[], &involved), &list, &[], at(0));
        assert_eq!(rules_broken(&broken), [rule::PAST_ROLE]);
        assert_eq!(broken[0].field, "expert_ids[3]");
        let by_id = vec![list[0].expert.id.to_string()];
        let broken = check(&rules(), &matter(&[], &by_id), &list, &[], at(0));
        assert_eq!(broken[0].field, "expert_ids[0]");
    }

    #[test]
    fn a_recused_inactive_or_repeated_expert_is_refused() {
        let mut list = candidates(five_independent());
        list[1].expert.active = false;
        list[4] = list[0].clone();
        let recused = [list[2].expert.id];
        let broken = check(&rules(), &matter(&[], &[]), &list, &recused, at(0));
        let named: Vec<(&str, &str)> = broken
            .iter()
            .map(|v| (v.field.as_str(), rule_of(v)))
            .collect();
        assert_eq!(
            named,
            [
                ("expert_ids[1]", rule::INACTIVE),
                ("expert_ids[2]", rule::RECUSED),
                ("expert_ids[4]", rule::DUPLICATE),
            ]
        );
    }
}
