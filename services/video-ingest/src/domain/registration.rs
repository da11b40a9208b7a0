//! Registration and keepalive: nonces that expire and are accepted once,
//! registration with a granted expiry, unregistration, keepalives that move
//! the offline deadline (interval × count, bounded by the registration),
//! and the deadline passing.

use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};

use super::camera::{Device, DeviceStatus, Link};
use super::error::DomainError;

/// The configured rules of the gateway.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SipRules {
    /// The digest realm (the SIP domain).
    pub realm: String,
    pub nonce_ttl: Duration,
    pub default_expires: Duration,
    pub min_expires: Duration,
    pub max_expires: Duration,
    pub keepalive_interval: Duration,
    pub keepalive_count: u32,
    pub catalog_timeout: Duration,
}

/// Returns `d` as a chrono delta (saturating).
pub fn delta(d: Duration) -> TimeDelta {
    TimeDelta::from_std(d).unwrap_or(TimeDelta::MAX)
}

impl SipRules {
    /// Returns the expiry granted for a device asking for `asked` seconds
    /// (`None`: it asked for none).
    pub fn grant(&self, asked: Option<u64>) -> Duration {
        match asked {
            None => self.default_expires,
            Some(secs) => Duration::from_secs(secs).clamp(self.min_expires, self.max_expires),
        }
    }

    /// Returns how long a device stays online after a keepalive or a
    /// registration: interval × count.
    pub fn keepalive_window(&self) -> Duration {
        self.keepalive_interval.saturating_mul(self.keepalive_count)
    }
}

/// A challenge's nonce, kept so that it is answered once and in time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Nonce {
    pub value: String,
    pub device_id: String,
    pub issued_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub used_at: Option<DateTime<Utc>>,
}

/// Why a nonce is not accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum NonceRefusal {
    #[error("the nonce was never issued to this device")]
    Unknown,
    #[error("the nonce was answered before")]
    Used,
    #[error("the nonce expired")]
    Expired,
}

impl Nonce {
    /// Returns a nonce `value` issued to `device_id` at `now`.
    pub fn issue(value: String, device_id: &str, rules: &SipRules, now: DateTime<Utc>) -> Self {
        Self {
            value,
            device_id: device_id.to_owned(),
            issued_at: now,
            expires_at: now + delta(rules.nonce_ttl),
            used_at: None,
        }
    }

    /// Takes the nonce for an answer from `device_id` at `now`: it is used
    /// from then on, whether the answer proves right or not.
    ///
    /// # Errors
    /// Issued to another device, answered before, or expired.
    pub fn take(&mut self, device_id: &str, now: DateTime<Utc>) -> Result<(), NonceRefusal> {
        if self.device_id != device_id {
            return Err(NonceRefusal::Unknown);
        }
        if self.used_at.is_some() {
            return Err(NonceRefusal::Used);
        }
        self.used_at = Some(now);
        if now >= self.expires_at {
            return Err(NonceRefusal::Expired);
        }
        Ok(())
    }
}

/// What a registration did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registered {
    pub granted: Duration,
    /// Whether the device was not online under this Call-ID before: a new
    /// registration (its catalogue is asked for), not a renewal.
    pub fresh: bool,
    /// Whether it came back from offline or unregistered.
    pub came_online: bool,
}

/// What a keepalive did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeptAlive {
    /// It was offline (its deadline had passed) and is back.
    pub came_online: bool,
    /// It spoke from another address, now learned.
    pub moved: bool,
}

impl Device {
    /// Registers the device, authenticated, from `link` under `call_id` for
    /// `granted`: online until the keepalive window or the registration
    /// ends, whichever is first.
    pub fn register(
        &mut self,
        call_id: &str,
        link: Link,
        granted: Duration,
        rules: &SipRules,
        now: DateTime<Utc>,
    ) -> Registered {
        let fresh = self.status != DeviceStatus::Online || self.call_id.as_deref() != Some(call_id);
        let came_online = self.status != DeviceStatus::Online;
        let expires_at = now + delta(granted);
        self.status = DeviceStatus::Online;
        self.link = Some(link);
        self.call_id = Some(call_id.to_owned());
        if fresh {
            self.registered_at = Some(now);
        }
        self.registration_expires_at = Some(expires_at);
        self.offline_deadline = Some((now + delta(rules.keepalive_window())).min(expires_at));
        self.updated_at = now;
        Registered {
            granted,
            fresh,
            came_online,
        }
    }

    /// Unregisters the device (`Expires: 0`).
    pub fn unregister(&mut self, now: DateTime<Utc>) {
        self.status = DeviceStatus::Unregistered;
        self.call_id = None;
        self.registration_expires_at = None;
        self.offline_deadline = None;
        self.updated_at = now;
    }

    /// Takes a keepalive from `link`: the deadline moves to the keepalive
    /// window from now, bounded by the registration; a new address is
    /// learned without going offline.
    ///
    /// # Errors
    /// The device is not registered, or its registration ran out.
    pub fn keepalive(
        &mut self,
        link: Link,
        rules: &SipRules,
        now: DateTime<Utc>,
    ) -> Result<KeptAlive, DomainError> {
        let expires_at = match (self.status, self.registration_expires_at) {
            (DeviceStatus::Online | DeviceStatus::Offline, Some(at)) if at > now => at,
            _ => return Err(DomainError::NotRegistered(self.id.to_string())),
        };
        let came_online = self.status == DeviceStatus::Offline;
        let moved = self.link.as_ref() != Some(&link);
        self.status = DeviceStatus::Online;
        self.link = Some(link);
        self.last_keepalive_at = Some(now);
        self.offline_deadline = Some((now + delta(rules.keepalive_window())).min(expires_at));
        self.updated_at = now;
        Ok(KeptAlive { came_online, moved })
    }

