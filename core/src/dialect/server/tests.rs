use super::*;
use crate::md5_hex;

/// Every way of cutting `bytes` into two or three pieces, and one byte at a time.
fn cuts(bytes: &[u8]) -> Vec<Vec<&[u8]>> {
    let n = bytes.len();
    let mut all = vec![vec![bytes], bytes.chunks(1).collect()];
    for i in 0..=n {
        all.push(vec![&bytes[..i], &bytes[i..]]);
        if n <= 80 {
            for j in i..=n {
                all.push(vec![&bytes[..i], &bytes[i..j], &bytes[j..]]);
            }
        }
    }
    all
}

/// Python's `struct.pack('i', len(h)) + h` for a JSON text `h`.
fn framed(json: &str) -> Vec<u8> {
    let mut out = (json.len() as i32).to_le_bytes().to_vec();
    out.extend_from_slice(json.as_bytes());
    out
}

/// What an upload conversation yields, with body pieces merged, for comparison.
#[derive(Debug, PartialEq, Eq)]
enum Seen {
    Header(Result<UploadRequest, UploadHeaderError>),
    Body(Vec<u8>),
    BodyEnd,
    Md5(String),
    Failed(UploadError),
    Finished(Result<(), UploadError>),
}

fn run_upload(dialect: Dialect, pieces: &[&[u8]], refuse: &[&str]) -> Vec<Seen> {
    let mut server = UploadServer::new(dialect, 1 << 20).unwrap();
    let mut seen = Vec::new();
    for piece in pieces {
        let mut input = *piece;
        loop {
            match server.poll(&mut input) {
                Ok(None) => break,
                Ok(Some(UploadEvent::Body(bytes))) => match seen.last_mut() {
                    Some(Seen::Body(body)) => body.extend_from_slice(bytes),
                    _ => seen.push(Seen::Body(bytes.to_vec())),
                },
                Ok(Some(UploadEvent::Header(request))) => {
                    if let Ok(request) = &request {
                        if refuse.contains(&request.name.as_str()) {
                            server.refuse();
                        }
                    }
                    seen.push(Seen::Header(request));
                }
                Ok(Some(UploadEvent::BodyEnd)) => seen.push(Seen::BodyEnd),
                Ok(Some(UploadEvent::Md5(md5))) => seen.push(Seen::Md5(md5)),
                Err(error) => {
                    seen.push(Seen::Failed(error));
                    return seen;
                }
            }
        }
    }
    seen.push(Seen::Finished(server.finish()));
    seen
}

fn assert_same_for_every_cut(dialect: Dialect, stream: &[u8], refuse: &[&str]) -> Vec<Seen> {
    let whole = run_upload(dialect, &[stream], refuse);
    for pieces in cuts(stream) {
        assert_eq!(
            run_upload(dialect, &pieces, refuse),
            whole,
            "cut {:?}",
            pieces.iter().map(|p| p.len()).collect::<Vec<_>>()
        );
    }
    whole
}

fn request(name: &str, size: u64) -> Seen {
    Seen::Header(Ok(UploadRequest {
        name: name.into(),
        size,
    }))
}

