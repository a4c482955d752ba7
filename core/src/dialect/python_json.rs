//! JSON text exactly as Python's `json.dumps(obj)` writes it with its defaults: `", "`
//! between members, `": "` after keys, and every non-ASCII character escaped as `\uXXXX`
//! (a UTF-16 surrogate pair above U+FFFF), lower-case hex as Python writes it.

use std::io;

use serde::Serialize;
use serde_json::ser::{CompactFormatter, Formatter};

/// Python's `json.dumps(value)` of a value: see the module docs.
pub fn dumps<T: Serialize + ?Sized>(value: &T) -> Result<String, serde_json::Error> {
    let mut out = Vec::new();
    let mut serializer = serde_json::Serializer::with_formatter(&mut out, PythonFormatter);
    value.serialize(&mut serializer)?;
    // Only ASCII is ever written: non-ASCII characters are escaped.
    Ok(String::from_utf8(out).expect("the formatter writes ASCII"))
}

/// A `serde_json` formatter with Python's default separators and `ensure_ascii=True`.
#[derive(Debug, Clone, Copy, Default)]
pub struct PythonFormatter;

impl Formatter for PythonFormatter {
    fn begin_array_value<W: ?Sized + io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> io::Result<()> {
        if first {
            Ok(())
        } else {
            w.write_all(b", ")
        }
    }

    fn begin_object_key<W: ?Sized + io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> io::Result<()> {
        if first {
            Ok(())
        } else {
            w.write_all(b", ")
        }
    }

    fn begin_object_value<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        w.write_all(b": ")
    }

    fn write_string_fragment<W: ?Sized + io::Write>(
        &mut self,
        w: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        let mut plain = 0;
        for (i, ch) in fragment.char_indices() {
            // Python escapes DEL too: `ensure_ascii` keeps only `' '..='~'` as it is.
            if ch.is_ascii() && ch != '\u{7f}' {
                continue;
            }
            CompactFormatter.write_string_fragment(w, &fragment[plain..i])?;
            let mut units = [0u16; 2];
            for unit in ch.encode_utf16(&mut units) {
                write!(w, "\\u{unit:04x}")?;
            }
            plain = i + ch.len_utf8();
        }
        CompactFormatter.write_string_fragment(w, &fragment[plain..])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn separates_members_as_python_does() {
        let text = dumps(&json!({"filename": "cls.txt", "len": 12})).unwrap();
        assert_eq!(text, r#"{"filename": "cls.txt", "len": 12}"#);
    }

    #[test]
    fn escapes_non_ascii_as_python_does() {
        // python3 -c 'import json; print(json.dumps({"a": "电影 é 😀"}))'
        let text = dumps(&json!({"a": "电影 é 😀"})).unwrap();
        assert_eq!(text, r#"{"a": "\u7535\u5f71 \u00e9 \ud83d\ude00"}"#);
    }

    #[test]
    fn escapes_control_characters_and_quotes_as_python_does() {
        let text = dumps(&json!(["a\"b\\c\n\u{1}"])).unwrap();
        assert_eq!(text, r#"["a\"b\\c\n\u0001"]"#);
    }

    #[test]
    fn escapes_del_as_python_does() {
        // python3 -c 'import json; print(json.dumps("a\x7fb"))'
        assert_eq!(dumps("a\u{7f}b").unwrap(), r#""a\u007fb""#);
    }
}
