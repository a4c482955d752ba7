//! `seam exec` end to end over loopback: the real `seam serve --allow-exec` and the real
//! client. Nothing runs unless allowed; no shell; output streams as it is produced; a time
//! limit, an output cap, and a command killed when its client goes away.

use std::io::{BufRead, BufReader};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::common::{
    error_code, process_gone, seam, stderr, stdout, wait_until_gone, RawClient, Server,
};
use seam_core::messages::{OutputStream, Reply};
use serde_json::json;
use serial_test::{parallel, serial};

/// `seam exec --server <server> <flags> -- argv...`, ready to run.
fn exec_command(server: &Server, flags: &[&str], argv: &[&str]) -> Command {
    // `--server` must come before `--`: the harness's `client` puts it last.
    let mut command = seam();
    command
        .arg("exec")
        .arg("--server")
        .arg(server.addr_arg())
        .args(flags)
        .arg("--")
        .args(argv)
        .env_remove("SEAM_TOKEN");
    command
}

/// Runs `seam exec -- argv...` against the server.
fn exec(server: &Server, argv: &[&str]) -> Output {
    exec_command(server, &[], argv).output().expect("seam runs")
}

/// Checks the client exited with `code`, showing its stderr if not.
fn assert_exit_code(output: &Output, code: i32) {
    assert_eq!(output.status.code(), Some(code), "{}", stderr(output));
}

/// Checks the client's stderr contains `needle`, showing it if not.
fn assert_stderr_contains(output: &Output, needle: &str) {
    assert!(stderr(output).contains(needle), "{}", stderr(output));
}

/// Checks the client exited with 5 and said `exec_denied`; `what` names the case.
fn assert_exec_denied(output: &Output, what: &str) {
    assert_eq!(output.status.code(), Some(5), "{what}: {}", stderr(output));
    assert!(
        stderr(output).contains("exec_denied"),
        "{what}: {}",
        stderr(output)
    );
}

/// Runs `seam serve` with a fresh root and these flags, expects it to refuse to start,
/// and checks its stderr names `needle`.
fn assert_serve_refuses_to_start(label: &str, listen: &str, flags: &[&str], needle: &str) {
    let dir = crate::common::TempDir::new(label);
    let output = seam()
        .args(["serve", "--listen", listen, "--root"])
        .arg(dir.join("root"))
        .args(flags)
        .env_remove("SEAM_TOKEN")
        .output()
        .expect("seam runs");
    assert!(!output.status.success());
    assert_stderr_contains(&output, needle);
}

/// Starts, on a raw connection, a shell that prints its pid then sleeps; returns the pid.
fn start_a_sleeping_shell(client: &mut RawClient) -> u32 {
    client.send_frame(
        &json!({"op": "exec", "argv": ["sh", "-c", "echo $$; exec sleep 30"]}),
        b"",
    );
    let (_, body) = client.read_reply().expect("the pid comes back");
    String::from_utf8(body).unwrap().trim().parse().unwrap()
}

/// Checks the final reply of an exec is `exit` with this code and signal.
fn assert_exit_reply(last: Reply, code: Option<i32>, signal: Option<i32>) {
    assert_eq!(last, Reply::Exit { code, signal });
}

/// Every frame of an exec, read with a raw client: (stdout, stderr, the final reply).
fn raw_exec(client: &mut RawClient, argv: &[&str]) -> (Vec<u8>, Vec<u8>, Reply) {
    client.send_frame(&json!({"op": "exec", "argv": argv}), b"");
    let (mut out, mut err) = (Vec::new(), Vec::new());
    loop {
        let (header, body) = client.read_reply().expect("the server answers");
        match Reply::from_header(&header).expect("a known reply") {
            Reply::Output {
                stream: OutputStream::Stdout,
                ..
            } => out.extend_from_slice(&body),
            Reply::Output {
                stream: OutputStream::Stderr,
                ..
            } => err.extend_from_slice(&body),
            last => return (out, err, last),
        }
    }
}

#[test]
#[parallel(heavy)]
fn exec_is_refused_when_the_server_allows_nothing() {
    let server = Server::start(&[]);
    let output = exec(&server, &["echo", "hi"]);
    assert_exec_denied(&output, "nothing allowed");
    assert!(stdout(&output).is_empty());
}

#[test]
#[parallel(heavy)]
fn only_programs_named_exactly_as_allowed_run() {
    let server = Server::start(&["--allow-exec", "echo"]);
    let allowed = exec(&server, &["echo", "allowed"]);
    assert_exit_code(&allowed, 0);
    assert_eq!(stdout(&allowed), "allowed\n");
    for argv in [
        &["ls"][..],
        &["/bin/echo", "x"],
        &["./echo"],
        &["echo "],
        &[""],
    ] {
        assert_exec_denied(&exec(&server, argv), &format!("{argv:?}"));
    }
}

