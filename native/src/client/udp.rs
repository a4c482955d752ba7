//! `seam udp send TEXT`: one frame in one datagram to `seam serve --udp`, and its echo.
//!
//! UDP keeps message boundaries (one datagram is one frame: no length prefix is needed to
//! find the end, though Seam keeps it to check the datagram is whole) but it neither
//! resends nor warns: a datagram can be lost, and one longer than the receive buffer is
//! cut to it. Seam turns both into errors: no reply within `--timeout` is reported as lost,
//! and a cut reply fails to decode as one whole frame (`truncated`) instead of passing for
//! half a message.

use std::net::{SocketAddr, ToSocketAddrs, UdpSocket};
use std::time::{Duration, Instant};

use seam_core::messages::{Reply, Request};
use seam_core::{decode_datagram, DecodeError, Encoder, Framing};
use serde_json::json;

use super::error::ClientError;
use crate::client::options::UdpSendOptions;
use crate::exit::Exit;

/// Largest payload of one UDP datagram over IPv4.
pub const MAX_DATAGRAM: usize = 65_507;

/// Why a UDP exchange failed.
#[derive(Debug, thiserror::Error)]
pub enum UdpError {
    /// No reply in time.
    #[error("no reply from {to} within {secs} s: the datagram or its echo was lost (UDP does not resend)")]
    Lost {
        /// Where the datagram went.
        to: SocketAddr,
        /// How long we waited.
        secs: f64,
    },
    /// The peer's system answered that nothing listens on that port.
    #[error("nothing answers on UDP at {to}: its system says the port is closed (ICMP port unreachable); the datagram was dropped")]
    Refused {
        /// Where the datagram went.
        to: SocketAddr,
    },
    /// The reply was longer than the receive buffer.
    #[error("the reply was truncated: it is longer than the {buffer}-byte receive buffer, and UDP cuts such a datagram to the buffer ({source})")]
    Truncated {
        /// The buffer's size.
        buffer: usize,
        /// What the decoder found.
        source: DecodeError,
    },
    /// Anything else.
    #[error(transparent)]
    Client(#[from] ClientError),
}

impl UdpError {
    /// The process exit code.
    pub fn exit_code(&self) -> Exit {
        match self {
            UdpError::Lost { .. } | UdpError::Refused { .. } => Exit::Connection,
            UdpError::Truncated { .. } => Exit::Framing,
            UdpError::Client(error) => error.exit_code(),
        }
    }

    /// The failure as a JSON line.
    pub fn to_json(&self) -> serde_json::Value {
        let code = match self {
            UdpError::Lost { .. } => "lost",
            UdpError::Refused { .. } => "port_closed",
            UdpError::Truncated { .. } => "truncated",
            UdpError::Client(error) => return error.to_json(),
        };
        json!({"ok": false, "error": code, "message": self.to_string()})
    }
}

/// Sends the text in one datagram and prints the echo.
pub fn send(args: &UdpSendOptions) -> Result<(), UdpError> {
    let to = args
        .to
        .to_socket_addrs()
        .ok()
        .and_then(|mut addrs| addrs.next())
        .ok_or_else(|| ClientError::Usage(format!("--to {}: not an address", args.to)))?;
    if args.recv_buffer == 0 {
        return Err(ClientError::Usage("--recv-buffer must be at least 1".into()).into());
    }
    let body = args.text.as_bytes();
    let datagram = Encoder::default()
        .frame(
            &Request::Echo {
                size: body.len() as u64,
            },
            body,
        )
        .map_err(|e| ClientError::Usage(e.to_string()))?;
    if datagram.len() > MAX_DATAGRAM {
        return Err(ClientError::Usage(format!(
            "the message makes a {}-byte datagram; UDP carries at most {MAX_DATAGRAM}",
            datagram.len()
        ))
        .into());
    }
    let local: SocketAddr = if to.is_ipv4() {
        "0.0.0.0:0".parse().expect("an address")
    } else {
        "[::]:0".parse().expect("an address")
    };
    let io = |e| ClientError::Lost(e);
    let socket = UdpSocket::bind(local).map_err(io)?;
    // Connected: the system drops datagrams from anyone else, and reports a closed port.
    socket.connect(to).map_err(io)?;
    let wait = Duration::from_secs_f64(args.timeout);
    socket.set_read_timeout(Some(wait)).map_err(io)?;
    let started = Instant::now();
    socket
        .send(&datagram)
        .map_err(|e| classify(e, to, args.timeout))?;
    let mut buf = vec![0u8; args.recv_buffer];
    let n = socket
        .recv(&mut buf)
        .map_err(|e| classify(e, to, args.timeout))?;
    let seconds = started.elapsed().as_secs_f64();
    let decoded = decode_datagram(&Framing::default(), &buf[..n]).map_err(|error| match error {
        DecodeError::Truncated { .. } => UdpError::Truncated {
            buffer: args.recv_buffer,
            source: error,
        },
        other => ClientError::Protocol(other.to_string()).into(),
    })?;
    match Reply::from_header(&decoded.header).map_err(|e| ClientError::Protocol(e.to_string()))? {
        Reply::Echo { .. } if decoded.body == body => {}
        Reply::Echo { .. } => {
            return Err(ClientError::Protocol("the echo differs from the message".into()).into())
        }
        Reply::Error { code, message } => return Err(ClientError::Refused { code, message }.into()),
        other => return Err(ClientError::unexpected("echo", &other).into()),
    }
    let text = String::from_utf8_lossy(decoded.body);
    if args.json {
        println!(
            "{}",
            json!({"ok": true, "op": "udp_send", "bytes": n, "echo": text, "seconds": seconds})
        );
    } else {
        println!("{text}");
    }
    Ok(())
}

/// A failed send or receive, in UDP's terms.
pub(crate) fn classify(error: std::io::Error, to: SocketAddr, secs: f64) -> UdpError {
    match error.kind() {
        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut => {
            UdpError::Lost { to, secs }
        }
        std::io::ErrorKind::ConnectionRefused => UdpError::Refused { to },
        _ => ClientError::Lost(error).into(),
    }
}