#[test]
fn ftp_reads_several_files_on_one_connection_however_cut() {
    let mut stream = framed(r#"{"cmd": "put", "filename": "a.txt", "filesize": 5}"#);
    stream.extend_from_slice(b"hello");
    stream.extend(framed(
        r#"{"cmd": "put", "filename": "b.txt", "filesize": 3}"#,
    ));
    stream.extend_from_slice(b"abc");
    let seen = assert_same_for_every_cut(Dialect::Ftp, &stream, &[]);
    assert_eq!(
        seen,
        vec![
            request("a.txt", 5),
            Seen::Body(b"hello".to_vec()),
            Seen::BodyEnd,
            request("b.txt", 3),
            Seen::Body(b"abc".to_vec()),
            Seen::BodyEnd,
            Seen::Finished(Ok(())),
        ]
    );
}

#[test]
fn movie_reads_size_and_filename_however_cut() {
    let mut stream = framed(r#"{"size": 4, "filename": "m.mp4"}"#);
    stream.extend_from_slice(b"\0\x01\x02\x03");
    let seen = assert_same_for_every_cut(Dialect::Movie, &stream, &[]);
    assert_eq!(seen[0], request("m.mp4", 4));
    assert_eq!(seen[1], Seen::Body(vec![0, 1, 2, 3]));
}

#[test]
fn upload_md5_reads_body_then_exactly_32_digits_then_the_next_upload() {
    let md5 = md5_hex(b"hello").to_uppercase();
    let mut stream = framed(r#"{"action": "put", "filename": "a.txt", "filesize": 5}"#);
    stream.extend_from_slice(b"hello");
    stream.extend_from_slice(md5.as_bytes());
    stream.extend(framed(
        r#"{"action": "put", "filename": "b.txt", "filesize": 0}"#,
    ));
    let seen = assert_same_for_every_cut(Dialect::UploadMd5, &stream, &[]);
    assert_eq!(
        seen,
        vec![
            request("a.txt", 5),
            Seen::Body(b"hello".to_vec()),
            Seen::BodyEnd,
            Seen::Md5(md5_hex(b"hello")),
            request("b.txt", 0),
            Seen::BodyEnd,
            Seen::Finished(Err(UploadError::NoMd5 { have: 0 })),
        ]
    );
}

#[test]
fn upload_md5_expects_no_md5_after_a_refused_upload() {
    let mut stream = framed(r#"{"action": "put", "filename": "../x", "filesize": 2}"#);
    stream.extend_from_slice(b"hi");
    stream.extend(framed(
        r#"{"action": "put", "filename": "ok", "filesize": 1}"#,
    ));
    stream.extend_from_slice(b"!");
    let seen = assert_same_for_every_cut(Dialect::UploadMd5, &stream, &["../x"]);
    assert_eq!(seen[3], request("ok", 1));
}

#[test]
fn upload_md5_refuses_a_non_hex_digest() {
    let mut stream = framed(r#"{"action": "put", "filename": "a", "filesize": 1}"#);
    stream.extend_from_slice(b"x");
    stream.extend_from_slice(b"0123456789abcdefZ");
    let seen = assert_same_for_every_cut(Dialect::UploadMd5, &stream, &[]);
    assert_eq!(
        seen.last(),
        Some(&Seen::Failed(UploadError::BadMd5 { byte: b'Z', at: 16 }))
    );
}

#[test]
fn a_header_of_another_dialect_is_refused_and_its_body_skipped() {
    let mut stream = framed(r#"{"cmd": "get", "filename": "a", "filesize": 2}"#);
    stream.extend_from_slice(b"zz");
    stream.extend(framed(r#"{"cmd": "put", "filesize": 0}"#));
    let seen = assert_same_for_every_cut(Dialect::Ftp, &stream, &[]);
    assert!(matches!(
        seen[0],
        Seen::Header(Err(UploadHeaderError::NotPut { field: "cmd", .. }))
    ));
    assert_eq!(seen[1], Seen::Body(b"zz".to_vec()));
    assert!(matches!(
        seen[3],
        Seen::Header(Err(UploadHeaderError::Missing(_)))
    ));
}

#[test]
fn a_body_over_the_limit_is_a_decode_error() {
    let stream = framed(r#"{"cmd": "put", "filename": "a", "filesize": 99999999999}"#);
    let seen = run_upload(Dialect::Ftp, &[&stream], &[]);
    assert!(matches!(
        seen.last(),
        Some(Seen::Failed(UploadError::Decode(_)))
    ));
}

fn read_commands(pieces: &[&[u8]], quiet_at_end: bool) -> Vec<Result<String, CommandError>> {
    let mut reader = CommandReader::new();
    let mut out = Vec::new();
    for piece in pieces {
        let mut input = *piece;
        while !input.is_empty() {
            match reader.feed(&mut input) {
                Ok(Some(command)) => out.push(Ok(command)),
                Ok(None) => {}
                Err(error) => {
                    out.push(Err(error));
                    return out;
                }
            }
        }
    }
    if quiet_at_end {
        match reader.quiet() {
            Ok(Some(command)) => out.push(Ok(command)),
            Ok(None) => {}
            Err(error) => out.push(Err(error)),
        }
    }
    out
}

#[test]
fn a_command_ends_at_a_newline_however_cut() {
    let stream = b"ls -l\r\n\n  echo 'a b'\nwhoami";
    for pieces in cuts(stream) {
        assert_eq!(
            read_commands(&pieces, false),
            vec![Ok("ls -l".to_string()), Ok("echo 'a b'".to_string())]
        );
        assert_eq!(read_commands(&pieces, true).len(), 3);
    }
}

#[test]
fn a_command_without_newline_ends_when_the_client_goes_quiet() {
    for pieces in cuts("dir 电影".as_bytes()) {
        assert_eq!(
            read_commands(&pieces, true),
            vec![Ok("dir 电影".to_string())]
        );
    }
}

#[test]
fn a_command_that_is_not_utf8_or_too_long_is_refused() {
    assert_eq!(
        read_commands(&[b"ls \xff"], true),
        vec![Err(CommandError::NotUtf8)]
    );
    let long = vec![b'a'; MAX_COMMAND_LEN + 1];
    for pieces in [vec![&long[..]], vec![&long[..10], &long[10..]]] {
        assert_eq!(
            read_commands(&pieces, true),
            vec![Err(CommandError::TooLong)]
        );
    }
}

#[test]
fn a_command_splits_by_shell_word_rules_without_a_shell() {
    assert_eq!(
        command_argv(r#"ls -l "my dir" a\ b ;rm *"#).unwrap(),
        ["ls", "-l", "my dir", "a b", ";rm", "*"]
    );
    assert!(matches!(
        command_argv("echo 'open"),
        Err(CommandError::BadQuoting(_))
    ));
}

#[test]
fn command_reply_heads_are_the_tutorials_bytes() {
    // python3: struct.pack('i', len(h)) + h for h = json.dumps({'data_size': 12}).encode()
    assert_eq!(
        command_reply_head(Dialect::Cmd, 12).unwrap(),
        b"\x11\x00\x00\x00{\"data_size\": 12}"
    );
    assert_eq!(
        command_reply_head(Dialect::CmdLen, 5).unwrap(),
        b"!\x00\x00\x00{\"filename\": \"cls.txt\", \"len\": 5}"
    );
    assert_eq!(
        command_reply_head(Dialect::CmdStruct, 258).unwrap(),
        b"\x02\x01\x00\x00"
    );
    assert_eq!(
        command_reply_head(Dialect::CmdReady, 1024).unwrap(),
        b"1024"
    );
    assert_eq!(command_reply_head(Dialect::Ftp, 1), None);
    assert_eq!(
        command_reply_head(Dialect::CmdStruct, MAX_OUTPUT_LEN + 1),
        None
    );
}

#[test]
fn recv_ready_is_read_exactly_however_cut() {
    let stream = b"recv_readyls";
    for pieces in cuts(stream) {
        let mut reader = ReadyReader::new();
        let mut done = false;
        let mut rest = Vec::new();
        for piece in pieces {
            let mut input = piece;
            if !done {
                done = reader.feed(&mut input).unwrap();
            }
            rest.extend_from_slice(input);
        }
        assert!(done);
        assert_eq!(rest, b"ls");
    }
    let mut input = &b"recv_wait"[..];
    assert_eq!(
        ReadyReader::new().feed(&mut input),
        Err(NotReady { byte: b'w', at: 5 })
    );
}

#[test]
fn echo_replies_byte_for_byte_and_upper_cases_only_ascii() {
    assert_eq!(&*echo_reply(Dialect::Echo, b"hi \xc3\xa9"), b"hi \xc3\xa9");
    assert_eq!(
        &*echo_reply(Dialect::EchoUpper, b"hi \xc3\xa9"),
        b"HI \xc3\xa9"
    );
    let datagram = "héllo".as_bytes();
    let reply = datagram_reply(datagram);
    assert_eq!(reply, "HéLLO".as_bytes());
    assert_eq!(reply.len(), datagram.len());
}

#[test]
fn echo_upper_gives_the_same_bytes_however_cut() {
    let stream = "abc déf\n".as_bytes();
    for pieces in cuts(stream) {
        let out: Vec<u8> = pieces
            .iter()
            .flat_map(|p| echo_reply(Dialect::EchoUpper, p).into_owned())
            .collect();
        assert_eq!(out, "ABC DéF\n".as_bytes());
    }
}
