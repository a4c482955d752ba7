//! `seam chat` and `seam send` end to end over loopback: three real clients with piped
//! input see each other's lines, joins and leaves; names are checked; a member that stops
//! reading is disconnected without stalling the others.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use crate::common::{error_code, seam, talk_until_logged, RawClient, Server};
use serde_json::json;
use serial_test::parallel;

/// Longest wait for any one line.
const LINE_WAIT: Duration = Duration::from_secs(10);

/// A `seam chat` process whose standard input and output are pipes.
struct Member {
    name: String,
    child: Child,
    stdin: Option<ChildStdin>,
    lines: Receiver<String>,
    seen: Vec<String>,
}

impl Member {
    fn join(server: &Server, name: &str) -> Member {
        let mut child = seam()
            .args(["chat", "--name", name, "--server", &server.addr_arg()])
            .env_remove("SEAM_TOKEN")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("seam chat starts");
        let stdout = child.stdout.take().unwrap();
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { return };
                if tx.send(line).is_err() {
                    return;
                }
            }
        });
        let mut member = Member {
            name: name.to_string(),
            stdin: child.stdin.take(),
            child,
            lines,
            seen: Vec::new(),
        };
        member.expect(&format!("* {name} joined"));
        member
    }

    fn say(&mut self, text: &str) {
        let stdin = self.stdin.as_mut().expect("input still open");
        writeln!(stdin, "{text}").unwrap();
        stdin.flush().unwrap();
    }

    /// Waits (boundedly) until the member has printed a line (lines from different
    /// members may come in any order); panics with what was seen.
    fn expect(&mut self, wanted: &str) {
        let deadline = Instant::now() + LINE_WAIT;
        if self.seen.iter().any(|line| line == wanted) {
            return;
        }
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    let found = line == wanted;
                    self.seen.push(line);
                    if found {
                        return;
                    }
                }
                Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => {
                    panic!("{} never saw {wanted:?}; saw {:?}", self.name, self.seen)
                }
            }
        }
    }

    /// Closes standard input and waits (boundedly) for a clean exit; returns the rest of
    /// what it printed.
    fn leave(mut self) -> Vec<String> {
        drop(self.stdin.take());
        let deadline = Instant::now() + LINE_WAIT;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                assert!(status.success(), "{} exited with {status}", self.name);
                break;
            }
            assert!(
                Instant::now() < deadline,
                "{} did not leave at the end of its input",
                self.name
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        let mut rest = std::mem::take(&mut self.seen);
        while let Ok(line) = self.lines.recv_timeout(Duration::from_secs(2)) {
            rest.push(line);
        }
        rest
    }
}

