//! Memory of idle connections: a connection that waits for its next request holds a small
//! read buffer, not the large one a body streams through. The figure is printed; the bound
//! asserted is generous (the target, 16 KiB per connection, is checked by the benchmark
//! `native/benches/idle.py` with 2,000 connections).

use std::net::TcpStream;

use crate::common::{RawClient, Server};
use seam_core::messages::Reply;
use serde_json::json;
use serial_test::serial;

/// Connections held idle in the test.
const IDLE: usize = 400;

/// The largest growth of the server's resident memory accepted per idle connection.
const BOUND_PER_CONNECTION: u64 = 64 * 1024;

/// The server's resident set size, in bytes.
fn server_rss(server: &Server) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{}/status", server.child.id()))
        .expect("the server's /proc status");
    let kib: u64 = status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|kib| kib.parse().ok())
        .expect("VmRSS in /proc status");
    kib * 1024
}

/// One echo of `body` on a connection that then stays open, idle.
fn echo_then_idle(server: &Server, body: &[u8]) -> TcpStream {
    let mut client = RawClient::connect(server.addr);
    client.send_frame(&json!({"op": "echo", "size": body.len()}), body);
    let (header, echoed) = client.read_reply().expect("the echo comes back");
    assert!(matches!(
        Reply::from_header(&header),
        Ok(Reply::Echo { .. })
    ));
    assert_eq!(echoed.len(), body.len());
    client.stream
}

#[test]
#[serial(heavy)]
fn an_idle_connection_does_not_keep_a_large_read_buffer() {
    let server = Server::start(&[]);
    // A body larger than any small buffer, so that each connection has read through a
    // large one before it goes idle.
    let body = vec![b'x'; 200 * 1024];
    // Warm up: connections that come and go, as on any server.
    for _ in 0..8 {
        drop(echo_then_idle(&server, &body));
    }
    std::thread::sleep(std::time::Duration::from_millis(200));
    let before = server_rss(&server);
    let idle: Vec<TcpStream> = (0..IDLE).map(|_| echo_then_idle(&server, &body)).collect();
    std::thread::sleep(std::time::Duration::from_millis(200));
    let after = server_rss(&server);
    let per_connection = after.saturating_sub(before) / IDLE as u64;
    println!(
        "server RSS: {} KiB before, {} KiB with {IDLE} idle connections: {} KiB per connection",
        before / 1024,
        after / 1024,
        per_connection / 1024
    );
    assert!(
        per_connection <= BOUND_PER_CONNECTION,
        "{per_connection} bytes per idle connection"
    );
    drop(idle);
}
