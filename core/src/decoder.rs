//! The streaming decoder: chunks of a byte stream in, [`Event`]s out.

use std::borrow::Cow;

use crate::error::{DecodeError, Part};
use crate::event::{Event, Span};
use crate::framing::{Framing, PREFIX_LEN};

mod flat;
mod header;

pub(crate) use header::parse_header;
#[cfg(feature = "test-support")]
pub(crate) use header::parse_header_with_serde;

/// What the decoder needs next: which part of the frame, how much of it it has and how
/// many bytes are still missing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Waiting {
    /// The part of the frame being read.
    pub part: Part,
    /// Bytes of that part received so far.
    pub received: u64,
    /// Bytes of that part still missing.
    pub missing: u64,
}

impl std::fmt::Display for Waiting {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.missing == 0 {
            return write!(f, "nothing: the {} is complete", self.part);
        }
        let unit = if self.missing == 1 { "byte" } else { "bytes" };
        if self.received == 0 {
            write!(f, "{} {unit} of the {}", self.missing, self.part)
        } else {
            write!(f, "{} more {unit} of the {}", self.missing, self.part)
        }
    }
}

/// The least a split header's buffer starts with (less when the header is shorter), so that
/// a typical header arriving in small pieces is not reallocated at every doubling.
const MIN_HEADER_BUFFER: usize = 128;

#[derive(Debug)]
enum State {
    /// Collecting the 4 prefix bytes; `have` of them are in `Decoder::prefix`.
    Length { have: usize },
    /// Collecting a header of `len` bytes; those received so far are in `Decoder::header`.
    Header { len: u32 },
    /// Passing body bytes through.
    Body { len: u64, remaining: u64 },
    /// The frame is complete; its end event has not been given out yet.
    End { body_len: u64 },
    /// An error happened; the stream cannot go on.
    Failed(DecodeError),
}

/// Turns the chunks of a framed byte stream into [`Event`]s (see the crate docs for the contract).
#[derive(Debug)]
pub struct Decoder {
    framing: Framing,
    state: State,
    /// Offset of the next byte to be consumed.
    pos: u64,
    /// Offset of the current frame's first byte.
    frame_start: u64,
    prefix: [u8; PREFIX_LEN],
    header: Vec<u8>,
}

impl Default for Decoder {
    fn default() -> Self {
        Decoder::new(Framing::default())
    }
}

impl Decoder {
    /// A decoder for a stream that starts at offset 0.
    pub fn new(framing: Framing) -> Self {
        Decoder {
            framing,
            state: State::Length { have: 0 },
            pos: 0,
            frame_start: 0,
            prefix: [0; PREFIX_LEN],
            header: Vec::new(),
        }
    }

    /// The framing options in force.
    pub fn framing(&self) -> &Framing {
        &self.framing
    }

    /// Offset of the next byte the decoder will consume (= bytes consumed so far).
    pub fn position(&self) -> u64 {
        self.pos
    }

    /// Offset where the frame being read began.
    pub fn frame_start(&self) -> u64 {
        self.frame_start
    }

    /// The error that stopped the decoder, if any.
    pub fn error(&self) -> Option<&DecodeError> {
        match &self.state {
            State::Failed(error) => Some(error),
            _ => None,
        }
    }

    /// What the decoder is waiting for; `None` after an error. `missing == 0` means an event
    /// is ready without more input.
    pub fn waiting(&self) -> Option<Waiting> {
        let (part, received, missing) = match &self.state {
            State::Length { have } => (Part::Length, *have as u64, (PREFIX_LEN - have) as u64),
            State::Header { len } => {
                let have = self.header.len() as u64;
                (Part::Header, have, u64::from(*len) - have)
            }
            State::Body { len, remaining } => (Part::Body, len - remaining, *remaining),
            State::End { body_len } => (Part::Body, *body_len, 0),
            State::Failed(_) => return None,
        };
        Some(Waiting {
            part,
            received,
            missing,
        })
    }

    /// Feeds one chunk and returns an iterator over the events it completes. Drive it to the
    /// end; bytes it has not reached when dropped are not consumed ([`Events::remaining`]).
    pub fn feed<'d, 'a>(&'d mut self, chunk: &'a [u8]) -> Events<'d, 'a> {
        Events {
            decoder: self,
            input: chunk,
            done: false,
        }
    }

