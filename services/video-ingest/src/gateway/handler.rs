//! One SIP request from a device → one use case → the answer, and the
//! requests the platform sends back (the Catalog query after a new
//! registration, the answer to an alarm).

use chrono::{DateTime, FixedOffset, Utc};
use platform::error::AppError;
use rand::RngExt as _;

use super::GB_VERSION;
use super::manscdp::{self, Manscdp};
use super::message::{SipMessage, StartLine};
use crate::application::Context;
use crate::application::gateway::{self, RegisterAttempt, RegisterOutcome};
use crate::domain::camera::{Link, Transport};
use crate::domain::gbid::GbId;

/// What the platform is to devices.
#[derive(Debug, Clone)]
pub struct Identity {
    pub platform_id: String,
    pub domain: String,
}

/// What handling a request produced: the response, and requests to send
/// to the same peer after it.
#[derive(Debug, Default)]
pub struct Handled {
    pub response: Option<SipMessage>,
    pub requests: Vec<SipMessage>,
}

/// Returns `n` random hex digits.
pub fn random_hex(n: usize) -> String {
    let mut rng = rand::rng();
    (0..n)
        .map(|_| char::from_digit(rng.random_range(0..16u32), 16).unwrap_or('0'))
        .collect()
}

/// Returns a GB/T 28181 time (local, milliseconds): what the Date header
/// of a 200 to REGISTER carries, for the device's clock.
pub fn gb_time(at: DateTime<Utc>, offset: FixedOffset) -> String {
    at.with_timezone(&offset)
        .format("%Y-%m-%dT%H:%M:%S%.3f")
        .to_string()
}

fn answer(request: &SipMessage, code: u16, reason: &str) -> SipMessage {
    request
        .respond(code, reason, &random_hex(10))
        .with("User-Agent", "weigrid-video")
        .with("X-GB-Ver", GB_VERSION)
}

/// The gateway's handling of requests, over the use cases of `ctx`.
#[derive(Clone)]
pub struct Handler {
    pub ctx: Context,
    pub identity: Identity,
    /// The gateway's own address, for the Via of what it sends.
    pub local: std::net::SocketAddr,
}

impl Handler {
    /// Handles one message from `peer` over `transport`.
    pub async fn handle(
        &self,
        mut request: SipMessage,
        peer: std::net::SocketAddr,
        transport: Transport,
    ) -> Handled {
        let StartLine::Request { method, .. } = &request.start else {
            // A device's answer to a query or to an alarm answer.
            tracing::debug!(peer = %peer, "sip response from a device");
            return Handled::default();
        };
        let method = method.clone();
        if transport == Transport::Udp {
            request.stamp_via(peer);
        }
        let link = Link {
            transport,
            address: peer.to_string(),
        };
        match method.as_str() {
            "REGISTER" => self.register(&request, link).await,
            "MESSAGE" | "NOTIFY" => self.message(&request, link).await,
            "OPTIONS" => Handled {
                response: Some(answer(&request, 200, "OK")),
                requests: vec![],
            },
            // No dialog is ever set up here, so there is nothing to end.
            "ACK" => Handled::default(),
            _ => Handled {
                response: Some(
                    answer(&request, 405, "Method Not Allowed")
                        .with("Allow", "REGISTER, MESSAGE, NOTIFY, OPTIONS"),
                ),
                requests: vec![],
            },
        }
    }

    fn device_of(request: &SipMessage) -> Result<GbId, String> {
        let user = request
            .from_user()
            .ok_or("the From header names no device")?;
        GbId::front_end(user).map_err(|rule| format!("From user {user:?} {rule}"))
    }

    async fn register(&self, request: &SipMessage, link: Link) -> Handled {
        let device = match Self::device_of(request) {
            Ok(device) => device,
            Err(why) => return bad_request(request, &why),
        };
        let Some(call_id) = request.call_id() else {
            return bad_request(request, "Call-ID is missing");
        };
        let attempt = RegisterAttempt {
            device: device.clone(),
            call_id: call_id.to_owned(),
            expires: request.expires(),
            answer: request.digest_answer(),
            link: link.clone(),
        };
        let response = match gateway::register(&self.ctx, attempt).await {
            Ok(RegisterOutcome::Challenge { nonce, stale }) => {
                let mut challenge = format!(
                    "Digest realm=\"{}\", nonce=\"{nonce}\", qop=\"auth\", algorithm=MD5",
                    self.ctx.rules.realm
                );
                if stale {
                    challenge.push_str(", stale=true");
                }
                answer(request, 401, "Unauthorized").with("WWW-Authenticate", challenge)
            }
            Ok(RegisterOutcome::Registered {
                granted,
                at,
                catalog_sn,
            }) => {
                let ok = self
                    .ok_with_date(request, at)
                    .with("Expires", granted.as_secs().to_string());
                let requests = catalog_sn
                    .map(|sn| {
                        self.message_to(
                            &device,
                            &link_of(request, &device),
                            link.transport,
                            call_id,
                            manscdp::catalog_query(sn, device.as_str()),
                        )
                    })
                    .into_iter()
                    .collect();
                return Handled {
                    response: Some(ok),
                    requests,
                };
            }
            Ok(RegisterOutcome::Unregistered { at }) => {
                self.ok_with_date(request, at).with("Expires", "0")
            }
            Ok(RegisterOutcome::Forbidden(why)) => {
                answer(request, 403, "Forbidden").with("Warning", format!("399 weigrid \"{why}\""))
            }
            Err(err) => failed(request, &err),
        };
        Handled {
            response: Some(response),
            requests: vec![],
        }
    }

