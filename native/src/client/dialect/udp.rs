//! `seam udp send --dialect udp-upper TEXT`: one datagram of bare text, as the tutorial's
//! UDP client sends it, and one datagram back: the text upper-cased, never larger.

use std::net::{SocketAddr, ToSocketAddrs, UdpSocket};
use std::time::{Duration, Instant};

use seam_core::dialect::client::{echo_request, expected_echo};
use seam_core::dialect::Dialect;
use serde_json::json;

use crate::client::error::ClientError;
use crate::client::options::UdpSendOptions;
use crate::client::udp::{classify, UdpError};

/// Sends the datagram and prints the reply.
pub fn send(args: &UdpSendOptions, dialect: Dialect) -> Result<(), UdpError> {
    let to = args
        .to
        .to_socket_addrs()
        .ok()
        .and_then(|mut addrs| addrs.next())
        .ok_or_else(|| ClientError::Usage(format!("--to {}: not an address", args.to)))?;
    let request = echo_request(dialect, args.text.as_bytes())
        .map_err(|e| ClientError::Usage(e.to_string()))?;
    let local: SocketAddr = if to.is_ipv4() {
        SocketAddr::from(([0, 0, 0, 0], 0))
    } else {
        SocketAddr::from(([0u16; 8], 0))
    };
    let socket = UdpSocket::bind(local).map_err(ClientError::Lost)?;
    socket.connect(to).map_err(ClientError::Lost)?;
    socket
        .set_read_timeout(Some(Duration::from_secs_f64(args.timeout)))
        .map_err(ClientError::Lost)?;
    let started = Instant::now();
    socket
        .send(&request)
        .map_err(|e| classify(e, to, args.timeout))?;
    // One byte more than the request may be: a longer reply shows as longer, not cut.
    let mut buf = vec![0u8; args.recv_buffer.max(request.len() + 1)];
    let n = socket
        .recv(&mut buf)
        .map_err(|e| classify(e, to, args.timeout))?;
    let seconds = started.elapsed().as_secs_f64();
    let expected = expected_echo(dialect, &request);
    if buf[..n] != expected[..] {
        return Err(ClientError::Protocol(format!(
            "the server answered {:?}; the {dialect} dialect answers {:?}",
            String::from_utf8_lossy(&buf[..n]),
            String::from_utf8_lossy(&expected)
        ))
        .into());
    }
    let text = String::from_utf8_lossy(&buf[..n]);
    if args.json {
        println!(
            "{}",
            json!({"ok": true, "op": "udp_send", "dialect": dialect.as_str(), "bytes": n, "echo": text, "seconds": seconds})
        );
    } else {
        println!("{text}");
    }
    Ok(())
}
