//! The client side of every dialect, sans IO: the exact bytes a tutorial client sends, and
//! a reader of the server's replies.
//!
//! # The rules Seam chose where the tutorials rely on luck
//!
//! - A command is sent in one write of at most [`MAX_COMMAND_LEN`] bytes, because the
//!   tutorials' servers read it with one `recv(1024)`.
//! - An echo reply (`echo`, `echo-upper`, `udp-upper`) is exactly as long as the request.
//! - `cmd` and `cmd-len` replies are frames read by the [`Decoder`](crate::Decoder), whose header must hold
//!   `data_size` (`cmd`) or `len` (`cmd-len`); `cmd-struct` replies are a 4-byte signed
//!   little-endian length and that many bytes.
//! - A `cmd-ready` length is 1 to [`MAX_LENGTH_DIGITS`] ASCII digits, complete when the
//!   line has been quiet for [`QUIET_PAUSE_MS`] (the server sends nothing more until it
//!   reads `recv_ready`) or when it ends; the I/O around the reader calls
//!   [`ReplyReader::settle`] then.
//! - `upload-md5` answers are exactly `200`, then `100` or `10000`. Since `100` begins
//!   `10000`, a `100` is final once a byte other than `0` follows it (the next upload's
//!   `200`), or the line has been quiet for [`QUIET_PAUSE_MS`], or it ends.

use serde::Serialize;
use thiserror::Error;

use super::python_json;
use super::Dialect;
use crate::PREFIX_LEN;

mod reply;

pub use reply::{ReplyError, ReplyEvent, ReplyReader};

/// What a `cmd-ready` client sends once it has the length.
pub const RECV_READY: &[u8] = b"recv_ready";
/// What an `upload-md5` server sends once the whole body is in.
pub const BODY_RECEIVED: &[u8] = b"200";
/// What an `upload-md5` server sends when the client's MD5 matches.
pub const MD5_MATCH: &[u8] = b"100";
/// What an `upload-md5` server sends when the client's MD5 does not match.
pub const MD5_MISMATCH: &[u8] = b"10000";
/// The longest command, in bytes: the tutorials' servers read one with `recv(1024)`.
pub const MAX_COMMAND_LEN: usize = 1024;
/// The longest datagram a `udp-upper` server reads (`recvfrom(1024)`).
pub const MAX_DATAGRAM_LEN: usize = 1024;
/// The most digits a `cmd-ready` length may have (a `u64`).
pub const MAX_LENGTH_DIGITS: usize = 20;
/// How long the line must be quiet before a `cmd-ready` length or a `100` is final.
pub const QUIET_PAUSE_MS: u64 = 200;

/// Why a request could not be made.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum RequestError {
    /// The dialect does not have this kind of request.
    #[error("the {dialect} dialect has no {what}; {hint}")]
    WrongDialect {
        /// The dialect asked for.
        dialect: Dialect,
        /// The kind of request.
        what: &'static str,
        /// Which dialects have it.
        hint: &'static str,
    },
    /// An empty message: `send(b'')` sends nothing, and the server would wait forever.
    #[error("the message is empty: a tutorial server would wait for it forever")]
    Empty,
    /// A command or datagram longer than the tutorial server reads at once.
    #[error("the {what} is {len} bytes; a tutorial server reads at most {limit} at once")]
    TooLong {
        /// A command or a datagram.
        what: &'static str,
        /// Its length.
        len: usize,
        /// The most the server reads.
        limit: usize,
    },
    /// The header is longer than `struct.pack('i')` can say.
    #[error("the header is {0} bytes, more than struct.pack('i') holds")]
    HeaderTooLong(usize),
    /// The header could not be written as JSON.
    #[error("the header could not be written: {0}")]
    Json(String),
    /// Not an MD5 in hex.
    #[error("{0:?} is not an MD5: 32 lower-case hex digits")]
    NotAnMd5(String),
}

