//! The streaming decoder for JavaScript: feed it chunks, get events and what it waits for.

use seam_core::Event;
use wasm_bindgen::prelude::*;

use crate::json::Json;
use crate::views::{decode_error, error_view, waiting_view};

/// The streaming decoder: feed it chunks, get events and what it waits for.
#[wasm_bindgen]
pub struct Decoder {
    inner: seam_core::Decoder,
}

#[wasm_bindgen]
impl Decoder {
    /// A decoder with the given framing options (see the crate docs).
    #[wasm_bindgen(constructor)]
    pub fn new(options: JsValue) -> Result<Decoder, JsValue> {
        Ok(Decoder {
            inner: seam_core::Decoder::new(crate::framing(&options)?),
        })
    }

    /// Feeds one chunk: `{events, waiting, position, error}`. Events are core's records
    /// (`kind`: `length`, `header` (with `raw`), `body`, `end`); after an error, `error` is
    /// `{kind, offset, message, detail}` and every later call gives it again.
    pub fn feed(&mut self, chunk: &[u8]) -> JsValue {
        let mut json = Json::new();
        json.open().key("events").list();
        let mut failed = None;
        for event in self.inner.feed(chunk) {
            match event {
                Ok(event) => {
                    json.value(&event.to_record());
                    if let Event::Header { raw, .. } = &event {
                        json.reopen().key("raw").str(raw).close();
                    }
                }
                Err(e) => failed = Some(e),
            }
        }
        json.end_list().key("waiting");
        waiting_view(&mut json, self.inner.waiting());
        json.key("position").num(self.inner.position()).key("error");
        error_view(&mut json, failed.as_ref());
        json.close().to_js()
    }

    /// Ends the stream: nothing on a frame boundary, else throws the truncation.
    pub fn finish(&mut self) -> Result<(), JsValue> {
        self.inner.finish().map_err(|e| decode_error(&e))
    }

    /// Bytes consumed so far.
    #[wasm_bindgen(getter)]
    pub fn position(&self) -> f64 {
        self.inner.position() as f64
    }

    /// What the decoder waits for, `{part, received, missing, text}`, or `null` after an error.
    pub fn waiting(&self) -> JsValue {
        let mut json = Json::new();
        waiting_view(&mut json, self.inner.waiting());
        json.to_js()
    }
}
