//! Seam's messages as frame headers, and the MD5 that checks transfers end to end.

mod common;

use common::{feed_ok, object, split_by_lengths};
use proptest::prelude::*;
use seam_core::messages::{
    ErrorCode, FileEntry, MessageError, OutputStream, Reply, ReplyOp, Request, RequestOp,
};
use seam_core::{md5_hex, BodyDigest, Decoder, Encoder, Event, Header};
use serde_json::{json, Value};
use strum::{VariantArray, VariantNames};

fn requests() -> Vec<(Request, Value)> {
    vec![
        (
            Request::Hello {
                token: Some("s3cret".into()),
                client: "seam 0.1".into(),
            },
            json!({"op": "hello", "token": "s3cret", "client": "seam 0.1"}),
        ),
        (
            Request::Hello {
                token: None,
                client: String::new(),
            },
            json!({"op": "hello", "client": ""}),
        ),
        (
            Request::Put {
                name: "a.bin".into(),
                total: 9,
                resume: true,
                force: true,
            },
            json!({"op": "put", "name": "a.bin", "total": 9, "resume": true, "force": true}),
        ),
        (
            Request::PutData { size: 5 },
            json!({"op": "put_data", "size": 5}),
        ),
        (
            Request::PutEnd {
                md5: md5_hex(b"hello"),
            },
            json!({"op": "put_end", "md5": "5d41402abc4b2a76b9719d911017c592"}),
        ),
        (
            Request::Get {
                name: "a.bin".into(),
                offset: 7,
            },
            json!({"op": "get", "name": "a.bin", "offset": 7}),
        ),
        (Request::List, json!({"op": "list"})),
        (Request::ListPartial, json!({"op": "list_partial"})),
        (
            Request::DeletePartial {
                name: "a.bin".into(),
            },
            json!({"op": "delete_partial", "name": "a.bin"}),
        ),
        (
            Request::Delete {
                name: "a.bin".into(),
            },
            json!({"op": "delete", "name": "a.bin"}),
        ),
        (
            Request::Exec {
                argv: vec!["ls".into(), "-l".into()],
            },
            json!({"op": "exec", "argv": ["ls", "-l"]}),
        ),
        (
            Request::ChatJoin { name: "ana".into() },
            json!({"op": "chat_join", "name": "ana"}),
        ),
        (
            Request::Chat {
                text: "ol\u{e1}".into(),
            },
            json!({"op": "chat", "text": "ol\u{e1}"}),
        ),
        (Request::Echo { size: 4 }, json!({"op": "echo", "size": 4})),
    ]
}

