//! Joint risk control (风险联控): one risk list shared by the federation's
//! nodes — places, enterprises, and people of the six special-care groups
//! in masked form only — kept in step. Each entry belongs to the node that
//! made it; only that node changes it, every change raises its version,
//! and every node applies the changes of an entry in version order, so all
//! nodes hold the same list once the envelopes are in.

use chrono::{DateTime, Utc};

use super::ids::RiskId;
use super::node::NodeId;

/// What a risk is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RiskKind {
    /// A place (a river bank, a market, a building site).
    Place,
    /// An enterprise or a shop.
    Enterprise,
    /// A person of one of the six special-care groups (masked).
    Person,
}

impl RiskKind {
    /// Returns the stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            RiskKind::Place => "PLACE",
            RiskKind::Enterprise => "ENTERPRISE",
            RiskKind::Person => "PERSON",
        }
    }

    /// Returns the kind stored as `text`.
    pub fn parse(text: &str) -> Option<Self> {
        [Self::Place, Self::Enterprise, Self::Person]
            .into_iter()
            .find(|k| k.as_str() == text)
    }
}

/// The six special-care groups (重点人群), as the registry names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CareGroup {
    /// 刑满释放人员.
    ReleasedPrisoner,
    /// 社区矫正对象.
    CommunityCorrection,
    /// 社区戒毒康复人员.
    DrugRehabilitation,
    /// 严重精神障碍患者.
    SevereMentalDisorder,
    /// 重点青少年.
    KeyYouth,
    /// 重点信访人员.
    KeyPetitioner,
}

impl CareGroup {
    /// Every group.
    pub const ALL: [CareGroup; 6] = [
        Self::ReleasedPrisoner,
        Self::CommunityCorrection,
        Self::DrugRehabilitation,
        Self::SevereMentalDisorder,
        Self::KeyYouth,
        Self::KeyPetitioner,
    ];

    /// Returns the stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            CareGroup::ReleasedPrisoner => "RELEASED_PRISONER",
            CareGroup::CommunityCorrection => "COMMUNITY_CORRECTION",
            CareGroup::DrugRehabilitation => "DRUG_REHABILITATION",
            CareGroup::SevereMentalDisorder => "SEVERE_MENTAL_DISORDER",
            CareGroup::KeyYouth => "KEY_YOUTH",
            CareGroup::KeyPetitioner => "KEY_PETITIONER",
        }
    }

    /// Returns the group stored as `text`.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|g| g.as_str() == text)
    }
}

/// How serious a risk is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RiskLevel {
    Low,
    Medium,
    High,
}

impl RiskLevel {
    /// Returns the stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            RiskLevel::Low => "LOW",
            RiskLevel::Medium => "MEDIUM",
            RiskLevel::High => "HIGH",
        }
    }

    /// Returns the level stored as `text`.
    pub fn parse(text: &str) -> Option<Self> {
        [Self::Low, Self::Medium, Self::High]
            .into_iter()
            .find(|l| l.as_str() == text)
    }
}

/// One entry of the shared risk list, the same on every node.
#[derive(Debug, Clone, PartialEq)]
pub struct RiskItem {
    pub risk_id: RiskId,
    /// The node that made it and alone changes it.
    pub owner: NodeId,
    pub kind: RiskKind,
    /// A place's or enterprise's name; a person's name masked (`王*明`).
    pub name: String,
    /// A person's group; `None` for places and enterprises.
    pub care_group: Option<CareGroup>,
    pub level: RiskLevel,
    pub description: String,
    pub location: Option<(f64, f64)>,
    /// 1 when made, one more per change.
    pub version: u32,
    /// Withdrawn from the list (kept, so a late change cannot revive it).
    pub withdrawn: bool,
    pub updated_by: String,
    pub updated_at: DateTime<Utc>,
}

/// What a change of the risk list does to a node's copy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RiskChange {
    /// New, or newer than what is held: applied.
    Applied,
    /// Not newer than what is held (a retransmit, or overtaken): ignored.
    Stale,
}

