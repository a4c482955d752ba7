//! The reader of a tutorial server's replies: chunks of any size in, [`ReplyEvent`]s out,
//! the same events however the reply is cut (the rules are in the parent module's docs).

use super::{BODY_RECEIVED, MAX_LENGTH_DIGITS, MD5_MATCH, MD5_MISMATCH};
use crate::dialect::Dialect;
use crate::{DecodeError, Decoder, Event, Framing, PREFIX_LEN};
use thiserror::Error;

/// One step of a reply, in stream order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReplyEvent<'a> {
    /// `cmd`, `cmd-len`, `cmd-struct`: the reply's header says this many output bytes follow.
    Length {
        /// The output's length.
        len: u64,
    },
    /// `cmd-ready`: the server announced this many bytes; send [`RECV_READY`](super::RECV_READY) now.
    Announced {
        /// The output's length.
        len: u64,
    },
    /// Bytes of the echo or of the command's output, borrowed from the chunk fed.
    Output(&'a [u8]),
    /// `upload-md5`: `200`, the server has the whole body; send the MD5 now.
    BodyReceived,
    /// `upload-md5`: `100` (true) or `10000` (false).
    Md5Verdict {
        /// Whether the server found the same MD5.
        matched: bool,
    },
    /// The reply is complete; bytes after it belong to the next reply.
    End,
}

/// Why a reply is not what the dialect allows.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ReplyError {
    /// The framed part of the reply is broken.
    #[error("the reply's frame is broken: {0}")]
    Framing(DecodeError),
    /// The reply's header lacks the field that gives the output's length.
    #[error("the reply's header {header} at byte {offset} has no \"{field}\" field")]
    MissingField {
        /// The field the dialect needs.
        field: &'static str,
        /// The header as received.
        header: String,
        /// Where the header began.
        offset: u64,
    },
    /// A `cmd-struct` length below zero.
    #[error("the reply's length at byte {offset} is negative ({value})")]
    NegativeLength {
        /// Where the length began.
        offset: u64,
        /// The value.
        value: i32,
    },
    /// The reply is not the text the dialect allows here.
    #[error("expected {expected} at byte {offset}, got {got:?}")]
    Unexpected {
        /// What was allowed.
        expected: &'static str,
        /// What came, as text.
        got: String,
        /// Where it came.
        offset: u64,
    },
    /// The reply ended early.
    #[error("the reply ended at byte {offset}, still waiting for {waiting}")]
    Truncated {
        /// Where the stream ended.
        offset: u64,
        /// What was still missing.
        waiting: String,
    },
}

#[derive(Debug)]
enum State {
    Echo {
        remaining: u64,
    },
    Framed {
        decoder: Decoder,
        field: &'static str,
    },
    StructPrefix {
        have: usize,
        bytes: [u8; PREFIX_LEN],
    },
    Digits {
        digits: Vec<u8>,
    },
    Output {
        remaining: u64,
    },
    Token {
        have: Vec<u8>,
        verdict: bool,
    },
    EndPending,
    Done,
    Failed(ReplyError),
}

/// Reads one reply of a dialect from chunks of any size (see the module docs for its rules).
#[derive(Debug)]
pub struct ReplyReader {
    state: State,
    /// Offset of the next byte to consume, counted from the reader's first byte.
    pos: u64,
}

impl ReplyReader {
    /// A reader of the echo of a `len`-byte request (`echo`, `echo-upper`, `udp-upper`).
    pub fn echo(len: u64) -> ReplyReader {
        ReplyReader::with(if len == 0 {
            State::EndPending
        } else {
            State::Echo { remaining: len }
        })
    }