fn replies() -> Vec<(Reply, Value)> {
    vec![
        (
            Reply::Welcome {
                server: "seam 0.1".into(),
            },
            json!({"op": "welcome", "server": "seam 0.1"}),
        ),
        (
            Reply::Stored {
                name: "a.bin".into(),
                total: 7,
                md5: md5_hex(b""),
            },
            json!({"op": "stored", "name": "a.bin", "total": 7,
                   "md5": "d41d8cd98f00b204e9800998ecf8427e"}),
        ),
        (
            Reply::Ready {
                name: "a.bin".into(),
                offset: 3,
            },
            json!({"op": "ready", "name": "a.bin", "offset": 3}),
        ),
        (
            Reply::File {
                name: "a.bin".into(),
                size: 4,
                offset: 3,
                total: 7,
            },
            json!({"op": "file", "name": "a.bin", "size": 4, "offset": 3, "total": 7}),
        ),
        (
            Reply::FileEnd {
                md5: md5_hex(b"hello"),
            },
            json!({"op": "file_end", "md5": "5d41402abc4b2a76b9719d911017c592"}),
        ),
        (
            Reply::Listing {
                files: vec![
                    FileEntry {
                        name: "a".into(),
                        bytes: 1,
                    },
                    FileEntry {
                        name: "b".into(),
                        bytes: 0,
                    },
                ],
            },
            json!({"op": "listing", "files": [{"name": "a", "bytes": 1}, {"name": "b", "bytes": 0}]}),
        ),
        (
            Reply::Deleted {
                name: "a.bin".into(),
            },
            json!({"op": "deleted", "name": "a.bin"}),
        ),
        (
            Reply::Output {
                stream: OutputStream::Stderr,
                size: 6,
            },
            json!({"op": "output", "stream": "stderr", "size": 6}),
        ),
        (
            Reply::Exit {
                code: Some(0),
                signal: None,
            },
            json!({"op": "exit", "code": 0}),
        ),
        (
            Reply::Exit {
                code: None,
                signal: Some(9),
            },
            json!({"op": "exit", "signal": 9}),
        ),
        (
            Reply::ChatJoined { name: "ana".into() },
            json!({"op": "chat_joined", "name": "ana"}),
        ),
        (
            Reply::ChatLine {
                from: "ana".into(),
                text: "hi".into(),
            },
            json!({"op": "chat_line", "from": "ana", "text": "hi"}),
        ),
        (
            Reply::ChatLeft { name: "ana".into() },
            json!({"op": "chat_left", "name": "ana"}),
        ),
        (Reply::Echo { size: 4 }, json!({"op": "echo", "size": 4})),
        (
            Reply::error(ErrorCode::NotFound, "no such file"),
            json!({"op": "error", "code": "not_found", "message": "no such file"}),
        ),
    ]
}

/// The message's header encoded with a body of the length it declares, then decoded:
/// the decoded header (the body is checked to arrive whole).
fn through_the_wire<T: serde::Serialize>(message: &T) -> Header {
    let encoder = Encoder::default();
    let mut stream = Vec::new();
    let body_len = encoder.encode_head(message, &mut stream).unwrap();
    let body: Vec<u8> = (0..body_len).map(|i| i as u8).collect();
    stream.extend_from_slice(&body);
    let mut decoder = Decoder::default();
    let mut header = None;
    let mut received = Vec::new();
    for event in feed_ok(&mut decoder, &stream) {
        match event {
            Event::Header { header: h, .. } => header = Some(h),
            Event::BodyPiece { bytes, .. } => received.extend_from_slice(bytes),
            _ => {}
        }
    }
    assert_eq!(decoder.finish(), Ok(()));
    assert_eq!(received, body);
    header.expect("a header event")
}

#[test]
fn every_request_serializes_to_its_documented_json() {
    for (request, expected) in requests() {
        assert_eq!(serde_json::to_value(&request).unwrap(), expected);
    }
}

#[test]
fn every_reply_serializes_to_its_documented_json() {
    for (reply, expected) in replies() {
        assert_eq!(serde_json::to_value(&reply).unwrap(), expected);
    }
}

#[test]
fn every_request_round_trips_through_encoder_and_decoder() {
    for (request, _) in requests() {
        let header = through_the_wire(&request);
        assert_eq!(Request::from_header(&header), Ok(request));
    }
}

#[test]
fn every_reply_round_trips_through_encoder_and_decoder() {
    for (reply, _) in replies() {
        let header = through_the_wire(&reply);
        assert_eq!(Reply::from_header(&header), Ok(reply));
    }
}

/// The body length the default encoder finds in a message's header.
fn declared_body_len<T: serde::Serialize>(message: &T) -> u64 {
    Encoder::default()
        .encode_head(message, &mut Vec::new())
        .unwrap()
}

#[test]
fn only_messages_with_a_size_carry_a_body() {
    for (request, _) in requests() {
        let expected = match request {
            Request::PutData { size } | Request::Echo { size } => size,
            _ => 0,
        };
        assert_eq!(declared_body_len(&request), expected, "{request:?}");
    }
    for (reply, _) in replies() {
        let expected = match reply {
            Reply::File { size, .. } | Reply::Output { size, .. } | Reply::Echo { size } => size,
            _ => 0,
        };
        assert_eq!(declared_body_len(&reply), expected, "{reply:?}");
    }
}

