//! The values handed to JavaScript: plain structs that serde writes into JavaScript objects
//! (serde-wasm-bindgen) and tsify declares in the `.d.ts`, built from core's values by plain
//! Rust (tested natively). Names are core's JSON names (`snake_case`).
//!
//! Numbers are JavaScript numbers: every count and offset here is a stream position or a
//! length, far below 2^53 (serde-wasm-bindgen refuses a larger `u64` rather than round it).
//! `null` stands for "none" (`Option::None`).
//!
//! Core's enums are written by serde remote definitions (`PartDef`, ...): serde checks at
//! compile time that they list every variant, and tsify declares each as a union of strings.

use std::fmt::Display;

use js_sys::{Error, Reflect};
use seam_capture::{Arrival, Side};
use seam_core::{DecodeError, Direction, Part, Waiting};
use seam_page_model::{EncodedSend, EventKind, NaiveRead, NaiveVerdict, SendError};
use serde::{Deserialize, Serialize, Serializer};
use tsify::{Ts, Tsify};
use wasm_bindgen::JsValue;

/// The part of a frame the decoder is in (core's `Part`).
#[derive(Serialize, Tsify)]
#[serde(remote = "Part", rename_all = "snake_case")]
#[tsify(rename = "Part")]
pub enum PartDef {
    /// The 4-byte length prefix.
    Length,
    /// The JSON header.
    Header,
    /// The body.
    Body,
}

/// What a replayed event is (the page model's `EventKind`).
#[derive(Serialize, Tsify)]
#[serde(remote = "EventKind", rename_all = "snake_case")]
#[tsify(rename = "EventKind")]
pub enum EventKindDef {
    /// A length prefix.
    Length,
    /// A header.
    Header,
    /// A body piece.
    Body,
    /// A frame's end.
    End,
}

/// The naive receiver's verdict on a chunk (the page model's `NaiveVerdict`).
#[derive(Serialize, Tsify)]
#[serde(remote = "NaiveVerdict", rename_all = "snake_case")]
#[tsify(rename = "NaiveVerdict")]
pub enum NaiveVerdictDef {
    /// Exactly one message.
    Whole,
    /// Several whole messages stuck together.
    Merged,
    /// Part of a message.
    Broken,
}

/// Which way a traced chunk went (core's trace `Direction`).
#[derive(Serialize, Tsify)]
#[serde(remote = "Direction", rename_all = "snake_case")]
#[tsify(rename = "Direction")]
pub enum DirectionDef {
    /// Read from the socket.
    In,
    /// Written to the socket.
    Out,
}

/// A direction of a captured connection, named by its sender (seam-capture's `Side`).
#[derive(Serialize, Deserialize, Tsify)]
#[serde(remote = "Side", rename_all = "snake_case")]
#[tsify(rename = "Side")]
pub enum SideDef {
    /// What the client sent.
    Client,
    /// What the server sent.
    Server,
}

/// How a captured segment's bytes relate to those before it (seam-capture's `Arrival`).
#[derive(Serialize, Tsify)]
#[serde(remote = "Arrival", rename_all = "snake_case")]
#[tsify(rename = "Arrival")]
pub enum ArrivalDef {
    /// Its bytes start at the next expected byte.
    InOrder,
    /// All its bytes had been received already.
    Retransmission,
    /// Some of its bytes had been received already.
    PartialRetransmission,
    /// It starts beyond the next expected byte.
    OutOfOrder,
    /// It came after the direction ended.
    AfterEnd,
}

/// A view for JavaScript: a JavaScript object written by serde-wasm-bindgen, of the
/// TypeScript type tsify declares for `T`.
pub fn to_js<T: Tsify + Serialize>(view: &T) -> Result<Ts<T>, JsValue> {
    // `Tsify::into_js` with the type's serializer settings (`missing_as_null`); its error is
    // a JavaScript `Error` already (`Ts::from_rust` would add the Rust type's name to it).
    let js = view.into_js()?;
    Ok(Ts::new_unchecked(js.into()))
}