#[test]
#[parallel(heavy)]
fn an_allowed_path_runs_that_file_and_must_be_named_as_that_path() {
    let server = Server::start(&["--allow-exec", "/bin/echo"]);
    let output = exec(&server, &["/bin/echo", "by path"]);
    assert_exit_code(&output, 0);
    assert_eq!(stdout(&output), "by path\n");
    assert_eq!(exec(&server, &["echo", "x"]).status.code(), Some(5));
}

#[test]
#[parallel(heavy)]
fn a_server_whose_allow_list_names_a_missing_program_does_not_start() {
    assert_serve_refuses_to_start(
        "missing-program",
        "127.0.0.1:0",
        &["--allow-exec", "echo", "no-such-program-seam-test"],
        "no-such-program-seam-test",
    );
}

#[test]
#[parallel(heavy)]
fn stdout_and_stderr_come_back_apart_and_the_exit_code_is_returned() {
    let server = Server::start(&["--allow-exec", "sh"]);
    let output = exec(
        &server,
        &["sh", "-c", "echo to-stdout; echo to-stderr >&2; exit 3"],
    );
    assert_eq!(output.status.code(), Some(3));
    assert_eq!(stdout(&output), "to-stdout\n");
    assert_eq!(stderr(&output), "to-stderr\n");
}

#[test]
#[parallel(heavy)]
fn a_command_killed_by_a_signal_gives_128_plus_the_signal() {
    let server = Server::start(&["--allow-exec", "sh"]);
    let output = exec(&server, &["sh", "-c", "kill -TERM $$"]);
    assert_exit_code(&output, 128 + 15);
    let mut client = RawClient::connect(server.addr);
    let (_, _, last) = raw_exec(&mut client, &["sh", "-c", "kill -KILL $$"]);
    assert_exit_reply(last, None, Some(9));
}

#[test]
#[parallel(heavy)]
fn shell_metacharacters_are_plain_arguments() {
    let server = Server::start(&["--allow-exec", "echo"]);
    let tricky = [
        "a; touch PWNED",
        "$(touch PWNED2)",
        "`touch PWNED3`",
        "| cat /etc/passwd",
        "&& rm -rf /",
        "*",
        "'quoted' \"double\"",
        "$HOME",
        "\\n",
    ];
    let output = exec(&server, &[&["echo"][..], &tricky].concat());
    assert_exit_code(&output, 0);
    assert_eq!(stdout(&output), format!("{}\n", tricky.join(" ")));
    // The command ran in the served folder, and none of those touched anything there.
    let names: Vec<_> = std::fs::read_dir(&server.root)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert!(names.is_empty(), "{names:?}");
}

#[test]
#[parallel(heavy)]
fn the_command_runs_in_the_served_folder_with_a_minimal_environment() {
    let server = Server::start(&["--allow-exec", "sh"]);
    std::fs::write(server.root.join("here.txt"), b"x").unwrap();
    // The harness starts the server with RUST_LOG set: the command must not see it.
    let output = exec(
        &server,
        &[
            "sh",
            "-c",
            "ls; echo \"log=${RUST_LOG:-unset} path=${PATH:+set}\"",
        ],
    );
    assert_exit_code(&output, 0);
    assert_eq!(stdout(&output), "here.txt\nlog=unset path=set\n");
}

#[test]
#[parallel(heavy)]
fn output_streams_back_in_order_as_it_is_produced() {
    let server = Server::start(&["--allow-exec", "sh"]);
    let mut client = RawClient::connect(server.addr);
    let script = "for i in 1 2 3 4 5; do echo out$i; echo err$i >&2; done; \
                  sleep 0.2; echo late";
    let (out, err, last) = raw_exec(&mut client, &["sh", "-c", script]);
    assert_eq!(out, b"out1\nout2\nout3\nout4\nout5\nlate\n");
    assert_eq!(err, b"err1\nerr2\nerr3\nerr4\nerr5\n");
    assert_exit_reply(last, Some(0), None);
}

#[test]
#[serial(heavy)]
fn a_long_command_shows_its_first_output_at_once() {
    let server = Server::start(&["--allow-exec", "sh"]);
    let started = Instant::now();
    let mut child = exec_command(
        &server,
        &[],
        &["sh", "-c", "echo first; sleep 3; echo second"],
    )
    .stdout(Stdio::piped())
    .spawn()
    .expect("seam exec starts");
    let mut lines = BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    lines.read_line(&mut first).unwrap();
    let seen_after = started.elapsed();
    assert_eq!(first, "first\n");
    assert!(
        seen_after < Duration::from_millis(2500),
        "the first line took {seen_after:?}: output is not streamed"
    );
    let mut second = String::new();
    lines.read_line(&mut second).unwrap();
    assert_eq!(second, "second\n");
    assert!(child.wait().unwrap().success());
}