    /// Marks the device offline when its deadline passed by `now`; returns
    /// whether it did.
    pub fn check_deadline(&mut self, now: DateTime<Utc>) -> bool {
        match (self.status, self.offline_deadline) {
            (DeviceStatus::Online, Some(deadline)) if deadline <= now => {
                self.status = DeviceStatus::Offline;
                self.updated_at = now;
                true
            }
            _ => false,
        }
    }
}

/// The rules the domain's tests share (GB/T 28181's defaults).
#[cfg(test)]
pub(crate) fn test_rules() -> SipRules {
    SipRules {
        realm: "3101160000".into(),
        nonce_ttl: Duration::from_secs(300),
        default_expires: Duration::from_secs(3600),
        min_expires: Duration::from_secs(60),
        max_expires: Duration::from_secs(86400),
        keepalive_interval: Duration::from_secs(60),
        keepalive_count: 3,
        catalog_timeout: Duration::from_secs(30),
    }
}
/// The moment the domain's tests start from, plus `secs`.
#[cfg(test)]
pub(crate) fn test_at(secs: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(1_772_413_200 + secs, 0).expect("a valid time")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::camera::{DeviceSpec, Owner, Transport};
    use crate::domain::gbid::GbId;

    fn rules() -> SipRules {
        test_rules()
    }

    fn at(secs: i64) -> DateTime<Utc> {
        test_at(secs)
    }

    fn link(port: u16) -> Link {
        Link {
            transport: Transport::Udp,
            address: format!("127.0.0.1:{port}"),
        }
    }

    fn device() -> Device {
        let spec = DeviceSpec {
            id: GbId::parse("31011611001320000001").unwrap(),
            name: "村口".into(),
            owner: Owner::town(),
            password: None,
            channels: vec![],
        };
        Device::declare(&spec, None, at(0))
    }

    #[test]
    fn a_nonce_is_accepted_once_and_only_in_time() {
        let r = rules();
        let mut nonce = Nonce::issue("n1".into(), "31011611001320000001", &r, at(0));
        assert_eq!(
            nonce.take("31011611001320000002", at(1)),
            Err(NonceRefusal::Unknown)
        );
        assert_eq!(nonce.take("31011611001320000001", at(1)), Ok(()));
        assert_eq!(
            nonce.take("31011611001320000001", at(2)),
            Err(NonceRefusal::Used)
        );
        let mut late = Nonce::issue("n2".into(), "31011611001320000001", &r, at(0));
        assert_eq!(
            late.take("31011611001320000001", at(300)),
            Err(NonceRefusal::Expired)
        );
        assert!(late.used_at.is_some(), "an expired nonce is spent too");
    }

    #[test]
    fn the_deadline_is_three_intervals_but_never_past_the_registration() {
        let r = rules();
        let mut d = device();
        let first = d.register("c1", link(5070), Duration::from_secs(120), &r, at(0));
        assert!(first.fresh && first.came_online);
        assert_eq!(
            d.offline_deadline,
            Some(at(120)),
            "the registration ends first"
        );
        let renewal = d.register("c1", link(5070), Duration::from_secs(3600), &r, at(60));
        assert!(!renewal.fresh && !renewal.came_online);
        assert_eq!(d.offline_deadline, Some(at(240)));
        assert_eq!(d.registered_at, Some(at(0)), "a renewal keeps the start");
    }

    #[test]
    fn a_keepalive_from_a_new_address_is_learned_without_going_offline() {
        let r = rules();
        let mut d = device();
        d.register("c1", link(5070), Duration::from_secs(3600), &r, at(0));
        let kept = d.keepalive(link(5080), &r, at(100)).unwrap();
        assert_eq!(
            kept,
            KeptAlive {
                came_online: false,
                moved: true
            }
        );
        assert_eq!(d.status, DeviceStatus::Online);
        assert_eq!(d.offline_deadline, Some(at(280)));
        assert_eq!(d.link, Some(link(5080)));
    }

    #[test]
    fn past_its_deadline_a_device_is_offline_once_and_a_keepalive_brings_it_back() {
        let r = rules();
        let mut d = device();
        d.register("c1", link(5070), Duration::from_secs(3600), &r, at(0));
        assert!(!d.check_deadline(at(179)));
        assert!(d.check_deadline(at(180)));
        assert!(
            !d.check_deadline(at(400)),
            "offline once, not per missed beat"
        );
        let back = d.keepalive(link(5070), &r, at(500)).unwrap();
        assert!(back.came_online);
    }

    #[test]
    fn an_unregistered_device_keeps_nothing_alive() {
        let r = rules();
        let mut d = device();
        assert!(d.keepalive(link(5070), &r, at(0)).is_err());
        d.register("c1", link(5070), Duration::from_secs(3600), &r, at(0));
        d.unregister(at(10));
        assert_eq!(d.status, DeviceStatus::Unregistered);
        assert!(d.keepalive(link(5070), &r, at(20)).is_err());
        assert!(!d.check_deadline(at(10_000)));
    }

    #[test]
    fn the_granted_expiry_is_held_within_the_bounds() {
        let r = rules();
        assert_eq!(r.grant(None), Duration::from_secs(3600));
        assert_eq!(r.grant(Some(5)), Duration::from_secs(60));
        assert_eq!(r.grant(Some(1_000_000)), Duration::from_secs(86400));
        assert_eq!(r.grant(Some(600)), Duration::from_secs(600));
    }
}
