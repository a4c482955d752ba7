//! Seam in the browser: thin wasm-bindgen bindings over `seam-core` (framing, cuts, traces)
//! and `seam-page-model` (scenarios, the replay, the naive reader), whose rules these are;
//! this crate only converts values
//! between Rust and JavaScript, with serde on both sides (serde-wasm-bindgen): core's inputs
//! are read in `input`, the values handed back are the structs of `views`, and tsify writes
//! the TypeScript declarations of both into the `.d.ts` that wasm-bindgen ships, against
//! which the page's JavaScript is type-checked.
//!
//! Data objects use core's JSON names (`snake_case`, as `seam decode` prints and the test
//! vectors list); functions and methods use JavaScript's `camelCase`. Errors are JavaScript
//! `Error`s with core's message; decoding errors also carry `kind` and `offset`. Only what
//! the page calls is exported.
//!
//! Framing options, wherever they are taken, are core's `Framing` fields (`byte_order`,
//! `size_fields`, `max_header_len`, `max_body_len`), each optional; `undefined` or `null`
//! for the defaults, which [`framing_defaults`] hands out.
#![forbid(unsafe_code)]

use seam_core::{Cut, Framing};
use seam_page_model::{PRESETS, SAMPLE_BYTES, SAMPLE_FRAMES};
use tsify::Ts;
use wasm_bindgen::prelude::*;

mod capture;
mod input;
mod timeline;
mod views;

pub use capture::Capture;
pub use timeline::{Timeline, Trace};

use input::{FramingDef, FramingView, SendSpecDef, SendView};
use views::{
    error, to_js, to_js_list, DatagramView, ErrorView, PresetView, RecvfromView, SampleSize,
    SentView,
};

/// Framing options from JavaScript (see the crate docs).
fn framing(options: Option<Ts<FramingDef>>) -> Result<Framing, JsValue> {
    input::framing(options).map_err(error)
}

/// Core's default framing options (`Framing::default()`), for the page's form.
#[wasm_bindgen(js_name = framingDefaults)]
pub fn framing_defaults() -> Result<Ts<FramingView>, JsValue> {
    to_js(&FramingView(Framing::default()))
}

/// The large-stream panel's defaults: how many frames and bytes the sample stream has.
#[wasm_bindgen(js_name = sampleDefaults)]
pub fn sample_defaults() -> Result<Ts<SampleSize>, JsValue> {
    to_js(&SampleSize {
        frames: SAMPLE_FRAMES,
        bytes: SAMPLE_BYTES,
    })
}

/// Encodes a list of sends with the framing options: each encoded, or `{error}`.
#[wasm_bindgen(js_name = encodeSends)]
pub fn encode_sends(
    sends: Vec<Ts<SendSpecDef>>,
    options: Option<Ts<FramingDef>>,
) -> Result<Vec<Ts<SentView>>, JsValue> {
    let sends = input::sends(sends).map_err(error)?;
    let encoded = seam_page_model::encode_sends(&framing(options)?, &sends);
    to_js_list(encoded.iter().map(SentView::of))
}

/// The sends of a named preset, or `undefined`.
#[wasm_bindgen]
pub fn preset(name: &str) -> Result<Option<Vec<Ts<SendView>>>, JsValue> {
    preset_views(name).map(to_js_list).transpose()
}

fn preset_views(name: &str) -> Option<Vec<SendView>> {
    Some(
        seam_page_model::preset(name)?
            .into_iter()
            .map(SendView)
            .collect(),
    )
}

/// The presets, for the menu.
#[wasm_bindgen]
pub fn presets() -> Result<Vec<Ts<PresetView>>, JsValue> {
    to_js_list(preset_list())
}

fn preset_list() -> impl Iterator<Item = PresetView> {
    PRESETS
        .iter()
        .map(|&(name, description)| PresetView { name, description })
}

/// A cut spec in its normal form (`random:7` → `random:7:64`); throws when it is bad.
#[wasm_bindgen(js_name = normalizeCut)]
pub fn normalize_cut(spec: &str) -> Result<String, JsValue> {
    spec.parse::<Cut>().map(|c| c.to_string()).map_err(error)
}

/// What `recvfrom(buffer_len)` makes of a datagram: the first `buffer_len` bytes are
/// received, the rest is lost, and core's `decode_datagram` judges what was received.
#[wasm_bindgen]
pub fn recvfrom(
    datagram: &[u8],
    buffer_len: u32,
    options: Option<Ts<FramingDef>>,
) -> Result<Ts<RecvfromView>, JsValue> {
    to_js(&recvfrom_view(
        &framing(options)?,
        datagram,
        buffer_len as usize,
    ))
}

fn recvfrom_view(framing: &Framing, datagram: &[u8], buffer_len: usize) -> RecvfromView {
    let received = &datagram[..datagram.len().min(buffer_len)];
    let (frame, error) = match seam_core::decode_datagram(framing, received) {
        Ok(frame) => (
            Some(DatagramView {
                raw_header: frame.raw_header.to_string(),
                body_len: frame.body.len() as u64,
            }),
            None,
        ),
        Err(e) => (None, Some(ErrorView::of(&e))),
    };
    RecvfromView {
        received: received.len() as u64,
        lost: (datagram.len() - received.len()) as u64,
        frame,
        error,
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn echo(body: &str) -> Vec<u8> {
        let mut spec = seam_page_model::preset("echo").unwrap().remove(0);
        spec.body = body.to_string();
        let sent = seam_page_model::encode_sends(&Framing::default(), &[spec]).remove(0);
        sent.unwrap().bytes
    }

    #[test]
    fn recvfrom_with_room_for_the_datagram_gets_one_whole_frame() {
        let datagram = echo("hello");
        let view = recvfrom_view(&Framing::default(), &datagram, 65535);
        assert_eq!((view.received, view.lost), (datagram.len() as u64, 0));
        assert_eq!(view.frame.unwrap().body_len, 5);
        assert!(view.error.is_none());
    }

    #[test]
    fn recvfrom_with_a_short_buffer_loses_the_rest_and_the_frame_is_truncated() {
        let datagram = echo(&"A".repeat(2000));
        let view = recvfrom_view(&Framing::default(), &datagram, 1024);
        assert_eq!(view.received, 1024);
        assert_eq!(view.lost, datagram.len() as u64 - 1024);
        assert!(view.frame.is_none());
        assert_eq!(view.error.unwrap().kind, "truncated");
    }

    #[test]
    fn every_preset_in_the_menu_has_sends() {
        for view in preset_list() {
            let sends = preset_views(view.name).unwrap_or_default();
            assert!(!sends.is_empty(), "{}", view.name);
        }
        assert!(preset_views("no such preset").is_none());
    }
}
