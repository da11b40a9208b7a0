//! What every handler reaches: the sessions, the login exchange, the photo
//! store, the limits, the clients, the Open311 settings and the staff sign-in.

use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use crate::config::Open311Config;
use crate::limits::Limits;
use crate::neighbours::Neighbours;
use crate::photos::Photos;
use crate::session::Sessions;
use crate::staff::StaffSignIn;
use crate::wechat::WeChatLogin;

/// What every handler reaches.
pub struct Edge {
    pub sessions: Sessions,
    pub wechat: Arc<dyn WeChatLogin>,
    pub photos: Photos,
    pub limits: Limits,
    pub neighbours: Neighbours,
    pub open311: Open311Config,
    pub staff: StaffSignIn,
    /// False once SIGTERM arrived: `/readyz` then answers 503.
    pub(crate) ready: AtomicBool,
}

/// The handlers' state.
pub type Shared = Arc<Edge>;
