//! The trace format: JSON lines of base64 chunks, written and read back.

use seam_core::{parse_trace, trace_line, trace_streams, Direction, TraceError};

#[test]
fn a_written_trace_reads_back_chunk_for_chunk() {
    let mut text = trace_line(0, Direction::Out, 0.0, 0, b"\x05\x00\x00\x00");
    text += &trace_line(0, Direction::In, 0.25, 0, b"reply");
    text += &trace_line(0, Direction::Out, 0.5, 4, b"{\"a\":1}");
    let chunks = parse_trace(&text).expect("valid trace");
    assert_eq!(chunks.len(), 3);
    assert_eq!(chunks[0].bytes, b"\x05\x00\x00\x00");
    assert_eq!(
        (chunks[1].dir, chunks[1].t, chunks[1].offset),
        (Direction::In, 0.25, 0)
    );
    assert_eq!(chunks[2].bytes, b"{\"a\":1}");
}

#[test]
fn a_trace_line_is_one_json_object_with_base64_data() {
    let line = trace_line(0, Direction::In, 1.5, 0, b"hi");
    assert_eq!(
        line,
        "{\"conn\":0,\"dir\":\"in\",\"t\":1.5,\"offset\":0,\"data\":\"aGk=\"}\n"
    );
}

#[test]
fn a_gap_in_offsets_is_reported_with_its_line() {
    let mut text = trace_line(0, Direction::In, 0.0, 0, b"abc");
    text += &trace_line(0, Direction::In, 0.1, 5, b"def");
    assert_eq!(
        parse_trace(&text),
        Err(TraceError::Gap {
            line: 2,
            offset: 5,
            expected: 3
        })
    );
}

#[test]
fn bad_lines_are_reported_with_their_number() {
    let text = "\n{\"dir\":\"in\",\"t\":0,\"offset\":0,\"data\":\"!!\"}\n";
    match parse_trace(text) {
        Err(TraceError::BadLine { line: 2, message }) => assert!(message.contains("base64")),
        other => panic!("expected a bad line 2, got {other:?}"),
    }
    assert!(matches!(
        parse_trace("not json"),
        Err(TraceError::BadLine { line: 1, .. })
    ));
    assert!(matches!(
        parse_trace("{\"dir\":\"sideways\",\"t\":0,\"offset\":0,\"data\":\"\"}"),
        Err(TraceError::BadLine { line: 1, .. })
    ));
}

#[test]
fn each_connection_keeps_its_own_offsets() {
    let mut text = trace_line(1, Direction::In, 0.0, 0, b"abc");
    text += &trace_line(2, Direction::In, 0.1, 0, b"xy");
    text += &trace_line(1, Direction::In, 0.2, 3, b"d");
    let chunks = parse_trace(&text).expect("valid trace");
    assert_eq!(chunks.iter().map(|c| c.conn).collect::<Vec<_>>(), [1, 2, 1]);
}

#[test]
fn a_line_without_conn_belongs_to_connection_0() {
    let chunks =
        parse_trace("{\"dir\":\"out\",\"t\":0,\"offset\":0,\"data\":\"aGk=\"}").expect("valid");
    assert_eq!(
        (chunks[0].conn, chunks[0].bytes.as_slice()),
        (0, &b"hi"[..])
    );
}

/// A line whose data is `data`, read alone.
fn read_data(data: &str) -> Result<Vec<u8>, String> {
    let line = format!("{{\"dir\":\"in\",\"t\":0,\"offset\":0,\"data\":\"{data}\"}}");
    match parse_trace(&line) {
        Ok(mut chunks) => Ok(chunks.remove(0).bytes),
        Err(error) => Err(error.to_string()),
    }
}

#[test]
fn data_is_standard_base64_with_its_padding() {
    assert_eq!(read_data(""), Ok(vec![]));
    assert_eq!(read_data("AQ=="), Ok(vec![1]));
    assert_eq!(read_data("+/+/"), Ok(vec![0xfb, 0xff, 0xbf]));
    assert_eq!(read_data("aGk="), Ok(b"hi".to_vec()));
    for (data, message) in [
        ("aGk", "Invalid padding"),
        ("aGk==", "Invalid symbol 61, offset 3."),
        ("A", "Invalid input length: 1"),
        ("AB==", "Invalid last symbol 66, offset 1."),
        ("AAAA\\n", "Invalid symbol 10, offset 4."),
        ("AA=A", "Invalid symbol 61, offset 2."),
        ("-_", "Invalid symbol 45, offset 0."),
    ] {
        assert_eq!(
            read_data(data),
            Err(format!("trace line 1: data is not base64: {message}")),
            "{data}"
        );
    }
}

#[test]
fn any_bytes_read_back_from_their_trace_line() {
    let bytes: Vec<u8> = (0..=255).collect();
    for len in 0..64 {
        let line = trace_line(0, Direction::Out, 0.0, 0, &bytes[len..len * 3]);
        let chunks = parse_trace(&line).expect("a written line reads back");
        assert_eq!(chunks[0].bytes, &bytes[len..len * 3], "{len} bytes");
    }
}

#[test]
fn a_trace_splits_into_one_stream_per_connection_and_direction() {
    let text = [
        trace_line(1, Direction::Out, 0.5, 0, b"ab"),
        trace_line(1, Direction::In, 0.6, 0, b"x"),
        trace_line(0, Direction::In, 0.7, 0, b"q"),
        trace_line(1, Direction::Out, 0.8, 2, b"cde"),
    ]
    .concat();
    let streams = trace_streams(&parse_trace(&text).unwrap());
    let keys: Vec<_> = streams.iter().map(|s| (s.conn, s.dir)).collect();
    assert_eq!(
        keys,
        [(0, Direction::In), (1, Direction::In), (1, Direction::Out)]
    );
    assert_eq!(streams[2].bytes, b"abcde");
    assert_eq!(streams[2].chunk_lengths, vec![2, 3]);
    assert_eq!(streams[2].times, vec![0.5, 0.8]);
}