/// A list of views for JavaScript (an array of their type).
pub fn to_js_list<T: Tsify + Serialize>(
    views: impl IntoIterator<Item = T>,
) -> Result<Vec<Ts<T>>, JsValue> {
    views.into_iter().map(|view| to_js(&view)).collect()
}

/// A JavaScript `Error` with a message.
pub fn error(message: impl Display) -> JsValue {
    Error::new(&message.to_string()).into()
}

/// A decoding error as a JavaScript `Error` with its `kind` and `offset`.
pub fn decode_error(e: &DecodeError) -> JsValue {
    let js = error(e);
    // Setting a property of an object made here cannot fail.
    let _ = Reflect::set(&js, &"kind".into(), &e.kind().into());
    let _ = Reflect::set(&js, &"offset".into(), &(e.offset() as f64).into());
    js
}

/// A decoding error: its kind, where it happened and core's message.
#[derive(Debug, Serialize, Tsify)]
pub struct ErrorView {
    /// Core's name for the error (`truncated`, `header_length_over_limit`, ...).
    pub kind: &'static str,
    /// The stream offset where it happened.
    pub offset: u64,
    /// Core's message.
    pub message: String,
}

impl ErrorView {
    /// The view of core's error.
    pub fn of(e: &DecodeError) -> ErrorView {
        ErrorView {
            kind: e.kind(),
            offset: e.offset(),
            message: e.to_string(),
        }
    }
}

/// What the decoder waits for.
#[derive(Debug, Serialize, Tsify)]
pub struct WaitingView {
    /// The part of the frame being read.
    #[serde(with = "PartDef")]
    pub part: Part,
    /// Bytes of that part received so far.
    pub received: u64,
    /// Bytes of that part still missing.
    pub missing: u64,
    /// In words: "2 more bytes of the length prefix".
    pub text: String,
}

impl WaitingView {
    /// The view of what core's decoder waits for.
    pub fn of(w: Waiting) -> WaitingView {
        WaitingView {
            part: w.part,
            received: w.received,
            missing: w.missing,
            text: w.to_string(),
        }
    }
}

fn uint8_array<S: Serializer>(bytes: &[u8], serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_bytes(bytes)
}

/// A send encoded: its bytes and the lengths of their parts.
#[derive(Debug, Serialize, Tsify)]
pub struct EncodedView {
    /// The bytes on the wire.
    #[serde(serialize_with = "uint8_array")]
    #[tsify(type = "Uint8Array")]
    pub bytes: Vec<u8>,
    /// The length prefix's length (0 when unframed).
    pub prefix_len: usize,
    /// The header's length.
    pub header_len: usize,
    /// The body's length.
    pub body_len: usize,
    /// The header's text as sent.
    pub header_text: String,
}

/// A send encoded, or why it could not be.
#[derive(Debug, Serialize, Tsify)]
#[serde(untagged)]
#[tsify(missing_as_null)]
pub enum SentView {
    /// Encoded.
    Encoded(EncodedView),
    /// Not sent.
    Refused {
        /// Core's message.
        error: String,
    },
}

impl SentView {
    /// The view of one of core's encoded sends.
    pub fn of(sent: &Result<EncodedSend, SendError>) -> SentView {
        match sent {
            Ok(sent) => SentView::Encoded(EncodedView {
                bytes: sent.bytes.clone(),
                prefix_len: sent.prefix_len,
                header_len: sent.header_len,
                body_len: sent.body_len,
                header_text: sent.header_text(),
            }),
            Err(e) => SentView::Refused {
                error: e.to_string(),
            },
        }
    }
}

/// The naive receiver's reading of one chunk.
#[derive(Debug, Serialize, Tsify)]
#[tsify(missing_as_null)]
pub struct NaiveView {
    /// Where the chunk starts in the stream.
    pub start: u64,
    /// Where it ends.
    pub end: u64,
    /// Whole, merged or broken.
    #[serde(with = "NaiveVerdictDef")]
    pub verdict: NaiveVerdict,
    /// The first message it touches (0-based).
    pub first_message: usize,
    /// How many messages it touches.
    pub messages: usize,
}

