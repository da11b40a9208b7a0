//! Admission of analytic events: the configured ingest capacity as token
//! buckets (GCRA, the `governor` crate), one per sender (the caller's
//! subject: an edge box or an NVR) and one for the whole service, in events
//! per second with a second's worth of burst. A batch takes as many tokens
//! as it has events, from both, or is refused whole with the time after
//! which it fits: a flood of camera events is held at the capacity, so the
//! service, NATS and PostgreSQL keep room for the rest of the town (12345
//! intake above all), and nothing refused was acknowledged. Each replica
//! counts on its own.

use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use governor::clock::{Clock as _, DefaultClock};
use governor::{DefaultDirectRateLimiter, DefaultKeyedRateLimiter, Quota, RateLimiter};

/// The ingest capacity: events per second overall and per sender.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Capacity {
    pub overall_per_second: u32,
    pub per_sender_per_second: u32,
}

/// Why a batch was not admitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The sender is past its own share.
    Sender { retry_after: Duration },
    /// The service is at its capacity.
    Overall { retry_after: Duration },
}

impl Refusal {
    /// How long the sender should wait before sending the batch again.
    pub fn retry_after(self) -> Duration {
        match self {
            Refusal::Sender { retry_after } | Refusal::Overall { retry_after } => retry_after,
        }
    }

    /// Whose bound refused the batch, as the refusal says it.
    pub fn bound(self) -> &'static str {
        match self {
            Refusal::Sender { .. } => "this sender's share of the ingest capacity",
            Refusal::Overall { .. } => "the ingest capacity",
        }
    }
}

/// The token buckets, shared by every stream.
#[derive(Clone)]
pub struct Admission {
    overall: Arc<DefaultDirectRateLimiter>,
    per_sender: Arc<DefaultKeyedRateLimiter<String>>,
}

impl std::fmt::Debug for Admission {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Admission").finish_non_exhaustive()
    }
}

fn per_second(n: u32) -> Quota {
    Quota::per_second(NonZeroU32::new(n.max(1)).unwrap_or(NonZeroU32::MIN))
}

/// The shortest wait a refusal names (a GCRA wait can round to nothing).
const MIN_RETRY: Duration = Duration::from_millis(10);

impl Admission {
    /// Returns buckets of `capacity`, full.
    pub fn new(capacity: Capacity) -> Self {
        Self {
            overall: Arc::new(RateLimiter::direct(per_second(capacity.overall_per_second))),
            per_sender: Arc::new(RateLimiter::keyed(per_second(
                capacity.per_sender_per_second,
            ))),
        }
    }

    /// Takes `events` tokens for `sender` from its bucket, then from the
    /// overall one. The sender's bucket is spent even when the overall one
    /// then refuses: a sender retrying into a full service slows itself.
    ///
    /// # Errors
    /// The refusal with the time to wait (a batch larger than a bucket
    /// waits a whole second: configuration keeps batches smaller).
    pub fn admit(&self, sender: &str, events: u32) -> Result<(), Refusal> {
        let n = NonZeroU32::new(events).unwrap_or(NonZeroU32::MIN);
        let clock = DefaultClock::default();
        let wait = |outcome: Result<Result<(), governor::NotUntil<_>>, _>| match outcome {
            Ok(Ok(())) => None,
            Ok(Err(not_until)) => Some(not_until.wait_time_from(clock.now()).max(MIN_RETRY)),
            Err(_) => Some(Duration::from_secs(1)),
        };
        if let Some(retry_after) = wait(self.per_sender.check_key_n(&sender.to_owned(), n)) {
            return Err(Refusal::Sender { retry_after });
        }
        if let Some(retry_after) = wait(self.overall.check_n(n)) {
            return Err(Refusal::Overall { retry_after });
        }
        Ok(())
    }

    /// Forgets senders idle long enough for their bucket to be full again.
    pub fn forget_idle(&self) {
        self.per_sender.retain_recent();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sender_past_its_share_waits_and_others_still_get_in() {
        let admission = Admission::new(Capacity {
            overall_per_second: 1000,
            per_sender_per_second: 100,
        });
        assert_eq!(admission.admit("box-1", 60), Ok(()));
        assert_eq!(admission.admit("box-1", 40), Ok(()));
        let refused = admission.admit("box-1", 50).unwrap_err();
        assert!(matches!(refused, Refusal::Sender { .. }), "{refused:?}");
        // 50 tokens at 100 a second come back in about half a second.
        assert!(
            (Duration::from_millis(400)..=Duration::from_millis(600))
                .contains(&refused.retry_after()),
            "{refused:?}"
        );
        assert_eq!(admission.admit("box-2", 100), Ok(()));
    }

    #[test]
    fn the_service_at_its_capacity_refuses_every_sender() {
        let admission = Admission::new(Capacity {
            overall_per_second: 150,
            per_sender_per_second: 100,
        });
        assert_eq!(admission.admit("box-1", 100), Ok(()));
        assert_eq!(admission.admit("box-2", 50), Ok(()));
        let refused = admission.admit("box-3", 10).unwrap_err();
        assert!(matches!(refused, Refusal::Overall { .. }), "{refused:?}");
        assert!(refused.retry_after() >= MIN_RETRY);
    }

    #[test]
    fn a_batch_larger_than_a_bucket_is_refused_with_a_second_to_wait() {
        let admission = Admission::new(Capacity {
            overall_per_second: 1000,
            per_sender_per_second: 10,
        });
        let refused = admission.admit("box-1", 11).unwrap_err();
        assert_eq!(refused.retry_after(), Duration::from_secs(1));
    }
}
