//! The file service end to end over loopback TCP: the real `seam serve` and the real client
//! commands, checked by the files and their MD5s.

use std::io::Read;
use std::time::Duration;

use crate::common::{
    assert_ok, json_lines, md5_of, wait_until, write_pattern, RawClient, Server, TempDir,
};
use seam_core::messages::Reply;
use serde_json::{json, Value};
use serial_test::{parallel, serial};

#[test]
#[serial(heavy)]
fn a_256_mib_file_goes_up_and_comes_back_with_the_same_md5() {
    let server = Server::start(&[]);
    let local = TempDir::new("big");
    let path = local.join("big.bin");
    let md5 = write_pattern(&path, 256 << 20, 1);
    let up = server.client(&["put", path.to_str().unwrap(), "--json"]);
    assert_ok(&up, "upload");
    assert_eq!(json_lines(&up)[0]["md5"], md5);
    assert_eq!(md5_of(&server.root.join("big.bin")), md5);

    let back = local.join("back.bin");
    let down = server.client(&["get", "big.bin", "-o", back.to_str().unwrap(), "--json"]);
    assert_ok(&down, "download");
    assert_eq!(json_lines(&down)[0]["md5"], md5);
    assert_eq!(md5_of(&back), md5);
}

#[test]
#[parallel(heavy)]
fn several_files_go_up_one_after_another_on_one_connection() {
    let server = Server::start(&[]);
    let local = TempDir::new("several");
    let mut expected = Vec::new();
    for (i, len) in [0u64, 1, 65_536, 3_000_001].into_iter().enumerate() {
        let path = local.join(&format!("f{i}.bin"));
        expected.push((format!("f{i}.bin"), write_pattern(&path, len, i as u64)));
    }
    let paths: Vec<String> = (0..4)
        .map(|i| local.join(&format!("f{i}.bin")).display().to_string())
        .collect();
    let mut args = vec!["put", "--json"];
    args.extend(paths.iter().map(String::as_str));
    let output = server.client(&args);
    assert_ok(&output, "upload");
    assert_eq!(json_lines(&output).len(), 4);
    for (name, md5) in expected {
        assert_eq!(md5_of(&server.root.join(&name)), md5, "{name}");
    }
    let listing = server.client(&["ls", "--json"]);
    let names: Vec<Value> = json_lines(&listing)
        .into_iter()
        .map(|v| v["name"].clone())
        .collect();
    assert_eq!(
        names,
        [
            json!("f0.bin"),
            json!("f1.bin"),
            json!("f2.bin"),
            json!("f3.bin")
        ]
    );
}

#[test]
#[parallel(heavy)]
fn an_upload_cut_mid_transfer_resumes_and_verifies_the_whole_file() {
    let server = Server::start(&[]);
    let local = TempDir::new("resume-up");
    let path = local.join("movie.bin");
    let total: u64 = 8 << 20;
    let md5 = write_pattern(&path, total, 3);
    let bytes = std::fs::read(&path).unwrap();

    // A client that dies after 3 MiB of the body.
    let mut raw = RawClient::connect(server.addr);
    raw.send_frame(
        &json!({"op": "put", "name": "movie.bin", "total": total}),
        b"",
    );
    assert!(matches!(raw.reply(), Some(Reply::Ready { offset: 0, .. })));
    raw.send_head(&json!({"op": "put_data", "size": total}));
    raw.send_bytes(&bytes[..3 << 20]);
    drop(raw);
    assert!(
        !server.root.join("movie.bin").exists(),
        "nothing under the final name"
    );

    // The server releases the name once it has written what it got.
    let resumed = || server.client(&["put", path.to_str().unwrap(), "--resume", "--json"]);
    let mut output = resumed();
    wait_until(Duration::from_secs(10), "the name released", || {
        if output.status.success() {
            return true;
        }
        output = resumed();
        false
    });
    let line = &json_lines(&output)[0];
    assert_eq!(line["md5"], md5);
    assert_eq!(
        line["resumed_from"],
        json!(3u64 << 20),
        "resumed from what the server held"
    );
    assert_eq!(md5_of(&server.root.join("movie.bin")), md5);
    let leftovers: Vec<_> = std::fs::read_dir(&server.root)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|name| name.ends_with(".seam-part"))
        .collect();
    assert!(leftovers.is_empty(), "no partial file left: {leftovers:?}");
}

