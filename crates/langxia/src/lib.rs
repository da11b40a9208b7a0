//! The Langxia town data set: a deterministic, synthetic model of the grids,
//! people, covered objects and responsibilities of Langxia town (廊下镇,
//! Jinshan district, Shanghai), built from the figures published about its
//! micro-grid governance.
//!
//! [`generate`] always returns the same [`Town`]. It holds plain data only and
//! is loaded into the grid registry through its public API by other code.
//!
//! # Figures taken from the source
//!
//! - Four grid levels: the town grid (the town operations centre, 镇城运中心),
//!   village workstations (11 villages and one residential committee), area
//!   grid points (片区网格点) and micro-grids of 20–50 households, each built
//!   on a party group (党小组).
//! - 165 micro-grids, run by 637 members: micro-grid leaders (微网格长),
//!   party-building instructors (党建指导员) and grid members (网格员), drawn
//!   from villager-group leaders, party-group leaders, community notables
//!   (乡贤能人) and building leaders (楼组长).
//! - Covered objects: 200+ street shops (212 here), 2 schools, 60+ enterprises
//!   (64 here, of which the 26 with high-risk premises are monitored),
//!   21 cooperatives, 168 rivers, 1,111 ha of forest, 447 roads, 27,800 mu of
//!   basic farmland, 94 household-waste collection points and the key points
//!   of the town's overview map (including the high-altitude thermal fire
//!   camera and Shantang old street, 山塘老街).
//! - Nearly 300 people of the six special-care groups (六类人; 296 here).
//! - Cameras: the 1,114 the town integrated, the 129 person and vehicle
//!   capture, 15 face and 63 vehicle recognition cameras and the one
//!   high-altitude thermal fire camera it deployed, and the monitoring of
//!   the 26 high-risk enterprises' plants and warehouses (see [`CameraDevice`]).
//! - Regulatory duties of the police, urban management, market supervision
//!   and safety offices over enterprises, cooperatives and shops; leadership
//!   duty lists over 14 safety domains; the co-management duties of the
//!   judicial office (social stability) and the water station (flood and
//!   typhoon control).
//!
//! Everything else — geometry, names, phone and identity numbers, household
//! counts, the split of figures across villages — is synthetic. Grids are
//! axis-aligned rectangles that tile their parents exactly; identity numbers
//! carry the Jinshan prefix `310116` and a valid GB 11643 check character but
//! belong to nobody.

#![forbid(unsafe_code)]

mod builder;
mod cameras;
mod geo;
mod names;
mod rng;

#[cfg(test)]
mod tests;

pub use cameras::{
    CAPTURE, CameraChannel, CameraDevice, CameraKind, CameraOwner, FACE, MONITORED_ENTERPRISES,
    PLATE, THERMAL, TOWN_GENERAL,
};
pub use names::id_check_char;

/// A position as (longitude, latitude) in WGS84 degrees.
pub type Coord = (f64, f64);

/// The whole generated town.
#[derive(Debug, Clone, PartialEq)]
pub struct Town {
    /// Every grid, parents before children: the town, then villages and the
    /// residential committee, then area grid points, then micro-grids.
    pub grids: Vec<Grid>,
    /// Micro-grid members, then workstation heads and staff, then the town
    /// operators.
    pub members: Vec<Member>,
    pub objects: Vec<CoveredObject>,
    /// Restricted personal data (synthetic).
    pub care_people: Vec<CarePerson>,
    pub departments: Vec<Department>,
    pub domains: Vec<SafetyDomain>,
    pub duties: Vec<DomainDuty>,
    /// The town's cameras, then the monitored enterprises' (GB/T 28181
    /// devices and their channels).
    pub cameras: Vec<CameraDevice>,
}

/// The level of a grid in the four-level hierarchy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Level {
    /// The town grid: the town operations centre (镇城运中心).
    Town,
    /// A village workstation (村级网格工作站).
    Village,
    /// A residential-committee workstation (居委).
    Residential,
    /// An area grid point (片区网格点).
    Area,
    /// A micro-grid (微网格) of 20–50 households.
    Micro,
}

impl Level {
    pub const ALL: [Level; 5] = [
        Level::Town,
        Level::Village,
        Level::Residential,
        Level::Area,
        Level::Micro,
    ];

    pub fn as_str(&self) -> &'static str {
        match self {
            Level::Town => "TOWN",
            Level::Village => "VILLAGE",
            Level::Residential => "RESIDENTIAL",
            Level::Area => "AREA",
            Level::Micro => "MICRO",
        }
    }
}

