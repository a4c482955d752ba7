//! A fast path for the commonest headers: flat JSON objects whose values are strings without
//! escapes, non-negative integers, booleans or null.
//!
//! [`parse_flat_object`] builds exactly the map that `serde_json::from_str::<Value>` builds for
//! such a text, without serde's general machinery, and gives up (`None`) on anything else:
//! nesting, escapes, negative or fractional numbers, keys serde_json may treat specially,
//! repeated keys, and every text serde_json would reject. The caller then parses with serde_json, so results and
//! errors are serde_json's in every case.

use serde_json::{Map, Value};

/// The object `text` holds when it is a flat object of simple values; `None` otherwise.
pub(super) fn parse_flat_object(text: &str) -> Option<Map<String, Value>> {
    let b = text.as_bytes();
    let mut i = skip_ws(b, 0);
    if b.get(i) != Some(&b'{') {
        return None;
    }
    i = skip_ws(b, i + 1);
    let mut map = Map::new();
    if b.get(i) == Some(&b'}') {
        return (skip_ws(b, i + 1) == b.len()).then_some(map);
    }
    loop {
        if b.get(i) != Some(&b'"') {
            return None;
        }
        let (key, next) = string(text, i + 1)?;
        // With some serde_json features, keys like "$serde_json::private::Number" are special.
        if key.starts_with('$') {
            return None;
        }
        i = skip_ws(b, next);
        if b.get(i) != Some(&b':') {
            return None;
        }
        i = skip_ws(b, i + 1);
        let (value, next) = scalar(text, i)?;
        // A repeated key is an error, reported with its offset by the full parser.
        if map.insert(key.to_owned(), value).is_some() {
            return None;
        }
        i = skip_ws(b, next);
        match b.get(i) {
            Some(b',') => i = skip_ws(b, i + 1),
            Some(b'}') => return (skip_ws(b, i + 1) == b.len()).then_some(map),
            _ => return None,
        }
    }
}

/// The index of the first byte at or after `i` that is not JSON whitespace.
#[inline]
fn skip_ws(b: &[u8], mut i: usize) -> usize {
    while let Some(b' ' | b'\n' | b'\t' | b'\r') = b.get(i) {
        i += 1;
    }
    i
}

/// The contents of the string starting at `start` (just after its opening quote) and the
/// index after its closing quote; `None` if it holds an escape or a control character
/// (which serde_json rejects) or does not end.
#[inline]
fn string(text: &str, start: usize) -> Option<(&str, usize)> {
    let rest = text.as_bytes().get(start..)?;
    let len = rest.iter().position(|&c| STRING_STOP[usize::from(c)])?;
    if rest[len] != b'"' {
        return None;
    }
    Some((text.get(start..start + len)?, start + len + 1))
}

/// The bytes that end the plain run of a string: its closing quote, an escape, or a control
/// character.
static STRING_STOP: [bool; 256] = {
    let mut table = [false; 256];
    let mut c = 0;
    while c < 0x20 {
        table[c] = true;
        c += 1;
    }
    table[b'"' as usize] = true;
    table[b'\\' as usize] = true;
    table
};

/// A value that is not an object or array, at `i`, and the index after it. Whatever follows
/// is left for the caller to check (so `1.5`, `1e3`, `01` and `truex` are refused there).
#[inline]
fn scalar(text: &str, i: usize) -> Option<(Value, usize)> {
    let b = text.as_bytes();
    match *b.get(i)? {
        b'"' => {
            let (s, next) = string(text, i + 1)?;
            Some((Value::String(s.to_owned()), next))
        }
        b'0' => Some((Value::from(0u64), i + 1)),
        b'1'..=b'9' => {
            let mut n: u64 = 0;
            let mut j = i;
            while let Some(&d @ b'0'..=b'9') = b.get(j) {
                // 19 digits always fit in a u64; longer numbers are left to serde_json.
                if j - i == 19 {
                    return None;
                }
                n = n * 10 + u64::from(d - b'0');
                j += 1;
            }
            Some((Value::from(n), j))
        }
        b't' => literal(b, i, b"true", Value::Bool(true)),
        b'f' => literal(b, i, b"false", Value::Bool(false)),
        b'n' => literal(b, i, b"null", Value::Null),
        _ => None,
    }
}

#[inline]
fn literal(b: &[u8], i: usize, word: &[u8], value: Value) -> Option<(Value, usize)> {
    b[i..].starts_with(word).then_some((value, i + word.len()))
}

#[cfg(test)]
mod tests {
    use super::parse_flat_object;
    use proptest::prelude::*;
    use serde_json::Value;

    /// Whenever the fast path answers, serde_json gives the same object.
    fn agrees(text: &str) {
        if let Some(map) = parse_flat_object(text) {
            let parsed: Result<Value, _> = serde_json::from_str(text);
            assert_eq!(parsed.ok(), Some(Value::Object(map)), "{text:?}");
        }
    }