    /// Consumes bytes from the front of `input` and returns the next event, or `Ok(None)`
    /// when `input` is used up and more bytes are needed. Body pieces borrow from `input`.
    #[inline]
    pub fn poll<'a>(&mut self, input: &mut &'a [u8]) -> Result<Option<Event<'a>>, DecodeError> {
        // The commonest steps, small enough to inline into the caller's loop: a body piece,
        // the end of a chunk, and a piece of a header that it does not complete. Everything
        // else (and every error) takes `poll_slow`.
        match self.state {
            State::Body { len, remaining } if !input.is_empty() => {
                return Ok(Some(self.body_piece(input, len, remaining)));
            }
            State::Length { .. } | State::Header { .. } | State::Body { .. }
                if input.is_empty() =>
            {
                return Ok(None);
            }
            State::Header { len } if input.len() < len as usize - self.header.len() => {
                self.keep_header_piece(input, len as usize);
                return Ok(None);
            }
            _ => {}
        }
        self.poll_slow(input)
    }

    /// [`Decoder::poll`] in full.
    fn poll_slow<'a>(&mut self, input: &mut &'a [u8]) -> Result<Option<Event<'a>>, DecodeError> {
        loop {
            match self.state {
                State::Failed(ref error) => return Err(error.clone()),
                State::End { body_len } => {
                    let span = Span {
                        start: self.frame_start,
                        end: self.pos,
                    };
                    self.frame_start = self.pos;
                    self.state = State::Length { have: 0 };
                    return Ok(Some(Event::MessageEnd { span, body_len }));
                }
                State::Length { have } => {
                    if input.is_empty() {
                        return Ok(None);
                    }
                    let take = (PREFIX_LEN - have).min(input.len());
                    self.prefix[have..have + take].copy_from_slice(&input[..take]);
                    self.advance(input, take);
                    if have + take < PREFIX_LEN {
                        self.state = State::Length { have: have + take };
                        continue;
                    }
                    return self.length_complete().map(Some);
                }
                State::Header { len } => {
                    if input.is_empty() {
                        return Ok(None);
                    }
                    let len = len as usize;
                    if self.header.is_empty() && input.len() >= len {
                        let bytes: &'a [u8] = &input[..len];
                        self.advance(input, len);
                        return self.header_complete(Cow::Borrowed(bytes)).map(Some);
                    }
                    self.keep_header_piece(input, len);
                    if self.header.len() < len {
                        continue;
                    }
                    let bytes = std::mem::take(&mut self.header);
                    return self.header_complete(Cow::Owned(bytes)).map(Some);
                }
                State::Body { len, remaining } => {
                    if input.is_empty() {
                        return Ok(None);
                    }
                    return Ok(Some(self.body_piece(input, len, remaining)));
                }
            }
        }
    }

    /// Moves the bytes at the front of `input` that belong to the header (`len` bytes in
    /// all) into the header buffer.
    fn keep_header_piece(&mut self, input: &mut &[u8], len: usize) {
        let take = (len - self.header.len()).min(input.len());
        // Grow by doubling as a Vec does, but never past the header's length,
        // so the buffer stays within `max_header_len`.
        let want = self.header.len() + take;
        if want > self.header.capacity() {
            let grown = want
                .max(self.header.capacity() * 2)
                .max(MIN_HEADER_BUFFER)
                .min(len);
            self.header.reserve_exact(grown - self.header.len());
        }
        self.header.extend_from_slice(&input[..take]);
        self.advance(input, take);
    }

    /// Passes the body bytes at the front of `input` (not empty) through as one piece.
    #[inline(always)]
    fn body_piece<'a>(&mut self, input: &mut &'a [u8], len: u64, remaining: u64) -> Event<'a> {
        let take = usize::try_from(remaining)
            .unwrap_or(usize::MAX)
            .min(input.len());
        let bytes: &'a [u8] = &input[..take];
        let span = Span {
            start: self.pos,
            end: self.pos + take as u64,
        };
        self.advance(input, take);
        let remaining = remaining - take as u64;
        self.state = if remaining == 0 {
            State::End { body_len: len }
        } else {
            State::Body { len, remaining }
        };
        Event::BodyPiece { span, bytes }
    }

    /// Declares the end of the stream: `Ok` on a frame boundary, otherwise the truncation
    /// (which also becomes the decoder's final error). Drain [`Decoder::poll`] first.
    pub fn finish(&mut self) -> Result<(), DecodeError> {
        let (part, missing) = match &self.state {
            State::Failed(error) => return Err(error.clone()),
            State::Length { have: 0 } | State::End { .. } => return Ok(()),
            State::Length { have } => (Part::Length, (PREFIX_LEN - have) as u64),
            State::Header { len } => (Part::Header, u64::from(*len) - self.header.len() as u64),
            State::Body { remaining, .. } => (Part::Body, *remaining),
        };
        Err(self.fail(DecodeError::Truncated {
            offset: self.pos,
            frame_offset: self.frame_start,
            part,
            missing,
        }))
    }

    #[inline(always)]
    fn advance(&mut self, input: &mut &[u8], n: usize) {
        *input = &input[n..];
        self.pos += n as u64;
    }

    fn fail(&mut self, error: DecodeError) -> DecodeError {
        self.header = Vec::new();
        self.state = State::Failed(error.clone());
        error
    }

    fn length_complete<'a>(&mut self) -> Result<Event<'a>, DecodeError> {
        let header_len = self.framing.read_prefix(self.prefix);
        let offset = self.frame_start;
        if header_len == 0 {
            return Err(self.fail(DecodeError::HeaderLengthZero { offset }));
        }
        if header_len > self.framing.max_header_len {
            return Err(self.fail(DecodeError::HeaderLengthOverLimit {
                offset,
                len: header_len,
                limit: self.framing.max_header_len,
            }));
        }
        self.state = State::Header { len: header_len };
        Ok(Event::Length {
            span: Span {
                start: offset,
                end: offset + PREFIX_LEN as u64,
            },
            header_len,
        })
    }

    fn header_complete<'a>(&mut self, bytes: Cow<'a, [u8]>) -> Result<Event<'a>, DecodeError> {
        let start = self.frame_start + PREFIX_LEN as u64;
        let span = Span {
            start,
            end: self.pos,
        };
        let (header, raw) = match parse_header(bytes, start) {
            Ok(parsed) => parsed,
            Err(error) => return Err(self.fail(error)),
        };
        let body_len = match self.framing.body_len(&header) {
            Ok(len) => len,
            Err(reason) => {
                return Err(self.fail(DecodeError::BodyLength {
                    offset: start,
                    reason,
                }))
            }
        };
        self.state = if body_len == 0 {
            State::End { body_len }
        } else {
            State::Body {
                len: body_len,
                remaining: body_len,
            }
        };
        Ok(Event::Header {
            span,
            header,
            raw,
            body_len,
        })
    }
}