#[test]
fn optional_request_fields_take_their_defaults() {
    let cases = [
        (
            json!({"op": "hello"}),
            Request::Hello {
                token: None,
                client: String::new(),
            },
        ),
        (
            json!({"op": "put", "name": "a", "total": 1}),
            Request::Put {
                name: "a".into(),
                total: 1,
                resume: false,
                force: false,
            },
        ),
        (
            json!({"op": "get", "name": "a"}),
            Request::Get {
                name: "a".into(),
                offset: 0,
            },
        ),
    ];
    for (header, expected) in cases {
        assert_eq!(Request::from_header(&object(header)), Ok(expected));
    }
}

#[test]
fn an_exit_without_code_or_signal_reads_as_neither() {
    assert_eq!(
        Reply::from_header(&object(json!({"op": "exit"}))),
        Ok(Reply::Exit {
            code: None,
            signal: None
        })
    );
}

#[test]
fn unknown_fields_are_ignored() {
    assert_eq!(
        Request::from_header(&object(json!({"op": "list", "since": 3}))),
        Ok(Request::List)
    );
}

#[test]
fn an_unknown_op_is_an_error() {
    assert_eq!(
        Request::from_header(&object(json!({"op": "dance"}))),
        Err(MessageError::UnknownOp("dance".into()))
    );
    assert_eq!(
        Reply::from_header(&object(json!({"op": "dance"}))),
        Err(MessageError::UnknownOp("dance".into()))
    );
}

#[test]
fn a_reply_op_is_not_a_request_and_a_request_op_is_not_a_reply() {
    assert_eq!(
        Request::from_header(&object(json!({"op": "welcome", "server": "s"}))),
        Err(MessageError::UnknownOp("welcome".into()))
    );
    assert_eq!(
        Reply::from_header(&object(json!({"op": "put_end", "md5": ""}))),
        Err(MessageError::UnknownOp("put_end".into()))
    );
}

#[test]
fn echo_is_both_a_request_and_a_reply() {
    let header = object(json!({"op": "echo", "size": 2}));
    assert_eq!(Request::from_header(&header), Ok(Request::Echo { size: 2 }));
    assert_eq!(Reply::from_header(&header), Ok(Reply::Echo { size: 2 }));
}

#[test]
fn a_missing_op_is_an_error() {
    assert_eq!(
        Request::from_header(&object(json!({"name": "a"}))),
        Err(MessageError::MissingOp)
    );
    assert_eq!(
        Reply::from_header(&object(json!({}))),
        Err(MessageError::MissingOp)
    );
}

#[test]
fn an_op_that_is_not_a_string_is_a_bad_field() {
    assert!(matches!(
        Request::from_header(&object(json!({"op": 5}))),
        Err(MessageError::BadFields { op, .. }) if op == "5"
    ));
}

#[test]
fn fields_that_do_not_fit_the_op_are_bad_fields() {
    let cases = [
        (json!({"op": "put", "name": "a"}), "put", "total"),
        (json!({"op": "get", "name": 5}), "get", "string"),
        (json!({"op": "put", "name": "a", "total": -1}), "put", "-1"),
        (json!({"op": "exec", "argv": "ls -l"}), "exec", "sequence"),
    ];
    for (header, op, hint) in cases {
        match Request::from_header(&object(header.clone())) {
            Err(MessageError::BadFields { op: got, message }) => {
                assert_eq!(got, op);
                assert!(message.contains(hint), "{header}: {message}");
            }
            other => panic!("{header}: expected bad fields, got {other:?}"),
        }
    }
    assert!(matches!(
        Reply::from_header(&object(
            json!({"op": "output", "stream": "stdin", "size": 1})
        )),
        Err(MessageError::BadFields { .. })
    ));
}