/// The `upload-md5` header, in the seed's key order.
#[derive(Serialize)]
struct UploadMd5Header<'a> {
    action: &'static str,
    filename: &'a str,
    filesize: u64,
}

/// The `ftp` header, in the seed's key order.
#[derive(Serialize)]
struct FtpHeader<'a> {
    cmd: &'static str,
    filename: &'a str,
    filesize: u64,
}

/// The `movie` header, in the seed's key order.
#[derive(Serialize)]
struct MovieHeader<'a> {
    size: u64,
    filename: &'a str,
}

/// The bytes before an upload's body: `struct.pack('i', len(h))` + `json.dumps(header)`.
pub fn upload_head(
    dialect: Dialect,
    filename: &str,
    filesize: u64,
) -> Result<Vec<u8>, RequestError> {
    let json = match dialect {
        Dialect::UploadMd5 => python_json::dumps(&UploadMd5Header {
            action: "put",
            filename,
            filesize,
        }),
        Dialect::Ftp => python_json::dumps(&FtpHeader {
            cmd: "put",
            filename,
            filesize,
        }),
        Dialect::Movie => python_json::dumps(&MovieHeader {
            size: filesize,
            filename,
        }),
        _ => {
            return Err(RequestError::WrongDialect {
                dialect,
                what: "uploads",
                hint: "the upload dialects are ftp, movie and upload-md5",
            })
        }
    }
    .map_err(|e| RequestError::Json(e.to_string()))?;
    let len = i32::try_from(json.len()).map_err(|_| RequestError::HeaderTooLong(json.len()))?;
    let mut out = Vec::with_capacity(PREFIX_LEN + json.len());
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(json.as_bytes());
    Ok(out)
}

/// The bytes of a command request: the bare command text, in one write.
pub fn command_request(dialect: Dialect, command: &str) -> Result<Vec<u8>, RequestError> {
    if !dialect.runs_commands() {
        return Err(RequestError::WrongDialect {
            dialect,
            what: "commands",
            hint: "the command dialects are cmd, cmd-len, cmd-struct and cmd-ready",
        });
    }
    bare(command.as_bytes(), "command", MAX_COMMAND_LEN)
}

/// The bytes of an echo request (`echo`, `echo-upper`, `udp-upper`): the bare text.
pub fn echo_request(dialect: Dialect, text: &[u8]) -> Result<Vec<u8>, RequestError> {
    match dialect {
        Dialect::Echo | Dialect::EchoUpper => bare(text, "message", usize::MAX),
        Dialect::UdpUpper => bare(text, "datagram", MAX_DATAGRAM_LEN),
        _ => Err(RequestError::WrongDialect {
            dialect,
            what: "echo",
            hint: "the echo dialects are echo, echo-upper and udp-upper",
        }),
    }
}

fn bare(bytes: &[u8], what: &'static str, limit: usize) -> Result<Vec<u8>, RequestError> {
    if bytes.is_empty() {
        return Err(RequestError::Empty);
    }
    if bytes.len() > limit {
        return Err(RequestError::TooLong {
            what,
            len: bytes.len(),
            limit,
        });
    }
    Ok(bytes.to_vec())
}

/// The echo a correct server sends back: the same bytes, or upper-cased as Python's
/// `bytes.upper()` does (ASCII letters only).
pub fn expected_echo(dialect: Dialect, request: &[u8]) -> Vec<u8> {
    match dialect {
        Dialect::EchoUpper | Dialect::UdpUpper => request.to_ascii_uppercase(),
        _ => request.to_vec(),
    }
}

/// The bytes of the `upload-md5` client's second message: the MD5 as 32 hex digits.
pub fn md5_message(hex: &str) -> Result<Vec<u8>, RequestError> {
    if hex.len() == 32 && hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
        Ok(hex.as_bytes().to_vec())
    } else {
        Err(RequestError::NotAnMd5(hex.to_string()))
    }
}

#[cfg(test)]
mod tests;
