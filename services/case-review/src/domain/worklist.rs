//! Work lists (一套明细单): an upper-level policy or task broken into
//! differentiated tasks per village and residential committee by their
//! attributes in the grid registry. Each task inherits its policy's
//! deadline, is reported on, verified by the town and only then closed
//! (销号); its light (红黄绿灯) follows the time left.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, Utc};
use kernel::FieldViolation;

use super::error::DomainError;
use super::ids::{PolicyId, WorkItemId};

/// A village attribute a task rule selects on, as the registry tells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum VillageAttribute {
    /// Covered objects of kind river.
    Rivers,
    /// Enterprises marked high-risk.
    HighRiskEnterprises,
    Schools,
    /// Farmland parcels.
    Farmland,
    /// Special-care people (counted, never named).
    SpecialCare,
    /// Every village and residential committee.
    All,
}

impl VillageAttribute {
    /// Every attribute, in a stable order.
    pub const ALL: [VillageAttribute; 6] = [
        VillageAttribute::Rivers,
        VillageAttribute::HighRiskEnterprises,
        VillageAttribute::Schools,
        VillageAttribute::Farmland,
        VillageAttribute::SpecialCare,
        VillageAttribute::All,
    ];

    /// Returns the stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            VillageAttribute::Rivers => "RIVERS",
            VillageAttribute::HighRiskEnterprises => "HIGH_RISK_ENTERPRISES",
            VillageAttribute::Schools => "SCHOOLS",
            VillageAttribute::Farmland => "FARMLAND",
            VillageAttribute::SpecialCare => "SPECIAL_CARE",
            VillageAttribute::All => "ALL",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == s)
    }

    /// Returns the attribute's name for people (Chinese with English).
    pub fn label(self) -> &'static str {
        match self {
            VillageAttribute::Rivers => "河道 rivers",
            VillageAttribute::HighRiskEnterprises => "高危企业 high-risk enterprises",
            VillageAttribute::Schools => "学校 schools",
            VillageAttribute::Farmland => "耕地 farmland",
            VillageAttribute::SpecialCare => "特殊人群 special-care people",
            VillageAttribute::All => "全部村居 every village",
        }
    }
}

/// Which villages get a task, and what it says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskRule {
    pub attribute: VillageAttribute,
    /// The fewest of the attribute a village must have (at least 1).
    pub at_least: u32,
    pub title: String,
    /// What is to be done; `{count}` becomes the village's count.
    pub detail: String,
}

/// Where a policy is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyState {
    Draft,
    Decomposed,
}

impl PolicyState {
    /// Returns the stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            PolicyState::Draft => "DRAFT",
            PolicyState::Decomposed => "DECOMPOSED",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        [PolicyState::Draft, PolicyState::Decomposed]
            .into_iter()
            .find(|p| p.as_str() == s)
    }
}

/// A policy as the town records it.
#[derive(Debug, Clone)]
pub struct NewPolicy {
    pub title: String,
    pub issuer: String,
    pub reference: String,
    pub text: String,
    pub deadline: DateTime<Utc>,
    pub rules: Vec<TaskRule>,
}

/// An upper-level policy or task.
#[derive(Debug, Clone)]
pub struct Policy {
    pub id: PolicyId,
    pub title: String,
    pub issuer: String,
    pub reference: String,
    pub text: String,
    pub deadline: DateTime<Utc>,
    pub rules: Vec<TaskRule>,
    pub state: PolicyState,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub decomposed_at: Option<DateTime<Utc>>,
    /// Work items it was broken into.
    pub items: u32,
}

/// A village or residential committee as the registry describes it when
/// a policy is broken down.
#[derive(Debug, Clone, Default)]
pub struct VillageProfile {
    pub code: String,
    pub name: String,
    /// The workstation head, as the registry names them; empty when none.
    pub chief: String,
    /// How many of each attribute it has.
    pub counts: BTreeMap<VillageAttribute, u32>,
}

impl VillageProfile {
    /// Returns how many of `attribute` the village has (every village has
    /// one of `All`: itself).
    pub fn count(&self, attribute: VillageAttribute) -> u32 {
        match attribute {
            VillageAttribute::All => 1,
            other => self.counts.get(&other).copied().unwrap_or(0),
        }
    }
}

