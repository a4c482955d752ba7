//! The objects several bindings hand to JavaScript: errors, what the decoder waits for,
//! encoded sends, the naive reader's verdicts.

use std::fmt::Display;

use js_sys::{Array, Error, Reflect, Uint8Array};
use seam_core::{DecodeError, Waiting};
use seam_page_model::{EncodedSend, NaiveRead, SendError};
use wasm_bindgen::JsValue;

use crate::json::Json;

/// A JavaScript `Error` with a message.
pub fn error(message: impl Display) -> JsValue {
    Error::new(&message.to_string()).into()
}

/// Sets a property of an object made here (which cannot fail).
pub fn set(object: &JsValue, key: &str, value: &JsValue) {
    let _ = Reflect::set(object, &JsValue::from_str(key), value);
}

/// A decoding error as a JavaScript `Error` with `kind`, `offset` and `detail` (core's JSON
/// form of the error).
pub fn decode_error(e: &DecodeError) -> JsValue {
    let js = error(e);
    set(&js, "kind", &JsValue::from_str(e.kind()));
    set(&js, "offset", &JsValue::from_f64(e.offset() as f64));
    set(&js, "detail", &Json::new().value(e).to_js());
    js
}

/// A decoding error as a plain object, `{kind, offset, message, detail}`, or `null`.
pub fn error_view(json: &mut Json, error: Option<&DecodeError>) {
    let Some(e) = error else {
        json.null();
        return;
    };
    json.open()
        .key("kind")
        .str(e.kind())
        .key("offset")
        .num(e.offset())
        .key("message")
        .str(&e.to_string())
        .key("detail")
        .value(e)
        .close();
}

/// What the decoder waits for, `{part, received, missing, text}`, or `null`.
pub fn waiting_view(json: &mut Json, waiting: Option<Waiting>) {
    let Some(w) = waiting else {
        json.null();
        return;
    };
    json.open()
        .key("part")
        .value(&w.part)
        .key("received")
        .num(w.received)
        .key("missing")
        .num(w.missing)
        .key("text")
        .str(&w.to_string())
        .close();
}

/// An encoded frame: `{bytes, prefix_len, header_len, body_len, header_text}`.
pub fn encoded_view(sent: &EncodedSend) -> JsValue {
    let view = Json::new()
        .open()
        .key("prefix_len")
        .num(sent.prefix_len as u64)
        .key("header_len")
        .num(sent.header_len as u64)
        .key("body_len")
        .num(sent.body_len as u64)
        .key("header_text")
        .str(&sent.header_text())
        .close()
        .to_js();
    set(&view, "bytes", &Uint8Array::from(&sent.bytes[..]).into());
    view
}

/// Each send encoded, as [`encoded_view`], or `{error}`.
pub fn sends_view(sends: &[Result<EncodedSend, SendError>]) -> JsValue {
    let list = Array::new();
    for sent in sends {
        list.push(&match sent {
            Ok(sent) => encoded_view(sent),
            Err(e) => Json::new()
                .open()
                .key("error")
                .str(&e.to_string())
                .close()
                .to_js(),
        });
    }
    list.into()
}

/// The naive reader's view of chunks: `[{start, end, verdict, first_message, messages}]`.
pub fn naive_view(reads: &[NaiveRead]) -> JsValue {
    let mut json = Json::new();
    json.list();
    for read in reads {
        json.open()
            .key("start")
            .num(read.span.start)
            .key("end")
            .num(read.span.end)
            .key("verdict")
            .value(&read.verdict)
            .key("first_message")
            .num(read.first_message as u64)
            .key("messages")
            .num(read.messages as u64)
            .close();
    }
    json.end_list().to_js()
}
