//! Checks of the generated town against the source's figures and the
//! geometric invariants the grid registry enforces.

use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

use crate::geo::{M_PER_DEG_LAT, M_PER_DEG_LON, ring_area};
use crate::{
    CAPTURE, CameraKind, CameraOwner, CareCategory, Coord, DepartmentKind, FACE, Geometry, Grid,
    Level, MONITORED_ENTERPRISES, MemberRole, ObjectKind, PLATE, THERMAL, TOWN_GENERAL, Town,
    generate, id_check_char,
};

fn town() -> &'static Town {
    static TOWN: OnceLock<Town> = OnceLock::new();
    TOWN.get_or_init(generate)
}

/// (west, south, east, north) of a ring.
fn bbox(ring: &[Coord]) -> (f64, f64, f64, f64) {
    ring.iter().fold(
        (
            f64::INFINITY,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NEG_INFINITY,
        ),
        |(w, s, e, n), &(x, y)| (w.min(x), s.min(y), e.max(x), n.max(y)),
    )
}

fn strictly_inside(p: Coord, b: (f64, f64, f64, f64)) -> bool {
    p.0 > b.0 && p.0 < b.2 && p.1 > b.1 && p.1 < b.3
}

fn grid_index(town: &Town) -> HashMap<&str, &Grid> {
    town.grids.iter().map(|g| (g.code.as_str(), g)).collect()
}

fn children<'a>(town: &'a Town, parent: &str) -> Vec<&'a Grid> {
    town.grids
        .iter()
        .filter(|g| g.parent_code.as_deref() == Some(parent))
        .collect()
}

fn count(town: &Town, kind: ObjectKind) -> usize {
    town.objects.iter().filter(|o| o.kind == kind).count()
}

fn segments_cross(a: Coord, b: Coord, c: Coord, d: Coord) -> bool {
    let orient =
        |p: Coord, q: Coord, r: Coord| (q.0 - p.0) * (r.1 - p.1) - (q.1 - p.1) * (r.0 - p.0);
    let (d1, d2) = (orient(a, b, c), orient(a, b, d));
    let (d3, d4) = (orient(c, d, a), orient(c, d, b));
    d1 * d2 < 0.0 && d3 * d4 < 0.0
}

#[test]
fn generation_is_deterministic() {
    assert_eq!(&generate(), town());
}

#[test]
fn grid_levels_and_counts() {
    let town = town();
    let level = |l: Level| town.grids.iter().filter(|g| g.level == l).count();
    assert_eq!(level(Level::Town), 1);
    assert_eq!(level(Level::Village), 11);
    assert_eq!(level(Level::Residential), 1);
    assert_eq!(level(Level::Micro), 165);

    let root = &town.grids[0];
    assert_eq!(root.code, "LX");
    assert_eq!(root.name, "廊下镇城运中心");
    assert_eq!(root.parent_code, None);

    let index = grid_index(town);
    for g in &town.grids {
        let expected_parent = match g.level {
            Level::Town => None,
            Level::Village | Level::Residential => Some(Level::Town),
            Level::Area => Some(Level::Village),
            Level::Micro => Some(Level::Area),
        };
        let parent_level = g.parent_code.as_deref().map(|p| index[p].level);
        match (g.level, parent_level) {
            (Level::Area, Some(Level::Residential)) => {}
            (_, actual) => assert_eq!(actual, expected_parent, "{}", g.code),
        }
        let micro = g.level == Level::Micro;
        assert_eq!(g.households.is_some(), micro, "{}", g.code);
        assert_eq!(g.party_group.is_some(), micro, "{}", g.code);
        if let Some(h) = g.households {
            assert!((20..=50).contains(&h), "{}: {h} households", g.code);
        }
    }
    for unit in town
        .grids
        .iter()
        .filter(|g| matches!(g.level, Level::Village | Level::Residential))
    {
        let areas = children(town, &unit.code);
        assert!((2..=4).contains(&areas.len()), "{}", unit.code);
        assert!(areas.iter().all(|a| a.level == Level::Area));
    }
}