/// Why a change of the risk list is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RiskRefusal {
    /// Only the node that made an entry changes it.
    #[error("risk {risk} belongs to {owner}; {by} may not change it")]
    NotOwner {
        risk: String,
        owner: String,
        by: String,
    },
    /// A person's entry names one of the six groups; others name none.
    #[error("a person's risk names one of the six special-care groups, and only a person's does")]
    CareGroup,
}

impl RiskItem {
    /// Checks the entry's own rules: a person, and only a person, names a
    /// special-care group.
    ///
    /// # Errors
    /// [`RiskRefusal::CareGroup`].
    pub fn check(&self) -> Result<(), RiskRefusal> {
        match (self.kind, self.care_group) {
            (RiskKind::Person, Some(_)) | (RiskKind::Place | RiskKind::Enterprise, None) => Ok(()),
            _ => Err(RiskRefusal::CareGroup),
        }
    }

    /// Returns what `incoming`, sent by `by`, does to `held` (this node's
    /// copy of the same entry, if any).
    ///
    /// # Errors
    /// The sender is not the entry's owner, or the entry breaks its rules.
    pub fn merge(
        held: Option<&RiskItem>,
        incoming: &RiskItem,
        by: &NodeId,
    ) -> Result<RiskChange, RiskRefusal> {
        let owner = held.map_or(&incoming.owner, |h| &h.owner);
        if owner != by || &incoming.owner != by {
            return Err(RiskRefusal::NotOwner {
                risk: incoming.risk_id.to_string(),
                owner: owner.to_string(),
                by: by.to_string(),
            });
        }
        incoming.check()?;
        Ok(match held {
            Some(h) if h.version >= incoming.version => RiskChange::Stale,
            _ => RiskChange::Applied,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(town: &str) -> NodeId {
        NodeId::parse(&format!("zhejiang/pinghu/{town}/case-exchange")).unwrap()
    }

    fn item(version: u32) -> RiskItem {
        RiskItem {
            risk_id: RiskId::generate(),
            owner: node("xindai"),
            kind: RiskKind::Person,
            name: "王*明".into(),
            care_group: Some(CareGroup::KeyPetitioner),
            level: RiskLevel::High,
            description: "多次越级上访".into(),
            location: None,
            version,
            withdrawn: false,
            updated_by: "desk-op".into(),
            updated_at: DateTime::UNIX_EPOCH,
        }
    }

    #[test]
    fn changes_apply_in_version_order_and_only_from_the_owner() {
        let first = item(1);
        let second = RiskItem {
            version: 2,
            level: RiskLevel::Medium,
            ..first.clone()
        };
        let owner = node("xindai");
        assert_eq!(
            RiskItem::merge(None, &first, &owner),
            Ok(RiskChange::Applied)
        );
        assert_eq!(
            RiskItem::merge(Some(&first), &second, &owner),
            Ok(RiskChange::Applied)
        );
        assert_eq!(
            RiskItem::merge(Some(&second), &first, &owner),
            Ok(RiskChange::Stale)
        );
        assert_eq!(
            RiskItem::merge(Some(&second), &second, &owner),
            Ok(RiskChange::Stale)
        );
        let other = node("guangchen");
        assert!(matches!(
            RiskItem::merge(Some(&first), &second, &other),
            Err(RiskRefusal::NotOwner { .. })
        ));
    }

    #[test]
    fn only_a_person_names_a_special_care_group() {
        let place = RiskItem {
            kind: RiskKind::Place,
            ..item(1)
        };
        assert_eq!(place.check(), Err(RiskRefusal::CareGroup));
        let person = RiskItem {
            care_group: None,
            ..item(1)
        };
        assert_eq!(person.check(), Err(RiskRefusal::CareGroup));
        assert_eq!(item(1).check(), Ok(()));
        for group in CareGroup::ALL {
            assert_eq!(CareGroup::parse(group.as_str()), Some(group));
        }
    }
}
