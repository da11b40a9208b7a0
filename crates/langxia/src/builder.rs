//! Builds the town: grids first, then the people and objects placed in them,
//! then the departments and duty lists.

use std::collections::{HashMap, HashSet};
use std::f64::consts::{FRAC_PI_2, PI};

use crate::geo::{M_PER_DEG_LAT, M_PER_DEG_LON, Rect, cuts, jittered, round7, tile};
use crate::names::{FEMALE_CHARS, MALE_CHARS, People, SURNAMES};
use crate::rng::Rng;
use crate::{
    Background, CareCategory, CarePerson, Coord, CoveredObject, Department, DepartmentKind,
    DomainDuty, Geometry, Grid, Level, Member, MemberRole, ObjectKind, SafetyDomain, Town,
};

/// The fixed seed of the generator.
const SEED: u64 = 0x4C58_2022_0165_0637;

/// The town grid's code and name.
pub(crate) const TOWN_CODE: &str = "LX";
const TOWN_NAME: &str = "廊下镇城运中心";

/// The town boundary: about 7.5 km east–west by 6.2 km north–south around
/// 30.80°N 121.19°E, roughly 46.5 km².
pub(crate) const TOWN_RECT: Rect = Rect {
    west: 121.1508,
    south: 30.7720,
    east: 121.2292,
    north: 30.8280,
};

/// The villages and the residential committee, in code order.
const UNITS: [(&str, &str, Level); 12] = [
    ("LX-V01", "中华村", Level::Village),
    ("LX-V02", "中丰村", Level::Village),
    ("LX-V03", "勇敢村", Level::Village),
    ("LX-V04", "山塘村", Level::Village),
    ("LX-V05", "光明村", Level::Village),
    ("LX-V06", "南塘村", Level::Village),
    ("LX-V07", "南陆村", Level::Village),
    ("LX-V08", "景阳村", Level::Village),
    ("LX-V09", "友好村", Level::Village),
    ("LX-V10", "民主村", Level::Village),
    ("LX-V11", "万春村", Level::Village),
    ("LX-R01", "廊下居委", Level::Residential),
];

/// Index of the residential committee (the town centre) in [`UNITS`].
const RESIDENTIAL: usize = 11;
/// Index of 山塘村, home of Shantang old street on the southern border.
const SHANTANG: usize = 3;

/// Where the units lie: rows from south to north, cells from west to east,
/// as indices into [`UNITS`].
const LAYOUT: [[usize; 4]; 3] = [[SHANTANG, 5, 6, 2], [0, RESIDENTIAL, 1, 4], [7, 8, 9, 10]];

/// Micro-grids running in the town (source figure).
const MICRO_GRIDS: u32 = 165;
/// Micro-grids of the residential committee (the rest are in villages).
const RESIDENTIAL_MICRO_GRIDS: u32 = 12;
/// Members of all micro-grids together (source figure).
const MICRO_MEMBERS: u32 = 637;

const SHOPS_MAIN_STREET: usize = 140;
const SHOPS_OLD_STREET: usize = 72; // 212 street shops in all
const ENTERPRISES: usize = 64;
const HIGH_RISK_ENTERPRISES: usize = 26;
const COOPERATIVES: u32 = 21;
const RIVERS: usize = 168;
const FOREST_PARCELS: usize = 40;
/// 1,111 ha of forest, in hundredths of a hectare.
const FOREST_HA_HUNDREDTHS: u64 = 111_100;
const ROADS: usize = 447;
const HIGHWAYS: usize = 12;
const TOWN_ROADS: usize = 60;
const FARMLAND_PARCELS: usize = 120;
/// 27,800 mu of basic farmland, in tenths of a mu (15 mu = 1 ha).
const FARMLAND_MU_TENTHS: u64 = 278_000;
const GARBAGE_POINTS: usize = 94;

/// Special-care people per category (nearly 300 in the source).
const CARE_COUNTS: [(CareCategory, usize); 6] = [
    (CareCategory::ReleasedPrisoner, 62),
    (CareCategory::CommunityCorrection, 38),
    (CareCategory::DrugRehabilitation, 45),
    (CareCategory::SevereMentalDisorder, 104),
    (CareCategory::KeyYouth, 27),
    (CareCategory::KeyPetitioner, 20),
];

/// The 14 safety domains of the leadership duty list.
const DOMAINS: [(&str, &str); 14] = [
    ("PRODUCTION_SAFETY", "安全生产"),
    ("CONSTRUCTION_SAFETY", "建设安全"),
    ("FIRE_SAFETY", "消防安全"),
    ("ROAD_TRAFFIC_SAFETY", "道路交通安全"),
    ("FOOD_SAFETY", "食品安全"),
    ("SPECIAL_EQUIPMENT", "特种设备"),
    ("FLOOD_TYPHOON_CONTROL", "防汛防台"),
    ("SOCIAL_STABILITY", "社会稳定"),
    ("HAZARDOUS_CHEMICALS", "危险化学品"),
    ("GAS_SAFETY", "燃气安全"),
    ("AGRICULTURAL_SAFETY", "农业农机安全"),
    ("WATERWAY_SAFETY", "水上交通安全"),
    ("CAMPUS_SAFETY", "校园安全"),
    ("ECOLOGICAL_ENVIRONMENT", "生态环境"),
];

