//! What can go wrong in a client command, and the exit code each cause gives.

use std::path::Path;

use seam_core::messages::{ErrorCode, Reply};
use seam_core::DecodeError;
use serde_json::json;
use thiserror::Error;

use crate::exit::Exit;
use crate::wire::WireError;

/// Why a client command failed.
#[derive(Debug, Error)]
pub enum ClientError {
    /// The server could not be reached.
    #[error("cannot connect to {0}: {1}")]
    Connect(String, std::io::Error),
    /// The connection failed mid-way.
    #[error("connection lost: {0}")]
    Lost(std::io::Error),
    /// The server closed the connection without answering.
    #[error("the server closed the connection without answering")]
    Closed,
    /// The server broke the framing or the protocol.
    #[error("the server broke the protocol: {0}")]
    Protocol(String),
    /// The server refused the request.
    #[error("the server refused: {message} ({code})", code = code.as_str())]
    Refused {
        /// Its stable code.
        code: ErrorCode,
        /// Its sentence.
        message: String,
    },
    /// A local file could not be read or written.
    #[error("{path}: {source}")]
    Local {
        /// The file.
        path: String,
        /// What failed.
        source: std::io::Error,
    },
    /// The MD5 of the bytes received does not match the sender's.
    #[error("MD5 mismatch for {name}: received {actual}, the server says {expected}; nothing was written under the final name")]
    Md5Mismatch {
        /// The file.
        name: String,
        /// What the sender said.
        expected: String,
        /// What the bytes give.
        actual: String,
    },
    /// The destination exists.
    #[error("{0} exists; use --force to replace it")]
    Exists(String),
    /// The TLS handshake failed, or the server's certificate is not the one trusted.
    #[error("{0}")]
    Tls(String),
    /// The command line asks for something impossible.
    #[error("{0}")]
    Usage(String),
}

impl ClientError {
    /// A local file error.
    pub fn local(path: &Path, source: std::io::Error) -> ClientError {
        ClientError::Local {
            path: path.display().to_string(),
            source,
        }
    }

    /// The server answered something else than expected.
    pub fn unexpected(wanted: &str, got: &Reply) -> ClientError {
        ClientError::Protocol(format!(
            "expected {wanted}, got {}",
            serde_json::to_string(got).unwrap_or_default()
        ))
    }

    /// The process exit code for this failure.
    pub fn exit_code(&self) -> Exit {
        match self {
            ClientError::Connect(..)
            | ClientError::Lost(_)
            | ClientError::Closed
            | ClientError::Tls(_) => Exit::Connection,
            ClientError::Protocol(_) => Exit::Framing,
            ClientError::Refused {
                code: ErrorCode::Exists,
                ..
            }
            | ClientError::Exists(_) => Exit::Exists,
            ClientError::Refused {
                code: ErrorCode::Md5Mismatch,
                ..
            }
            | ClientError::Md5Mismatch { .. } => Exit::Md5,
            // The server's object store is down: the server refused, nothing was stored.
            ClientError::Refused {
                code: ErrorCode::StoreUnavailable,
                ..
            } => Exit::Refused,
            ClientError::Refused { .. } => Exit::Refused,
            ClientError::Local { .. } => Exit::Io,
            ClientError::Usage(_) => Exit::Usage,
        }
    }

    /// The failure as a JSON line for `--json`.
    pub fn to_json(&self) -> serde_json::Value {
        let code = match self {
            ClientError::Refused { code, .. } => code.as_str().to_string(),
            ClientError::Connect(..) | ClientError::Lost(_) | ClientError::Closed => {
                "connection".into()
            }
            ClientError::Protocol(_) => "protocol".into(),
            ClientError::Tls(_) => "tls".into(),
            ClientError::Local { .. } => "local_io".into(),
            ClientError::Md5Mismatch { .. } => "md5_mismatch".into(),
            ClientError::Exists(_) => "exists".into(),
            ClientError::Usage(_) => "usage".into(),
        };
        json!({"ok": false, "error": code, "message": self.to_string()})
    }
}

impl From<WireError> for ClientError {
    fn from(error: WireError) -> ClientError {
        match error {
            WireError::Io(e) => ClientError::Lost(e),
            // A stream that ends inside a frame is a connection lost, not a broken protocol.
            WireError::Decode(e @ DecodeError::Truncated { .. }) => ClientError::Lost(
                std::io::Error::new(std::io::ErrorKind::UnexpectedEof, e.to_string()),
            ),
            WireError::Decode(e) => ClientError::Protocol(e.to_string()),
            WireError::Encode(e) => ClientError::Usage(e.to_string()),
        }
    }
}
