//! Envelopes between two nodes on loopback, beside their floor measured in
//! the same run.
//!
//! The exchange: Langxia's node signs each REPORT envelope and its attempt
//! (ed25519) and delivers it over mutual TLS to Xindai's real peer port,
//! which checks the certificate, the allow-list, both signatures, the skew
//! and replays, stores the envelope, opens the case, appends both to the
//! hash-chained message log, queues the business answer and returns its
//! signed receipt; the time is from sending to that receipt.
//! The floor: the same encoded envelopes over the same mutual-TLS
//! connection settings to a bare tonic server with the same certificate,
//! which answers each with a receipt and does nothing else.
//!
//! Needs PostgreSQL and NATS (`make bench` starts them when missing); its
//! databases are its own, dropped at the end. PostgreSQL's commit settings
//! are the server's defaults (synchronous commit on).

use std::sync::Arc;
use std::time::Duration;

use case_exchange::convert;
use case_exchange::domain::case::JointCase;
use case_exchange::domain::envelope::{Attempt, Envelope, ExchangeStatus, MessageType};
use case_exchange::domain::ids::MessageId;
use case_exchange::domain::payload::Payload;
use case_exchange::peers::PeerClient;
use case_exchange::testing::{Federation, LANGXIA, XINDAI, start_time, work_injury};
use platform::bench::{Measured, measure};
use platform::clock::Clock as _;
use platform::testing::{ScratchDatabase, free_port};
use proto::exchange::v1 as pb;
use proto::exchange::v1::peer_service_server::{PeerService, PeerServiceServer};
use tonic::{Request, Response, Status};

/// Deliveries in flight at once.
const CONCURRENCY: usize = 16;
/// Envelopes per measurement.
const ENVELOPES: usize = 2000;
/// Envelopes sent before measuring (connections, caches, the JIT of TLS).
const WARM_UP: usize = 50;

/// Langxia's REPORT of case `i` to Xindai, as the node would queue it:
/// the flow-7 dispute under a case number of its own.
fn report(fed: &Federation, i: usize) -> Envelope {
    let (langxia, xindai) = (&fed.nodes[LANGXIA], &fed.nodes[XINDAI]);
    let summary = convert::summary_of(work_injury().summary.expect("a summary"));
    let case = JointCase::report(
        langxia.town.node.clone(),
        xindai.town.node.clone(),
        format!("LX-2026-{i:06}"),
        summary.clone(),
        ExchangeStatus::Exercise,
        "bench",
        start_time(),
    );
    Envelope {
        message_id: MessageId::generate(),
        sender: langxia.town.node.clone(),
        recipients: vec![xindai.town.node.clone()],
        message_type: MessageType::Report,
        references: vec![],
        shared_case_id: Some(case.shared_id),
        sender_case_number: case.origin_case_number.clone(),
        recipient_case_number: String::new(),
        status: ExchangeStatus::Exercise,
        sent_at: start_time(),
        payload: convert::encode_payload(&Payload::Report {
            summary,
            first: case.history[0].clone(),
        }),
        in_reply_to: None,
        signature: vec![],
    }
}

/// A peer port that answers every delivery with a receipt and nothing
/// else: no checks, no storage, no log, no signature.
struct Bare;

#[tonic::async_trait]
impl PeerService for Bare {
    async fn deliver(
        &self,
        request: Request<pb::DeliverRequest>,
    ) -> Result<Response<pb::DeliverResponse>, Status> {
        let envelope = request.into_inner().envelope.unwrap_or_default();
        Ok(Response::new(pb::DeliverResponse {
            receipt: Some(pb::Receipt {
                message_id: envelope.message_id,
                receiver: envelope.recipients.into_iter().next().unwrap_or_default(),
                envelope_hash: vec![0; 32],
                received_at: Some(platform::time::timestamp(start_time())),
                signature: vec![0; 64],
            }),
        }))
    }
}

