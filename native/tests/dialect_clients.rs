//! `seam put|exec|send|udp send --dialect NAME` against servers written as the tutorials
//! teach (`tests/tutorials/servers/`, Python 3, standard library only): files land whole,
//! replies are right, command output is relayed.

use std::process::Output;
use std::time::Duration;

use crate::common::python_server::PythonServer;
use crate::common::{assert_ok, seam, stdout, write_pattern, TempDir};
use serial_test::parallel;

/// How long a stored file may take to appear.
const STORED: Duration = Duration::from_secs(20);

fn run(args: &[&str]) -> Output {
    seam()
        .args(args)
        .env_remove("SEAM_TOKEN")
        .env_remove("SEAM_SERVER")
        .output()
        .expect("seam runs")
}

/// Uploads two files on one connection and checks that both land whole.
fn uploads_land_whole(dialect: &str, script: &str) -> Output {
    let server = PythonServer::start(script);
    let local = TempDir::new("dialect-upload");
    let big = local.join("big.bin");
    let small = local.join("small.txt");
    let big_md5 = write_pattern(&big, 3_000_000, 1);
    let small_md5 = write_pattern(&small, 1_000, 2);
    let output = run(&[
        "put",
        "--dialect",
        dialect,
        "--server",
        &server.addr,
        big.to_str().unwrap(),
        small.to_str().unwrap(),
    ]);
    assert_ok(&output, "seam");
    assert!(server.wait_for_file("big.bin", &big_md5, STORED));
    assert!(server.wait_for_file("small.txt", &small_md5, STORED));
    output
}

#[test]
#[parallel(heavy)]
fn put_in_the_ftp_dialect_lands_every_file_whole() {
    let output = uploads_land_whole("ftp", "ftp_server.py");
    assert!(stdout(&output).contains("sent; this protocol has no acknowledgement"));
}

#[test]
#[parallel(heavy)]
fn put_in_the_movie_dialect_lands_every_file_whole() {
    let output = uploads_land_whole("movie", "movie_server.py");
    assert!(stdout(&output).contains("sent; this protocol has no acknowledgement"));
}

#[test]
#[parallel(heavy)]
fn put_in_the_upload_md5_dialect_gets_100_for_every_file() {
    let output = uploads_land_whole("upload-md5", "upload_md5_server.py");
    let text = stdout(&output);
    assert_eq!(text.matches("the server answered 100").count(), 2, "{text}");
}

fn exec_prints_the_output(dialect: &str, script: &str) {
    let server = PythonServer::start(script);
    let output = run(&[
        "exec",
        "--dialect",
        dialect,
        "--server",
        &server.addr,
        "--",
        "echo",
        "hello",
        "tutorial world",
    ]);
    assert_ok(&output, "seam");
    assert_eq!(stdout(&output), "hello tutorial world\n");
}

#[test]
#[parallel(heavy)]
fn exec_in_the_cmd_dialect_prints_the_commands_output() {
    exec_prints_the_output("cmd", "cmd_server.py");
}

#[test]
#[parallel(heavy)]
fn exec_in_the_cmd_len_dialect_prints_the_commands_output() {
    exec_prints_the_output("cmd-len", "cmd_len_server.py");
}

#[test]
#[parallel(heavy)]
fn exec_in_the_cmd_struct_dialect_prints_the_commands_output() {
    exec_prints_the_output("cmd-struct", "cmd_struct_server.py");
}

#[test]
#[parallel(heavy)]
fn exec_in_the_cmd_ready_dialect_sends_recv_ready_and_prints_the_output() {
    exec_prints_the_output("cmd-ready", "cmd_ready_server.py");
}

#[test]
#[parallel(heavy)]
fn exec_relays_an_output_larger_than_any_single_read() {
    let server = PythonServer::start("cmd_len_server.py");
    let output = run(&[
        "exec",
        "--dialect",
        "cmd-len",
        "--server",
        &server.addr,
        "--",
        "seq",
        "1",
        "100000",
    ]);
    assert_ok(&output, "seam");
    let expected: String = (1..=100_000).map(|n| format!("{n}\n")).collect();
    assert!(stdout(&output) == expected, "the output differs");
}

#[test]
#[parallel(heavy)]
fn send_in_the_echo_dialect_prints_the_same_text() {
    let server = PythonServer::start("echo_server.py");
    let output = run(&[
        "send",
        "--dialect",
        "echo",
        "--server",
        &server.addr,
        "Hello, tutorial",
    ]);
    assert_ok(&output, "seam");
    assert_eq!(stdout(&output), "Hello, tutorial\n");
}

