//! Properties: however a stream is cut into chunks, the decoder reports the same thing as
//! when it is fed whole, and that is what the encoder wrote.

mod common;

use common::{arb_byte_order, arb_cut, decode_chunks, decode_in_chunks, decode_whole, Outcome};
use proptest::collection::{btree_map, vec};
use proptest::prelude::*;
use seam_core::{
    ByteOrder, DecodeError, Decoder, Encoder, Event, EventRecord, Framing, Header, Part,
    DEFAULT_MAX_HEADER_LEN, PREFIX_LEN, TUTORIAL_SIZE_FIELDS,
};
use serde_json::Value;

/// Text for header keys and values: ASCII, multi-byte UTF-8, characters JSON escapes, or
/// anything at all.
fn arb_text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z0-9_ ]{0,10}",
        "[a\u{e9}\u{20ac}\u{4e2d}\u{1F600}\u{10FFFF}\"\\\\\n\t\u{0}]{0,8}",
        any::<String>(),
    ]
}

fn arb_json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        arb_text().prop_map(Value::from),
    ];
    leaf.prop_recursive(2, 12, 3, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..3).prop_map(Value::Array),
            btree_map(arb_text(), inner, 0..3)
                .prop_map(|map| Value::Object(map.into_iter().collect())),
        ]
    })
}

/// One frame: a header (with a size field when the body is not empty) and its body.
fn arb_frame() -> impl Strategy<Value = (Header, Vec<u8>)> {
    let key = arb_text().prop_filter("not a size field", |key| {
        !TUTORIAL_SIZE_FIELDS.contains(&key.as_str())
    });
    (
        btree_map(key, arb_json_value(), 0..4),
        vec(any::<u8>(), 0..300),
        proptest::sample::select(TUTORIAL_SIZE_FIELDS.to_vec()),
        any::<bool>(),
    )
        .prop_map(|(fields, body, size_field, declare_zero)| {
            let mut header: Header = fields.into_iter().collect();
            if !body.is_empty() || declare_zero {
                header.insert(size_field.to_string(), Value::from(body.len()));
            }
            (header, body)
        })
}

/// A stream of encoded frames, with what decoding it must give.
#[derive(Debug, Clone)]
struct Stream {
    framing: Framing,
    frames: Vec<(Header, Vec<u8>)>,
    bytes: Vec<u8>,
    /// The lengths of the sender's writes: each frame's head, then its body.
    sends: Vec<usize>,
    /// Where each frame starts, where its header starts and ends and where it ends.
    bounds: Vec<[usize; 4]>,
    expected: Vec<EventRecord>,
}

fn encode(byte_order: ByteOrder, frames: Vec<(Header, Vec<u8>)>) -> Stream {
    let framing = Framing {
        byte_order,
        ..Framing::default()
    };
    let encoder = Encoder::new(framing.clone());
    let mut bytes = Vec::new();
    let mut sends = Vec::new();
    let mut bounds = Vec::new();
    let mut expected = Vec::new();
    for (header, body) in &frames {
        let start = bytes.len();
        let body_len = encoder.encode_head(header, &mut bytes).unwrap();
        assert_eq!(body_len, body.len() as u64);
        let head_end = bytes.len();
        bytes.extend_from_slice(body);
        let end = bytes.len();
        sends.extend([head_end - start, body.len()]);
        bounds.push([start, start + PREFIX_LEN, head_end, end]);
        let at = |offset: usize| offset as u64;
        expected.push(EventRecord::Length {
            start: at(start),
            end: at(start + PREFIX_LEN),
            header_len: (head_end - start - PREFIX_LEN) as u32,
        });
        expected.push(EventRecord::Header {
            start: at(start + PREFIX_LEN),
            end: at(head_end),
            header: Value::Object(header.clone()),
            body_len,
        });
        if body_len > 0 {
            expected.push(EventRecord::Body {
                start: at(head_end),
                end: at(end),
                len: body_len,
            });
        }
        expected.push(EventRecord::End {
            start: at(start),
            end: at(end),
            body_len,
        });
    }
    Stream {
        framing,
        frames,
        bytes,
        sends,
        bounds,
        expected,
    }
}