/// Departments: code, name, kind, supervised object kinds, domain codes.
type DepartmentRow = (
    &'static str,
    &'static str,
    DepartmentKind,
    &'static [ObjectKind],
    &'static [&'static str],
);

const DEPARTMENTS: [DepartmentRow; 6] = [
    (
        "POLICE",
        "廊下派出所",
        DepartmentKind::Regulatory,
        &[ObjectKind::Shop, ObjectKind::Enterprise],
        &[
            "SOCIAL_STABILITY",
            "ROAD_TRAFFIC_SAFETY",
            "FIRE_SAFETY",
            "CAMPUS_SAFETY",
        ],
    ),
    (
        "URBAN_MANAGEMENT",
        "城管中队",
        DepartmentKind::Regulatory,
        &[ObjectKind::Shop],
        &[
            "CONSTRUCTION_SAFETY",
            "GAS_SAFETY",
            "ECOLOGICAL_ENVIRONMENT",
        ],
    ),
    (
        "MARKET_SUPERVISION",
        "市场监管所",
        DepartmentKind::Regulatory,
        &[
            ObjectKind::Shop,
            ObjectKind::Enterprise,
            ObjectKind::Cooperative,
        ],
        &["FOOD_SAFETY", "SPECIAL_EQUIPMENT"],
    ),
    (
        "SAFETY_OFFICE",
        "安全办",
        DepartmentKind::Regulatory,
        &[ObjectKind::Enterprise, ObjectKind::Cooperative],
        &[
            "PRODUCTION_SAFETY",
            "HAZARDOUS_CHEMICALS",
            "FIRE_SAFETY",
            "AGRICULTURAL_SAFETY",
        ],
    ),
    (
        "JUDICIAL_OFFICE",
        "司法所",
        DepartmentKind::CoManagement,
        &[],
        &["SOCIAL_STABILITY"],
    ),
    (
        "WATER_STATION",
        "水务站",
        DepartmentKind::CoManagement,
        &[ObjectKind::River],
        &["FLOOD_TYPHOON_CONTROL", "WATERWAY_SAFETY"],
    ),
];

/// Titles of the town leaders on the duty list.
const LEADER_TITLES: [&str; 7] = [
    "镇长",
    "党委副书记",
    "副镇长",
    "副镇长",
    "副镇长",
    "党委委员",
    "副镇长",
];

/// For each domain in [`DOMAINS`], the index of its leader in
/// [`LEADER_TITLES`].
const DUTY_LEADER: [usize; 14] = [0, 2, 5, 5, 4, 4, 3, 1, 0, 2, 3, 3, 1, 6];

const SHOP_TYPES: &[&str] = &[
    "小吃店",
    "便利店",
    "五金店",
    "理发店",
    "超市",
    "饭店",
    "茶馆",
    "药房",
    "服装店",
    "水果店",
    "面馆",
    "糕点店",
    "烟杂店",
    "农资店",
    "手机店",
    "早餐店",
    "快递驿站",
    "棋牌室",
    "花店",
    "酒家",
    "粮油店",
    "熟食店",
    "眼镜店",
    "黄酒铺",
    "豆腐店",
];
const SHOP_PLACES: &[&str] = &[
    "廊下", "山塘", "金廊", "乡村", "农家", "老街", "新风", "百姓", "惠民", "好运", "福满", "邻里",
];
const TRADE_CHARS: &[&str] = &[
    "廊", "丰", "盛", "华", "锦", "鑫", "恒", "瑞", "泰", "嘉", "宏", "达", "通", "源", "利", "永",
    "祥", "裕", "晟", "诚", "润", "和", "捷", "隆", "益", "凯", "亿", "振", "富", "康",
];
const INDUSTRIES: &[&str] = &[
    "包装材料",
    "塑料制品",
    "五金制品",
    "机械制造",
    "食品",
    "服饰",
    "电子科技",
    "印刷",
    "建材",
    "家具",
    "汽车配件",
    "农业科技",
    "纸制品",
    "电器",
    "新材料",
    "工艺品",
];
const HIGH_RISK_INDUSTRIES: &[&str] = &[
    "化工",
    "涂料",
    "金属表面处理",
    "木业",
    "仓储物流",
    "工业气体",
    "粉末冶金",
    "铝制品",
    "橡胶制品",
    "油脂",
];
const PRODUCTS: &[&str] = &[
    "蔬菜",
    "食用菌",
    "水稻",
    "草莓",
    "葡萄",
    "黄桃",
    "蜜梨",
    "甜瓜",
    "西瓜",
    "茭白",
    "花卉",
    "农机",
    "水产",
    "芦笋",
    "番茄",
];
const RIVER_STEMS: &[&str] = &[
    "张", "朱", "沈", "新", "横", "长", "东", "西", "南", "北", "大", "小", "中", "白", "黄", "青",
    "石", "荷", "桃", "杨", "柳", "钱", "顾", "陆", "金", "万", "山", "泖", "胜", "利", "团", "结",
    "跃", "进", "红", "和", "平", "光", "兴", "丰",
];
const RIVER_SUFFIXES: &[&str] = &["港", "河", "泾", "浜", "塘", "沟"];
const FOREST_TYPES: &[&str] = &["生态公益林", "经济果林", "水源涵养林", "通道林", "片林"];