/// A grid cell of any level.
#[derive(Debug, Clone, PartialEq)]
pub struct Grid {
    pub code: String,
    pub name: String,
    pub level: Level,
    /// `None` only for the town grid.
    pub parent_code: Option<String>,
    /// Some only for micro-grids, within 20..=50.
    pub households: Option<u32>,
    /// Some only for micro-grids: the party group (党小组) the micro-grid is
    /// built on, e.g. "中华村第3党小组".
    pub party_group: Option<String>,
    /// Closed exterior ring: first == last, counter-clockwise, >= 4 positions.
    pub boundary: Vec<Coord>,
}

/// The role a person holds in a grid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MemberRole {
    /// Micro-grid leader (微网格长).
    Leader,
    /// Party-building instructor (党建指导员).
    PartyInstructor,
    /// Grid member (网格员).
    Member,
    /// Head of a village or residential workstation.
    WorkstationHead,
    /// Staff of a village or residential workstation.
    WorkstationStaff,
    /// Operator at the town operations centre.
    TownOperator,
}

impl MemberRole {
    pub const ALL: [MemberRole; 6] = [
        MemberRole::Leader,
        MemberRole::PartyInstructor,
        MemberRole::Member,
        MemberRole::WorkstationHead,
        MemberRole::WorkstationStaff,
        MemberRole::TownOperator,
    ];

    pub fn as_str(&self) -> &'static str {
        match self {
            MemberRole::Leader => "LEADER",
            MemberRole::PartyInstructor => "PARTY_INSTRUCTOR",
            MemberRole::Member => "MEMBER",
            MemberRole::WorkstationHead => "WORKSTATION_HEAD",
            MemberRole::WorkstationStaff => "WORKSTATION_STAFF",
            MemberRole::TownOperator => "TOWN_OPERATOR",
        }
    }
}

/// Where a micro-grid member comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Background {
    /// Villager-group leader (村民小组长).
    VillagerGroupLeader,
    /// Party-group leader (党小组长).
    PartyGroupLeader,
    /// Community notable (乡贤能人).
    CommunityNotable,
    /// Building leader (楼组长).
    BuildingLeader,
}

impl Background {
    pub const ALL: [Background; 4] = [
        Background::VillagerGroupLeader,
        Background::PartyGroupLeader,
        Background::CommunityNotable,
        Background::BuildingLeader,
    ];

    pub fn as_str(&self) -> &'static str {
        match self {
            Background::VillagerGroupLeader => "VILLAGER_GROUP_LEADER",
            Background::PartyGroupLeader => "PARTY_GROUP_LEADER",
            Background::CommunityNotable => "COMMUNITY_NOTABLE",
            Background::BuildingLeader => "BUILDING_LEADER",
        }
    }
}

/// A person working in a grid.
#[derive(Debug, Clone, PartialEq)]
pub struct Member {
    pub grid_code: String,
    pub name: String,
    pub role: MemberRole,
    /// Set for micro-grid members only.
    pub background: Option<Background>,
    /// 11-digit mainland mobile number (synthetic).
    pub phone: String,
}

/// The kind of a covered object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ObjectKind {
    /// Street shop (沿街商铺).
    Shop,
    School,
    Enterprise,
    /// Farmers' cooperative (合作社).
    Cooperative,
    River,
    ForestParcel,
    Road,
    /// Basic farmland parcel (基本农田).
    Farmland,
    /// Household-waste collection point (生活垃圾收集点).
    GarbagePoint,
    /// A point of the town's overview map of key points.
    KeyPoint,
}

impl ObjectKind {
    pub const ALL: [ObjectKind; 10] = [
        ObjectKind::Shop,
        ObjectKind::School,
        ObjectKind::Enterprise,
        ObjectKind::Cooperative,
        ObjectKind::River,
        ObjectKind::ForestParcel,
        ObjectKind::Road,
        ObjectKind::Farmland,
        ObjectKind::GarbagePoint,
        ObjectKind::KeyPoint,
    ];

    pub fn as_str(&self) -> &'static str {
        match self {
            ObjectKind::Shop => "SHOP",
            ObjectKind::School => "SCHOOL",
            ObjectKind::Enterprise => "ENTERPRISE",
            ObjectKind::Cooperative => "COOPERATIVE",
            ObjectKind::River => "RIVER",
            ObjectKind::ForestParcel => "FOREST_PARCEL",
            ObjectKind::Road => "ROAD",
            ObjectKind::Farmland => "FARMLAND",
            ObjectKind::GarbagePoint => "GARBAGE_POINT",
            ObjectKind::KeyPoint => "KEY_POINT",
        }
    }
}

