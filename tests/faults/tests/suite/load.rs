//! The steady load, as integrators send it: 12345 orders taken in with
//! CreateTicket under idempotency keys; villagers' reports submitted at a
//! workstation and carried through their tickets (the micro-grid leader
//! signs for and resolves each, the desk verifies it) so that each earns
//! its award; an edge box's batches of analytic events; cross-border cases
//! reported to the neighbouring town's node; and disputes referred to
//! review. Every call that fails with UNAVAILABLE or another retryable
//! code is sent again with the same key (or the same batch of the same
//! events) until it succeeds or the caller's patience runs out; any other
//! code is recorded as a bad answer.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use chrono::{TimeDelta, Utc};
use proto::dispatch::v1 as dispatch;
use proto::points::v1 as points;
use proto::video::v1 as video;
use tokio::sync::Mutex;
use tonic::{Code, Status};

use crate::town::{CHANNEL, Dispatch, Exchange, Points, Town, Video};

/// Analytic events in each of the edge box's batches.
const EVENTS_PER_BATCH: usize = 10;

/// How long one attempt may take before the caller gives up on it and
/// sends it again (a server killed mid-call never answers).
const ATTEMPT: Duration = Duration::from_secs(10);
/// How long a caller keeps trying one operation.
const PATIENCE: Duration = Duration::from_secs(120);
/// Where the load's tickets and reports lie: micro-grid V1-A1-M01.
const LAT: f64 = 30.02;
const LNG: f64 = 121.02;

/// Returns whether a caller should send `code` again with the same key.
pub fn retryable(code: Code) -> bool {
    matches!(
        code,
        Code::Unavailable | Code::DeadlineExceeded | Code::Aborted | Code::ResourceExhausted
    )
}

/// Returns whether the call's connection broke before an answer came (the
/// server was killed mid-call): tonic reports it as UNKNOWN "transport
/// error", as UNKNOWN "h2 protocol error: error reading a body from
/// connection" when the kill lands while the answer's body is read, or as
/// CANCELLED "operation was canceled" for a call still waiting for the
/// connection, where gRPC's HTTP/2 mapping says UNAVAILABLE
/// (hyperium/tonic#628). Each carries the client's own error as its source:
/// the transport's error, or hyper's with the socket's broken pipe or reset
/// beneath it (hyper's cause may be h2's error, which holds the socket's
/// error without giving it as a source). A status a server sent has no source. The caller sends such a
/// call again, as UNAVAILABLE.
pub fn cut(status: &Status) -> bool {
    if !matches!(status.code(), Code::Unknown | Code::Cancelled) {
        return false;
    }
    let mut source = std::error::Error::source(status);
    while let Some(error) = source {
        if error.downcast_ref::<tonic::transport::Error>().is_some() {
            return true;
        }
        // h2's error gives no source: the socket's error is inside it.
        let io = error.downcast_ref::<std::io::Error>().or_else(|| {
            error
                .downcast_ref::<h2::Error>()
                .and_then(h2::Error::get_io)
        });
        if let Some(io) = io {
            use std::io::ErrorKind::*;
            if matches!(
                io.kind(),
                BrokenPipe | ConnectionReset | ConnectionAborted | UnexpectedEof
            ) {
                return true;
            }
        }
        source = error.source();
    }
    false
}