/// Objects' representative points keep at least this far from any
/// micro-grid edge.
const LOCATE_MARGIN_M: f64 = 5.0;
/// Points sampled inside a known cell keep this far from its edges.
const SAMPLE_MARGIN_M: f64 = 10.0;
/// Line vertices keep this far inside the town boundary.
const LINE_MARGIN_M: f64 = 30.0;

/// A micro-grid as the builder sees it.
struct Cell {
    code: String,
    rect: Rect,
    unit: usize,
}

struct Builder {
    rng: Rng,
    people: People,
    unit_rects: Vec<Rect>,
    cells: Vec<Cell>,
    grids: Vec<Grid>,
    members: Vec<Member>,
    objects: Vec<CoveredObject>,
    object_names: HashSet<String>,
    counters: HashMap<(usize, ObjectKind), u32>,
    kind_counts: HashMap<ObjectKind, usize>,
}

pub(crate) fn build() -> Town {
    let mut b = Builder {
        rng: Rng::new(SEED),
        people: People::default(),
        unit_rects: Vec::new(),
        cells: Vec::new(),
        grids: Vec::new(),
        members: Vec::new(),
        objects: Vec::new(),
        object_names: HashSet::new(),
        counters: HashMap::new(),
        kind_counts: HashMap::new(),
    };
    b.build_grids();
    b.build_members();
    b.build_objects();
    let care_people = b.build_care_people();
    let (domains, departments, duties) = b.build_responsibilities();
    let cameras = crate::cameras::build(&b.grids, &b.objects);
    Town {
        cameras,
        grids: b.grids,
        members: b.members,
        objects: b.objects,
        care_people,
        departments,
        domains,
        duties,
    }
}

fn unit_is_residential(unit: usize) -> bool {
    UNITS[unit].2 == Level::Residential
}

/// A village's short name (中华村 → 中华) for composing object names.
fn stem(unit: usize) -> &'static str {
    let name = UNITS[unit].1;
    name.strip_suffix('村').unwrap_or(name)
}

/// Moves `p` by the given offsets in metres.
fn offset(p: Coord, east_m: f64, north_m: f64) -> Coord {
    (p.0 + east_m / M_PER_DEG_LON, p.1 + north_m / M_PER_DEG_LAT)
}

impl Builder {
    // ---------------------------------------------------------------- grids

    fn build_grids(&mut self) {
        let town = TOWN_RECT;
        self.grids.push(Grid {
            code: TOWN_CODE.to_owned(),
            name: TOWN_NAME.to_owned(),
            level: Level::Town,
            parent_code: None,
            households: None,
            party_group: None,
            boundary: town.ring(),
        });

        // Villages and the residential committee: three rows of four, the
        // residential committee (the town centre) being the narrowest.
        let row_weights = jittered(&mut self.rng, LAYOUT.len(), 0.12);
        let ys = cuts(town.south, town.north, &row_weights);
        let mut unit_rects = [None; UNITS.len()];
        for (r, row) in LAYOUT.iter().enumerate() {
            let weights: Vec<f64> = row
                .iter()
                .map(|&u| {
                    if unit_is_residential(u) {
                        0.4
                    } else {
                        1.0 + self.rng.range(-0.25, 0.25)
                    }
                })
                .collect();
            let xs = cuts(town.west, town.east, &weights);
            for (c, &u) in row.iter().enumerate() {
                unit_rects[u] = Some(Rect {
                    west: xs[c],
                    south: ys[r],
                    east: xs[c + 1],
                    north: ys[r + 1],
                });
            }
        }
        self.unit_rects = unit_rects
            .into_iter()
            .map(|r| r.expect("every unit is in the layout"))
            .collect();
        for (u, &(code, name, level)) in UNITS.iter().enumerate() {
            self.grids.push(Grid {
                code: code.to_owned(),
                name: name.to_owned(),
                level,
                parent_code: Some(TOWN_CODE.to_owned()),
                households: None,
                party_group: None,
                boundary: self.unit_rects[u].ring(),
            });
        }

        // Micro-grids per unit, then area grid points and their micro-grids.
        let villages = UNITS.len() - 1;
        let mut counts =
            self.rng
                .partition(MICRO_GRIDS - RESIDENTIAL_MICRO_GRIDS, villages, 11, 17);
        counts.insert(RESIDENTIAL, RESIDENTIAL_MICRO_GRIDS);

        let mut areas = Vec::new();
        let mut micros = Vec::new();
        for (u, &(unit_code, unit_name, _)) in UNITS.iter().enumerate() {
            let area_count = self.rng.int(2, 4) as usize;
            let per_area = self.rng.partition(counts[u], area_count, 2, counts[u]);
            let area_rects = tile(&self.unit_rects[u], area_count, &mut self.rng);
            let mut seq = 0;
            for (a, (area_rect, &n)) in area_rects.iter().zip(&per_area).enumerate() {
                let area_code = format!("{unit_code}-A{}", a + 1);
                areas.push(Grid {
                    code: area_code.clone(),
                    name: format!("{unit_name}第{}片区网格点", a + 1),
                    level: Level::Area,
                    parent_code: Some(unit_code.to_owned()),
                    households: None,
                    party_group: None,
                    boundary: area_rect.ring(),
                });
                for rect in tile(area_rect, n as usize, &mut self.rng) {
                    seq += 1;
                    let code = format!("{area_code}-M{seq:02}");
                    let households = if unit_is_residential(u) {
                        self.rng.int(30, 50)
                    } else {
                        self.rng.int(20, 50)
                    };
                    micros.push(Grid {
                        code: code.clone(),
                        name: format!("{unit_name}第{seq}微网格"),
                        level: Level::Micro,
                        parent_code: Some(area_code.clone()),
                        households: Some(households),
                        party_group: Some(format!("{unit_name}第{seq}党小组")),
                        boundary: rect.ring(),
                    });
                    self.cells.push(Cell {
                        code,
                        rect,
                        unit: u,
                    });
                }
            }
        }
        self.grids.extend(areas);
        self.grids.extend(micros);
    }

