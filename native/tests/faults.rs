//! The fault-injection suite: real `seam serve` processes killed, starved of disk, flooded
//! with stalled transfers and slow clients, stopped mid-transfer and soaked with mixed
//! traffic. Each case is bounded in time and checks that nothing is lost and the server
//! keeps serving.

use std::io::Write;
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::common::{
    assert_server_still_serves, json_line, md5_of, seam, stderr, wait_until, write_pattern,
    RawClient, Server, TempDir,
};
use seam_core::messages::Reply;
use seam_core::Encoder;
use serde_json::json;
use serial_test::serial;

/// The size of a file, 0 when it does not exist.
fn len_of(path: &Path) -> u64 {
    std::fs::metadata(path).map_or(0, |m| m.len())
}

/// Writes `mib` MiB of distinct blocks quickly and returns their MD5.
fn write_big(path: &Path, mib: u64) -> String {
    let mut block = vec![0u8; 1 << 20];
    write_pattern(path, 1 << 20, 11);
    block.copy_from_slice(&std::fs::read(path).unwrap());
    let mut file = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    let mut digest = seam_core::BodyDigest::new();
    for i in 0..mib {
        block[..8].copy_from_slice(&i.to_le_bytes());
        file.write_all(&block).unwrap();
        digest.update(&block);
    }
    file.flush().unwrap();
    digest.finish_hex()
}

/// Runs a client command (with flags after the subcommand's own) against `server`.
fn client_child(server: &Server, args: &[&str]) -> Child {
    seam()
        .args(args)
        .arg("--server")
        .arg(server.addr_arg())
        .env_remove("SEAM_TOKEN")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("seam runs")
}

