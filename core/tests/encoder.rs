//! The encoder: header (and body length) to frame bytes, and what it refuses.

mod common;

use std::collections::BTreeMap;

use common::{decode_whole, feed_ok, object};
use seam_core::{
    BodyLenError, ByteOrder, Decoder, EncodeError, Encoder, Event, EventRecord, Framing,
};
use serde_json::{json, Value};

#[test]
fn encode_head_writes_prefix_and_header_and_returns_the_declared_body_length() {
    let mut out = Vec::new();
    let body_len = Encoder::default()
        .encode_head(&json!({"size": 5}), &mut out)
        .unwrap();
    assert_eq!(body_len, 5);
    assert_eq!(out, b"\x0a\x00\x00\x00{\"size\":5}");
}

#[test]
fn encode_head_declares_no_body_without_a_size_field() {
    let mut out = Vec::new();
    let body_len = Encoder::default()
        .encode_head(&json!({"op": "list"}), &mut out)
        .unwrap();
    assert_eq!(body_len, 0);
}

#[test]
fn encode_head_appends_to_what_out_already_holds() {
    let mut out = b"earlier".to_vec();
    Encoder::default()
        .encode_head(&json!({"op": "list"}), &mut out)
        .unwrap();
    assert_eq!(&out[..7], b"earlier");
    assert_eq!(&out[7..11], &13u32.to_le_bytes());
    assert_eq!(&out[11..], br#"{"op":"list"}"#);
}

#[test]
fn a_big_endian_encoder_writes_the_prefix_most_significant_byte_first() {
    let mut out = Vec::new();
    Encoder::new(Framing::big_endian())
        .encode_head(&json!({"op": "list"}), &mut out)
        .unwrap();
    assert_eq!(&out[..4], &[0, 0, 0, 13]);
}

#[test]
fn encode_head_uses_the_framings_size_fields() {
    let encoder = Encoder::new(Framing {
        size_fields: vec!["bytes".into()],
        ..Framing::default()
    });
    let mut out = Vec::new();
    assert_eq!(
        encoder.encode_head(&json!({"bytes": 3, "size": 9}), &mut out),
        Ok(3)
    );
}

#[test]
fn encode_head_accepts_any_serializable_header() {
    #[derive(serde::Serialize)]
    struct Upload<'a> {
        op: &'a str,
        filesize: u64,
    }
    let mut out = Vec::new();
    let body_len = Encoder::default()
        .encode_head(
            &Upload {
                op: "put",
                filesize: 12,
            },
            &mut out,
        )
        .unwrap();
    assert_eq!(body_len, 12);
    let header: Value = serde_json::from_slice(&out[4..]).unwrap();
    assert_eq!(header, json!({"op": "put", "filesize": 12}));
}

fn round_trip(byte_order: ByteOrder) {
    let framing = Framing {
        byte_order,
        ..Framing::default()
    };
    let encoder = Encoder::new(framing.clone());
    let frames = [
        (
            json!({"op": "put", "name": "caf\u{e9} \u{1F600}.txt", "size": 3}),
            &b"abc"[..],
        ),
        (json!({"op": "list"}), &b""[..]),
        (json!({"nested": {"a": [1, 2, null]}, "len": 1}), &b"\0"[..]),
    ];
    let mut stream = Vec::new();
    for (header, body) in &frames {
        encoder.encode_frame(header, body, &mut stream).unwrap();
    }
    let mut decoder = Decoder::new(framing);
    let mut decoded = Vec::new();
    for event in feed_ok(&mut decoder, &stream) {
        match event {
            Event::Header { header, .. } => decoded.push((Value::Object(header), Vec::new())),
            Event::BodyPiece { bytes, .. } => decoded.last_mut().unwrap().1.extend(bytes),
            _ => {}
        }
    }
    assert_eq!(decoder.finish(), Ok(()));
    let expected: Vec<(Value, Vec<u8>)> = frames
        .iter()
        .map(|(header, body)| (header.clone(), body.to_vec()))
        .collect();
    assert_eq!(decoded, expected);
}

#[test]
fn frames_round_trip_through_the_decoder_little_endian() {
    round_trip(ByteOrder::Little);
}

#[test]
fn frames_round_trip_through_the_decoder_big_endian() {
    round_trip(ByteOrder::Big);
}

