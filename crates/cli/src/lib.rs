//! The `weigrid` command-line client, as a library: connecting to the
//! services with a token, loading the Langxia data set through the public
//! API, and rendering answers for people and scripts.

pub mod connect;
pub mod load;
pub mod points;
pub mod render;
pub mod ticket;
