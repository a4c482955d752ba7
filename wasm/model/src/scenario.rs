//! Scenarios: what a sender's `send()` calls put on the wire, written as header text and body,
//! and how the network cuts that stream. The browser page composes these; the rules that
//! turn them into bytes live here so that the page never frames anything itself.
//!
//! A [`SendSpec`] is one `send()`: in [`SendMode::Auto`] a frame whose header text keeps its
//! formatting (key order, Python's `", "` spacing) while its body-length fields are set to the
//! body's length; in [`SendMode::AsTyped`] a frame whose header goes out exactly as typed
//! (broken JSON and lying sizes included, to see the decoder refuse them); in
//! [`SendMode::Unframed`] bare bytes with no prefix, as the tutorials send an MD5 after a file.
//!
//! ```
//! use seam_core::Framing;
//! use seam_page_model::{encode_sends, SendSpec};
//!
//! let sends = [SendSpec::auto(r#"{"op": "echo"}"#, "hello")];
//! let encoded = encode_sends(&Framing::default(), &sends);
//! let frame = encoded[0].as_ref().unwrap();
//! assert_eq!(frame.header_text(), r#"{"op": "echo", "size": 5}"#);
//! assert_eq!((frame.prefix_len, frame.header_len, frame.body_len), (4, 25, 5));
//! ```

use std::fmt;
use std::ops::Range;

use serde::de::{Deserializer, MapAccess, Visitor};
use serde::{Deserialize, Serialize};
use serde_json::error::Category;
use serde_json::value::RawValue;
use serde_json::Value;
use thiserror::Error;

use seam_core::{md5_hex, BodyLenError, Cut, CutSpecError, Framing, PREFIX_LEN};

/// How a [`SendSpec`] becomes bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SendMode {
    /// A frame; the header must be a JSON object, its body-length fields are set to the
    /// body's length (the first accepted field is added when none is present and there is a
    /// body) and the rest of its text is kept as typed.
    #[default]
    Auto,
    /// A frame whose header text is sent exactly as typed, valid or not.
    AsTyped,
    /// The body's bytes alone: no prefix, no header.
    Unframed,
}

/// One `send()` of a scenario.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct SendSpec {
    /// The header's JSON text (ignored when unframed).
    pub header: String,
    /// The body, as UTF-8 text.
    pub body: String,
    /// How the send is encoded.
    pub mode: SendMode,
    /// The send (0-based) whose body this one describes. In `auto` mode the header's `md5`
    /// field, when present, is set to that body's MD5 and its `total` field to its length;
    /// an unframed send then consists of that MD5 as 32 hex digits.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub describes: Option<usize>,
}

impl SendSpec {
    /// An [`SendMode::Auto`] frame.
    pub fn auto(header: &str, body: &str) -> SendSpec {
        SendSpec {
            header: header.to_string(),
            body: body.to_string(),
            ..SendSpec::default()
        }
    }

    /// The same send, describing the body of send `index`.
    pub fn describing(mut self, index: usize) -> SendSpec {
        self.describes = Some(index);
        self
    }
}

/// A send as bytes: prefix, header and body, one after the other.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncodedSend {
    /// Every byte of the send.
    pub bytes: Vec<u8>,
    /// Length of the prefix (4, or 0 when unframed).
    pub prefix_len: usize,
    /// Length of the header text.
    pub header_len: usize,
    /// Length of the body.
    pub body_len: usize,
}

impl EncodedSend {
    /// The header's text (lossy if an as-typed header is not UTF-8, which text cannot be).
    pub fn header_text(&self) -> String {
        let header = &self.bytes[self.prefix_len..self.prefix_len + self.header_len];
        String::from_utf8_lossy(header).into_owned()
    }
}