#[test]
fn a_head_followed_by_a_streamed_body_decodes_as_one_frame() {
    let encoder = Encoder::default();
    let mut stream = Vec::new();
    let body_len = encoder
        .encode_head(&json!({"op": "echo", "size": 6}), &mut stream)
        .unwrap();
    for piece in [&b"ab"[..], b"cd", b"ef"] {
        stream.extend_from_slice(piece);
    }
    assert_eq!(body_len, 6);
    assert_eq!(
        stream,
        encoder
            .frame(&json!({"op": "echo", "size": 6}), b"abcdef")
            .unwrap()
    );
    let outcome = decode_whole(&Framing::default(), &stream);
    assert_eq!(outcome.error, None);
    assert!(matches!(
        outcome.records.last(),
        Some(EventRecord::End { body_len: 6, .. })
    ));
}

#[test]
fn frame_returns_what_encode_frame_appends() {
    let encoder = Encoder::default();
    let header = json!({"size": 2, "op": "echo"});
    let mut out = Vec::new();
    encoder.encode_frame(&header, b"hi", &mut out).unwrap();
    assert_eq!(encoder.frame(&header, b"hi").unwrap(), out);
}

#[test]
fn refuses_headers_that_are_not_objects_and_leaves_out_unchanged() {
    let encoder = Encoder::default();
    for header in [json!([1]), json!("s"), json!(1), json!(true), json!(null)] {
        let mut out = b"kept".to_vec();
        assert_eq!(
            encoder.encode_head(&header, &mut out),
            Err(EncodeError::NotAnObject),
            "{header}"
        );
        assert_eq!(out, b"kept");
    }
}

#[test]
fn refuses_a_header_longer_than_max_header_len() {
    let encoder = Encoder::new(Framing {
        max_header_len: 16,
        ..Framing::default()
    });
    let mut out = Vec::new();
    let at_limit = json!({"a": "01234567"});
    assert_eq!(serde_json::to_vec(&at_limit).unwrap().len(), 16);
    assert_eq!(encoder.encode_head(&at_limit, &mut out), Ok(0));
    out.clear();
    assert_eq!(
        encoder.encode_head(&json!({"a": "012345678"}), &mut out),
        Err(EncodeError::HeaderTooLong { len: 17, limit: 16 })
    );
    assert!(out.is_empty());
}

#[test]
fn refuses_a_body_of_the_wrong_length_and_leaves_out_unchanged() {
    let encoder = Encoder::default();
    for body in [&b"ab"[..], b"abcd"] {
        let mut out = b"kept".to_vec();
        assert_eq!(
            encoder.encode_frame(&json!({"size": 3}), body, &mut out),
            Err(EncodeError::BodyLengthMismatch {
                declared: 3,
                actual: body.len() as u64,
            })
        );
        assert_eq!(out, b"kept");
    }
}

#[test]
fn refuses_a_body_when_the_header_declares_none() {
    assert_eq!(
        Encoder::default().frame(&json!({"op": "list"}), b"x"),
        Err(EncodeError::BodyLengthMismatch {
            declared: 0,
            actual: 1
        })
    );
}

#[test]
fn refuses_an_unusable_size_field() {
    let encoder = Encoder::new(Framing {
        max_body_len: 100,
        ..Framing::default()
    });
    let mut out = Vec::new();
    assert_eq!(
        encoder.encode_head(&json!({"size": -1}), &mut out),
        Err(EncodeError::BodyLength(BodyLenError::Invalid {
            field: "size".into(),
            value: "-1".into(),
        }))
    );
    assert_eq!(
        encoder.encode_head(&json!({"size": 1, "len": 2}), &mut out),
        Err(EncodeError::BodyLength(BodyLenError::Conflict {
            first: "size".into(),
            second: "len".into(),
        }))
    );
    assert_eq!(
        encoder.encode_head(&json!({"size": 101}), &mut out),
        Err(EncodeError::BodyLength(BodyLenError::OverLimit {
            field: "size".into(),
            len: 101,
            limit: 100,
        }))
    );
    assert!(out.is_empty());
}

#[test]
fn refuses_a_header_serde_json_cannot_serialize() {
    let header: BTreeMap<(u8, u8), u8> = BTreeMap::from([((1, 2), 3)]);
    let mut out = Vec::new();
    assert!(matches!(
        Encoder::default().encode_head(&header, &mut out),
        Err(EncodeError::Serialize(_))
    ));
    assert!(out.is_empty());
}

#[test]
fn the_encoder_keeps_the_framing_it_was_built_with() {
    assert_eq!(Encoder::default().framing(), &Framing::default());
    assert_eq!(
        Encoder::new(Framing::big_endian()).framing(),
        &Framing::big_endian()
    );
}