#[test]
#[parallel(heavy)]
fn a_download_cut_mid_transfer_resumes_and_verifies_the_whole_file() {
    let server = Server::start(&[]);
    let total: u64 = 5 << 20;
    let md5 = write_pattern(&server.root.join("data.bin"), total, 4);
    let local = TempDir::new("resume-down");
    // What an interrupted download leaves: the first 2 MiB in the hidden partial file.
    let full = std::fs::read(server.root.join("data.bin")).unwrap();
    std::fs::write(local.join(".data.bin.seam-part"), &full[..2 << 20]).unwrap();
    let dest = local.join("data.bin");
    let output = server.client(&[
        "get",
        "data.bin",
        "-o",
        dest.to_str().unwrap(),
        "--resume",
        "--json",
    ]);
    assert_ok(&output, "resumed download");
    assert_eq!(json_lines(&output)[0]["resumed_from"], json!(2u64 << 20));
    assert_eq!(md5_of(&dest), md5);
    assert!(!local.join(".data.bin.seam-part").exists());
}

#[test]
#[parallel(heavy)]
fn a_resumed_download_of_wrong_bytes_fails_the_md5_check_and_writes_nothing() {
    let server = Server::start(&[]);
    write_pattern(&server.root.join("data.bin"), 1 << 20, 5);
    let local = TempDir::new("resume-bad");
    std::fs::write(local.join(".data.bin.seam-part"), vec![0u8; 1000]).unwrap();
    let dest = local.join("data.bin");
    let output = server.client(&["get", "data.bin", "-o", dest.to_str().unwrap(), "--resume"]);
    assert_eq!(
        output.status.code(),
        Some(6),
        "exit code for an MD5 mismatch"
    );
    assert!(!dest.exists(), "nothing under the final name");
}

#[test]
#[parallel(heavy)]
fn two_clients_upload_at_once_and_both_files_arrive_whole() {
    let server = Server::start(&[]);
    let local = TempDir::new("two");
    let a = local.join("a.bin");
    let b = local.join("b.bin");
    let md5_a = write_pattern(&a, 40 << 20, 10);
    let md5_b = write_pattern(&b, 40 << 20, 11);
    let spawn = |path: &std::path::Path| {
        crate::common::seam()
            .args([
                "put",
                path.to_str().unwrap(),
                "--quiet",
                "--server",
                &server.addr_arg(),
            ])
            .spawn()
            .expect("client starts")
    };
    let (mut first, mut second) = (spawn(&a), spawn(&b));
    assert!(first.wait().unwrap().success());
    assert!(second.wait().unwrap().success());
    assert_eq!(md5_of(&server.root.join("a.bin")), md5_a);
    assert_eq!(md5_of(&server.root.join("b.bin")), md5_b);
}

#[test]
#[parallel(heavy)]
fn an_existing_file_is_refused_without_force_and_replaced_with_it() {
    let server = Server::start(&[]);
    let local = TempDir::new("force");
    let path = local.join("x.txt");
    write_pattern(&path, 10, 1);
    assert_ok(
        &server.client(&["put", path.to_str().unwrap(), "--quiet"]),
        "first upload",
    );
    let md5 = write_pattern(&path, 20, 2);
    let refused = server.client(&["put", path.to_str().unwrap(), "--json"]);
    assert_eq!(refused.status.code(), Some(7));
    assert_eq!(json_lines(&refused)[0]["error"], "exists");
    assert_ok(
        &server.client(&["put", path.to_str().unwrap(), "--force", "--quiet"]),
        "forced upload",
    );
    assert_eq!(md5_of(&server.root.join("x.txt")), md5);
}