    // -------------------------------------------------------------- members

    fn push_member(&mut self, grid_code: &str, role: MemberRole, background: Option<Background>) {
        let person = self.people.person(&mut self.rng);
        let phone = self.people.phone(&mut self.rng);
        self.members.push(Member {
            grid_code: grid_code.to_owned(),
            name: person.name,
            role,
            background,
            phone,
        });
    }

    fn build_members(&mut self) {
        let n = self.cells.len();
        // One leader and one instructor per micro-grid; the rest are members.
        let members_per_cell = self.rng.partition(MICRO_MEMBERS - 2 * n as u32, n, 1, 3);
        for (i, &extra) in members_per_cell.iter().enumerate() {
            let code = self.cells[i].code.clone();
            let residential = unit_is_residential(self.cells[i].unit);

            let leader = if residential {
                Background::BuildingLeader
            } else if self.rng.chance(0.8) {
                Background::VillagerGroupLeader
            } else {
                Background::PartyGroupLeader
            };
            self.push_member(&code, MemberRole::Leader, Some(leader));

            let instructor = if self.rng.chance(0.9) {
                Background::PartyGroupLeader
            } else {
                Background::CommunityNotable
            };
            self.push_member(&code, MemberRole::PartyInstructor, Some(instructor));

            for _ in 0..extra {
                let roll = self.rng.unit();
                let background = match (residential, roll) {
                    (true, r) if r < 0.6 => Background::BuildingLeader,
                    (true, _) => Background::CommunityNotable,
                    (false, r) if r < 0.4 => Background::VillagerGroupLeader,
                    (false, r) if r < 0.65 => Background::PartyGroupLeader,
                    (false, _) => Background::CommunityNotable,
                };
                self.push_member(&code, MemberRole::Member, Some(background));
            }
        }

        for &(code, _, _) in &UNITS {
            self.push_member(code, MemberRole::WorkstationHead, None);
            for _ in 0..self.rng.int(2, 3) {
                self.push_member(code, MemberRole::WorkstationStaff, None);
            }
        }
        for _ in 0..4 {
            self.push_member(TOWN_CODE, MemberRole::TownOperator, None);
        }
    }

    // -------------------------------------------------------------- objects

    /// The micro-grid containing `p` at least [`LOCATE_MARGIN_M`] from its
    /// edges, if any.
    fn locate(&self, p: Coord) -> Option<usize> {
        self.cells
            .iter()
            .position(|c| c.rect.contains_with_margin(p, LOCATE_MARGIN_M))
    }

    /// Draws points from `sample` until one lies well inside a micro-grid.
    fn place(&mut self, mut sample: impl FnMut(&mut Rng) -> Coord) -> (Coord, usize) {
        for _ in 0..10_000 {
            let p = sample(&mut self.rng);
            let p = (round7(p.0), round7(p.1));
            if let Some(cell) = self.locate(p) {
                return (p, cell);
            }
        }
        panic!("no point could be placed inside a micro-grid");
    }

    /// Places a point as near `target` as possible: the target itself if it
    /// is well inside a micro-grid, otherwise a nearby point.
    fn place_near(&mut self, target: Coord) -> (Coord, usize) {
        let mut tries = 0u32;
        self.place(move |rng| {
            tries += 1;
            if tries == 1 {
                target
            } else {
                let r = 5.0 * f64::from(tries.min(40));
                offset(target, rng.range(-r, r), rng.range(-r, r))
            }
        })
    }

