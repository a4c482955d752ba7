//! Tutorial listeners tried as a hostile client would: garbage, a huge `filesize`, a
//! traversal name, a command not allowed, a client that vanishes mid-body. Each gets the
//! dialect's error or a close, nothing lands under a final name, and the server keeps
//! serving (a normal request afterwards proves it). And the start-up rules: tutorial
//! listeners bind loopback only, and `--insecure` never opens a command dialect.

use std::net::SocketAddr;

use crate::common::table::{check_every_case, Case};
use crate::common::tutorial::{
    local_files, run_client, tutorial_head, RawTutorial, TutorialServer, DEADLINE,
};
use crate::common::{entries, md5_of, seam, stderr, wait_until, TempDir};
use serial_test::parallel;

/// A normal upload through the tutorial ftp client lands whole.
fn assert_ftp_still_serves(server: &TutorialServer, addr: SocketAddr, name: &str) {
    let (local, md5s) = local_files(&[(name, 50_000)]);
    run_client("ftp.py", addr, &[], &format!("put {name}\n"), local.path());
    let path = server.root().join(name);
    wait_until(DEADLINE, "the normal upload stored", || path.exists());
    assert_eq!(md5_of(&path), md5s[0]);
}

/// A normal upload-md5 conversation on a new connection ends in `100`.
fn assert_upload_md5_still_serves(addr: SocketAddr, name: &str) {
    let mut client = RawTutorial::connect(addr);
    let head = format!(r#"{{"action": "put", "filename": "{name}", "filesize": 2}}"#);
    client.send(&tutorial_head(&head));
    client.send(b"ok");
    assert_eq!(client.read_exact(3), b"200");
    client.send(seam_core::md5_hex(b"ok").as_bytes());
    assert_eq!(client.read_exact(3), b"100");
}

/// No file and no hidden partial file is left in the root, besides `allowed`.
fn assert_root_holds_only(server: &TutorialServer, allowed: &[&str]) {
    let root = server.root().to_path_buf();
    wait_until(DEADLINE, "partial files removed", || {
        entries(&root)
            .iter()
            .all(|name| allowed.contains(&name.as_str()))
    });
}

#[test]
#[parallel(heavy)]
fn garbage_on_an_ftp_listener_closes_that_connection_only() {
    let server = TutorialServer::start(&["ftp"], &[]);
    let mut client = RawTutorial::connect(server.addr("ftp"));
    client.send(b"\xff\xff\xff\x7fthis is no header at all");
    client.read_to_close();
    assert_root_holds_only(&server, &[]);
    assert_ftp_still_serves(&server, server.addr("ftp"), "after-garbage.bin");
}

#[test]
#[parallel(heavy)]
fn a_huge_filesize_gets_an_error_on_upload_md5_and_nothing_is_stored() {
    let server = TutorialServer::start(&["upload-md5"], &["--max-upload", "1000000"]);
    let mut client = RawTutorial::connect(server.addr("upload-md5"));
    client.send(&tutorial_head(
        r#"{"action": "put", "filename": "big.iso", "filesize": 99999999999999}"#,
    ));
    client.send(&[0u8; 1000]);
    let reply = String::from_utf8(client.read_to_close()).unwrap();
    assert!(
        reply.starts_with("error: ") && reply.contains("over the limit"),
        "{reply}"
    );
    assert_root_holds_only(&server, &[]);
    assert_upload_md5_still_serves(server.addr("upload-md5"), "after-huge.txt");
}

#[test]
#[parallel(heavy)]
fn a_traversal_name_on_ftp_is_skipped_and_the_next_file_on_the_connection_lands() {
    let server = TutorialServer::start(&["ftp"], &[]);
    let mut client = RawTutorial::connect(server.addr("ftp"));
    client.send(&tutorial_head(
        r#"{"cmd": "put", "filename": "../escaped.txt", "filesize": 4}"#,
    ));
    client.send(b"evil");
    client.send(&tutorial_head(
        r#"{"cmd": "put", "filename": "good.txt", "filesize": 4}"#,
    ));
    client.send(b"good");
    drop(client);
    let good = server.root().join("good.txt");
    wait_until(DEADLINE, "the next file stored", || good.exists());
    assert_eq!(std::fs::read(good).unwrap(), b"good");
    assert!(!server.root().parent().unwrap().join("escaped.txt").exists());
    assert_root_holds_only(&server, &["good.txt"]);
}

#[test]
#[parallel(heavy)]
fn a_traversal_name_on_upload_md5_is_answered_with_an_error_instead_of_200() {
    let server = TutorialServer::start(&["upload-md5"], &[]);
    let mut client = RawTutorial::connect(server.addr("upload-md5"));
    client.send(&tutorial_head(
        r#"{"action": "put", "filename": "/etc/passwd", "filesize": 3}"#,
    ));
    client.send(b"bad");
    let mut reply = Vec::new();
    while !reply.ends_with(b"path separator; give a plain file name") {
        reply.extend(client.read_exact(1));
        assert!(reply.len() < 200, "{}", String::from_utf8_lossy(&reply));
    }
    assert!(
        reply.starts_with(b"error: bad name"),
        "{}",
        String::from_utf8_lossy(&reply)
    );
    // The same connection goes on with the next upload.
    client.send(&tutorial_head(
        r#"{"action": "put", "filename": "fine.txt", "filesize": 1}"#,
    ));
    client.send(b"!");
    assert_eq!(client.read_exact(3), b"200");
    client.send(seam_core::md5_hex(b"!").as_bytes());
    assert_eq!(client.read_exact(3), b"100");
    assert_root_holds_only(&server, &["fine.txt"]);
}

#[test]
#[parallel(heavy)]
fn a_client_that_vanishes_mid_body_leaves_nothing_behind() {
    let server = TutorialServer::start(&["ftp", "movie", "upload-md5"], &[]);
    for (dialect, head) in [
        (
            "ftp",
            r#"{"cmd": "put", "filename": "cut.bin", "filesize": 1000000}"#,
        ),
        ("movie", r#"{"size": 1000000, "filename": "cut.bin"}"#),
        (
            "upload-md5",
            r#"{"action": "put", "filename": "cut.bin", "filesize": 1000000}"#,
        ),
    ] {
        let mut client = RawTutorial::connect(server.addr(dialect));
        client.send(&tutorial_head(head));
        client.send(&[7u8; 300_000]);
        drop(client);
    }
    // Also after the whole body, before the MD5.
    let mut client = RawTutorial::connect(server.addr("upload-md5"));
    client.send(&tutorial_head(
        r#"{"action": "put", "filename": "no-md5.bin", "filesize": 3}"#,
    ));
    client.send(b"abc");
    assert_eq!(client.read_exact(3), b"200");
    client.send(b"0123");
    drop(client);
    assert_root_holds_only(&server, &[]);
    assert_ftp_still_serves(&server, server.addr("ftp"), "after-vanish.bin");
    assert_upload_md5_still_serves(server.addr("upload-md5"), "after-vanish.txt");
}

#[test]
#[parallel(heavy)]
fn a_bad_md5_text_gets_10000_and_a_close() {
    let server = TutorialServer::start(&["upload-md5"], &[]);
    let mut client = RawTutorial::connect(server.addr("upload-md5"));
    client.send(&tutorial_head(
        r#"{"action": "put", "filename": "m.txt", "filesize": 1}"#,
    ));
    client.send(b"m");
    assert_eq!(client.read_exact(3), b"200");
    client.send(b"this is not an md5 at all........");
    assert_eq!(client.read_to_close(), b"10000");
    assert_root_holds_only(&server, &[]);
    assert_upload_md5_still_serves(server.addr("upload-md5"), "after-bad-md5.txt");
}

/// A `cmd-struct` reply read raw: `i(N)` + N bytes.
fn struct_reply(client: &mut RawTutorial) -> String {
    let len = i32::from_le_bytes(client.read_exact(4).try_into().unwrap());
    String::from_utf8(client.read_exact(len as usize)).unwrap()
}

#[test]
#[parallel(heavy)]
fn a_command_not_allowed_is_refused_inside_the_reply_and_the_connection_goes_on() {
    let server = TutorialServer::start(&["cmd-struct"], &["--allow-exec", "echo"]);
    let mut client = RawTutorial::connect(server.addr("cmd-struct"));
    client.send(b"sh -c 'touch pwned'\n");
    let reply = struct_reply(&mut client);
    assert!(
        reply.contains("\"sh\" is not on this server's allow-list"),
        "{reply}"
    );
    client.send(b"echo 'unclosed\n");
    let reply = struct_reply(&mut client);
    assert!(
        reply.starts_with("seam: the command cannot be split"),
        "{reply}"
    );
    client.send(b"\xff\xfe\n");
    assert_eq!(
        struct_reply(&mut client),
        "seam: the command is not UTF-8 text\n"
    );
    client.send(b"echo still here\n");
    assert_eq!(struct_reply(&mut client), "still here\n");
    assert!(!server.root().join("pwned").exists());
}

#[test]
#[parallel(heavy)]
fn a_command_that_fails_reports_its_status_after_its_output() {
    let server = TutorialServer::start(&["cmd-struct"], &["--allow-exec", "ls"]);
    let mut client = RawTutorial::connect(server.addr("cmd-struct"));
    client.send(b"ls no-such-file\n");
    let reply = struct_reply(&mut client);
    assert!(reply.contains("no-such-file"), "{reply}");
    assert!(
        reply.ends_with("seam: ls exited with status 2\n"),
        "{reply}"
    );
}

#[test]
#[parallel(heavy)]
fn a_command_longer_than_the_limit_is_refused_and_closed() {
    let server = TutorialServer::start(&["cmd-struct"], &["--allow-exec", "echo"]);
    let mut client = RawTutorial::connect(server.addr("cmd-struct"));
    client.send(&vec![b'a'; 5000]);
    let reply = struct_reply(&mut client);
    assert!(reply.contains("longer than 4096 bytes"), "{reply}");
    assert_eq!(client.read_to_close(), b"");
    let mut again = RawTutorial::connect(server.addr("cmd-struct"));
    again.send(b"echo ok\n");
    assert_eq!(struct_reply(&mut again), "ok\n");
}

#[test]
#[parallel(heavy)]
fn cmd_ready_closes_when_recv_ready_is_not_sent() {
    let server = TutorialServer::start(&["cmd-ready"], &["--allow-exec", "echo"]);
    let mut client = RawTutorial::connect(server.addr("cmd-ready"));
    client.send(b"echo hi\n");
    assert_eq!(client.read_exact(1), b"3");
    client.send(b"give it to me");
    assert_eq!(client.read_to_close(), b"");
    let mut again = RawTutorial::connect(server.addr("cmd-ready"));
    again.send(b"echo hi\n");
    assert_eq!(again.read_exact(1), b"3");
    again.send(b"recv_ready");
    assert_eq!(again.read_exact(3), b"hi\n");
}

#[test]
#[parallel(heavy)]
fn a_command_past_the_time_limit_is_killed_and_reported() {
    let server = TutorialServer::start(
        &["cmd"],
        &["--allow-exec", "sleep", "echo", "--exec-timeout", "0.5"],
    );
    let mut client = RawTutorial::connect(server.addr("cmd"));
    client.send(b"sleep 30\n");
    let head_len = i32::from_le_bytes(client.read_exact(4).try_into().unwrap());
    let head: serde_json::Value =
        serde_json::from_slice(&client.read_exact(head_len as usize)).unwrap();
    let size = head["data_size"].as_u64().unwrap();
    let text = String::from_utf8(client.read_exact(size as usize)).unwrap();
    assert!(text.contains("ran past the time limit"), "{text}");
}

/// A `seam serve` command line with tutorial listeners that must not start, and words its
/// error must hold.
struct StartUpRefusal {
    name: &'static str,
    flags: &'static [&'static str],
    error: &'static str,
}

impl Case for StartUpRefusal {
    fn name(&self) -> &str {
        self.name
    }
}

/// The start-up rules: tutorial listeners bind loopback only, even with `--insecure` for a
/// command dialect, which needs `--allow-exec`; an unknown dialect is refused.
const START_UP_REFUSALS: &[StartUpRefusal] = &[
    StartUpRefusal {
        name: "a non-loopback tutorial listener",
        flags: &["--tutorial", "ftp=0.0.0.0:0"],
        error: "loopback addresses only",
    },
    StartUpRefusal {
        name: "--insecure with a command dialect on another address",
        flags: &[
            "--insecure",
            "--tutorial",
            "cmd=0.0.0.0:0",
            "--allow-exec",
            "ls",
        ],
        error: "even with --insecure",
    },
    StartUpRefusal {
        name: "a command dialect without --allow-exec",
        flags: &["--tutorial", "cmd-ready=127.0.0.1:0"],
        error: "--allow-exec",
    },
    StartUpRefusal {
        name: "an unknown dialect",
        flags: &["--tutorial", "ftps=127.0.0.1:0"],
        error: "unknown dialect",
    },
];

#[test]
#[parallel(heavy)]
fn every_tutorial_listener_the_start_up_rules_forbid_is_refused_with_its_reason() {
    check_every_case(START_UP_REFUSALS, |case| {
        let dir = TempDir::new("tutorial-start");
        let output = seam()
            .arg("serve")
            .arg("--listen")
            .arg("127.0.0.1:0")
            .arg("--root")
            .arg(dir.join("root"))
            .args(case.flags)
            .output()
            .expect("seam runs");
        let error = stderr(&output);
        assert!(!output.status.success(), "the server started: {error}");
        assert!(
            error.contains(case.error),
            "{error:?} does not say {:?}",
            case.error
        );
        assert!(!dir.join("root").exists(), "the root was created");
    });
}

#[test]
#[parallel(heavy)]
fn udp_upper_answers_empty_huge_and_binary_datagrams_never_larger_and_keeps_serving() {
    let server = TutorialServer::start(&["udp-upper"], &[]);
    let socket = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    socket
        .set_read_timeout(Some(crate::common::tutorial::DEADLINE))
        .unwrap();
    socket.connect(server.addr("udp-upper")).unwrap();
    let mut buf = vec![0u8; 70_000];
    let huge: Vec<u8> = (0..65_507u32).map(|i| (i % 251) as u8).collect();
    for datagram in [&b""[..], &huge[..], b"\xff\x00abc\xc3\xa9"] {
        socket.send(datagram).unwrap();
        let n = socket.recv(&mut buf).unwrap();
        assert_eq!(&buf[..n], &datagram.to_ascii_uppercase()[..]);
    }
    socket.send(b"still here").unwrap();
    let n = socket.recv(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"STILL HERE");
}