#[test]
fn message_errors_explain_themselves() {
    assert_eq!(
        MessageError::MissingOp.to_string(),
        "header has no \"op\" field"
    );
    assert_eq!(
        MessageError::UnknownOp("dance".into()).to_string(),
        "unknown op \"dance\""
    );
    assert_eq!(
        MessageError::BadFields {
            op: "put".into(),
            message: "missing field `size`".into()
        }
        .to_string(),
        "bad \"put\" message: missing field `size`"
    );
}

#[test]
fn error_codes_are_stable_snake_case_strings() {
    let codes = [
        (ErrorCode::BadFrame, "bad_frame"),
        (ErrorCode::BadRequest, "bad_request"),
        (ErrorCode::UnknownOp, "unknown_op"),
        (ErrorCode::Unauthorized, "unauthorized"),
        (ErrorCode::BadName, "bad_name"),
        (ErrorCode::NotFound, "not_found"),
        (ErrorCode::Exists, "exists"),
        (ErrorCode::InUse, "in_use"),
        (ErrorCode::TooLarge, "too_large"),
        (ErrorCode::Md5Mismatch, "md5_mismatch"),
        (ErrorCode::OffsetMismatch, "offset_mismatch"),
        (ErrorCode::ExecDenied, "exec_denied"),
        (ErrorCode::Timeout, "timeout"),
        (ErrorCode::OutputLimit, "output_limit"),
        (ErrorCode::IdleTimeout, "idle_timeout"),
        (ErrorCode::Busy, "busy"),
        (ErrorCode::TooSlow, "too_slow"),
        (ErrorCode::NoSpace, "no_space"),
        (ErrorCode::StoreUnavailable, "store_unavailable"),
        (ErrorCode::Internal, "internal"),
    ];
    for (code, name) in codes {
        assert_eq!(serde_json::to_value(code).unwrap(), json!(name));
        assert_eq!(
            serde_json::from_value::<ErrorCode>(json!(name)).unwrap(),
            code
        );
    }
}

#[test]
fn output_streams_are_named_stdout_and_stderr() {
    assert_eq!(
        serde_json::to_value(OutputStream::Stdout).unwrap(),
        json!("stdout")
    );
    assert_eq!(
        serde_json::to_value(OutputStream::Stderr).unwrap(),
        json!("stderr")
    );
}

#[test]
fn reply_error_builds_an_error_reply() {
    assert_eq!(
        Reply::error(ErrorCode::Busy, String::from("try later")),
        Reply::Error {
            code: ErrorCode::Busy,
            message: "try later".into()
        }
    );
}

// --- MD5 ---

#[test]
fn md5_hex_matches_known_digests() {
    assert_eq!(md5_hex(b""), "d41d8cd98f00b204e9800998ecf8427e");
    assert_eq!(md5_hex(b"hello"), "5d41402abc4b2a76b9719d911017c592");
    assert_eq!(
        md5_hex(b"The quick brown fox jumps over the lazy dog"),
        "9e107d9d372bb6826bd81d3542a419d6"
    );
}

#[test]
fn a_body_digest_of_nothing_is_the_md5_of_nothing() {
    let digest = BodyDigest::new();
    assert!(digest.is_empty());
    assert_eq!(digest.len(), 0);
    assert_eq!(digest.finish_hex(), "d41d8cd98f00b204e9800998ecf8427e");
}

#[test]
fn a_body_digest_counts_the_bytes_that_went_in() {
    let mut digest = BodyDigest::new();
    digest.update(b"hel");
    digest.update(b"");
    digest.update(b"lo");
    assert_eq!(digest.len(), 5);
    assert!(!digest.is_empty());
    assert_eq!(digest.finish_hex(), "5d41402abc4b2a76b9719d911017c592");
}

