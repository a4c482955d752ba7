//! Helpers shared by the behaviour and property tests of seam-core.
//!
//! Each test binary compiles this module on its own and uses only part of it.
#![allow(dead_code)]

use proptest::prelude::*;
use seam_core::{
    coalesce_body_pieces, ByteOrder, Cut, DecodeError, Decoder, Encoder, Event, EventRecord,
    Framing, Header,
};
use serde_json::Value;

/// What decoding a stream gave: its records (adjacent body pieces merged) and the error
/// that stopped it, if any (a truncation shows up when the stream is finished).
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    pub records: Vec<EventRecord>,
    pub error: Option<DecodeError>,
}

/// Feeds `chunks` in turn to a decoder with `framing`, then finishes the stream. Checks on
/// the way that every body piece is the stream's bytes at its span.
pub fn decode_chunks<'a>(framing: &Framing, chunks: impl IntoIterator<Item = &'a [u8]>) -> Outcome {
    let mut decoder = Decoder::new(framing.clone());
    let mut stream = Vec::new();
    let mut records = Vec::new();
    for chunk in chunks {
        stream.extend_from_slice(chunk);
        for event in decoder.feed(chunk) {
            match event {
                Ok(event) => {
                    if let Event::BodyPiece { span, bytes } = &event {
                        assert_eq!(
                            *bytes,
                            &stream[span.start as usize..span.end as usize],
                            "body piece at {span:?} is not the stream's bytes there"
                        );
                    }
                    records.push(event.to_record());
                }
                Err(error) => {
                    coalesce_body_pieces(&mut records);
                    return Outcome {
                        records,
                        error: Some(error),
                    };
                }
            }
        }
    }
    coalesce_body_pieces(&mut records);
    Outcome {
        records,
        error: decoder.finish().err(),
    }
}

/// Cuts `bytes` into consecutive chunks of the given lengths; what the lengths leave over
/// becomes one last chunk, and lengths past the end give empty chunks.
pub fn split_by_lengths<'a>(bytes: &'a [u8], lengths: &[usize]) -> Vec<&'a [u8]> {
    let mut chunks = Vec::with_capacity(lengths.len() + 1);
    let mut from = 0usize;
    for &len in lengths {
        let to = from.saturating_add(len).min(bytes.len());
        chunks.push(&bytes[from..to]);
        from = to;
    }
    chunks.push(&bytes[from..]);
    chunks
}

/// Decodes `bytes` cut into chunks of the given lengths (see [`split_by_lengths`]).
pub fn decode_in_chunks(framing: &Framing, bytes: &[u8], lengths: &[usize]) -> Outcome {
    decode_chunks(framing, split_by_lengths(bytes, lengths))
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

/// A frame written by hand with a little-endian prefix: for headers the encoder refuses.
pub fn raw_frame(header: &[u8], body: &[u8]) -> Vec<u8> {
    let len = u32::try_from(header.len()).expect("header fits a u32");
    let mut out = len.to_le_bytes().to_vec();
    out.extend_from_slice(header);
    out.extend_from_slice(body);
    out
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