#[test]
#[parallel(heavy)]
fn a_local_file_is_not_overwritten_by_a_download_without_force() {
    let server = Server::start(&[]);
    write_pattern(&server.root.join("y.bin"), 100, 1);
    let local = TempDir::new("local-exists");
    let dest = local.join("y.bin");
    std::fs::write(&dest, b"mine").unwrap();
    let output = server.client(&["get", "y.bin", "-o", dest.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(7));
    assert_eq!(std::fs::read(&dest).unwrap(), b"mine");
}

#[test]
#[parallel(heavy)]
fn put_as_names_the_file_on_the_server_and_rm_deletes_it() {
    let server = Server::start(&[]);
    let local = TempDir::new("as");
    let path = local.join("local-name.txt");
    let md5 = write_pattern(&path, 1234, 9);
    assert_ok(
        &server.client(&[
            "put",
            path.to_str().unwrap(),
            "--as",
            "remote.txt",
            "--quiet",
        ]),
        "upload",
    );
    assert_eq!(md5_of(&server.root.join("remote.txt")), md5);
    let rm = server.client(&["rm", "remote.txt", "--json"]);
    assert_ok(&rm, "rm");
    assert_eq!(json_lines(&rm)[0]["op"], "rm");
    assert!(!server.root.join("remote.txt").exists());
    let again = server.client(&["rm", "remote.txt"]);
    assert_eq!(
        again.status.code(),
        Some(5),
        "the server refuses: not found"
    );
}

#[test]
#[parallel(heavy)]
fn no_progress_bar_is_drawn_when_stderr_is_not_a_terminal() {
    let server = Server::start(&[]);
    let local = TempDir::new("quiet");
    let path = local.join("p.bin");
    write_pattern(&path, 2 << 20, 1);
    let output = server.client(&["put", path.to_str().unwrap()]);
    assert_ok(&output, "upload");
    assert!(
        output.stderr.is_empty(),
        "stderr: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(String::from_utf8_lossy(&output.stdout).starts_with("stored p.bin"));
}

#[test]
#[parallel(heavy)]
fn a_connection_refused_gives_exit_code_4() {
    let output = crate::common::seam()
        .args(["ls", "--server", "127.0.0.1:1"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(4));
}

#[test]
#[parallel(heavy)]
fn the_token_is_required_and_accepted() {
    let server = Server::start(&["--token", "s3cret"]);
    let without = server.client(&["ls"]);
    assert_eq!(without.status.code(), Some(5));
    assert!(String::from_utf8_lossy(&without.stderr).contains("unauthorized"));
    let with = crate::common::seam()
        .args(["ls", "--server", &server.addr_arg(), "--token", "s3cret"])
        .output()
        .unwrap();
    assert_ok(&with, "ls with the token");
}

#[test]
#[parallel(heavy)]
fn a_non_loopback_address_needs_a_token_or_insecure() {
    let dir = TempDir::new("insecure");
    let output = crate::common::seam()
        .args(["serve", "--listen", "0.0.0.0:0", "--root"])
        .arg(dir.join("root"))
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("--insecure"));
}

#[test]
#[parallel(heavy)]
fn sigterm_stops_the_server_and_a_restart_on_the_same_port_works() {
    let mut server = Server::start(&[]);
    let addr = server.addr;
    // An open connection must not keep the port from being reused.
    let mut idle = RawClient::connect(addr);
    idle.send_frame(&json!({"op": "hello"}), b"");
    assert!(matches!(idle.reply(), Some(Reply::Welcome { .. })));
    let status = server.terminate();
    assert!(status.success(), "graceful exit: {status:?}");
    let mut rest = Vec::new();
    let _ = idle.stream.read_to_end(&mut rest);

    let dir = TempDir::new("restart");
    let again = Server::start_in(dir, server.root.clone(), &addr.to_string(), &[]);
    assert_eq!(again.addr, addr);
    crate::common::assert_server_still_serves(&again, "restart");
}

#[test]
#[parallel(heavy)]
fn sigterm_during_an_upload_leaves_nothing_under_the_final_name() {
    let mut server = Server::start(&[]);
    let mut raw = RawClient::connect(server.addr);
    raw.send_frame(
        &json!({"op": "put", "name": "half.bin", "total": 10_000_000}),
        b"",
    );
    assert!(matches!(raw.reply(), Some(Reply::Ready { .. })));
    raw.send_head(&json!({"op": "put_data", "size": 10_000_000}));
    raw.send_bytes(&vec![1u8; 1_000_000]);
    std::thread::sleep(Duration::from_millis(100));
    drop(raw);
    server.terminate();
    assert!(!server.root.join("half.bin").exists());
}

#[test]
#[parallel(heavy)]
fn a_client_trace_records_every_chunk_and_replays_into_the_same_frames() {
    let server = Server::start(&[]);
    let local = TempDir::new("trace");
    let path = local.join("traced.bin");
    let md5 = write_pattern(&path, 300_000, 8);
    let trace = local.join("put.trace");
    let output = server.client(&[
        "put",
        path.to_str().unwrap(),
        "--quiet",
        "--trace",
        trace.to_str().unwrap(),
    ]);
    assert_ok(&output, "traced upload");
    let chunks =
        seam_core::parse_trace(&std::fs::read_to_string(&trace).unwrap()).expect("a valid trace");
    let sent: Vec<u8> = chunks
        .iter()
        .filter(|c| c.dir == seam_core::Direction::Out)
        .flat_map(|c| c.bytes.iter().copied())
        .collect();
    let received = chunks
        .iter()
        .filter(|c| c.dir == seam_core::Direction::In)
        .count();
    assert!(received >= 3, "the replies were traced too");
    let mut decoder = seam_core::Decoder::default();
    let mut ops = Vec::new();
    let mut body = seam_core::BodyDigest::new();
    for event in decoder.feed(&sent) {
        match event.expect("the client sent valid frames") {
            seam_core::Event::Header { header, .. } => {
                ops.push(header["op"].as_str().unwrap().to_string())
            }
            seam_core::Event::BodyPiece { bytes, .. } => body.update(bytes),
            _ => {}
        }
    }
    decoder
        .finish()
        .expect("the trace ends on a frame boundary");
    assert_eq!(ops, ["hello", "put", "put_data", "put_end"]);
    assert_eq!(body.finish_hex(), md5);
}

#[test]
#[parallel(heavy)]
fn a_server_trace_numbers_each_connection() {
    let local = TempDir::new("server-trace");
    let trace = local.join("server.trace");
    let server = Server::start(&["--trace", trace.to_str().unwrap()]);
    let path = local.join("one.txt");
    write_pattern(&path, 1000, 1);
    assert_ok(
        &server.client(&["put", path.to_str().unwrap(), "--quiet"]),
        "upload",
    );
    assert_ok(&server.client(&["ls", "--quiet"]), "ls");
    let chunks =
        seam_core::parse_trace(&std::fs::read_to_string(&trace).unwrap()).expect("a valid trace");
    let mut conns: Vec<u64> = chunks.iter().map(|c| c.conn).collect();
    conns.dedup();
    conns.sort_unstable();
    conns.dedup();
    assert_eq!(conns, [1, 2], "two connections, numbered");
    let uploaded: usize = chunks
        .iter()
        .filter(|c| c.conn == 1 && c.dir == seam_core::Direction::In)
        .map(|c| c.bytes.len())
        .sum();
    assert!(uploaded > 1000, "the upload's bytes are in the trace");
}

#[test]
#[parallel(heavy)]
fn a_refused_download_leaves_no_file_behind() {
    let server = Server::start(&[]);
    let local = TempDir::new("refused-get");
    let dest = local.join("missing.bin");
    let output = server.client(&["get", "missing.bin", "-o", dest.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(5), "not found is a refusal");
    let left: Vec<_> = std::fs::read_dir(local.path()).unwrap().collect();
    assert!(left.is_empty(), "nothing written: {left:?}");
}
