//! How an `exec` ends: the command's whole process group is killed however it ends (a
//! normal exit included); the time limit holds while the client reads nothing; a client
//! that leaves after sending its next request is noticed at once.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use crate::common::tutorial::TutorialServer;
use crate::common::{wait_until_gone, RawClient, Server};
use seam_core::messages::Reply;
use serde_json::json;
use serial_test::parallel;

/// The first line of the next output frame, as a pid.
fn pid_from_first_output(client: &mut RawClient) -> u32 {
    let (header, body) = client.read_reply().expect("output comes back");
    assert_eq!(header["op"], "output");
    let text = String::from_utf8(body).unwrap();
    text.lines().next().unwrap().trim().parse().unwrap()
}

#[test]
#[parallel(heavy)]
fn background_children_are_killed_when_the_command_exits_normally() {
    let server = Server::start(&["--allow-exec", "sh"]);
    let mut client = RawClient::connect(server.addr);
    client.send_frame(
        &json!({"op": "exec", "argv": ["sh", "-c", "sleep 60 >/dev/null 2>&1 & echo $!"]}),
        b"",
    );
    let pid = pid_from_first_output(&mut client);
    assert_eq!(
        client.reply(),
        Some(Reply::Exit {
            code: Some(0),
            signal: None
        })
    );
    wait_until_gone(pid, Duration::from_secs(5));
}

#[test]
#[parallel(heavy)]
fn the_time_limit_holds_while_the_client_reads_no_output() {
    let server = Server::start(&[
        "--allow-exec",
        "sh",
        "--exec-timeout",
        "1",
        "--idle-timeout",
        "120",
        "--exec-output-cap",
        "100000000000",
    ]);
    let mut client = RawClient::connect(server.addr);
    // Prints its pid, then output without end; the client reads only the first frame.
    client.send_frame(
        &json!({"op": "exec", "argv": ["sh", "-c", "echo $$; exec yes"]}),
        b"",
    );
    let pid = pid_from_first_output(&mut client);
    wait_until_gone(pid, Duration::from_secs(15));
}

#[test]
#[parallel(heavy)]
fn a_client_that_leaves_after_sending_its_next_request_is_noticed() {
    let server = Server::start(&["--allow-exec", "sh", "--exec-timeout", "120"]);
    let mut client = RawClient::connect(server.addr);
    client.send_frame(
        &json!({"op": "exec", "argv": ["sh", "-c", "echo $$; exec sleep 60"]}),
        b"",
    );
    let pid = pid_from_first_output(&mut client);
    // The next request, sent early, then the client is gone.
    client.send_frame(&json!({"op": "echo", "size": 4}), b"ping");
    std::thread::sleep(Duration::from_millis(200));
    drop(client);
    wait_until_gone(pid, Duration::from_secs(5));
}

#[test]
#[parallel(heavy)]
fn a_request_sent_early_is_still_answered_after_the_command() {
    let server = Server::start(&["--allow-exec", "sh"]);
    let mut client = RawClient::connect(server.addr);
    client.send_frame(
        &json!({"op": "exec", "argv": ["sh", "-c", "sleep 0.3; echo done"]}),
        b"",
    );
    // Two requests sent early, the second with a body, all read ahead while it runs.
    client.send_frame(&json!({"op": "echo", "size": 4}), b"ping");
    client.send_frame(&json!({"op": "echo", "size": 5}), b"pong!");
    let (header, body) = client.read_reply().unwrap();
    assert_eq!(header["op"], "output");
    assert_eq!(body, b"done\n");
    assert!(matches!(
        client.reply(),
        Some(Reply::Exit { code: Some(0), .. })
    ));
    let (header, body) = client.read_reply().unwrap();
    assert_eq!(
        (&header["op"], body.as_slice()),
        (&json!("echo"), &b"ping"[..])
    );
    let (header, body) = client.read_reply().unwrap();
    assert_eq!(
        (&header["op"], body.as_slice()),
        (&json!("echo"), &b"pong!"[..])
    );
}

#[test]
#[parallel(heavy)]
fn a_tutorial_command_loses_its_background_children_when_it_exits() {
    let server = TutorialServer::start(&["cmd"], &["--allow-exec", "sh"]);
    let mut stream = TcpStream::connect(server.addr("cmd")).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    stream
        .write_all(b"sh -c 'sleep 60 >/dev/null 2>&1 & echo $!'\n")
        .unwrap();
    // The `cmd` reply: i(len(h)), h = {"data_size": N}, then N bytes of output.
    let mut prefix = [0u8; 4];
    stream.read_exact(&mut prefix).unwrap();
    let mut header = vec![0u8; u32::from_le_bytes(prefix) as usize];
    stream.read_exact(&mut header).unwrap();
    let header: serde_json::Value = serde_json::from_slice(&header).unwrap();
    let mut output = vec![0u8; header["data_size"].as_u64().unwrap() as usize];
    stream.read_exact(&mut output).unwrap();
    let pid: u32 = String::from_utf8(output).unwrap().trim().parse().unwrap();
    wait_until_gone(pid, Duration::from_secs(5));
}
