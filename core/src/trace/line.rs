//! Reading one trace line: the rules and the messages of the `Deserialize` that serde would
//! derive for the line's struct (an object with `conn` optional and no unknown or repeated
//! field, or an array in field order), with every value read as a `serde_json::Value` and
//! checked here. Typed serde deserializers would bring serde's float formatting into wasm
//! builds (about 20 KB), which read traces too.

use std::fmt;

use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

use super::Direction;

/// A trace line's fields, as read (its data still base64).
pub(super) struct Line {
    pub(super) conn: u64,
    pub(super) dir: Direction,
    pub(super) t: f64,
    pub(super) offset: u64,
    pub(super) data: String,
}

/// The fields, in order.
const FIELDS: &[&str] = &["conn", "dir", "t", "offset", "data"];

/// Reads a trace line; the error is serde_json's (with its position).
pub(super) fn read_line(text: &str) -> Result<Line, serde_json::Error> {
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let line = deserializer.deserialize_any(LineVisitor)?;
    deserializer.end()?;
    Ok(line)
}

/// The fields read so far.
#[derive(Default)]
struct Fields {
    conn: Option<u64>,
    dir: Option<Direction>,
    t: Option<f64>,
    offset: Option<u64>,
    data: Option<String>,
}

impl Fields {
    /// Reads the value of field `index` (into [`FIELDS`]).
    fn set<E: de::Error>(&mut self, index: usize, value: Value) -> Result<(), E> {
        match index {
            0 => self.conn = Some(whole(&value)?),
            1 => self.dir = Some(direction(&value)?),
            2 => self.t = Some(value.as_f64().ok_or_else(|| invalid_type(&value, "f64"))?),
            3 => self.offset = Some(whole(&value)?),
            _ => match value {
                Value::String(data) => self.data = Some(data),
                other => return Err(invalid_type(&other, "a string")),
            },
        }
        Ok(())
    }

    fn is_set(&self, index: usize) -> bool {
        match index {
            0 => self.conn.is_some(),
            1 => self.dir.is_some(),
            2 => self.t.is_some(),
            3 => self.offset.is_some(),
            _ => self.data.is_some(),
        }
    }

    fn line<E: de::Error>(self) -> Result<Line, E> {
        Ok(Line {
            conn: self.conn.unwrap_or(0),
            dir: self.dir.ok_or_else(|| E::missing_field("dir"))?,
            t: self.t.ok_or_else(|| E::missing_field("t"))?,
            offset: self.offset.ok_or_else(|| E::missing_field("offset"))?,
            data: self.data.ok_or_else(|| E::missing_field("data"))?,
        })
    }
}

struct LineVisitor;

impl<'de> Visitor<'de> for LineVisitor {
    type Value = Line;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("struct TraceLine")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Line, A::Error> {
        let mut fields = Fields::default();
        while let Some(key) = map.next_key::<String>()? {
            let Some(index) = FIELDS.iter().position(|field| *field == key) else {
                return Err(de::Error::unknown_field(&key, FIELDS));
            };
            if fields.is_set(index) {
                return Err(de::Error::duplicate_field(FIELDS[index]));
            }
            fields.set(index, map.next_value()?)?;
        }
        fields.line()
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Line, A::Error> {
        let mut fields = Fields::default();
        for index in 0..FIELDS.len() {
            match seq.next_element()? {
                Some(value) => fields.set(index, value)?,
                // `conn` may be missing; the first missing field after it ends the line.
                None if index == 0 => {}
                None => {
                    return Err(de::Error::invalid_length(
                        index,
                        &"struct TraceLine with 5 elements",
                    ))
                }
            }
        }
        fields.line()
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Line, E> {
        Err(invalid_type(&Value::from(v), "struct TraceLine"))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Line, E> {
        Err(invalid_type(&Value::from(v), "struct TraceLine"))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Line, E> {
        Err(invalid_type(&Value::from(v), "struct TraceLine"))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Line, E> {
        Err(invalid_type(&Value::from(v), "struct TraceLine"))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Line, E> {
        Err(invalid_type(&Value::from(v), "struct TraceLine"))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Line, E> {
        Err(invalid_type(&Value::Null, "struct TraceLine"))
    }
}

/// A `u64` field.
fn whole<E: de::Error>(value: &Value) -> Result<u64, E> {
    match value {
        Value::Number(n) if n.is_i64() && !n.is_u64() => Err(E::custom(format_args!(
            "invalid value: integer `{n}`, expected u64"
        ))),
        _ => value.as_u64().ok_or_else(|| invalid_type(value, "u64")),
    }
}

/// The direction: its name, or (as serde reads enums) an object `{"in": null}`.
fn direction<E: de::Error>(value: &Value) -> Result<Direction, E> {
    let name = match value {
        Value::String(name) => name,
        Value::Object(map) if map.len() == 1 => {
            let (name, unit) = map.iter().next().expect("one member");
            if !unit.is_null() {
                return Err(invalid_type(unit, "unit"));
            }
            name
        }
        _ => return Err(E::custom("expected value")),
    };
    match name.as_str() {
        "in" => Ok(Direction::In),
        "out" => Ok(Direction::Out),
        other => Err(E::unknown_variant(other, &["in", "out"])),
    }
}

/// serde's "invalid type" error, worded as serde_json words it.
fn invalid_type<E: de::Error>(value: &Value, expected: &str) -> E {
    let found = match value {
        Value::Null => "null".to_string(),
        Value::Bool(b) => format!("boolean `{b}`"),
        Value::Number(n) if n.is_f64() => format!("floating point `{n}`"),
        Value::Number(n) => format!("integer `{n}`"),
        Value::String(s) => format!("string {s:?}"),
        Value::Array(_) => "sequence".to_string(),
        Value::Object(_) => "map".to_string(),
    };
    E::custom(format_args!("invalid type: {found}, expected {expected}"))
}
