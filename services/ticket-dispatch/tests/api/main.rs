//! The dispatch API tests: each runs dispatch over its own database and NATS
//! prefix, beside a real grid registry on a database of its own.

mod calendar;
mod desk;
mod duplicates;
mod events;
mod grid_map;
mod intake;
mod legs;
mod lifecycle;
mod outage;
mod policy;
mod priority;
mod referrals;
mod rejections;
mod returns;
mod routing;
mod stats;
mod stored;
mod tasks;
mod timers;