    /// A random point at least [`SAMPLE_MARGIN_M`] inside micro-grid `cell`.
    fn point_in_cell(&mut self, cell: usize) -> Coord {
        self.cells[cell].rect.sample(&mut self.rng, SAMPLE_MARGIN_M)
    }

    fn random_cell_of(&mut self, unit: usize) -> usize {
        let cells: Vec<usize> = (0..self.cells.len())
            .filter(|&i| self.cells[i].unit == unit)
            .collect();
        self.rng.pick(&cells)
    }

    fn random_village_cell(&mut self) -> usize {
        loop {
            let i = self.rng.below(self.cells.len());
            if !unit_is_residential(self.cells[i].unit) {
                return i;
            }
        }
    }

    /// The next number for an object of `kind` named after `unit`.
    fn next_number(&mut self, unit: usize, kind: ObjectKind) -> u32 {
        let n = self.counters.entry((unit, kind)).or_insert(0);
        *n += 1;
        *n
    }

    /// Draws names from `make` until one is not yet used by another object.
    fn unique_name(&mut self, mut make: impl FnMut(&mut Rng) -> String) -> String {
        loop {
            let name = make(&mut self.rng);
            if self.object_names.insert(name.clone()) {
                return name;
            }
        }
    }

    fn push_object(&mut self, object: ObjectSpec) {
        let name = object.name;
        self.object_names.insert(name.clone());
        let count = *self
            .kind_counts
            .entry(object.kind)
            .and_modify(|n| *n += 1)
            .or_insert(1);
        let code = match object.kind {
            ObjectKind::Shop => format!("SHOP-{count:04}"),
            ObjectKind::School => format!("SCH-{count:03}"),
            ObjectKind::Enterprise => format!("ENT-{count:04}"),
            ObjectKind::Cooperative => format!("COOP-{count:03}"),
            ObjectKind::River => format!("RIV-{count:03}"),
            ObjectKind::ForestParcel => format!("FOR-{count:03}"),
            ObjectKind::Road => format!("ROAD-{count:03}"),
            ObjectKind::Farmland => format!("FARM-{count:03}"),
            ObjectKind::GarbagePoint => format!("GP-{count:03}"),
            ObjectKind::KeyPoint => format!("KP-{count:03}"),
        };
        let (head_name, head_phone) = if object.with_head {
            let person = self.people.person(&mut self.rng);
            (Some(person.name), Some(self.people.phone(&mut self.rng)))
        } else {
            (None, None)
        };
        self.objects.push(CoveredObject {
            code,
            name,
            kind: object.kind,
            geometry: object.geometry,
            micro_grid_code: self.cells[object.cell].code.clone(),
            high_risk: object.high_risk,
            head_name,
            head_phone,
            area_ha: object.area_ha,
        });
    }

    fn build_objects(&mut self) {
        self.build_shops();
        self.build_schools();
        self.build_enterprises();
        self.build_cooperatives();
        self.build_rivers();
        self.build_parcels();
        self.build_roads();
        self.build_garbage_points();
        self.build_key_points();
    }

    /// The town's main street: an east–west street through the centre.
    fn main_street(&self) -> (Coord, Coord) {
        let centre = self.unit_rects[RESIDENTIAL].center();
        (offset(centre, -900.0, 0.0), offset(centre, 900.0, 0.0))
    }

    /// Shantang old street: an east–west street in 山塘村 near the southern
    /// (provincial) border.
    fn old_street(&self) -> (Coord, Coord) {
        let rect = self.unit_rects[SHANTANG];
        let mid = (rect.center().0, rect.south + 260.0 / M_PER_DEG_LAT);
        (offset(mid, -320.0, 0.0), offset(mid, 320.0, 0.0))
    }

    fn shop_name(&mut self) -> String {
        self.unique_name(|rng| {
            let kind = rng.pick(SHOP_TYPES);
            match rng.below(3) {
                0 => format!("{}记{kind}", rng.pick(SURNAMES)),
                1 => {
                    let chars = if rng.chance(0.5) {
                        MALE_CHARS
                    } else {
                        FEMALE_CHARS
                    };
                    format!("阿{}{kind}", rng.pick(chars))
                }
                _ => format!("{}{kind}", rng.pick(SHOP_PLACES)),
            }
        })
    }

    fn build_shops(&mut self) {
        let streets = [
            (self.main_street(), SHOPS_MAIN_STREET),
            (self.old_street(), SHOPS_OLD_STREET),
        ];
        for ((from, to), count) in streets {
            for _ in 0..count {
                let (p, cell) = self.place(|rng| {
                    let t = rng.unit();
                    let along = (from.0 + t * (to.0 - from.0), from.1 + t * (to.1 - from.1));
                    let side = if rng.chance(0.5) { 1.0 } else { -1.0 };
                    offset(along, 0.0, side * rng.range(12.0, 40.0))
                });
                let name = self.shop_name();
                self.push_object(ObjectSpec::point(ObjectKind::Shop, name, p, cell));
            }
        }
    }

