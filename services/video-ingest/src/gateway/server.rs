//! The sockets: one UDP socket and one TCP listener on the same port. Each
//! request is handled by [`Handler`]; the server transaction (RFC 3261
//! §17.2) keeps each answer for 32 s, so a device resending a request it
//! got no answer to (UDP's timer T1) gets the same answer again instead of
//! a second handling — a resent REGISTER is not a replayed nonce.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream, UdpSocket};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::handler::{Handled, Handler, Identity};
use super::message::{SipMessage, param};
use crate::application::Context;
use crate::config::SipConfig;
use crate::domain::camera::Transport;

/// How long a server transaction keeps its answer (64 × T1).
const TRANSACTION_LIFETIME: Duration = Duration::from_secs(32);

/// Answers by transaction key, for retransmissions.
#[derive(Default)]
struct Transactions(Mutex<HashMap<String, (Instant, Vec<u8>)>>);

impl Transactions {
    fn key(message: &SipMessage, peer: SocketAddr) -> Option<String> {
        let via = message.header("Via")?;
        let branch = param(via, "branch")?;
        let (_, method) = message.cseq()?;
        Some(format!("{peer}|{branch}|{method}"))
    }

    fn answered(&self, key: &str) -> Option<Vec<u8>> {
        let map = self.0.lock().ok()?;
        map.get(key)
            .filter(|(at, _)| at.elapsed() < TRANSACTION_LIFETIME)
            .map(|(_, bytes)| bytes.clone())
    }

    fn keep(&self, key: String, bytes: Vec<u8>) {
        if let Ok(mut map) = self.0.lock() {
            map.retain(|_, (at, _)| at.elapsed() < TRANSACTION_LIFETIME);
            map.insert(key, (Instant::now(), bytes));
        }
    }
}

/// The bound gateway.
pub struct Gateway {
    udp: Arc<UdpSocket>,
    tcp: TcpListener,
    handler: Handler,
    max_message_bytes: usize,
    transactions: Arc<Transactions>,
}

impl Gateway {
    /// Binds UDP and TCP on `sip.listen` (port 0: a free port, the same for
    /// both).
    ///
    /// # Errors
    /// The address cannot be bound.
    pub async fn bind(ctx: Context, sip: &SipConfig) -> anyhow::Result<Self> {
        let udp = UdpSocket::bind(sip.listen)
            .await
            .with_context(|| format!("binding SIP/UDP to {}", sip.listen))?;
        let local = udp.local_addr()?;
        let tcp = TcpListener::bind(local)
            .await
            .with_context(|| format!("binding SIP/TCP to {local}"))?;
        Ok(Self {
            udp: Arc::new(udp),
            tcp,
            handler: Handler {
                ctx,
                identity: Identity {
                    platform_id: sip.platform_id.clone(),
                    domain: sip.domain(),
                },
                local,
            },
            max_message_bytes: sip.max_message_bytes,
            transactions: Arc::default(),
        })
    }

    /// Returns the address both transports listen on.
    pub fn local_addr(&self) -> SocketAddr {
        self.handler.local
    }

    /// Serves until `cancel` fires.
    pub async fn run(self, cancel: CancellationToken) {
        tracing::info!(listen = %self.handler.local, "sip gateway listening (udp, tcp)");
        let udp = tokio::spawn(serve_udp(
            self.udp.clone(),
            self.handler.clone(),
            self.max_message_bytes,
            self.transactions.clone(),
            cancel.clone(),
        ));
        loop {
            tokio::select! {
                () = cancel.cancelled() => break,
                accepted = self.tcp.accept() => match accepted {
                    Ok((stream, peer)) => {
                        tokio::spawn(serve_tcp(stream, peer, self.handler.clone(), self.max_message_bytes, self.transactions.clone(), cancel.clone()));
                    }
                    Err(err) => tracing::warn!(error = %err, "sip tcp accept failed"),
                },
            }
        }
        let _ = udp.await;
    }
}