    fn ok_with_date(&self, request: &SipMessage, at: DateTime<Utc>) -> SipMessage {
        let mut ok = answer(request, 200, "OK").with("Date", gb_time(at, self.ctx.offset));
        if let Some(contact) = request.header("Contact") {
            ok = ok.with("Contact", contact);
        }
        ok
    }

    async fn message(&self, request: &SipMessage, link: Link) -> Handled {
        let device = match Self::device_of(request) {
            Ok(device) => device,
            Err(why) => return bad_request(request, &why),
        };
        let body = match manscdp::parse(&request.body) {
            Ok(body) => body,
            Err(why) => return bad_request(request, &format!("body: {why}")),
        };
        let mut requests = Vec::new();
        let transport = link.transport;
        let outcome = match body {
            Manscdp::Keepalive { .. } => gateway::keepalive(&self.ctx, &device, link)
                .await
                .map(|_| ()),
            Manscdp::Catalog { packet, .. } => gateway::catalog_packet(&self.ctx, &device, packet)
                .await
                .map(|_| ()),
            Manscdp::Alarm { report, device_id } => {
                let sn = report.sn;
                let recorded = gateway::alarm(&self.ctx, &device, report).await;
                if recorded.is_ok() {
                    let target = if device_id.is_empty() {
                        device.to_string()
                    } else {
                        device_id
                    };
                    requests.push(self.message_to(
                        &device,
                        &link_of(request, &device),
                        transport,
                        request.call_id().unwrap_or_default(),
                        manscdp::alarm_answer(sn, &target),
                    ));
                }
                recorded.map(|_| ())
            }
            Manscdp::Other { root, cmd_type } => {
                tracing::debug!(device_id = %device, %root, %cmd_type, "manscdp command not acted on");
                Ok(())
            }
        };
        let response = match outcome {
            Ok(()) => answer(request, 200, "OK"),
            Err(err) => failed(request, &err),
        };
        Handled {
            response: Some(response),
            requests,
        }
    }

    /// Returns a MESSAGE with a MANSCDP `body` from the platform to `device`.
    /// It rides `call_id`, the Call-ID of the device's request it follows
    /// (its registration, its alarm): devices that match requests to their
    /// own transactions by Call-ID, as sipp does, find it.
    pub fn message_to(
        &self,
        device: &GbId,
        target: &str,
        transport: Transport,
        call_id: &str,
        body: Vec<u8>,
    ) -> SipMessage {
        let transport = transport.as_str();
        let local = self.local;
        SipMessage {
            start: StartLine::Request {
                method: "MESSAGE".into(),
                uri: format!("sip:{device}@{target}"),
            },
            headers: vec![
                (
                    "Via".into(),
                    format!(
                        "SIP/2.0/{transport} {local};rport;branch=z9hG4bK{}",
                        random_hex(16)
                    ),
                ),
                (
                    "From".into(),
                    format!(
                        "<sip:{}@{}>;tag={}",
                        self.identity.platform_id,
                        self.identity.domain,
                        random_hex(10)
                    ),
                ),
                (
                    "To".into(),
                    format!("<sip:{device}@{}>", self.identity.domain),
                ),
                ("Call-ID".into(), call_id.to_owned()),
                ("CSeq".into(), "1 MESSAGE".into()),
                ("Max-Forwards".into(), "70".into()),
                ("Content-Type".into(), "Application/MANSCDP+xml".into()),
                ("User-Agent".into(), "weigrid-video".into()),
                ("X-GB-Ver".into(), GB_VERSION.into()),
            ],
            body,
        }
    }
}

/// Returns host:port of the device for a request's target: its Contact's
/// host, else its id's domain.
fn link_of(request: &SipMessage, device: &GbId) -> String {
    request
        .header("Contact")
        .and_then(|c| {
            let start = c.find('@')? + 1;
            let rest = &c[start..];
            let end = rest.find(['>', ';']).unwrap_or(rest.len());
            Some(rest[..end].to_owned())
        })
        .unwrap_or_else(|| device.centre().to_owned())
}

fn bad_request(request: &SipMessage, why: &str) -> Handled {
    tracing::warn!(reason = %why, "sip request refused");
    Handled {
        response: Some(
            answer(request, 400, "Bad Request").with("Warning", format!("399 weigrid \"{why}\"")),
        ),
        requests: vec![],
    }
}

fn failed(request: &SipMessage, err: &AppError) -> SipMessage {
    match err {
        AppError::NotFound(_) => answer(request, 404, "Not Found"),
        AppError::FailedPrecondition(why) => {
            answer(request, 403, "Forbidden").with("Warning", format!("399 weigrid \"{why}\""))
        }
        AppError::InvalidArgument(_) => answer(request, 400, "Bad Request"),
        AppError::Unavailable(_) => {
            answer(request, 503, "Service Unavailable").with("Retry-After", "5")
        }
        other => {
            tracing::error!(error = %other, "sip request failed");
            answer(request, 500, "Server Internal Error")
        }
    }
}
