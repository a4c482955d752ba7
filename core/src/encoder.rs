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
        // The body length is read from the text when it is plain to see there (a chat line,
        // an echo); otherwise from the header as a map, which also gives the errors.
        let body_len = match self.quick_body_len(json) {
            Some(len) => len,
            None => {
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

    /// The body length that the compact JSON text of an object declares, when it is plain
    /// to see: no size field at the top level (0), or exactly one holding a plain
    /// non-negative integer within the limit. `None`: anything else (several size fields,
    /// another kind of value, a field name JSON would escape), left to [`Framing::body_len`].
    ///
    /// Inside a JSON string every quote and backslash is escaped, so a string token that
    /// is followed by `:` at depth 1 is a key of the object itself.
    fn quick_body_len(&self, json: &[u8]) -> Option<u64> {
        let fields = &self.framing.size_fields;
        let plain = |field: &String| {
            field
                .bytes()
                .all(|b| b.is_ascii_graphic() && b != b'"' && b != b'\\')
        };
        if !fields.iter().all(plain) {
            return None;
        }
        let mut found: Option<u64> = None;
        let mut depth = 0usize;
        let mut i = 0;
        while i < json.len() {
            match json[i] {
                b'"' => {
                    let start = i + 1;
                    let mut end = start;
                    loop {
                        match json.get(end)? {
                            b'\\' => end += 2,
                            b'"' => break,
                            _ => end += 1,
                        }
                    }
                    i = end + 1;
                    let token = &json[start..end];
                    if depth == 1
                        && json.get(i) == Some(&b':')
                        && fields.iter().any(|field| field.as_bytes() == token)
                    {
                        let digits = &json[i + 1..];
                        let n = digits.iter().take_while(|b| b.is_ascii_digit()).count();
                        if n == 0 || !matches!(digits.get(n), Some(b',' | b'}')) || found.is_some()
                        {
                            return None;
                        }
                        found = Some(std::str::from_utf8(&digits[..n]).ok()?.parse().ok()?);
                        i += 1 + n;
                    }
                }
                b'{' | b'[' => {
                    depth += 1;
                    i += 1;
                }
                b'}' | b']' => {
                    depth = depth.checked_sub(1)?;
                    i += 1;
                }
                _ => i += 1,
            }
        }
        let len = found.unwrap_or(0);
        (len <= self.framing.max_body_len).then_some(len)
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