    /// A reader of one command's reply (`cmd`, `cmd-len`, `cmd-struct`, `cmd-ready`);
    /// `None` for other dialects.
    pub fn command(dialect: Dialect) -> Option<ReplyReader> {
        let framed = |field: &'static str| State::Framed {
            decoder: Decoder::new(Framing {
                size_fields: vec![field.to_string()],
                ..Framing::default()
            }),
            field,
        };
        Some(ReplyReader::with(match dialect {
            Dialect::Cmd => framed("data_size"),
            Dialect::CmdLen => framed("len"),
            Dialect::CmdStruct => State::StructPrefix {
                have: 0,
                bytes: [0; PREFIX_LEN],
            },
            Dialect::CmdReady => State::Digits { digits: Vec::new() },
            _ => return None,
        }))
    }

    /// A reader of an `upload-md5` server's answers: `200`, then `100` or `10000`.
    pub fn upload_md5() -> ReplyReader {
        ReplyReader::with(State::Token {
            have: Vec::new(),
            verdict: false,
        })
    }

    fn with(state: State) -> ReplyReader {
        ReplyReader { state, pos: 0 }
    }

    /// Bytes consumed so far.
    pub fn position(&self) -> u64 {
        self.pos
    }

    /// Whether the reply is complete (its [`ReplyEvent::End`] given out).
    pub fn is_done(&self) -> bool {
        matches!(self.state, State::Done)
    }

    /// Whether the reply can only be completed by a quiet line: call [`ReplyReader::settle`]
    /// once nothing has arrived for [`QUIET_PAUSE_MS`](super::QUIET_PAUSE_MS).
    pub fn needs_settle(&self) -> bool {
        match &self.state {
            State::Digits { digits } => !digits.is_empty(),
            State::Token { have, verdict } => *verdict && have.as_slice() == MD5_MATCH,
            _ => false,
        }
    }

    /// Consumes bytes from the front of `input` and returns the next event, or `Ok(None)`
    /// when more bytes are needed (or the reply is done: bytes after it are left in `input`).
    pub fn poll<'a>(&mut self, input: &mut &'a [u8]) -> Result<Option<ReplyEvent<'a>>, ReplyError> {
        let result = self.step(input);
        if let Err(error) = &result {
            self.state = State::Failed(error.clone());
        }
        result
    }

    fn step<'a>(&mut self, input: &mut &'a [u8]) -> Result<Option<ReplyEvent<'a>>, ReplyError> {
        loop {
            match &mut self.state {
                State::Failed(error) => return Err(error.clone()),
                State::Done => return Ok(None),
                State::EndPending => {
                    self.state = State::Done;
                    return Ok(Some(ReplyEvent::End));
                }
                State::Framed { decoder, field } => {
                    let field = *field;
                    let start = decoder.position();
                    let event = decoder.poll(input).map_err(ReplyError::Framing)?;
                    self.pos += decoder.position() - start;
                    match event {
                        None => return Ok(None),
                        Some(Event::Length { .. }) => continue,
                        Some(Event::Header {
                            header,
                            raw,
                            body_len,
                            span,
                        }) => {
                            if !header.contains_key(field) {
                                return Err(ReplyError::MissingField {
                                    field,
                                    header: raw.into_owned(),
                                    offset: span.start,
                                });
                            }
                            return Ok(Some(ReplyEvent::Length { len: body_len }));
                        }
                        Some(Event::BodyPiece { bytes, .. }) => {
                            return Ok(Some(ReplyEvent::Output(bytes)))
                        }
                        Some(Event::MessageEnd { .. }) => {
                            self.state = State::Done;
                            return Ok(Some(ReplyEvent::End));
                        }
                    }
                }
                _ if input.is_empty() => return Ok(None),
                State::Echo { remaining } | State::Output { remaining } => {
                    let take = usize::try_from(*remaining)
                        .unwrap_or(usize::MAX)
                        .min(input.len());
                    *remaining -= take as u64;
                    if *remaining == 0 {
                        self.state = State::EndPending;
                    }
                    return Ok(Some(ReplyEvent::Output(self.take(input, take))));
                }
                State::StructPrefix { have, bytes } => {
                    let take = (PREFIX_LEN - *have).min(input.len());
                    bytes[*have..*have + take].copy_from_slice(&input[..take]);
                    *have += take;
                    let (have, bytes) = (*have, *bytes);
                    self.take(input, take);
                    if have < PREFIX_LEN {
                        continue;
                    }
                    let value = i32::from_le_bytes(bytes);
                    let len = u64::try_from(value).map_err(|_| ReplyError::NegativeLength {
                        offset: self.pos - PREFIX_LEN as u64,
                        value,
                    })?;
                    self.state = if len == 0 {
                        State::EndPending
                    } else {
                        State::Output { remaining: len }
                    };
                    return Ok(Some(ReplyEvent::Length { len }));
                }
                State::Digits { digits } => {
                    let byte = input[0];
                    if !byte.is_ascii_digit() || digits.len() == MAX_LENGTH_DIGITS {
                        let mut got = digits.clone();
                        got.push(byte);
                        return Err(ReplyError::Unexpected {
                            expected: "the output's length in ASCII digits (at most 20)",
                            got: String::from_utf8_lossy(&got).into_owned(),
                            offset: self.pos,
                        });
                    }
                    digits.push(byte);
                    self.take(input, 1);
                }
                State::Token { have, verdict } => {
                    let expected = if *verdict {
                        MD5_MISMATCH
                    } else {
                        BODY_RECEIVED
                    };
                    let byte = input[0];
                    if *verdict && have.as_slice() == MD5_MATCH && byte != b'0' {
                        // A `100` followed by anything but `0` is final; the byte belongs
                        // to what comes next (the next upload's `200`).
                        self.state = State::EndPending;
                        return Ok(Some(ReplyEvent::Md5Verdict { matched: true }));
                    }
                    if expected.get(have.len()) != Some(&byte) {
                        let mut got = have.clone();
                        got.push(byte);
                        return Err(ReplyError::Unexpected {
                            expected: if *verdict { "100 or 10000" } else { "200" },
                            got: String::from_utf8_lossy(&got).into_owned(),
                            offset: self.pos - have.len() as u64,
                        });
                    }
                    have.push(byte);
                    let complete = have.len() == expected.len();
                    let was_verdict = *verdict;
                    self.take(input, 1);
                    if !complete {
                        continue;
                    }
                    if was_verdict {
                        self.state = State::EndPending;
                        return Ok(Some(ReplyEvent::Md5Verdict { matched: false }));
                    }
                    self.state = State::Token {
                        have: Vec::new(),
                        verdict: true,
                    };
                    return Ok(Some(ReplyEvent::BodyReceived));
                }
            }
        }
    }

    fn take<'a>(&mut self, input: &mut &'a [u8], n: usize) -> &'a [u8] {
        let (taken, rest) = input.split_at(n);
        *input = rest;
        self.pos += n as u64;
        taken
    }

    /// The line has been quiet for [`QUIET_PAUSE_MS`](super::QUIET_PAUSE_MS) (or has ended): completes a `cmd-ready`
    /// length or a `100`; otherwise does nothing and returns `Ok(None)`.
    pub fn settle(&mut self) -> Result<Option<ReplyEvent<'static>>, ReplyError> {
        if !self.needs_settle() {
            return Ok(None);
        }
        match &self.state {
            State::Digits { digits } => {
                let text = String::from_utf8_lossy(digits).into_owned();
                let Ok(len) = text.parse::<u64>() else {
                    let error = ReplyError::Unexpected {
                        expected: "a length that fits in 64 bits",
                        got: text,
                        offset: self.pos - digits.len() as u64,
                    };
                    self.state = State::Failed(error.clone());
                    return Err(error);
                };
                self.state = if len == 0 {
                    State::EndPending
                } else {
                    State::Output { remaining: len }
                };
                Ok(Some(ReplyEvent::Announced { len }))
            }
            _ => {
                self.state = State::EndPending;
                Ok(Some(ReplyEvent::Md5Verdict { matched: true }))
            }
        }
    }

    /// The stream has ended: `Ok` when the reply is complete (call [`ReplyReader::settle`]
    /// and drain [`ReplyReader::poll`] first), otherwise what was still missing.
    pub fn finish(&mut self) -> Result<(), ReplyError> {
        let waiting = match &self.state {
            State::Done => return Ok(()),
            State::Failed(error) => return Err(error.clone()),
            State::EndPending => "the end of the reply".to_string(),
            State::Echo { remaining } => format!("{remaining} more bytes of the echo"),
            State::Output { remaining } => format!("{remaining} more bytes of output"),
            State::Framed { decoder, .. } => match decoder.waiting() {
                Some(waiting) => waiting.to_string(),
                None => "the reply".to_string(),
            },
            State::StructPrefix { have, .. } => {
                format!("{} more bytes of the 4-byte length", PREFIX_LEN - have)
            }
            State::Digits { .. } => "the output's length in ASCII digits".to_string(),
            State::Token { verdict: false, .. } => "200".to_string(),
            State::Token { verdict: true, .. } => "100 or 10000".to_string(),
        };
        let error = ReplyError::Truncated {
            offset: self.pos,
            waiting,
        };
        self.state = State::Failed(error.clone());
        Err(error)
    }
}