/// What the callers of one phase saw.
#[derive(Debug, Default)]
pub struct Seen {
    /// 12345 orders taken in: their external references.
    pub tickets: Vec<String>,
    /// Reports taken in: id and the tag in their text.
    pub reports: Vec<(String, String)>,
    /// Reports whose tickets the desk verified.
    pub verified: Vec<String>,
    /// Analytic events video ingest acknowledged: their ids.
    pub events: Vec<String>,
    /// Cross-border cases Langxia's node took: their case numbers.
    pub cases: Vec<String>,
    /// Tickets dispatch referred to review: their ids.
    pub referred: Vec<String>,
    /// Answers other than success or a retryable code: RPC, code, message.
    pub bad: Vec<(&'static str, Code, String)>,
    /// Operations whose caller ran out of patience.
    pub gave_up: Vec<&'static str>,
    /// Attempts sent again.
    pub retries: usize,
    /// Of those, calls whose connection broke mid-call (see [`cut`]).
    pub cut: usize,
}

/// The load of one phase: its operations, handed out one by one.
pub struct Load {
    pub phase: String,
    pub operations: usize,
    next: AtomicUsize,
    pub seen: Mutex<Seen>,
    desk: Dispatch,
    leader: Dispatch,
    workstation: Points,
    edge_box: Video,
    exchange: Exchange,
    peer_node: String,
    residents: Vec<String>,
}

/// Registers the residents the reports are made for.
pub async fn residents(town: &Town, n: usize) -> Vec<String> {
    let mut ws = town.workstation();
    let mut ids = Vec::new();
    for i in 0..n {
        let resident = ws
            .register_resident(points::RegisterResidentRequest {
                idempotency_key: format!("resident-{i}"),
                at_workstation: true,
                name: "测试村民".into(),
                phone: format!("137{i:08}"),
                village_code: "V1".into(),
                ..Default::default()
            })
            .await
            .expect("the resident is registered")
            .into_inner()
            .resident
            .expect("a resident");
        ids.push(resident.id);
    }
    ids
}

impl Load {
    pub fn new(town: &Town, phase: &str, operations: usize, residents: Vec<String>) -> Arc<Self> {
        Arc::new(Self {
            phase: phase.to_owned(),
            operations,
            next: AtomicUsize::new(0),
            seen: Mutex::new(Seen::default()),
            desk: town.desk(),
            leader: town.leader(),
            workstation: town.workstation(),
            edge_box: town.edge_box(),
            exchange: town.exchange_desk(),
            peer_node: town.peer_node(),
            residents,
        })
    }

    /// Runs `workers` callers until every operation was sent: of every
    /// ten, two are reports carried to their awards, one a batch of
    /// analytic events, one a cross-border case, one a 12345 order
    /// referred to review, the rest 12345 orders.
    pub async fn run(self: &Arc<Self>, workers: usize) {
        let tasks: Vec<_> = (0..workers)
            .map(|_| {
                let load = Arc::clone(self);
                tokio::spawn(async move {
                    loop {
                        let i = load.next.fetch_add(1, Ordering::SeqCst);
                        if i >= load.operations {
                            return;
                        }
                        match i % 10 {
                            4 | 9 => load.report(i).await,
                            1 => load.camera(i).await,
                            3 => load.case(i).await,
                            7 => load.referral(i).await,
                            _ => {
                                load.ticket(i).await;
                            }
                        }
                    }
                })
            })
            .collect();
        for task in tasks {
            task.await.expect("a load worker does not panic");
        }
    }

