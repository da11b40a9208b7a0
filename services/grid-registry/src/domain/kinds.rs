//! The registry's vocabularies, with one identifier per business term (see
//! the glossary in DESIGN.md), stored as their upper-case names.

macro_rules! vocabulary {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name { $($(#[$vmeta])* $variant),+ }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// Returns the stored name, e.g. `MICRO`.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            /// Parses a stored name.
            pub fn parse(s: &str) -> Option<Self> {
                match s { $($text => Some($name::$variant),)+ _ => None }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

vocabulary! {
    /// The four levels of grids (the village and residential workstations
    /// are one level).
    Level {
        /// 镇城运中心.
        Town => "TOWN",
        /// 村级网格工作站.
        Village => "VILLAGE",
        /// 居委.
        Residential => "RESIDENTIAL",
        /// 片区网格点.
        Area => "AREA",
        /// 微网格.
        Micro => "MICRO",
    }
}

impl Level {
    /// Returns the levels a grid of this level may sit under; none for the town.
    pub fn parent_levels(self) -> &'static [Level] {
        match self {
            Level::Town => &[],
            Level::Village | Level::Residential => &[Level::Town],
            Level::Area => &[Level::Village, Level::Residential],
            Level::Micro => &[Level::Area],
        }
    }

    /// Returns whether this is a workstation level (village or residential).
    pub fn is_workstation(self) -> bool {
        matches!(self, Level::Village | Level::Residential)
    }
}

vocabulary! {
    /// What a person does in a grid.
    MemberRole {
        Leader => "LEADER",
        PartyInstructor => "PARTY_INSTRUCTOR",
        Member => "MEMBER",
        WorkstationHead => "WORKSTATION_HEAD",
        WorkstationStaff => "WORKSTATION_STAFF",
        TownOperator => "TOWN_OPERATOR",
    }
}

impl MemberRole {
    /// Returns the grid levels this role serves at.
    pub fn levels(self) -> &'static [Level] {
        match self {
            MemberRole::Leader | MemberRole::PartyInstructor | MemberRole::Member => {
                &[Level::Micro]
            }
            MemberRole::WorkstationHead | MemberRole::WorkstationStaff => {
                &[Level::Village, Level::Residential, Level::Area]
            }
            MemberRole::TownOperator => &[Level::Town],
        }
    }
}

vocabulary! {
    /// Who a member is in the community.
    Background {
        VillagerGroupLeader => "VILLAGER_GROUP_LEADER",
        PartyGroupLeader => "PARTY_GROUP_LEADER",
        CommunityNotable => "COMMUNITY_NOTABLE",
        BuildingLeader => "BUILDING_LEADER",
    }
}

vocabulary! {
    /// Kinds of covered object.
    ObjectKind {
        Shop => "SHOP",
        School => "SCHOOL",
        Enterprise => "ENTERPRISE",
        Cooperative => "COOPERATIVE",
        River => "RIVER",
        ForestParcel => "FOREST_PARCEL",
        Road => "ROAD",
        Farmland => "FARMLAND",
        GarbagePoint => "GARBAGE_POINT",
        KeyPoint => "KEY_POINT",
    }
}

impl ObjectKind {
    /// Returns whether objects of this kind have a head with first-inquiry duty.
    pub fn has_head(self) -> bool {
        matches!(self, ObjectKind::Enterprise | ObjectKind::Cooperative)
    }

    /// Returns whether objects of this kind record an area.
    pub fn has_area(self) -> bool {
        matches!(self, ObjectKind::ForestParcel | ObjectKind::Farmland)
    }
}

vocabulary! {
    /// The six special-care groups (六类人).
    CareCategory {
        ReleasedPrisoner => "RELEASED_PRISONER",
        CommunityCorrection => "COMMUNITY_CORRECTION",
        DrugRehabilitation => "DRUG_REHABILITATION",
        SevereMentalDisorder => "SEVERE_MENTAL_DISORDER",
        KeyYouth => "KEY_YOUTH",
        KeyPetitioner => "KEY_PETITIONER",
    }
}

vocabulary! {
    /// What an entry of the special-care audit trail records.
    CareAction {
        /// A read of special-care people.
        Read => "READ",
        /// A registration of a special-care person.
        Create => "CREATE",
    }
}

vocabulary! {
    /// How a department is responsible.
    DepartmentKind {
        Regulatory => "REGULATORY",
        CoManagement => "CO_MANAGEMENT",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_parses_back_to_its_value() {
        for level in Level::ALL {
            assert_eq!(Level::parse(level.as_str()), Some(*level));
        }
        for kind in ObjectKind::ALL {
            assert_eq!(ObjectKind::parse(kind.as_str()), Some(*kind));
        }
        assert_eq!(Level::parse("DISTRICT"), None);
    }

    #[test]
    fn a_child_sits_one_level_below_its_parent() {
        assert_eq!(Level::Micro.parent_levels(), [Level::Area]);
        assert_eq!(
            Level::Area.parent_levels(),
            [Level::Village, Level::Residential]
        );
        assert!(Level::Town.parent_levels().is_empty());
    }
}
