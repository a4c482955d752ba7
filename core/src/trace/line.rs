//! Reading one trace line with the rules of the `Deserialize` serde would derive for it: an
//! object with `conn` optional and no unknown or repeated field (or an array of the fields
//! in order), worded as serde words its errors but without their positions. The line is
//! parsed as a frame header is (a JSON object with distinct keys) and its values checked
//! here: typed serde deserializers would bring serde's float formatting and a second JSON
//! parser into wasm builds, which read traces too.

use std::borrow::Cow;

use serde_json::Value;

use super::Direction;
use crate::decoder::parse_header;
use crate::DecodeError;

/// A trace line's fields, as read (its data still base64).
pub(super) struct Line {
    pub(super) conn: u64,
    pub(super) dir: Direction,
    pub(super) t: f64,
    pub(super) offset: u64,
    pub(super) data: String,
}

/// The fields, in order.
const FIELDS: [&str; 5] = ["conn", "dir", "t", "offset", "data"];

/// Reads a trace line; the error says what is wrong with it.
pub(super) fn read_line(text: &str) -> Result<Line, String> {
    let mut values: [Option<Value>; 5] = Default::default();
    match parse_header(Cow::Borrowed(text.as_bytes()), 0) {
        Ok((object, _)) => {
            for (key, value) in object {
                let Some(index) = FIELDS.iter().position(|field| *field == key) else {
                    return Err(format!(
                        "unknown field `{key}`, expected one of `conn`, `dir`, `t`, `offset`, `data`"
                    ));
                };
                values[index] = Some(value);
            }
        }
        Err(DecodeError::HeaderNotObject { .. }) => {
            match serde_json::from_str(text).map_err(|e| e.to_string())? {
                Value::Array(items) if items.len() > FIELDS.len() => {
                    return Err("trailing characters".to_string())
                }
                Value::Array(items) => {
                    // serde lets `conn` alone be missing, so even `[]` lacks field 1.
                    let missing = items.len().max(1);
                    if missing < FIELDS.len() {
                        return Err(format!(
                            "invalid length {missing}, expected struct TraceLine with 5 elements"
                        ));
                    }
                    for (slot, item) in values.iter_mut().zip(items) {
                        *slot = Some(item);
                    }
                }
                other => return Err(invalid_type(&other, "struct TraceLine")),
            }
        }
        Err(DecodeError::HeaderRepeatedKey { key, .. }) => {
            return Err(format!("duplicate field `{key}`"))
        }
        Err(DecodeError::HeaderNotJson { message, .. }) => return Err(message),
        Err(other) => return Err(other.to_string()),
    }
    // Like serde: first the values present, then the fields missing, each in field order.
    let [conn, dir, t, offset, data] = values;
    let conn = conn.map(|conn| whole(&conn)).transpose()?;
    let dir = dir.map(|dir| direction(&dir)).transpose()?;
    let t = t
        .map(|t| t.as_f64().ok_or_else(|| invalid_type(&t, "f64")))
        .transpose()?;
    let offset = offset.map(|offset| whole(&offset)).transpose()?;
    let data = data
        .map(|data| match data {
            Value::String(data) => Ok(data),
            other => Err(invalid_type(&other, "a string")),
        })
        .transpose()?;
    let missing = |field: &str| format!("missing field `{field}`");
    Ok(Line {
        conn: conn.unwrap_or(0),
        dir: dir.ok_or_else(|| missing("dir"))?,
        t: t.ok_or_else(|| missing("t"))?,
        offset: offset.ok_or_else(|| missing("offset"))?,
        data: data.ok_or_else(|| missing("data"))?,
    })
}

/// A `u64` field.
fn whole(value: &Value) -> Result<u64, String> {
    match value {
        Value::Number(n) if n.is_i64() && !n.is_u64() => {
            Err(format!("invalid value: integer `{n}`, expected u64"))
        }
        _ => value.as_u64().ok_or_else(|| invalid_type(value, "u64")),
    }
}

/// The direction: its name, or (as serde reads enums) an object `{"in": null}`.
fn direction(value: &Value) -> Result<Direction, String> {
    let name = match value {
        Value::String(name) => name,
        Value::Object(map) if map.len() == 1 => {
            let (name, unit) = map.iter().next().expect("one member");
            if !unit.is_null() {
                return Err(invalid_type(unit, "unit"));
            }
            name
        }
        _ => return Err("expected value".to_string()),
    };
    match name.as_str() {
        "in" => Ok(Direction::In),
        "out" => Ok(Direction::Out),
        other => Err(format!("unknown variant `{other}`, expected `in` or `out`")),
    }
}

/// serde's "invalid type" error, worded as serde_json words it.
fn invalid_type(value: &Value, expected: &str) -> String {
    let found = match value {
        Value::Null => "null".to_string(),
        Value::Bool(b) => format!("boolean `{b}`"),
        Value::Number(n) if n.is_f64() => format!("floating point `{n}`"),
        Value::Number(n) => format!("integer `{n}`"),
        Value::String(s) => format!("string {s:?}"),
        Value::Array(_) => "sequence".to_string(),
        Value::Object(_) => "map".to_string(),
    };
    format!("invalid type: {found}, expected {expected}")
}

#[cfg(test)]
mod tests {
    use super::read_line;

    fn error(text: &str) -> String {
        read_line(text).err().unwrap_or_default()
    }

    #[test]
    fn reads_a_line_as_an_object_or_an_array_of_its_fields() {
        for text in [
            r#"{"conn":1,"dir":"in","t":0.5,"offset":7,"data":"AA=="}"#,
            r#"{"data":"AA==","offset":7,"t":0.5,"dir":{"in":null},"conn":1}"#,
            r#"[1,"in",0.5,7,"AA=="]"#,
        ] {
            let line = read_line(text).unwrap();
            assert_eq!((line.conn, line.t, line.offset), (1, 0.5, 7), "{text}");
            assert_eq!(line.data, "AA==");
        }
        assert_eq!(
            read_line(r#"{"dir":"out","t":2,"offset":0,"data":""}"#)
                .unwrap()
                .conn,
            0
        );
    }

    #[test]
    fn words_errors_as_serde_does() {
        let cases = [
            (r#"{"dir":"in"}"#, "missing field `t`"),
            (r#"{"dir":"in","dir":"in"}"#, "duplicate field `dir`"),
            (
                r#"{"x":1}"#,
                "unknown field `x`, expected one of `conn`, `dir`, `t`, `offset`, `data`",
            ),
            (
                r#"{"dir":"up","t":0,"offset":0,"data":""}"#,
                "unknown variant `up`, expected `in` or `out`",
            ),
            (
                r#"{"dir":"in","t":"x","offset":0,"data":""}"#,
                r#"invalid type: string "x", expected f64"#,
            ),
            (
                r#"{"dir":"in","t":0,"offset":-1,"data":""}"#,
                "invalid value: integer `-1`, expected u64",
            ),
            (
                r#"{"dir":"in","t":0,"offset":1.5,"data":""}"#,
                "invalid type: floating point `1.5`, expected u64",
            ),
            (
                r#"{"dir":"in","t":0,"offset":0,"data":[]}"#,
                "invalid type: sequence, expected a string",
            ),
            (
                "[1]",
                "invalid length 1, expected struct TraceLine with 5 elements",
            ),
            (r#"[0,"in",0,0,"",0]"#, "trailing characters"),
            (
                "true",
                "invalid type: boolean `true`, expected struct TraceLine",
            ),
            ("not json", "expected ident at line 1 column 2"),
        ];
        for (text, message) in cases {
            assert_eq!(error(text), message, "{text}");
        }
    }
}
