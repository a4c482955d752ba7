//! Seam in the browser: thin wasm-bindgen bindings over `seam-core`. Every rule (framing,
//! cuts, the naive reader, traces, scenarios) is core's; this crate only converts values
//! between Rust and JavaScript.
//!
//! Data objects handed to JavaScript use core's JSON names (`snake_case`, as `seam decode`
//! prints and the test vectors list); functions and methods use JavaScript's `camelCase`.
//! Errors are JavaScript `Error`s with core's message; decoding errors also carry `kind`,
//! `offset` and `detail` (core's JSON form of the error).
//!
//! Framing options, wherever they are taken, are core's `Framing` fields (`byte_order`,
//! `size_fields`, `max_header_len`, `max_body_len`), each optional; `undefined` or `null`
//! for the defaults.
#![forbid(unsafe_code)]

use js_sys::{Array, Reflect, Uint8Array};
use seam_core::{parse_trace, Cut, Encoder, Framing, PREFIX_LEN};
use seam_page_model::{naive_reads, EncodedSend};
use wasm_bindgen::prelude::*;

mod capture;
mod decoder;
mod input;
mod json;
mod timeline;
mod views;

pub use capture::Capture;
pub use decoder::Decoder;
pub use timeline::{Timeline, Trace};

use json::Json;
use views::{decode_error, encoded_view, error, error_view, naive_view, sends_view};

/// Framing options from JavaScript (see the crate docs).
fn framing(options: &JsValue) -> Result<Framing, JsValue> {
    input::framing(options).map_err(error)
}

/// Encodes one frame with core's `Encoder`: `header` is a JSON object (or its text) whose
/// body-length field must match `body`. Returns `{bytes, prefix_len, header_len, body_len,
/// header_text}`.
#[wasm_bindgen]
pub fn encode(header: JsValue, body: &[u8], options: JsValue) -> Result<JsValue, JsValue> {
    let value = match header.as_string() {
        Some(text) => {
            serde_json::from_str(&text).map_err(|e| error(format!("header is not JSON: {e}")))?
        }
        None => input::json(&header, "header").map_err(error)?,
    };
    let encoder = Encoder::new(framing(&options)?);
    let mut bytes = Vec::new();
    encoder
        .encode_frame(&value, body, &mut bytes)
        .map_err(error)?;
    let header_len = bytes.len() - PREFIX_LEN - body.len();
    Ok(encoded_view(&EncodedSend {
        bytes,
        prefix_len: PREFIX_LEN,
        header_len,
        body_len: body.len(),
    }))
}

/// Encodes a list of sends (core's `SendSpec`: `{header, body, mode, describes}`) with the
/// framing options: one `{bytes, prefix_len, header_len, body_len, header_text}` or `{error}`
/// per send.
#[wasm_bindgen(js_name = encodeSends)]
pub fn encode_sends(sends: JsValue, options: JsValue) -> Result<JsValue, JsValue> {
    let sends = input::sends(&sends).map_err(error)?;
    Ok(sends_view(&seam_page_model::encode_sends(
        &framing(&options)?,
        &sends,
    )))
}

/// The sends of a named preset (`{header, body, mode, describes}` each), or `null`.
#[wasm_bindgen]
pub fn preset(name: &str) -> JsValue {
    Json::new().value(&seam_page_model::preset(name)).to_js()
}

/// The presets: `[[name, description], ...]`.
#[wasm_bindgen]
pub fn presets() -> JsValue {
    let mut json = Json::new();
    json.list();
    for (name, description) in seam_page_model::PRESETS {
        json.list().str(name).str(description).end_list();
    }
    json.end_list().to_js()
}

/// The chunk lengths a cut spec (`sent`, `merge:N`, `split:N`, `reads:N[,N...]`,
/// `random:SEED[:MAX]`, `bytes`) gives for sends of the given lengths.
#[wasm_bindgen(js_name = cutLengths)]
pub fn cut_lengths(spec: &str, sends: Vec<u32>) -> Result<Vec<u32>, JsValue> {
    let cut: Cut = spec.parse().map_err(error)?;
    let sends: Vec<usize> = sends.into_iter().map(|n| n as usize).collect();
    Ok(cut.chunks(&sends).map(|n| n as u32).collect())
}

