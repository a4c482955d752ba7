//! The framing rules shared by the decoder and the encoder: byte order, limits and the
//! header fields that carry the body length.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use thiserror::Error;

use crate::Header;

/// Length of the header-length prefix in bytes.
pub const PREFIX_LEN: usize = 4;

/// Default limit on a header's length: 64 KiB.
pub const DEFAULT_MAX_HEADER_LEN: u32 = 64 * 1024;

/// Default limit on a body's length: 1 TiB (bodies stream, so this bounds time, not memory).
pub const DEFAULT_MAX_BODY_LEN: u64 = 1 << 40;

/// The body-length field names the tutorials use; Seam's own messages use `size`.
pub const TUTORIAL_SIZE_FIELDS: [&str; 4] = ["size", "filesize", "data_size", "len"];

/// Byte order of the 4-byte header-length prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ByteOrder {
    /// Little-endian, as Python's `struct.pack('i', n)` writes on x86 and ARM.
    #[default]
    Little,
    /// Big-endian (network order), as `struct.pack('!I', n)` writes.
    Big,
}

/// The options of a framed stream, shared by [`crate::Decoder`] and [`crate::Encoder`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Framing {
    /// Byte order of the length prefix.
    pub byte_order: ByteOrder,
    /// Header fields that give the body length; when several are present they must agree.
    pub size_fields: Vec<String>,
    /// Largest header accepted, in bytes; also the most the decoder ever buffers.
    pub max_header_len: u32,
    /// Largest body accepted, in bytes.
    pub max_body_len: u64,
}

impl Default for Framing {
    fn default() -> Self {
        Framing {
            byte_order: ByteOrder::Little,
            size_fields: TUTORIAL_SIZE_FIELDS.iter().map(|f| f.to_string()).collect(),
            max_header_len: DEFAULT_MAX_HEADER_LEN,
            max_body_len: DEFAULT_MAX_BODY_LEN,
        }
    }
}

/// Why a header's body-length field was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error, Serialize, Deserialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum BodyLenError {
    /// The field is not a JSON integer from 0 to 2^64-1.
    #[error("body length field \"{field}\" must be a non-negative integer, not {value}")]
    Invalid {
        /// The field's name.
        field: String,
        /// The field's JSON text.
        value: String,
    },
    /// Two accepted fields give different lengths.
    #[error("body length fields \"{first}\" and \"{second}\" disagree")]
    Conflict {
        /// The first field found.
        first: String,
        /// The field that disagrees with it.
        second: String,
    },
    /// The length is over [`Framing::max_body_len`].
    #[error("body length {len} in \"{field}\" is over the limit of {limit} bytes")]
    OverLimit {
        /// The field's name.
        field: String,
        /// The declared length.
        len: u64,
        /// The limit in force.
        limit: u64,
    },
}

impl Framing {
    /// The default framing with a big-endian prefix.
    pub fn big_endian() -> Self {
        Framing {
            byte_order: ByteOrder::Big,
            ..Framing::default()
        }
    }

    /// Reads a header length from its 4 prefix bytes.
    pub fn read_prefix(&self, bytes: [u8; PREFIX_LEN]) -> u32 {
        match self.byte_order {
            ByteOrder::Little => u32::from_le_bytes(bytes),
            ByteOrder::Big => u32::from_be_bytes(bytes),
        }
    }

    /// Writes a header length as its 4 prefix bytes.
    pub fn write_prefix(&self, header_len: u32) -> [u8; PREFIX_LEN] {
        match self.byte_order {
            ByteOrder::Little => header_len.to_le_bytes(),
            ByteOrder::Big => header_len.to_be_bytes(),
        }
    }

    /// The body length a header declares: 0 when no size field is present.
    pub fn body_len(&self, header: &Header) -> Result<u64, BodyLenError> {
        self.body_len_of(|i| header.get(&self.size_fields[i]))
    }

    /// [`Framing::body_len`] over a header's values looked up by the index of their field in
    /// [`Framing::size_fields`].
    pub(crate) fn body_len_of<'v>(
        &self,
        value_of: impl Fn(usize) -> Option<&'v Value>,
    ) -> Result<u64, BodyLenError> {
        let mut found: Option<(&str, u64)> = None;
        for (i, field) in self.size_fields.iter().enumerate() {
            let Some(value) = value_of(i) else {
                continue;
            };
            let len = match value {
                Value::Number(n) => n.as_u64(),
                _ => None,
            }
            .ok_or_else(|| BodyLenError::Invalid {
                field: field.clone(),
                // Written as `to_string` would (`Display` would add a second JSON writer to
                // wasm builds).
                value: serde_json::to_string(value).unwrap_or_default(),
            })?;
            match found {
                None => found = Some((field, len)),
                Some((first, seen)) if seen != len => {
                    return Err(BodyLenError::Conflict {
                        first: first.to_string(),
                        second: field.clone(),
                    })
                }
                Some(_) => {}
            }
        }
        let Some((field, len)) = found else {
            return Ok(0);
        };
        if len > self.max_body_len {
            return Err(BodyLenError::OverLimit {
                field: field.to_string(),
                len,
                limit: self.max_body_len,
            });
        }
        Ok(len)
    }
}