#[test]
fn an_encoded_header_decodes_to_the_same_object() {
    let header = json!({"op": "chat", "text": "\u{4f60}\u{597d} \"quoted\" \\ \n tab\t"});
    let stream = Encoder::default().frame(&header, b"").unwrap();
    let mut decoder = Decoder::default();
    let events = feed_ok(&mut decoder, &stream);
    assert!(matches!(&events[1], Event::Header { header: h, .. } if *h == object(header)));
}

#[test]
fn a_size_field_is_found_however_the_header_text_looks() {
    // The encoder skips building a map when no size field name occurs in the text as a
    // string token; everything that does name one still gets its body length.
    let encoder = Encoder::default();
    let mut out = Vec::new();
    let cases = [
        (json!({"op": "chat", "text": "size \"size\": 9"}), Ok(0)),
        (json!({"op": "x", "field": "size"}), Ok(0)),
        (json!({"op": "x", "inner": {"size": 7}}), Ok(0)),
        (json!({"op": "echo", "size": 7}), Ok(7)),
        (json!({"filesize": 3, "note": "len"}), Ok(3)),
        (json!({"text": "\"len\":4", "len": 2}), Ok(2)),
    ];
    for (header, expected) in cases {
        out.clear();
        assert_eq!(encoder.encode_head(&header, &mut out), expected, "{header}");
    }
    let odd = Encoder::new(Framing {
        size_fields: vec!["body \"len\"".into()],
        ..Framing::default()
    });
    assert_eq!(
        odd.encode_head(&json!({"body \"len\"": 5}), &mut out),
        Ok(5)
    );
}

#[test]
fn the_body_length_read_from_the_text_agrees_with_the_map() {
    // Headers whose body length the encoder reads from their text, and headers it leaves
    // to the map: the result is the map's in every case.
    let framing = Framing {
        max_body_len: 1000,
        ..Framing::default()
    };
    let encoder = Encoder::new(framing.clone());
    let headers = [
        json!({}),
        json!({"op": "echo", "size": 0}),
        json!({"op": "echo", "size": 1000}),
        json!({"op": "echo", "size": 1001}),
        json!({"op": "echo", "size": -3}),
        json!({"op": "echo", "size": 2.5}),
        json!({"op": "echo", "size": 18446744073709551615u64}),
        json!({"op": "echo", "size": "7"}),
        json!({"size": 4, "filesize": 4}),
        json!({"size": 4, "filesize": 5}),
        json!({"nested": {"size": 9}, "list": [{"len": 2}], "len": 3}),
        json!({"text": "\"size\":5,\\\"", "data_size": 6}),
        json!({"a\"size": 1, "size\\": 2}),
        json!({"op": "x", "size": null}),
        json!({"op": "x", "size": true}),
        json!({"op": "x", "size": [1]}),
    ];
    for header in headers {
        let Value::Object(map) = &header else {
            unreachable!()
        };
        let expected = framing.body_len(map).map_err(EncodeError::from);
        let mut out = Vec::new();
        assert_eq!(encoder.encode_head(&header, &mut out), expected, "{header}");
    }
}

mod body_len_from_text {
    use proptest::prelude::*;
    use seam_core::{EncodeError, Encoder, Framing};
    use serde_json::{json, Map, Value};

    fn value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            any::<u64>().prop_map(|n| json!(n % 2000)),
            any::<u64>().prop_map(|n| json!(n)),
            any::<i64>().prop_map(|n| json!(n)),
            any::<f64>().prop_map(|n| json!(n)),
            "[a-z\"\\\\:,{}]{0,8}".prop_map(Value::String),
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
        ];
        leaf.prop_recursive(2, 8, 4, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..3).prop_map(Value::Array),
                prop::collection::btree_map(key(), inner, 0..3)
                    .prop_map(|m| Value::Object(m.into_iter().collect::<Map<_, _>>())),
            ]
        })
    }

    fn key() -> impl Strategy<Value = String> {
        prop_oneof![
            Just("size".to_string()),
            Just("len".to_string()),
            Just("filesize".to_string()),
            Just("data_size".to_string()),
            "[a-z\"\\\\:]{0,6}",
        ]
    }

    proptest! {
        #[test]
        fn agrees_with_the_map(entries in prop::collection::btree_map(key(), value(), 0..5)) {
            let map: Map<String, Value> = entries.into_iter().collect();
            let framing = Framing { max_body_len: 1000, ..Framing::default() };
            let expected = framing.body_len(&map).map_err(EncodeError::from);
            let mut out = Vec::new();
            let got = Encoder::new(framing).encode_head(&Value::Object(map.clone()), &mut out);
            prop_assert_eq!(got, expected);
        }
    }
}
