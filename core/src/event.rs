//! What the decoder reports: events with their byte spans, and their JSON records.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::Header;

/// A half-open range of absolute stream offsets, `start..end`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Span {
    /// Offset of the first byte.
    pub start: u64,
    /// Offset one past the last byte.
    pub end: u64,
}

impl Span {
    /// Number of bytes in the span.
    pub fn len(&self) -> u64 {
        self.end - self.start
    }

    /// Whether the span holds no bytes.
    pub fn is_empty(&self) -> bool {
        self.start == self.end
    }
}

/// One step of decoding, in stream order.
#[derive(Debug, Clone, PartialEq)]
pub enum Event<'a> {
    /// The 4-byte length prefix is complete.
    Length {
        /// Where the prefix lies.
        span: Span,
        /// The header length it declares.
        header_len: u32,
    },
    /// The header is complete and valid.
    Header {
        /// Where the header lies.
        span: Span,
        /// The parsed JSON object.
        header: Header,
        /// The header's text exactly as received (borrowed from the chunk when it was whole in it).
        raw: Cow<'a, str>,
        /// The body length the header declares (0: no body).
        body_len: u64,
    },
    /// Some body bytes, borrowed from the chunk that was fed.
    BodyPiece {
        /// Where these bytes lie.
        span: Span,
        /// The bytes themselves.
        bytes: &'a [u8],
    },
    /// The frame is complete.
    MessageEnd {
        /// The whole frame: prefix, header and body.
        span: Span,
        /// Its body length.
        body_len: u64,
    },
}

impl Event<'_> {
    /// Where the event's bytes lie in the stream.
    pub fn span(&self) -> Span {
        match self {
            Event::Length { span, .. }
            | Event::Header { span, .. }
            | Event::BodyPiece { span, .. }
            | Event::MessageEnd { span, .. } => *span,
        }
    }

    /// The event as a record for JSON output (body bytes reduced to their length).
    pub fn to_record(&self) -> EventRecord {
        let Span { start, end } = self.span();
        match self {
            Event::Length { header_len, .. } => EventRecord::Length {
                start,
                end,
                header_len: *header_len,
            },
            Event::Header {
                header, body_len, ..
            } => EventRecord::Header {
                start,
                end,
                header: Value::Object(header.clone()),
                body_len: *body_len,
            },
            Event::BodyPiece { .. } => EventRecord::Body {
                start,
                end,
                len: end - start,
            },
            Event::MessageEnd { body_len, .. } => EventRecord::End {
                start,
                end,
                body_len: *body_len,
            },
        }
    }
}

/// An event as plain data: what `seam decode` prints, the shared test vectors list and the
/// browser page draws.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum EventRecord {
    /// See [`Event::Length`].
    Length {
        /// First byte of the prefix.
        start: u64,
        /// One past its last byte.
        end: u64,
        /// Declared header length.
        header_len: u32,
    },
    /// See [`Event::Header`].
    Header {
        /// First byte of the header.
        start: u64,
        /// One past its last byte.
        end: u64,
        /// The parsed header object.
        header: Value,
        /// Declared body length.
        body_len: u64,
    },
    /// See [`Event::BodyPiece`].
    Body {
        /// First byte of the piece.
        start: u64,
        /// One past its last byte.
        end: u64,
        /// Its length in bytes.
        len: u64,
    },
    /// See [`Event::MessageEnd`].
    End {
        /// First byte of the frame.
        start: u64,
        /// One past its last byte.
        end: u64,
        /// Its body length.
        body_len: u64,
    },
}

/// Merges adjacent body records into one, so that different chunkings of a stream compare equal.
pub fn coalesce_body_pieces(records: &mut Vec<EventRecord>) {
    let mut merged: Vec<EventRecord> = Vec::with_capacity(records.len());
    for record in records.drain(..) {
        if let (
            Some(EventRecord::Body {
                end: prev_end,
                len: prev_len,
                ..
            }),
            EventRecord::Body { start, end, len },
        ) = (merged.last_mut(), &record)
        {
            if *prev_end != *start {
                merged.push(record);
                continue;
            }
            *prev_end = *end;
            *prev_len += *len;
            continue;
        }
        merged.push(record);
    }
    *records = merged;
}