/// Why a send could not be encoded.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SendError {
    /// The header text is not JSON.
    #[error("header is not JSON: {0}")]
    NotJson(String),
    /// The header is JSON but not an object.
    #[error("header must be a JSON object")]
    NotAnObject,
    /// The send has a body but the framing accepts no body-length field to declare it.
    #[error("the body needs a length field, but the framing accepts none")]
    NoSizeField,
    /// The header's body-length fields are unusable (over the body limit, say).
    #[error(transparent)]
    BodyLength(#[from] BodyLenError),
    /// The header is longer than the framing allows (or than a prefix can say).
    #[error("header is {len} bytes, over the limit of {limit}")]
    HeaderTooLong {
        /// The header's length.
        len: usize,
        /// The limit in force.
        limit: u32,
    },
    /// `describes` names a send that does not exist.
    #[error("describes send #{0}, which does not exist")]
    NoSuchSend(usize),
}

/// Encodes every send of a list (a send may describe another's body, so they go together).
/// A send that fails has its error in its place and the others are unaffected.
pub fn encode_sends(framing: &Framing, sends: &[SendSpec]) -> Vec<Result<EncodedSend, SendError>> {
    (0..sends.len())
        .map(|i| encode_send(framing, sends, i))
        .collect()
}

fn encode_send(
    framing: &Framing,
    sends: &[SendSpec],
    index: usize,
) -> Result<EncodedSend, SendError> {
    let send = &sends[index];
    let described = match send.describes {
        Some(i) => Some(
            sends
                .get(i)
                .ok_or(SendError::NoSuchSend(i))?
                .body
                .as_bytes(),
        ),
        None => None,
    };
    let body: Vec<u8> = match (send.mode, described) {
        (SendMode::Unframed, Some(other)) => md5_hex(other).into_bytes(),
        _ => send.body.as_bytes().to_vec(),
    };
    let header = match send.mode {
        SendMode::Unframed => {
            return Ok(EncodedSend {
                prefix_len: 0,
                header_len: 0,
                body_len: body.len(),
                bytes: body,
            })
        }
        SendMode::AsTyped => send.header.clone(),
        SendMode::Auto => auto_header(framing, &send.header, body.len() as u64, described)?,
    };
    let len = u32::try_from(header.len()).map_err(|_| SendError::HeaderTooLong {
        len: header.len(),
        limit: u32::MAX,
    })?;
    let mut bytes = Vec::with_capacity(PREFIX_LEN + header.len() + body.len());
    bytes.extend_from_slice(&framing.write_prefix(len));
    bytes.extend_from_slice(header.as_bytes());
    bytes.extend_from_slice(&body);
    Ok(EncodedSend {
        bytes,
        prefix_len: PREFIX_LEN,
        header_len: header.len(),
        body_len: body.len(),
    })
}

/// The header text of an auto send: the fields set, everything else as typed.
fn auto_header(
    framing: &Framing,
    text: &str,
    body_len: u64,
    described: Option<&[u8]>,
) -> Result<String, SendError> {
    let members = top_level_members(text)?;
    let mut edits: Vec<(Range<usize>, String)> = Vec::new();
    let mut has_size_field = false;
    for member in &members {
        // A body-length field is set to the body's length even when it is also `md5` or
        // `total`: one edit per member.
        let replacement = if framing.size_fields.contains(&member.key) {
            has_size_field = true;
            body_len.to_string()
        } else {
            match (member.key.as_str(), described) {
                ("md5", Some(other)) => format!("\"{}\"", md5_hex(other)),
                ("total", Some(other)) => other.len().to_string(),
                _ => continue,
            }
        };
        edits.push((member.value.clone(), replacement));
    }
    if !has_size_field && body_len > 0 {
        let field = framing.size_fields.first().ok_or(SendError::NoSizeField)?;
        // A string always serializes.
        let key = serde_json::to_string(field).unwrap_or_default();
        edits.push(insertion(text, &members, &key, &body_len.to_string()));
    }
    let mut out = text.to_string();
    // The edits are in text order (an insertion comes after every member): made from the
    // last to the first, each leaves the ranges before it in place.
    for (range, replacement) in edits.into_iter().rev() {
        out.replace_range(range, &replacement);
    }
    // Parsed as a `Value` (a typed map would bring serde's type errors into wasm builds); the
    // edits keep an object an object.
    let edited: Value =
        serde_json::from_str(&out).map_err(|e| SendError::NotJson(e.to_string()))?;
    let Value::Object(header) = edited else {
        return Err(SendError::NotAnObject);
    };
    framing.body_len(&header)?;
    if out.len() > framing.max_header_len as usize {
        return Err(SendError::HeaderTooLong {
            len: out.len(),
            limit: framing.max_header_len,
        });
    }
    Ok(out)
}