    #[test]
    fn takes_the_common_headers() {
        for text in [
            r#"{"op":"chat","from":"alice","text":"hi there","size":64}"#,
            r#"{}"#,
            " \r\n\t{ } \n",
            r#"{ "size" : 0 , "ok" : true, "no": false, "nothing": null }"#,
            r#"{"filename":"中文.txt","size":18446744073709551}"#,
            r#"{"size":9999999999999999999}"#,
        ] {
            assert!(parse_flat_object(text).is_some(), "{text:?}");
            agrees(text);
        }
    }

    #[test]
    fn leaves_the_rest_to_serde_json() {
        for text in [
            "",
            " ",
            "[]",
            "1",
            r#""{}""#,
            "{",
            "{}}",
            "{} x",
            r#"{"a"}"#,
            r#"{"a":}"#,
            r#"{"a":1,}"#,
            r#"{"a":1 "b":2}"#,
            r#"{"a":01}"#,
            r#"{"a":00}"#,
            r#"{"a":-1}"#,
            r#"{"a":-0}"#,
            r#"{"a":1.5}"#,
            r#"{"a":1e3}"#,
            r#"{"a":1E3}"#,
            r#"{"a":10000000000000000000}"#,
            r#"{"a":18446744073709551616}"#,
            r#"{"a":truex}"#,
            r#"{"a":tru}"#,
            r#"{"a":nul}"#,
            r#"{"a":"\n"}"#,
            r#"{"a\u0041":1}"#,
            "{\"a\":\"x\ty\"}",
            r#"{"a":1,"a":2}"#,
            r#"{"a":[1]}"#,
            r#"{"a":{"b":1}}"#,
            r#"{"$serde_json::private::Number":"1"}"#,
            "\u{feff}{}",
            "{\"a\":1}\u{a0}",
        ] {
            assert!(parse_flat_object(text).is_none(), "{text:?}");
        }
    }

    proptest! {
        /// Texts made of JSON's pieces, well-formed or not.
        #[test]
        fn agrees_with_serde_json_on_token_soup(
            tokens in proptest::collection::vec(prop_oneof![
                Just("{"), Just("}"), Just("["), Just("]"), Just(":"), Just(","), Just(" "),
                Just("\n"), Just("\t"), Just("\r"), Just("\u{a0}"), Just("\""), Just("\\"),
                Just("\"k\""), Just("\"size\""), Just("\"$k\""), Just("\"é中😀\""), Just("\"\\n\""),
                Just("\"\\u0041\""), Just("0"), Just("7"), Just("-"), Just("."), Just("e"),
                Just("18446744073709551615"), Just("18446744073709551616"),
                Just("9999999999999999999"), Just("true"), Just("false"), Just("null"),
                Just("nul"), Just("x"), Just("\u{0}"), Just("\u{1f}"),
            ], 0..16),
        ) {
            agrees(&tokens.concat());
        }

        /// Flat objects of simple values, laid out with any whitespace: always taken, and right.
        #[test]
        fn takes_and_agrees_on_flat_objects(
            entries in proptest::collection::vec(
                ("[a-z_é中]{0,6}", prop_oneof![
                    "[ -!#-\\[\\]-~é中😀]{0,8}".prop_map(Value::from),
                    any::<u64>().prop_filter("19 digits at most", |n| *n < 10_000_000_000_000_000_000).prop_map(Value::from),
                    any::<bool>().prop_map(Value::from),
                    Just(Value::Null),
                ]),
                0..6,
            ).prop_filter("distinct keys", |entries| {
                let keys: std::collections::BTreeSet<&String> = entries.iter().map(|(k, _)| k).collect();
                keys.len() == entries.len()
            }),
            ws in proptest::collection::vec("[ \t\r\n]{0,2}", 32),
        ) {
            let mut text = format!("{}{{{}", ws[0], ws[1]);
            for (n, (key, value)) in entries.iter().enumerate() {
                if n > 0 {
                    text.push(',');
                    text.push_str(&ws[(4 * n) % 32]);
                }
                text.push_str(&format!("{}{}:{}{}{}", Value::from(key.as_str()), ws[(4 * n + 1) % 32], ws[(4 * n + 2) % 32], value, ws[(4 * n + 3) % 32]));
            }
            text.push_str(&format!("}}{}", ws[31]));
            prop_assert!(parse_flat_object(&text).is_some(), "{:?}", text);
            agrees(&text);
        }

        /// A valid header with a few bytes inserted, replaced or removed: the near misses.
        #[test]
        fn agrees_with_serde_json_on_near_misses(
            edits in proptest::collection::vec(
                (0..3u8, any::<prop::sample::Index>(), prop::sample::select(
                    b"{}[]:,\"\\ \n\t\r-+.eE0159tfnulrsax$\x00\x1f".to_vec(),
                )),
                1..4,
            ),
        ) {
            let mut bytes =
                br#" {"op":"chat", "n":0, "size":64,"ok":true,"no":false,"x":null, "t":"hi"} "#.to_vec();
            for (kind, at, byte) in edits {
                match kind {
                    0 => bytes.insert(at.index(bytes.len() + 1), byte),
                    1 => {
                        let i = at.index(bytes.len());
                        bytes[i] = byte;
                    }
                    _ => {
                        bytes.remove(at.index(bytes.len()));
                    }
                }
            }
            agrees(std::str::from_utf8(&bytes).unwrap());
        }
    }
}