    /// Sends one call until it succeeds, gives up or is refused.
    async fn call<T, F, Fut>(&self, rpc: &'static str, mut attempt: F) -> Option<T>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<tonic::Response<T>, Status>>,
    {
        let deadline = tokio::time::Instant::now() + PATIENCE;
        let mut backoff = Duration::from_millis(50);
        loop {
            match tokio::time::timeout(ATTEMPT, attempt()).await {
                Ok(Ok(answer)) => return Some(answer.into_inner()),
                Ok(Err(status)) if retryable(status.code()) => {}
                Ok(Err(status)) if cut(&status) => self.seen.lock().await.cut += 1,
                Ok(Err(status)) => {
                    let source = std::error::Error::source(&status)
                        .map(|s| format!(" (source: {s:?})"))
                        .unwrap_or_default();
                    let message = format!("{}{source}", status.message());
                    self.seen
                        .lock()
                        .await
                        .bad
                        .push((rpc, status.code(), message));
                    return None;
                }
                // The caller's own deadline: the same as DEADLINE_EXCEEDED.
                Err(_) => {}
            }
            if tokio::time::Instant::now() > deadline {
                self.seen.lock().await.gave_up.push(rpc);
                return None;
            }
            self.seen.lock().await.retries += 1;
            tokio::time::sleep(backoff).await;
            backoff = (backoff * 2).min(Duration::from_secs(1));
        }
    }

    /// Takes one 12345 order in; returns its ticket's id.
    async fn ticket(&self, i: usize) -> Option<String> {
        self.order(i, "SANITATION", "垃圾堆放", "路口垃圾三天无人清运")
            .await
    }

    /// Takes the 12345 order `i` of `category` in; returns its ticket's id.
    async fn order(&self, i: usize, category: &str, title: &str, text: &str) -> Option<String> {
        let reference = format!("12345-{}-{i:06}", self.phase);
        let request = dispatch::CreateTicketRequest {
            idempotency_key: format!("create-{reference}"),
            channel: dispatch::Channel::Hotline12345.into(),
            external_ref: reference.clone(),
            category_code: category.into(),
            title: title.into(),
            description: format!("{text} [{reference}]"),
            location: Some(dispatch::LatLng { lat: LAT, lng: LNG }),
            reporter_phone: format!("139{:08}", i % 100_000_000),
            ..Default::default()
        };
        let desk = self.desk.clone();
        let taken = self
            .call("CreateTicket", || {
                let (mut desk, request) = (desk.clone(), request.clone());
                async move { desk.create_ticket(request).await }
            })
            .await?;
        self.seen.lock().await.tickets.push(reference);
        taken.ticket.map(|t| t.id)
    }

    /// Takes in a 12345 work-injury dispute (which nobody in the town
    /// owns: it waits at the desk) and refers it to legal review.
    async fn referral(&self, i: usize) {
        let title = "工伤赔偿纠纷";
        let text = "工人在车间受伤，双方对赔偿金额有分歧";
        let Some(ticket_id) = self.order(i, "WORK_INJURY", title, text).await else {
            return;
        };
        let request = dispatch::ReferTicketRequest {
            idempotency_key: format!("refer-{}-{i:06}", self.phase),
            ticket_id: ticket_id.clone(),
            kind: dispatch::ReferralKind::LegalRisk.into(),
            question: "赔偿金额是否于法有据？".into(),
            parties: vec!["工人".into(), "用人单位".into()],
            ..Default::default()
        };
        let desk = self.desk.clone();
        let referred = self
            .call("ReferTicket", || {
                let (mut desk, request) = (desk.clone(), request.clone());
                async move { desk.refer_ticket(request).await }
            })
            .await;
        if referred.is_some() {
            self.seen.lock().await.referred.push(ticket_id);
        }
    }

    /// Sends one batch of the edge box's analytic events (illegal dumping
    /// seen by the load's camera) on a stream of its own, the same events
    /// again until it is acknowledged.
    async fn camera(&self, i: usize) {
        let at = Utc::now() - TimeDelta::minutes(1);
        let events: Vec<video::AnalyticEvent> = (0..EVENTS_PER_BATCH)
            .map(|n| {
                let phase = if n == 0 {
                    video::EventPhase::Start
                } else {
                    video::EventPhase::Update
                };
                video_ingest::testing::analytic_event(
                    CHANNEL,
                    video::IncidentKind::IllegalDumping,
                    phase,
                    0.8,
                    at + TimeDelta::milliseconds(i64::try_from(n).unwrap_or(0)),
                )
            })
            .collect();
        let ids: Vec<String> = events.iter().map(|e| e.event_id.clone()).collect();
        let batch = video::StreamAnalyticEventsRequest {
            batch: u64::try_from(i).unwrap_or(u64::MAX),
            events,
        };
        let edge_box = self.edge_box.clone();
        let acknowledged = self
            .call("StreamAnalyticEvents", || {
                let (mut edge_box, batch) = (edge_box.clone(), batch.clone());
                async move {
                    let mut answers = edge_box
                        .stream_analytic_events(futures::stream::iter([batch]))
                        .await?
                        .into_inner();
                    match answers.message().await? {
                        Some(ack) => Ok(tonic::Response::new(ack)),
                        None => Err(Status::internal(
                            "the stream ended without acknowledging the batch",
                        )),
                    }
                }
            })
            .await;
        if let Some(ack) = acknowledged {
            assert_eq!(ack.batch, batch.batch, "the acknowledgement is the batch's");
            self.seen.lock().await.events.extend(ids);
        }
    }

    /// Reports one cross-border work-injury dispute to Xindai's node.
    async fn case(&self, i: usize) {
        let number = format!("LX-{}-{i:06}", self.phase);
        let mut request = case_exchange::testing::work_injury();
        request.idempotency_key = format!("report-case-{number}");
        request.peer_node = self.peer_node.clone();
        request.case_number = number.clone();
        let exchange = self.exchange.clone();
        let reported = self
            .call("ReportCase", || {
                let (mut exchange, request) = (exchange.clone(), request.clone());
                async move { exchange.report_case(request).await }
            })
            .await;
        if reported.is_some() {
            self.seen.lock().await.cases.push(number);
        }
    }

    /// Submits one report and carries its ticket to verification.
    async fn report(&self, i: usize) {
        let tag = format!("{}-{i:06}", self.phase);
        let resident = self.residents[i % self.residents.len()].clone();
        let request = points::SubmitReportRequest {
            idempotency_key: format!("report-{tag}"),
            resident_id: resident,
            category_code: "SANITATION".into(),
            severity: 1,
            text: format!("河边垃圾无人清运 [{tag}]"),
            photos: vec![points::Photo {
                sha256: "ab".repeat(32),
                content_type: "image/jpeg".into(),
                size_bytes: 1_500_000,
            }],
            location: Some(points::LatLng { lat: LAT, lng: LNG }),
        };
        let ws = self.workstation.clone();
        let Some(submitted) = self
            .call("SubmitReport", || {
                let (mut ws, request) = (ws.clone(), request.clone());
                async move { ws.submit_report(request).await }
            })
            .await
            .and_then(|a| a.report)
        else {
            return;
        };
        self.seen
            .lock()
            .await
            .reports
            .push((submitted.id.clone(), tag.clone()));
        let Some(ticket) = self.dispatched_ticket_of(&submitted.id).await else {
            return;
        };
        let id = |key: &str| (format!("{key}-{tag}"), ticket.clone());
        let (key, ticket_id) = id("accept");
        let accept = dispatch::AcceptTicketRequest {
            idempotency_key: key,
            ticket_id,
        };
        let (key, ticket_id) = id("resolve");
        let resolve = dispatch::ResolveTicketRequest {
            idempotency_key: key,
            ticket_id,
            result: "垃圾已清运".into(),
        };
        let (key, ticket_id) = id("verify");
        let verify = dispatch::VerifyTicketRequest {
            idempotency_key: key,
            ticket_id,
            verified_true: true,
            note: String::new(),
        };
        let leader = &self.leader;
        let accepted = self
            .call("AcceptTicket", || {
                let (mut client, request) = (leader.clone(), accept.clone());
                async move { client.accept_ticket(request).await }
            })
            .await;
        if accepted.is_none() {
            return;
        }
        let resolved = self
            .call("ResolveTicket", || {
                let (mut client, request) = (leader.clone(), resolve.clone());
                async move { client.resolve_ticket(request).await }
            })
            .await;
        if resolved.is_none() {
            return;
        }
        let desk = &self.desk;
        let verified = self
            .call("VerifyTicket", || {
                let (mut client, request) = (desk.clone(), verify.clone());
                async move { client.verify_ticket(request).await }
            })
            .await;
        if verified.is_none() {
            return;
        }
        self.seen.lock().await.verified.push(submitted.id);
    }

    /// Waits until the report's ticket is taken in by dispatch and put in
    /// the micro-grid's hands, as the leader does before signing for it.
    async fn dispatched_ticket_of(&self, report: &str) -> Option<String> {
        let deadline = tokio::time::Instant::now() + PATIENCE;
        loop {
            let ws = self.workstation.clone();
            let request = points::GetReportRequest {
                id: report.to_owned(),
            };
            let ticket_id = self
                .call("GetReport", || {
                    let (mut ws, request) = (ws.clone(), request.clone());
                    async move { ws.get_report(request).await }
                })
                .await?
                .report
                .map(|r| r.ticket_id)
                .unwrap_or_default();
            if !ticket_id.is_empty() {
                let request = dispatch::GetTicketRequest {
                    id: ticket_id.clone(),
                    ..Default::default()
                };
                let desk = self.desk.clone();
                let ticket = self
                    .call("GetTicket", || {
                        let (mut desk, request) = (desk.clone(), request.clone());
                        async move { desk.get_ticket(request).await }
                    })
                    .await?
                    .ticket?;
                if ticket.state() == dispatch::TicketState::Dispatched {
                    return Some(ticket_id);
                }
            }
            if tokio::time::Instant::now() > deadline {
                self.seen.lock().await.gave_up.push("report's ticket");
                return None;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn a_call_cut_while_its_answer_is_read_counts_as_cut_and_a_servers_status_does_not() {
        let broken = std::io::Error::new(std::io::ErrorKind::BrokenPipe, "stream closed");
        let mut read_cut =
            Status::unknown("h2 protocol error: error reading a body from connection");
        read_cut.set_source(Arc::new(broken));
        assert!(cut(&read_cut), "a broken pipe beneath the status is a cut");

        let sent = Status::unknown("the server's own unknown error");
        assert!(
            !cut(&sent),
            "a status without a source came from the server"
        );

        let mut refused = Status::invalid_argument("bad field");
        refused.set_source(Arc::new(std::io::Error::new(
            std::io::ErrorKind::BrokenPipe,
            "x",
        )));
        assert!(!cut(&refused), "only UNKNOWN and CANCELLED can be cuts");

        let mut other = Status::unknown("decode failed");
        other.set_source(Arc::new(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            "bad frame",
        )));
        assert!(
            !cut(&other),
            "a source that is no broken connection is no cut"
        );
    }
}