async fn run(
    client: Arc<PeerClient>,
    sends: Arc<Vec<(Vec<u8>, Attempt)>>,
    offset: usize,
    n: usize,
) -> Measured {
    measure(CONCURRENCY, n, move |i| {
        let (client, sends) = (client.clone(), sends.clone());
        async move {
            let (wire, attempt) = &sends[offset + i];
            client.deliver(wire, attempt).await.expect("a receipt");
        }
    })
    .await
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let db = ScratchDatabase::create("exchange_bench").await;
    let fed = Federation::start(db.pool.clone()).await;
    let (langxia, xindai) = (&fed.nodes[LANGXIA], &fed.nodes[XINDAI]);
    let sender = fed.raw_sender(LANGXIA, XINDAI, &langxia.town.dir);
    let now = fed.clock.now();
    let total = WARM_UP + ENVELOPES;

    // The exchange: each envelope and attempt signed as it is sent.
    let envelopes: Vec<Envelope> = (0..total).map(|i| report(&fed, i)).collect();
    let key = sender.key.clone();
    let client = Arc::new(sender.client);
    let signed = Arc::new(envelopes);
    let exchange = |offset: usize, n: usize| {
        let (client, signed, key) = (client.clone(), signed.clone(), key.clone());
        measure(CONCURRENCY, n, move |i| {
            let (client, signed, key) = (client.clone(), signed.clone(), key.clone());
            async move {
                let mut envelope = signed[offset + i].clone();
                envelope.sign(&key);
                let attempt = Attempt::sign(&envelope, now, &key);
                client
                    .deliver(&convert::envelope_bytes(&envelope), &attempt)
                    .await
                    .expect("a receipt");
            }
        })
    };
    exchange(0, WARM_UP).await;
    let mut weigrid = exchange(WARM_UP, ENVELOPES).await;
    let stored = xindai.count("SELECT count(*) FROM received_messages").await;
    assert_eq!(stored, total as i64, "every envelope stored once at Xindai");

    // The floor: the same envelopes, signed beforehand, to a bare server
    // with Xindai's certificate, over the same client settings.
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", free_port())).await?;
    let addr = listener.local_addr()?;
    let tls = platform::grpc::server::server_tls(&xindai.served.config().peer_port.server_tls())?;
    tokio::spawn(
        tonic::transport::Server::builder()
            .tls_config(tls)?
            .add_service(PeerServiceServer::new(Bare))
            .serve_with_incoming(tonic::transport::server::TcpIncoming::from(listener)),
    );
    let identity = langxia.identity();
    let mut link = identity.links[&xindai.town.node].clone();
    link.endpoint = format!("https://{addr}");
    let bare = Arc::new(PeerClient::connect(
        &link,
        langxia.town.dir.join("node.pem"),
        langxia.town.dir.join("node.key"),
        Duration::from_secs(2),
        Duration::from_secs(5),
    )?);
    let sends: Vec<(Vec<u8>, Attempt)> = (0..total)
        .map(|i| {
            let mut envelope = report(&fed, i);
            envelope.sign(&key);
            let attempt = Attempt::sign(&envelope, now, &key);
            (convert::envelope_bytes(&envelope), attempt)
        })
        .collect();
    let sends = Arc::new(sends);
    run(bare.clone(), sends.clone(), 0, WARM_UP).await;
    let mut floor = run(bare, sends, WARM_UP, ENVELOPES).await;

    println!(
        "envelopes Langxia → Xindai on loopback, {ENVELOPES} REPORTs, {CONCURRENCY} in flight"
    );
    println!(
        "{}",
        weigrid.line("exchange (mTLS, signed, stored, logged, receipt)")
    );
    println!("{}", floor.line("bare mutual-TLS gRPC call, same payloads"));
    platform::bench::row(
        "exchange envelopes (mTLS, signed, stored, logged, receipt)",
        &format!(
            "{}, p99 {:.1} ms",
            platform::bench::per_second(weigrid.rate()),
            weigrid.pct(0.99).as_secs_f64() * 1e3
        ),
        &format!(
            "bare mutual-TLS gRPC call {}, p99 {:.1} ms",
            platform::bench::per_second(floor.rate()),
            floor.pct(0.99).as_secs_f64() * 1e3
        ),
        weigrid.rate() / floor.rate(),
        "—",
        None,
    );
    println!(
        "ratio {:.2} of the bare call's rate; p99 {:.1}× the bare call's",
        weigrid.rate() / floor.rate(),
        weigrid.pct(0.99).as_secs_f64() / floor.pct(0.99).as_secs_f64()
    );

    fed.cleanup().await;
    db.drop_database().await;
    Ok(())
}
