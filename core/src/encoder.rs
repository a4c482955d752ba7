//! The encoder: a header (and its body length) to the bytes of a frame.

use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};
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
        let start = out.len();
        let result = self.write_head(header, out, start);
        if result.is_err() {
            out.truncate(start);
        }
        result
    }

    /// [`Encoder::encode_head`]: the JSON is written straight into `out` after room for the
    /// prefix, which is filled in once the header's length is known.
    fn write_head<T: Serialize + ?Sized>(
        &self,
        header: &T,
        out: &mut Vec<u8>,
        start: usize,
    ) -> Result<u64, EncodeError> {
        out.extend_from_slice(&[0; crate::PREFIX_LEN]);
        // Written from `header` itself, so its fields keep their order (`op` first).
        serde_json::to_writer(&mut *out, header)
            .map_err(|e| EncodeError::Serialize(e.to_string()))?;
        let json = &out[start + crate::PREFIX_LEN..];
        if json.first() != Some(&b'{') {
            return Err(EncodeError::NotAnObject);
        }
        let body_len = match self.declared_body_len(json) {
            Ok(len) => len,
            // Refused: judged again on the header as a map, so that the error quotes the
            // value as given (a float read back from text may differ in its last digit).
            Err(_) => {
                let value = serde_json::to_value(header)
                    .map_err(|e| EncodeError::Serialize(e.to_string()))?;
                let Value::Object(map) = &value else {
                    return Err(EncodeError::NotAnObject);
                };
                self.framing.body_len(map)?
            }
        };
        let json_len = out.len() - start - crate::PREFIX_LEN;
        let limit = self.framing.max_header_len;
        let len = u32::try_from(json_len)
            .ok()
            .filter(|&len| len <= limit)
            .ok_or(EncodeError::HeaderTooLong {
                len: json_len,
                limit,
            })?;
        out[start..start + crate::PREFIX_LEN].copy_from_slice(&self.framing.write_prefix(len));
        Ok(body_len)
    }

    /// The body length that the JSON text of an object declares, read by serde_json: the
    /// size fields' values are kept, every other value is skipped unbuilt, and
    /// [`Framing::body_len`] judges them (an accepted length is a plain integer, exact).
    fn declared_body_len(&self, json: &[u8]) -> Result<u64, EncodeError> {
        let unreadable = |e: &dyn fmt::Display| EncodeError::Serialize(e.to_string());
        let text = std::str::from_utf8(json).map_err(|e| unreadable(&e))?;
        let found = serde_json::Deserializer::from_str(text)
            .deserialize_map(SizeFields(&self.framing.size_fields))
            .map_err(|e| unreadable(&e))?;
        let value_of = |i| found.iter().find(|(field, _)| *field == i).map(|(_, v)| v);
        Ok(self.framing.body_len_of(value_of)?)
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

/// Visits a JSON object and keeps only the values of the listed fields (the body-length
/// fields), by the field's index, skipping every other value without building it.
struct SizeFields<'f>(&'f [String]);

impl<'de> Visitor<'de> for SizeFields<'_> {
    type Value = Vec<(usize, Value)>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Self::Value, A::Error> {
        let mut found: Vec<(usize, Value)> = Vec::new();
        while let Some(field) = access.next_key_seed(SizeFieldKey(self.0))? {
            match field {
                Some(i) => {
                    let value = access.next_value()?;
                    // A repeated key: the last one counts, as in a map.
                    found.retain(|(seen, _)| *seen != i);
                    found.push((i, value));
                }
                None => {
                    access.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(found)
    }
}

/// Reads a key without keeping it: which of the listed fields it is, if any.
struct SizeFieldKey<'f>(&'f [String]);

impl<'de> DeserializeSeed<'de> for SizeFieldKey<'_> {
    type Value = Option<usize>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for SizeFieldKey<'_> {
    type Value = Option<usize>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object key")
    }

    fn visit_str<E>(self, key: &str) -> Result<Option<usize>, E> {
        Ok(self.0.iter().position(|field| field == key))
    }
}
