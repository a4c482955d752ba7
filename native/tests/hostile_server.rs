//! A hostile server cannot write to the user's terminal: control characters in anything a
//! client prints from the network (names, error messages) are shown as U+FFFD.

use std::io::{Read, Write};
use std::net::TcpListener;

use crate::common::seam;
use seam_core::messages::{ErrorCode, FileEntry, Reply};
use seam_core::{Decoder, Encoder, Event, Framing};
use serial_test::parallel;

/// An escape sequence that would clear the screen.
const CLEAR_SCREEN: &str = "\u{1b}[2J";

/// Serves one connection: reads the client's hello, welcomes it, reads its request and
/// answers `reply`.
fn answer_once(listener: TcpListener, reply: Reply) {
    let (mut stream, _) = listener.accept().expect("the client connects");
    let mut decoder = Decoder::new(Framing::default());
    let encoder = Encoder::default();
    let mut buf = vec![0u8; 64 * 1024];
    let mut frames = 0;
    let mut pending = Vec::new();
    while frames < 2 {
        let n = stream.read(&mut buf).expect("read");
        if n == 0 {
            return;
        }
        pending.extend_from_slice(&buf[..n]);
        let mut input = &pending[..];
        while let Ok(Some(event)) = decoder.poll(&mut input) {
            if let Event::MessageEnd { .. } = event {
                frames += 1;
                let answer = if frames == 1 {
                    Reply::Welcome {
                        server: "hostile".into(),
                    }
                } else {
                    reply.clone()
                };
                let frame = encoder.frame(&answer, b"").expect("frame");
                stream.write_all(&frame).expect("write");
            }
        }
        pending = input.to_vec();
    }
    let _ = stream.flush();
}

/// Runs a client command against a server that answers `reply`; (stdout, stderr).
fn against_hostile_server(args: &[&str], reply: Reply) -> (String, String) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().unwrap().to_string();
    let server = std::thread::spawn(move || answer_once(listener, reply));
    let output = seam()
        .args(args)
        .args(["--server", &addr])
        .env_remove("SEAM_TOKEN")
        .output()
        .expect("seam runs");
    let _ = server.join();
    (
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
#[parallel(heavy)]
fn ls_escapes_control_characters_in_names() {
    let listing = Reply::Listing {
        files: vec![FileEntry {
            name: format!("evil{CLEAR_SCREEN}.txt"),
            bytes: 1,
        }],
    };
    let (stdout, _) = against_hostile_server(&["ls"], listing);
    assert!(!stdout.contains('\u{1b}'), "{stdout:?}");
    assert!(stdout.contains("evil\u{fffd}[2J.txt"), "{stdout:?}");
}

#[test]
#[parallel(heavy)]
fn error_messages_escape_control_characters() {
    let error = Reply::Error {
        code: ErrorCode::NotFound,
        message: format!("no such file{CLEAR_SCREEN}\rseam: all good"),
    };
    let (_, stderr) = against_hostile_server(&["rm", "x"], error);
    assert!(!stderr.contains('\u{1b}'), "{stderr:?}");
    assert!(!stderr.contains('\r'), "{stderr:?}");
    assert!(stderr.contains("no such file\u{fffd}[2J"), "{stderr:?}");
}

#[test]
#[parallel(heavy)]
fn result_lines_escape_control_characters() {
    let deleted = Reply::Deleted {
        name: format!("x{CLEAR_SCREEN}"),
    };
    let (stdout, _) = against_hostile_server(&["rm", "x"], deleted);
    assert!(!stdout.contains('\u{1b}'), "{stdout:?}");
    assert!(stdout.contains("deleted x\u{fffd}[2J"), "{stdout:?}");
}
