//! The messages Seam's server, client and browser page exchange, as frame headers.
//!
//! Every header carries its kind in `"op"`. A message with a body declares its length in
//! `"size"`; the body follows the header as raw bytes. Transfers are designed to stream:
//!
//! ```text
//! upload:    put {name, total, resume, force}  ->  ready {name, offset}
//!            put_data {size} + body (bytes offset..total), put_end {md5}  ->  stored {name, total, md5}
//! download:  get {name, offset}                ->  file {name, size, offset, total} + body  then  file_end {md5}
//! command:   exec {argv}   ->  output {stream, size} + body ... (as produced)  then  exit {code, signal}
//! chat:      chat_join {name}, chat {text}  ->  chat_joined {name}, chat_line {from, text}, chat_left {name}
//! echo:      echo {size} + body            ->  echo {size} + the same body
//! ```
//!
//! The MD5 of an upload travels after its body, so a client reads its file once; a download
//! announces its size first and its MD5 after the body. MD5s cover the whole file, also when
//! a transfer resumes at `offset`.

use std::borrow::Cow;

use std::str::FromStr;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use strum::{EnumDiscriminants, EnumString, IntoStaticStr, VariantArray, VariantNames};
use thiserror::Error;

use crate::{decode_datagram, Encoder, Header};

/// What a client asks of the server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, EnumDiscriminants)]
#[serde(tag = "op", rename_all = "snake_case")]
#[strum_discriminants(
    name(RequestOp),
    doc = "The kind of a [`Request`]: its `op`, named as on the wire.",
    derive(Hash, EnumString, IntoStaticStr, VariantNames),
    strum(serialize_all = "snake_case")
)]
pub enum Request {
    /// `hello`: the first frame of a connection, with the token when the server needs one.
    Hello {
        /// The shared secret, when the server was started with one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        token: Option<String>,
        /// The client's name and version, for the logs.
        #[serde(default)]
        client: String,
    },
    /// `put`: announce an upload of a file of `total` bytes; the server answers
    /// [`Reply::Ready`] with the offset to send from, then come [`Request::PutData`] and
    /// [`Request::PutEnd`].
    Put {
        /// The file's name in the server's root.
        name: String,
        /// The whole file's size.
        total: u64,
        /// Continue an interrupted upload from the bytes the server already holds.
        #[serde(default)]
        resume: bool,
        /// Replace an existing file.
        #[serde(default)]
        force: bool,
    },
    /// `put_data`: the file's bytes from the offset the server gave, `size` bytes of body.
    PutData {
        /// Bytes in the body.
        size: u64,
    },
    /// `put_end`: the MD5 of the whole file, sent after the body.
    PutEnd {
        /// 32 lowercase hex digits.
        md5: String,
    },
    /// `get`: download the file `name` from byte `offset`.
    Get {
        /// The file's name in the server's root.
        name: String,
        /// Where to start (non-zero when resuming).
        #[serde(default)]
        offset: u64,
    },
    /// `list`: the files in the server's root.
    List,
    /// `delete`: remove the file `name`.
    Delete {
        /// The file's name.
        name: String,
    },
    /// `list_partial`: the unfinished uploads (partial files) in the server's root.
    ListPartial,
    /// `delete_partial`: remove the partial file of an unfinished upload of `name`.
    DeletePartial {
        /// The name the upload was to have.
        name: String,
    },
    /// `exec`: run an allowed program with these arguments, without a shell.
    Exec {
        /// Program and arguments, passed as they are.
        argv: Vec<String>,
    },
    /// `chat_join`: enter the chat under a name.
    ChatJoin {
        /// The name others see.
        name: String,
    },
    /// `chat`: say a line to everyone in the chat.
    Chat {
        /// The line.
        text: String,
    },
    /// `echo`: send `size` bytes of body back unchanged.
    Echo {
        /// Bytes in the body.
        size: u64,
    },
}