/// The shape of a covered object.
#[derive(Debug, Clone, PartialEq)]
pub enum Geometry {
    Point(Coord),
    /// An open polyline of at least two vertices.
    Line(Vec<Coord>),
    /// A closed, counter-clockwise ring.
    Polygon(Vec<Coord>),
}

impl Geometry {
    pub fn as_str(&self) -> &'static str {
        match self {
            Geometry::Point(_) => "POINT",
            Geometry::Line(_) => "LINE",
            Geometry::Polygon(_) => "POLYGON",
        }
    }

    /// The point that decides which micro-grid covers the object: the point
    /// itself, the first vertex of a line, or the average of a polygon's
    /// distinct vertices (the closing vertex is not counted twice).
    pub fn representative_point(&self) -> Coord {
        match self {
            Geometry::Point(p) => *p,
            Geometry::Line(line) => line[0],
            Geometry::Polygon(ring) => {
                let open = if ring.len() > 1 && ring.first() == ring.last() {
                    &ring[..ring.len() - 1]
                } else {
                    &ring[..]
                };
                let n = open.len() as f64;
                let (sx, sy) = open
                    .iter()
                    .fold((0.0, 0.0), |(sx, sy), &(x, y)| (sx + x, sy + y));
                (sx / n, sy / n)
            }
        }
    }
}

/// A place or thing a micro-grid looks after.
#[derive(Debug, Clone, PartialEq)]
pub struct CoveredObject {
    pub code: String,
    pub name: String,
    pub kind: ObjectKind,
    pub geometry: Geometry,
    /// The micro-grid containing the geometry's representative point.
    pub micro_grid_code: String,
    /// Enterprises only: one of the 26 with high-risk premises.
    pub high_risk: bool,
    /// Enterprises and cooperatives: the head who carries first-inquiry duty.
    pub head_name: Option<String>,
    pub head_phone: Option<String>,
    /// Forest and farmland parcels: the registered area in hectares.
    pub area_ha: Option<f64>,
}

/// The six special-care groups (六类人).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CareCategory {
    /// Released from prison (刑满释放人员).
    ReleasedPrisoner,
    /// Under community correction (社区矫正人员).
    CommunityCorrection,
    /// In community drug rehabilitation (社区戒毒康复人员).
    DrugRehabilitation,
    /// With a severe mental disorder (严重精神障碍患者).
    SevereMentalDisorder,
    /// Youth needing attention (重点青少年).
    KeyYouth,
    /// Key petitioner (重点信访人员).
    KeyPetitioner,
}

impl CareCategory {
    pub const ALL: [CareCategory; 6] = [
        CareCategory::ReleasedPrisoner,
        CareCategory::CommunityCorrection,
        CareCategory::DrugRehabilitation,
        CareCategory::SevereMentalDisorder,
        CareCategory::KeyYouth,
        CareCategory::KeyPetitioner,
    ];

    pub fn as_str(&self) -> &'static str {
        match self {
            CareCategory::ReleasedPrisoner => "RELEASED_PRISONER",
            CareCategory::CommunityCorrection => "COMMUNITY_CORRECTION",
            CareCategory::DrugRehabilitation => "DRUG_REHABILITATION",
            CareCategory::SevereMentalDisorder => "SEVERE_MENTAL_DISORDER",
            CareCategory::KeyYouth => "KEY_YOUTH",
            CareCategory::KeyPetitioner => "KEY_PETITIONER",
        }
    }
}

/// A person of the six special-care groups (restricted, synthetic).
#[derive(Debug, Clone, PartialEq)]
pub struct CarePerson {
    pub code: String,
    pub micro_grid_code: String,
    pub category: CareCategory,
    pub name: String,
    /// 18 characters with the Jinshan prefix 310116 and a valid GB 11643
    /// check character.
    pub id_number: String,
    pub phone: Option<String>,
}

/// How a department takes part in the grids' work.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DepartmentKind {
    /// Administrative supervision (行政监管).
    Regulatory,
    /// Co-management by a unit stationed in the town (协管).
    CoManagement,
}

impl DepartmentKind {
    pub const ALL: [DepartmentKind; 2] = [DepartmentKind::Regulatory, DepartmentKind::CoManagement];