proptest! {
    #[test]
    fn a_body_digest_equals_md5_hex_for_any_split_of_the_input(
        bytes in proptest::collection::vec(any::<u8>(), 0..2000),
        lengths in proptest::collection::vec(0usize..300, 0..12),
    ) {
        let mut digest = BodyDigest::new();
        for piece in split_by_lengths(&bytes, &lengths) {
            digest.update(piece);
        }
        prop_assert_eq!(digest.len(), bytes.len() as u64);
        prop_assert_eq!(digest.finish_hex(), md5_hex(&bytes));
    }
}

#[test]
fn chat_names_are_short_and_visible() {
    use seam_core::messages::chat_name_problem;
    for good in ["alice", "Bob_2", "r.k-9", "zoë", "名前", &"x".repeat(32)] {
        assert_eq!(chat_name_problem(good), None, "{good:?}");
    }
    for bad in [
        "",
        "two words",
        "tab\there",
        "nul\0",
        " alice",
        "a/b",
        &"x".repeat(33),
    ] {
        assert!(chat_name_problem(bad).is_some(), "{bad:?}");
    }
}

#[test]
fn chat_lines_refuse_control_characters_and_overlong_text() {
    use seam_core::messages::{chat_text_problem, clean_text, MAX_CHAT_TEXT_BYTES};
    assert_eq!(chat_text_problem("hello\tworld ünïcode"), None);
    assert_eq!(chat_text_problem(&"a".repeat(MAX_CHAT_TEXT_BYTES)), None);
    assert!(chat_text_problem(&"a".repeat(MAX_CHAT_TEXT_BYTES + 1)).is_some());
    assert!(chat_text_problem("clear\u{1b}[2J").is_some());
    assert!(chat_text_problem("two\nlines").is_some());
    assert_eq!(clean_text("a\u{1b}[2Jb\tc\r"), "a\u{fffd}[2Jb\tc\u{fffd}");
    assert!(matches!(
        clean_text("plain"),
        std::borrow::Cow::Borrowed("plain")
    ));
}

mod udp_echo {
    use seam_core::messages::{answer_echo_datagram, Reply};
    use seam_core::{decode_datagram, Encoder, Framing};
    use serde_json::json;

    #[test]
    fn an_echo_datagram_comes_back_whole_and_no_longer() {
        let encoder = Encoder::default();
        let request = encoder
            .frame(&json!({"op": "echo", "size": 5}), b"hello")
            .unwrap();
        let answer = answer_echo_datagram(&encoder, &request);
        assert_eq!(answer.problem, None);
        let reply = answer.reply.unwrap();
        assert!(reply.len() <= request.len());
        let decoded = decode_datagram(&Framing::default(), &reply).unwrap();
        assert_eq!(
            Reply::from_header(&decoded.header).unwrap(),
            Reply::Echo { size: 5 }
        );
        assert_eq!(decoded.body, b"hello");
    }

    #[test]
    fn no_answer_is_ever_longer_than_its_request() {
        let encoder = Encoder::default();
        let mut datagrams: Vec<Vec<u8>> = vec![
            vec![],
            vec![1],
            b"\x02\x00\x00\x00{}".to_vec(),
            b"\x05\x00\x00\x00{\"op\"".to_vec(),
            encoder.frame(&json!({"op": "list"}), &[]).unwrap(),
            encoder.frame(&json!({"op": "nope"}), &[]).unwrap(),
            encoder
                .frame(&json!({"op": "echo", "size": 3, "id": 7}), b"abc")
                .unwrap(),
            encoder
                .frame(
                    &json!({"op": "delete", "name": "a-rather-long-name-to-leave-room-for-an-error"}),
                    &[],
                )
                .unwrap(),
        ];
        // An echo frame with a byte missing, or one too many.
        let whole = encoder
            .frame(&json!({"op": "echo", "size": 4}), b"abcd")
            .unwrap();
        datagrams.push(whole[..whole.len() - 1].to_vec());
        datagrams.push([&whole[..], b"!"].concat());
        for datagram in &datagrams {
            let answer = answer_echo_datagram(&encoder, datagram);
            if let Some(reply) = &answer.reply {
                assert!(reply.len() <= datagram.len(), "{datagram:?} -> {reply:?}");
            }
        }
        // Short bad datagrams get no reply at all; a long enough one gets an error frame.
        assert_eq!(answer_echo_datagram(&encoder, &datagrams[1]).reply, None);
        let long = answer_echo_datagram(&encoder, &datagrams[7]);
        let reply = long.reply.expect("room for an error frame");
        let decoded = decode_datagram(&Framing::default(), &reply).unwrap();
        assert_eq!(decoded.header["op"], "error");
        assert_eq!(decoded.header["code"], "bad_request");
        assert!(long.problem.is_some());
    }
}