fn arb_stream() -> impl Strategy<Value = Stream> {
    (arb_byte_order(), vec(arb_frame(), 1..10))
        .prop_map(|(byte_order, frames)| encode(byte_order, frames))
}

impl Stream {
    fn clean_outcome(&self) -> Outcome {
        Outcome {
            records: self.expected.clone(),
            error: None,
        }
    }
}

/// The headers and bodies a decoder gives for these chunks.
fn decoded_frames<'a>(
    framing: &Framing,
    chunks: impl IntoIterator<Item = &'a [u8]>,
) -> Vec<(Header, Vec<u8>)> {
    let mut decoder = Decoder::new(framing.clone());
    let mut frames: Vec<(Header, Vec<u8>)> = Vec::new();
    for chunk in chunks {
        for event in decoder.feed(chunk) {
            match event.expect("an encoded stream decodes") {
                Event::Header { header, .. } => frames.push((header, Vec::new())),
                Event::BodyPiece { bytes, .. } => frames
                    .last_mut()
                    .expect("a header came first")
                    .1
                    .extend(bytes),
                Event::Length { .. } | Event::MessageEnd { .. } => {}
            }
        }
    }
    decoder
        .finish()
        .expect("the stream ends on a frame boundary");
    frames
}

proptest! {
    #[test]
    fn the_whole_stream_decodes_to_the_encoded_frames(stream in arb_stream()) {
        prop_assert_eq!(decode_whole(&stream.framing, &stream.bytes), stream.clean_outcome());
        prop_assert_eq!(decoded_frames(&stream.framing, [&stream.bytes[..]]), stream.frames);
    }

    #[test]
    fn random_splits_give_the_same_records_and_frames_as_feeding_whole(
        stream in arb_stream(),
        lengths in vec(1usize..64, 0..60),
    ) {
        prop_assert_eq!(
            decode_in_chunks(&stream.framing, &stream.bytes, &lengths),
            stream.clean_outcome()
        );
        let chunks = common::split_by_lengths(&stream.bytes, &lengths);
        prop_assert_eq!(decoded_frames(&stream.framing, chunks), stream.frames);
    }

    #[test]
    fn chunks_holding_many_frames_give_the_same_records(
        stream in arb_stream(),
        lengths in vec(200usize..3000, 0..8),
    ) {
        prop_assert_eq!(
            decode_in_chunks(&stream.framing, &stream.bytes, &lengths),
            stream.clean_outcome()
        );
    }

    #[test]
    fn inserted_empty_chunks_change_nothing(
        stream in arb_stream(),
        lengths in vec((1usize..64, 0usize..3), 0..40),
    ) {
        // Each non-empty chunk is followed by up to two empty ones.
        let with_empties: Vec<usize> = lengths
            .iter()
            .flat_map(|&(len, empties)| std::iter::once(len).chain(std::iter::repeat_n(0, empties)))
            .collect();
        let mut chunks = vec![&[][..]];
        chunks.extend(common::split_by_lengths(&stream.bytes, &with_empties));
        chunks.push(&[]);
        prop_assert_eq!(decode_chunks(&stream.framing, chunks), stream.clean_outcome());
    }

    #[test]
    fn every_cut_gives_the_same_records_as_feeding_whole(
        stream in arb_stream(),
        cut in arb_cut(),
    ) {
        let lengths = cut.chunk_lengths(&stream.sends);
        prop_assert_eq!(lengths.iter().sum::<usize>(), stream.bytes.len());
        prop_assert_eq!(
            decode_in_chunks(&stream.framing, &stream.bytes, &lengths),
            stream.clean_outcome(),
            "cut {}", cut
        );
    }

    #[test]
    fn a_stream_cut_short_reports_where_and_how_much_is_missing(
        stream in arb_stream(),
        cut_at in any::<proptest::sample::Index>(),
    ) {
        let cut_at = cut_at.index(stream.bytes.len() + 1);
        let outcome = decode_whole(&stream.framing, &stream.bytes[..cut_at]);
        let inside = stream
            .bounds
            .iter()
            .find(|[start, .., end]| *start < cut_at && cut_at < *end);
        let expected = inside.map(|&[start, header_start, header_end, end]| {
            let (part, part_end) = if cut_at < header_start {
                (Part::Length, header_start)
            } else if cut_at < header_end {
                (Part::Header, header_end)
            } else {
                (Part::Body, end)
            };
            DecodeError::Truncated {
                offset: cut_at as u64,
                frame_offset: start as u64,
                part,
                missing: (part_end - cut_at) as u64,
            }
        });
        prop_assert_eq!(outcome.error, expected);
        // The events before the cut are those of the whole stream, the last body clipped.
        let mut before = stream.expected.clone();
        clip_records(&mut before, cut_at as u64);
        prop_assert_eq!(outcome.records, before);
    }

    #[test]
    fn arbitrary_bytes_give_the_same_outcome_under_any_chunking(
        (framing, bytes) in arb_garbage(),
        lengths in vec(0usize..32, 0..40),
        cut in arb_cut(),
    ) {
        let whole = decode_whole(&framing, &bytes);
        prop_assert_eq!(&decode_in_chunks(&framing, &bytes, &lengths), &whole);
        let cut_lengths = cut.chunk_lengths(&[bytes.len()]);
        prop_assert_eq!(&decode_in_chunks(&framing, &bytes, &cut_lengths), &whole, "cut {}", cut);
    }
}

