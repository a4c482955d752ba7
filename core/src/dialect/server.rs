//! The server side of every dialect, sans-IO: what the server reads from a tutorial client
//! and the exact bytes it answers with.
//!
//! The framed parts (the upload headers) go through the [`Decoder`]; the replies that are
//! frames (`cmd`, `cmd-len`) come from the [`Encoder`] with the header text written as
//! Python's `json.dumps` writes it. The unframed parts follow these rules, chosen so that
//! the same bytes mean the same thing however the network cuts them:
//!
//! - **A bare command** (`cmd`, `cmd-len`, `cmd-struct`, `cmd-ready`) ends at the first
//!   newline, or, for a client that sends none (the tutorials' clients), at the moment the
//!   client goes quiet: the server's I/O layer calls [`CommandReader::quiet`] when no byte
//!   has arrived for a short while ([`COMMAND_QUIET_MS`]) after some text. Surrounding
//!   white space is dropped and blank commands are ignored. A command is UTF-8 text of at
//!   most [`MAX_COMMAND_LEN`] bytes, split into arguments by shell-word rules (quotes and
//!   backslashes; never a shell: `;`, `|`, `$` and `*` are plain characters).
//! - **`recv_ready`** (`cmd-ready`): after the length digits, exactly the 10 bytes
//!   `recv_ready`, then the output follows.
//! - **The MD5** (`upload-md5`): after `200`, exactly 32 hexadecimal digits (either case).
//!   Any byte after them belongs to the next upload.
//! - **echo / echo-upper / udp-upper**: every byte comes back as it arrives; upper-casing is
//!   ASCII-only, as Python's `bytes.upper()`, so a reply is never longer than its request.

use std::borrow::Cow;

use serde::Serialize;
use serde_json::value::RawValue;
use serde_json::Value;
use thiserror::Error;

use super::python_json;
use super::Dialect;
use crate::{DecodeError, Decoder, Encoder, Event, Framing, Header};

/// What `upload-md5` answers once a body is in: send your MD5 now.
pub const ACCEPTED: &[u8] = b"200";
/// What `upload-md5` answers when the client's MD5 matches: the file is stored.
pub const MD5_MATCH: &[u8] = b"100";
/// What `upload-md5` answers when the client's MD5 does not match: nothing is stored.
pub const MD5_MISMATCH: &[u8] = b"10000";
/// What a `cmd-ready` client sends once it has read the output's length.
pub const RECV_READY: &[u8] = b"recv_ready";
/// Length of an MD5 in hexadecimal digits.
pub const MD5_HEX_LEN: usize = 32;
/// Longest bare command accepted, in bytes.
pub const MAX_COMMAND_LEN: usize = 4096;
/// How long a client must stay quiet after sending text without a newline for the text to
/// count as a whole command (milliseconds).
pub const COMMAND_QUIET_MS: u64 = 100;
/// Longest command output a reply can announce: `struct.pack('i', n)` is signed.
pub const MAX_OUTPUT_LEN: u64 = i32::MAX as u64;
/// The file name a `cmd-len` reply names, as the tutorial's server does.
pub const CMD_LEN_FILENAME: &str = "cls.txt";

/// The reply of `echo` or `echo-upper` to bytes just received: the same bytes, or their
/// ASCII upper case.
pub fn echo_reply(dialect: Dialect, bytes: &[u8]) -> Cow<'_, [u8]> {
    match dialect {
        Dialect::EchoUpper | Dialect::UdpUpper => Cow::Owned(bytes.to_ascii_uppercase()),
        _ => Cow::Borrowed(bytes),
    }
}

/// The reply of `udp-upper` to one datagram: the same length, ASCII upper-cased.
pub fn datagram_reply(datagram: &[u8]) -> Vec<u8> {
    datagram.to_ascii_uppercase()
}

/// Why a bare command was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CommandError {
    /// More than [`MAX_COMMAND_LEN`] bytes without an end.
    #[error("the command is longer than {MAX_COMMAND_LEN} bytes")]
    TooLong,
    /// The command is not UTF-8 text.
    #[error("the command is not UTF-8 text")]
    NotUtf8,
    /// The command's quotes do not close.
    #[error("the command cannot be split into arguments: {0}")]
    BadQuoting(String),
}