#[test]
fn codes_are_unique() {
    let town = town();
    let mut seen = HashSet::new();
    for g in &town.grids {
        assert!(seen.insert(g.code.as_str()), "duplicate grid {}", g.code);
    }
    let micro: Vec<&str> = town
        .grids
        .iter()
        .filter(|g| g.level == Level::Micro)
        .map(|g| g.code.as_str())
        .collect();
    assert_eq!(micro.iter().collect::<HashSet<_>>().len(), 165);
    for o in &town.objects {
        assert!(seen.insert(o.code.as_str()), "duplicate object {}", o.code);
    }
    for p in &town.care_people {
        assert!(seen.insert(p.code.as_str()), "duplicate person {}", p.code);
    }
}

#[test]
fn boundaries_are_closed_ccw_rings() {
    for g in &town().grids {
        let b = &g.boundary;
        assert!(b.len() >= 4, "{}", g.code);
        assert_eq!(b.first(), b.last(), "{}", g.code);
        assert!(ring_area(b) > 0.0, "{} is not counter-clockwise", g.code);
    }
}

#[test]
fn town_covers_about_46_km2_around_langxia() {
    let b = bbox(&town().grids[0].boundary);
    let km2 = ring_area(&town().grids[0].boundary) * M_PER_DEG_LON * M_PER_DEG_LAT / 1e6;
    assert!((44.0..=49.0).contains(&km2), "{km2} km²");
    let centre = ((b.0 + b.2) / 2.0, (b.1 + b.3) / 2.0);
    assert!((centre.0 - 121.19).abs() < 0.01 && (centre.1 - 30.80).abs() < 0.01);
}

#[test]
fn children_lie_within_their_parents_bounding_box() {
    let town = town();
    let index = grid_index(town);
    for g in &town.grids {
        let Some(parent) = g.parent_code.as_deref() else {
            continue;
        };
        let (w, s, e, n) = bbox(&index[parent].boundary);
        for &(x, y) in &g.boundary {
            assert!(
                w <= x && x <= e && s <= y && y <= n,
                "{} leaves {parent}",
                g.code
            );
        }
    }
}

#[test]
fn siblings_do_not_overlap() {
    let town = town();
    for parent in &town.grids {
        let kids = children(town, &parent.code);
        for (i, a) in kids.iter().enumerate() {
            let ba = bbox(&a.boundary);
            for b in &kids[i + 1..] {
                let bb = bbox(&b.boundary);
                let width = ba.2.min(bb.2) - ba.0.max(bb.0);
                let height = ba.3.min(bb.3) - ba.1.max(bb.1);
                let overlap = width.max(0.0) * height.max(0.0);
                assert_eq!(overlap, 0.0, "{} overlaps {}", a.code, b.code);
            }
        }
    }
}

#[test]
fn children_tile_their_parent() {
    let town = town();
    for parent in &town.grids {
        let kids = children(town, &parent.code);
        if kids.is_empty() {
            assert_eq!(
                parent.level,
                Level::Micro,
                "{} has no children",
                parent.code
            );
            continue;
        }
        let whole = ring_area(&parent.boundary);
        let sum: f64 = kids.iter().map(|k| ring_area(&k.boundary)).sum();
        assert!(
            ((sum - whole) / whole).abs() <= 1e-9,
            "{}: children {sum} vs {whole}",
            parent.code
        );
    }
}

#[test]
fn micro_grids_are_named_after_party_groups() {
    for g in town().grids.iter().filter(|g| g.level == Level::Micro) {
        let group = g.party_group.as_deref().unwrap();
        assert!(group.ends_with("党小组"), "{group}");
        assert_eq!(g.name.replace("微网格", "党小组"), group);
    }
}