impl Policy {
    /// Records a policy `by` gave at `now`.
    ///
    /// # Errors
    /// A deadline not after `now`, or two rules on the same attribute.
    pub fn create(cmd: NewPolicy, by: &str, now: DateTime<Utc>) -> Result<Self, DomainError> {
        let mut violations = Vec::new();
        if cmd.deadline <= now {
            violations.push(FieldViolation::new("deadline", "must be in the future"));
        }
        for (i, rule) in cmd.rules.iter().enumerate() {
            if cmd.rules[..i].iter().any(|r| r.attribute == rule.attribute) {
                violations.push(FieldViolation::new(
                    format!("rules[{i}].attribute"),
                    "must differ from the other rules' attributes",
                ));
            }
        }
        if !violations.is_empty() {
            return Err(DomainError::Invalid(violations));
        }
        Ok(Self {
            id: PolicyId::generate(),
            title: cmd.title,
            issuer: cmd.issuer,
            reference: cmd.reference,
            text: cmd.text,
            deadline: cmd.deadline,
            rules: cmd.rules,
            state: PolicyState::Draft,
            created_by: by.to_owned(),
            created_at: now,
            decomposed_at: None,
            items: 0,
        })
    }

    /// Breaks the policy into one work item per village and rule the
    /// village meets, each with the policy's deadline.
    ///
    /// # Errors
    /// The policy was broken down before.
    pub fn decompose(
        &mut self,
        villages: &[VillageProfile],
        now: DateTime<Utc>,
    ) -> Result<Vec<WorkItem>, DomainError> {
        if self.state == PolicyState::Decomposed {
            return Err(DomainError::PolicyDecomposed(self.id));
        }
        let mut items = Vec::new();
        for village in villages {
            for rule in &self.rules {
                let count = village.count(rule.attribute);
                if count < rule.at_least.max(1) {
                    continue;
                }
                items.push(WorkItem {
                    id: WorkItemId::generate(),
                    policy_id: self.id,
                    policy_title: self.title.clone(),
                    grid_code: village.code.clone(),
                    grid_name: village.name.clone(),
                    attribute: rule.attribute,
                    count,
                    title: rule.title.clone(),
                    detail: rule.detail.replace("{count}", &count.to_string()),
                    deadline: self.deadline,
                    chief: village.chief.clone(),
                    state: WorkItemState::Open,
                    reports: Vec::new(),
                    verification: None,
                    closure: None,
                    created_at: now,
                });
            }
        }
        self.state = PolicyState::Decomposed;
        self.decomposed_at = Some(now);
        self.items = u32::try_from(items.len()).unwrap_or(u32::MAX);
        Ok(items)
    }
}

/// Where a work item is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WorkItemState {
    Open,
    /// Reported done; the town has yet to verify.
    Reported,
    Verified,
    /// Closed (销号).
    Closed,
}

impl WorkItemState {
    /// Every state, in order.
    pub const ALL: [WorkItemState; 4] = [
        WorkItemState::Open,
        WorkItemState::Reported,
        WorkItemState::Verified,
        WorkItemState::Closed,
    ];

    /// Returns the stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            WorkItemState::Open => "OPEN",
            WorkItemState::Reported => "REPORTED",
            WorkItemState::Verified => "VERIFIED",
            WorkItemState::Closed => "CLOSED",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|w| w.as_str() == s)
    }
}

/// The status of a work item by the time left (红黄绿灯).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Light {
    Green,
    /// Within the warning time of its deadline.
    Yellow,
    /// Past its deadline, not closed.
    Red,
    /// Closed.
    Done,
}

impl Light {
    /// Returns the light's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Light::Green => "GREEN",
            Light::Yellow => "YELLOW",
            Light::Red => "RED",
            Light::Done => "DONE",
        }
    }
}

/// A progress report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProgressReport {
    pub percent: u32,
    pub note: String,
    pub done: bool,
    pub by: String,
    pub at: DateTime<Utc>,
}

/// Who verified a work item, when and what they noted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verification {
    pub by: String,
    pub at: DateTime<Utc>,
    pub note: String,
}

/// Who closed a work item (销号), when and what they noted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Closure {
    pub by: String,
    pub at: DateTime<Utc>,
    pub note: String,
}

