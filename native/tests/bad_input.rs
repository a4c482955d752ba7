//! The catalogue of bad input: every way a client can break the framing or the protocol,
//! the exact error code the server answers with, whether the connection closes (framing
//! errors: a length-prefixed stream cannot be resynchronised) or goes on (request errors:
//! the next request on the same connection is served), and that the same server then still
//! serves a normal upload from another client.

use std::net::Shutdown;
use std::path::Path;
use std::time::{Duration, Instant};

use crate::common::table::{check_every_case, Case};
use crate::common::{assert_server_still_serves, entries, error_code, RawClient, Server};
use seam_core::messages::Reply;
use seam_core::names::partial_name;
use seam_core::test_support::raw_frame;
use seam_core::{md5_hex, Encoder, Header};
use serde_json::json;
use serial_test::parallel;

// ---------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------

/// Reads the next reply and checks it is an error with `code`.
fn assert_refused(client: &mut RawClient, code: &str, what: &str) {
    assert_refused_reply(client.reply(), code, what);
}

/// Checks that a reply is an error with `code`.
fn assert_refused_reply(reply: Option<Reply>, code: &str, what: &str) {
    assert_eq!(error_code(&reply), code, "{what}: {reply:?}");
}

/// Sends one frame and checks the reply is an error with `code`.
fn assert_frame_refused(
    client: &mut RawClient,
    header: &serde_json::Value,
    body: &[u8],
    code: &str,
    what: &str,
) {
    client.send_frame(header, body);
    assert_refused(client, code, what);
}

/// Sends a `delete` of `name` and checks the reply is an error with `code`.
fn assert_delete_refused(client: &mut RawClient, name: &str, code: &str, what: &str) {
    assert_frame_refused(
        client,
        &json!({"op": "delete", "name": name}),
        b"",
        code,
        what,
    );
}

/// Reads the next reply, checks it is an error with `code`, and that the server then
/// closes the connection.
fn assert_refused_and_connection_closes(client: &mut RawClient, code: &str, what: &str) {
    assert_refused(client, code, what);
    assert!(client.is_closed(), "{what}: the connection stays open");
}

/// Sends `bytes`, ends the stream there, and checks the server answers `bad_frame` and
/// closes the connection.
fn assert_cut_short_gets_bad_frame_and_closes(client: &mut RawClient, bytes: &[u8], what: &str) {
    client.send_bytes(bytes);
    client.stream.shutdown(Shutdown::Write).unwrap();
    assert_refused_and_connection_closes(client, "bad_frame", what);
}

/// Checks the connection goes on: an echo sent on it comes back whole.
fn assert_connection_goes_on(client: &mut RawClient) {
    let body = b"still here";
    client.send_frame(&json!({"op": "echo", "size": body.len()}), body);
    let (header, echoed) = client
        .read_reply()
        .expect("the connection was closed, but it should go on");
    assert_eq!(header.get("op"), Some(&json!("echo")), "{header:?}");
    assert_eq!(echoed, body);
}

/// Checks the connection goes on, then that the server still serves another client.
fn assert_connection_and_server_go_on(client: &mut RawClient, server: &Server, label: &str) {
    assert_connection_goes_on(client);
    assert_server_still_serves(server, label);
}

/// Sends a hello and checks the server welcomes it.
fn assert_hello_welcomed(client: &mut RawClient, hello: &serde_json::Value) {
    client.send_frame(hello, b"");
    assert!(matches!(client.reply(), Some(Reply::Welcome { .. })));
}

/// Sends a `put` and returns the server's answer.
fn send_put(client: &mut RawClient, name: &str, total: u64, force: bool) -> Option<Reply> {
    client.send_frame(
        &json!({"op": "put", "name": name, "total": total, "force": force}),
        b"",
    );
    client.reply()
}

/// Sends a `put` of a new name and checks the server is ready for its data from offset 0.
fn start_put(client: &mut RawClient, name: &str, total: u64) {
    assert!(matches!(
        send_put(client, name, total, false),
        Some(Reply::Ready { offset: 0, .. })
    ));
}

/// Sends the whole of an upload's data, then a `put_end` with `md5`.
fn send_data_and_put_end(client: &mut RawClient, data: &[u8], md5: &str) {
    client.send_frame(&json!({"op": "put_data", "size": data.len()}), data);
    client.send_frame(&json!({"op": "put_end", "md5": md5}), b"");
}

/// A whole upload on a raw connection; returns the final reply (`stored` or an error).
fn put_file(client: &mut RawClient, name: &str, data: &[u8], force: bool) -> Option<Reply> {
    match send_put(client, name, data.len() as u64, force) {
        Some(Reply::Ready { offset: 0, .. }) => {}
        other => return other,
    }
    send_data_and_put_end(client, data, &md5_hex(data));
    client.reply()
}

/// Sends a `get` and returns the first reply's header and body.
fn send_get(client: &mut RawClient, name: &str, offset: u64) -> Option<(Header, Vec<u8>)> {
    client.send_frame(&json!({"op": "get", "name": name, "offset": offset}), b"");
    client.read_reply()
}

/// Checks a reply is a `file` frame carrying `body`; returns its header.
fn assert_file_frame(reply: Option<(Header, Vec<u8>)>, body: &[u8]) -> Header {
    let (header, got) = reply.expect("a file reply");
    assert_eq!(header.get("op"), Some(&json!("file")));
    assert_eq!(got, body);
    header
}

/// Reads the next reply header and body and checks it is an error with `code`.
fn assert_error_frame(reply: Option<(Header, Vec<u8>)>, code: &str, what: &str) {
    let (header, body) = reply.unwrap_or_else(|| panic!("{what}: the connection closed"));
    assert_eq!(
        header.get("op"),
        Some(&json!("error")),
        "{what}: {header:?}"
    );
    assert_eq!(header.get("code"), Some(&json!(code)), "{what}: {header:?}");
    assert!(body.is_empty(), "{what}: an error reply carries no body");
}