/// Keeps the records a stream cut at `cut_at` gives: complete events, and the body piece
/// the cut falls in, clipped.
fn clip_records(records: &mut Vec<EventRecord>, cut_at: u64) {
    records.retain(|record| match record {
        EventRecord::Body { start, .. } => *start < cut_at,
        EventRecord::End { end, .. }
        | EventRecord::Length { end, .. }
        | EventRecord::Header { end, .. } => *end <= cut_at,
    });
    for record in records.iter_mut() {
        if let EventRecord::Body { start, end, len } = record {
            *end = (*end).min(cut_at);
            *len = *end - *start;
        }
    }
}

/// Bytes that are mostly not a valid stream but often come close, with the framing to
/// read them: units of a prefix (in the framing's byte order) that gives or nearly gives the
/// length of what follows, header-like bytes and a few body bytes; and plain noise.
fn arb_garbage() -> impl Strategy<Value = (Framing, Vec<u8>)> {
    arb_framing().prop_flat_map(|framing| {
        let prefixes = framing.clone();
        let header_like = prop_oneof![
            (0u8..8).prop_map(|n| format!(r#"{{"size":{n}}}"#).into_bytes()),
            arb_json_value().prop_map(|value| value.to_string().into_bytes()),
            "[{}\\[\\]\":, 0-9a-z\n\u{e9}]{0,24}".prop_map(String::into_bytes),
            vec(any::<u8>(), 0..16),
        ];
        let unit = prop_oneof![
            3 => (
                header_like,
                prop_oneof![3 => Just(0i64), 1 => -2i64..=2],
                vec(any::<u8>(), 0..12),
            )
                .prop_map(move |(header, delta, body)| {
                    let len = (header.len() as i64 + delta).max(0) as u32;
                    [&prefixes.write_prefix(len)[..], &header, &body].concat()
                }),
            1 => vec(any::<u8>(), 0..12),
        ];
        (
            Just(framing),
            vec(unit, 0..6).prop_map(|units| units.concat()),
        )
    })
}

fn arb_framing() -> impl Strategy<Value = Framing> {
    (
        arb_byte_order(),
        prop_oneof![Just(16u32), Just(DEFAULT_MAX_HEADER_LEN)],
        prop_oneof![Just(4u64), Just(u64::MAX)],
    )
        .prop_map(|(byte_order, max_header_len, max_body_len)| Framing {
            byte_order,
            max_header_len,
            max_body_len,
            ..Framing::default()
        })
}