/// Reads bare commands from a byte stream: see the module docs for the rule.
#[derive(Debug, Default, Clone)]
pub struct CommandReader {
    held: Vec<u8>,
}

impl CommandReader {
    /// A reader holding nothing.
    pub fn new() -> Self {
        CommandReader::default()
    }

    /// Whether text without an end is held (the I/O layer then waits only a short quiet
    /// time before calling [`CommandReader::quiet`]).
    pub fn holds_text(&self) -> bool {
        !self.held.is_empty()
    }

    /// Consumes bytes from `input` up to and including a newline; returns the command a
    /// newline completes. Without a newline, all of `input` is consumed and held.
    pub fn feed(&mut self, input: &mut &[u8]) -> Result<Option<String>, CommandError> {
        while !input.is_empty() {
            let (line, ended) = match input.iter().position(|&b| b == b'\n') {
                Some(i) => (&input[..i], true),
                None => (&input[..], false),
            };
            if self.held.len() + line.len() > MAX_COMMAND_LEN {
                return Err(CommandError::TooLong);
            }
            self.held.extend_from_slice(line);
            *input = &input[line.len() + usize::from(ended)..];
            if ended {
                if let Some(command) = self.take()? {
                    return Ok(Some(command));
                }
            }
        }
        Ok(None)
    }

    /// The client went quiet: what is held is a whole command (`None` if only white space).
    pub fn quiet(&mut self) -> Result<Option<String>, CommandError> {
        self.take()
    }

    fn take(&mut self) -> Result<Option<String>, CommandError> {
        let held = std::mem::take(&mut self.held);
        let text = String::from_utf8(held).map_err(|_| CommandError::NotUtf8)?;
        let text = text.trim();
        Ok((!text.is_empty()).then(|| text.to_string()))
    }
}

/// Splits a command into its arguments by shell-word rules (never through a shell).
pub fn command_argv(command: &str) -> Result<Vec<String>, CommandError> {
    shell_words::split(command).map_err(|e| CommandError::BadQuoting(e.to_string()))
}

/// The bytes a command dialect sends before `output_len` bytes of output: `cmd`:
/// `i(len(h))` + `{"data_size": N}`; `cmd-len`: `i(len(h))` + `{"filename": "cls.txt",
/// "len": N}`; `cmd-struct`: `i(N)`; `cmd-ready`: N in ASCII digits (the output then follows
/// only after [`RECV_READY`]). `None` for a dialect that runs no commands, or an output
/// longer than [`MAX_OUTPUT_LEN`].
pub fn command_reply_head(dialect: Dialect, output_len: u64) -> Option<Vec<u8>> {
    #[derive(Serialize)]
    struct DataSize {
        data_size: u64,
    }
    #[derive(Serialize)]
    struct FilenameLen {
        filename: &'static str,
        len: u64,
    }
    if output_len > MAX_OUTPUT_LEN {
        return None;
    }
    match dialect {
        Dialect::Cmd => python_frame_head(&DataSize {
            data_size: output_len,
        }),
        Dialect::CmdLen => python_frame_head(&FilenameLen {
            filename: CMD_LEN_FILENAME,
            len: output_len,
        }),
        Dialect::CmdStruct => Some((output_len as i32).to_le_bytes().to_vec()),
        Dialect::CmdReady => Some(output_len.to_string().into_bytes()),
        _ => None,
    }
}

/// A frame's prefix and header through the [`Encoder`], the header text as `json.dumps`.
fn python_frame_head<T: Serialize>(header: &T) -> Option<Vec<u8>> {
    let text = python_json::dumps(header).ok()?;
    let raw = RawValue::from_string(text).ok()?;
    let mut out = Vec::new();
    Encoder::new(Framing::default())
        .encode_head(&*raw, &mut out)
        .ok()?;
    Some(out)
}

/// Why a `cmd-ready` client's bytes after the length were not `recv_ready`.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("expected \"recv_ready\", got byte {byte:#04x} at position {at}")]
pub struct NotReady {
    /// The first byte that differs.
    pub byte: u8,
    /// Its position within the 10 bytes.
    pub at: usize,
}