/// Handles `request` unless it is a retransmission, and returns the bytes
/// to send back: the response, then the platform's requests.
async fn answer(
    handler: &Handler,
    transactions: &Transactions,
    request: SipMessage,
    peer: SocketAddr,
    transport: Transport,
) -> Vec<Vec<u8>> {
    let key = request.method().and(Transactions::key(&request, peer));
    if let Some(key) = &key
        && let Some(bytes) = transactions.answered(key)
    {
        tracing::debug!(peer = %peer, "sip retransmission answered again");
        return vec![bytes];
    }
    let Handled { response, requests } = handler.handle(request, peer, transport).await;
    let mut out = Vec::new();
    if let Some(response) = response {
        let bytes = response.to_bytes();
        if let Some(key) = key {
            transactions.keep(key, bytes.clone());
        }
        out.push(bytes);
    }
    out.extend(requests.iter().map(SipMessage::to_bytes));
    out
}

async fn serve_udp(
    socket: Arc<UdpSocket>,
    handler: Handler,
    max: usize,
    transactions: Arc<Transactions>,
    cancel: CancellationToken,
) {
    let mut buf = vec![0u8; max + 1];
    loop {
        let (n, peer) = tokio::select! {
            () = cancel.cancelled() => return,
            received = socket.recv_from(&mut buf) => match received {
                Ok(received) => received,
                Err(err) => {
                    tracing::debug!(error = %err, "sip udp receive failed");
                    continue;
                }
            },
        };
        if n > max {
            tracing::warn!(peer = %peer, "sip datagram too large; dropped");
            continue;
        }
        let request = match SipMessage::parse(&buf[..n]) {
            Ok(request) => request,
            Err(super::message::ParseError::Incomplete) => continue,
            Err(err) => {
                tracing::warn!(peer = %peer, error = %err, "sip datagram not understood; dropped");
                continue;
            }
        };
        let (socket, handler, transactions) =
            (socket.clone(), handler.clone(), transactions.clone());
        tokio::spawn(async move {
            for bytes in answer(&handler, &transactions, request, peer, Transport::Udp).await {
                if let Err(err) = socket.send_to(&bytes, peer).await {
                    tracing::warn!(peer = %peer, error = %err, "sip udp send failed");
                }
            }
        });
    }
}

async fn serve_tcp(
    stream: TcpStream,
    peer: SocketAddr,
    handler: Handler,
    max: usize,
    transactions: Arc<Transactions>,
    cancel: CancellationToken,
) {
    let (mut reader, mut writer) = stream.into_split();
    let (tx, mut rx) = mpsc::channel::<Vec<u8>>(64);
    let writing = tokio::spawn(async move {
        while let Some(bytes) = rx.recv().await {
            if writer.write_all(&bytes).await.is_err() {
                return;
            }
        }
    });
    let mut buf: Vec<u8> = Vec::with_capacity(4096);
    let mut chunk = vec![0u8; 8192];
    'read: loop {
        let n = tokio::select! {
            () = cancel.cancelled() => break,
            read = reader.read(&mut chunk) => match read {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            },
        };
        buf.extend_from_slice(&chunk[..n]);
        loop {
            match SipMessage::frame(&buf, max) {
                Ok(None) => break,
                Ok(Some(len)) => {
                    let bytes: Vec<u8> = buf.drain(..len).collect();
                    match SipMessage::parse(&bytes) {
                        Ok(request) => {
                            for out in
                                answer(&handler, &transactions, request, peer, Transport::Tcp).await
                            {
                                if tx.send(out).await.is_err() {
                                    break 'read;
                                }
                            }
                        }
                        Err(super::message::ParseError::Incomplete) => {}
                        Err(err) => {
                            tracing::warn!(peer = %peer, error = %err, "sip message not understood; skipped")
                        }
                    }
                }
                Err(err) => {
                    // The stream cannot be framed any more: close it.
                    tracing::warn!(peer = %peer, error = %err, "sip tcp stream closed");
                    break 'read;
                }
            }
        }
    }
    drop(tx);
    let _ = writing.await;
}