#[test]
fn members_fill_every_micro_grid() {
    let town = town();
    let index = grid_index(town);
    let micro_roles = [
        MemberRole::Leader,
        MemberRole::PartyInstructor,
        MemberRole::Member,
    ];
    let micro_members: Vec<_> = town
        .members
        .iter()
        .filter(|m| micro_roles.contains(&m.role))
        .collect();
    assert_eq!(micro_members.len(), 637);

    let mut per_grid: HashMap<&str, [usize; 3]> = HashMap::new();
    for m in &micro_members {
        assert_eq!(index[m.grid_code.as_str()].level, Level::Micro);
        assert!(m.background.is_some());
        let slot = micro_roles.iter().position(|&r| r == m.role).unwrap();
        per_grid.entry(m.grid_code.as_str()).or_default()[slot] += 1;
    }
    assert_eq!(per_grid.len(), 165);
    for (code, [leaders, instructors, members]) in per_grid {
        assert_eq!((leaders, instructors), (1, 1), "{code}");
        assert!(members >= 1, "{code}");
    }

    for unit in town
        .grids
        .iter()
        .filter(|g| matches!(g.level, Level::Village | Level::Residential))
    {
        let role = |r: MemberRole| {
            town.members
                .iter()
                .filter(|m| m.grid_code == unit.code && m.role == r)
                .count()
        };
        assert_eq!(role(MemberRole::WorkstationHead), 1);
        assert!((2..=3).contains(&role(MemberRole::WorkstationStaff)));
    }
    let operators: Vec<_> = town
        .members
        .iter()
        .filter(|m| m.role == MemberRole::TownOperator)
        .collect();
    assert_eq!(operators.len(), 4);
    assert!(operators.iter().all(|m| m.grid_code == "LX"));

    for m in &town.members {
        assert_eq!(m.phone.len(), 11);
        assert!(m.phone.starts_with('1') && m.phone.bytes().all(|b| b.is_ascii_digit()));
    }
}

#[test]
fn object_counts_follow_the_source() {
    let town = town();
    assert_eq!(count(town, ObjectKind::Shop), 212);
    assert_eq!(count(town, ObjectKind::School), 2);
    assert_eq!(count(town, ObjectKind::Enterprise), 64);
    assert_eq!(count(town, ObjectKind::Cooperative), 21);
    assert_eq!(count(town, ObjectKind::River), 168);
    assert_eq!(count(town, ObjectKind::Road), 447);
    assert_eq!(count(town, ObjectKind::GarbagePoint), 94);
    assert!((10..=14).contains(&count(town, ObjectKind::KeyPoint)));

    let high_risk = town.objects.iter().filter(|o| o.high_risk).count();
    assert_eq!(high_risk, 26);
    for o in &town.objects {
        assert!(!o.high_risk || o.kind == ObjectKind::Enterprise);
        let headed = matches!(o.kind, ObjectKind::Enterprise | ObjectKind::Cooperative);
        assert_eq!(o.head_name.is_some(), headed, "{}", o.code);
        assert_eq!(o.head_phone.is_some(), headed, "{}", o.code);
        let parcel = matches!(o.kind, ObjectKind::ForestParcel | ObjectKind::Farmland);
        assert_eq!(o.area_ha.is_some(), parcel, "{}", o.code);
    }

    let area = |k: ObjectKind| -> f64 {
        town.objects
            .iter()
            .filter(|o| o.kind == k)
            .filter_map(|o| o.area_ha)
            .sum()
    };
    assert!((area(ObjectKind::ForestParcel) - 1111.0).abs() < 1e-6);
    assert!((area(ObjectKind::Farmland) * 15.0 - 27_800.0).abs() < 1e-6);
}

#[test]
fn objects_lie_in_their_micro_grid() {
    let town = town();
    let index = grid_index(town);
    let town_box = bbox(&town.grids[0].boundary);
    for o in &town.objects {
        let grid = index[o.micro_grid_code.as_str()];
        assert_eq!(grid.level, Level::Micro, "{}", o.code);
        let cell = bbox(&grid.boundary);
        let p = o.geometry.representative_point();
        assert!(
            strictly_inside(p, cell),
            "{} is outside {}",
            o.code,
            grid.code
        );
        // No other micro-grid contains the point, even on its boundary.
        for other in town.grids.iter().filter(|g| g.level == Level::Micro) {
            if other.code != grid.code {
                let b = bbox(&other.boundary);
                assert!(
                    !(b.0 <= p.0 && p.0 <= b.2 && b.1 <= p.1 && p.1 <= b.3),
                    "{} touches {}",
                    o.code,
                    other.code
                );
            }
        }
        match &o.geometry {
            Geometry::Point(_) => {}
            Geometry::Line(line) => {
                assert!((2..=6).contains(&line.len()), "{}", o.code);
                assert!(
                    line.iter().all(|&p| strictly_inside(p, town_box)),
                    "{}",
                    o.code
                );
                assert!(line.windows(2).all(|w| w[0] != w[1]), "{}", o.code);
                for i in 0..line.len() - 1 {
                    for j in i + 2..line.len() - 1 {
                        assert!(
                            !segments_cross(line[i], line[i + 1], line[j], line[j + 1]),
                            "{} crosses itself",
                            o.code
                        );
                    }
                }
            }
            Geometry::Polygon(ring) => {
                assert!(ring.len() >= 4 && ring.first() == ring.last(), "{}", o.code);
                assert!(ring_area(ring) > 0.0, "{}", o.code);
                assert!(ring.iter().all(|&p| strictly_inside(p, cell)), "{}", o.code);
                // The average over all ring positions (closing one included)
                // falls in the same cell.
                let n = ring.len() as f64;
                let avg = ring
                    .iter()
                    .fold((0.0, 0.0), |(x, y), p| (x + p.0 / n, y + p.1 / n));
                assert!(strictly_inside(avg, cell), "{}", o.code);
            }
        }
    }
}