/// Reads exactly [`RECV_READY`] from a `cmd-ready` client.
#[derive(Debug, Default, Clone)]
pub struct ReadyReader {
    have: usize,
}

impl ReadyReader {
    /// A reader that has seen nothing yet.
    pub fn new() -> Self {
        ReadyReader::default()
    }

    /// Consumes at most the missing bytes of `recv_ready`; `true` once all 10 are in.
    pub fn feed(&mut self, input: &mut &[u8]) -> Result<bool, NotReady> {
        while self.have < RECV_READY.len() {
            let Some((&byte, rest)) = input.split_first() else {
                return Ok(false);
            };
            if byte != RECV_READY[self.have] {
                return Err(NotReady {
                    byte,
                    at: self.have,
                });
            }
            *input = rest;
            self.have += 1;
        }
        Ok(true)
    }
}

/// An upload a tutorial client asks for: the name it gives and the body's length.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadRequest {
    /// The `filename` field, unchecked (the server checks it as any name from the network).
    pub name: String,
    /// The body's length.
    pub size: u64,
}

/// Why an upload header is not the dialect's.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum UploadHeaderError {
    /// A field is missing or of the wrong kind.
    #[error("the header needs {0}")]
    Missing(&'static str),
    /// The verb is not `put`.
    #[error("\"{field}\" is {value}; only \"put\" is served")]
    NotPut {
        /// `cmd` or `action`.
        field: &'static str,
        /// The field's JSON text.
        value: String,
    },
}

/// The header field that gives an upload dialect's body length.
fn size_field(dialect: Dialect) -> &'static str {
    match dialect {
        Dialect::Movie => "size",
        _ => "filesize",
    }
}

/// The framing of an upload dialect's headers: the dialect's one size field, bodies up to
/// `max_body_len` (a longer one is a decode error: it cannot be skipped in reasonable time).
fn upload_framing(dialect: Dialect, max_body_len: u64) -> Framing {
    Framing {
        size_fields: vec![size_field(dialect).to_string()],
        max_body_len,
        ..Framing::default()
    }
}

/// Reads an upload dialect's header: `ftp` `{"cmd": "put", "filename", "filesize"}`,
/// `upload-md5` `{"action": "put", "filename", "filesize"}`, `movie` `{"size",
/// "filename"}`; `body_len` is what the decoder found in the size field.
fn upload_request(
    dialect: Dialect,
    header: &Header,
    body_len: u64,
) -> Result<UploadRequest, UploadHeaderError> {
    let verb = match dialect {
        Dialect::Ftp => Some("cmd"),
        Dialect::UploadMd5 => Some("action"),
        _ => None,
    };
    if let Some(field) = verb {
        match header.get(field) {
            Some(Value::String(value)) if value == "put" => {}
            Some(other) => {
                return Err(UploadHeaderError::NotPut {
                    field,
                    value: serde_json::to_string(other).unwrap_or_default(),
                })
            }
            None => {
                return Err(UploadHeaderError::Missing(if field == "cmd" {
                    "\"cmd\": \"put\""
                } else {
                    "\"action\": \"put\""
                }))
            }
        }
    }
    let Some(Value::String(name)) = header.get("filename") else {
        return Err(UploadHeaderError::Missing("a \"filename\" string"));
    };
    if !header.contains_key(size_field(dialect)) {
        return Err(UploadHeaderError::Missing(if dialect == Dialect::Movie {
            "a \"size\""
        } else {
            "a \"filesize\""
        }));
    }
    Ok(UploadRequest {
        name: name.clone(),
        size: body_len,
    })
}

/// What an upload dialect's client sent, step by step.
#[derive(Debug, PartialEq, Eq)]
pub enum UploadEvent<'a> {
    /// A header: the upload it asks for, or why it is not one (its body is then skipped).
    Header(Result<UploadRequest, UploadHeaderError>),
    /// A piece of the body, borrowed from the input.
    Body(&'a [u8]),
    /// The whole body is in. For `upload-md5` an accepted upload now waits for the MD5
    /// (answer [`ACCEPTED`]); a refused one goes on with the next header.
    BodyEnd,
    /// `upload-md5`: the client's MD5, lower-cased.
    Md5(String),
}

