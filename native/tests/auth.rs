//! Tokens: `seam serve` refuses an empty or blank token at start-up (it would turn
//! authentication on and admit anyone) and a short token on a non-loopback address; the
//! clients refuse to send an empty token.

use std::io::{BufRead, BufReader};
use std::process::{Command, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use crate::common::{seam, Server, TempDir};
use serial_test::parallel;

/// A token long enough for any address.
const STRONG_TOKEN: &str = "0123456789abcdef0123";

/// Runs `seam serve` with these flags (and environment) and returns its output if it ends
/// without serving; `None` when it started serving instead (it is then stopped).
fn serve_outcome(listen: &str, flags: &[&str], env: &[(&str, &str)]) -> Option<Output> {
    let dir = TempDir::new("auth");
    let mut command: Command = seam();
    command
        .args(["serve", "--listen", listen, "--root"])
        .arg(dir.join("root"))
        .args(flags)
        .env_remove("SEAM_TOKEN")
        .envs(env.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command.spawn().expect("seam runs");
    // The first line on stdout says it serves; a refusal prints nothing there and ends.
    let stdout = child.stdout.take().unwrap();
    let (tx, first_line) = mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        let _ = tx.send(line);
    });
    let line = first_line
        .recv_timeout(Duration::from_secs(10))
        .expect("seam serve either serves or ends within 10 s");
    if line.contains("serving") {
        let _ = child.kill();
        let _ = child.wait();
        return None;
    }
    Some(child.wait_with_output().expect("output"))
}

/// Checks `seam serve` refused to start and said `needle`.
fn assert_refused_to_start(outcome: Option<Output>, needle: &str, what: &str) {
    let output = outcome.unwrap_or_else(|| panic!("{what}: the server started"));
    assert!(!output.status.success(), "{what}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains(needle), "{what}: {stderr}");
}

#[test]
#[parallel(heavy)]
fn refuses_an_empty_token_at_start_up() {
    let outcome = serve_outcome("127.0.0.1:0", &["--token", ""], &[]);
    assert_refused_to_start(outcome, "empty token", "--token \"\"");
}

#[test]
#[parallel(heavy)]
fn refuses_an_empty_seam_token_variable_at_start_up() {
    let outcome = serve_outcome("127.0.0.1:0", &[], &[("SEAM_TOKEN", "")]);
    assert_refused_to_start(outcome, "empty token", "SEAM_TOKEN=");
}

#[test]
#[parallel(heavy)]
fn refuses_a_whitespace_token_at_start_up() {
    let outcome = serve_outcome("127.0.0.1:0", &["--token", " \t "], &[]);
    assert_refused_to_start(outcome, "empty token", "a blank token");
}

#[test]
#[parallel(heavy)]
fn a_non_loopback_listener_refuses_a_token_shorter_than_16_bytes() {
    let outcome = serve_outcome("0.0.0.0:0", &["--token", "s3cret"], &[]);
    assert_refused_to_start(outcome, "at least 16 bytes", "a 6-byte token on 0.0.0.0");
    let outcome = serve_outcome("0.0.0.0:0", &["--token", "0123456789abcde"], &[]);
    assert_refused_to_start(outcome, "at least 16 bytes", "a 15-byte token on 0.0.0.0");
}

#[test]
#[parallel(heavy)]
fn a_non_loopback_listener_accepts_a_token_of_16_bytes() {
    // Off loopback, TLS is required too.
    let outcome = serve_outcome("0.0.0.0:0", &["--tls", "--token", "0123456789abcdef"], &[]);
    assert!(outcome.is_none(), "refused: {outcome:?}");
}

#[test]
#[parallel(heavy)]
fn the_help_states_the_token_rules() {
    let output = seam()
        .args(["serve", "--help"])
        .output()
        .expect("seam runs");
    let help = String::from_utf8_lossy(&output.stdout);
    assert!(help.contains("at least 16 bytes"), "{help}");
    assert!(help.contains("empty"), "{help}");
}

#[test]
#[parallel(heavy)]
fn a_client_refuses_to_send_an_empty_token() {
    let server = Server::start(&[]);
    let output = server.client(&["ls", "--token", ""]);
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    assert!(String::from_utf8_lossy(&output.stderr).contains("token is empty"));
}

#[test]
#[parallel(heavy)]
fn a_client_refuses_an_empty_seam_token_variable() {
    let server = Server::start(&[]);
    let output = seam()
        .args(["ls", "--server", &server.addr_arg()])
        .env("SEAM_TOKEN", "")
        .output()
        .expect("seam runs");
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    assert!(String::from_utf8_lossy(&output.stderr).contains("token is empty"));
}

#[test]
#[parallel(heavy)]
fn a_strong_token_admits_the_client_that_has_it() {
    let server = Server::start(&["--token", STRONG_TOKEN]);
    let output = server.client(&["ls", "--token", STRONG_TOKEN]);
    assert!(output.status.success(), "{output:?}");
}