#[test]
fn parcels_do_not_overlap() {
    let parcels: Vec<_> = town()
        .objects
        .iter()
        .filter_map(|o| match &o.geometry {
            Geometry::Polygon(ring) => Some((o.code.as_str(), bbox(ring))),
            _ => None,
        })
        .collect();
    assert_eq!(parcels.len(), 160);
    for (i, (a, ba)) in parcels.iter().enumerate() {
        for (b, bb) in &parcels[i + 1..] {
            let width = ba.2.min(bb.2) - ba.0.max(bb.0);
            let height = ba.3.min(bb.3) - ba.1.max(bb.1);
            assert!(width <= 0.0 || height <= 0.0, "{a} overlaps {b}");
        }
    }
}

#[test]
fn shops_cluster_on_two_streets() {
    let town = town();
    let shops: Vec<_> = town
        .objects
        .iter()
        .filter(|o| o.kind == ObjectKind::Shop)
        .collect();
    let in_unit = |prefix: &str| {
        shops
            .iter()
            .filter(|o| o.micro_grid_code.starts_with(prefix))
            .count()
    };
    // Shantang old street lies in 山塘村 (LX-V04).
    assert_eq!(in_unit("LX-V04-"), 72);
    assert!(in_unit("LX-R01-") > 50);
}

#[test]
fn care_people_have_valid_identity_numbers() {
    let town = town();
    assert_eq!(town.care_people.len(), 296);
    let index = grid_index(town);
    for c in CareCategory::ALL {
        assert!(town.care_people.iter().any(|p| p.category == c));
    }
    let mut ids = HashSet::new();
    for p in &town.care_people {
        assert_eq!(index[p.micro_grid_code.as_str()].level, Level::Micro);
        let id = &p.id_number;
        assert_eq!(id.len(), 18);
        assert!(id.starts_with("310116"));
        assert_eq!(id_check_char(&id[..17]), id.chars().last());
        assert!(ids.insert(id.as_str()));
    }
}

#[test]
fn every_domain_has_departments_and_a_duty() {
    let town = town();
    assert_eq!(town.domains.len(), 14);
    assert_eq!(town.duties.len(), 14);
    let codes: HashSet<&str> = town.domains.iter().map(|d| d.code.as_str()).collect();
    assert_eq!(codes.len(), 14);
    for d in &town.domains {
        assert!(
            town.departments
                .iter()
                .any(|dep| dep.domains.contains(&d.code)),
            "{} has no department",
            d.code
        );
        assert_eq!(
            town.duties
                .iter()
                .filter(|x| x.domain_code == d.code)
                .count(),
            1
        );
    }
    for dep in &town.departments {
        assert!(dep.domains.iter().all(|d| codes.contains(d.as_str())));
    }
    let regulatory: Vec<&str> = town
        .departments
        .iter()
        .filter(|d| d.kind == DepartmentKind::Regulatory)
        .map(|d| d.code.as_str())
        .collect();
    assert_eq!(
        regulatory,
        [
            "POLICE",
            "URBAN_MANAGEMENT",
            "MARKET_SUPERVISION",
            "SAFETY_OFFICE"
        ]
    );
    for kind in [
        ObjectKind::Enterprise,
        ObjectKind::Cooperative,
        ObjectKind::Shop,
    ] {
        assert!(town.departments.iter().any(|d| d.regulates.contains(&kind)));
    }
}

