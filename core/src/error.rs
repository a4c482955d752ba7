//! Decoding errors: each one names the stream offset where it happened.

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::framing::BodyLenError;

/// The part of a frame the decoder is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Part {
    /// The 4-byte header-length prefix.
    Length,
    /// The JSON header.
    Header,
    /// The body.
    Body,
}

impl std::fmt::Display for Part {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Part::Length => "length prefix",
            Part::Header => "header",
            Part::Body => "body",
        })
    }
}

/// Why a stream could not be decoded; the first error is final for its decoder.
#[derive(Debug, Clone, PartialEq, Eq, Error, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum DecodeError {
    /// The length prefix says the header is 0 bytes long (a header is a JSON object).
    #[error("header length is 0 at byte {offset}: a header must hold a JSON object")]
    HeaderLengthZero {
        /// Offset of the length prefix.
        offset: u64,
    },
    /// The length prefix asks for more header bytes than the limit allows.
    #[error("header length {len} at byte {offset} is over the limit of {limit} bytes")]
    HeaderLengthOverLimit {
        /// Offset of the length prefix.
        offset: u64,
        /// The header length the prefix declares.
        len: u32,
        /// The limit in force.
        limit: u32,
    },
    /// The header bytes are not valid UTF-8.
    #[error("header is not UTF-8: invalid byte at {offset}")]
    HeaderNotUtf8 {
        /// Offset of the first byte that is not valid UTF-8.
        offset: u64,
    },
    /// The header is UTF-8 but not JSON.
    #[error("header is not JSON at byte {offset}: {message}")]
    HeaderNotJson {
        /// Offset where the JSON parser gave up.
        offset: u64,
        /// The JSON parser's explanation.
        message: String,
    },
    /// The header object names the same key twice (readers could disagree on its value).
    #[error("header repeats the key \"{key}\" at byte {offset}")]
    HeaderRepeatedKey {
        /// Offset of the byte just after the repeated key's value.
        offset: u64,
        /// The key.
        key: String,
    },
    /// The header is JSON but not an object.
    #[error("header at byte {offset} is a JSON {found}, not an object")]
    HeaderNotObject {
        /// Offset of the header.
        offset: u64,
        /// What kind of JSON value it is (`array`, `string`, `number`, `bool`, `null`).
        found: String,
    },
    /// The header's body-length field is unusable.
    #[error("header at byte {offset}: {reason}")]
    BodyLength {
        /// Offset of the header.
        offset: u64,
        /// What is wrong with the field.
        reason: BodyLenError,
    },
    /// The stream ended inside a frame.
    #[error("stream ended at byte {offset} inside the {part} of the frame at byte {frame_offset}: {missing} more bytes expected")]
    Truncated {
        /// Offset where the stream ended.
        offset: u64,
        /// Offset of the frame that was cut short.
        frame_offset: u64,
        /// Which part of the frame was incomplete.
        part: Part,
        /// How many more bytes that part needed.
        missing: u64,
    },
    /// A datagram held more than one frame.
    #[error("datagram holds {extra} bytes after its frame, which ended at byte {offset}")]
    DatagramTrailingBytes {
        /// Offset where the frame ended.
        offset: u64,
        /// How many bytes followed it.
        extra: u64,
    },
}

impl DecodeError {
    /// The stream offset where the error happened.
    pub fn offset(&self) -> u64 {
        match self {
            DecodeError::HeaderLengthZero { offset }
            | DecodeError::HeaderLengthOverLimit { offset, .. }
            | DecodeError::HeaderNotUtf8 { offset }
            | DecodeError::HeaderNotJson { offset, .. }
            | DecodeError::HeaderRepeatedKey { offset, .. }
            | DecodeError::HeaderNotObject { offset, .. }
            | DecodeError::BodyLength { offset, .. }
            | DecodeError::Truncated { offset, .. }
            | DecodeError::DatagramTrailingBytes { offset, .. } => *offset,
        }
    }

    /// A stable snake_case name for the error, as in its JSON form.
    pub fn kind(&self) -> &'static str {
        match self {
            DecodeError::HeaderLengthZero { .. } => "header_length_zero",
            DecodeError::HeaderLengthOverLimit { .. } => "header_length_over_limit",
            DecodeError::HeaderNotUtf8 { .. } => "header_not_utf8",
            DecodeError::HeaderNotJson { .. } => "header_not_json",
            DecodeError::HeaderRepeatedKey { .. } => "header_repeated_key",
            DecodeError::HeaderNotObject { .. } => "header_not_object",
            DecodeError::BodyLength { .. } => "body_length",
            DecodeError::Truncated { .. } => "truncated",
            DecodeError::DatagramTrailingBytes { .. } => "datagram_trailing_bytes",
        }
    }
}