/// Why an upload conversation cannot go on.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum UploadError {
    /// The framed part is broken (or a body is over the limit).
    #[error(transparent)]
    Decode(#[from] DecodeError),
    /// A byte of the MD5 is not a hexadecimal digit.
    #[error("byte {at} of the MD5 is {byte:#04x}, not a hexadecimal digit")]
    BadMd5 {
        /// The byte.
        byte: u8,
        /// Its position within the 32 digits.
        at: usize,
    },
    /// The stream ended while the MD5 was awaited.
    #[error("the connection ended before the MD5 ({have} of {MD5_HEX_LEN} digits)")]
    NoMd5 {
        /// Digits received.
        have: usize,
    },
}

#[derive(Debug)]
enum UploadState {
    Framed,
    Md5(Vec<u8>),
}

/// The server side of `ftp`, `movie` and `upload-md5`: headers and bodies through the
/// [`Decoder`], then (for `upload-md5`) the 32 hex digits of the MD5.
#[derive(Debug)]
pub struct UploadServer {
    dialect: Dialect,
    decoder: Decoder,
    state: UploadState,
    refused: bool,
}

impl UploadServer {
    /// The server side of an upload dialect (`None` for another dialect).
    pub fn new(dialect: Dialect, max_body_len: u64) -> Option<UploadServer> {
        dialect.uploads().then(|| UploadServer {
            dialect,
            decoder: Decoder::new(upload_framing(dialect, max_body_len)),
            state: UploadState::Framed,
            refused: false,
        })
    }

    /// Marks the current upload refused (a bad name, say): its body is then only skipped,
    /// and `upload-md5` expects no MD5 for it.
    pub fn refuse(&mut self) {
        self.refused = true;
    }

    /// Bytes of the framed stream consumed so far (the MD5 digits not counted).
    pub fn position(&self) -> u64 {
        self.decoder.position()
    }

    /// Consumes bytes from the front of `input` and returns the next event, or `Ok(None)`
    /// when `input` is used up.
    pub fn poll<'a>(
        &mut self,
        input: &mut &'a [u8],
    ) -> Result<Option<UploadEvent<'a>>, UploadError> {
        if let UploadState::Md5(digits) = &mut self.state {
            while digits.len() < MD5_HEX_LEN {
                let Some((&byte, rest)) = input.split_first() else {
                    return Ok(None);
                };
                if !byte.is_ascii_hexdigit() {
                    return Err(UploadError::BadMd5 {
                        byte,
                        at: digits.len(),
                    });
                }
                digits.push(byte.to_ascii_lowercase());
                *input = rest;
            }
            let md5 = String::from_utf8(std::mem::take(digits)).expect("hex digits are ASCII");
            self.state = UploadState::Framed;
            return Ok(Some(UploadEvent::Md5(md5)));
        }
        loop {
            let Some(event) = self.decoder.poll(input)? else {
                return Ok(None);
            };
            match event {
                Event::Length { .. } => continue,
                Event::Header {
                    header, body_len, ..
                } => {
                    let request = upload_request(self.dialect, &header, body_len);
                    self.refused = request.is_err();
                    return Ok(Some(UploadEvent::Header(request)));
                }
                Event::BodyPiece { bytes, .. } => return Ok(Some(UploadEvent::Body(bytes))),
                Event::MessageEnd { .. } => {
                    if self.dialect == Dialect::UploadMd5 && !self.refused {
                        self.state = UploadState::Md5(Vec::with_capacity(MD5_HEX_LEN));
                    }
                    self.refused = false;
                    return Ok(Some(UploadEvent::BodyEnd));
                }
            }
        }
    }

    /// The stream ended: fine between uploads, an error anywhere else.
    pub fn finish(&mut self) -> Result<(), UploadError> {
        if let UploadState::Md5(digits) = &self.state {
            return Err(UploadError::NoMd5 { have: digits.len() });
        }
        Ok(self.decoder.finish()?)
    }
}

#[cfg(test)]
mod tests;