/// What the server answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, EnumDiscriminants)]
#[serde(tag = "op", rename_all = "snake_case")]
#[strum_discriminants(
    name(ReplyOp),
    doc = "The kind of a [`Reply`]: its `op`, named as on the wire.",
    derive(Hash, EnumString, IntoStaticStr, VariantNames),
    strum(serialize_all = "snake_case")
)]
pub enum Reply {
    /// `welcome`: the hello was accepted.
    Welcome {
        /// The server's name and version.
        server: String,
    },
    /// `stored`: an upload was verified and committed under its final name.
    Stored {
        /// The file's name.
        name: String,
        /// The whole file's size.
        total: u64,
        /// The whole file's MD5.
        md5: String,
    },
    /// `ready`: an upload may go on; its `put_data` starts at byte `offset` of the file
    /// (non-zero when resuming).
    Ready {
        /// The file's name.
        name: String,
        /// Bytes the server already holds.
        offset: u64,
    },
    /// `file`: a download starts; `size` bytes of body follow, then a [`Reply::FileEnd`].
    File {
        /// The file's name.
        name: String,
        /// Bytes in this frame's body.
        size: u64,
        /// Where the body starts in the file.
        offset: u64,
        /// The whole file's size.
        total: u64,
    },
    /// `file_end`: the MD5 of the whole file, after a download's body.
    FileEnd {
        /// 32 lowercase hex digits.
        md5: String,
    },
    /// `listing`: the files in the root.
    Listing {
        /// One entry per file, sorted by name.
        files: Vec<FileEntry>,
    },
    /// `deleted`: a file was removed.
    Deleted {
        /// The file's name.
        name: String,
    },
    /// `output`: a piece of a command's output; `size` bytes of body follow.
    Output {
        /// Which stream it came from.
        stream: OutputStream,
        /// Bytes in the body.
        size: u64,
    },
    /// `exit`: the command ended.
    Exit {
        /// Its exit code, when it exited.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        code: Option<i32>,
        /// The signal that killed it, when one did.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        signal: Option<i32>,
    },
    /// `chat_joined`: someone entered the chat.
    ChatJoined {
        /// Their name.
        name: String,
    },
    /// `chat_line`: someone said something.
    ChatLine {
        /// Who said it.
        from: String,
        /// What they said.
        text: String,
    },
    /// `chat_left`: someone left the chat.
    ChatLeft {
        /// Their name.
        name: String,
    },
    /// `echo`: the body of an echo request, sent back.
    Echo {
        /// Bytes in the body.
        size: u64,
    },
    /// `error`: the request failed.
    Error {
        /// A stable code for programs.
        code: ErrorCode,
        /// A sentence for people.
        message: String,
    },
}

/// A file in a [`Reply::Listing`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileEntry {
    /// The file's name.
    pub name: String,
    /// Its size in bytes (named `bytes`, not `size`: a listing has no body).
    pub bytes: u64,
}

/// The stream a piece of command output came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutputStream {
    /// Standard output.
    Stdout,
    /// Standard error.
    Stderr,
}

/// Stable error codes of [`Reply::Error`]; their snake_case names never change.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, IntoStaticStr, VariantArray,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum ErrorCode {
    /// The byte stream broke the framing rules; the connection closes.
    BadFrame,
    /// The header is a valid frame but not a valid request.
    BadRequest,
    /// The `op` is not one the server knows.
    UnknownOp,
    /// A token is required and was missing or wrong.
    Unauthorized,
    /// A file name is not allowed (path, `..`, control characters, too long).
    BadName,
    /// No such file.
    NotFound,
    /// The file exists and `force` was not given.
    Exists,
    /// Another connection is uploading the same name.
    InUse,
    /// A body or file is over a limit.
    TooLarge,
    /// The MD5 sent does not match the bytes received.
    Md5Mismatch,
    /// A resume offset does not match what the server holds.
    OffsetMismatch,
    /// The program is not on the server's allow-list.
    ExecDenied,
    /// A command ran past its time limit.
    Timeout,
    /// A command's output went over its cap.
    OutputLimit,
    /// The connection was idle too long.
    IdleTimeout,
    /// The server is at its connection limit.
    Busy,
    /// A chat member read too slowly and fell too far behind the others; it is disconnected.
    TooSlow,
    /// The server's disk is full: the upload was not kept.
    NoSpace,
    /// The server's object store (S3-compatible bucket) cannot be reached or refused the
    /// operation; nothing half-written is visible. Try again later.
    StoreUnavailable,
    /// The server failed on its side.
    Internal,
}

