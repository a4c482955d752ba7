//! The streaming decoder's behaviour: events and spans, chunking, zero copy, waiting,
//! finishing, errors and their offsets, byte order and size fields.

mod common;

use std::borrow::Cow;

use common::{
    decode_in_chunks, decode_whole, feed_err, feed_ok, frame, lies_within, object, raw_frame,
};
use seam_core::{
    BodyLenError, DecodeError, Decoder, Encoder, Event, EventRecord, Framing, Part, Span, Waiting,
    DEFAULT_MAX_HEADER_LEN,
};
use serde_json::json;

fn span(start: u64, end: u64) -> Span {
    Span { start, end }
}

fn waiting(part: Part, received: u64, missing: u64) -> Option<Waiting> {
    Some(Waiting {
        part,
        received,
        missing,
    })
}

fn framing_with_size_fields(fields: &[&str]) -> Framing {
    Framing {
        size_fields: fields.iter().map(|f| f.to_string()).collect(),
        ..Framing::default()
    }
}

// --- Events and spans ---

#[test]
fn one_frame_gives_length_header_body_and_end_events_with_their_spans() {
    let stream = raw_frame(br#"{"size":5}"#, b"hello");
    let mut decoder = Decoder::default();
    let events = feed_ok(&mut decoder, &stream);
    assert_eq!(
        events,
        vec![
            Event::Length {
                span: span(0, 4),
                header_len: 10
            },
            Event::Header {
                span: span(4, 14),
                header: object(json!({"size": 5})),
                raw: Cow::Borrowed(r#"{"size":5}"#),
                body_len: 5
            },
            Event::BodyPiece {
                span: span(14, 19),
                bytes: b"hello"
            },
            Event::MessageEnd {
                span: span(0, 19),
                body_len: 5
            },
        ]
    );
}

#[test]
fn several_frames_in_one_chunk_decode_in_order_with_absolute_spans() {
    let stream = [
        raw_frame(br#"{"size":2}"#, b"ab"),
        raw_frame(br#"{"op":"x"}"#, b""),
        raw_frame(br#"{"len":1}"#, b"z"),
    ]
    .concat();
    let mut decoder = Decoder::default();
    let records: Vec<EventRecord> = feed_ok(&mut decoder, &stream)
        .iter()
        .map(Event::to_record)
        .collect();
    let length = |start, header_len| EventRecord::Length {
        start,
        end: start + 4,
        header_len,
    };
    let header = |start, end, header, body_len| EventRecord::Header {
        start,
        end,
        header,
        body_len,
    };
    let end = |start, end, body_len| EventRecord::End {
        start,
        end,
        body_len,
    };
    assert_eq!(
        records,
        vec![
            length(0, 10),
            header(4, 14, json!({"size": 2}), 2),
            EventRecord::Body {
                start: 14,
                end: 16,
                len: 2
            },
            end(0, 16, 2),
            length(16, 10),
            header(20, 30, json!({"op": "x"}), 0),
            end(16, 30, 0),
            length(30, 9),
            header(34, 43, json!({"len": 1}), 1),
            EventRecord::Body {
                start: 43,
                end: 44,
                len: 1
            },
            end(30, 44, 1),
        ]
    );
    assert_eq!(decoder.position(), stream.len() as u64);
    assert_eq!(decoder.finish(), Ok(()));
}

#[test]
fn a_frame_without_a_body_ends_right_after_its_header() {
    let stream = raw_frame(br#"{"size":0}"#, b"");
    let mut decoder = Decoder::default();
    let events = feed_ok(&mut decoder, &stream);
    assert_eq!(events.len(), 3);
    assert!(matches!(events[1], Event::Header { body_len: 0, .. }));
    assert_eq!(
        events[2],
        Event::MessageEnd {
            span: span(0, 14),
            body_len: 0
        }
    );
}

#[test]
fn message_end_of_a_bodyless_frame_is_ready_without_more_input() {
    let stream = raw_frame(b"{}", b"");
    let mut decoder = Decoder::default();
    let mut input: &[u8] = &stream;
    assert!(matches!(
        decoder.poll(&mut input),
        Ok(Some(Event::Length { .. }))
    ));
    assert!(matches!(
        decoder.poll(&mut input),
        Ok(Some(Event::Header { .. }))
    ));
    assert!(input.is_empty());
    assert_eq!(decoder.waiting().map(|w| w.missing), Some(0));
    assert_eq!(
        decoder.poll(&mut input),
        Ok(Some(Event::MessageEnd {
            span: span(0, 6),
            body_len: 0
        }))
    );
    assert_eq!(decoder.poll(&mut input), Ok(None));
}

#[test]
fn poll_consumes_bytes_from_the_front_of_the_input() {
    let stream = [raw_frame(br#"{"size":3}"#, b"abc"), raw_frame(b"{}", b"")].concat();
    let mut decoder = Decoder::default();
    let mut input: &[u8] = &stream;
    assert!(matches!(
        decoder.poll(&mut input),
        Ok(Some(Event::Length { .. }))
    ));
    assert_eq!(input, &stream[4..]);
    assert!(matches!(
        decoder.poll(&mut input),
        Ok(Some(Event::Header { .. }))
    ));
    assert_eq!(input, &stream[14..]);
    assert!(matches!(
        decoder.poll(&mut input),
        Ok(Some(Event::BodyPiece { bytes: b"abc", .. }))
    ));
    assert_eq!(input, &stream[17..]);
    assert!(matches!(
        decoder.poll(&mut input),
        Ok(Some(Event::MessageEnd { .. }))
    ));
    assert_eq!(input, &stream[17..], "the end event consumes no byte");
}

#[test]
fn poll_returns_none_once_the_input_is_used_up() {
    let mut decoder = Decoder::default();
    let mut input: &[u8] = &[7, 0];
    assert_eq!(decoder.poll(&mut input), Ok(None));
    assert!(input.is_empty());
    assert_eq!(decoder.poll(&mut input), Ok(None));
    assert_eq!(decoder.position(), 2);
}

// --- Chunking ---

#[test]
fn empty_chunks_are_harmless_at_every_stage() {
    let stream = raw_frame(br#"{"size":4}"#, b"body");
    let mut decoder = Decoder::default();
    for (i, byte) in stream.iter().enumerate() {
        let before = (decoder.position(), decoder.waiting());
        assert!(feed_ok(&mut decoder, &[]).is_empty(), "at byte {i}");
        assert_eq!(
            (decoder.position(), decoder.waiting()),
            before,
            "at byte {i}"
        );
        feed_ok(&mut decoder, std::slice::from_ref(byte));
    }
    assert!(feed_ok(&mut decoder, &[]).is_empty());
    assert_eq!(decoder.finish(), Ok(()));
}

#[test]
fn empty_chunks_between_bytes_give_the_same_records_as_feeding_whole() {
    let stream = [raw_frame(br#"{"size":3}"#, b"abc"), raw_frame(b"{}", b"")].concat();
    let whole = decode_whole(&Framing::default(), &stream);
    let lengths: Vec<usize> = (0..stream.len()).flat_map(|_| [0, 1, 0]).collect();
    assert_eq!(
        decode_in_chunks(&Framing::default(), &stream, &lengths),
        whole
    );
}

#[test]
fn a_frame_split_at_any_offset_gives_the_same_records() {
    let stream = [
        raw_frame(br#"{"size":3,"name":"caf\u00e9"}"#, b"abc"),
        raw_frame(br#"{"op":"end"}"#, b""),
    ]
    .concat();
    let whole = decode_whole(&Framing::default(), &stream);
    assert_eq!(whole.error, None);
    for at in 0..=stream.len() {
        assert_eq!(
            decode_in_chunks(&Framing::default(), &stream, &[at]),
            whole,
            "split at {at}"
        );
    }
}

// --- Zero copy ---

#[test]
fn body_pieces_borrow_the_callers_chunk() {
    let stream = [
        raw_frame(br#"{"size":20}"#, b"0123456789abcdefghij"),
        raw_frame(br#"{"size":3}"#, b"xyz"),
    ]
    .concat();
    let mut decoder = Decoder::default();
    let mut body = Vec::new();
    for piece in stream.chunks(7) {
        // Each chunk in its own allocation, as a fresh recv() buffer would be.
        let chunk = piece.to_vec();
        for event in feed_ok(&mut decoder, &chunk) {
            if let Event::BodyPiece { bytes, .. } = event {
                assert!(
                    lies_within(bytes, &chunk),
                    "a body piece must point into the chunk that was fed"
                );
                body.extend_from_slice(bytes);
            }
        }
    }
    assert_eq!(body, b"0123456789abcdefghijxyz");
}

#[test]
fn header_text_borrows_the_chunk_when_the_header_is_whole_in_it() {
    let stream = raw_frame(br#"{"op":"x"}"#, b"");
    let mut decoder = Decoder::default();
    feed_ok(&mut decoder, &stream[..4]);
    let chunk = stream[4..].to_vec();
    let events = feed_ok(&mut decoder, &chunk);
    match &events[0] {
        Event::Header {
            raw: Cow::Borrowed(raw),
            ..
        } => {
            assert_eq!(*raw, r#"{"op":"x"}"#);
            assert!(lies_within(raw.as_bytes(), &chunk));
        }
        other => panic!("expected a borrowed header, got {other:?}"),
    }
}

#[test]
fn header_text_is_assembled_when_the_header_spans_chunks() {
    let stream = raw_frame(br#"{"op":"x"}"#, b"");
    let mut decoder = Decoder::default();
    assert_eq!(feed_ok(&mut decoder, &stream[..7]).len(), 1);
    let events = feed_ok(&mut decoder, &stream[7..]);
    match &events[0] {
        Event::Header {
            raw: Cow::Owned(raw),
            header,
            ..
        } => {
            assert_eq!(raw, r#"{"op":"x"}"#);
            assert_eq!(header, &object(json!({"op": "x"})));
        }
        other => panic!("expected an assembled header, got {other:?}"),
    }
}

#[test]
fn a_huge_body_streams_through_without_being_buffered() {
    const SLICE: usize = 64 * 1024;
    const SLICES: u64 = 4800; // 300 MiB
    let declared: u64 = 10 << 30;
    let mut head = Vec::new();
    let body_len = Encoder::default()
        .encode_head(&json!({"size": declared}), &mut head)
        .unwrap();
    assert_eq!(body_len, declared);

    let mut decoder = Decoder::default();
    let events = feed_ok(&mut decoder, &head);
    assert!(matches!(events[1], Event::Header { body_len, .. } if body_len == declared));

    let buffer = vec![0xA5u8; SLICE];
    let mut pos = head.len() as u64;
    for _ in 0..SLICES {
        let mut events = decoder.feed(&buffer);
        match events.next() {
            Some(Ok(Event::BodyPiece { span, bytes })) => {
                assert_eq!(bytes.as_ptr_range(), buffer.as_ptr_range());
                assert_eq!(span, self::span(pos, pos + SLICE as u64));
            }
            other => panic!("expected one body piece, got {other:?}"),
        }
        assert!(events.next().is_none());
        pos += SLICE as u64;
    }
    let fed = SLICES * SLICE as u64;
    assert_eq!(decoder.waiting(), waiting(Part::Body, fed, declared - fed));
    assert_eq!(
        decoder.finish(),
        Err(DecodeError::Truncated {
            offset: head.len() as u64 + fed,
            frame_offset: 0,
            part: Part::Body,
            missing: declared - fed,
        })
    );
}

// --- Header length ---

#[test]
fn rejects_header_length_over_limit_as_soon_as_the_prefix_is_read() {
    let mut decoder = Decoder::default();
    for _ in 0..3 {
        assert!(feed_ok(&mut decoder, &[0xFF]).is_empty());
    }
    // A 4 GiB header is refused on its 4th prefix byte, before any header byte arrives.
    assert_eq!(
        feed_err(&mut decoder, &[0xFF]),
        DecodeError::HeaderLengthOverLimit {
            offset: 0,
            len: u32::MAX,
            limit: DEFAULT_MAX_HEADER_LEN,
        }
    );
    assert_eq!(decoder.position(), 4);
}

#[test]
fn header_length_over_limit_names_the_offset_of_its_frame() {
    let first = raw_frame(b"{}", b"");
    let stream = [first.clone(), 101u32.to_le_bytes().to_vec()].concat();
    let framing = Framing {
        max_header_len: 100,
        ..Framing::default()
    };
    assert_eq!(
        decode_whole(&framing, &stream).error,
        Some(DecodeError::HeaderLengthOverLimit {
            offset: first.len() as u64,
            len: 101,
            limit: 100,
        })
    );
}

#[test]
fn accepts_a_header_exactly_at_the_limit() {
    let header = format!(r#"{{"pad":"{}"}}"#, "x".repeat(90));
    let framing = Framing {
        max_header_len: header.len() as u32,
        ..Framing::default()
    };
    let outcome = decode_whole(&framing, &raw_frame(header.as_bytes(), b""));
    assert_eq!(outcome.error, None);
    assert_eq!(outcome.records.len(), 3);
}

#[test]
fn rejects_header_length_zero() {
    let stream = [raw_frame(b"{}", b""), vec![0, 0, 0, 0]].concat();
    let mut decoder = Decoder::default();
    assert_eq!(
        feed_err(&mut decoder, &stream),
        DecodeError::HeaderLengthZero { offset: 6 }
    );
}

// --- Waiting ---

#[test]
fn waiting_reports_missing_bytes_of_the_length_prefix() {
    let mut decoder = Decoder::default();
    assert_eq!(decoder.waiting(), waiting(Part::Length, 0, 4));
    assert_eq!(
        decoder.waiting().unwrap().to_string(),
        "4 bytes of the length prefix"
    );
    feed_ok(&mut decoder, &[10, 0]);
    assert_eq!(decoder.waiting(), waiting(Part::Length, 2, 2));
    assert_eq!(
        decoder.waiting().unwrap().to_string(),
        "2 more bytes of the length prefix"
    );
    feed_ok(&mut decoder, &[0]);
    assert_eq!(
        decoder.waiting().unwrap().to_string(),
        "1 more byte of the length prefix"
    );
}

#[test]
fn waiting_reports_missing_bytes_of_the_header() {
    let stream = raw_frame(br#"{"size":5}"#, b"hello");
    let mut decoder = Decoder::default();
    feed_ok(&mut decoder, &stream[..4]);
    assert_eq!(decoder.waiting(), waiting(Part::Header, 0, 10));
    assert_eq!(
        decoder.waiting().unwrap().to_string(),
        "10 bytes of the header"
    );
    feed_ok(&mut decoder, &stream[4..7]);
    assert_eq!(decoder.waiting(), waiting(Part::Header, 3, 7));
    assert_eq!(
        decoder.waiting().unwrap().to_string(),
        "7 more bytes of the header"
    );
}

#[test]
fn waiting_reports_missing_bytes_of_the_body() {
    let stream = raw_frame(br#"{"size":5}"#, b"hello");
    let mut decoder = Decoder::default();
    feed_ok(&mut decoder, &stream[..14]);
    assert_eq!(decoder.waiting(), waiting(Part::Body, 0, 5));
    assert_eq!(
        decoder.waiting().unwrap().to_string(),
        "5 bytes of the body"
    );
    feed_ok(&mut decoder, &stream[14..18]);
    assert_eq!(decoder.waiting(), waiting(Part::Body, 4, 1));
    assert_eq!(
        decoder.waiting().unwrap().to_string(),
        "1 more byte of the body"
    );
    feed_ok(&mut decoder, &stream[18..]);
    assert_eq!(decoder.waiting(), waiting(Part::Length, 0, 4));
}

#[test]
fn waiting_is_none_after_an_error() {
    let mut decoder = Decoder::default();
    feed_err(&mut decoder, &[0, 0, 0, 0]);
    assert_eq!(decoder.waiting(), None);
}

// --- Finishing ---

#[test]
fn finish_on_a_frame_boundary_is_ok() {
    assert_eq!(Decoder::default().finish(), Ok(()));
    let mut decoder = Decoder::default();
    feed_ok(&mut decoder, &raw_frame(br#"{"size":1}"#, b"x"));
    assert_eq!(decoder.finish(), Ok(()));
}

#[test]
fn finish_inside_the_length_prefix_reports_truncated() {
    let first = raw_frame(b"{}", b"");
    let mut decoder = Decoder::default();
    feed_ok(&mut decoder, &[first.clone(), vec![2, 0]].concat());
    assert_eq!(
        decoder.finish(),
        Err(DecodeError::Truncated {
            offset: 8,
            frame_offset: 6,
            part: Part::Length,
            missing: 2,
        })
    );
}

#[test]
fn finish_inside_the_header_reports_truncated() {
    let first = raw_frame(b"{}", b"");
    let second = raw_frame(br#"{"size":5}"#, b"hello");
    let mut decoder = Decoder::default();
    feed_ok(&mut decoder, &[first, second[..7].to_vec()].concat());
    assert_eq!(
        decoder.finish(),
        Err(DecodeError::Truncated {
            offset: 13,
            frame_offset: 6,
            part: Part::Header,
            missing: 7,
        })
    );
}

#[test]
fn finish_inside_the_body_reports_truncated() {
    let first = raw_frame(b"{}", b"");
    let second = raw_frame(br#"{"size":5}"#, b"hello");
    let mut decoder = Decoder::default();
    feed_ok(&mut decoder, &[first, second[..16].to_vec()].concat());
    assert_eq!(
        decoder.finish(),
        Err(DecodeError::Truncated {
            offset: 22,
            frame_offset: 6,
            part: Part::Body,
            missing: 3,
        })
    );
}

#[test]
fn finish_right_after_a_header_reports_the_whole_body_missing() {
    let stream = raw_frame(br#"{"size":5}"#, b"hello");
    let mut decoder = Decoder::default();
    feed_ok(&mut decoder, &stream[..14]);
    assert_eq!(
        decoder.finish(),
        Err(DecodeError::Truncated {
            offset: 14,
            frame_offset: 0,
            part: Part::Body,
            missing: 5,
        })
    );
}

#[test]
fn truncation_explains_where_the_stream_was_cut() {
    let error = DecodeError::Truncated {
        offset: 13,
        frame_offset: 6,
        part: Part::Header,
        missing: 7,
    };
    assert_eq!(
        error.to_string(),
        "stream ended at byte 13 inside the header of the frame at byte 6: 7 more bytes expected"
    );
}

// --- Errors are final ---

#[test]
fn after_an_error_every_later_poll_feed_and_finish_returns_the_same_error() {
    let mut decoder = Decoder::default();
    let error = feed_err(&mut decoder, &raw_frame(b"[1]", b""));
    assert_eq!(
        error,
        DecodeError::HeaderNotObject {
            offset: 4,
            found: "array".into()
        }
    );
    assert_eq!(decoder.error(), Some(&error));
    let position = decoder.position();

    let good = frame(json!({"op": "fine"}), b"");
    assert_eq!(feed_err(&mut decoder, &good), error);
    assert_eq!(feed_err(&mut decoder, &[]), error);
    let mut input: &[u8] = &good;
    assert_eq!(decoder.poll(&mut input), Err(error.clone()));
    assert_eq!(input, &good[..], "a failed decoder consumes nothing");
    assert_eq!(decoder.finish(), Err(error.clone()));
    assert_eq!(decoder.finish(), Err(error));
    assert_eq!(decoder.position(), position);
}

#[test]
fn a_truncation_reported_by_finish_is_final_too() {
    let mut decoder = Decoder::default();
    feed_ok(&mut decoder, &[2, 0]);
    let error = decoder.finish().unwrap_err();
    assert_eq!(decoder.error(), Some(&error));
    assert_eq!(feed_err(&mut decoder, &[0, 0, b'{', b'}']), error);
    assert_eq!(decoder.finish(), Err(error));
}

#[test]
fn feed_yields_an_error_once_and_then_stops() {
    let stream = [raw_frame(b"nope", b""), raw_frame(b"{}", b"")].concat();
    let mut decoder = Decoder::default();
    let items: Vec<_> = decoder.feed(&stream).collect();
    assert_eq!(items.len(), 2);
    assert!(matches!(items[0], Ok(Event::Length { .. })));
    assert!(matches!(items[1], Err(DecodeError::HeaderNotJson { .. })));
}

// --- Error offsets ---

#[test]
fn a_header_that_is_not_utf8_is_reported_at_its_first_bad_byte() {
    let first = raw_frame(b"{}", b"");
    let stream = [first, raw_frame(b"{\"a\":\"\xFF\"}", b"")].concat();
    // 6 bytes of the first frame, 4 of the prefix, then `{"a":"` before the bad byte.
    let expected = DecodeError::HeaderNotUtf8 { offset: 6 + 4 + 6 };
    assert_eq!(
        decode_whole(&Framing::default(), &stream).error,
        Some(expected.clone())
    );
    let one_byte_chunks = vec![1; stream.len()];
    assert_eq!(
        decode_in_chunks(&Framing::default(), &stream, &one_byte_chunks).error,
        Some(expected)
    );
}

#[test]
fn a_header_cut_inside_a_multibyte_character_is_not_utf8() {
    // "é" is C3 A9; the header ends after C3.
    let stream = raw_frame(b"{\"\xC3", b"");
    assert_eq!(
        decode_whole(&Framing::default(), &stream).error,
        Some(DecodeError::HeaderNotUtf8 { offset: 4 + 2 })
    );
}

#[test]
fn a_header_that_is_not_json_is_reported_where_parsing_failed() {
    let stream = raw_frame(br#"{"a":x}"#, b"");
    match decode_whole(&Framing::default(), &stream).error {
        Some(DecodeError::HeaderNotJson { offset, message }) => {
            assert_eq!(offset, 4 + 5, "the offset of the `x`");
            assert!(!message.is_empty());
        }
        other => panic!("expected a JSON error, got {other:?}"),
    }
}

#[test]
fn a_json_error_on_a_second_line_is_reported_at_its_absolute_byte_offset() {
    let first = raw_frame(b"{}", b"");
    // Line 1 is `{"a":"é",` (10 bytes: é takes two), then the newline; line 2 is `"b":?}`.
    let header = "{\"a\":\"\u{e9}\",\n\"b\":?}";
    let stream = [first, raw_frame(header.as_bytes(), b"")].concat();
    let question_mark = header.find('?').unwrap() as u64;
    assert_eq!(question_mark, 15);
    for lengths in [vec![], vec![1; stream.len()]] {
        match decode_in_chunks(&Framing::default(), &stream, &lengths).error {
            Some(DecodeError::HeaderNotJson { offset, .. }) => {
                assert_eq!(offset, 6 + 4 + question_mark)
            }
            other => panic!("expected a JSON error, got {other:?}"),
        }
    }
}

fn json_error_offset(header: &[u8]) -> u64 {
    match decode_whole(&Framing::default(), &raw_frame(header, b"")).error {
        Some(DecodeError::HeaderNotJson { offset, .. }) => offset,
        other => panic!("expected a JSON error, got {other:?}"),
    }
}

#[test]
fn a_raw_newline_inside_a_string_is_reported_at_the_newline() {
    let header = b"{\"text\":\"one\ntwo\"}";
    let newline = header.iter().position(|&b| b == b'\n').unwrap() as u64;
    assert_eq!(json_error_offset(header), 4 + newline);
}

#[test]
fn a_header_cut_short_is_not_json_at_its_last_byte() {
    assert_eq!(json_error_offset(br#"{"a":1"#), 4 + 5);
    // Also when that last byte is a newline (serde_json says line 2, column 0).
    assert_eq!(json_error_offset(b"{\"a\":1\n"), 4 + 6);
}

#[test]
fn trailing_text_after_the_json_object_is_not_json() {
    let stream = raw_frame(br#"{} {}"#, b"");
    match decode_whole(&Framing::default(), &stream).error {
        Some(DecodeError::HeaderNotJson { offset, .. }) => assert_eq!(offset, 4 + 3),
        other => panic!("expected a JSON error, got {other:?}"),
    }
}

#[test]
fn whitespace_around_the_json_object_is_allowed() {
    let outcome = decode_whole(&Framing::default(), &raw_frame(b" {\"size\":1}\n", b"x"));
    assert_eq!(outcome.error, None);
    assert_eq!(outcome.records.len(), 4);
}

#[test]
fn a_header_that_is_json_but_not_an_object_is_rejected_with_its_kind() {
    for (text, found) in [
        ("[1,2]", "array"),
        ("\"size\"", "string"),
        ("42", "number"),
        ("true", "bool"),
        ("null", "null"),
    ] {
        let stream = [raw_frame(b"{}", b""), raw_frame(text.as_bytes(), b"")].concat();
        assert_eq!(
            decode_whole(&Framing::default(), &stream).error,
            Some(DecodeError::HeaderNotObject {
                offset: 6 + 4,
                found: found.into()
            }),
            "header {text}"
        );
    }
}

#[test]
fn every_error_names_its_offset_and_a_stable_kind_matching_its_json_tag() {
    let errors = [
        DecodeError::HeaderLengthZero { offset: 1 },
        DecodeError::HeaderLengthOverLimit {
            offset: 2,
            len: 9,
            limit: 8,
        },
        DecodeError::HeaderNotUtf8 { offset: 3 },
        DecodeError::HeaderNotJson {
            offset: 4,
            message: "m".into(),
        },
        DecodeError::HeaderNotObject {
            offset: 5,
            found: "array".into(),
        },
        DecodeError::BodyLength {
            offset: 6,
            reason: BodyLenError::Invalid {
                field: "size".into(),
                value: "-1".into(),
            },
        },
        DecodeError::Truncated {
            offset: 7,
            frame_offset: 0,
            part: Part::Body,
            missing: 1,
        },
        DecodeError::DatagramTrailingBytes {
            offset: 8,
            extra: 1,
        },
    ];
    let kinds = [
        "header_length_zero",
        "header_length_over_limit",
        "header_not_utf8",
        "header_not_json",
        "header_not_object",
        "body_length",
        "truncated",
        "datagram_trailing_bytes",
    ];
    for ((error, kind), offset) in errors.iter().zip(kinds).zip(1u64..) {
        assert_eq!(error.kind(), kind);
        assert_eq!(error.offset(), offset);
        let value = serde_json::to_value(error).unwrap();
        assert_eq!(value["kind"], kind);
        assert_eq!(value["offset"], offset);
        assert_eq!(
            serde_json::from_value::<DecodeError>(value).unwrap(),
            *error
        );
    }
}

// --- Byte order ---

#[test]
fn a_big_endian_prefix_is_read_most_significant_byte_first() {
    let stream = [&[0, 0, 0, 10][..], br#"{"size":5}"#, b"hello"].concat();
    let mut decoder = Decoder::new(Framing::big_endian());
    let events = feed_ok(&mut decoder, &stream);
    assert_eq!(
        events[0],
        Event::Length {
            span: span(0, 4),
            header_len: 10
        }
    );
    assert_eq!(events.len(), 4);
    assert_eq!(decoder.finish(), Ok(()));
}

#[test]
fn a_big_endian_prefix_read_as_little_endian_is_a_huge_header_length() {
    let stream = [&[0, 0, 0, 10][..], br#"{"size":5}"#].concat();
    assert_eq!(
        decode_whole(&Framing::default(), &stream).error,
        Some(DecodeError::HeaderLengthOverLimit {
            offset: 0,
            len: 10 << 24,
            limit: DEFAULT_MAX_HEADER_LEN,
        })
    );
}

// --- Size fields ---

fn body_len_of(framing: &Framing, header: &str) -> Result<u64, DecodeError> {
    let mut decoder = Decoder::new(framing.clone());
    for event in decoder.feed(&raw_frame(header.as_bytes(), b"")) {
        if let Event::Header { body_len, .. } = event? {
            return Ok(body_len);
        }
    }
    panic!("no header event for {header}");
}

#[test]
fn each_tutorial_size_field_gives_the_body_length() {
    for field in ["size", "filesize", "data_size", "len"] {
        let header = format!(r#"{{"{field}":7}}"#);
        assert_eq!(body_len_of(&Framing::default(), &header), Ok(7), "{field}");
    }
}

#[test]
fn an_absent_size_field_means_no_body() {
    assert_eq!(
        body_len_of(&Framing::default(), r#"{"op":"list","total":9}"#),
        Ok(0)
    );
}

#[test]
fn a_custom_size_field_list_replaces_the_default() {
    let framing = framing_with_size_fields(&["bytes"]);
    assert_eq!(body_len_of(&framing, r#"{"bytes":3,"size":99}"#), Ok(3));
    assert_eq!(body_len_of(&framing, r#"{"size":99}"#), Ok(0));
    assert_eq!(
        body_len_of(&framing_with_size_fields(&[]), r#"{"size":99}"#),
        Ok(0)
    );
}

#[test]
fn size_fields_that_agree_are_accepted() {
    assert_eq!(
        body_len_of(&Framing::default(), r#"{"size":3,"len":3}"#),
        Ok(3)
    );
}

#[test]
fn conflicting_size_fields_are_rejected_at_the_header() {
    assert_eq!(
        body_len_of(&Framing::default(), r#"{"len":4,"size":3}"#),
        Err(DecodeError::BodyLength {
            offset: 4,
            reason: BodyLenError::Conflict {
                first: "size".into(),
                second: "len".into(),
            },
        })
    );
}

#[test]
fn a_size_field_must_be_a_non_negative_integer() {
    for value in [
        "-1",
        "1.5",
        "\"3\"",
        "null",
        "true",
        "[3]",
        "18446744073709551616",
    ] {
        let header = format!(r#"{{"filesize":{value}}}"#);
        let expected_value = serde_json::from_str::<serde_json::Value>(value)
            .unwrap()
            .to_string();
        assert_eq!(
            body_len_of(&Framing::default(), &header),
            Err(DecodeError::BodyLength {
                offset: 4,
                reason: BodyLenError::Invalid {
                    field: "filesize".into(),
                    value: expected_value,
                },
            }),
            "value {value}"
        );
    }
}

#[test]
fn the_largest_body_length_is_accepted_up_to_max_body_len() {
    let framing = Framing {
        max_body_len: 10,
        ..Framing::default()
    };
    assert_eq!(body_len_of(&framing, r#"{"size":10}"#), Ok(10));
    assert_eq!(
        body_len_of(&framing, r#"{"size":11}"#),
        Err(DecodeError::BodyLength {
            offset: 4,
            reason: BodyLenError::OverLimit {
                field: "size".into(),
                len: 11,
                limit: 10,
            },
        })
    );
}

// --- Position and frame start ---

#[test]
fn position_counts_the_bytes_consumed() {
    let stream = raw_frame(br#"{"size":2}"#, b"ab");
    let mut decoder = Decoder::default();
    assert_eq!(decoder.position(), 0);
    for (i, byte) in stream.iter().enumerate() {
        feed_ok(&mut decoder, std::slice::from_ref(byte));
        assert_eq!(decoder.position(), i as u64 + 1);
    }
}

#[test]
fn frame_start_points_at_the_frame_being_read() {
    let first = raw_frame(br#"{"size":2}"#, b"ab");
    let second = raw_frame(b"{}", b"");
    let mut decoder = Decoder::default();
    assert_eq!(decoder.frame_start(), 0);
    feed_ok(&mut decoder, &first[..first.len() - 1]);
    assert_eq!(decoder.frame_start(), 0);
    feed_ok(&mut decoder, &first[first.len() - 1..]);
    assert_eq!(decoder.frame_start(), first.len() as u64);
    feed_ok(&mut decoder, &second[..5]);
    assert_eq!(decoder.frame_start(), first.len() as u64);
    feed_ok(&mut decoder, &second[5..]);
    assert_eq!(decoder.frame_start(), (first.len() + second.len()) as u64);
}

// --- Events iterator ---

#[test]
fn events_dropped_early_leave_the_rest_of_the_chunk_unconsumed() {
    let stream = [raw_frame(br#"{"size":2}"#, b"ab"), raw_frame(b"{}", b"")].concat();
    let mut decoder = Decoder::default();
    let mut events = decoder.feed(&stream);
    assert!(matches!(events.next(), Some(Ok(Event::Length { .. }))));
    let rest = events.remaining();
    drop(events);
    assert_eq!(rest, &stream[4..]);
    assert!(lies_within(rest, &stream));
    assert_eq!(decoder.position(), 4);

    let whole = decode_whole(&Framing::default(), &stream);
    let mut records = vec![whole.records[0].clone()];
    records.extend(feed_ok(&mut decoder, rest).iter().map(Event::to_record));
    seam_core::coalesce_body_pieces(&mut records);
    assert_eq!(records, whole.records);
}

#[test]
fn events_remaining_is_empty_once_drained() {
    let stream = raw_frame(b"{}", b"");
    let mut decoder = Decoder::default();
    let mut events = decoder.feed(&stream);
    assert_eq!(events.remaining().len(), stream.len());
    for event in events.by_ref() {
        event.unwrap();
    }
    assert!(events.remaining().is_empty());
}

#[test]
fn the_decoder_keeps_the_framing_it_was_built_with() {
    let framing = Framing {
        max_header_len: 77,
        ..Framing::big_endian()
    };
    assert_eq!(Decoder::new(framing.clone()).framing(), &framing);
    assert_eq!(Decoder::default().framing(), &Framing::default());
}

#[test]
fn a_header_that_repeats_a_key_is_refused_with_the_key() {
    // A flat header (the fast path) and a nested one (serde_json's path) alike.
    for header in [
        &br#"{"size":1,"op":"put","size":100}"#[..],
        &br#"{"op":"put","meta":{"a":[1]},"op":"get"}"#[..],
    ] {
        let error = feed_err(&mut Decoder::default(), &raw_frame(header, b""));
        match error {
            DecodeError::HeaderRepeatedKey { key, offset } => {
                assert!(key == "size" || key == "op", "{key}");
                assert!(offset > 4 && offset <= 4 + header.len() as u64, "{offset}");
            }
            other => panic!("expected a repeated key, got {other:?}"),
        }
    }
}

#[test]
fn a_key_repeated_only_inside_a_nested_object_is_allowed() {
    let stream = raw_frame(br#"{"op":"note","meta":{"a":1,"a":2}}"#, b"");
    let events = feed_ok(&mut Decoder::default(), &stream);
    match &events[1] {
        Event::Header { header, .. } => assert_eq!(header["meta"], json!({"a": 2})),
        other => panic!("expected the header, got {other:?}"),
    }
}
