//! `seam serve --udp`: echo over UDP on the TCP port's address. One datagram holds exactly
//! one frame; the answer is `seam_core::messages::answer_echo_datagram`'s, which is never
//! longer than the request (no amplification), or nothing.

use std::net::SocketAddr;

use anyhow::Context;
use seam_core::messages::answer_echo_datagram;
use seam_core::Encoder;
use tokio::net::UdpSocket;
use tokio::sync::watch;
use tracing::{debug, warn};

/// The largest UDP payload (IPv4: 65,535 - 8 - 20), plus one byte so that nothing we are
/// sent can be cut short unseen.
const DATAGRAM_BUF: usize = 65_508;

/// Binds the UDP socket (before the server announces itself, so a bind failure stops it).
pub async fn bind(addr: SocketAddr) -> anyhow::Result<UdpSocket> {
    UdpSocket::bind(addr)
        .await
        .with_context(|| format!("cannot listen on UDP {addr}"))
}

/// Answers datagrams until the server shuts down.
pub async fn serve(socket: UdpSocket, mut shutdown: watch::Receiver<bool>) {
    let encoder = Encoder::default();
    let mut buf = vec![0u8; DATAGRAM_BUF];
    loop {
        let (n, peer) = tokio::select! {
            received = socket.recv_from(&mut buf) => match received {
                Ok(pair) => pair,
                // An ICMP error from an earlier reply (the peer's port closed): not ours to fix.
                Err(error) => {
                    debug!(%error, "UDP receive failed");
                    continue;
                }
            },
            _ = shutdown.wait_for(|stop| *stop) => return,
        };
        let answer = answer_echo_datagram(&encoder, &buf[..n]);
        if let Some(problem) = &answer.problem {
            debug!(%peer, bytes = n, %problem, replied = answer.reply.is_some(), "UDP request not echoed");
        }
        if let Some(reply) = answer.reply {
            debug_assert!(reply.len() <= n);
            if let Err(error) = socket.send_to(&reply, peer).await {
                warn!(%peer, %error, "UDP reply failed");
            }
        }
    }
}
