use super::*;

/// A reply event with its output owned, adjacent outputs merged.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Step {
    Length(u64),
    Announced(u64),
    Output(Vec<u8>),
    BodyReceived,
    Verdict(bool),
    End,
}

fn record(steps: &mut Vec<Step>, event: ReplyEvent<'_>) {
    match event {
        ReplyEvent::Output(bytes) => match steps.last_mut() {
            Some(Step::Output(out)) => out.extend_from_slice(bytes),
            _ => steps.push(Step::Output(bytes.to_vec())),
        },
        ReplyEvent::Length { len } => steps.push(Step::Length(len)),
        ReplyEvent::Announced { len } => steps.push(Step::Announced(len)),
        ReplyEvent::BodyReceived => steps.push(Step::BodyReceived),
        ReplyEvent::Md5Verdict { matched } => steps.push(Step::Verdict(matched)),
        ReplyEvent::End => steps.push(Step::End),
    }
}

/// Feeds each phase (what arrives before a pause) in the given chunks, settling after
/// each phase as the I/O does when the line goes quiet, then ends the stream.
fn read(mut reader: ReplyReader, phases: &[Vec<&[u8]>]) -> Result<Vec<Step>, ReplyError> {
    let mut steps = Vec::new();
    for chunks in phases {
        for chunk in chunks {
            let mut input = *chunk;
            while let Some(event) = reader.poll(&mut input)? {
                record(&mut steps, event);
            }
            assert!(input.is_empty() || reader.is_done());
        }
        if let Some(event) = reader.settle()? {
            record(&mut steps, event);
        }
        let mut empty: &[u8] = &[];
        while let Some(event) = reader.poll(&mut empty)? {
            record(&mut steps, event);
        }
    }
    reader.finish()?;
    Ok(steps)
}

/// Every way of cutting each phase in two, and one byte at a time, reads the same.
fn same_for_every_split(make: impl Fn() -> ReplyReader, phases: &[&[u8]], want: &[Step]) {
    let whole: Vec<Vec<&[u8]>> = phases.iter().map(|p| vec![*p]).collect();
    assert_eq!(read(make(), &whole).as_deref(), Ok(want));
    for (index, phase) in phases.iter().enumerate() {
        for cut in 0..=phase.len() {
            let mut cut_phases = whole.clone();
            cut_phases[index] = vec![&phase[..cut], &phase[cut..]];
            assert_eq!(
                read(make(), &cut_phases).as_deref(),
                Ok(want),
                "cut at {cut}"
            );
        }
    }
    let bytes: Vec<Vec<&[u8]>> = phases.iter().map(|p| p.chunks(1).collect()).collect();
    assert_eq!(read(make(), &bytes).as_deref(), Ok(want));
}

fn framed(json: &str, body: &[u8]) -> Vec<u8> {
    let mut out = (json.len() as i32).to_le_bytes().to_vec();
    out.extend_from_slice(json.as_bytes());
    out.extend_from_slice(body);
    out
}

#[test]
fn ftp_head_is_the_seed_clients_bytes() {
    let head = upload_head(Dialect::Ftp, "a.txt", 12).unwrap();
    assert_eq!(
        head,
        framed(
            r#"{"cmd": "put", "filename": "a.txt", "filesize": 12}"#,
            b""
        )
    );
}

#[test]
fn upload_md5_head_is_the_seed_clients_bytes() {
    let head = upload_head(Dialect::UploadMd5, "b.bin", 0).unwrap();
    assert_eq!(
        head,
        framed(
            r#"{"action": "put", "filename": "b.bin", "filesize": 0}"#,
            b""
        )
    );
}