/// A cut spec in its normal form (`random:7` → `random:7:64`); throws when it is bad.
#[wasm_bindgen(js_name = normalizeCut)]
pub fn normalize_cut(spec: &str) -> Result<String, JsValue> {
    spec.parse::<Cut>().map(|c| c.to_string()).map_err(error)
}

/// The naive receiver's verdict on each chunk: `[{start, end, verdict, first_message,
/// messages}]`, `verdict` being `whole`, `merged` or `broken`.
#[wasm_bindgen(js_name = naiveReads)]
pub fn naive_reads_js(message_lengths: Vec<u32>, chunk_lengths: Vec<u32>) -> JsValue {
    let messages: Vec<usize> = message_lengths.into_iter().map(|n| n as usize).collect();
    let chunks: Vec<usize> = chunk_lengths.into_iter().map(|n| n as usize).collect();
    naive_view(&naive_reads(&messages, &chunks))
}

/// A datagram decoded (see [`recvfrom`]): `{header, raw_header, body_len, records}`, or
/// the decoding error.
fn datagram_view(
    json: &mut Json,
    framing: &Framing,
    datagram: &[u8],
) -> Result<(), seam_core::DecodeError> {
    let frame = seam_core::decode_datagram(framing, datagram)?;
    json.open()
        .key("header")
        .value(&frame.header)
        .key("raw_header")
        .str(&frame.raw_header)
        .key("body_len")
        .num(frame.body.len() as u64)
        .key("records")
        .value(&frame.records)
        .close();
    Ok(())
}

/// Decodes one UDP datagram holding exactly one frame: `{header, raw_header, body_len,
/// records}`; throws a decoding error (with `kind`, `offset`) otherwise.
#[wasm_bindgen(js_name = decodeDatagram)]
pub fn decode_datagram(datagram: &[u8], options: JsValue) -> Result<JsValue, JsValue> {
    let mut json = Json::new();
    datagram_view(&mut json, &framing(&options)?, datagram).map_err(|e| decode_error(&e))?;
    Ok(json.to_js())
}

/// What `recvfrom(buffer_len)` makes of a datagram: the first `buffer_len` bytes are
/// received, the rest is lost, and `decode_datagram` judges what was received.
/// Returns `{received, lost, frame, error}` (one of the last two is `null`).
#[wasm_bindgen]
pub fn recvfrom(datagram: &[u8], buffer_len: u32, options: JsValue) -> Result<JsValue, JsValue> {
    let framing = framing(&options)?;
    let received = &datagram[..datagram.len().min(buffer_len as usize)];
    let mut json = Json::new();
    json.open()
        .key("received")
        .num(received.len() as u64)
        .key("lost")
        .num((datagram.len() - received.len()) as u64)
        .key("frame");
    let result = datagram_view(&mut json, &framing, received);
    if result.is_err() {
        json.null();
    }
    json.key("error");
    error_view(&mut json, result.as_ref().err());
    Ok(json.close().to_js())
}

/// Reads a trace (`seam ... --trace FILE`): `[{conn, dir, t, offset, data}]`, `data` a
/// `Uint8Array`. Throws the line and reason when a line is bad.
#[wasm_bindgen(js_name = parseTrace)]
pub fn parse_trace_js(text: &str) -> Result<JsValue, JsValue> {
    let chunks = parse_trace(text).map_err(error)?;
    let mut json = Json::new();
    json.list();
    for chunk in &chunks {
        json.open()
            .key("conn")
            .num(chunk.conn)
            .key("dir")
            .value(&chunk.dir)
            .key("t")
            .value(&chunk.t)
            .key("offset")
            .num(chunk.offset)
            .close();
    }
    let list: Array = json.end_list().to_js().into();
    for (i, chunk) in chunks.iter().enumerate() {
        let view = Reflect::get_u32(&list, i as u32).unwrap_or(JsValue::NULL);
        views::set(&view, "data", &Uint8Array::from(&chunk.bytes[..]).into());
    }
    Ok(list.into())
}

/// Runs one shared test vector (its JSON text) through core's vector runner (whole, with
/// trailing bytes, under every standard cut and split at every offset); returns its
/// description, or throws what went wrong.
#[cfg(feature = "vectors")]
#[wasm_bindgen(js_name = checkVector)]
pub fn check_vector(json: &str) -> Result<String, JsValue> {
    let vector = seam_core::vectors::Vector::from_json(json).map_err(error)?;
    vector.check_all().map_err(error)?;
    Ok(vector.description)
}