/// Why a header is not a valid request or reply.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum MessageError {
    /// The header has no `op` field.
    #[error("header has no \"op\" field")]
    MissingOp,
    /// The `op` is not known.
    #[error("unknown op \"{0}\"")]
    UnknownOp(String),
    /// The fields do not fit the `op`.
    #[error("bad \"{op}\" message: {message}")]
    BadFields {
        /// The op.
        op: String,
        /// What serde found wrong.
        message: String,
    },
}

impl ErrorCode {
    /// The code's name on the wire, e.g. `"not_found"`.
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

impl From<&MessageError> for ErrorCode {
    /// `unknown_op` for an op nobody knows, `bad_request` for any other bad message.
    fn from(error: &MessageError) -> ErrorCode {
        match error {
            MessageError::UnknownOp(_) => ErrorCode::UnknownOp,
            MessageError::MissingOp | MessageError::BadFields { .. } => ErrorCode::BadRequest,
        }
    }
}

/// The `op` of a header: a string, else the error to report.
fn op_of(header: &Header) -> Result<&str, MessageError> {
    match header.get("op") {
        Some(Value::String(op)) => Ok(op),
        Some(other) => Err(MessageError::BadFields {
            op: other.to_string(),
            message: "\"op\" must be a string".into(),
        }),
        None => Err(MessageError::MissingOp),
    }
}

/// Reads a message of kind `Op` (the op names of `T`) from a header.
fn from_header<T: for<'de> Deserialize<'de>, Op: FromStr>(
    header: &Header,
) -> Result<T, MessageError> {
    let op = op_of(header)?;
    if Op::from_str(op).is_err() {
        return Err(MessageError::UnknownOp(op.to_string()));
    }
    T::deserialize(header).map_err(|e| MessageError::BadFields {
        op: op.to_string(),
        message: e.to_string(),
    })
}

impl RequestOp {
    /// The op's name on the wire, e.g. `"put_data"`.
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

impl ReplyOp {
    /// The op's name on the wire, e.g. `"chat_line"`.
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

impl Request {
    /// This request's kind.
    pub fn op(&self) -> RequestOp {
        self.into()
    }

    /// Reads a request from a decoded header.
    pub fn from_header(header: &Header) -> Result<Request, MessageError> {
        // The requests that come by the hundred thousand (echo, chat), read directly: the
        // same result serde gives below, without its buffering.
        if let Ok(op) = op_of(header).map(RequestOp::from_str) {
            match (op, header.get("size"), header.get("text")) {
                (Ok(RequestOp::Echo), Some(Value::Number(size)), _) if size.is_u64() => {
                    return Ok(Request::Echo {
                        size: size.as_u64().unwrap_or_default(),
                    })
                }
                (Ok(RequestOp::Chat), _, Some(Value::String(text))) => {
                    return Ok(Request::Chat { text: text.clone() })
                }
                _ => {}
            }
        }
        from_header::<_, RequestOp>(header)
    }
}

impl Reply {
    /// This reply's kind.
    pub fn op(&self) -> ReplyOp {
        self.into()
    }

    /// Reads a reply from a decoded header.
    pub fn from_header(header: &Header) -> Result<Reply, MessageError> {
        from_header::<_, ReplyOp>(header)
    }