impl NaiveView {
    /// The view of one of core's naive reads.
    pub fn of(read: &NaiveRead) -> NaiveView {
        NaiveView {
            start: read.span.start,
            end: read.span.end,
            verdict: read.verdict,
            first_message: read.first_message,
            messages: read.messages,
        }
    }
}

/// What `recvfrom(buffer_len)` made of a datagram.
#[derive(Debug, Serialize, Tsify)]
#[tsify(missing_as_null)]
pub struct RecvfromView {
    /// Bytes received.
    pub received: u64,
    /// Bytes the kernel dropped.
    pub lost: u64,
    /// The frame, when what was received is one.
    pub frame: Option<DatagramView>,
    /// Why what was received is not a frame.
    pub error: Option<ErrorView>,
}

/// A datagram's frame.
#[derive(Debug, Serialize, Tsify)]
pub struct DatagramView {
    /// The header's text.
    pub raw_header: String,
    /// The body's length.
    pub body_len: u64,
}

/// A preset: its name and what it shows.
#[derive(Debug, Serialize, Tsify)]
pub struct PresetView {
    /// The name `preset()` takes.
    pub name: &'static str,
    /// What it shows, for the menu.
    pub description: &'static str,
}

/// The decoder after some chunks, and the naive reader's verdicts so far.
#[derive(Debug, Serialize, Tsify)]
#[tsify(missing_as_null)]
pub struct StepView {
    /// How many chunks have arrived.
    pub step: usize,
    /// Bytes arrived.
    pub received: u64,
    /// The decoder's position (bytes consumed).
    pub position: u64,
    /// Events given out so far.
    pub events: usize,
    /// Frames completed so far.
    pub messages: usize,
    /// What the decoder waits for (`null` once it failed).
    pub waiting: Option<WaitingView>,
    /// The error that stopped the decoder, or the truncation at the end.
    pub error: Option<ErrorView>,
    /// Whether the stream has ended (the last step).
    pub ended: bool,
    /// Chunks the naive reader got right so far.
    pub whole: u64,
    /// Chunks holding several messages so far.
    pub merged: u64,
    /// Chunks holding a piece of a message so far.
    pub broken: u64,
}

/// One event of a timeline.
#[derive(Debug, Serialize, Tsify)]
#[tsify(missing_as_null)]
pub struct EventView {
    /// Its index among the events.
    pub index: usize,
    /// What it is.
    #[serde(with = "EventKindDef")]
    pub kind: EventKind,
    /// The chunk whose arrival gave it (0-based).
    pub chunk: u32,
    /// First byte.
    pub start: u64,
    /// One past the last byte.
    pub end: u64,
    /// The header length of a `length`, the body length of a `header` or `end`, the length
    /// of a `body` piece.
    pub value: u64,
    /// A header's text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub raw: Option<String>,
}

/// One complete frame of a timeline.
#[derive(Debug, Serialize, Tsify)]
#[tsify(missing_as_null)]
pub struct MessageView {
    /// Its index among the frames.
    pub index: usize,
    /// First byte of the frame.
    pub start: u64,
    /// One past its last byte.
    pub end: u64,
    /// First byte of the header.
    pub header_start: u64,
    /// First byte of the body.
    pub body_start: u64,
    /// The chunk that completed it (0-based).
    pub chunk: u32,
    /// The header's text.
    pub raw: String,
    /// The body's length.
    pub body_len: u64,
    /// The body's first bytes as text.
    pub body_preview: String,
}

/// The size of a sample stream: its frames and its bytes.
#[derive(Debug, Serialize, Tsify)]
pub struct SampleSize {
    /// How many frames.
    pub frames: usize,
    /// How many bytes they add up to.
    pub bytes: usize,
}

/// What core's plain decoding loop counted.
#[derive(Debug, Serialize, Tsify)]
#[tsify(missing_as_null)]
pub struct TallyView {
    /// Frames completed.
    pub frames: u64,
    /// Events of any kind.
    pub events: u64,
    /// Body bytes passed through.
    pub body_bytes: u64,
}