/// One task of a policy for one village or residential committee.
#[derive(Debug, Clone)]
pub struct WorkItem {
    pub id: WorkItemId,
    pub policy_id: PolicyId,
    pub policy_title: String,
    pub grid_code: String,
    pub grid_name: String,
    pub attribute: VillageAttribute,
    pub count: u32,
    pub title: String,
    pub detail: String,
    pub deadline: DateTime<Utc>,
    pub chief: String,
    pub state: WorkItemState,
    /// Oldest first.
    pub reports: Vec<ProgressReport>,
    pub verification: Option<Verification>,
    pub closure: Option<Closure>,
    pub created_at: DateTime<Utc>,
}

impl WorkItem {
    /// Returns the item's light at `now`: done when closed, red past its
    /// deadline, yellow within `warning` of it, green before.
    pub fn light(&self, now: DateTime<Utc>, warning: Duration) -> Light {
        if self.state == WorkItemState::Closed {
            return Light::Done;
        }
        if now >= self.deadline {
            return Light::Red;
        }
        let left = (self.deadline - now).to_std().unwrap_or_default();
        if left <= warning {
            Light::Yellow
        } else {
            Light::Green
        }
    }

    /// Returns the latest progress, in percent.
    pub fn percent(&self) -> u32 {
        self.reports.last().map_or(0, |r| r.percent)
    }

    /// Records a progress report; a report `done` asks for verification.
    ///
    /// # Errors
    /// The item is reported done, verified or closed already; a percent
    /// below the last one, or a report done below 100.
    pub fn report(&mut self, report: ProgressReport) -> Result<(), DomainError> {
        if self.state != WorkItemState::Open {
            return Err(self.wrong_state("report progress on", &["open"]));
        }
        if report.percent < self.percent() {
            return Err(DomainError::invalid(
                "percent",
                format!("must not fall below the last report's {}", self.percent()),
            ));
        }
        if report.done && report.percent != 100 {
            return Err(DomainError::invalid("percent", "must be 100 when done"));
        }
        if report.done {
            self.state = WorkItemState::Reported;
        }
        self.reports.push(report);
        Ok(())
    }

    /// Records the town's verification: confirmed, the item may be closed;
    /// not, it goes back to work.
    ///
    /// # Errors
    /// The item was not reported done.
    pub fn verify(&mut self, confirmed: bool, check: Verification) -> Result<(), DomainError> {
        if self.state != WorkItemState::Reported {
            return Err(self.wrong_state("verify", &["reported"]));
        }
        if confirmed {
            self.state = WorkItemState::Verified;
            self.verification = Some(check);
        } else {
            self.state = WorkItemState::Open;
            self.reports.push(ProgressReport {
                percent: self.percent().min(99),
                note: format!("核查未通过 not verified: {}", check.note),
                done: false,
                by: check.by,
                at: check.at,
            });
        }
        Ok(())
    }

    /// Closes the item (销号).
    ///
    /// # Errors
    /// The item was not verified.
    pub fn close(&mut self, closure: Closure) -> Result<(), DomainError> {
        if self.state != WorkItemState::Verified {
            return Err(self.wrong_state("close", &["verified"]));
        }
        self.state = WorkItemState::Closed;
        self.closure = Some(closure);
        Ok(())
    }

    fn wrong_state(&self, what: &str, allowed: &[&str]) -> DomainError {
        DomainError::WorkItemState {
            item: self.id,
            state: self.state.as_str(),
            action: what.to_owned(),
            allowed: allowed.join(", "),
        }
    }
}

/// One village's work list in a period.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VillageCompletion {
    pub grid_code: String,
    pub grid_name: String,
    pub items: u32,
    pub closed: u32,
    /// Verified and not yet closed.
    pub verified: u32,
    /// Open (not closed) by light.
    pub green: u32,
    pub yellow: u32,
    pub red: u32,
}

impl VillageCompletion {
    /// Returns closed / items (0 without items).
    pub fn rate(&self) -> f64 {
        if self.items == 0 {
            0.0
        } else {
            f64::from(self.closed) / f64::from(self.items)
        }
    }
}