    /// An error reply.
    pub fn error(code: ErrorCode, message: impl Into<String>) -> Reply {
        Reply::Error {
            code,
            message: message.into(),
        }
    }
}

/// Longest chat name, in characters.
pub const MAX_CHAT_NAME_CHARS: usize = 32;

/// Longest chat line, in bytes of UTF-8.
pub const MAX_CHAT_TEXT_BYTES: usize = 4096;

/// Why a chat name is refused (`None`: it is fine). A name has 1 to
/// [`MAX_CHAT_NAME_CHARS`] characters, each a letter, a digit, `-`, `_` or `.`: no spaces
/// or invisible characters, so that two members cannot look alike by padding a name; and
/// in one script, with no format character (Unicode category Cf).
pub fn chat_name_problem(name: &str) -> Option<String> {
    let chars = name.chars().count();
    if chars == 0 {
        return Some("a chat name must not be empty".into());
    }
    if chars > MAX_CHAT_NAME_CHARS {
        return Some(format!(
            "a chat name has at most {MAX_CHAT_NAME_CHARS} characters, not {chars}"
        ));
    }
    name.chars()
        .find(|c| !(c.is_alphanumeric() || matches!(c, '-' | '_' | '.')))
        .map(|c| format!("a chat name holds only letters, digits, '-', '_' and '.', not {c:?}"))
        .or_else(|| crate::names::chat_name_look_problem(name))
}

/// Why a chat line is refused (`None`: it is fine): over [`MAX_CHAT_TEXT_BYTES`] bytes, or
/// a control character other than tab (escape sequences could rewrite other members'
/// terminals; a line break would let one line pass for several).
pub fn chat_text_problem(text: &str) -> Option<String> {
    if text.len() > MAX_CHAT_TEXT_BYTES {
        return Some(format!(
            "a chat line has at most {MAX_CHAT_TEXT_BYTES} bytes, not {}",
            text.len()
        ));
    }
    text.chars()
        .find(|&c| c.is_control() && c != '\t')
        .map(|c| format!("a chat line must not hold control characters ({c:?})"))
}

/// Text from the network made safe to show on a terminal (and a chat line safe to send):
/// control characters other than tab, such as the escape that starts a terminal escape
/// sequence, become U+FFFD. Every client prints server-sent text through this.
pub fn clean_text(text: &str) -> Cow<'_, str> {
    if text.chars().any(|c| c.is_control() && c != '\t') {
        Cow::Owned(
            text.chars()
                .map(|c| {
                    if c.is_control() && c != '\t' {
                        '\u{fffd}'
                    } else {
                        c
                    }
                })
                .collect(),
        )
    } else {
        Cow::Borrowed(text)
    }
}

/// What a UDP echo service answers to one datagram.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatagramAnswer {
    /// The datagram to send back, never longer than the request; `None`: stay silent.
    pub reply: Option<Vec<u8>>,
    /// Why the request was not echoed, for the logs; `None` when it was.
    pub problem: Option<String>,
}

/// The answer of a UDP echo service to one datagram, which must hold exactly one frame.
///
/// An `echo` request gets `echo {size}` and the same body back. Anything else gets an
/// `error` frame, or nothing at all: **a reply is never longer than the request**, so a
/// forged source address cannot turn the server into an amplifier.
pub fn answer_echo_datagram(encoder: &Encoder, datagram: &[u8]) -> DatagramAnswer {
    let limit = datagram.len();
    let refuse = |code: ErrorCode, problem: String| DatagramAnswer {
        reply: error_datagram(encoder, code, &problem, limit),
        problem: Some(problem),
    };
    let decoded = match decode_datagram(encoder.framing(), datagram) {
        Ok(decoded) => decoded,
        Err(error) => return refuse(ErrorCode::BadFrame, error.to_string()),
    };
    match Request::from_header(&decoded.header) {
        Ok(Request::Echo { .. }) => {
            let reply = Reply::Echo {
                size: decoded.body.len() as u64,
            };
            match encoder.frame(&reply, decoded.body) {
                Ok(bytes) if bytes.len() <= limit => DatagramAnswer {
                    reply: Some(bytes),
                    problem: None,
                },
                Ok(bytes) => DatagramAnswer {
                    reply: None,
                    problem: Some(format!(
                        "the echo would be {} bytes, longer than the {limit}-byte request",
                        bytes.len()
                    )),
                },
                Err(error) => refuse(ErrorCode::BadRequest, error.to_string()),
            }
        }
        Ok(_) => refuse(
            ErrorCode::BadRequest,
            "only echo is answered over UDP".into(),
        ),
        Err(error) => refuse(ErrorCode::from(&error), error.to_string()),
    }
}

/// An `error` frame of at most `limit` bytes: with the message, else without it, else none.
fn error_datagram(
    encoder: &Encoder,
    code: ErrorCode,
    message: &str,
    limit: usize,
) -> Option<Vec<u8>> {
    [message, ""].into_iter().find_map(|message| {
        encoder
            .frame(&Reply::error(code, message), &[])
            .ok()
            .filter(|bytes| bytes.len() <= limit)
    })
}