/// One stream of a trace: a connection's reads or writes.
#[derive(Debug, Serialize, Tsify)]
#[tsify(missing_as_null)]
pub struct TraceStreamView {
    /// The connection.
    pub conn: u64,
    /// Reads (`in`) or writes (`out`).
    #[serde(with = "DirectionDef")]
    pub dir: Direction,
    /// How many chunks.
    pub chunks: usize,
    /// How many bytes.
    pub bytes: usize,
    /// When the first chunk was traced (seconds).
    pub start_t: Option<f64>,
    /// When the last one was.
    pub end_t: Option<f64>,
}

/// Per direction of a captured connection.
#[derive(Debug, Serialize, Tsify)]
pub struct PerSide {
    /// What the client sent.
    pub client: u64,
    /// What the server sent.
    pub server: u64,
}

/// One TCP connection of a capture.
#[derive(Debug, Serialize, Tsify)]
#[tsify(missing_as_null)]
pub struct CaptureStreamView {
    /// Its index, in order of first appearance.
    pub index: usize,
    /// The client's address.
    pub client: String,
    /// The server's address.
    pub server: String,
    /// Packets of this connection.
    pub packets: u64,
    /// Payload bytes each way.
    pub bytes: PerSide,
    /// Segments each way.
    pub segments: PerSide,
    /// Time of the first packet (seconds).
    pub start_t: f64,
    /// Time of the last.
    pub end_t: f64,
}

/// One captured segment of a direction.
#[derive(Debug, Serialize, Tsify)]
#[tsify(missing_as_null)]
pub struct SegmentView {
    /// Its packet number in the file.
    pub packet: u64,
    /// When it was captured (seconds).
    pub t: f64,
    /// Its TCP sequence number.
    pub seq: u32,
    /// Where its bytes lie in the direction's stream, when known.
    pub offset: Option<u64>,
    /// Its payload length.
    pub len: usize,
    /// Its TCP flags (`SYN`, `ACK PSH`, ...).
    pub flags: String,
    /// How its bytes relate to those before it.
    #[serde(with = "ArrivalDef")]
    pub arrival: Arrival,
    /// Bytes it repeats that differ from those kept.
    pub conflicts: u64,
    /// Bytes it put in order.
    pub delivered: u64,
}

/// One packet of a captured connection, in capture order.
#[derive(Debug, Serialize, Tsify)]
#[tsify(missing_as_null)]
pub struct OrderView {
    /// Which way it went.
    #[serde(with = "SideDef")]
    pub direction: Side,
    /// Its index among that direction's segments.
    pub segment: usize,
}

#[cfg(test)]
mod tests {
    use super::*;
    use seam_core::{Decoder, Framing};
    use serde_json::json;

    #[test]
    fn a_decoding_error_keeps_core_kind_offset_and_message() {
        let mut decoder = Decoder::new(Framing::default());
        assert_eq!(decoder.feed(&[22, 0]).count(), 0);
        let error = decoder.finish().unwrap_err();
        let view = serde_json::to_value(ErrorView::of(&error)).unwrap();
        assert_eq!(view["kind"], "truncated");
        assert_eq!(view["offset"], 2);
        assert_eq!(view["message"], error.to_string());
    }

    #[test]
    fn what_the_decoder_waits_for_is_named_and_put_in_words() {
        let mut decoder = Decoder::new(Framing::default());
        assert_eq!(decoder.feed(&[22, 0]).count(), 0);
        let view = WaitingView::of(decoder.waiting().unwrap());
        assert_eq!(
            serde_json::to_value(view).unwrap(),
            json!({"part": "length", "received": 2, "missing": 2,
                   "text": "2 more bytes of the length prefix"})
        );
    }

    #[test]
    fn a_refused_send_is_an_object_with_its_error_only() {
        let sends = seam_page_model::encode_sends(
            &Framing::default(),
            &[seam_page_model::SendSpec::auto("not json", "")],
        );
        let view = serde_json::to_value(SentView::of(&sends[0])).unwrap();
        let keys: Vec<_> = view.as_object().unwrap().keys().cloned().collect();
        assert_eq!(keys, ["error"]);
    }
}