    fn build_schools(&mut self) {
        let centre = self.unit_rects[RESIDENTIAL].center();
        for (name, east, north) in [("廊下中学", -350.0, 260.0), ("廊下小学", 300.0, -240.0)]
        {
            let (p, cell) = self.place_near(offset(centre, east, north));
            self.push_object(ObjectSpec::point(
                ObjectKind::School,
                name.to_owned(),
                p,
                cell,
            ));
        }
    }

    fn build_enterprises(&mut self) {
        let mut order: Vec<usize> = (0..ENTERPRISES).collect();
        self.rng.shuffle(&mut order);
        let mut high_risk = vec![false; ENTERPRISES];
        for &i in &order[..HIGH_RISK_ENTERPRISES] {
            high_risk[i] = true;
        }
        for risky in high_risk {
            let industries = if risky {
                HIGH_RISK_INDUSTRIES
            } else {
                INDUSTRIES
            };
            let name = self.unique_name(|rng| {
                format!(
                    "上海{}{}{}有限公司",
                    rng.pick(TRADE_CHARS),
                    rng.pick(TRADE_CHARS),
                    rng.pick(industries)
                )
            });
            let cell = self.random_village_cell();
            let p = self.point_in_cell(cell);
            let mut spec = ObjectSpec::point(ObjectKind::Enterprise, name, p, cell);
            spec.high_risk = risky;
            spec.with_head = true;
            self.push_object(spec);
        }
    }

    fn build_cooperatives(&mut self) {
        let villages: Vec<usize> = (0..UNITS.len())
            .filter(|&u| !unit_is_residential(u))
            .collect();
        let per_village = self.rng.partition(COOPERATIVES, villages.len(), 1, 2);
        for (&unit, &count) in villages.iter().zip(&per_village) {
            for _ in 0..count {
                let name = self.unique_name(|rng| {
                    format!("上海{}{}专业合作社", stem(unit), rng.pick(PRODUCTS))
                });
                let cell = self.random_cell_of(unit);
                let p = self.point_in_cell(cell);
                let mut spec = ObjectSpec::point(ObjectKind::Cooperative, name, p, cell);
                spec.with_head = true;
                self.push_object(spec);
            }
        }
    }

    /// A polyline of up to `vertices` vertices starting at `start` (or
    /// anywhere in the town), each step `step_m` metres long and heading
    /// within `max_turn` of `heading`. Every step makes progress along
    /// `heading`, so the line never crosses itself; it stops early rather
    /// than leave the town, and has at least two vertices.
    fn line(
        &mut self,
        start: Option<usize>,
        vertices: usize,
        step_m: (f64, f64),
        mut heading: f64,
        max_turn: f64,
    ) -> (Vec<Coord>, usize) {
        debug_assert!(max_turn < FRAC_PI_2);
        let inner = TOWN_RECT.shrink(LINE_MARGIN_M);
        let inside = |p: Coord| {
            p.0 > inner.west && p.0 < inner.east && p.1 > inner.south && p.1 < inner.north
        };
        loop {
            let (first, cell) = match start {
                Some(cell) => (self.point_in_cell(cell), cell),
                None => self.place(|rng| TOWN_RECT.sample(rng, 2.0 * LINE_MARGIN_M)),
            };
            let mut points = vec![first];
            while points.len() < vertices {
                let theta = heading + self.rng.range(-max_turn, max_turn);
                let length = self.rng.range(step_m.0, step_m.1);
                let last = points[points.len() - 1];
                let next = offset(last, length * theta.cos(), length * theta.sin());
                let next = (round7(next.0), round7(next.1));
                if !inside(next) {
                    break;
                }
                points.push(next);
            }
            if points.len() >= 2 {
                return (points, cell);
            }
            // Headed straight out of the town: turn round and try again.
            heading += PI;
        }
    }

    fn build_rivers(&mut self) {
        for i in 0..RIVERS {
            let name = self.unique_name(|rng| {
                let mut name = String::from(rng.pick(RIVER_STEMS));
                if rng.chance(0.5) {
                    name.push_str(rng.pick(RIVER_STEMS));
                }
                name.push_str(rng.pick(RIVER_SUFFIXES));
                name
            });
            // A few long main rivers, then the network of creeks.
            let step = if i < 10 {
                (700.0, 1400.0)
            } else {
                (150.0, 600.0)
            };
            let vertices = self.rng.int(2, 6) as usize;
            let heading = self.rng.range(0.0, 2.0 * PI);
            let (line, cell) = self.line(None, vertices, step, heading, 0.9);
            self.push_object(ObjectSpec {
                geometry: Geometry::Line(line),
                ..ObjectSpec::new(ObjectKind::River, name, cell)
            });
        }
    }

