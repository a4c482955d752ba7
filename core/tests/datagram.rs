//! Datagram mode: one datagram holds exactly one whole frame.

mod common;

use std::borrow::Cow;

use common::{decode_whole, frame, lies_within, object, raw_frame};
use seam_core::{decode_datagram, DecodeError, EventRecord, Framing, Part};
use serde_json::json;

#[test]
fn one_frame_decodes_with_header_and_body_borrowed_from_the_datagram() {
    let datagram = raw_frame(br#"{"op":"echo","size":5}"#, b"hello");
    let decoded = decode_datagram(&Framing::default(), &datagram).unwrap();
    assert_eq!(decoded.header, object(json!({"op": "echo", "size": 5})));
    assert_eq!(decoded.body, b"hello");
    assert!(lies_within(decoded.body, &datagram));
    match &decoded.raw_header {
        Cow::Borrowed(raw) => {
            assert_eq!(*raw, r#"{"op":"echo","size":5}"#);
            assert!(lies_within(raw.as_bytes(), &datagram));
        }
        Cow::Owned(_) => panic!("the header text should borrow from the datagram"),
    }
}

#[test]
fn the_records_of_a_datagram_are_those_of_the_same_bytes_as_a_stream() {
    let datagram = frame(json!({"op": "echo", "size": 3}), b"abc");
    let decoded = decode_datagram(&Framing::default(), &datagram).unwrap();
    let stream = decode_whole(&Framing::default(), &datagram);
    assert_eq!(decoded.records, stream.records);
    assert_eq!(decoded.records.len(), 4);
}

#[test]
fn a_frame_without_a_body_gives_an_empty_body() {
    let datagram = frame(json!({"op": "list"}), b"");
    let decoded = decode_datagram(&Framing::default(), &datagram).unwrap();
    assert!(decoded.body.is_empty());
    assert_eq!(decoded.records.len(), 3);
    assert!(matches!(
        decoded.records[2],
        EventRecord::End { body_len: 0, .. }
    ));
}

#[test]
fn a_big_endian_datagram_decodes_with_a_big_endian_framing() {
    let datagram = [&[0, 0, 0, 10][..], br#"{"size":2}"#, b"ok"].concat();
    let decoded = decode_datagram(&Framing::big_endian(), &datagram).unwrap();
    assert_eq!(decoded.body, b"ok");
}

#[test]
fn a_datagram_cut_inside_the_body_is_truncated() {
    let datagram = raw_frame(br#"{"size":5}"#, b"hel");
    assert_eq!(
        decode_datagram(&Framing::default(), &datagram),
        Err(DecodeError::Truncated {
            offset: 17,
            frame_offset: 0,
            part: Part::Body,
            missing: 2,
        })
    );
}

#[test]
fn a_datagram_cut_inside_the_header_is_truncated() {
    let datagram = &raw_frame(br#"{"size":5}"#, b"")[..8];
    assert_eq!(
        decode_datagram(&Framing::default(), datagram),
        Err(DecodeError::Truncated {
            offset: 8,
            frame_offset: 0,
            part: Part::Header,
            missing: 6,
        })
    );
}

#[test]
fn a_datagram_shorter_than_the_length_prefix_is_truncated() {
    assert_eq!(
        decode_datagram(&Framing::default(), &[2, 0, 0]),
        Err(DecodeError::Truncated {
            offset: 3,
            frame_offset: 0,
            part: Part::Length,
            missing: 1,
        })
    );
}

#[test]
fn an_empty_datagram_is_truncated_at_the_length_prefix() {
    assert_eq!(
        decode_datagram(&Framing::default(), &[]),
        Err(DecodeError::Truncated {
            offset: 0,
            frame_offset: 0,
            part: Part::Length,
            missing: 4,
        })
    );
}

#[test]
fn bytes_after_the_frame_are_trailing_bytes() {
    let datagram = [raw_frame(br#"{"size":2}"#, b"ab"), b"xyz".to_vec()].concat();
    assert_eq!(
        decode_datagram(&Framing::default(), &datagram),
        Err(DecodeError::DatagramTrailingBytes {
            offset: 16,
            extra: 3,
        })
    );
}

#[test]
fn a_second_whole_frame_is_trailing_bytes_too() {
    let first = frame(json!({"op": "list"}), b"");
    let second = frame(json!({"op": "list"}), b"");
    let datagram = [first.clone(), second.clone()].concat();
    assert_eq!(
        decode_datagram(&Framing::default(), &datagram),
        Err(DecodeError::DatagramTrailingBytes {
            offset: first.len() as u64,
            extra: second.len() as u64,
        })
    );
}

#[test]
fn a_bad_header_in_a_datagram_is_reported_as_in_a_stream() {
    let datagram = raw_frame(b"[]", b"");
    assert_eq!(
        decode_datagram(&Framing::default(), &datagram),
        Err(DecodeError::HeaderNotObject {
            offset: 4,
            found: "array".into(),
        })
    );
}