/// The names the server lists, asked on a fresh connection.
fn listed_names(server: &Server) -> Vec<String> {
    let mut client = RawClient::connect(server.addr);
    if let Some(token) = &server.token {
        assert_hello_welcomed(&mut client, &json!({"op": "hello", "token": token}));
    }
    client.send_frame(&json!({"op": "list"}), b"");
    match client.reply() {
        Some(Reply::Listing { files }) => files.into_iter().map(|f| f.name).collect(),
        other => panic!("expected a listing, got {other:?}"),
    }
}

/// Checks the root holds nothing at all.
fn assert_root_is_empty(server: &Server) {
    assert!(
        entries(&server.root).is_empty(),
        "{:?}",
        entries(&server.root)
    );
}

/// Checks nothing was written next to the root, outside it.
fn assert_nothing_written_outside_the_root(server: &Server) {
    assert_eq!(
        entries(server.dir.path()),
        ["root"],
        "written outside the root"
    );
}

/// Checks the root holds only hidden files (partials to resume from), never a visible one.
fn assert_only_hidden_files_left(server: &Server) {
    for entry in entries(&server.root) {
        assert!(entry.starts_with('.'), "left behind: {entry}");
    }
}

/// Writes a file outside the root holding `original`, plants a symlink to it at `link`,
/// and returns the outside file.
#[cfg(unix)]
fn plant_a_symlink_to_an_outside_file(server: &Server, link: &Path) -> std::path::PathBuf {
    let outside = server.dir.join("target.txt");
    std::fs::write(&outside, b"original").unwrap();
    std::os::unix::fs::symlink(&outside, link).unwrap();
    outside
}

/// Checks that an interrupted or refused upload of `name` left nothing under its final
/// name: not in the root, not in the listing.
fn assert_nothing_stored(server: &Server, name: &str) {
    assert!(
        std::fs::symlink_metadata(server.root.join(name)).is_err(),
        "{name} exists under its final name: {:?}",
        entries(&server.root)
    );
    assert!(
        !listed_names(server).contains(&name.to_string()),
        "{name} is listed"
    );
}

/// The names no request may use: paths, dots, control characters, too long.
fn forbidden_names() -> Vec<String> {
    [
        "../x",
        "../../../../../../etc/passwd",
        "/etc/passwd",
        "a/b",
        "x/",
        "./x",
        "a\\b",
        "..\\x",
        "C:\\x",
        "..",
        ".",
        ".hidden",
        "",
        "a\u{0}b",
        "a\nb",
        "a\rb",
        "tab\there",
        "del\u{7f}",
        "nel\u{85}",
    ]
    .iter()
    .map(|name| name.to_string())
    .chain([
        "n".repeat(241),
        "文".repeat(81), // 243 bytes in 81 characters
        partial_name("victim"),
    ])
    .collect()
}

/// Gives a stuck client time to stall the server, then waits until the idle timeout has
/// dropped it and its slot is free again.
fn wait_until_the_stuck_client_is_dropped(server: &Server) {
    std::thread::sleep(Duration::from_millis(200));
    wait_for_a_free_slot(server);
}

/// Waits until the server has a free connection slot: a hello is welcomed.
fn wait_for_a_free_slot(server: &Server) {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let mut probe = RawClient::connect(server.addr);
        probe.send_frame(&json!({"op": "hello", "client": "probe"}), b"");
        match probe.reply() {
            Some(Reply::Welcome { .. }) => return,
            Some(Reply::Error { .. }) | None => {}
            other => panic!("unexpected reply to a hello: {other:?}"),
        }
        assert!(Instant::now() < deadline, "no connection slot came free");
        std::thread::sleep(Duration::from_millis(20));
    }
}

// ---------------------------------------------------------------------------------------
// Framing errors: bad_frame, and the connection closes
// ---------------------------------------------------------------------------------------

/// A way to break the framing: what a client sends on a fresh connection, and what the
/// server's `bad_frame` reply must say. What must not happen: the connection staying open
/// (a length-prefixed stream cannot be resynchronised), anything stored (a body announced
/// is never read), the server no longer serving other clients.
struct FramingError {
    name: &'static str,
    /// The bytes sent.
    bytes: Vec<u8>,
    /// Whether the client then ends its stream, cutting the frame short.
    then_end_of_stream: bool,
    /// Words the error message must hold.
    message: &'static str,
}

impl Case for FramingError {
    fn name(&self) -> &str {
        self.name
    }
}

/// A case that sends `bytes` and keeps its stream open.
fn framing_error(name: &'static str, bytes: Vec<u8>, message: &'static str) -> FramingError {
    FramingError {
        name,
        bytes,
        then_end_of_stream: false,
        message,
    }
}