#[test]
fn the_quick_reading_of_echo_and_chat_agrees_with_serde() {
    let headers = [
        json!({"op": "echo", "size": 5}),
        json!({"op": "echo", "size": 0, "extra": [1]}),
        json!({"op": "echo", "size": -1}),
        json!({"op": "echo", "size": 1.5}),
        json!({"op": "echo", "size": "5"}),
        json!({"op": "echo"}),
        json!({"op": "chat", "text": "hi"}),
        json!({"op": "chat", "text": 5}),
        json!({"op": "chat", "text": "hi", "size": 3}),
        json!({"op": "chat"}),
    ];
    for header in headers {
        let Value::Object(map) = header.clone() else {
            unreachable!()
        };
        let quick = Request::from_header(&map).map_err(|e| e.to_string());
        let serde = serde_json::from_value::<Request>(header.clone()).map_err(|e| {
            MessageError::BadFields {
                op: header["op"].as_str().unwrap().into(),
                message: e.to_string(),
            }
            .to_string()
        });
        assert_eq!(quick, serde, "{header}");
    }
}

/// The variant names serde lists when it meets an unknown `op` for `T`.
fn serde_ops<T: serde::de::DeserializeOwned + std::fmt::Debug>() -> String {
    let error = serde_json::from_value::<T>(json!({"op": "no_such_op"})).unwrap_err();
    error.to_string()
}

#[test]
fn op_names_are_the_serde_tags_of_their_messages() {
    for (request, json) in requests() {
        assert_eq!(request.op().as_str(), json["op"], "{request:?}");
    }
    for (reply, json) in replies() {
        assert_eq!(reply.op().as_str(), json["op"], "{reply:?}");
    }
    let listed = |names: &[&str]| {
        names
            .iter()
            .map(|n| format!("`{n}`"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    assert!(
        serde_ops::<Request>().contains(&listed(RequestOp::VARIANTS)),
        "{}",
        serde_ops::<Request>()
    );
    assert!(
        serde_ops::<Reply>().contains(&listed(ReplyOp::VARIANTS)),
        "{}",
        serde_ops::<Reply>()
    );
}

#[test]
fn an_error_code_is_named_as_serde_writes_it() {
    for &code in ErrorCode::VARIANTS {
        assert_eq!(serde_json::to_value(code).unwrap(), json!(code.as_str()));
    }
    assert_eq!(ErrorCode::Md5Mismatch.as_str(), "md5_mismatch");
}

#[test]
fn an_unknown_op_is_unknown_op_and_other_bad_messages_bad_request() {
    let code = |header: Value| ErrorCode::from(&Request::from_header(&object(header)).unwrap_err());
    assert_eq!(code(json!({"op": "fly"})), ErrorCode::UnknownOp);
    assert_eq!(code(json!({"op": "welcome"})), ErrorCode::UnknownOp);
    assert_eq!(code(json!({"op": "get"})), ErrorCode::BadRequest);
    assert_eq!(code(json!({"name": "x"})), ErrorCode::BadRequest);
    assert_eq!(code(json!({"op": 7})), ErrorCode::BadRequest);
}
