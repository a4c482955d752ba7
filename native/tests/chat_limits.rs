//! The chat under pressure: a member that falls behind is told `too_slow` after whole
//! frames; look-alike names cannot share the room; a second `seam chat` of the same user
//! gets a free name; members have a limit of their own (`--max-chat`); connections carry
//! TCP keepalive, since chat members are exempt from the idle timeout.

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::time::{Duration, Instant};

use crate::common::{error_code, seam, talk_until_logged, RawClient, Server};
use seam_core::messages::Reply;
use serde_json::json;
use serial_test::parallel;

/// Longest wait for any one line or exit.
const WAIT: Duration = Duration::from_secs(20);

/// Starts `seam chat` with these flags and extra environment, all three streams piped.
fn spawn_chat(server: &Server, flags: &[&str], env: &[(&str, &str)]) -> Child {
    seam()
        .arg("chat")
        .args(flags)
        .args(["--server", &server.addr_arg()])
        .env_remove("SEAM_TOKEN")
        .envs(env.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("seam chat starts")
}

/// The lines a stream prints, read on a thread of their own.
fn lines_of(stream: impl Read + Send + 'static) -> Receiver<String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stream).lines() {
            let Ok(line) = line else { return };
            if tx.send(line).is_err() {
                return;
            }
        }
    });
    rx
}

/// Waits (boundedly) for the process to end; its exit code.
fn exit_code_within(child: &mut Child, within: Duration) -> Option<i32> {
    let deadline = Instant::now() + within;
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            return status.code();
        }
        assert!(Instant::now() < deadline, "the process did not end");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Joins on a raw connection; the first reply.
fn raw_join(server: &Server, name: &str) -> (RawClient, Option<Reply>) {
    let mut client = RawClient::connect(server.addr);
    client.send_frame(&json!({"op": "chat_join", "name": name}), b"");
    let reply = client.reply();
    (client, reply)
}

#[test]
#[parallel(heavy)]
fn a_reader_that_falls_behind_gets_too_slow_after_whole_frames_and_exits_5() {
    let server = Server::start_logged(&[]);
    // The slow member: a real client whose output nobody reads for a while, so that it
    // stops reading its socket.
    let mut slow = spawn_chat(&server, &["--name", "slow"], &[]);
    let mut slow_out = BufReader::new(slow.stdout.take().unwrap());
    let mut first = String::new();
    slow_out.read_line(&mut first).expect("the join line");
    assert_eq!(first.trim(), "* slow joined");
    let slow_err = lines_of(slow.stderr.take().unwrap());

    let (mut fast, joined) = raw_join(&server, "fast");
    assert!(joined.is_some());
    talk_until_logged(&server, &mut fast, &"x".repeat(3000), |log| {
        log.contains("TooSlow") || log.contains("fell behind")
    });
    // Some seconds later the slow member reads again: every frame it gets is whole, the
    // last is the error, and it exits with 5 (refused), not 1 (a frame cut in the middle).
    std::thread::sleep(Duration::from_secs(3));
    std::thread::spawn(move || std::io::copy(&mut slow_out, &mut std::io::sink()));
    let code = exit_code_within(&mut slow, WAIT);
    let said: Vec<String> = slow_err.try_iter().collect();
    assert_eq!(code, Some(5), "stderr: {said:?}");
    assert!(
        said.iter().any(|line| line.contains("too_slow")),
        "{said:?}"
    );
}

#[test]
#[parallel(heavy)]
fn a_second_chat_without_a_name_picks_a_free_one_and_says_so() {
    let server = Server::start(&[]);
    let mut first = spawn_chat(&server, &[], &[("USER", "bob"), ("LOGNAME", "bob")]);
    let first_out = lines_of(first.stdout.take().unwrap());
    assert_eq!(first_out.recv_timeout(WAIT).unwrap(), "* bob joined");

    let mut second = spawn_chat(&server, &[], &[("USER", "bob"), ("LOGNAME", "bob")]);
    let second_out = lines_of(second.stdout.take().unwrap());
    let second_err = lines_of(second.stderr.take().unwrap());
    assert_eq!(second_out.recv_timeout(WAIT).unwrap(), "* bob-2 joined");
    let notice = second_err.recv_timeout(WAIT).unwrap();
    assert!(notice.contains("you are bob-2"), "{notice}");
    assert!(notice.contains("--name"), "{notice}");
    let _ = first.kill();
    let _ = second.kill();
    let _ = first.wait();
    let _ = second.wait();
}