#[test]
fn as_str_names() {
    assert_eq!(Level::Micro.as_str(), "MICRO");
    assert_eq!(MemberRole::PartyInstructor.as_str(), "PARTY_INSTRUCTOR");
    assert_eq!(ObjectKind::GarbagePoint.as_str(), "GARBAGE_POINT");
    assert_eq!(
        CareCategory::SevereMentalDisorder.as_str(),
        "SEVERE_MENTAL_DISORDER"
    );
    assert_eq!(DepartmentKind::CoManagement.as_str(), "CO_MANAGEMENT");
}

#[test]
fn summary_reports_the_counts() {
    let summary = town().summary();
    assert!(summary.contains("MICRO"));
    assert!(summary.contains("165"));
    assert!(summary.contains("637"));
    println!("{summary}");
}

#[test]
fn cameras_have_the_published_counts_per_kind_and_owner() {
    let town = town();
    let count = |kind: CameraKind, town_owned: bool| {
        town.cameras
            .iter()
            .filter(|d| (d.owner == CameraOwner::Town) == town_owned)
            .flat_map(|d| &d.channels)
            .filter(|c| c.kind == kind)
            .count()
    };
    assert_eq!(count(CameraKind::General, true), TOWN_GENERAL);
    assert_eq!(count(CameraKind::Capture, true), CAPTURE);
    assert_eq!(count(CameraKind::Face, true), FACE);
    assert_eq!(count(CameraKind::Plate, true), PLATE);
    assert_eq!(count(CameraKind::Thermal, true), THERMAL);
    let enterprises: HashSet<_> = town
        .cameras
        .iter()
        .filter_map(|d| match &d.owner {
            CameraOwner::Enterprise { code, .. } => Some(code.clone()),
            CameraOwner::Town => None,
        })
        .collect();
    assert_eq!(enterprises.len(), MONITORED_ENTERPRISES);
    for code in &enterprises {
        let o = town.objects.iter().find(|o| &o.code == code).unwrap();
        assert!(o.kind == ObjectKind::Enterprise && o.high_risk, "{code}");
    }
    assert!(count(CameraKind::General, false) >= 4 * MONITORED_ENTERPRISES);
}

#[test]
fn camera_codes_are_gb28181_front_end_codes_each_used_once() {
    let town = town();
    let mut seen = HashSet::new();
    for device in &town.cameras {
        for id in std::iter::once(&device.id).chain(device.channels.iter().map(|c| &c.id)) {
            assert_eq!(id.len(), 20, "{id}");
            assert!(id.bytes().all(|b| b.is_ascii_digit()), "{id}");
            assert!(id.starts_with("31011611"), "{id}");
            let kind: u16 = id[10..13].parse().unwrap();
            assert!((111..=199).contains(&kind), "{id}");
        }
        assert!(device.channels.len() <= 256, "{}", device.id);
        assert!(!device.channels.is_empty(), "{}", device.id);
        assert!(seen.insert(device.id.clone()), "{} twice", device.id);
        for c in &device.channels {
            // A camera alone has its device's code as its channel's.
            assert!(
                c.id == device.id || seen.insert(c.id.clone()),
                "{} twice",
                c.id
            );
        }
    }
}

#[test]
fn every_camera_lies_in_the_micro_grid_it_names() {
    let town = town();
    let micro: HashMap<_, _> = town
        .grids
        .iter()
        .filter(|g| g.level == Level::Micro)
        .map(|g| (g.code.as_str(), g))
        .collect();
    for c in town.cameras.iter().flat_map(|d| &d.channels) {
        let grid = micro[c.micro_grid_code.as_str()];
        let (w, s, e, n) = bbox(&grid.boundary);
        assert!(
            (w..=e).contains(&c.location.0) && (s..=n).contains(&c.location.1),
            "{} at {:?} outside {}",
            c.id,
            c.location,
            grid.code
        );
    }
}
