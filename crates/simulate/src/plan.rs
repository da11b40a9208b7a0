//! The year's traffic: when tickets arrive, where, of which kind, and how
//! long the people handling them take.

use chrono::{DateTime, TimeDelta, Utc};
use proto::dispatch::v1 as pb;

/// A small deterministic generator (splitmix64).
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[(self.next_u64() % items.len() as u64) as usize]
    }

    /// Minutes uniformly between `low` and `high`.
    pub fn minutes(&mut self, low: f64, high: f64) -> TimeDelta {
        TimeDelta::seconds(((low + (high - low) * self.unit()) * 60.0) as i64)
    }
}

/// What to do next with a ticket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Step {
    Arrive,
    Next,
}

/// A ticket to take in.
pub struct Arrival {
    pub at: DateTime<Utc>,
    pub channel: pb::Channel,
    pub request: pb::CreateTicketRequest,
}

const HOTLINE: &[(&str, &str)] = &[
    ("SANITATION", "环境卫生问题"),
    ("ROAD_DAMAGE", "道路破损"),
    ("DRAINAGE", "排水不畅"),
    ("NEIGHBOUR_DISPUTE", "邻里纠纷"),
    ("MARKET_ORDER", "市场秩序"),
    ("ILLEGAL_DUMPING", "偷倒垃圾"),
    ("RIVER_POLLUTION", "河道污染"),
    ("OTHER", "其他诉求"),
];
const INCIDENT_110: &[(&str, &str)] = &[
    ("NEIGHBOUR_DISPUTE", "邻里纠纷"),
    ("LOST_ITEM", "物品遗失"),
    ("VEHICLE_SCRAPE", "车辆碰擦"),
];
const PATROL: &[(&str, &str)] = &[
    ("FIRE_HAZARD", "消防隐患"),
    ("PRODUCTION_HAZARD", "安全生产隐患"),
    ("DRAINAGE", "排水隐患"),
    ("SANITATION", "环境隐患"),
];
const VILLAGER: &[(&str, &str)] = &[
    ("SANITATION", "垃圾未清运"),
    ("ILLEGAL_DUMPING", "偷倒垃圾"),
    ("ROAD_DAMAGE", "路面坑洼"),
    ("STRAW_BURNING", "焚烧秸秆"),
];

