//! Rate limits (GCRA, the `governor` crate): per client address on every
//! request, per signed-in resident on the mini-program API, and a tighter
//! one per resident on what stores photos or files reports. Keys seen
//! lately are kept in memory; a sweeper forgets the idle ones every minute,
//! so memory stays bounded by the active clients. Each replica counts on
//! its own: with N replicas a client gets up to N times the quota, which
//! the quotas allow for.
//!
//! The address is the TCP peer's. Behind an ingress that is the ingress:
//! the per-address limit then bounds the whole ingress, and the per-resident
//! limits are what separates villagers.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use governor::clock::{Clock as _, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use tokio_util::sync::CancellationToken;

use crate::config::LimitsConfig;
use crate::error::ApiError;

/// The limiters of one edge instance.
#[derive(Clone)]
pub struct Limits {
    address: Arc<DefaultKeyedRateLimiter<IpAddr>>,
    resident: Arc<DefaultKeyedRateLimiter<String>>,
    uploads: Arc<DefaultKeyedRateLimiter<String>>,
}

fn per_minute(n: u32) -> Quota {
    Quota::per_minute(NonZeroU32::new(n.max(1)).expect("at least 1"))
}

fn refused<K>(limiter: &DefaultKeyedRateLimiter<K>, key: &K, what: &str) -> Result<(), ApiError>
where
    K: std::hash::Hash + Eq + Clone,
{
    limiter.check_key(key).map_err(|not_until| {
        let wait = not_until.wait_time_from(DefaultClock::default().now());
        ApiError::rate_limited(what, wait.as_secs_f64().ceil() as u64)
    })
}

impl Limits {
    /// Returns the limiters `config` sets.
    pub fn new(config: &LimitsConfig) -> Self {
        Self {
            address: Arc::new(RateLimiter::keyed(per_minute(
                config.per_address_per_minute,
            ))),
            resident: Arc::new(RateLimiter::keyed(per_minute(
                config.per_resident_per_minute,
            ))),
            uploads: Arc::new(RateLimiter::keyed(per_minute(
                config.uploads_per_resident_per_minute,
            ))),
        }
    }

    /// Counts a request from `address`.
    ///
    /// # Errors
    /// 429 with the seconds to wait.
    pub fn address(&self, address: IpAddr) -> Result<(), ApiError> {
        refused(&self.address, &address, "from this address")
    }

    /// Counts a request of the resident `id`.
    ///
    /// # Errors
    /// 429 with the seconds to wait.
    pub fn resident(&self, id: &str) -> Result<(), ApiError> {
        refused(&self.resident, &id.to_owned(), "from this resident")
    }

    /// Counts a photo upload or report of the resident `id`.
    ///
    /// # Errors
    /// 429 with the seconds to wait.
    pub fn upload(&self, id: &str) -> Result<(), ApiError> {
        refused(&self.uploads, &id.to_owned(), "uploads from this resident")
    }

    /// Forgets idle keys every minute until `cancel` fires.
    pub async fn sweep(self, cancel: CancellationToken) {
        let mut every = tokio::time::interval(Duration::from_secs(60));
        loop {
            tokio::select! {
                () = cancel.cancelled() => return,
                _ = every.tick() => {
                    self.address.retain_recent();
                    self.resident.retain_recent();
                    self.uploads.retain_recent();
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_resident_over_the_quota_is_told_when_to_come_back() {
        let limits = Limits::new(&LimitsConfig {
            per_resident_per_minute: 2,
            per_address_per_minute: 100,
            uploads_per_resident_per_minute: 1,
        });
        assert!(limits.resident("a").is_ok());
        assert!(limits.resident("a").is_ok());
        let refused = limits.resident("a").unwrap_err();
        assert_eq!(refused.status, http::StatusCode::TOO_MANY_REQUESTS);
        assert!(refused.retry_after.unwrap() >= 1);
        assert!(
            limits.resident("b").is_ok(),
            "another resident has their own"
        );
        assert!(limits.upload("a").is_ok());
        assert!(limits.upload("a").is_err());
    }
}
