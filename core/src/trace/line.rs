//! Reading one trace line: serde's derived `Deserialize` (an object with `conn` optional and
//! no unknown or repeated field, or an array of the fields in order) and Seam's wording of
//! its errors: what is wrong, with the place in the line only for malformed JSON.

use serde::Deserialize;

use super::Direction;

/// A trace line's fields, as read (its data still base64).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct TraceLine {
    #[serde(default)]
    pub(super) conn: u64,
    pub(super) dir: Direction,
    pub(super) t: f64,
    pub(super) offset: u64,
    pub(super) data: String,
}

/// Reads a trace line; the error says what is wrong with it.
pub(super) fn read_line(text: &str) -> Result<TraceLine, String> {
    serde_json::from_str(text).map_err(|error| {
        let message = error.to_string();
        if error.is_syntax() || error.is_eof() {
            return message;
        }
        // A wrong field or value: the position adds nothing to the field's name.
        let position = format!(" at line {} column {}", error.line(), error.column());
        message
            .strip_suffix(&position)
            .map_or(message.clone(), str::to_string)
    })
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
    fn words_errors_as_serde_does_without_positions_but_for_malformed_json() {
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
            (
                r#"[0,"in",0,0,"",0]"#,
                "trailing characters at line 1 column 16",
            ),
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
