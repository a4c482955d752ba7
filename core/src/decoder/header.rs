//! A complete header's bytes to a JSON object: UTF-8, then JSON, then an object whose keys
//! are all different (a repeated key, `{"size":1,"size":100}`, would let two readers of
//! the same stream disagree on where the body ends).

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

use super::flat;
use crate::error::DecodeError;
use crate::Header;

/// Checks that header bytes are a UTF-8 JSON object with distinct keys and parses them;
/// `start` is their stream offset.
pub(crate) fn parse_header(
    bytes: Cow<'_, [u8]>,
    start: u64,
) -> Result<(Header, Cow<'_, str>), DecodeError> {
    let raw: Cow<'_, str> = match bytes {
        Cow::Borrowed(b) => {
            Cow::Borrowed(
                std::str::from_utf8(b).map_err(|e| DecodeError::HeaderNotUtf8 {
                    offset: start + e.valid_up_to() as u64,
                })?,
            )
        }
        Cow::Owned(b) => {
            Cow::Owned(
                String::from_utf8(b).map_err(|e| DecodeError::HeaderNotUtf8 {
                    offset: start + e.utf8_error().valid_up_to() as u64,
                })?,
            )
        }
    };
    // Most headers are flat objects of simple values with distinct keys: those take a fast
    // path that builds the very map serde_json would; every other text goes to serde_json.
    if let Some(header) = flat::parse_flat_object(&raw) {
        return Ok((header, raw));
    }
    let header = parse_header_with_serde(&raw, start)?;
    Ok((header, raw))
}

/// Parses a header's text with serde_json alone (no fast path): a JSON object whose keys
/// are all different; `start` is its stream offset.
pub(crate) fn parse_header_with_serde(text: &str, start: u64) -> Result<Header, DecodeError> {
    let mut repeated = None;
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let parsed = TopLevel {
        repeated: &mut repeated,
    }
    .deserialize(&mut deserializer)
    .and_then(|parsed| deserializer.end().map(|()| parsed));
    match parsed {
        Ok(Parsed::Object(header)) => Ok(header),
        Ok(Parsed::Other(found)) => Err(DecodeError::HeaderNotObject {
            offset: start,
            found: found.to_string(),
        }),
        Err(e) => {
            let offset = start + json_error_offset(text, e.line(), e.column());
            Err(match repeated {
                Some(key) => DecodeError::HeaderRepeatedKey { offset, key },
                None => DecodeError::HeaderNotJson {
                    offset,
                    message: e.to_string(),
                },
            })
        }
    }
}

/// Converts serde_json's error position into the offset within `text` of the byte where the
/// parser gave up (its last byte when the text ended too soon). serde_json reports the
/// position just after that byte, as a line from 1 and the count of that line's bytes before
/// it; so column 0 means the byte was the newline ending the line before.
fn json_error_offset(text: &str, line: usize, column: usize) -> u64 {
    let line_start: usize = text
        .split_inclusive('\n')
        .take(line.saturating_sub(1))
        .map(str::len)
        .sum();
    (line_start + column).saturating_sub(1).min(text.len()) as u64
}

/// What the top-level JSON value is: an object, or the kind of anything else.
enum Parsed {
    Object(Header),
    Other(&'static str),
}

/// Parses the top-level value, building an object's map and noting a repeated key.
struct TopLevel<'r> {
    repeated: &'r mut Option<String>,
}

impl<'de> DeserializeSeed<'de> for TopLevel<'_> {
    type Value = Parsed;

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<Parsed, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for TopLevel<'_> {
    type Value = Parsed;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Parsed, A::Error> {
        let mut map = Map::new();
        while let Some(key) = access.next_key::<String>()? {
            let value: Value = access.next_value()?;
            if map.contains_key(&key) {
                // The key as JSON (`Value`'s `Display` would add a second JSON writer).
                let message = format!(
                    "repeated key {}",
                    serde_json::to_string(&key).unwrap_or_default()
                );
                *self.repeated = Some(key);
                return Err(de::Error::custom(message));
            }
            map.insert(key, value);
        }
        Ok(Parsed::Object(map))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut access: A) -> Result<Parsed, A::Error> {
        while access.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Parsed::Other("array"))
    }

    fn visit_bool<E>(self, _: bool) -> Result<Parsed, E> {
        Ok(Parsed::Other("bool"))
    }

    fn visit_i64<E>(self, _: i64) -> Result<Parsed, E> {
        Ok(Parsed::Other("number"))
    }

    fn visit_u64<E>(self, _: u64) -> Result<Parsed, E> {
        Ok(Parsed::Other("number"))
    }

    fn visit_f64<E>(self, _: f64) -> Result<Parsed, E> {
        Ok(Parsed::Other("number"))
    }

    fn visit_str<E>(self, _: &str) -> Result<Parsed, E> {
        Ok(Parsed::Other("string"))
    }

    fn visit_unit<E>(self) -> Result<Parsed, E> {
        Ok(Parsed::Other("null"))
    }
}