/// Waits for a child for at most `limit`, killing it if it takes longer.
fn finish_within(mut child: Child, limit: Duration, what: &str) -> Output {
    let start = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > limit {
            let _ = child.kill();
            panic!("{what} did not finish within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    child.wait_with_output().unwrap()
}

fn assert_exit(output: &Output, code: i32, what: &str) {
    assert_eq!(
        output.status.code(),
        Some(code),
        "{what}: stdout {:?}, stderr {:?}",
        String::from_utf8_lossy(&output.stdout),
        stderr(output)
    );
}

/// Repeats a client command until it succeeds (a server notices a vanished client's
/// connection only when it next reads), for at most 20 s.
fn until_ok(server: &Server, args: &[&str]) -> Output {
    let start = Instant::now();
    loop {
        let output = server.client(args);
        if output.status.success() || start.elapsed() > Duration::from_secs(20) {
            return output;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn partial_of(dir: &Path, name: &str) -> PathBuf {
    dir.join(format!(".{name}.seam-part"))
}

#[test]
#[serial(heavy)]
fn kill_9_of_the_server_during_an_upload_then_resume_stores_the_right_file() {
    let keep = TempDir::new("kill-server-up");
    let root = keep.join("root");
    let path = keep.join("big.bin");
    let md5 = write_big(&path, 256);
    let mut server = Server::start_in(TempDir::new("s1"), root.clone(), "127.0.0.1:0", &[]);
    let put = client_child(&server, &["put", path.to_str().unwrap(), "--json"]);
    wait_until(Duration::from_secs(20), "upload under way", || {
        len_of(&partial_of(&root, "big.bin")) >= 8 << 20
    });
    server.child.kill().unwrap();
    server.child.wait().unwrap();
    let output = finish_within(put, Duration::from_secs(20), "the cut upload");
    assert_exit(&output, 4, "a connection lost mid-upload");

    let server = Server::start_in(TempDir::new("s2"), root.clone(), "127.0.0.1:0", &[]);
    let output = until_ok(
        &server,
        &["put", path.to_str().unwrap(), "--resume", "--json"],
    );
    assert_exit(&output, 0, "the resumed upload");
    let line = json_line(&output);
    assert_eq!(line["md5"], md5);
    assert!(line["resumed_from"].as_u64().unwrap() > 0, "{line}");
    assert_eq!(md5_of(&root.join("big.bin")), md5);
}

#[test]
#[serial(heavy)]
fn kill_9_of_the_client_during_an_upload_then_resume_stores_the_right_file() {
    let server = Server::start(&[]);
    let local = TempDir::new("kill-client-up");
    let path = local.join("big.bin");
    let md5 = write_big(&path, 256);
    let mut put = client_child(&server, &["put", path.to_str().unwrap()]);
    wait_until(Duration::from_secs(20), "upload under way", || {
        len_of(&partial_of(&server.root, "big.bin")) >= 8 << 20
    });
    put.kill().unwrap();
    put.wait().unwrap();

    let output = until_ok(
        &server,
        &["put", path.to_str().unwrap(), "--resume", "--json"],
    );
    assert_exit(&output, 0, "the resumed upload");
    assert!(json_line(&output)["resumed_from"].as_u64().unwrap() > 0);
    assert_eq!(md5_of(&server.root.join("big.bin")), md5);
}

#[test]
#[serial(heavy)]
fn kill_9_of_the_server_during_a_download_then_resume_gets_the_right_file() {
    let keep = TempDir::new("kill-server-down");
    let root = keep.join("root");
    std::fs::create_dir_all(&root).unwrap();
    let md5 = write_big(&root.join("big.bin"), 256);
    let local = TempDir::new("kill-server-down-local");
    let mut server = Server::start_in(TempDir::new("s1"), root.clone(), "127.0.0.1:0", &[]);
    let get = client_child(
        &server,
        &["get", "big.bin", "-o", local.path().to_str().unwrap()],
    );
    wait_until(Duration::from_secs(20), "download under way", || {
        len_of(&partial_of(local.path(), "big.bin")) >= 8 << 20
    });
    server.child.kill().unwrap();
    server.child.wait().unwrap();
    let output = finish_within(get, Duration::from_secs(20), "the cut download");
    assert_exit(&output, 4, "a connection lost mid-download");
    assert!(
        !local.join("big.bin").exists(),
        "nothing under the final name"
    );

    let server = Server::start_in(TempDir::new("s2"), root, "127.0.0.1:0", &[]);
    let output = server.client(&[
        "get",
        "big.bin",
        "-o",
        local.path().to_str().unwrap(),
        "--resume",
        "--json",
    ]);
    assert_exit(&output, 0, "the resumed download");
    assert!(json_line(&output)["resumed_from"].as_u64().unwrap() > 0);
    assert_eq!(md5_of(&local.join("big.bin")), md5);
}

#[test]
#[serial(heavy)]
fn kill_9_of_the_client_during_a_download_then_resume_gets_the_right_file() {
    let server = Server::start(&[]);
    std::fs::create_dir_all(&server.root).unwrap();
    let md5 = write_big(&server.root.join("big.bin"), 256);
    let local = TempDir::new("kill-client-down");
    let mut get = client_child(
        &server,
        &["get", "big.bin", "-o", local.path().to_str().unwrap()],
    );
    wait_until(Duration::from_secs(20), "download under way", || {
        len_of(&partial_of(local.path(), "big.bin")) >= 8 << 20
    });
    get.kill().unwrap();
    get.wait().unwrap();

    let output = server.client(&[
        "get",
        "big.bin",
        "-o",
        local.path().to_str().unwrap(),
        "--resume",
        "--json",
    ]);
    assert_exit(&output, 0, "the resumed download");
    assert!(json_line(&output)["resumed_from"].as_u64().unwrap() > 0);
    assert_eq!(md5_of(&local.join("big.bin")), md5);
}

/// A small tmpfs mounted on a folder, unmounted when dropped (the tests run as root).
struct SmallDisk {
    dir: TempDir,
}

impl SmallDisk {
    fn mount(label: &str, size: &str) -> SmallDisk {
        let dir = TempDir::new(label);
        let status = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir.path())
            .status()
            .expect("mount runs");
        assert!(status.success(), "mounting a tmpfs needs root");
        SmallDisk { dir }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(self.dir.path()).status();
    }
}

#[test]
#[serial(heavy)]
fn a_full_disk_during_an_upload_gets_no_space_and_keeps_no_partial_file() {
    let disk = SmallDisk::mount("full-up", "20m");
    let root = disk.path().join("root");
    let server = Server::start_logged_in(&root, &[]);
    let local = TempDir::new("full-up-local");
    let path = local.join("big.bin");
    write_big(&path, 50);
    let put = client_child(&server, &["put", path.to_str().unwrap()]);
    let output = finish_within(put, Duration::from_secs(30), "the upload to a full disk");
    assert_exit(&output, 5, "an upload to a full disk");
    assert!(stderr(&output).contains("no_space"), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("disk is full"),
        "{}",
        stderr(&output)
    );
    assert!(
        server.log_text().contains("No space left on device"),
        "the server logs the OS error: {}",
        server.log_text()
    );
    assert!(!root.join("big.bin").exists());
    assert!(
        !partial_of(&root, "big.bin").exists(),
        "the partial file that filled the disk is gone"
    );
    assert_server_still_serves(&server, "a full disk");
}

#[test]
#[serial(heavy)]
fn a_full_disk_during_a_download_names_the_cause_and_keeps_nothing() {
    let server = Server::start(&[]);
    std::fs::create_dir_all(&server.root).unwrap();
    write_big(&server.root.join("big.bin"), 50);
    let disk = SmallDisk::mount("full-down", "20m");
    let get = client_child(
        &server,
        &["get", "big.bin", "-o", disk.path().to_str().unwrap()],
    );
    let output = finish_within(get, Duration::from_secs(30), "the download to a full disk");
    assert_exit(&output, 3, "a download to a full disk");
    assert!(
        stderr(&output).contains("No space left on device"),
        "{}",
        stderr(&output)
    );
    assert!(!disk.path().join("big.bin").exists());
    assert!(!partial_of(disk.path(), "big.bin").exists());
    assert_server_still_serves(&server, "a client's full disk");
}

/// Raises this process's limit of open files to its hard limit.
fn raise_open_files_limit() -> u64 {
    use rustix::process::{getrlimit, setrlimit, Resource, Rlimit};
    let limit = getrlimit(Resource::Nofile);
    let _ = setrlimit(
        Resource::Nofile,
        Rlimit {
            current: limit.maximum,
            maximum: limit.maximum,
        },
    );
    getrlimit(Resource::Nofile).current.unwrap_or(u64::MAX)
}

/// An upload that sends one byte of its body and then nothing (without waiting for the
/// server's `ready`: a client may send its requests ahead).
fn stalled_upload(server: &Server, i: usize) -> TcpStream {
    let mut stream = TcpStream::connect(server.addr).expect("connect");
    let encoder = Encoder::default();
    let put = json!({"op": "put", "name": format!("stalled-{i}.bin"), "total": 1 << 20});
    let mut bytes = encoder.frame(&put, b"").unwrap();
    encoder
        .encode_head(&json!({"op": "put_data", "size": 1 << 20}), &mut bytes)
        .unwrap();
    bytes.push(b'x');
    stream.write_all(&bytes).unwrap();
    stream
}

/// A download whose client never reads.
fn stalled_download(server: &Server, name: &str) -> TcpStream {
    let mut stream = TcpStream::connect(server.addr).expect("connect");
    let frame = Encoder::default()
        .frame(&json!({"op": "get", "name": name}), b"")
        .unwrap();
    stream.write_all(&frame).unwrap();
    stream
}

/// A normal 1 MiB upload and download, each within `limit`; returns their seconds.
fn normal_put_and_get(server: &Server, limit: Duration, label: &str) -> (f64, f64) {
    let local = TempDir::new(label);
    let path = local.join(&format!("{label}.bin"));
    let md5 = write_pattern(&path, 1 << 20, 5);
    let start = Instant::now();
    let put = client_child(server, &["put", path.to_str().unwrap(), "--quiet"]);
    let output = finish_within(put, limit, "a normal upload");
    assert_exit(&output, 0, "a normal upload");
    let put_seconds = start.elapsed().as_secs_f64();
    let into = local.join("back");
    std::fs::create_dir_all(&into).unwrap();
    let start = Instant::now();
    let name = format!("{label}.bin");
    let get = client_child(
        server,
        &["get", &name, "-o", into.to_str().unwrap(), "--quiet"],
    );
    let output = finish_within(get, limit, "a normal download");
    assert_exit(&output, 0, "a normal download");
    let get_seconds = start.elapsed().as_secs_f64();
    assert_eq!(md5_of(&into.join(&name)), md5);
    (put_seconds, get_seconds)
}

#[test]
#[serial(heavy)]
fn four_thousand_stalled_transfers_leave_file_io_free_and_memory_bounded() {
    let stalled = 4096;
    assert!(raise_open_files_limit() > stalled as u64 + 256);
    let server = Server::start(&["--max-conns", "5000"]);
    let local = TempDir::new("stall-src");
    let source = local.join("source.bin");
    write_big(&source, 8);
    let output = server.client(&["put", source.to_str().unwrap(), "--quiet"]);
    assert_exit(&output, 0, "the file the stalled downloads ask for");

    let setting_up = Instant::now();
    let mut held = Vec::with_capacity(stalled);
    for i in 0..stalled {
        held.push(if i % 2 == 0 {
            stalled_upload(&server, i)
        } else {
            stalled_download(&server, "source.bin")
        });
    }
    wait_until(
        Duration::from_secs(120),
        "every stalled upload started",
        || {
            std::fs::read_dir(&server.root)
                .unwrap()
                .filter(|e| {
                    e.as_ref()
                        .unwrap()
                        .file_name()
                        .to_string_lossy()
                        .ends_with(".seam-part")
                })
                .count()
                == stalled / 2
        },
    );
    println!(
        "{stalled} stalled transfers set up in {:.1} s",
        setting_up.elapsed().as_secs_f64()
    );
    // Let the downloads fill their sockets and stall.
    std::thread::sleep(Duration::from_secs(2));
    let (put, get) = normal_put_and_get(&server, Duration::from_secs(20), "beside-stalled");
    let rss = server.rss_mib();
    println!(
        "with {stalled} stalled transfers: 1 MiB put {put:.3} s, 1 MiB get {get:.3} s \
         (target 1 s each), server RSS {rss:.1} MiB (target 256 MiB)"
    );
    // The target is 256 MiB (printed above); the bound here only catches a return of
    // per-transfer read-ahead or buffers (gigabytes).
    assert!(
        rss <= 512.0,
        "server RSS {rss:.1} MiB with {stalled} stalled transfers"
    );
    drop(held);
}

#[test]
#[serial(heavy)]
fn two_thousand_slowloris_connections_leave_the_server_serving() {
    assert!(raise_open_files_limit() > 2_300);
    let server = Server::start(&[]);
    let mut held = Vec::with_capacity(2_000);
    for _ in 0..2_000 {
        let mut stream = TcpStream::connect(server.addr).expect("connect");
        // A length prefix announcing 100 header bytes, and only 3 of them.
        stream.write_all(&100u32.to_le_bytes()).unwrap();
        stream.write_all(b"{\"o").unwrap();
        held.push(stream);
    }
    let (put, get) = normal_put_and_get(&server, Duration::from_secs(20), "beside-slowloris");
    println!(
        "with 2000 slowloris connections: 1 MiB put {put:.3} s, get {get:.3} s, server RSS {:.1} MiB",
        server.rss_mib()
    );
    drop(held);
}

#[test]
#[serial(heavy)]
fn sigterm_during_an_upload_keeps_every_byte_received_for_a_resume() {
    let keep = TempDir::new("sigterm");
    let root = keep.join("root");
    let path = keep.join("slow.bin");
    let total: u64 = 4 << 20;
    let md5 = write_pattern(&path, total, 9);
    let bytes = std::fs::read(&path).unwrap();
    let mut server = Server::start_in(TempDir::new("s1"), root.clone(), "127.0.0.1:0", &[]);

    // A client that sends 1 KiB every 20 ms (never a pause long enough to count as stalled)
    // until the connection breaks.
    let mut raw = RawClient::connect(server.addr);
    raw.send_frame(
        &json!({"op": "put", "name": "slow.bin", "total": total}),
        b"",
    );
    assert!(matches!(raw.reply(), Some(Reply::Ready { offset: 0, .. })));
    raw.send_head(&json!({"op": "put_data", "size": total}));
    let sent = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let sender = {
        let (sent, stop) = (sent.clone(), stop.clone());
        let mut stream = raw.stream.try_clone().unwrap();
        std::thread::spawn(move || {
            for piece in bytes.chunks(1024) {
                if stop.load(Ordering::SeqCst) || stream.write_all(piece).is_err() {
                    return;
                }
                sent.fetch_add(piece.len() as u64, Ordering::SeqCst);
                std::thread::sleep(Duration::from_millis(20));
            }
        })
    };
    std::thread::sleep(Duration::from_secs(1));
    let sent_before_term = sent.load(Ordering::SeqCst);
    let status = server.terminate();
    stop.store(true, Ordering::SeqCst);
    sender.join().unwrap();
    assert!(status.success(), "the server stops cleanly: {status}");
    assert!(
        len_of(&partial_of(&root, "slow.bin")) >= sent_before_term,
        "every byte received before SIGTERM ({sent_before_term}) is in the partial file ({})",
        len_of(&partial_of(&root, "slow.bin"))
    );

    let server = Server::start_in(TempDir::new("s2"), root.clone(), "127.0.0.1:0", &[]);
    let output = server.client(&["put", path.to_str().unwrap(), "--resume", "--json"]);
    assert_exit(&output, 0, "the resumed upload");
    let line = json_line(&output);
    assert!(line["resumed_from"].as_u64().unwrap() >= sent_before_term);
    assert_eq!(md5_of(&root.join("slow.bin")), md5);
}

/// One client of the soak: uploads, downloads, echo, chat and exec in turn until `end`;
/// returns how many operations ran and the failures.
fn soak_client(server: &Server, id: usize, end: Instant) -> (u64, Vec<String>) {
    let local = TempDir::new(&format!("soak-{id}"));
    let into = local.join("back");
    std::fs::create_dir_all(&into).unwrap();
    let (mut ops, mut failures) = (0u64, Vec::new());
    let mut round = 0u64;
    while Instant::now() < end {
        round += 1;
        let name = format!("soak-{id}-{}.bin", round % 4);
        let path = local.join(&name);
        let md5 = write_pattern(
            &path,
            (round * 7919 + id as u64 * 104_729) % (1 << 20),
            round,
        );
        let outputs = [
            (
                "put",
                server.client(&["put", path.to_str().unwrap(), "--force", "--quiet"]),
            ),
            (
                "get",
                server.client(&[
                    "get",
                    &name,
                    "-o",
                    into.to_str().unwrap(),
                    "--force",
                    "--quiet",
                ]),
            ),
            (
                "send",
                server.client(&["send", &format!("echo {id} {round}"), "--quiet"]),
            ),
            (
                "exec",
                seam()
                    .args([
                        "exec",
                        "--quiet",
                        "--server",
                        &server.addr_arg(),
                        "--",
                        "echo",
                        "soak",
                    ])
                    .output()
                    .unwrap(),
            ),
        ];
        for (op, output) in outputs {
            ops += 1;
            if !output.status.success() {
                failures.push(format!(
                    "{op} (client {id}, round {round}): {}",
                    stderr(&output)
                ));
            }
        }
        if md5_of(&into.join(&name)) != md5 {
            failures.push(format!("get {name}: wrong MD5"));
        }
        // Every client visits the chat, so members join and leave at the same moments.
        {
            let mut chat = seam()
                .args([
                    "chat",
                    "--name",
                    &format!("soak{id}-{round}"),
                    "--quiet",
                    "--server",
                ])
                .arg(server.addr_arg())
                .stdin(Stdio::piped())
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap();
            let _ = chat
                .stdin
                .take()
                .unwrap()
                .write_all(b"hello from the soak\n");
            let output = chat.wait_with_output().unwrap();
            ops += 1;
            if !output.status.success() {
                failures.push(format!("chat (client {id}): {}", stderr(&output)));
            }
        }
    }
    (ops, failures)
}

#[test]
#[serial(heavy)]
fn a_minute_of_mixed_traffic_fails_nothing_and_does_not_grow_memory() {
    let server = Arc::new(Server::start(&["--allow-exec", "echo"]));
    let started = Instant::now();
    let end = started + Duration::from_secs(60);
    let clients: Vec<_> = (0..4)
        .map(|id| {
            let server = server.clone();
            std::thread::spawn(move || soak_client(&server, id, end))
        })
        .collect();
    // The baseline: the largest RSS seen from 8 to 10 s, once every kind of traffic ran.
    std::thread::sleep(Duration::from_secs(8));
    let mut baseline: f64 = 0.0;
    while started.elapsed() < Duration::from_secs(10) {
        baseline = baseline.max(server.rss_mib());
        std::thread::sleep(Duration::from_millis(100));
    }
    let mut ops = 0;
    let mut failures = Vec::new();
    for client in clients {
        let (n, failed) = client.join().unwrap();
        ops += n;
        failures.extend(failed);
    }
    let rss = server.rss_mib();
    println!(
        "soak: {ops} operations, {} failed; RSS {baseline:.1} MiB at 10 s, {rss:.1} MiB at the end",
        failures.len()
    );
    assert!(
        failures.is_empty(),
        "{} failures: {failures:#?}",
        failures.len()
    );
    assert!(
        rss <= baseline * 1.10,
        "RSS grew from {baseline:.1} MiB at 10 s to {rss:.1} MiB"
    );
}
