//! `--dialect NAME`: the client commands speaking a tutorial's own protocol, byte for byte,
//! so they work against a server written as the tutorials teach.

pub mod command;
pub mod conn;
pub mod echo;
pub mod udp;
pub mod upload;

use std::time::Duration;

/// How long a `--dialect` client waits to connect and for each reply (a command may run
/// for a while before its output comes).
pub const REPLY_TIMEOUT: Duration = Duration::from_secs(60);

/// How long a client of a dialect without replies waits for the server to close after the
/// last upload (it reads nothing; this only lets the server see a clean end).
pub const CLOSE_WAIT: Duration = Duration::from_secs(2);

/// What a dialect without replies prints after a send.
pub const NO_ACK: &str = "sent; this protocol has no acknowledgement";