/// The events of one fed chunk; yields at most one error, then stops.
#[must_use = "events are only decoded as the iterator is driven"]
pub struct Events<'d, 'a> {
    decoder: &'d mut Decoder,
    input: &'a [u8],
    done: bool,
}

impl<'a> Events<'_, 'a> {
    /// The bytes of the chunk not consumed yet.
    pub fn remaining(&self) -> &'a [u8] {
        self.input
    }
}

impl<'a> Iterator for Events<'_, 'a> {
    type Item = Result<Event<'a>, DecodeError>;

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        match self.decoder.poll(&mut self.input) {
            Ok(Some(event)) => Some(Ok(event)),
            Ok(None) => {
                self.done = true;
                None
            }
            Err(error) => {
                self.done = true;
                Some(Err(error))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        /// The buffer that holds a header split across chunks grows with what arrives but
        /// never past the header's length, so never past `max_header_len`.
        #[test]
        fn the_header_buffer_never_outgrows_the_header(
            header_len in 2usize..3000,
            cuts in proptest::collection::vec(1usize..700, 1..40),
        ) {
            let header = format!(r#"{{"pad":"{}"}}"#, "x".repeat(header_len.max(10) - 10));
            let framing = Framing { max_header_len: header.len() as u32, ..Framing::default() };
            let mut stream = (header.len() as u32).to_le_bytes().to_vec();
            stream.extend_from_slice(header.as_bytes());
            let mut decoder = Decoder::new(framing);
            let mut rest = &stream[..];
            for &cut in cuts.iter().cycle() {
                if rest.is_empty() {
                    break;
                }
                let (chunk, after) = rest.split_at(cut.min(rest.len()));
                rest = after;
                for event in decoder.feed(chunk) {
                    prop_assert!(event.is_ok());
                }
                prop_assert!(
                    decoder.header.capacity() <= header.len(),
                    "{} bytes of buffer for a header of {}",
                    decoder.header.capacity(),
                    header.len()
                );
            }
            prop_assert_eq!(decoder.position(), stream.len() as u64);
        }
    }
}