/// Where and what to insert for a new member `key: value`, in the style of the others.
fn insertion(text: &str, members: &[Member], key: &str, value: &str) -> (Range<usize>, String) {
    match members {
        [] => {
            let open = text.find('{').expect("an object has an opening brace") + 1;
            (open..open, format!("{key}:{value}"))
        }
        [first, rest @ ..] => {
            let colon = &text[first.key_span.end..first.value.start];
            let comma = match rest.first() {
                Some(second) => &text[first.value.end..second.key_span.start],
                // One member: Python's json.dumps puts a space after ':' and after ','.
                None if colon.ends_with(' ') => ", ",
                None => ",",
            };
            let at = members.last().expect("not empty").value.end;
            (at..at, format!("{comma}{key}{colon}{value}"))
        }
    }
}

/// One `"key": value` of an object's text.
struct Member {
    /// The key, unescaped.
    key: String,
    /// The key's text, quotes included.
    key_span: Range<usize>,
    /// The value's text.
    value: Range<usize>,
}

/// The members of a JSON object's text, in order, as serde_json reads them; the text must
/// be JSON, and an object.
fn top_level_members(text: &str) -> Result<Vec<Member>, SendError> {
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let spans = deserializer
        .deserialize_map(MemberSpans)
        .and_then(|spans| deserializer.end().map(|()| spans))
        .map_err(|e| match e.classify() {
            // Valid JSON of another type.
            Category::Data => SendError::NotAnObject,
            _ => SendError::NotJson(e.to_string()),
        })?;
    // A raw value borrowed from `text` is a slice of it: its offset is where it starts.
    let span = |raw: &RawValue| {
        let start = raw.get().as_ptr() as usize - text.as_ptr() as usize;
        start..start + raw.get().len()
    };
    let mut members = Vec::with_capacity(spans.len());
    for (key, value) in spans {
        members.push(Member {
            key: serde_json::from_str(key.get()).map_err(|e| SendError::NotJson(e.to_string()))?,
            key_span: span(key),
            value: span(value),
        });
    }
    Ok(members)
}

/// Visits an object, keeping each member's key and value as their raw text.
struct MemberSpans;

impl<'de> Visitor<'de> for MemberSpans {
    type Value = Vec<(&'de RawValue, &'de RawValue)>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Self::Value, A::Error> {
        let mut members = Vec::new();
        while let Some(key) = access.next_key()? {
            members.push((key, access.next_value()?));
        }
        Ok(members)
    }
}