    pub fn as_str(&self) -> &'static str {
        match self {
            DepartmentKind::Regulatory => "REGULATORY",
            DepartmentKind::CoManagement => "CO_MANAGEMENT",
        }
    }
}

/// A functional department or a unit stationed in the town.
#[derive(Debug, Clone, PartialEq)]
pub struct Department {
    pub code: String,
    pub name: String,
    pub kind: DepartmentKind,
    /// Object kinds it supervises.
    pub regulates: Vec<ObjectKind>,
    /// Codes of the safety domains it regulates or co-manages.
    pub domains: Vec<String>,
}

/// One of the 14 safety domains of the leadership duty list.
#[derive(Debug, Clone, PartialEq)]
pub struct SafetyDomain {
    /// e.g. "PRODUCTION_SAFETY".
    pub code: String,
    /// e.g. "安全生产".
    pub name: String,
}

/// The town leader on duty for a safety domain.
#[derive(Debug, Clone, PartialEq)]
pub struct DomainDuty {
    pub domain_code: String,
    pub leader_name: String,
    /// e.g. "副镇长".
    pub leader_title: String,
    pub phone: String,
}

/// Generates the Langxia town data set. The output is the same on every call.
pub fn generate() -> Town {
    builder::build()
}

impl Town {
    /// A short human-readable account of how many of each thing there are.
    pub fn summary(&self) -> String {
        use std::fmt::Write;

        let mut out = String::new();
        let level = |l: Level| self.grids.iter().filter(|g| g.level == l).count();
        let role = |r: MemberRole| self.members.iter().filter(|m| m.role == r).count();
        let kind = |k: ObjectKind| self.objects.iter().filter(move |o| o.kind == k);
        let area = |k: ObjectKind| kind(k).filter_map(|o| o.area_ha).sum::<f64>();

        let _ = writeln!(out, "Langxia town (廊下镇)");
        let _ = writeln!(out, "grids: {}", self.grids.len());
        for l in Level::ALL {
            let _ = writeln!(out, "  {:<22} {}", l.as_str(), level(l));
        }
        let _ = writeln!(out, "members: {}", self.members.len());
        for r in MemberRole::ALL {
            let _ = writeln!(out, "  {:<22} {}", r.as_str(), role(r));
        }
        let micro_members =
            role(MemberRole::Leader) + role(MemberRole::PartyInstructor) + role(MemberRole::Member);
        let _ = writeln!(out, "  {:<22} {}", "(micro-grid members)", micro_members);
        let _ = writeln!(out, "objects: {}", self.objects.len());
        for k in ObjectKind::ALL {
            let _ = write!(out, "  {:<22} {}", k.as_str(), kind(k).count());
            match k {
                ObjectKind::Enterprise => {
                    let high = kind(k).filter(|o| o.high_risk).count();
                    let _ = write!(out, " ({high} high-risk)");
                }
                ObjectKind::ForestParcel => {
                    let _ = write!(out, " ({:.2} ha)", area(k));
                }
                ObjectKind::Farmland => {
                    let ha = area(k);
                    let _ = write!(out, " ({:.2} ha = {:.0} mu)", ha, ha * 15.0);
                }
                _ => {}
            }
            out.push('\n');
        }
        let _ = writeln!(out, "care people: {}", self.care_people.len());
        for c in CareCategory::ALL {
            let n = self.care_people.iter().filter(|p| p.category == c).count();
            let _ = writeln!(out, "  {:<22} {}", c.as_str(), n);
        }
        let _ = writeln!(out, "departments: {}", self.departments.len());
        for k in DepartmentKind::ALL {
            let n = self.departments.iter().filter(|d| d.kind == k).count();
            let _ = writeln!(out, "  {:<22} {}", k.as_str(), n);
        }
        let _ = writeln!(out, "safety domains: {}", self.domains.len());
        let _ = writeln!(out, "domain duties: {}", self.duties.len());
        let channels = || self.cameras.iter().flat_map(|d| &d.channels);
        let _ = writeln!(
            out,
            "camera devices: {} ({} cameras)",
            self.cameras.len(),
            channels().count()
        );
        for k in CameraKind::ALL {
            let town = |d: &&CameraDevice| d.owner == CameraOwner::Town;
            let of = |d: &CameraDevice| d.channels.iter().filter(|c| c.kind == k).count();
            let owned: usize = self.cameras.iter().filter(town).map(of).sum();
            let total: usize = self.cameras.iter().map(of).sum();
            let _ = writeln!(out, "  {:<22} {} ({} the town's)", k.as_str(), total, owned);
        }
        out
    }
}
