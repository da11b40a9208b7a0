//! A network partition between the two exchange nodes. Each node reaches
//! the other's peer port through a TCP relay of the suite's own (the
//! allow-lists name the relays; the TLS names are the nodes', so mutual
//! TLS runs end to end through them). Cutting the relays partitions the
//! nodes the way a broken link does: every connection through them is
//! held open and carries nothing, new ones are taken and left silent, so
//! that a sender sees its requests time out, not a refusal. Healing closes
//! the held connections and carries new ones again.

use std::net::SocketAddr;

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

/// One relay: where it listens, and the switch that cuts it.
pub struct Relay {
    pub listen: SocketAddr,
    cut: watch::Sender<bool>,
}

/// Waits until the relay's state is `cut`; returns at once if it is.
async fn until(switch: &mut watch::Receiver<bool>, cut: bool) {
    while *switch.borrow_and_update() != cut {
        if switch.changed().await.is_err() {
            return;
        }
    }
}

/// Carries one connection to `target` until either side ends it; cut, it
/// holds both ends silent until healed, then closes them.
async fn carry(mut inbound: TcpStream, target: SocketAddr, mut switch: watch::Receiver<bool>) {
    if *switch.borrow_and_update() {
        until(&mut switch, false).await;
        return;
    }
    let Ok(mut outbound) = TcpStream::connect(target).await else {
        return;
    };
    let _ = inbound.set_nodelay(true);
    let _ = outbound.set_nodelay(true);
    tokio::select! {
        _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound) => {}
        () = until(&mut switch, true) => until(&mut switch, false).await,
    }
}

impl Relay {
    /// Starts a relay on a free loopback port, carrying to `target`.
    ///
    /// # Panics
    /// No loopback port can be bound.
    pub async fn start(target: SocketAddr) -> Self {
        let listener = TcpListener::bind(("127.0.0.1", 0))
            .await
            .expect("a loopback port for the relay");
        let listen = listener.local_addr().expect("the relay's address");
        let (cut, switch) = watch::channel(false);
        tokio::spawn(async move {
            while let Ok((inbound, _)) = listener.accept().await {
                tokio::spawn(carry(inbound, target, switch.clone()));
            }
        });
        Self { listen, cut }
    }

    /// Cuts the relay: nothing passes until [`Relay::heal`].
    pub fn cut(&self) {
        self.cut.send_replace(true);
    }

    /// Heals the relay: the held connections close, new ones are carried.
    pub fn heal(&self) {
        self.cut.send_replace(false);
    }
}