/// The sends of a named preset, or `None` for an unknown name ([`PRESETS`] lists them).
pub fn preset(name: &str) -> Option<Vec<SendSpec>> {
    let file = "hello world\n";
    let listing = "Makefile\nREADME.md\nsrc\n";
    let sends = match name {
        "echo" => vec![SendSpec::auto(r#"{"op":"echo","size":5}"#, "hello")],
        "chat" => vec![
            SendSpec::auto(r#"{"op":"chat_join","name":"ana"}"#, ""),
            SendSpec::auto(r#"{"op":"chat","text":"hi, is the file there?"}"#, ""),
            SendSpec::auto(r#"{"op":"chat","text":"sending it now"}"#, ""),
        ],
        "file" => vec![
            SendSpec::auto(r#"{"op":"put","name":"notes.txt","total":0}"#, "").describing(1),
            SendSpec::auto(r#"{"op":"put_data","size":0}"#, "meeting at 10\nbring the slides\n"),
            SendSpec::auto(r#"{"op":"put_end","md5":""}"#, "").describing(1),
        ],
        "command" => vec![
            SendSpec::auto(r#"{"op":"output","stream":"stdout","size":0}"#, listing),
            SendSpec::auto(r#"{"op":"exit","code":0}"#, ""),
        ],
        "cmd_put" => vec![SendSpec::auto(
            r#"{"cmd": "put", "filename": "data.txt", "filesize": 0}"#,
            "0123456789abcdef0123456789abcdef01234567",
        )],
        "action_put" => vec![SendSpec::auto(
            r#"{"action": "put", "filename": "a.txt", "filesize": 0}"#,
            file,
        )],
        "filename_len" => vec![SendSpec::auto(r#"{"filename": "ls", "len": 0}"#, listing)],
        "data_size" => vec![SendSpec::auto(
            r#"{"data_size": 0}"#,
            "PING 127.0.0.1: 56 data bytes\n",
        )],
        "size_filename" => vec![SendSpec::auto(
            r#"{"size": 0, "filename": "movie.mp4"}"#,
            "(64 bytes of a film, pretend)..........................ENDFILM\n",
        )],
        "tutorial_md5" => vec![
            SendSpec::auto(
                r#"{"action": "put", "filename": "a.txt", "filesize": 0}"#,
                file,
            ),
            SendSpec {
                mode: SendMode::Unframed,
                describes: Some(0),
                ..SendSpec::default()
            },
        ],
        "demo" => vec![
            SendSpec::auto(r#"{"op":"chat_join","name":"ana"}"#, ""),
            SendSpec::auto(r#"{"op":"chat","text":"hi, is the file there?"}"#, ""),
            SendSpec::auto(r#"{"op":"echo","size":5}"#, "hello"),
            SendSpec::auto(
                r#"{"action": "put", "filename": "a.txt", "filesize": 0}"#,
                "A small file, sent in one go by a tutorial's client.\nIts header says how long it is.\n",
            ),
        ],
        _ => return None,
    };
    Some(sends)
}

/// The presets [`preset`] knows: name and a one-line description.
pub const PRESETS: &[(&str, &str)] = &[
    ("demo", "A mix: chat lines, an echo, a tutorial upload"),
    ("chat", "Seam chat: join, then two lines (no bodies)"),
    (
        "file",
        "Seam upload: put, put_data + file, put_end with its MD5",
    ),
    ("command", "Seam command reply: output + body, then exit"),
    ("echo", "Seam echo: {\"op\",\"size\"} + body"),
    (
        "cmd_put",
        "Tutorial: {\"cmd\":\"put\",\"filename\",\"filesize\"} + file",
    ),
    (
        "action_put",
        "Tutorial: {\"action\":\"put\",\"filename\",\"filesize\"} + file",
    ),
    (
        "filename_len",
        "Tutorial command runner: {\"filename\",\"len\"} + output",
    ),
    ("data_size", "Tutorial: {\"data_size\"} + data"),
    (
        "size_filename",
        "Tutorial movie upload: {\"size\",\"filename\"} + file",
    ),
    (
        "tutorial_md5",
        "Tutorial upload, then its MD5 sent unframed (it sticks)",
    ),
];

/// A whole scenario: framing, sends and how the stream is cut.
///
/// Its serde form is the page's: `{framing, sends, cut, cuts}`, where `cut` is a [`Cut`]
/// spec (`merge:1460`, `reads:4,5`, ...) or `manual` to cut at the offsets `cuts`; a missing
/// field takes its default (`cut` as sent), unknown fields are ignored.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(try_from = "ScenarioForm", into = "ScenarioForm")]
pub struct Scenario {
    /// The framing both sides use.
    pub framing: Framing,
    /// The sender's `send()` calls, in order.
    pub sends: Vec<SendSpec>,
    /// How the network cuts the stream.
    pub cut: ScenarioCut,
}

/// How a scenario's stream is cut into the receiver's chunks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScenarioCut {
    /// By one of core's rules.
    Rule(Cut),
    /// By hand, before each of these stream offsets (any order; duplicates, 0 and offsets
    /// at or past the end are ignored).
    Manual(Vec<u64>),
}

impl Default for ScenarioCut {
    fn default() -> Self {
        ScenarioCut::Rule(Cut::AsSent)
    }
}

impl ScenarioCut {
    /// The cut of the page's form: `spec` is a [`Cut`] spec, or `manual` to cut at `cuts`
    /// (which any other spec ignores).
    pub fn from_form(spec: &str, cuts: Vec<u64>) -> Result<ScenarioCut, CutSpecError> {
        if spec.trim() == MANUAL {
            Ok(ScenarioCut::Manual(cuts))
        } else {
            spec.parse().map(ScenarioCut::Rule)
        }
    }

    /// The lengths of the chunks a stream of sends of these lengths is cut into.
    pub fn chunk_lengths(&self, send_lengths: &[usize]) -> Vec<usize> {
        match self {
            ScenarioCut::Rule(cut) => cut.chunk_lengths(send_lengths),
            ScenarioCut::Manual(cuts) => {
                let total = send_lengths.iter().map(|&n| n as u64).sum();
                lengths_between_cuts(total, cuts)
            }
        }
    }
}

/// The spec of a [`ScenarioCut::Manual`] in the page's form.
const MANUAL: &str = "manual";

/// A [`Scenario`] as the page writes it, with the cut as text.
#[derive(Serialize, Deserialize)]
#[serde(default)]
struct ScenarioForm {
    framing: Framing,
    sends: Vec<SendSpec>,
    cut: String,
    cuts: Vec<u64>,
}

impl Default for ScenarioForm {
    fn default() -> Self {
        Scenario::default().into()
    }
}

impl TryFrom<ScenarioForm> for Scenario {
    type Error = CutSpecError;

    fn try_from(form: ScenarioForm) -> Result<Scenario, CutSpecError> {
        Ok(Scenario {
            framing: form.framing,
            sends: form.sends,
            cut: ScenarioCut::from_form(&form.cut, form.cuts)?,
        })
    }
}

impl From<Scenario> for ScenarioForm {
    fn from(scenario: Scenario) -> ScenarioForm {
        let (cut, cuts) = match scenario.cut {
            ScenarioCut::Rule(cut) => (cut.to_string(), Vec::new()),
            ScenarioCut::Manual(cuts) => (MANUAL.to_string(), cuts),
        };
        ScenarioForm {
            framing: scenario.framing,
            sends: scenario.sends,
            cut,
            cuts,
        }
    }
}

/// A scenario turned into bytes and chunks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuiltScenario {
    /// Each send encoded, or why it could not be (such sends add no bytes).
    pub sends: Vec<Result<EncodedSend, SendError>>,
    /// The whole stream: the encoded sends one after the other.
    pub bytes: Vec<u8>,
    /// The length of each send that made it into the stream.
    pub send_lengths: Vec<usize>,
    /// The lengths of the chunks the receiver gets.
    pub chunk_lengths: Vec<usize>,
}

impl Scenario {
    /// Encodes the sends and cuts the stream.
    pub fn build(&self) -> BuiltScenario {
        let sends = encode_sends(&self.framing, &self.sends);
        let mut bytes = Vec::new();
        let mut send_lengths = Vec::new();
        for send in sends.iter().flatten() {
            bytes.extend_from_slice(&send.bytes);
            send_lengths.push(send.bytes.len());
        }
        let chunk_lengths = self.cut.chunk_lengths(&send_lengths);
        BuiltScenario {
            sends,
            bytes,
            send_lengths,
            chunk_lengths,
        }
    }
}

/// The chunk lengths of a stream of `total` bytes cut at the given offsets (any order;
/// duplicates, 0 and offsets at or past the end are ignored).
fn lengths_between_cuts(total: u64, cuts: &[u64]) -> Vec<usize> {
    // Kept sorted as they are added (a sort would add its code to wasm builds; a user
    // places only so many cuts).
    let mut sorted: Vec<u64> = Vec::new();
    for &cut in cuts.iter().filter(|&&c| c > 0 && c < total) {
        if let Err(at) = sorted.binary_search(&cut) {
            sorted.insert(at, cut);
        }
    }
    let mut lengths = Vec::with_capacity(sorted.len() + 1);
    let mut from = 0;
    for cut in sorted.into_iter().chain((total > 0).then_some(total)) {
        lengths.push((cut - from) as usize);
        from = cut;
    }
    lengths
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn one(framing: &Framing, send: SendSpec) -> Result<EncodedSend, SendError> {
        encode_sends(framing, &[send]).remove(0)
    }

    #[test]
    fn auto_sets_the_size_field_and_keeps_the_formatting() {
        let sent = one(
            &Framing::default(),
            SendSpec::auto(r#"{"size": 0, "filename": "movie.mp4"}"#, "12345678"),
        )
        .unwrap();
        assert_eq!(
            sent.header_text(),
            r#"{"size": 8, "filename": "movie.mp4"}"#
        );
        assert_eq!(&sent.bytes[..4], &[36, 0, 0, 0]);
        assert_eq!(&sent.bytes[40..], b"12345678");
    }

    #[test]
    fn auto_adds_the_first_size_field_in_the_headers_style() {
        let framing = Framing::default();
        let spaced = one(&framing, SendSpec::auto(r#"{"a": 1, "b": 2}"#, "xy")).unwrap();
        assert_eq!(spaced.header_text(), r#"{"a": 1, "b": 2, "size": 2}"#);
        let compact = one(&framing, SendSpec::auto(r#"{"op":"echo"}"#, "xyz")).unwrap();
        assert_eq!(compact.header_text(), r#"{"op":"echo","size":3}"#);
        let empty = one(&framing, SendSpec::auto("{}", "x")).unwrap();
        assert_eq!(empty.header_text(), r#"{"size":1}"#);
        let no_body = one(&framing, SendSpec::auto(r#"{"op":"list"}"#, "")).unwrap();
        assert_eq!(no_body.header_text(), r#"{"op":"list"}"#);
    }

    #[test]
    fn auto_sets_every_accepted_field_even_escaped_or_after_nesting() {
        let sent = one(
            &Framing::default(),
            SendSpec::auto(
                r#"{"n":{"size":9,"s":"}"},"si\u007ae":1,"len":"x"}"#,
                "abcd",
            ),
        )
        .unwrap();
        assert_eq!(
            sent.header_text(),
            r#"{"n":{"size":9,"s":"}"},"si\u007ae":4,"len":4}"#
        );
    }

    #[test]
    fn describes_fills_md5_and_total_and_unframed_sends_the_md5() {
        let sends = preset("file").unwrap();
        let encoded = encode_sends(&Framing::default(), &sends);
        let body = &sends[1].body;
        let md5 = md5_hex(body.as_bytes());
        let put = encoded[0].as_ref().unwrap().header_text();
        assert_eq!(
            put,
            format!(
                r#"{{"op":"put","name":"notes.txt","total":{}}}"#,
                body.len()
            )
        );
        let end = encoded[2].as_ref().unwrap().header_text();
        assert_eq!(end, format!(r#"{{"op":"put_end","md5":"{md5}"}}"#));
        let tutorial = encode_sends(&Framing::default(), &preset("tutorial_md5").unwrap());
        let trailer = tutorial[1].as_ref().unwrap();
        assert_eq!((trailer.prefix_len, trailer.header_len), (0, 0));
        assert_eq!(trailer.bytes, b"6f5902ac237024bdd0c176cb93063dc4");
    }

    #[test]
    fn as_typed_sends_anything_and_auto_refuses_what_is_not_an_object() {
        let framing = Framing::default();
        let typed = SendSpec {
            header: "{oops".into(),
            mode: SendMode::AsTyped,
            ..SendSpec::default()
        };
        assert_eq!(one(&framing, typed).unwrap().bytes, b"\x05\0\0\0{oops");
        assert!(matches!(
            one(&framing, SendSpec::auto("{oops", "")),
            Err(SendError::NotJson(_))
        ));
        assert_eq!(
            one(&framing, SendSpec::auto("[1]", "")),
            Err(SendError::NotAnObject)
        );
        let none = Framing {
            size_fields: vec![],
            ..Framing::default()
        };
        assert_eq!(
            one(&none, SendSpec::auto("{}", "x")),
            Err(SendError::NoSizeField)
        );
        let small = Framing {
            max_header_len: 8,
            ..Framing::default()
        };
        assert!(matches!(
            one(&small, SendSpec::auto(r#"{"op":"echo"}"#, "")),
            Err(SendError::HeaderTooLong { len: 13, limit: 8 })
        ));
        let bad = SendSpec::auto("{}", "").describing(7);
        assert_eq!(one(&framing, bad), Err(SendError::NoSuchSend(7)));
    }

    #[test]
    fn auto_refuses_text_after_the_object_and_every_other_json_value() {
        let framing = Framing::default();
        for text in ["{} x", "{\"a\":1}{", "{\"a\":1"] {
            assert!(
                matches!(
                    one(&framing, SendSpec::auto(text, "")),
                    Err(SendError::NotJson(_))
                ),
                "{text}"
            );
        }
        for text in ["5", "\"size\"", "null", " [] "] {
            assert_eq!(
                one(&framing, SendSpec::auto(text, "")),
                Err(SendError::NotAnObject),
                "{text}"
            );
        }
    }

    #[test]
    fn auto_edits_a_padded_header_in_place() {
        let sent = one(
            &Framing::default(),
            SendSpec::auto(" {\n \"op\" : \"x\" ,\n \"size\" : 0 }\n", "abc"),
        );
        assert_eq!(
            sent.unwrap().header_text(),
            " {\n \"op\" : \"x\" ,\n \"size\" : 3 }\n"
        );
        let added = one(
            &Framing::default(),
            SendSpec::auto(" { \"op\" : \"x\" } ", "ab"),
        );
        assert_eq!(
            added.unwrap().header_text(),
            " { \"op\" : \"x\", \"size\" : 2 } "
        );
    }

    #[test]
    fn every_preset_encodes_and_decodes_to_its_sends() {
        for (name, _) in PRESETS {
            let sends = preset(name).unwrap();
            for (i, sent) in encode_sends(&Framing::default(), &sends)
                .into_iter()
                .enumerate()
            {
                let sent = sent.unwrap_or_else(|e| panic!("{name} #{i}: {e}"));
                if sent.prefix_len > 0 {
                    let datagram = seam_core::decode_datagram(&Framing::default(), &sent.bytes)
                        .unwrap_or_else(|e| panic!("{name} #{i}: {e}"));
                    assert_eq!(datagram.body.len(), sent.body_len);
                }
            }
        }
        assert_eq!(preset("nope"), None);
    }

    #[test]
    fn a_scenario_builds_its_stream_and_chunks() {
        let scenario = Scenario {
            sends: preset("demo").unwrap(),
            cut: ScenarioCut::Rule(Cut::Merge { segment: 90 }),
            ..Scenario::default()
        };
        let built = scenario.build();
        assert_eq!(built.bytes.len(), built.send_lengths.iter().sum::<usize>());
        assert_eq!(built.chunk_lengths.iter().sum::<usize>(), built.bytes.len());
        let verdicts: Vec<_> = crate::naive::naive_reads(&built.send_lengths, &built.chunk_lengths)
            .into_iter()
            .map(|r| r.verdict)
            .collect();
        use crate::naive::NaiveVerdict::*;
        assert!(
            verdicts.contains(&Merged) && verdicts.contains(&Broken),
            "{verdicts:?}"
        );
    }

    #[test]
    fn a_manual_cut_cuts_before_each_offset_inside_the_stream() {
        let manual = Scenario {
            sends: preset("demo").unwrap(),
            cut: ScenarioCut::Manual(vec![10, 3, 10, 0, 9999]),
            ..Scenario::default()
        };
        let built = manual.build();
        assert_eq!(built.chunk_lengths[..2], [3, 7]);
        assert_eq!(built.chunk_lengths.iter().sum::<usize>(), built.bytes.len());
    }

    #[test]
    fn a_scenario_reads_the_pages_form_with_a_cut_spec() {
        let form = json!({
            "framing": {"byte_order": "big", "size_fields": ["len"], "later": 1},
            "sends": [
                {"header": "{\"op\": \"echo\"}", "body": "hi", "describes": null, "later": 1},
                {"mode": "unframed", "describes": 0},
            ],
            "cut": "reads:4,5",
            "cuts": [7],
            "unknown": true,
        });
        let scenario: Scenario = serde_json::from_value(form).unwrap();
        assert_eq!(scenario.framing.byte_order, seam_core::ByteOrder::Big);
        assert_eq!(scenario.framing.size_fields, ["len"]);
        assert_eq!(
            scenario.framing.max_header_len,
            Framing::default().max_header_len
        );
        let md5 = SendSpec {
            mode: SendMode::Unframed,
            ..SendSpec::default()
        };
        assert_eq!(
            scenario.sends,
            [SendSpec::auto(r#"{"op": "echo"}"#, "hi"), md5.describing(0)]
        );
        assert_eq!(
            scenario.cut,
            ScenarioCut::Rule(Cut::Reads { sizes: vec![4, 5] })
        );
    }

    #[test]
    fn a_scenario_reads_the_pages_form_with_a_manual_cut() {
        let form = json!({"sends": [], "cut": "manual", "cuts": [9, 2]});
        let scenario: Scenario = serde_json::from_value(form).unwrap();
        assert_eq!(scenario.cut, ScenarioCut::Manual(vec![9, 2]));
    }

    #[test]
    fn a_scenario_without_fields_takes_the_defaults_and_is_cut_as_sent() {
        let scenario: Scenario = serde_json::from_value(json!({})).unwrap();
        assert_eq!(scenario, Scenario::default());
        assert_eq!(scenario.cut, ScenarioCut::Rule(Cut::AsSent));
    }

    #[test]
    fn a_scenario_with_a_bad_cut_spec_is_refused_with_the_cut_error() {
        let form = json!({"cut": "wobble"});
        let error = serde_json::from_value::<Scenario>(form).unwrap_err();
        assert!(
            error.to_string().starts_with("bad cut \"wobble\""),
            "{error}"
        );
    }

    #[test]
    fn a_scenario_writes_the_form_it_reads() {
        for cut in [
            ScenarioCut::Rule(Cut::Random { seed: 7, max: 16 }),
            ScenarioCut::Manual(vec![3, 1]),
        ] {
            let scenario = Scenario {
                sends: preset("tutorial_md5").unwrap(),
                cut,
                ..Scenario::default()
            };
            let form = serde_json::to_value(&scenario).unwrap();
            assert_eq!(serde_json::from_value::<Scenario>(form).unwrap(), scenario);
        }
        let form = serde_json::to_value(Scenario::default()).unwrap();
        assert_eq!((&form["cut"], &form["cuts"]), (&json!("sent"), &json!([])));
    }

    #[test]
    fn cuts_become_lengths() {
        assert_eq!(
            lengths_between_cuts(10, &[7, 2, 2, 0, 10, 12]),
            vec![2, 5, 3]
        );
        assert_eq!(lengths_between_cuts(0, &[1]), Vec::<usize>::new());
        assert_eq!(lengths_between_cuts(5, &[]), vec![5]);
    }
}