impl Drop for Member {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
#[parallel(heavy)]
fn three_members_see_each_others_lines_joins_and_leaves() {
    let server = Server::start(&[]);
    let mut alice = Member::join(&server, "alice");
    let mut bob = Member::join(&server, "bob");
    alice.expect("* bob joined");
    let mut carol = Member::join(&server, "carol");
    alice.expect("* carol joined");
    bob.expect("* carol joined");

    alice.say("hello from alice");
    bob.say("bob here");
    carol.say("carol: with a colon; and $(no shell) \u{1b}[2J");
    for member in [&mut alice, &mut bob, &mut carol] {
        member.expect("alice: hello from alice");
        member.expect("bob: bob here");
        // Control characters are not passed to anyone's terminal.
        member.expect("carol: carol: with a colon; and $(no shell) \u{fffd}[2J");
    }
    // Every member saw the lines in the same order.
    let order = |m: &Member| -> Vec<String> {
        m.seen
            .iter()
            .filter(|l| !l.starts_with("* "))
            .cloned()
            .collect()
    };
    assert_eq!(order(&alice), order(&bob));
    assert_eq!(order(&bob), order(&carol));

    // A member whose input ends leaves cleanly, after its own last line came back.
    carol.say("bye");
    let rest = carol.leave();
    assert!(rest.contains(&"carol: bye".to_string()), "{rest:?}");
    alice.expect("* carol left");
    bob.expect("* carol left");

    // A member killed outright leaves too.
    let _ = bob.child.kill();
    alice.expect("* bob left");
    alice.say("alone");
    alice.expect("alice: alone");
    alice.leave();
}

#[test]
#[parallel(heavy)]
fn members_joining_and_leaving_while_others_talk_each_get_their_own_join_first() {
    let server = Server::start(&[]);
    // A member that talks all the time, so lines reach the room while others join.
    let mut talker = seam()
        .args(["chat", "--name", "talker", "--quiet"])
        .args(["--server", &server.addr_arg()])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let mut talk = talker.stdin.take().unwrap();
    let talking = std::thread::spawn(move || {
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(30) {
            if writeln!(talk, "a line said while others join").is_err() {
                break;
            }
            // About a thousand lines a second: a steady stream, not a flood.
            std::thread::sleep(Duration::from_millis(1));
        }
    });
    for round in 0..20 {
        let members: Vec<_> = (0..24)
            .map(|i| {
                let mut child = seam()
                    .args(["chat", "--name", &format!("m{round}x{i}"), "--quiet"])
                    .args(["--server", &server.addr_arg()])
                    .stdin(Stdio::piped())
                    .stdout(Stdio::null())
                    .stderr(Stdio::piped())
                    .spawn()
                    .unwrap();
                drop(child.stdin.take());
                child
            })
            .collect();
        for member in members {
            let output = member.wait_with_output().unwrap();
            assert!(
                output.status.success(),
                "round {round}: {}",
                String::from_utf8_lossy(&output.stderr)
            );
        }
    }
    let _ = talker.kill();
    let _ = talker.wait();
    talking.join().unwrap();
}

#[test]
#[parallel(heavy)]
fn piped_input_is_sent_and_the_client_exits_at_its_end() {
    let server = Server::start(&[]);
    let mut child = seam()
        .args(["chat", "--name", "script", "--server", &server.addr_arg()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let long = "é".repeat(3000); // 6000 bytes: sent as two lines of at most 4096
    write!(
        child.stdin.take().unwrap(),
        "first\r\n\nsecond\n{long}\nno newline at the end"
    )
    .unwrap();
    let started = Instant::now();
    let output = loop {
        if child.try_wait().unwrap().is_some() {
            break child.wait_with_output().unwrap();
        }
        assert!(started.elapsed() < LINE_WAIT, "seam chat did not exit");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(output.status.success());
    let text = String::from_utf8(output.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "* script joined");
    assert_eq!(lines[1], "script: first");
    assert_eq!(lines[2], "script: second");
    assert_eq!(lines[3], format!("script: {}", "é".repeat(2048)));
    assert_eq!(lines[4], format!("script: {}", "é".repeat(952)));
    assert_eq!(lines[5], "script: no newline at the end");
    assert_eq!(lines.len(), 6, "{lines:?}");
}

#[test]
#[parallel(heavy)]
fn json_output_prints_one_reply_per_line() {
    let server = Server::start(&[]);
    let mut child = seam()
        .args([
            "chat",
            "--json",
            "--name",
            "j",
            "--server",
            &server.addr_arg(),
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    writeln!(child.stdin.take().unwrap(), "hi").unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success());
    let lines: Vec<serde_json::Value> = String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(
        lines,
        [
            json!({"op": "chat_joined", "name": "j"}),
            json!({"op": "chat_line", "from": "j", "text": "hi"})
        ]
    );
}

#[test]
#[parallel(heavy)]
fn a_name_in_use_is_refused_whatever_its_case() {
    let server = Server::start(&[]);
    let _alice = Member::join(&server, "alice");
    let output = server.client(&["chat", "--name", "ALICE"]);
    assert_eq!(output.status.code(), Some(5));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("in_use"), "{stderr}");
}

#[test]
#[parallel(heavy)]
fn bad_names_are_refused_by_the_client_and_by_the_server() {
    let server = Server::start(&[]);
    let output = server.client(&["chat", "--name", "two words"]);
    assert_eq!(output.status.code(), Some(2));
    let mut client = RawClient::connect(server.addr);
    for name in ["", "a\u{1b}[31m", "x/y", &"n".repeat(33)] {
        client.send_frame(&json!({"op": "chat_join", "name": name}), b"");
        assert_eq!(error_code(&client.reply()), "bad_name", "{name:?}");
    }
}

#[test]
#[parallel(heavy)]
fn chat_requests_are_checked() {
    let server = Server::start(&[]);
    let mut client = RawClient::connect(server.addr);
    client.send_frame(&json!({"op": "chat", "text": "before joining"}), b"");
    assert_eq!(error_code(&client.reply()), "bad_request");
    client.send_frame(&json!({"op": "chat_join", "name": "raw"}), b"");
    assert_eq!(
        client.reply(),
        Some(seam_core::messages::Reply::ChatJoined { name: "raw".into() })
    );
    for text in ["two\nlines", "bell\u{7}", &"x".repeat(4097)] {
        client.send_frame(&json!({"op": "chat", "text": text}), b"");
        assert_eq!(error_code(&client.reply()), "bad_request", "{text:?}");
    }
    client.send_frame(&json!({"op": "list"}), b"");
    assert_eq!(error_code(&client.reply()), "bad_request");
    client.send_frame(&json!({"op": "chat", "text": "still here\tok"}), b"");
    assert_eq!(
        client.reply(),
        Some(seam_core::messages::Reply::ChatLine {
            from: "raw".into(),
            text: "still here\tok".into()
        })
    );
}

#[test]
#[parallel(heavy)]
fn a_member_that_stops_reading_is_disconnected_and_the_others_go_on() {
    let server = Server::start_logged(&[]);
    // The slow member joins and then reads nothing.
    let mut slow = RawClient::connect(server.addr);
    slow.send_frame(&json!({"op": "chat_join", "name": "slow"}), b"");
    assert!(slow.reply().is_some());
    let mut fast = RawClient::connect(server.addr);
    fast.send_frame(&json!({"op": "chat_join", "name": "fast"}), b"");
    assert!(fast.reply().is_some());
    // The fast member talks, one line at a time, and reads each line back: it must never
    // be held up by the slow one.
    let sent = talk_until_logged(&server, &mut fast, &"x".repeat(1000), |log| {
        log.contains("TooSlow")
    });
    // The slow member finds its connection closed after what was buffered for it.
    slow.stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut received = 0;
    while let Some((header, _)) = slow.read_reply() {
        if header["op"] == "error" {
            assert_eq!(header["code"], "too_slow");
        } else {
            received += 1;
        }
    }
    assert!(received < sent, "slow got {received} of {sent}");
    // The room goes on without it.
    fast.send_frame(&json!({"op": "chat", "text": "after"}), b"");
    loop {
        let (header, _) = fast.read_reply().expect("still connected");
        if header.get("text") == Some(&json!("after")) {
            break;
        }
    }
}

#[test]
#[parallel(heavy)]
fn send_prints_the_echo() {
    let server = Server::start(&[]);
    let output = server.client(&["send", "hello, world"]);
    assert!(output.status.success());
    assert_eq!(String::from_utf8(output.stdout).unwrap(), "hello, world\n");
    let output = server.client(&["send", "--json", "ünïcode"]);
    let line: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(line["ok"], true);
    assert_eq!(line["echo"], "ünïcode");
    assert_eq!(line["bytes"], "ünïcode".len());
}

#[test]
#[parallel(heavy)]
fn send_to_nothing_reports_the_connection() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let output = seam()
        .args(["send", "x", "--server", &port.to_string()])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(4));
}
