//! `udp-upper`: one datagram in, one datagram back, ASCII upper-cased and so never larger
//! than the request (`seam_core::dialect::server::datagram_reply`).

use seam_core::dialect::server::datagram_reply;
use tokio::net::UdpSocket;
use tokio::sync::watch;
use tracing::{debug, warn};

/// The largest UDP payload over IPv4 (65,535 - 8 - 20).
const DATAGRAM_BUF: usize = 65_507;

/// Answers datagrams until the server shuts down.
pub async fn serve(socket: UdpSocket, mut shutdown: watch::Receiver<bool>) {
    let mut buf = vec![0u8; DATAGRAM_BUF];
    loop {
        let (n, peer) = tokio::select! {
            received = socket.recv_from(&mut buf) => match received {
                Ok(pair) => pair,
                // An ICMP error from an earlier reply (the peer's port closed): not ours to fix.
                Err(error) => {
                    debug!(%error, "tutorial UDP receive failed");
                    continue;
                }
            },
            _ = shutdown.wait_for(|stop| *stop) => return,
        };
        let reply = datagram_reply(&buf[..n]);
        if let Err(error) = socket.send_to(&reply, peer).await {
            warn!(%peer, %error, "tutorial UDP reply failed");
        }
    }
}
