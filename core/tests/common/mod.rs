//! Helpers shared by the behaviour and property tests of seam-core.
//!
//! Each test binary compiles this module on its own and uses only part of it.
#![allow(dead_code)]

use proptest::prelude::*;
use seam_core::test_support;
use seam_core::{ByteOrder, Cut, DecodeError, Decoder, Encoder, Event, Framing, Header};
use serde_json::Value;

// Each test binary uses part of these, as of the rest of this module.
#[allow(unused_imports)]
pub use seam_core::test_support::{raw_frame, split_by_lengths, Outcome};

/// Decodes `chunks` in turn with `framing` and finishes the stream (the shared
/// [`seam_core::test_support::decode_chunks`]); panics when one of its checks fails.
pub fn decode_chunks<'a>(framing: &Framing, chunks: impl IntoIterator<Item = &'a [u8]>) -> Outcome {
    test_support::decode_chunks(framing, chunks).unwrap_or_else(|e| panic!("{e}"))
}

/// Decodes `bytes` cut into chunks of the given lengths (see [`split_by_lengths`]).
pub fn decode_in_chunks(framing: &Framing, bytes: &[u8], lengths: &[usize]) -> Outcome {
    test_support::decode_in_chunks(framing, bytes, lengths).unwrap_or_else(|e| panic!("{e}"))
}

/// Decodes `bytes` fed as one chunk.
pub fn decode_whole(framing: &Framing, bytes: &[u8]) -> Outcome {
    decode_chunks(framing, [bytes])
}

/// Feeds one chunk and collects its events; panics on a decoding error.
pub fn feed_ok<'a>(decoder: &mut Decoder, chunk: &'a [u8]) -> Vec<Event<'a>> {
    decoder
        .feed(chunk)
        .collect::<Result<Vec<_>, _>>()
        .unwrap_or_else(|e| panic!("unexpected decoding error: {e}"))
}

/// Feeds one chunk and returns the error it ends with; panics when there is none.
pub fn feed_err(decoder: &mut Decoder, chunk: &[u8]) -> DecodeError {
    let events: Vec<_> = decoder.feed(chunk).collect();
    match events.last() {
        Some(Err(error)) => error.clone(),
        _ => panic!("expected a decoding error, got {events:?}"),
    }
}

/// The JSON object of a `json!({...})` literal.
pub fn object(value: Value) -> Header {
    match value {
        Value::Object(map) => map,
        other => panic!("not a JSON object: {other}"),
    }
}

/// A whole frame from the default encoder.
pub fn frame(header: Value, body: &[u8]) -> Vec<u8> {
    Encoder::default()
        .frame(&header, body)
        .expect("the test frame encodes")
}

/// Whether `inner` lies within `outer` in memory (a borrow, not a copy).
pub fn lies_within(inner: &[u8], outer: &[u8]) -> bool {
    let outer = outer.as_ptr_range();
    let inner = inner.as_ptr_range();
    outer.start <= inner.start && inner.end <= outer.end
}

/// Both byte orders of the length prefix.
pub fn arb_byte_order() -> impl Strategy<Value = ByteOrder> {
    prop_oneof![Just(ByteOrder::Little), Just(ByteOrder::Big)]
}

/// Any cut, with random parameters and seeds.
pub fn arb_cut() -> impl Strategy<Value = Cut> {
    prop_oneof![
        Just(Cut::AsSent),
        (1usize..200).prop_map(|segment| Cut::Merge { segment }),
        (1usize..200).prop_map(|mss| Cut::Split { mss }),
        proptest::collection::vec(1usize..64, 1..4).prop_map(|sizes| Cut::Reads { sizes }),
        (any::<u64>(), 1usize..128).prop_map(|(seed, max)| Cut::Random { seed, max }),
        Just(Cut::Bytes),
    ]
}