    fn build_roads(&mut self) {
        for i in 0..ROADS {
            let axis = FRAC_PI_2 * self.rng.below(4) as f64;
            let (line, cell) = if i < HIGHWAYS {
                let heading = axis + self.rng.range(-0.1, 0.1);
                let vertices = self.rng.int(3, 6) as usize;
                self.line(None, vertices, (800.0, 1600.0), heading, 0.15)
            } else if i < HIGHWAYS + TOWN_ROADS {
                let heading = axis + self.rng.range(-0.2, 0.2);
                let vertices = self.rng.int(2, 5) as usize;
                self.line(None, vertices, (300.0, 900.0), heading, 0.3)
            } else {
                let heading = self.rng.range(0.0, 2.0 * PI);
                let vertices = self.rng.int(2, 4) as usize;
                let cell = self.rng.below(self.cells.len());
                self.line(Some(cell), vertices, (100.0, 450.0), heading, 0.6)
            };
            let name = if i < HIGHWAYS + TOWN_ROADS {
                let suffix = if i < HIGHWAYS { "公路" } else { "路" };
                self.unique_name(|rng| {
                    format!("{}{}{suffix}", rng.pick(TRADE_CHARS), rng.pick(RIVER_STEMS))
                })
            } else {
                let unit = self.cells[cell].unit;
                let n = self.next_number(unit, ObjectKind::Road);
                if unit_is_residential(unit) {
                    format!("{}{n}号弄", UNITS[unit].1)
                } else {
                    format!("{}{n}号村道", UNITS[unit].1)
                }
            };
            self.push_object(ObjectSpec {
                geometry: Geometry::Line(line),
                ..ObjectSpec::new(ObjectKind::Road, name, cell)
            });
        }
    }

    /// Forest and farmland parcels. Every village micro-grid offers two
    /// slots (its halves); each parcel takes its own slot, so parcels never
    /// overlap, and is drawn as a rectangle inside it — as large as its
    /// registered area where the slot allows.
    fn build_parcels(&mut self) {
        let mut slots = Vec::new();
        for (i, cell) in self.cells.iter().enumerate() {
            if unit_is_residential(cell.unit) {
                continue;
            }
            let r = cell.rect;
            let (a, b) = if r.width_m() >= r.height_m() {
                let mid = round7((r.west + r.east) / 2.0);
                (Rect { east: mid, ..r }, Rect { west: mid, ..r })
            } else {
                let mid = round7((r.south + r.north) / 2.0);
                (Rect { north: mid, ..r }, Rect { south: mid, ..r })
            };
            slots.push((i, a));
            slots.push((i, b));
        }
        self.rng.shuffle(&mut slots);
        let mut slots = slots.into_iter();

        let forest = self
            .rng
            .apportion(FOREST_HA_HUNDREDTHS, FOREST_PARCELS, 0.4, 1.6);
        for hundredths in forest {
            let (cell, slot) = slots.next().expect("enough slots");
            let area_ha = hundredths as f64 / 100.0;
            let unit = self.cells[cell].unit;
            let kind = self.rng.pick(FOREST_TYPES);
            let n = self.next_number(unit, ObjectKind::ForestParcel);
            let name = format!("{}{kind}{n}号地块", UNITS[unit].1);
            let rect = self.parcel(slot, area_ha);
            self.push_object(ObjectSpec {
                geometry: Geometry::Polygon(rect.ring()),
                area_ha: Some(area_ha),
                ..ObjectSpec::new(ObjectKind::ForestParcel, name, cell)
            });
        }

        let farmland = self
            .rng
            .apportion(FARMLAND_MU_TENTHS, FARMLAND_PARCELS, 0.5, 1.5);
        for tenths in farmland {
            let (cell, slot) = slots.next().expect("enough slots");
            let area_ha = tenths as f64 / 150.0;
            let unit = self.cells[cell].unit;
            let n = self.next_number(unit, ObjectKind::Farmland);
            let name = format!("{}基本农田{n}号地块", UNITS[unit].1);
            let rect = self.parcel(slot, area_ha);
            self.push_object(ObjectSpec {
                geometry: Geometry::Polygon(rect.ring()),
                area_ha: Some(area_ha),
                ..ObjectSpec::new(ObjectKind::Farmland, name, cell)
            });
        }
    }

    /// A rectangle of about `area_ha` inside `slot` (smaller if it would not
    /// fit), kept [`SAMPLE_MARGIN_M`] and more from the slot's edges.
    fn parcel(&mut self, slot: Rect, area_ha: f64) -> Rect {
        let inner = slot.shrink(1.5 * SAMPLE_MARGIN_M);
        let aspect = self.rng.range(0.6, 1.6);
        let area_m2 = area_ha * 10_000.0;
        let width_m = (area_m2 * aspect).sqrt().min(0.9 * inner.width_m());
        let height_m = (area_m2 / aspect).sqrt().min(0.9 * inner.height_m());
        let width = width_m / M_PER_DEG_LON;
        let height = height_m / M_PER_DEG_LAT;
        let west = round7(self.rng.range(inner.west, inner.east - width));
        let south = round7(self.rng.range(inner.south, inner.north - height));
        Rect {
            west,
            south,
            east: round7(west + width),
            north: round7(south + height),
        }
    }

