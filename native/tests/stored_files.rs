//! What the file service keeps beside the files: the MD5 recorded when a file is stored
//! (so downloads never rehash), the partial files of unfinished uploads (listed, removed,
//! swept after `--partial-ttl`, counted against `--max-partial-bytes`), and the client's
//! own partial downloads (never written through a link).

use std::io::{Read, Write};
use std::path::Path;
use std::time::{Duration, Instant, SystemTime};

use crate::common::{
    json_lines, md5_of, seam, stderr, wait_until, write_pattern, RawClient, Server, TempDir,
};
use seam_core::messages::Reply;
use serde_json::json;
use serial_test::parallel;

/// Starts an upload of `name` that sends `sent` bytes of its body and vanishes.
fn abandon_upload(server: &Server, name: &str, sent: usize) {
    let mut raw = RawClient::connect(server.addr);
    let total = sent + 100_000;
    raw.send_frame(&json!({"op": "put", "name": name, "total": total}), b"");
    assert!(matches!(raw.reply(), Some(Reply::Ready { .. })));
    raw.send_head(&json!({"op": "put_data", "size": total}));
    raw.send_bytes(&vec![b'p'; sent]);
}

fn partial_path(dir: &Path, name: &str) -> std::path::PathBuf {
    dir.join(format!(".{name}.seam-part"))
}

#[test]
#[parallel(heavy)]
fn downloads_at_an_offset_reuse_the_stored_md5_instead_of_rehashing() {
    let server = Server::start(&[]);
    std::fs::create_dir_all(&server.root).unwrap();
    let total: u64 = 200 << 20;
    let file = std::fs::File::create(server.root.join("big.bin")).unwrap();
    file.set_len(total).unwrap();
    drop(file);
    let offset = total - 10;
    let mut raw = RawClient::connect(server.addr);
    let get = json!({"op": "get", "name": "big.bin", "offset": offset});
    // The first download hashes the file once and records its MD5.
    raw.send_frame(&get, b"");
    assert!(matches!(raw.reply(), Some(Reply::File { size: 10, .. })));
    let Some(Reply::FileEnd { md5 }) = raw.reply() else {
        panic!("expected file_end")
    };

    let before = server.cpu_seconds();
    let mut pipelined = Vec::new();
    for _ in 0..10 {
        pipelined.extend(seam_core::Encoder::default().frame(&get, b"").unwrap());
    }
    raw.send_bytes(&pipelined);
    for _ in 0..10 {
        assert!(matches!(raw.reply(), Some(Reply::File { size: 10, .. })));
        assert!(matches!(raw.reply(), Some(Reply::FileEnd { md5: ref again }) if *again == md5));
    }
    let spent = server.cpu_seconds() - before;
    println!("10 pipelined gets at byte {offset}: {spent:.3} s of server CPU");
    assert!(
        spent < 1.0,
        "10 gets at an offset cost {spent:.2} s of server CPU: the prefix was hashed again"
    );
}

