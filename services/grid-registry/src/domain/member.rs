//! Members: the people serving in a grid, each in a role that serves at
//! given levels (a micro-grid leader in a micro-grid, a workstation head at
//! a workstation…). Their phones are personal data, shown only masked.

use kernel::FieldViolation;

use super::DomainError;
use super::grid::Grid;
use super::ids::{GridId, MemberId};
use super::kinds::{Background, MemberRole};

/// A person serving (or who served) in a grid.
#[derive(Debug, Clone, PartialEq)]
pub struct Member {
    pub id: MemberId,
    pub grid_id: GridId,
    pub grid_code: String,
    pub name: String,
    pub role: MemberRole,
    pub background: Option<Background>,
    pub phone: String,
    /// False once removed.
    pub active: bool,
}

/// A member as a write proposes it, its own fields already checked.
#[derive(Debug, Clone)]
pub struct NewMember {
    pub grid_code: String,
    pub name: String,
    pub role: MemberRole,
    pub background: Option<Background>,
    pub phone: String,
}

/// What happened to a member.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MemberEvent {
    Added,
    Removed { reason: String },
}

impl Member {
    /// Adds `new` to `grid` as member `id`.
    ///
    /// # Errors
    /// The role does not serve at the grid's level.
    pub fn add(
        id: MemberId,
        grid: &Grid,
        new: NewMember,
    ) -> Result<(Member, MemberEvent), DomainError> {
        let role = new.role;
        if !role.levels().contains(&grid.level) {
            let allowed: Vec<_> = role.levels().iter().map(|l| l.as_str()).collect();
            return Err(DomainError::Invalid(vec![FieldViolation::new(
                "role",
                format!(
                    "{role} serves in {} grids; {} is {}",
                    allowed.join(" or "),
                    grid.code,
                    grid.level
                ),
            )]));
        }
        let member = Member {
            id,
            grid_id: grid.id,
            grid_code: grid.code.clone(),
            name: new.name,
            role,
            background: new.background,
            phone: new.phone,
            active: true,
        };
        Ok((member, MemberEvent::Added))
    }

    /// Removes the member for `reason`: they no longer serve.
    ///
    /// # Errors
    /// The member was removed before.
    pub fn remove(&mut self, reason: String) -> Result<MemberEvent, DomainError> {
        if !self.active {
            return Err(DomainError::AlreadyRemoved(self.id));
        }
        self.active = false;
        Ok(MemberEvent::Removed { reason })
    }
}

/// A micro-grid and which of the micro-grid roles it has filled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Staffing {
    pub grid_id: GridId,
    pub has_leader: bool,
    pub has_party_instructor: bool,
    pub has_member: bool,
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, Utc};

    use super::*;
    use crate::domain::geometry;
    use crate::domain::kinds::Level;

    fn grid(code: &str, level: Level) -> Grid {
        let ring = vec![vec![
            (121.0, 30.0),
            (121.01, 30.0),
            (121.01, 30.01),
            (121.0, 30.01),
            (121.0, 30.0),
        ]];
        let at: DateTime<Utc> = DateTime::UNIX_EPOCH;
        Grid {
            id: GridId::generate(),
            code: code.into(),
            name: code.into(),
            level,
            parent_id: None,
            parent_code: None,
            households: None,
            party_group: None,
            boundary: geometry::polygon("boundary", &ring).unwrap(),
            version: 1,
            created_at: at,
            updated_at: at,
        }
    }

    fn new(role: MemberRole) -> NewMember {
        NewMember {
            grid_code: "M01".into(),
            name: "张建国".into(),
            role,
            background: Some(Background::VillagerGroupLeader),
            phone: "13812345678".into(),
        }
    }

    #[test]
    fn a_role_serves_only_at_its_levels() {
        let micro = grid("M01", Level::Micro);
        let (member, event) =
            Member::add(MemberId::generate(), &micro, new(MemberRole::Leader)).unwrap();
        assert_eq!(event, MemberEvent::Added);
        assert!(member.active);
        assert_eq!(
            (member.grid_id, member.grid_code.as_str()),
            (micro.id, "M01")
        );

        let village = grid("V1", Level::Village);
        let err = Member::add(MemberId::generate(), &village, new(MemberRole::Leader)).unwrap_err();
        let DomainError::Invalid(violations) = err else {
            panic!("refused as invalid: {err:?}");
        };
        assert_eq!(violations[0].field, "role");
        assert_eq!(
            violations[0].rule,
            "LEADER serves in MICRO grids; V1 is VILLAGE"
        );
        assert!(
            Member::add(
                MemberId::generate(),
                &village,
                new(MemberRole::WorkstationHead)
            )
            .is_ok()
        );
    }

    #[test]
    fn a_member_is_removed_once() {
        let micro = grid("M01", Level::Micro);
        let (mut member, _) =
            Member::add(MemberId::generate(), &micro, new(MemberRole::Member)).unwrap();
        assert_eq!(
            member.remove("moved away".into()),
            Ok(MemberEvent::Removed {
                reason: "moved away".into()
            })
        );
        assert!(!member.active);
        let err = member.remove("again".into()).unwrap_err();
        assert_eq!(err, DomainError::AlreadyRemoved(member.id));
        assert_eq!(
            err.to_string(),
            format!("member {} was already removed", member.id)
        );
    }
}