#[test]
#[parallel(heavy)]
fn a_command_past_its_time_limit_is_killed_with_a_timeout_error() {
    let server = Server::start(&["--allow-exec", "sh", "--exec-timeout", "1"]);
    let started = Instant::now();
    let mut client = RawClient::connect(server.addr);
    // The shell prints the pid of a child it started, then waits for it: both must die.
    let (out, _, last) = raw_exec(&mut client, &["sh", "-c", "sleep 30 & echo $!; wait"]);
    let elapsed = started.elapsed();
    assert_eq!(error_code(&Some(last)), "timeout");
    assert!(elapsed < Duration::from_secs(10), "took {elapsed:?}");
    let pid: u32 = String::from_utf8(out).unwrap().trim().parse().unwrap();
    wait_until_gone(pid, Duration::from_secs(5));

    let output = exec(&server, &["sh", "-c", "echo before; sleep 30"]);
    assert_eq!(output.status.code(), Some(5));
    assert_eq!(stdout(&output), "before\n");
    assert_stderr_contains(&output, "(timeout)");
    assert_stderr_contains(&output, "time limit");
}

#[test]
#[parallel(heavy)]
fn a_command_over_the_output_cap_is_killed_with_an_output_limit_error() {
    let server = Server::start(&["--allow-exec", "sh", "--exec-output-cap", "1000"]);
    let output = exec(
        &server,
        &[
            "sh",
            "-c",
            "while :; do echo 0123456789012345678901234567890123456789; done",
        ],
    );
    assert_exit_code(&output, 5);
    assert_eq!(output.stdout.len(), 1000, "exactly the cap is passed on");
    assert_stderr_contains(&output, "(output_limit)");
}

#[test]
#[parallel(heavy)]
fn the_command_is_killed_when_its_client_goes_away() {
    let server = Server::start(&["--allow-exec", "sh"]);
    let mut client = RawClient::connect(server.addr);
    let pid = start_a_sleeping_shell(&mut client);
    assert!(!process_gone(pid));
    drop(client);
    wait_until_gone(pid, Duration::from_secs(5));
}

#[test]
#[parallel(heavy)]
fn a_malformed_exec_request_is_refused_and_the_connection_goes_on() {
    let server = Server::start(&["--allow-exec", "echo"]);
    let mut client = RawClient::connect(server.addr);
    client.send_frame(&json!({"op": "exec", "argv": []}), b"");
    assert_eq!(error_code(&client.reply()), "bad_request");
    client.send_frame(
        &json!({"op": "exec", "argv": ["echo", "nul\u{0}byte"]}),
        b"",
    );
    assert_eq!(error_code(&client.reply()), "bad_request");
    let (_, body) = {
        client.send_frame(&json!({"op": "exec", "argv": ["echo", "ok"]}), b"");
        client.read_reply().unwrap()
    };
    assert_eq!(body, b"ok\n");
}

#[test]
#[parallel(heavy)]
fn a_running_command_is_killed_when_the_server_shuts_down() {
    let mut server = Server::start(&["--allow-exec", "sh"]);
    let mut client = RawClient::connect(server.addr);
    let pid = start_a_sleeping_shell(&mut client);
    let started = Instant::now();
    server.terminate();
    assert!(
        started.elapsed() < Duration::from_secs(8),
        "shutting down waited for the command: {:?}",
        started.elapsed()
    );
    wait_until_gone(pid, Duration::from_secs(5));
    assert_eq!(error_code(&client.reply()), "busy");
}

#[test]
#[parallel(heavy)]
fn exec_on_a_public_address_needs_a_token_even_when_insecure() {
    assert_serve_refuses_to_start(
        "exec-public",
        "0.0.0.0:0",
        &["--insecure", "--allow-exec", "echo"],
        "--token",
    );
}

#[test]
#[parallel(heavy)]
fn exec_with_a_token_runs_for_a_client_that_has_it() {
    let server = Server::start(&["--allow-exec", "echo", "--token", "s3cret"]);
    let without = exec(&server, &["echo", "x"]);
    assert_eq!(without.status.code(), Some(5));
    assert_stderr_contains(&without, "unauthorized");
    let with = exec_command(&server, &["--token", "s3cret"], &["echo", "authorised"])
        .output()
        .unwrap();
    assert_exit_code(&with, 0);
    assert_eq!(stdout(&with), "authorised\n");
}
