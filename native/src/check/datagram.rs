//! Plays a cut of `udp-upper`: one datagram (or two back to back), and each reply must be
//! the request upper-cased, never larger.

use std::net::SocketAddr;
use std::time::Duration;

use seam_core::dialect::client::expected_echo;
use tokio::net::UdpSocket;

use super::cuts::CutPlan;
use super::play::Ctx;
use super::report::Verdict;
use super::workload;

/// Why the server could not be reached at all.
#[derive(Debug, thiserror::Error)]
pub enum Unreachable {
    /// The address is not one.
    #[error("{0}: not an address")]
    BadAddress(String),
    /// The system reports the port closed.
    #[error("nothing listens on UDP at {0}: its system says the port is closed")]
    PortClosed(String),
    /// The local socket failed.
    #[error("UDP socket: {0}")]
    Io(std::io::Error),
}

/// Plays one cut. `Err` only when the server cannot be reached at all.
pub async fn play(ctx: &Ctx, plan: &CutPlan) -> Result<Verdict, Unreachable> {
    let to: SocketAddr = tokio::net::lookup_host(&ctx.addr)
        .await
        .ok()
        .and_then(|mut addrs| addrs.next())
        .ok_or_else(|| Unreachable::BadAddress(ctx.addr.clone()))?;
    let local = if to.is_ipv4() {
        SocketAddr::from(([0, 0, 0, 0], 0))
    } else {
        SocketAddr::from(([0u16; 8], 0))
    };
    let socket = UdpSocket::bind(local).await.map_err(Unreachable::Io)?;
    socket.connect(to).await.map_err(Unreachable::Io)?;
    let count = if plan.back_to_back { 2 } else { 1 };
    let requests = workload::echo_requests(ctx.dialect, count)
        .map_err(|e| Unreachable::Io(std::io::Error::other(e.to_string())))?;
    for request in &requests {
        socket.send(request).await.map_err(Unreachable::Io)?;
    }
    for (index, request) in requests.iter().enumerate() {
        let mut buf = vec![0u8; request.len() + 1];
        let n = match tokio::time::timeout(ctx.timeout, socket.recv(&mut buf)).await {
            Err(_) => return Ok(Verdict::Fail(no_reply(ctx.timeout, index))),
            Ok(Err(error)) if error.kind() == std::io::ErrorKind::ConnectionRefused => {
                return Err(Unreachable::PortClosed(ctx.addr.clone()))
            }
            Ok(Err(error)) => return Ok(Verdict::Fail(format!("UDP error: {error}"))),
            Ok(Ok(n)) => n,
        };
        if n > request.len() {
            return Ok(Verdict::Fail(format!(
                "reply {} is larger than its {}-byte request",
                index + 1,
                request.len()
            )));
        }
        let expected = expected_echo(ctx.dialect, request);
        if buf[..n] != expected[..] {
            return Ok(Verdict::Fail(format!(
                "reply {} was {:?}, expected {:?}",
                index + 1,
                String::from_utf8_lossy(&buf[..n]),
                String::from_utf8_lossy(&expected)
            )));
        }
    }
    Ok(Verdict::Pass)
}

fn no_reply(timeout: Duration, index: usize) -> String {
    let which = if index == 0 {
        ""
    } else {
        " to the second datagram"
    };
    format!(
        "no reply{which} within {} s (UDP does not resend: a lost datagram stays lost)",
        timeout.as_secs_f64()
    )
}
