//! `seam serve --web`: the page's folder over HTTP, and nothing outside it.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use crate::common::{Server, TempDir};
use serial_test::parallel;

/// A response as read off the wire: the head's text and the body's bytes.
struct Response {
    head: String,
    body: Vec<u8>,
}

impl Response {
    fn status(&self) -> u16 {
        self.head[9..12].parse().expect("a status code")
    }

    /// The value of header `name` (case-insensitive), if present.
    fn header(&self, name: &str) -> Option<&str> {
        self.head.lines().skip(1).find_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.eq_ignore_ascii_case(name).then(|| value.trim())
        })
    }
}

/// Sends one request with these extra header lines and reads the whole response.
fn request(addr: &str, method: &str, target: &str, headers: &[&str]) -> Response {
    let mut stream = TcpStream::connect(addr).expect("connect to the page server");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut text = format!("{method} {target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n");
    for header in headers {
        text.push_str(header);
        text.push_str("\r\n");
    }
    text.push_str("\r\n");
    stream.write_all(text.as_bytes()).unwrap();
    let mut bytes = Vec::new();
    stream.read_to_end(&mut bytes).expect("the whole response");
    let split = bytes
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a response head");
    Response {
        head: String::from_utf8_lossy(&bytes[..split]).into_owned(),
        body: bytes[split + 4..].to_vec(),
    }
}

fn get(addr: &str, target: &str, headers: &[&str]) -> Response {
    request(addr, "GET", target, headers)
}

const INDEX: &str = "<!doctype html><title>Seam</title>";
const WASM: &[u8] = b"\0asm\x01\0\0\0";
const SCRIPT: &str = "export const answer = 42;\n";

fn page_server() -> (Server, String, TempDir) {
    let page = TempDir::new("page");
    std::fs::create_dir_all(page.join("pkg")).unwrap();
    std::fs::write(page.join("index.html"), INDEX).unwrap();
    std::fs::write(page.join("index.html.br"), b"brotli bytes").unwrap();
    std::fs::write(page.join("index.html.gz"), b"gzip bytes").unwrap();
    std::fs::write(page.join("app.js"), SCRIPT).unwrap();
    std::fs::write(page.join("style.css"), "body { margin: 0 }\n").unwrap();
    std::fs::write(page.join("pkg/seam_wasm_bg.wasm"), WASM).unwrap();
    std::fs::write(page.join(".secret"), "hidden").unwrap();
    std::fs::create_dir_all(page.join(".git")).unwrap();
    std::fs::write(page.join(".git/config"), "hidden").unwrap();
    let mut server = Server::start(&[
        "--web",
        "127.0.0.1:0",
        "--web-dir",
        page.path().to_str().unwrap(),
    ]);
    let mut line = String::new();
    std::io::BufRead::read_line(&mut server.stdout, &mut line).unwrap();
    let url = line.trim().rsplit(' ').next().unwrap().to_string();
    let addr = url
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_string();
    (server, addr, page)
}

#[test]
#[parallel(heavy)]
fn the_page_is_served_with_its_wasm_as_application_wasm() {
    let (_server, addr, _page) = page_server();
    let index = get(&addr, "/", &[]);
    assert_eq!(index.status(), 200, "{}", index.head);
    assert_eq!(index.body, INDEX.as_bytes());
    let wasm = get(&addr, "/pkg/seam_wasm_bg.wasm?v=1", &[]);
    assert_eq!(wasm.status(), 200, "{}", wasm.head);
    assert_eq!(wasm.header("content-type"), Some("application/wasm"));
    assert_eq!(wasm.body, WASM);
}

#[test]
#[parallel(heavy)]
fn html_scripts_and_styles_get_their_mime_types() {
    let (_server, addr, _page) = page_server();
    for (target, mime) in [
        ("/index.html", "text/html"),
        ("/app.js", "text/javascript"),
        ("/style.css", "text/css"),
    ] {
        let response = get(&addr, target, &[]);
        let kind = response.header("content-type").unwrap_or_default();
        assert!(kind.starts_with(mime), "{target}: {}", response.head);
    }
}

#[test]
#[parallel(heavy)]
fn a_matching_if_none_match_gets_304_without_a_body() {
    let (_server, addr, _page) = page_server();
    let first = get(&addr, "/app.js", &[]);
    let etag = first.header("etag").expect("an ETag").to_string();
    let again = get(&addr, "/app.js", &[&format!("If-None-Match: {etag}")]);
    assert_eq!(again.status(), 304, "{}", again.head);
    assert!(again.body.is_empty());
    let other = get(&addr, "/app.js", &["If-None-Match: \"something-else\""]);
    assert_eq!(other.status(), 200, "{}", other.head);
}