/// Every way to break the framing the catalogue knows.
fn framing_errors() -> Vec<FramingError> {
    let limit = seam_core::DEFAULT_MAX_HEADER_LEN;
    let mut one_over = (limit + 1).to_le_bytes().to_vec();
    one_over.extend_from_slice(b"{\"op\":\"list\"");
    let over_body_limit = format!(
        r#"{{"op":"echo","size":{}}}"#,
        seam_core::DEFAULT_MAX_BODY_LEN + 1
    );
    vec![
        framing_error(
            "an oversized header length",
            0xFFFF_FFFFu32.to_le_bytes().to_vec(),
            "header length 4294967295 at byte 0 is over the limit of 65536 bytes",
        ),
        framing_error(
            "a header length one over the limit",
            one_over,
            "header length 65537 at byte 0 is over the limit",
        ),
        framing_error(
            "a zero header length",
            vec![0, 0, 0, 0],
            "header length is 0 at byte 0",
        ),
        // "GET " read as a little-endian length is about 540 million: over the limit.
        framing_error(
            "an HTTP request on the port",
            b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n".to_vec(),
            "header length 542393671 at byte 0 is over the limit",
        ),
        framing_error(
            "an invalid UTF-8 header",
            raw_frame(b"{\"op\":\"\xff\xfe\"}", b""),
            "header is not UTF-8",
        ),
        framing_error(
            "an invalid JSON header",
            raw_frame(br#"{"op": "list",}"#, b""),
            "header is not JSON",
        ),
        framing_error(
            "a JSON array header",
            raw_frame(br#"["op", "list"]"#, b""),
            "is a JSON array, not an object",
        ),
        framing_error(
            "a JSON string header",
            raw_frame(br#""list""#, b""),
            "is a JSON string, not an object",
        ),
        framing_error(
            "a JSON number header",
            raw_frame(b"42", b""),
            "is a JSON number, not an object",
        ),
        framing_error(
            "a JSON null header",
            raw_frame(b"null", b""),
            "is a JSON null, not an object",
        ),
        framing_error(
            "a negative size",
            raw_frame(br#"{"op":"echo","size":-1}"#, b"x"),
            "\"size\" must be a non-negative integer, not -1",
        ),
        framing_error(
            "a size over the decoder's limit",
            raw_frame(over_body_limit.as_bytes(), b"x"),
            "body length 1099511627777 in \"size\" is over the limit",
        ),
        framing_error(
            "a size beyond u64",
            raw_frame(
                br#"{"filename":"big.bin","filesize":18446744073709551616}"#,
                b"",
            ),
            "\"filesize\" must be a non-negative integer",
        ),
        framing_error(
            "a fractional size",
            raw_frame(br#"{"op":"echo","size":1.5}"#, b"x"),
            "\"size\" must be a non-negative integer, not 1.5",
        ),
        framing_error(
            "a size given as a string",
            raw_frame(br#"{"filename":"ten.bin","size":"10"}"#, b"0123456789"),
            "\"size\" must be a non-negative integer, not \"10\"",
        ),
        framing_error(
            "size fields that disagree",
            raw_frame(br#"{"op":"echo","size":3,"len":4}"#, b"abcd"),
            "body length fields \"size\" and \"len\" disagree",
        ),
        FramingError {
            then_end_of_stream: true,
            ..framing_error(
                "a length prefix cut short at the end of the stream",
                vec![20, 0],
                "stream ended at byte 2 inside the length prefix",
            )
        },
        FramingError {
            then_end_of_stream: true,
            ..framing_error(
                "a header cut short at the end of the stream",
                raw_frame(br#"{"op":"list"}"#, b"")[..10].to_vec(),
                "stream ended at byte 10 inside the header",
            )
        },
    ]
}

#[test]
#[parallel(heavy)]
fn every_framing_error_gets_bad_frame_its_connection_closes_and_the_server_still_serves() {
    check_every_case(&framing_errors(), |case| {
        let server = Server::start(&[]);
        let mut client = RawClient::connect(server.addr);
        client.send_bytes(&case.bytes);
        if case.then_end_of_stream {
            client.stream.shutdown(Shutdown::Write).unwrap();
        }
        match client.reply() {
            Some(Reply::Error { code, message }) => {
                assert_eq!(code.as_str(), "bad_frame", "{message}");
                assert!(
                    message.contains(case.message),
                    "{message:?} does not say {:?}",
                    case.message
                );
            }
            other => panic!("expected a bad_frame error, got {other:?}"),
        }
        assert!(client.is_closed(), "the connection stays open");
        assert_root_is_empty(&server);
        assert_server_still_serves(&server, case.name);
    });
}

#[test]
#[parallel(heavy)]
fn a_header_length_at_the_limit_is_accepted() {
    let server = Server::start(&[]);
    let limit = seam_core::DEFAULT_MAX_HEADER_LEN as usize;
    let mut header = br#"{"op":"echo","size":2,"pad":""#.to_vec();
    header.resize(limit - 2, b'x');
    header.extend_from_slice(b"\"}");
    let mut client = RawClient::connect(server.addr);
    client.send_bytes(&raw_frame(&header, b"ok"));
    let (reply, body) = client.read_reply().expect("an echo reply");
    assert_eq!(reply.get("op"), Some(&json!("echo")));
    assert_eq!(body, b"ok");
    assert_connection_and_server_go_on(&mut client, &server, "length-at-limit");
}

#[test]
#[parallel(heavy)]
fn a_valid_request_followed_by_garbage_is_answered_then_gets_bad_frame() {
    let server = Server::start(&[]);
    let mut client = RawClient::connect(server.addr);
    let mut bytes = Encoder::default()
        .frame(&json!({"op": "echo", "size": 2}), b"hi")
        .unwrap();
    bytes.extend_from_slice(&raw_frame(b"{oops", b""));
    client.send_bytes(&bytes);
    let (header, body) = client.read_reply().expect("the echo");
    assert_eq!(header.get("op"), Some(&json!("echo")));
    assert_eq!(body, b"hi");
    assert_refused_and_connection_closes(&mut client, "bad_frame", "garbage after a good frame");
    assert_server_still_serves(&server, "garbage-after-good");
}

#[test]
#[parallel(heavy)]
fn a_put_body_cut_short_at_eof_stores_nothing_under_the_final_name_and_is_logged() {
    let server = Server::start_logged(&[]);
    let mut client = RawClient::connect(server.addr);
    start_put(&mut client, "cut.bin", 1000);
    client.send_head(&json!({"op": "put_data", "size": 1000}));
    assert_cut_short_gets_bad_frame_and_closes(&mut client, &[7u8; 400], "a body cut short");
    assert_nothing_stored(&server, "cut.bin");
    // Only the hidden partial may remain (to resume from), never a visible file.
    assert_only_hidden_files_left(&server);
    let log = server.log_text();
    assert!(
        log.contains("stream ended") && log.contains("body"),
        "the cut body is not logged: {log}"
    );
    assert_server_still_serves(&server, "put-body-cut");
}

#[test]
#[parallel(heavy)]
fn a_tutorial_body_cut_short_at_eof_stores_nothing_under_the_final_name() {
    let server = Server::start_logged(&[]);
    let mut client = RawClient::connect(server.addr);
    client.send_head(&json!({"cmd": "put", "filename": "tcut.bin", "filesize": 5000}));
    assert_cut_short_gets_bad_frame_and_closes(
        &mut client,
        &[1u8; 1234],
        "a tutorial body cut short",
    );
    assert_nothing_stored(&server, "tcut.bin");
    assert_only_hidden_files_left(&server);
    assert!(server.log_text().contains("stream ended"));
    assert_server_still_serves(&server, "tutorial-body-cut");
}

// ---------------------------------------------------------------------------------------
// Request errors: the connection goes on
// ---------------------------------------------------------------------------------------

/// A request the server refuses with `code` while the connection goes on: one frame, sent
/// on a connection that has sent every case before it.
struct RequestError {
    name: &'static str,
    header: serde_json::Value,
    body: &'static [u8],
    code: &'static str,
}

impl Case for RequestError {
    fn name(&self) -> &str {
        self.name
    }
}

fn request_error(
    name: &'static str,
    header: serde_json::Value,
    body: &'static [u8],
    code: &'static str,
) -> RequestError {
    RequestError {
        name,
        header,
        body,
        code,
    }
}

/// Every request error of the catalogue that needs no set-up beyond a default server.
fn request_errors(marker: &Path) -> Vec<RequestError> {
    let unknown_ops = ["format_disk", "PUT", "stored", "error", ""]
        .map(|op| request_error(op, json!({"op": op, "size": 3}), b"abc", "unknown_op"));
    let ops_that_are_not_strings = [
        json!(42),
        json!(null),
        json!(["put"]),
        json!({"op": "list"}),
    ]
    .map(|op| {
        request_error(
            "an op that is not a string",
            json!({"op": op}),
            b"",
            "bad_request",
        )
    });
    let missing_or_mistyped_fields = [
        json!({"op": "put", "name": "x.bin"}),
        json!({"op": "put", "name": "x.bin", "total": -1}),
        json!({"op": "put", "name": "x.bin", "total": 1.5}),
        json!({"op": "put", "name": 5, "total": 1}),
        json!({"op": "get"}),
        json!({"op": "get", "name": "x.bin", "offset": "0"}),
        json!({"op": "delete", "name": null}),
        json!({"op": "exec", "argv": "rm -rf /"}),
    ]
    .map(|header| request_error("missing or mistyped fields", header, b"", "bad_request"));
    let mut cases: Vec<RequestError> = unknown_ops
        .into_iter()
        .chain(ops_that_are_not_strings)
        .chain(missing_or_mistyped_fields)
        .collect();
    cases.extend([
        // Its body, which looks like the start of a frame, is skipped.
        request_error(
            "a header with neither op nor filename",
            json!({"hello": "world", "size": 5}),
            b"\x04\0\0\0{",
            "bad_request",
        ),
        request_error(
            "a tutorial get",
            json!({"cmd": "get", "name": "x"}),
            b"",
            "bad_request",
        ),
        request_error(
            "put_end without put",
            json!({"op": "put_end", "md5": md5_hex(b"")}),
            b"",
            "bad_request",
        ),
        request_error(
            "put_data without put",
            json!({"op": "put_data", "size": 4}),
            b"data",
            "bad_request",
        ),
        request_error(
            "exec on a server that allows none",
            json!({"op": "exec", "argv": ["touch", marker.to_str().unwrap()]}),
            b"",
            "exec_denied",
        ),
    ]);
    cases
}

#[test]
#[parallel(heavy)]
fn every_request_error_gets_its_code_the_connection_goes_on_and_nothing_is_stored() {
    let server = Server::start(&[]);
    let mut client = RawClient::connect(server.addr);
    let marker = server.root.join("pwned");
    check_every_case(&request_errors(&marker), |case| {
        let what = format!("{} {}", case.name, case.header);
        assert_frame_refused(&mut client, &case.header, case.body, case.code, &what);
        assert_connection_goes_on(&mut client);
        assert_root_is_empty(&server);
    });
    assert!(!marker.exists(), "the command ran");
    assert_server_still_serves(&server, "request-errors");
}

#[test]
#[parallel(heavy)]
fn a_put_total_over_max_upload_gets_too_large_and_the_connection_goes_on() {
    // The still-serves upload is exactly 100 000 bytes: the limit itself is accepted.
    let server = Server::start(&["--max-upload", "100000"]);
    let mut client = RawClient::connect(server.addr);
    assert_refused_reply(
        send_put(&mut client, "big.bin", 100_001, false),
        "too_large",
        "one byte over",
    );
    assert_refused_reply(
        send_put(&mut client, "big.bin", u64::MAX, true),
        "too_large",
        "u64::MAX",
    );
    assert_connection_goes_on(&mut client);
    assert_nothing_stored(&server, "big.bin");
    assert_server_still_serves(&server, "put-too-large");
}

#[test]
#[parallel(heavy)]
fn a_tutorial_upload_over_max_upload_gets_too_large_and_its_body_is_skipped() {
    let server = Server::start(&["--max-upload", "100000"]);
    let mut client = RawClient::connect(server.addr);
    let body = vec![9u8; 100_001];
    assert_frame_refused(
        &mut client,
        &json!({"cmd": "put", "filename": "huge.bin", "filesize": body.len()}),
        &body,
        "too_large",
        "a tutorial upload over the limit",
    );
    assert_connection_goes_on(&mut client);
    assert_nothing_stored(&server, "huge.bin");
    assert_root_is_empty(&server);
    assert_server_still_serves(&server, "tutorial-too-large");
}

#[test]
#[parallel(heavy)]
fn an_md5_mismatch_on_put_end_stores_nothing_and_discards_the_partial() {
    let server = Server::start(&[]);
    let mut client = RawClient::connect(server.addr);
    let data = b"the bytes that were sent";
    start_put(&mut client, "m.bin", data.len() as u64);
    send_data_and_put_end(&mut client, data, &md5_hex(b"other bytes"));
    assert_refused(&mut client, "md5_mismatch", "a wrong MD5");
    assert_nothing_stored(&server, "m.bin");
    assert!(
        !server.root.join(partial_name("m.bin")).exists(),
        "the partial of a mismatched upload is kept"
    );
    assert_connection_goes_on(&mut client);
    // The same name can be uploaded right away on the same connection.
    assert!(matches!(
        put_file(&mut client, "m.bin", data, false),
        Some(Reply::Stored { .. })
    ));
    assert_eq!(std::fs::read(server.root.join("m.bin")).unwrap(), data);
    assert_server_still_serves(&server, "md5-mismatch");
}

#[test]
#[parallel(heavy)]
fn put_data_with_the_wrong_size_gets_offset_mismatch_and_the_connection_goes_on() {
    let server = Server::start(&[]);
    let mut client = RawClient::connect(server.addr);
    start_put(&mut client, "w.bin", 10);
    assert_frame_refused(
        &mut client,
        &json!({"op": "put_data", "size": 12}),
        b"twelve bytes",
        "offset_mismatch",
        "put_data too long",
    );
    start_put(&mut client, "w.bin", 10);
    assert_frame_refused(
        &mut client,
        &json!({"op": "put_data", "size": 3}),
        b"abc",
        "offset_mismatch",
        "put_data too short",
    );
    assert_connection_goes_on(&mut client);
    assert_nothing_stored(&server, "w.bin");
    assert_server_still_serves(&server, "put-data-size");
}

#[test]
#[parallel(heavy)]
fn a_put_followed_by_another_request_instead_of_put_data_gets_bad_request() {
    let server = Server::start(&[]);
    let mut client = RawClient::connect(server.addr);
    start_put(&mut client, "p.bin", 4);
    assert_frame_refused(
        &mut client,
        &json!({"op": "echo", "size": 4}),
        b"data",
        "bad_request",
        "echo instead of put_data",
    );
    assert_connection_goes_on(&mut client);
    assert_nothing_stored(&server, "p.bin");
    assert_server_still_serves(&server, "put-then-other");
}

#[test]
#[parallel(heavy)]
fn every_path_traversal_name_is_refused_by_put_with_bad_name() {
    let server = Server::start(&[]);
    let passwd_before = std::fs::read("/etc/passwd").ok();
    let mut client = RawClient::connect(server.addr);
    for name in forbidden_names() {
        let reply = send_put(&mut client, &name, 3, true);
        assert_refused_reply(reply, "bad_name", &format!("put {name:?}"));
    }
    assert_connection_goes_on(&mut client);
    assert_root_is_empty(&server);
    assert_nothing_written_outside_the_root(&server);
    assert_eq!(std::fs::read("/etc/passwd").ok(), passwd_before);
    assert_server_still_serves(&server, "put-traversal");
}

#[test]
#[parallel(heavy)]
fn every_path_traversal_name_is_refused_by_get_with_bad_name() {
    let server = Server::start(&[]);
    // Files the forbidden names could reach if they were used as paths.
    std::fs::write(server.dir.join("x"), b"outside").unwrap();
    std::fs::create_dir(server.root.join("a")).unwrap();
    std::fs::write(server.root.join("a").join("b"), b"in a subfolder").unwrap();
    std::fs::write(server.root.join(".hidden"), b"hidden").unwrap();
    std::fs::write(server.root.join(partial_name("victim")), b"partial").unwrap();
    let mut client = RawClient::connect(server.addr);
    for name in forbidden_names() {
        assert_error_frame(send_get(&mut client, &name, 0), "bad_name", &name);
    }
    assert_connection_and_server_go_on(&mut client, &server, "get-traversal");
}

#[test]
#[parallel(heavy)]
fn every_path_traversal_name_is_refused_by_delete_with_bad_name() {
    let server = Server::start(&[]);
    std::fs::write(server.dir.join("x"), b"outside").unwrap();
    std::fs::write(server.root.join(".hidden"), b"hidden").unwrap();
    std::fs::write(server.root.join(partial_name("victim")), b"partial").unwrap();
    let mut client = RawClient::connect(server.addr);
    for name in forbidden_names() {
        assert_delete_refused(&mut client, &name, "bad_name", &name);
    }
    assert_connection_goes_on(&mut client);
    assert!(server.dir.join("x").exists());
    assert!(server.root.join(".hidden").exists());
    assert!(server.root.join(partial_name("victim")).exists());
    assert_server_still_serves(&server, "delete-traversal");
}

#[test]
#[parallel(heavy)]
fn a_name_of_exactly_240_bytes_is_accepted() {
    let server = Server::start(&[]);
    let mut client = RawClient::connect(server.addr);
    for name in ["n".repeat(240), "文".repeat(80)] {
        assert!(
            matches!(
                put_file(&mut client, &name, b"long name", false),
                Some(Reply::Stored { .. })
            ),
            "{name}"
        );
        assert_file_frame(send_get(&mut client, &name, 0), b"long name");
        assert!(matches!(client.reply(), Some(Reply::FileEnd { .. })));
    }
    assert_server_still_serves(&server, "name-240");
}

#[cfg(unix)]
#[test]
#[parallel(heavy)]
fn a_symlink_out_of_the_root_is_not_served_by_get() {
    let server = Server::start(&[]);
    let outside = server.dir.join("secret.txt");
    std::fs::write(&outside, b"secret outside the root").unwrap();
    std::os::unix::fs::symlink(&outside, server.root.join("link")).unwrap();
    std::os::unix::fs::symlink("/etc/hostname", server.root.join("hostname")).unwrap();
    let mut client = RawClient::connect(server.addr);
    for name in ["link", "hostname"] {
        assert_error_frame(send_get(&mut client, name, 0), "bad_name", name);
    }
    assert!(!listed_names(&server).contains(&"link".to_string()));
    assert_connection_and_server_go_on(&mut client, &server, "symlink-get");
}

#[cfg(unix)]
#[test]
#[parallel(heavy)]
fn a_put_over_a_symlink_does_not_write_through_it() {
    let server = Server::start(&[]);
    let link = server.root.join("link");
    let outside = plant_a_symlink_to_an_outside_file(&server, &link);
    let mut client = RawClient::connect(server.addr);
    for force in [false, true] {
        let reply = put_file(&mut client, "link", b"overwritten", force);
        assert_refused_reply(reply, "bad_name", &format!("force {force}"));
    }
    // A tutorial-style upload to the same name is refused too.
    assert_frame_refused(
        &mut client,
        &json!({"filename": "link", "size": 11}),
        b"overwritten",
        "bad_name",
        "tutorial upload over a symlink",
    );
    assert_connection_goes_on(&mut client);
    assert_eq!(std::fs::read(&outside).unwrap(), b"original");
    assert!(std::fs::symlink_metadata(&link)
        .unwrap()
        .file_type()
        .is_symlink());
    assert_server_still_serves(&server, "symlink-put");
}

#[cfg(unix)]
#[test]
#[parallel(heavy)]
fn a_symlink_planted_at_the_partial_name_is_not_written_through() {
    let server = Server::start(&[]);
    let outside =
        plant_a_symlink_to_an_outside_file(&server, &server.root.join(partial_name("up.bin")));
    let mut client = RawClient::connect(server.addr);
    for resume in [false, true] {
        assert_frame_refused(
            &mut client,
            &json!({"op": "put", "name": "up.bin", "total": 11, "resume": resume}),
            b"",
            "bad_name",
            "put onto a planted partial",
        );
    }
    assert_frame_refused(
        &mut client,
        &json!({"filename": "up.bin", "size": 11}),
        b"overwritten",
        "bad_name",
        "tutorial upload onto a planted partial",
    );
    assert_connection_goes_on(&mut client);
    assert_eq!(std::fs::read(&outside).unwrap(), b"original");
    assert_nothing_stored(&server, "up.bin");
    assert_server_still_serves(&server, "symlink-partial");
}

#[cfg(unix)]
#[test]
#[parallel(heavy)]
fn a_delete_of_a_symlink_does_not_delete_its_target() {
    let server = Server::start(&[]);
    let link = server.root.join("link");
    let outside = plant_a_symlink_to_an_outside_file(&server, &link);
    let mut client = RawClient::connect(server.addr);
    assert_delete_refused(&mut client, "link", "bad_name", "delete a symlink");
    assert_connection_goes_on(&mut client);
    assert_eq!(std::fs::read(&outside).unwrap(), b"original");
    assert!(std::fs::symlink_metadata(&link).is_ok());
    assert_server_still_serves(&server, "symlink-delete");
}

#[cfg(unix)]
#[test]
#[parallel(heavy)]
fn a_fifo_or_folder_in_the_root_is_neither_served_replaced_nor_deleted() {
    let server = Server::start(&[]);
    let made = std::process::Command::new("mkfifo")
        .arg(server.root.join("pipe"))
        .status()
        .expect("mkfifo runs");
    assert!(made.success());
    std::fs::create_dir(server.root.join("folder")).unwrap();
    let mut client = RawClient::connect(server.addr);
    for name in ["pipe", "folder"] {
        // A get must not open the FIFO (that would block until a writer comes).
        assert_error_frame(send_get(&mut client, name, 0), "bad_name", name);
        let reply = put_file(&mut client, name, b"data", true);
        assert_refused_reply(reply, "bad_name", &format!("put {name}"));
        assert_delete_refused(&mut client, name, "bad_name", name);
    }
    assert_connection_goes_on(&mut client);
    assert!(server.root.join("folder").is_dir());
    assert!(std::fs::symlink_metadata(server.root.join("pipe")).is_ok());
    assert!(listed_names(&server).is_empty());
    assert_server_still_serves(&server, "fifo-folder");
}

#[test]
#[parallel(heavy)]
fn a_get_of_a_missing_file_gets_not_found_and_the_connection_goes_on() {
    let server = Server::start(&[]);
    let mut client = RawClient::connect(server.addr);
    assert_error_frame(send_get(&mut client, "missing.bin", 0), "not_found", "get");
    assert_connection_and_server_go_on(&mut client, &server, "get-missing");
}

#[test]
#[parallel(heavy)]
fn a_delete_of_a_missing_file_gets_not_found_and_the_connection_goes_on() {
    let server = Server::start(&[]);
    let mut client = RawClient::connect(server.addr);
    assert_delete_refused(&mut client, "missing.bin", "not_found", "delete");
    assert_connection_and_server_go_on(&mut client, &server, "delete-missing");
}

#[test]
#[parallel(heavy)]
fn a_put_of_an_existing_name_gets_exists_without_force_and_replaces_it_with_force() {
    let server = Server::start(&[]);
    let path = server.root.join("there.txt");
    std::fs::write(&path, b"old content").unwrap();
    let mut client = RawClient::connect(server.addr);
    let reply = put_file(&mut client, "there.txt", b"new content!", false);
    assert_refused_reply(reply, "exists", "put without force");
    assert_frame_refused(
        &mut client,
        &json!({"filename": "there.txt", "size": 3}),
        b"new",
        "exists",
        "tutorial upload over an existing file",
    );
    assert_eq!(std::fs::read(&path).unwrap(), b"old content");
    assert_connection_goes_on(&mut client);
    match put_file(&mut client, "there.txt", b"new content!", true) {
        Some(Reply::Stored { total, md5, .. }) => {
            assert_eq!(total, 12);
            assert_eq!(md5, md5_hex(b"new content!"));
        }
        other => panic!("a forced put failed: {other:?}"),
    }
    assert_eq!(std::fs::read(&path).unwrap(), b"new content!");
    assert_server_still_serves(&server, "exists");
}

#[test]
#[parallel(heavy)]
fn a_get_with_an_offset_beyond_the_file_gets_offset_mismatch() {
    let server = Server::start(&[]);
    std::fs::write(server.root.join("ten.bin"), b"0123456789").unwrap();
    let mut client = RawClient::connect(server.addr);
    for offset in [11, u64::MAX] {
        assert_error_frame(
            send_get(&mut client, "ten.bin", offset),
            "offset_mismatch",
            "offset beyond the end",
        );
    }
    // At the very end: an empty body, and the whole file's MD5.
    let header = assert_file_frame(send_get(&mut client, "ten.bin", 10), b"");
    assert_eq!(header.get("size"), Some(&json!(0)));
    match client.reply() {
        Some(Reply::FileEnd { md5 }) => assert_eq!(md5, md5_hex(b"0123456789")),
        other => panic!("expected file_end, got {other:?}"),
    }
    assert_connection_and_server_go_on(&mut client, &server, "get-offset");
}

#[test]
#[parallel(heavy)]
fn two_uploads_of_the_same_name_at_once_get_in_use() {
    let server = Server::start(&[]);
    let mut first = RawClient::connect(server.addr);
    let mut second = RawClient::connect(server.addr);
    let data = b"first writer wins";
    start_put(&mut first, "same.bin", data.len() as u64);
    assert_refused_reply(send_put(&mut second, "same.bin", 5, false), "in_use", "put");
    assert_frame_refused(
        &mut second,
        &json!({"filename": "same.bin", "size": 5}),
        b"other",
        "in_use",
        "tutorial upload of a name in use",
    );
    assert_connection_goes_on(&mut second);
    send_data_and_put_end(&mut first, data, &md5_hex(data));
    assert!(matches!(first.reply(), Some(Reply::Stored { .. })));
    assert_eq!(std::fs::read(server.root.join("same.bin")).unwrap(), data);
    assert_server_still_serves(&server, "in-use");
}

#[test]
#[parallel(heavy)]
fn a_tutorial_upload_with_a_bad_filename_gets_bad_name_and_the_next_frame_is_served() {
    let server = Server::start(&[]);
    let mut client = RawClient::connect(server.addr);
    // Tutorial clients send the next file without reading replies: all frames at once.
    let mut bytes = Vec::new();
    let encoder = Encoder::default();
    let names = forbidden_names();
    for name in &names {
        let header = json!({"cmd": "put", "filename": name, "filesize": 4});
        bytes.extend(encoder.frame(&header, b"evil").unwrap());
    }
    bytes.extend(
        encoder
            .frame(&json!({"filename": "good.txt", "size": 4}), b"good")
            .unwrap(),
    );
    bytes.extend(encoder.frame(&json!({"op": "list"}), b"").unwrap());
    client.send_bytes(&bytes);
    for name in &names {
        assert_refused(&mut client, "bad_name", name);
    }
    match client.reply() {
        Some(Reply::Listing { files }) => {
            let names: Vec<_> = files.iter().map(|f| f.name.as_str()).collect();
            assert_eq!(names, ["good.txt"]);
        }
        other => panic!("expected the listing, got {other:?}"),
    }
    assert_eq!(
        std::fs::read(server.root.join("good.txt")).unwrap(),
        b"good"
    );
    assert_nothing_written_outside_the_root(&server);
    assert_eq!(entries(&server.root), ["good.txt"]);
    assert_server_still_serves(&server, "tutorial-bad-name");
}

#[test]
#[parallel(heavy)]
fn a_tutorial_upload_whose_filename_is_not_a_string_gets_bad_request() {
    let server = Server::start(&[]);
    let mut client = RawClient::connect(server.addr);
    for filename in [json!(5), json!(null), json!(["a"])] {
        assert_frame_refused(
            &mut client,
            &json!({"filename": filename, "size": 3}),
            b"abc",
            "bad_request",
            &filename.to_string(),
        );
    }
    client.send_frame(
        &json!({"action": "put", "filename": "ok.txt", "len": 2}),
        b"ok",
    );
    assert_connection_goes_on(&mut client);
    assert_eq!(std::fs::read(server.root.join("ok.txt")).unwrap(), b"ok");
    assert_server_still_serves(&server, "tutorial-filename-type");
}

// ---------------------------------------------------------------------------------------
// Authentication: unauthorized, and the connection closes
// ---------------------------------------------------------------------------------------

#[test]
#[parallel(heavy)]
fn a_wrong_token_gets_unauthorized_and_the_connection_closes() {
    let server = Server::start(&["--token", "s3cret"]);
    for token in ["wrong", "s3cre", "s3cret ", ""] {
        let mut client = RawClient::connect(server.addr);
        client.send_frame(&json!({"op": "hello", "token": token}), b"");
        assert_refused_and_connection_closes(&mut client, "unauthorized", token);
    }
    // The right token on a raw connection works.
    let mut client = RawClient::connect(server.addr);
    assert_hello_welcomed(&mut client, &json!({"op": "hello", "token": "s3cret"}));
    assert_connection_and_server_go_on(&mut client, &server, "wrong-token");
}

#[test]
#[parallel(heavy)]
fn a_missing_token_gets_unauthorized_and_the_connection_closes() {
    let server = Server::start(&["--token", "s3cret"]);
    let mut client = RawClient::connect(server.addr);
    client.send_frame(&json!({"op": "hello", "client": "no token"}), b"");
    assert_refused_and_connection_closes(&mut client, "unauthorized", "hello without a token");
    // The real client without --token is refused the same way.
    let output = server.client(&["ls"]);
    assert!(!output.status.success());
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("unauthorized"),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_server_still_serves(&server, "missing-token");
}

#[test]
#[parallel(heavy)]
fn a_request_before_hello_on_a_server_with_a_token_gets_unauthorized_and_stores_nothing() {
    let server = Server::start(&["--token", "s3cret"]);
    let mut client = RawClient::connect(server.addr);
    client.send_frame(&json!({"op": "put", "name": "sneaky.bin", "total": 3}), b"");
    assert_refused_and_connection_closes(&mut client, "unauthorized", "put before hello");
    let mut client = RawClient::connect(server.addr);
    client.send_frame(&json!({"filename": "sneaky.txt", "size": 5}), b"hello");
    assert_refused_and_connection_closes(
        &mut client,
        "unauthorized",
        "tutorial upload without a token",
    );
    assert_root_is_empty(&server);
    assert_server_still_serves(&server, "before-hello");
}

// ---------------------------------------------------------------------------------------
// Limits: idle_timeout, busy
// ---------------------------------------------------------------------------------------

#[test]
#[parallel(heavy)]
fn an_idle_connection_gets_idle_timeout_then_is_closed() {
    let server = Server::start(&["--idle-timeout", "1"]);
    let mut client = RawClient::connect(server.addr);
    assert_connection_goes_on(&mut client);
    let started = Instant::now();
    assert_refused(&mut client, "idle_timeout", "an idle connection");
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(900) && waited < Duration::from_secs(5),
        "closed after {waited:?}"
    );
    assert!(client.is_closed());
    assert_server_still_serves(&server, "idle");
}

#[test]
#[parallel(heavy)]
fn a_body_that_stalls_past_the_idle_timeout_gets_idle_timeout_and_stores_nothing() {
    let server = Server::start(&["--idle-timeout", "1"]);
    let mut client = RawClient::connect(server.addr);
    start_put(&mut client, "slow.bin", 100);
    client.send_head(&json!({"op": "put_data", "size": 100}));
    client.send_bytes(&[5u8; 10]);
    let started = Instant::now();
    assert_refused_and_connection_closes(&mut client, "idle_timeout", "a stalled body");
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_nothing_stored(&server, "slow.bin");
    // The name is free again: the stalled upload released it.
    let mut client = RawClient::connect(server.addr);
    assert!(matches!(
        put_file(&mut client, "slow.bin", &[5u8; 100], false),
        Some(Reply::Stored { .. })
    ));
    assert_server_still_serves(&server, "idle-body");
}

#[test]
#[parallel(heavy)]
fn a_connection_over_max_conns_gets_busy_and_the_others_go_on() {
    let server = Server::start(&["--max-conns", "2"]);
    let mut first = RawClient::connect(server.addr);
    let mut second = RawClient::connect(server.addr);
    for client in [&mut first, &mut second] {
        assert_hello_welcomed(client, &json!({"op": "hello", "client": "holder"}));
    }
    let mut third = RawClient::connect(server.addr);
    assert_refused_and_connection_closes(&mut third, "busy", "a third connection");
    assert_connection_goes_on(&mut first);
    assert_connection_goes_on(&mut second);
    drop(first);
    drop(second);
    wait_for_a_free_slot(&server);
    assert_server_still_serves(&server, "busy");
}

#[test]
#[parallel(heavy)]
fn a_60_kb_name_within_the_header_limit_gets_bad_name_not_bad_frame() {
    // A header near the limit with a long name: refused as a name, not as a frame.
    let server = Server::start(&[]);
    let mut client = RawClient::connect(server.addr);
    let name = "x".repeat(60_000);
    let reply = send_put(&mut client, &name, 1, false);
    assert_refused_reply(reply, "bad_name", "a 60 kB name");
    assert_connection_and_server_go_on(&mut client, &server, "huge-name");
}

#[test]
#[parallel(heavy)]
fn a_client_that_stops_reading_a_download_is_dropped_after_the_idle_timeout() {
    // More than the socket buffers of both ends hold, so the server's writes stall.
    let server = Server::start(&["--idle-timeout", "1", "--max-conns", "1"]);
    std::fs::write(server.root.join("big.bin"), vec![0u8; 48 << 20]).unwrap();
    let mut stuck = RawClient::connect(server.addr);
    stuck.send_frame(&json!({"op": "get", "name": "big.bin"}), b"");
    // The stuck client reads nothing; its slot must come free once the writes stall for
    // the idle timeout, or one such client per slot would lock everybody out.
    wait_until_the_stuck_client_is_dropped(&server);
    drop(stuck);
    wait_for_a_free_slot(&server);
    assert_server_still_serves(&server, "stuck-reader");
}

#[test]
#[parallel(heavy)]
fn a_client_that_sends_an_echo_but_never_reads_it_is_dropped_after_the_idle_timeout() {
    let server = Server::start(&["--idle-timeout", "1", "--max-conns", "1"]);
    let stuck = RawClient::connect(server.addr);
    let mut writer = stuck.stream.try_clone().unwrap();
    let body_len = 48usize << 20;
    let sender = std::thread::spawn(move || {
        use std::io::Write;
        let mut head = Vec::new();
        Encoder::default()
            .encode_head(&json!({"op": "echo", "size": body_len}), &mut head)
            .unwrap();
        let block = vec![0u8; 1 << 20];
        // Fails (as it should) once the server drops the connection.
        let _ = writer.write_all(&head);
        for _ in 0..body_len / block.len() {
            if writer.write_all(&block).is_err() {
                break;
            }
        }
    });
    wait_until_the_stuck_client_is_dropped(&server);
    sender.join().unwrap();
    drop(stuck);
    wait_for_a_free_slot(&server);
    assert_server_still_serves(&server, "stuck-echo");
}