#[test]
#[parallel(heavy)]
fn a_file_changed_behind_the_servers_back_is_hashed_again() {
    let server = Server::start(&[]);
    let local = TempDir::new("changed");
    let path = local.join("doc.bin");
    write_pattern(&path, 300_000, 1);
    let output = server.client(&["put", path.to_str().unwrap(), "--quiet"]);
    assert!(output.status.success(), "{}", stderr(&output));
    // Same size, other bytes, written in place.
    let new_md5 = write_pattern(&server.root.join("doc.bin"), 300_000, 2);
    let into = local.join("back");
    std::fs::create_dir_all(&into).unwrap();
    let output = server.client(&["get", "doc.bin", "-o", into.to_str().unwrap(), "--json"]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(json_lines(&output)[0]["md5"], new_md5);
    assert_eq!(md5_of(&into.join("doc.bin")), new_md5);
}

#[test]
#[parallel(heavy)]
fn md5_records_stay_out_of_listings() {
    let server = Server::start(&[]);
    let local = TempDir::new("records");
    let path = local.join("a.bin");
    write_pattern(&path, 1000, 3);
    assert!(server
        .client(&["put", path.to_str().unwrap(), "--quiet"])
        .status
        .success());
    let listing = json_lines(&server.client(&["ls", "--json"]));
    assert_eq!(listing, [json!({"name": "a.bin", "bytes": 1000})]);
    let output = server.client(&["rm", "a.bin"]);
    assert!(output.status.success());
    let left: Vec<_> = std::fs::read_dir(&server.root).unwrap().collect();
    assert!(
        left.is_empty(),
        "deleting a file deletes its record: {left:?}"
    );
}

#[test]
#[parallel(heavy)]
fn ls_partial_lists_unfinished_uploads_and_rm_partial_removes_one() {
    let server = Server::start(&[]);
    abandon_upload(&server, "half.bin", 3000);
    wait_until(
        Duration::from_secs(10),
        "the abandoned upload written",
        || std::fs::metadata(partial_path(&server.root, "half.bin")).is_ok_and(|m| m.len() == 3000),
    );
    assert!(json_lines(&server.client(&["ls", "--json"])).is_empty());
    let partials = json_lines(&server.client(&["ls", "--partial", "--json"]));
    assert_eq!(partials, [json!({"name": "half.bin", "bytes": 3000})]);

    // The partial is written when the upload stalls, which can be before the server has
    // seen the client go; until then the upload is still in use and is not removed.
    wait_until(
        Duration::from_secs(10),
        "rm --partial once the server has let go of the upload",
        || {
            let output = server.client(&["rm", "--partial", "half.bin"]);
            let refused_in_use = stderr(&output).contains("in_use");
            assert!(
                output.status.success() || refused_in_use,
                "{}",
                stderr(&output)
            );
            output.status.success()
        },
    );
    assert!(!partial_path(&server.root, "half.bin").exists());
    let output = server.client(&["rm", "--partial", "half.bin"]);
    assert_eq!(output.status.code(), Some(5));
    assert!(stderr(&output).contains("not_found"), "{}", stderr(&output));
}

#[test]
#[parallel(heavy)]
fn rm_partial_needs_the_token_like_every_request() {
    let token = "a-long-enough-token-for-tests";
    let server = Server::start(&["--token", token]);
    std::fs::create_dir_all(&server.root).unwrap();
    std::fs::write(partial_path(&server.root, "x.bin"), b"abc").unwrap();
    let output = server.client(&["rm", "--partial", "x.bin"]);
    assert_eq!(output.status.code(), Some(5), "{}", stderr(&output));
    assert!(partial_path(&server.root, "x.bin").exists());
    let output = server.client(&["rm", "--partial", "x.bin", "--token", token]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(!partial_path(&server.root, "x.bin").exists());
}

#[test]
#[parallel(heavy)]
fn partial_files_past_their_ttl_are_swept_while_serving() {
    let server = Server::start(&["--partial-ttl", "1"]);
    abandon_upload(&server, "gone.bin", 100);
    wait_until(
        Duration::from_secs(10),
        "the abandoned upload written",
        || partial_path(&server.root, "gone.bin").exists(),
    );
    wait_until(Duration::from_secs(15), "the partial file swept", || {
        !partial_path(&server.root, "gone.bin").exists()
    });
}

#[test]
#[parallel(heavy)]
fn partial_files_past_their_ttl_are_swept_at_start_up() {
    let dir = TempDir::new("sweep-start");
    let root = dir.join("root");
    std::fs::create_dir_all(&root).unwrap();
    let old = std::fs::File::create(partial_path(&root, "old.bin")).unwrap();
    old.set_modified(SystemTime::now() - Duration::from_secs(2 * 86_400))
        .unwrap();
    drop(old);
    std::fs::write(partial_path(&root, "fresh.bin"), b"still resumable").unwrap();
    let _server = Server::start_in(TempDir::new("s"), root.clone(), "127.0.0.1:0", &[]);
    assert!(!partial_path(&root, "old.bin").exists(), "older than 24 h");
    assert!(partial_path(&root, "fresh.bin").exists());
}

#[test]
#[parallel(heavy)]
fn an_upload_over_the_partial_quota_is_refused() {
    let server = Server::start(&["--max-partial-bytes", "1000000"]);
    abandon_upload(&server, "held.bin", 600_000);
    wait_until(
        Duration::from_secs(10),
        "the abandoned upload written",
        || {
            std::fs::metadata(partial_path(&server.root, "held.bin"))
                .is_ok_and(|m| m.len() == 600_000)
        },
    );
    // The server counts partial bytes at most once a second.
    std::thread::sleep(Duration::from_millis(1100));
    let local = TempDir::new("quota");
    let path = local.join("new.bin");
    write_pattern(&path, 500_000, 4);
    let output = server.client(&["put", path.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(5), "{}", stderr(&output));
    assert!(stderr(&output).contains("too_large"), "{}", stderr(&output));
    assert!(!partial_path(&server.root, "new.bin").exists());

    assert!(server
        .client(&["rm", "--partial", "held.bin"])
        .status
        .success());
    let output = server.client(&["put", path.to_str().unwrap()]);
    assert!(output.status.success(), "{}", stderr(&output));
}

#[test]
#[parallel(heavy)]
fn get_refuses_a_symbolic_link_planted_at_its_partial_path() {
    let server = Server::start(&[]);
    std::fs::create_dir_all(&server.root).unwrap();
    write_pattern(&server.root.join("data.bin"), 100_000, 5);
    let local = TempDir::new("planted");
    let victim = local.join("victim.txt");
    std::fs::write(&victim, b"precious").unwrap();
    std::os::unix::fs::symlink(&victim, partial_path(local.path(), "data.bin")).unwrap();
    for resume in [true, false] {
        let mut args = vec!["get", "data.bin", "-o", local.path().to_str().unwrap()];
        if resume {
            args.push("--resume");
        }
        let output = server.client(&args);
        assert_eq!(output.status.code(), Some(3), "{}", stderr(&output));
        assert!(
            stderr(&output).contains("not a regular file"),
            "{}",
            stderr(&output)
        );
        assert_eq!(std::fs::read(&victim).unwrap(), b"precious");
        assert!(!local.join("data.bin").exists());
    }
}

#[test]
#[parallel(heavy)]
fn an_idle_timeout_of_zero_is_refused_at_start_up() {
    let dir = TempDir::new("idle-zero");
    let mut server = seam()
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--idle-timeout",
            "0",
            "--root",
        ])
        .arg(dir.join("root"))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let start = Instant::now();
    let status = loop {
        if let Some(status) = server.try_wait().unwrap() {
            break status;
        }
        if start.elapsed() > Duration::from_secs(10) {
            let _ = server.kill();
            let _ = server.wait();
            panic!("seam serve --idle-timeout 0 started serving");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(status.code(), Some(2));
}

#[test]
#[parallel(heavy)]
fn a_connection_lost_mid_download_is_exit_4() {
    // A "server" that announces 1000 bytes, sends 10 and closes.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let fake = std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        let mut decoder = seam_core::Decoder::new(seam_core::Framing::default());
        let encoder = seam_core::Encoder::default();
        let mut buf = [0u8; 4096];
        let mut answered = 0;
        while answered < 2 {
            let n = stream.read(&mut buf).unwrap();
            let mut input = &buf[..n];
            while let Ok(Some(event)) = decoder.poll(&mut input) {
                if let seam_core::Event::Header { .. } = event {
                    let reply = if answered == 0 {
                        encoder.frame(&json!({"op": "welcome", "server": "fake"}), b"")
                    } else {
                        encoder.frame(
                            &json!({"op": "file", "name": "x.bin", "size": 1000, "offset": 0, "total": 1000}),
                            &[7u8; 1000],
                        )
                    };
                    let frame = reply.unwrap();
                    let cut = if answered == 0 {
                        frame.len()
                    } else {
                        frame.len() - 990
                    };
                    stream.write_all(&frame[..cut]).unwrap();
                    answered += 1;
                }
            }
        }
    });
    let local = TempDir::new("lost-down");
    let output = seam()
        .args([
            "get",
            "x.bin",
            "-o",
            local.path().to_str().unwrap(),
            "--server",
        ])
        .arg(addr.to_string())
        .env_remove("SEAM_TOKEN")
        .output()
        .unwrap();
    fake.join().unwrap();
    assert_eq!(output.status.code(), Some(4), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("connection lost"),
        "{}",
        stderr(&output)
    );
}
