//! The client commands: each takes its options ([`options`]), opens a [`Session`] with the
//! server (or, with a dialect, speaks a tutorial's own protocol) and says what it did.

pub mod chat;
mod connect;
pub mod dialect;
mod error;
pub mod exec;
pub mod get;
pub mod list;
pub mod options;
mod output;
mod progress;
pub mod put;
pub mod send;
mod session;
pub mod udp;

pub use error::ClientError;
pub use output::print_result;
pub use progress::Progress;
pub use session::Session;

use crate::exit::Exit;

/// What a failed client command reports: a sentence, an exit code and a JSON line.
pub trait CommandError: std::fmt::Display {
    /// The process exit code.
    fn exit_code(&self) -> Exit;
    /// The failure as a JSON line for `--json`.
    fn to_json(&self) -> serde_json::Value;
}

impl CommandError for ClientError {
    fn exit_code(&self) -> Exit {
        ClientError::exit_code(self)
    }
    fn to_json(&self) -> serde_json::Value {
        ClientError::to_json(self)
    }
}

impl CommandError for udp::UdpError {
    fn exit_code(&self) -> Exit {
        udp::UdpError::exit_code(self)
    }
    fn to_json(&self) -> serde_json::Value {
        udp::UdpError::to_json(self)
    }
}
