//! UDP on loopback: `seam serve --udp` and `seam udp send`. What the tutorials explain,
//! shown: a datagram keeps its boundaries, datagrams can be lost, and one larger than the
//! receiver's buffer is cut short, which Seam reports instead of returning half a message.
//! And what they do not: a reply is never larger than its request (no amplification).

use std::net::UdpSocket;
use std::process::Output;
use std::time::{Duration, Instant};

use crate::common::{seam, stderr, Server};
use seam_core::{decode_datagram, DecodeError, Encoder, Framing};
use serde_json::json;
use serial_test::parallel;

fn udp_send(to: &str, extra: &[&str]) -> Output {
    seam()
        .args(["udp", "send"])
        .args(extra)
        .args(["--to", to])
        .env_remove("SEAM_SERVER")
        .output()
        .expect("seam runs")
}

fn echo_datagram(body: &[u8]) -> Vec<u8> {
    Encoder::default()
        .frame(&json!({"op": "echo", "size": body.len()}), body)
        .unwrap()
}

fn socket_to(server: &Server) -> UdpSocket {
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    socket.connect(server.addr).unwrap();
    socket
}

#[test]
#[parallel(heavy)]
fn a_message_comes_back_in_one_datagram() {
    let server = Server::start(&["--udp"]);
    let output = udp_send(&server.addr_arg(), &["hello over udp"]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(String::from_utf8_lossy(&output.stdout), "hello over udp\n");
    // TCP on the same port still works.
    let tcp = server.client(&["send", "and tcp"]);
    assert_eq!(String::from_utf8_lossy(&tcp.stdout), "and tcp\n");
}

#[test]
#[parallel(heavy)]
fn a_reply_larger_than_the_receive_buffer_is_reported_as_truncated() {
    let server = Server::start(&["--udp"]);
    let output = udp_send(
        &server.addr_arg(),
        &["a message of some length", "--recv-buffer", "16"],
    );
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert!(stderr(&output).contains("truncated"), "{}", stderr(&output));
    assert!(output.stdout.is_empty(), "no half message is printed");
    // Exactly big enough is whole.
    let text = "fits exactly";
    let needed = echo_datagram(text.as_bytes()).len().to_string();
    let output = udp_send(&server.addr_arg(), &[text, "--recv-buffer", &needed]);
    assert!(output.status.success(), "{}", stderr(&output));

    // The same, by hand: a datagram read into a short buffer is cut, and the decoder says so.
    let socket = socket_to(&server);
    socket
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    socket.send(&echo_datagram(&[7u8; 1000])).unwrap();
    let mut small = [0u8; 100];
    let n = socket.recv(&mut small).unwrap();
    assert_eq!(n, 100, "the system hands over only what fits");
    assert!(matches!(
        decode_datagram(&Framing::default(), &small[..n]),
        Err(DecodeError::Truncated { .. })
    ));
}

#[test]
#[parallel(heavy)]
fn an_unanswered_datagram_is_reported_as_lost() {
    // A socket that receives and never answers: every datagram sent to it is "lost".
    let black_hole = UdpSocket::bind("127.0.0.1:0").unwrap();
    let to = black_hole.local_addr().unwrap().to_string();
    let started = Instant::now();
    let output = udp_send(&to, &["anyone there?", "--timeout", "0.5"]);
    let waited = started.elapsed();
    assert_eq!(output.status.code(), Some(4), "{}", stderr(&output));
    assert!(stderr(&output).contains("lost"), "{}", stderr(&output));
    assert!(waited >= Duration::from_millis(500), "{waited:?}");
    assert!(waited < Duration::from_secs(10), "{waited:?}");
    // It did arrive, whole: the loss was of the answer that never came.
    let mut buf = [0u8; 1024];
    black_hole
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let n = black_hole.recv(&mut buf).unwrap();
    assert!(decode_datagram(&Framing::default(), &buf[..n]).is_ok());
}

#[test]
#[parallel(heavy)]
fn a_closed_port_is_reported_as_such() {
    let port = UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    // The socket is closed again: the system answers with ICMP port unreachable.
    let output = udp_send(&port.to_string(), &["hello?", "--timeout", "2"]);
    assert_eq!(output.status.code(), Some(4), "{}", stderr(&output));
    let message = stderr(&output);
    assert!(
        message.contains("port is closed") || message.contains("lost"),
        "{message}"
    );
}

#[test]
#[parallel(heavy)]
fn without_udp_the_server_does_not_answer_datagrams() {
    let server = Server::start(&[]);
    let output = udp_send(&server.addr_arg(), &["hello?", "--timeout", "0.5"]);
    assert_eq!(output.status.code(), Some(4), "{}", stderr(&output));
}

#[test]
#[parallel(heavy)]
fn datagram_boundaries_are_kept() {
    let server = Server::start(&["--udp"]);
    let socket = socket_to(&server);
    socket
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let sizes = [1usize, 0, 1000, 30_000, 5];
    // Sent back to back: over TCP these would merge into one stream; over UDP each one
    // comes back as a datagram of its own.
    for (i, size) in sizes.iter().enumerate() {
        socket.send(&echo_datagram(&vec![i as u8; *size])).unwrap();
    }
    let mut got = Vec::new();
    let mut buf = vec![0u8; 65_536];
    for _ in sizes {
        let n = socket.recv(&mut buf).unwrap();
        let datagram = decode_datagram(&Framing::default(), &buf[..n])
            .expect("each datagram is exactly one whole frame");
        assert_eq!(datagram.header["op"], "echo");
        assert!(datagram
            .body
            .iter()
            .all(|&b| Some(&b) == datagram.body.first()));
        got.push(datagram.body.len());
    }
    got.sort_unstable();
    let mut want = sizes.to_vec();
    want.sort_unstable();
    assert_eq!(got, want);
}

#[test]
#[parallel(heavy)]
fn datagrams_can_be_lost() {
    let server = Server::start(&["--udp"]);
    let socket = socket_to(&server);
    // Far more than the receive buffers hold, sent without reading any reply: the system
    // drops what does not fit, silently.
    let sent = 1000;
    let request = echo_datagram(&[b'L'; 60_000]);
    for _ in 0..sent {
        socket.send(&request).unwrap();
    }
    std::thread::sleep(Duration::from_millis(300));
    socket
        .set_read_timeout(Some(Duration::from_millis(300)))
        .unwrap();
    let mut buf = vec![0u8; 65_536];
    let mut received = 0;
    while let Ok(n) = socket.recv(&mut buf) {
        // What does come is whole.
        let datagram = decode_datagram(&Framing::default(), &buf[..n]).unwrap();
        assert_eq!(datagram.body.len(), 60_000);
        received += 1;
    }
    assert!(received > 0, "some echoes come back");
    assert!(received < sent, "all {sent} came back: nothing was lost?");
}

#[test]
#[parallel(heavy)]
fn no_reply_is_ever_larger_than_its_request() {
    let server = Server::start(&["--udp"]);
    let socket = socket_to(&server);
    socket
        .set_read_timeout(Some(Duration::from_millis(300)))
        .unwrap();
    let encoder = Encoder::default();
    let requests: Vec<Vec<u8>> =
        vec![
        vec![0xff],
        b"\x02\x00\x00\x00{}".to_vec(),
        b"\xff\xff\xff\x7f".to_vec(),
        encoder.frame(&json!({"op": "list"}), b"").unwrap(),
        encoder.frame(&json!({"op": "get", "name": "x"}), b"").unwrap(),
        encoder
            .frame(&json!({"op": "echo", "size": 3, "pad": "x".repeat(100)}), b"abc")
            .unwrap(),
        encoder
            .frame(
                &json!({"op": "delete", "name": "a name long enough for an error frame to fit"}),
                b"",
            )
            .unwrap(),
        [echo_datagram(b"two"), echo_datagram(b"frames")].concat(),
    ];
    let mut buf = vec![0u8; 65_536];
    let mut replies = 0;
    for request in &requests {
        socket.send(request).unwrap();
        if let Ok(n) = socket.recv(&mut buf) {
            assert!(
                n <= request.len(),
                "a {n}-byte reply to a {}-byte request",
                request.len()
            );
            replies += 1;
        }
    }
    // The padded echo and the long delete do get (smaller) answers.
    assert!(replies >= 2, "{replies}");
}