#[test]
fn movie_head_puts_size_first_as_the_seed_does() {
    let head = upload_head(Dialect::Movie, "m.mp4", 1_000_000).unwrap();
    assert_eq!(
        head,
        framed(r#"{"size": 1000000, "filename": "m.mp4"}"#, b"")
    );
}

#[test]
fn a_non_ascii_name_is_escaped_as_json_dumps_does() {
    let head = upload_head(Dialect::Ftp, "電影.txt", 1).unwrap();
    assert_eq!(
        head,
        framed(
            r#"{"cmd": "put", "filename": "\u96fb\u5f71.txt", "filesize": 1}"#,
            b""
        )
    );
}

#[test]
fn an_upload_head_refuses_a_dialect_that_does_not_upload() {
    let error = upload_head(Dialect::Cmd, "a", 1).unwrap_err();
    assert!(error.to_string().contains("ftp, movie and upload-md5"));
}

#[test]
fn a_command_is_its_bare_text() {
    assert_eq!(
        command_request(Dialect::CmdReady, "ls -l").unwrap(),
        b"ls -l"
    );
}

#[test]
fn a_command_longer_than_one_recv_is_refused() {
    let long = "x".repeat(MAX_COMMAND_LEN + 1);
    assert!(matches!(
        command_request(Dialect::Cmd, &long),
        Err(RequestError::TooLong { .. })
    ));
}

#[test]
fn an_empty_message_is_refused() {
    assert_eq!(command_request(Dialect::Cmd, ""), Err(RequestError::Empty));
    assert_eq!(echo_request(Dialect::Echo, b""), Err(RequestError::Empty));
}

#[test]
fn an_echo_request_refuses_a_command_dialect() {
    assert!(matches!(
        echo_request(Dialect::CmdLen, b"hi"),
        Err(RequestError::WrongDialect { .. })
    ));
}

#[test]
fn upper_casing_touches_ascii_letters_only() {
    assert_eq!(
        expected_echo(Dialect::EchoUpper, "abc é 1".as_bytes()),
        "ABC é 1".as_bytes()
    );
    assert_eq!(expected_echo(Dialect::Echo, b"abc"), b"abc");
}

#[test]
fn an_md5_message_is_32_lower_case_hex_digits() {
    let md5 = "d41d8cd98f00b204e9800998ecf8427e";
    assert_eq!(md5_message(md5).unwrap(), md5.as_bytes());
    assert!(md5_message("D41D8CD98F00B204E9800998ECF8427E").is_err());
    assert!(md5_message("d41d").is_err());
}

#[test]
fn an_echo_reply_reads_the_same_for_every_split() {
    same_for_every_split(
        || ReplyReader::echo(5),
        &[b"HELLO"],
        &[Step::Output(b"HELLO".to_vec()), Step::End],
    );
}

#[test]
fn a_cmd_reply_reads_the_same_for_every_split() {
    let reply = framed(r#"{"data_size": 3}"#, b"a\nb");
    same_for_every_split(
        || ReplyReader::command(Dialect::Cmd).unwrap(),
        &[&reply],
        &[Step::Length(3), Step::Output(b"a\nb".to_vec()), Step::End],
    );
}

#[test]
fn a_cmd_len_reply_reads_the_same_for_every_split() {
    let reply = framed(r#"{"filename": "cls.txt", "len": 2}"#, b"ok");
    same_for_every_split(
        || ReplyReader::command(Dialect::CmdLen).unwrap(),
        &[&reply],
        &[Step::Length(2), Step::Output(b"ok".to_vec()), Step::End],
    );
}

#[test]
fn a_cmd_struct_reply_reads_the_same_for_every_split() {
    let mut reply = 4i32.to_le_bytes().to_vec();
    reply.extend_from_slice(b"done");
    same_for_every_split(
        || ReplyReader::command(Dialect::CmdStruct).unwrap(),
        &[&reply],
        &[Step::Length(4), Step::Output(b"done".to_vec()), Step::End],
    );
}

#[test]
fn a_cmd_ready_reply_reads_the_same_for_every_split() {
    same_for_every_split(
        || ReplyReader::command(Dialect::CmdReady).unwrap(),
        &[b"12", b"hello world\n"],
        &[
            Step::Announced(12),
            Step::Output(b"hello world\n".to_vec()),
            Step::End,
        ],
    );
}

#[test]
fn an_empty_output_ends_the_reply_at_once() {
    let reply = framed(r#"{"data_size": 0}"#, b"");
    same_for_every_split(
        || ReplyReader::command(Dialect::Cmd).unwrap(),
        &[&reply],
        &[Step::Length(0), Step::End],
    );
    same_for_every_split(
        || ReplyReader::command(Dialect::CmdReady).unwrap(),
        &[b"0"],
        &[Step::Announced(0), Step::End],
    );
}

#[test]
fn an_md5_match_reads_the_same_for_every_split() {
    same_for_every_split(
        ReplyReader::upload_md5,
        &[b"200", b"100"],
        &[Step::BodyReceived, Step::Verdict(true), Step::End],
    );
}

#[test]
fn an_md5_mismatch_reads_the_same_for_every_split() {
    same_for_every_split(
        ReplyReader::upload_md5,
        &[b"200", b"10000"],
        &[Step::BodyReceived, Step::Verdict(false), Step::End],
    );
}

#[test]
fn a_100_is_not_final_until_the_line_is_quiet() {
    let mut reader = ReplyReader::upload_md5();
    let mut input: &[u8] = b"200100";
    assert_eq!(reader.poll(&mut input), Ok(Some(ReplyEvent::BodyReceived)));
    assert_eq!(reader.poll(&mut input), Ok(None));
    assert!(reader.needs_settle());
    let mut more: &[u8] = b"00";
    assert_eq!(
        reader.poll(&mut more),
        Ok(Some(ReplyEvent::Md5Verdict { matched: false }))
    );
}

#[test]
fn bytes_after_a_reply_are_left_for_the_next_one() {
    let mut two = framed(r#"{"data_size": 1}"#, b"a");
    two.extend_from_slice(&framed(r#"{"data_size": 1}"#, b"b"));
    let mut input: &[u8] = &two;
    for want in [b"a", b"b"] {
        let mut reader = ReplyReader::command(Dialect::Cmd).unwrap();
        let mut steps = Vec::new();
        while let Some(event) = reader.poll(&mut input).unwrap() {
            record(&mut steps, event);
        }
        assert_eq!(
            steps,
            [Step::Length(1), Step::Output(want.to_vec()), Step::End]
        );
    }
    assert!(input.is_empty());
}

#[test]
fn a_header_without_the_dialects_field_is_refused() {
    let reply = framed(r#"{"len": 1}"#, b"a");
    let error = read(ReplyReader::command(Dialect::Cmd).unwrap(), &[vec![&reply]]).unwrap_err();
    assert!(matches!(
        error,
        ReplyError::MissingField {
            field: "data_size",
            ..
        }
    ));
}

#[test]
fn a_negative_struct_length_is_refused() {
    let reply = (-1i32).to_le_bytes();
    let error = read(
        ReplyReader::command(Dialect::CmdStruct).unwrap(),
        &[vec![&reply]],
    )
    .unwrap_err();
    assert_eq!(
        error,
        ReplyError::NegativeLength {
            offset: 0,
            value: -1
        }
    );
}

#[test]
fn a_wrong_answer_to_an_upload_names_what_was_expected() {
    let error = read(ReplyReader::upload_md5(), &[vec![b"500"]]).unwrap_err();
    assert_eq!(
        error,
        ReplyError::Unexpected {
            expected: "200",
            got: "5".into(),
            offset: 0
        }
    );
}

#[test]
fn a_length_that_is_not_digits_is_refused() {
    let error = read(
        ReplyReader::command(Dialect::CmdReady).unwrap(),
        &[vec![b"12x"]],
    )
    .unwrap_err();
    assert!(matches!(error, ReplyError::Unexpected { offset: 2, .. }));
}

#[test]
fn a_reply_cut_short_says_what_was_missing() {
    let reply = framed(r#"{"data_size": 5}"#, b"ab");
    let error = read(ReplyReader::command(Dialect::Cmd).unwrap(), &[vec![&reply]]).unwrap_err();
    let ReplyError::Truncated { offset, waiting } = error else {
        panic!("not a truncation: {error:?}");
    };
    assert_eq!(offset, reply.len() as u64);
    assert!(waiting.contains("3 more bytes"), "{waiting}");
}

#[test]
fn a_100_followed_by_the_next_uploads_200_is_final() {
    let stream: &[u8] = b"200100200";
    for cut in 0..=stream.len() {
        let mut reader = ReplyReader::upload_md5();
        let mut steps = Vec::new();
        let mut rest = Vec::new();
        for chunk in [&stream[..cut], &stream[cut..]] {
            let mut input = chunk;
            while let Some(event) = reader.poll(&mut input).unwrap() {
                record(&mut steps, event);
            }
            rest.extend_from_slice(input);
        }
        assert_eq!(
            steps,
            [Step::BodyReceived, Step::Verdict(true), Step::End],
            "cut at {cut}"
        );
        assert_eq!(rest, b"200", "cut at {cut}");
    }
}