    fn build_garbage_points(&mut self) {
        for _ in 0..GARBAGE_POINTS {
            let cell = self.rng.below(self.cells.len());
            let p = self.point_in_cell(cell);
            let unit = self.cells[cell].unit;
            let n = self.next_number(unit, ObjectKind::GarbagePoint);
            let name = format!("{}生活垃圾收集点{n}号", UNITS[unit].1);
            self.push_object(ObjectSpec::point(ObjectKind::GarbagePoint, name, p, cell));
        }
    }

    /// The points of the town's overview map (一张总览图).
    fn build_key_points(&mut self) {
        let centre = self.unit_rects[RESIDENTIAL].center();
        let (main_from, main_to) = self.main_street();
        let (old_from, old_to) = self.old_street();
        let old_mid = ((old_from.0 + old_to.0) / 2.0, (old_from.1 + old_to.1) / 2.0);
        let main_mid = (
            (main_from.0 + main_to.0) / 2.0,
            (main_from.1 + main_to.1) / 2.0,
        );
        let at = |unit: usize| self.unit_rects[unit].center();
        let points = [
            ("廊下镇城运中心", offset(centre, 120.0, 80.0)),
            ("廊下镇主街", main_mid),
            ("廊下派出所", offset(centre, -200.0, -150.0)),
            ("山塘老街", old_mid),
            ("山塘桥", offset(old_to, 60.0, -40.0)),
            ("毗邻矛盾纠纷工作站", offset(old_from, -40.0, 60.0)),
            ("高空火情热成像探头", offset(at(7), 150.0, 200.0)),
            ("廊下郊野公园", at(1)),
            ("中丰大桥", offset(at(1), -400.0, 350.0)),
            ("南陆桥", at(6)),
            ("景阳泵闸", offset(at(7), -500.0, -300.0)),
            ("廊下镇防汛物资仓库", at(0)),
        ];
        for (name, target) in points {
            let (p, cell) = self.place_near(target);
            self.push_object(ObjectSpec::point(
                ObjectKind::KeyPoint,
                name.to_owned(),
                p,
                cell,
            ));
        }
    }

    // ----------------------------------------------------------- care people

    fn build_care_people(&mut self) -> Vec<CarePerson> {
        let mut categories: Vec<CareCategory> = CARE_COUNTS
            .iter()
            .flat_map(|&(c, n)| std::iter::repeat_n(c, n))
            .collect();
        self.rng.shuffle(&mut categories);
        let mut out = Vec::with_capacity(categories.len());
        for (i, category) in categories.into_iter().enumerate() {
            let cell = self.rng.below(self.cells.len());
            let person = self.people.person(&mut self.rng);
            let years = if category == CareCategory::KeyYouth {
                2000..=2010
            } else {
                1950..=1998
            };
            let id_number = self.people.id_number(&mut self.rng, years, person.male);
            let phone = if self.rng.chance(0.85) {
                Some(self.people.phone(&mut self.rng))
            } else {
                None
            };
            out.push(CarePerson {
                code: format!("CARE-{:03}", i + 1),
                micro_grid_code: self.cells[cell].code.clone(),
                category,
                name: person.name,
                id_number,
                phone,
            });
        }
        out
    }

    // ------------------------------------------------------ responsibilities

    fn build_responsibilities(&mut self) -> (Vec<SafetyDomain>, Vec<Department>, Vec<DomainDuty>) {
        let domains = DOMAINS
            .iter()
            .map(|&(code, name)| SafetyDomain {
                code: code.to_owned(),
                name: name.to_owned(),
            })
            .collect();
        let departments = DEPARTMENTS
            .iter()
            .map(|&(code, name, kind, regulates, domains)| Department {
                code: code.to_owned(),
                name: name.to_owned(),
                kind,
                regulates: regulates.to_vec(),
                domains: domains.iter().map(|&d| d.to_owned()).collect(),
            })
            .collect();
        let leaders: Vec<(String, String)> = LEADER_TITLES
            .iter()
            .map(|_| {
                let name = self.people.person(&mut self.rng).name;
                (name, self.people.phone(&mut self.rng))
            })
            .collect();
        let duties = DOMAINS
            .iter()
            .zip(DUTY_LEADER)
            .map(|(&(code, _), leader)| DomainDuty {
                domain_code: code.to_owned(),
                leader_name: leaders[leader].0.clone(),
                leader_title: LEADER_TITLES[leader].to_owned(),
                phone: leaders[leader].1.clone(),
            })
            .collect();
        (domains, departments, duties)
    }
}

/// What the object builders hand to [`Builder::push_object`].
struct ObjectSpec {
    kind: ObjectKind,
    name: String,
    geometry: Geometry,
    cell: usize,
    high_risk: bool,
    with_head: bool,
    area_ha: Option<f64>,
}

impl ObjectSpec {
    fn new(kind: ObjectKind, name: String, cell: usize) -> Self {
        Self {
            kind,
            name,
            geometry: Geometry::Point((0.0, 0.0)),
            cell,
            high_risk: false,
            with_head: false,
            area_ha: None,
        }
    }

    fn point(kind: ObjectKind, name: String, p: Coord, cell: usize) -> Self {
        Self {
            geometry: Geometry::Point(p),
            ..Self::new(kind, name, cell)
        }
    }
}