#[test]
#[parallel(heavy)]
fn a_name_given_with_name_that_is_taken_is_refused_with_advice() {
    let server = Server::start(&[]);
    let (_bob, joined) = raw_join(&server, "bob");
    assert!(matches!(joined, Some(Reply::ChatJoined { .. })));
    let mut second = spawn_chat(&server, &["--name", "bob"], &[]);
    let code = exit_code_within(&mut second, WAIT);
    let mut stderr = String::new();
    second
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    assert_eq!(code, Some(5), "{stderr}");
    assert!(
        stderr.contains("in_use") && stderr.contains("--name"),
        "{stderr}"
    );
}

#[test]
#[parallel(heavy)]
fn a_chat_name_mixing_scripts_is_refused() {
    let server = Server::start(&[]);
    let (_bob, joined) = raw_join(&server, "bob");
    assert!(matches!(joined, Some(Reply::ChatJoined { .. })));
    // "bob" with a Cyrillic o (U+043E).
    let (_fake, refused) = raw_join(&server, "b\u{43e}b");
    assert_eq!(error_code(&refused), "bad_name");
}

#[test]
#[parallel(heavy)]
fn a_look_alike_of_a_name_in_the_room_is_refused() {
    let server = Server::start(&[]);
    let (_ape, joined) = raw_join(&server, "ape");
    assert!(matches!(joined, Some(Reply::ChatJoined { .. })));
    // All Cyrillic: a, er, ie.
    let (_fake, refused) = raw_join(&server, "\u{430}\u{440}\u{435}");
    assert_eq!(error_code(&refused), "in_use");
}

#[test]
#[parallel(heavy)]
fn members_over_max_chat_are_told_busy_and_other_requests_go_on() {
    let server = Server::start(&["--max-chat", "2"]);
    let (_a, joined_a) = raw_join(&server, "a");
    let (_b, joined_b) = raw_join(&server, "b");
    assert!(matches!(joined_a, Some(Reply::ChatJoined { .. })));
    assert!(matches!(joined_b, Some(Reply::ChatJoined { .. })));
    let (_c, refused) = raw_join(&server, "c");
    assert_eq!(error_code(&refused), "busy");
    let mut other = RawClient::connect(server.addr);
    other.send_frame(&json!({"op": "list"}), b"");
    assert!(matches!(other.reply(), Some(Reply::Listing { .. })));
}

#[test]
#[parallel(heavy)]
fn the_help_documents_max_chat() {
    let output = seam()
        .args(["serve", "--help"])
        .output()
        .expect("seam runs");
    let help = String::from_utf8_lossy(&output.stdout);
    assert!(help.contains("--max-chat"), "{help}");
    assert!(help.contains("keepalive"), "{help}");
}

/// The `tr` (timer) field of the server's side of established loopback connections to
/// `port`, from /proc/net/tcp: 2 is the keepalive timer.
fn server_side_timers(port: u16) -> Vec<u32> {
    let table = std::fs::read_to_string("/proc/net/tcp").expect("/proc/net/tcp");
    let local = format!("0100007F:{port:04X}");
    table
        .lines()
        .skip(1)
        .filter_map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            (fields.get(1) == Some(&local.as_str()) && fields.get(3) == Some(&"01"))
                .then(|| fields.get(5)?.split(':').next())
                .flatten()
                .and_then(|timer| u32::from_str_radix(timer, 16).ok())
        })
        .collect()
}

#[test]
#[parallel(heavy)]
fn accepted_connections_have_tcp_keepalive() {
    let server = Server::start(&[]);
    let (_member, joined) = raw_join(&server, "quiet");
    assert!(matches!(joined, Some(Reply::ChatJoined { .. })));
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let timers = server_side_timers(server.addr.port());
        if timers.contains(&2) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "no keepalive timer on the server's side: {timers:?}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}
