//! The edge (services/edge) over HTTP in front of real points, dispatch and the registry:
//! a villager's whole flow, bad input on every endpoint, photo limits,
//! Open311 in JSON and XML, the OpenAPI document; the operations console
//! in a real browser.

mod console;
mod desk;
mod footage;
mod helpers;
mod layers;
mod mini_program;
mod open311;
mod refusals;
mod sla;