/// Returns the year's arrivals, in time order: the source's volumes times
/// `scale`, at daytime-weighted moments, at points inside micro-grids.
pub fn arrivals(
    rng: &mut Rng,
    town: &langxia::Town,
    scale: f64,
    villager_reports: u32,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Vec<Arrival> {
    let micro: Vec<&langxia::Grid> = town
        .grids
        .iter()
        .filter(|g| g.level == langxia::Level::Micro)
        .collect();
    let span = (to - from).num_seconds() as f64;
    let count = |n: u32| (f64::from(n) * scale).round() as u32;
    let mut out = Vec::new();
    let kinds = [
        (pb::Channel::Hotline12345, count(622), HOTLINE),
        (pb::Channel::NonPolice110, count(44), INCIDENT_110),
        (pb::Channel::GridPatrol, count(103), PATROL),
        (pb::Channel::VillagerApp, count(villager_reports), VILLAGER),
    ];
    let mut serial = 0;
    for (channel, n, categories) in kinds {
        for _ in 0..n {
            serial += 1;
            // Daytime-weighted: most reports come between 07:00 and 21:00 Shanghai time.
            let mut at = from + TimeDelta::seconds((rng.unit() * span) as i64);
            let hour = (at.timestamp() / 3600 + 8).rem_euclid(24);
            if !(7..21).contains(&hour) && rng.chance(0.7) {
                at += TimeDelta::hours(12);
                if at >= to {
                    at -= TimeDelta::hours(24);
                }
            }
            let grid = rng.pick(&micro);
            let (x0, x1) = grid
                .boundary
                .iter()
                .fold((f64::MAX, f64::MIN), |(a, b), p| (a.min(p.0), b.max(p.0)));
            let (y0, y1) = grid
                .boundary
                .iter()
                .fold((f64::MAX, f64::MIN), |(a, b), p| (a.min(p.1), b.max(p.1)));
            let (lng, lat) = (
                x0 + (x1 - x0) * (0.1 + 0.8 * rng.unit()),
                y0 + (y1 - y0) * (0.1 + 0.8 * rng.unit()),
            );
            let (category, title) = *rng.pick(categories);
            let reference = match channel {
                pb::Channel::Hotline12345 => format!("12345-{serial:06}"),
                pb::Channel::NonPolice110 => format!("110-{serial:06}"),
                _ => String::new(),
            };
            out.push(Arrival {
                at,
                channel,
                request: pb::CreateTicketRequest {
                    idempotency_key: if reference.is_empty() {
                        format!("year-{serial}")
                    } else {
                        String::new()
                    },
                    channel: channel.into(),
                    external_ref: reference,
                    category_code: category.into(),
                    title: title.into(),
                    description: format!("{} · {}", grid.name, title),
                    location: Some(pb::LatLng { lat, lng }),
                    difficult: channel == pb::Channel::VillagerApp && rng.chance(0.1),
                    reporter_phone: format!("139{:08}", serial),
                    priority: pb::Priority::Normal.into(),
                },
            });
        }
    }
    out.sort_by_key(|a| a.at);
    out
}

/// How long the people handling a channel's tickets take.
pub struct Delays {
    desk: (f64, f64),
    accept: (f64, f64),
    resolve: (f64, f64),
    /// Share of tickets that overrun.
    late: f64,
    late_resolve: (f64, f64),
    /// After a warning or an escalation.
    prompt: (f64, f64),
}

impl Delays {
    /// Returns the delays of a channel, in minutes.
    pub fn of(channel: pb::Channel) -> Self {
        match channel {
            // 2 h from dispatch.
            pb::Channel::NonPolice110 => Self {
                desk: (5.0, 30.0),
                accept: (5.0, 20.0),
                resolve: (10.0, 80.0),
                late: 0.03,
                late_resolve: (120.0, 240.0),
                prompt: (5.0, 20.0),
            },
            // 24 h from dispatch.
            pb::Channel::Hotline12345 => Self {
                desk: (30.0, 240.0),
                accept: (30.0, 360.0),
                resolve: (120.0, 1200.0),
                late: 0.05,
                late_resolve: (1500.0, 2880.0),
                prompt: (30.0, 180.0),
            },
            // Working days on the category's limit.
            _ => Self {
                desk: (30.0, 240.0),
                accept: (30.0, 480.0),
                resolve: (240.0, 1440.0),
                late: 0.04,
                late_resolve: (5760.0, 8640.0),
                prompt: (60.0, 480.0),
            },
        }
    }

    pub fn desk(&self, rng: &mut Rng) -> TimeDelta {
        rng.minutes(self.desk.0, self.desk.1)
    }

    pub fn accept(&self, rng: &mut Rng) -> TimeDelta {
        rng.minutes(self.accept.0, self.accept.1)
    }

    pub fn resolve(&self, rng: &mut Rng) -> TimeDelta {
        if rng.chance(self.late) {
            rng.minutes(self.late_resolve.0, self.late_resolve.1)
        } else {
            rng.minutes(self.resolve.0, self.resolve.1)
        }
    }

    /// How soon a handler acts once supervision tells them of the ticket
    /// (a warning, or an escalation that handed it to them).
    pub fn prompt(&self, rng: &mut Rng) -> TimeDelta {
        rng.minutes(self.prompt.0, self.prompt.1)
    }

    pub fn verify(&self, rng: &mut Rng) -> TimeDelta {
        rng.minutes(30.0, 1440.0)
    }

    pub fn follow_up(&self, rng: &mut Rng) -> TimeDelta {
        rng.minutes(60.0, 2880.0)
    }

    pub fn close(&self, rng: &mut Rng) -> TimeDelta {
        rng.minutes(5.0, 120.0)
    }
}

/// A reporter's rating: mostly content; a second round is rated well.
pub fn satisfaction(rng: &mut Rng, reopened_before: usize) -> u32 {
    if reopened_before > 0 {
        return if rng.chance(0.7) { 5 } else { 4 };
    }
    match rng.unit() {
        u if u < 0.62 => 5,
        u if u < 0.90 => 4,
        u if u < 0.96 => 3,
        _ => 2,
    }
}
