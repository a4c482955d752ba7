//! The encoder: a header (and its body length) to the bytes of a frame.

use serde::Serialize;
use serde_json::Value;
use thiserror::Error;

use crate::framing::{BodyLenError, Framing};

/// Why a header could not be encoded.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum EncodeError {
    /// The header did not serialize to a JSON object.
    #[error("a header must be a JSON object")]
    NotAnObject,
    /// The header could not be serialized at all.
    #[error("header could not be serialized: {0}")]
    Serialize(String),
    /// The serialized header is longer than the framing allows.
    #[error("header is {len} bytes, over the limit of {limit}")]
    HeaderTooLong {
        /// The header's length.
        len: usize,
        /// The limit in force.
        limit: u32,
    },
    /// The header's body-length field is unusable.
    #[error(transparent)]
    BodyLength(#[from] BodyLenError),
    /// The body given is not as long as the header declares.
    #[error("header declares a {declared}-byte body but {actual} bytes were given")]
    BodyLengthMismatch {
        /// What the header says.
        declared: u64,
        /// What was given.
        actual: u64,
    },
}

/// Writes frames: the 4-byte prefix, the JSON header and (optionally) the body.
#[derive(Debug, Clone, Default)]
pub struct Encoder {
    framing: Framing,
}

impl Encoder {
    /// An encoder with the given framing.
    pub fn new(framing: Framing) -> Self {
        Encoder { framing }
    }

    /// The framing options in force.
    pub fn framing(&self) -> &Framing {
        &self.framing
    }

    /// Appends prefix and header to `out` and returns the body length the header declares;
    /// the caller then writes exactly that many body bytes.
    pub fn encode_head<T: Serialize + ?Sized>(
        &self,
        header: &T,
        out: &mut Vec<u8>,
    ) -> Result<u64, EncodeError> {
        let value =
            serde_json::to_value(header).map_err(|e| EncodeError::Serialize(e.to_string()))?;
        let Value::Object(map) = &value else {
            return Err(EncodeError::NotAnObject);
        };
        let body_len = self.framing.body_len(map)?;
        // Written from `header` itself, so its fields keep their order (`op` first).
        let json = serde_json::to_vec(header).map_err(|e| EncodeError::Serialize(e.to_string()))?;
        let limit = self.framing.max_header_len;
        let len = u32::try_from(json.len())
            .ok()
            .filter(|&len| len <= limit)
            .ok_or(EncodeError::HeaderTooLong {
                len: json.len(),
                limit,
            })?;
        out.reserve(crate::PREFIX_LEN + json.len());
        out.extend_from_slice(&self.framing.write_prefix(len));
        out.extend_from_slice(&json);
        Ok(body_len)
    }

    /// Appends a whole frame to `out`; `body` must be as long as the header declares.
    pub fn encode_frame<T: Serialize + ?Sized>(
        &self,
        header: &T,
        body: &[u8],
        out: &mut Vec<u8>,
    ) -> Result<(), EncodeError> {
        let start = out.len();
        let declared = self.encode_head(header, out)?;
        if declared != body.len() as u64 {
            out.truncate(start);
            return Err(EncodeError::BodyLengthMismatch {
                declared,
                actual: body.len() as u64,
            });
        }
        out.extend_from_slice(body);
        Ok(())
    }

    /// A whole frame as a new buffer; see [`Encoder::encode_frame`].
    pub fn frame<T: Serialize + ?Sized>(
        &self,
        header: &T,
        body: &[u8],
    ) -> Result<Vec<u8>, EncodeError> {
        let mut out = Vec::new();
        self.encode_frame(header, body, &mut out)?;
        Ok(out)
    }
}