/// Returns the completion of each village's `items` at `now`, by grid
/// code.
pub fn completion(
    items: &[WorkItem],
    now: DateTime<Utc>,
    warning: Duration,
) -> Vec<VillageCompletion> {
    let mut villages: BTreeMap<&str, VillageCompletion> = BTreeMap::new();
    for item in items {
        let v = villages
            .entry(item.grid_code.as_str())
            .or_insert_with(|| VillageCompletion {
                grid_code: item.grid_code.clone(),
                grid_name: item.grid_name.clone(),
                ..VillageCompletion::default()
            });
        v.items += 1;
        if item.state == WorkItemState::Verified {
            v.verified += 1;
        }
        match item.light(now, warning) {
            Light::Done => v.closed += 1,
            Light::Green => v.green += 1,
            Light::Yellow => v.yellow += 1,
            Light::Red => v.red += 1,
        }
    }
    villages.into_values().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(day: u32, hour: u32) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(&format!("2026-04-{day:02}T{hour:02}:00:00Z"))
            .unwrap()
            .to_utc()
    }

    fn village(code: &str, counts: &[(VillageAttribute, u32)]) -> VillageProfile {
        VillageProfile {
            code: code.into(),
            name: format!("{code}村"),
            chief: format!("{code}站长"),
            counts: counts.iter().copied().collect(),
        }
    }

    fn policy(rules: Vec<TaskRule>) -> Policy {
        Policy::create(
            NewPolicy {
                title: "汛期安全".into(),
                issuer: "区应急管理局".into(),
                reference: "金应急〔2026〕7号".into(),
                text: "做好汛期安全工作".into(),
                deadline: at(30, 9),
                rules,
            },
            "desk",
            at(1, 1),
        )
        .unwrap()
    }

    fn rule(attribute: VillageAttribute, at_least: u32) -> TaskRule {
        TaskRule {
            attribute,
            at_least,
            title: format!("{} task", attribute.as_str()),
            detail: "{count} to check".into(),
        }
    }

    #[test]
    fn a_policy_gives_tasks_only_to_villages_with_the_attribute() {
        let mut p = policy(vec![
            rule(VillageAttribute::Rivers, 1),
            rule(VillageAttribute::HighRiskEnterprises, 2),
        ]);
        let villages = [
            village("V1", &[(VillageAttribute::Rivers, 3)]),
            village("V2", &[(VillageAttribute::HighRiskEnterprises, 1)]),
            village(
                "V3",
                &[
                    (VillageAttribute::Rivers, 1),
                    (VillageAttribute::HighRiskEnterprises, 2),
                ],
            ),
        ];
        let items = p.decompose(&villages, at(2, 1)).unwrap();
        let got: Vec<_> = items
            .iter()
            .map(|i| (i.grid_code.as_str(), i.attribute, i.detail.as_str()))
            .collect();
        assert_eq!(
            got,
            vec![
                ("V1", VillageAttribute::Rivers, "3 to check"),
                ("V3", VillageAttribute::Rivers, "1 to check"),
                ("V3", VillageAttribute::HighRiskEnterprises, "2 to check"),
            ]
        );
        assert!(items.iter().all(|i| i.deadline == p.deadline));
        assert_eq!(p.items, 3);
        assert_eq!(
            p.decompose(&villages, at(2, 2)).unwrap_err(),
            DomainError::PolicyDecomposed(p.id)
        );
    }

    #[test]
    fn a_rule_for_every_village_reaches_every_one() {
        let mut p = policy(vec![rule(VillageAttribute::All, 0)]);
        let items = p
            .decompose(&[village("V1", &[]), village("R1", &[])], at(2, 1))
            .unwrap();
        assert_eq!(items.len(), 2);
    }

    #[test]
    fn two_rules_on_one_attribute_and_a_past_deadline_are_refused() {
        let err = Policy::create(
            NewPolicy {
                title: "t".into(),
                issuer: "i".into(),
                reference: String::new(),
                text: String::new(),
                deadline: at(1, 0),
                rules: vec![
                    rule(VillageAttribute::Schools, 1),
                    rule(VillageAttribute::Schools, 2),
                ],
            },
            "desk",
            at(1, 1),
        )
        .unwrap_err();
        let DomainError::Invalid(violations) = err else {
            panic!("invalid")
        };
        let fields: Vec<_> = violations.iter().map(|v| v.field.as_str()).collect();
        assert_eq!(fields, vec!["deadline", "rules[1].attribute"]);
    }

    #[test]
    fn the_light_turns_yellow_then_red_as_the_deadline_nears_and_passes() {
        let mut p = policy(vec![rule(VillageAttribute::All, 1)]);
        let mut item = p
            .decompose(&[village("V1", &[])], at(2, 1))
            .unwrap()
            .remove(0);
        let warning = Duration::from_secs(3 * 24 * 3600);
        assert_eq!(item.light(at(26, 9), warning), Light::Green);
        assert_eq!(item.light(at(27, 9), warning), Light::Yellow);
        assert_eq!(item.light(at(30, 9), warning), Light::Red);
        item.report(report(100, true)).unwrap();
        item.verify(true, check()).unwrap();
        item.close(Closure {
            by: "desk".into(),
            at: at(30, 10),
            note: String::new(),
        })
        .unwrap();
        assert_eq!(item.light(at(30, 11), warning), Light::Done);
    }

    fn report(percent: u32, done: bool) -> ProgressReport {
        ProgressReport {
            percent,
            note: "进展".into(),
            done,
            by: "V1站长".into(),
            at: at(3, 1),
        }
    }

    fn check() -> Verification {
        Verification {
            by: "desk".into(),
            at: at(4, 1),
            note: "现场核查".into(),
        }
    }

    #[test]
    fn an_item_closes_only_after_verification() {
        let mut p = policy(vec![rule(VillageAttribute::All, 1)]);
        let mut item = p
            .decompose(&[village("V1", &[])], at(2, 1))
            .unwrap()
            .remove(0);
        let closure = Closure {
            by: "desk".into(),
            at: at(5, 1),
            note: "销号".into(),
        };
        assert!(matches!(
            item.close(closure.clone()),
            Err(DomainError::WorkItemState { .. })
        ));
        item.report(report(60, false)).unwrap();
        assert!(
            item.report(report(40, false)).is_err(),
            "progress never falls"
        );
        assert!(item.report(report(90, true)).is_err(), "done is 100");
        item.report(report(100, true)).unwrap();
        assert!(
            item.close(closure.clone()).is_err(),
            "reported is not verified"
        );
        item.verify(false, check()).unwrap();
        assert_eq!(item.state, WorkItemState::Open, "sent back to work");
        item.report(report(100, true)).unwrap();
        item.verify(true, check()).unwrap();
        item.close(closure).unwrap();
        assert_eq!(item.state, WorkItemState::Closed);
    }

    #[test]
    fn completion_counts_each_villages_items_by_light() {
        let mut p = policy(vec![
            rule(VillageAttribute::All, 1),
            rule(VillageAttribute::Rivers, 1),
        ]);
        let mut items = p
            .decompose(
                &[
                    village("V1", &[(VillageAttribute::Rivers, 2)]),
                    village("V2", &[]),
                ],
                at(2, 1),
            )
            .unwrap();
        items[0].report(report(100, true)).unwrap();
        items[0].verify(true, check()).unwrap();
        items[0]
            .close(Closure {
                by: "desk".into(),
                at: at(5, 1),
                note: String::new(),
            })
            .unwrap();
        let figures = completion(&items, at(28, 9), Duration::from_secs(3 * 24 * 3600));
        assert_eq!(figures.len(), 2);
        assert_eq!(
            (figures[0].items, figures[0].closed, figures[0].yellow),
            (2, 1, 1)
        );
        assert!((figures[0].rate() - 0.5).abs() < 1e-9);
        assert_eq!((figures[1].items, figures[1].yellow), (1, 1));
    }

    #[test]
    fn stored_names_round_trip() {
        for a in VillageAttribute::ALL {
            assert_eq!(VillageAttribute::parse(a.as_str()), Some(a));
        }
        for s in WorkItemState::ALL {
            assert_eq!(WorkItemState::parse(s.as_str()), Some(s));
        }
        assert_eq!(
            PolicyState::parse("DECOMPOSED"),
            Some(PolicyState::Decomposed)
        );
        assert_eq!(VillageAttribute::parse("LAKES"), None);
    }
}