#[test]
#[parallel(heavy)]
fn send_in_the_echo_upper_dialect_prints_the_text_upper_cased() {
    let server = PythonServer::start("echo_upper_server.py");
    let output = run(&[
        "send",
        "--dialect",
        "echo-upper",
        "--server",
        &server.addr,
        "Hello, tutorial",
    ]);
    assert_ok(&output, "seam");
    assert_eq!(stdout(&output), "HELLO, TUTORIAL\n");
}

#[test]
#[parallel(heavy)]
fn udp_send_in_the_udp_upper_dialect_prints_the_datagram_upper_cased() {
    let server = PythonServer::start("udp_upper_server.py");
    let output = run(&[
        "udp",
        "send",
        "--dialect",
        "udp-upper",
        "--to",
        &server.addr,
        "hello udp",
    ]);
    assert_ok(&output, "seam");
    assert_eq!(stdout(&output), "HELLO UDP\n");
}

#[test]
#[parallel(heavy)]
fn trace_records_the_bare_bytes_both_ways() {
    let server = PythonServer::start("echo_upper_server.py");
    let dir = TempDir::new("dialect-trace");
    let trace = dir.join("trace.jsonl");
    let output = run(&[
        "send",
        "--dialect",
        "echo-upper",
        "--server",
        &server.addr,
        "--trace",
        trace.to_str().unwrap(),
        "abc",
    ]);
    assert_ok(&output, "seam");
    let chunks =
        seam_core::parse_trace(&std::fs::read_to_string(&trace).unwrap()).expect("a valid trace");
    let bytes = |dir| -> Vec<u8> {
        chunks
            .iter()
            .filter(|c| c.dir == dir)
            .flat_map(|c| c.bytes.clone())
            .collect()
    };
    assert_eq!(bytes(seam_core::Direction::Out), b"abc");
    assert_eq!(bytes(seam_core::Direction::In), b"ABC");
}

#[test]
#[parallel(heavy)]
fn a_dialect_of_another_command_is_a_command_line_error() {
    for args in [
        &["put", "--dialect", "cmd", "file"][..],
        &["send", "--dialect", "ftp", "hi"],
        &["exec", "--dialect", "echo", "--", "ls"],
        &["udp", "send", "--dialect", "echo", "hi"],
    ] {
        let output = run(args);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(" is for seam "), "{args:?}: {stderr}");
    }
}

#[test]
#[parallel(heavy)]
fn put_in_the_upload_md5_dialect_is_stored_by_seams_own_listener() {
    let server = crate::common::tutorial::TutorialServer::start(&["upload-md5"], &[]);
    let local = TempDir::new("dialect-seam-upload");
    let file = local.join("notes.bin");
    let md5 = write_pattern(&file, 200_000, 3);
    let addr = server.addr("upload-md5").to_string();
    let output = run(&[
        "put",
        "--dialect",
        "upload-md5",
        "--server",
        &addr,
        file.to_str().unwrap(),
    ]);
    assert_ok(&output, "seam");
    assert!(stdout(&output).contains("the server answered 100"));
    assert_eq!(crate::common::md5_of(&server.root().join("notes.bin")), md5);
}

#[test]
#[parallel(heavy)]
fn exec_in_the_cmd_ready_dialect_runs_on_seams_own_listener() {
    let server =
        crate::common::tutorial::TutorialServer::start(&["cmd-ready"], &["--allow-exec", "echo"]);
    let addr = server.addr("cmd-ready").to_string();
    let output = run(&[
        "exec",
        "--dialect",
        "cmd-ready",
        "--server",
        &addr,
        "--",
        "echo",
        "from",
        "seam",
    ]);
    assert_ok(&output, "seam");
    assert_eq!(stdout(&output), "from seam\n");
}

#[test]
#[parallel(heavy)]
fn send_in_the_echo_upper_dialect_is_answered_by_seams_own_listener() {
    let server = crate::common::tutorial::TutorialServer::start(&["echo-upper"], &[]);
    let addr = server.addr("echo-upper").to_string();
    let output = run(&[
        "send",
        "--dialect",
        "echo-upper",
        "--server",
        &addr,
        "quiet please",
    ]);
    assert_ok(&output, "seam");
    assert_eq!(stdout(&output), "QUIET PLEASE\n");
}