#[test]
#[parallel(heavy)]
fn a_range_request_gets_206_with_those_bytes() {
    let (_server, addr, _page) = page_server();
    let response = get(&addr, "/app.js", &["Range: bytes=7-11"]);
    assert_eq!(response.status(), 206, "{}", response.head);
    assert_eq!(response.body, &SCRIPT.as_bytes()[7..12]);
    assert_eq!(
        response.header("content-range"),
        Some(format!("bytes 7-11/{}", SCRIPT.len()).as_str())
    );
}

#[test]
#[parallel(heavy)]
fn accept_encoding_br_gets_the_brotli_file_with_content_encoding_br() {
    let (_server, addr, _page) = page_server();
    let response = get(&addr, "/", &["Accept-Encoding: gzip, br"]);
    assert_eq!(response.status(), 200, "{}", response.head);
    assert_eq!(response.header("content-encoding"), Some("br"));
    assert!(response
        .header("content-type")
        .unwrap()
        .starts_with("text/html"));
    assert_eq!(response.body, b"brotli bytes");
    let gzip = get(&addr, "/", &["Accept-Encoding: gzip"]);
    assert_eq!(gzip.header("content-encoding"), Some("gzip"));
    assert_eq!(gzip.body, b"gzip bytes");
    let plain = get(&addr, "/", &[]);
    assert_eq!(plain.header("content-encoding"), None);
    assert_eq!(plain.body, INDEX.as_bytes());
}

#[test]
#[parallel(heavy)]
fn every_response_carries_the_security_headers() {
    let (_server, addr, _page) = page_server();
    for target in ["/", "/pkg/seam_wasm_bg.wasm", "/missing.js", "/.secret"] {
        let response = get(&addr, target, &[]);
        let policy = response
            .header("content-security-policy")
            .unwrap_or_default();
        assert!(
            policy.contains("script-src 'self' 'wasm-unsafe-eval'"),
            "{target}: {}",
            response.head
        );
        assert!(policy.contains("default-src 'self'"), "{policy}");
        assert_eq!(response.header("x-content-type-options"), Some("nosniff"));
        assert_eq!(response.header("referrer-policy"), Some("no-referrer"));
        assert_eq!(
            response.header("cross-origin-opener-policy"),
            Some("same-origin")
        );
    }
}

#[test]
#[parallel(heavy)]
fn nothing_outside_the_page_folder_or_hidden_is_served() {
    let (_server, addr, _page) = page_server();
    for target in [
        "/../Cargo.toml",
        "/.secret",
        "/.git/config",
        "/%2e%2e/Cargo.toml",
        "/%2E%2E/%2e%2e/etc/passwd",
        "/%2esecret",
        "/pkg/../../etc/passwd",
        "/pkg/%2e%2e/%2e%2e/etc/passwd",
        "/missing.js",
    ] {
        let response = get(&addr, target, &[]);
        assert_eq!(response.status(), 404, "{target}: {}", response.head);
    }
}

#[test]
#[parallel(heavy)]
fn only_get_and_head_are_answered() {
    let (_server, addr, _page) = page_server();
    let head = request(&addr, "HEAD", "/app.js", &[]);
    assert_eq!(head.status(), 200, "{}", head.head);
    assert!(head.body.is_empty());
    let post = request(&addr, "POST", "/app.js", &["Content-Length: 0"]);
    assert_eq!(post.status(), 405, "{}", post.head);
}

#[test]
#[parallel(heavy)]
fn a_stalled_client_neither_holds_the_server_nor_its_connection_for_long() {
    let (_server, addr, _page) = page_server();
    let mut stalled = TcpStream::connect(&addr).unwrap();
    stalled.write_all(b"GET / HTTP/1.1\r\nHost:").unwrap();
    let silent = TcpStream::connect(&addr).unwrap();
    let meanwhile = get(&addr, "/app.js", &[]);
    assert_eq!(meanwhile.status(), 200, "{}", meanwhile.head);

    let started = Instant::now();
    for mut stream in [stalled, silent] {
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .unwrap();
        let mut rest = Vec::new();
        let _ = stream.read_to_end(&mut rest);
        assert!(
            !String::from_utf8_lossy(&rest).contains("200 OK"),
            "a stalled request was answered"
        );
    }
    assert!(
        started.elapsed() < Duration::from_secs(25),
        "the server kept a stalled connection open for {:?}",
        started.elapsed()
    );
}
