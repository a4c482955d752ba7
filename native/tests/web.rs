//! `seam serve --web`: the page's folder over HTTP, and nothing outside it.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;

use common::{Server, TempDir};

fn get(addr: &str, target: &str) -> String {
    let mut stream = TcpStream::connect(addr).expect("connect to the page server");
    write!(stream, "GET {target} HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    response
}

fn page_server() -> (Server, String, TempDir) {
    let page = TempDir::new("page");
    std::fs::create_dir_all(page.join("pkg")).unwrap();
    std::fs::write(
        page.join("index.html"),
        "<!doctype html><title>Seam</title>",
    )
    .unwrap();
    std::fs::write(page.join("pkg/seam_wasm_bg.wasm"), b"\0asm\x01\0\0\0").unwrap();
    std::fs::write(page.join(".secret"), "hidden").unwrap();
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
fn the_page_is_served_with_its_wasm_as_application_wasm() {
    let (_server, addr, _page) = page_server();
    let index = get(&addr, "/");
    assert!(index.starts_with("HTTP/1.1 200"), "{index}");
    assert!(index.contains("<title>Seam</title>"));
    let wasm = get(&addr, "/pkg/seam_wasm_bg.wasm?v=1");
    assert!(wasm.contains("Content-Type: application/wasm"), "{wasm}");
}

#[test]
fn nothing_outside_the_page_folder_or_hidden_is_served() {
    let (_server, addr, _page) = page_server();
    for target in [
        "/../Cargo.toml",
        "/.secret",
        "/pkg/../../etc/passwd",
        "/%2e%2e/x",
        "/missing.js",
    ] {
        let response = get(&addr, target);
        assert!(response.starts_with("HTTP/1.1 404"), "{target}: {response}");
    }
}
