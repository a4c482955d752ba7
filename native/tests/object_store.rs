//! `seam serve --store s3://…` against a real S3-compatible server (moto's), and the same
//! storage behaviour checked against the local folder: every case in `on_both_backends!`
//! runs once per backend. moto is required: a missing `moto` fails these tests (the test
//! command installs it).

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use crate::common::tutorial::{tutorial_head, RawTutorial};
use crate::common::{
    md5_of, seam, stderr, stdout, unsafe_free_kill, wait_until, wait_until_gone, write_pattern,
    RawClient, Server, TempDir,
};
use seam_core::messages::Reply;
use serde_json::json;
use serial_test::{parallel, serial};

const MIB: u64 = 1 << 20;

/// The Python interpreter that has moto (the real one, not a version manager's shim, so
/// that killing the child kills the server).
fn python() -> &'static str {
    static PYTHON: OnceLock<String> = OnceLock::new();
    PYTHON.get_or_init(|| {
        let output = Command::new("python3")
            .args(["-c", "import sys, moto, boto3; print(sys.executable)"])
            .output()
            .expect("python3 runs");
        assert!(
            output.status.success(),
            "moto and boto3 are required (pip install 'moto[server]' boto3; the test command \
             installs them): {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).unwrap().trim().to_string()
    })
}

/// A moto S3 server on a loopback port, stopped when dropped; it also stops when the test
/// process ends (it exits when its stdin closes).
struct Moto {
    child: Child,
    _stdin: ChildStdin,
    port: u16,
}

impl Moto {
    fn start() -> Moto {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        Moto::start_on(port)
    }

    fn start_on(port: u16) -> Moto {
        let script = format!(
            "import sys\n\
             from moto.server import ThreadedMotoServer\n\
             server = ThreadedMotoServer(ip_address='127.0.0.1', port={port}, verbose=False)\n\
             server.start()\n\
             print('ready', flush=True)\n\
             sys.stdin.read()\n\
             server.stop()\n"
        );
        let mut child = Command::new(python())
            .args(["-c", &script])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("moto starts");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        assert_eq!(line.trim(), "ready", "moto did not start");
        let start = Instant::now();
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "moto does not listen"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        let stdin = child.stdin.take().unwrap();
        Moto {
            child,
            _stdin: stdin,
            port,
        }
    }

    fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Runs boto3 against this moto: `code` sees `s3`, a client.
    fn boto(&self, code: &str) -> String {
        let script = format!(
            "import boto3\n\
             s3 = boto3.client('s3', endpoint_url='{}', aws_access_key_id='testing', \
             aws_secret_access_key='testing', region_name='us-east-1')\n{code}\n",
            self.endpoint()
        );
        let output = Command::new(python())
            .args(["-c", &script])
            .output()
            .expect("python runs");
        assert!(
            output.status.success(),
            "boto3: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).unwrap()
    }

    /// A new, empty bucket.
    fn new_bucket(&self) -> String {
        static COUNTER: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let bucket = format!("seam-test-{n}");
        self.boto(&format!("s3.create_bucket(Bucket='{bucket}')"));
        bucket
    }

    /// Every key in a bucket.
    fn keys(&self, bucket: &str) -> Vec<String> {
        self.boto(&format!(
            "for page in s3.get_paginator('list_objects_v2').paginate(Bucket='{bucket}'):\n    \
             for o in page.get('Contents', []): print(o['Key'])"
        ))
        .lines()
        .map(str::to_string)
        .collect()
    }

    /// The unfinished multipart uploads in a bucket.
    fn multipart_uploads(&self, bucket: &str) -> usize {
        self.boto(&format!(
            "print(len(s3.list_multipart_uploads(Bucket='{bucket}').get('Uploads', [])))"
        ))
        .trim()
        .parse()
        .unwrap()
    }

    /// Kills the server at once (SIGKILL).
    fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The moto the tests of this file share (each uses buckets of its own).
fn shared_moto() -> &'static Moto {
    static MOTO: OnceLock<Moto> = OnceLock::new();
    MOTO.get_or_init(Moto::start)
}

/// The environment a `seam serve --store` gets for a moto.
fn aws_env(endpoint: &str) -> Vec<(String, String)> {
    [
        ("AWS_ENDPOINT_URL", endpoint),
        ("AWS_ACCESS_KEY_ID", "testing"),
        ("AWS_SECRET_ACCESS_KEY", "testing"),
        ("AWS_REGION", "us-east-1"),
        ("AWS_ALLOW_HTTP", "true"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

/// Where a test's servers keep files: a folder of their own, or a fresh bucket.
struct Backend {
    store: Option<String>,
    /// The bucket, on the shared moto.
    bucket: Option<String>,
    env: Vec<(String, String)>,
}

impl Backend {
    fn folder() -> Backend {
        Backend {
            store: None,
            bucket: None,
            env: Vec::new(),
        }
    }

    fn bucket() -> Backend {
        let moto = shared_moto();
        Backend::bucket_on(moto, &moto.new_bucket())
    }

    fn bucket_on(moto: &Moto, bucket: &str) -> Backend {
        Backend {
            store: Some(format!("s3://{bucket}/files")),
            bucket: Some(bucket.to_string()),
            env: aws_env(&moto.endpoint()),
        }
    }

    fn serve(&self, flags: &[&str]) -> Server {
        let mut all: Vec<&str> = flags.to_vec();
        if let Some(store) = &self.store {
            all.extend(["--store", store.as_str()]);
        }
        let env: Vec<(&str, &str)> = self
            .env
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        Server::start_logged_with_env(&all, &env)
    }
}

/// Runs a client command and checks it succeeded.
fn ok(server: &Server, args: &[&str]) -> String {
    let output = server.client(args);
    assert!(output.status.success(), "{args:?}: {}", stderr(&output));
    stdout(&output)
}

/// `seam put PATH` (quiet).
fn put(server: &Server, path: &Path, extra: &[&str]) -> std::process::Output {
    let mut args = vec!["put", path.to_str().unwrap(), "--quiet"];
    args.extend(extra);
    server.client(&args)
}

/// Downloads `name` into `dir` and returns the local file's MD5.
fn get_md5(server: &Server, name: &str, dir: &TempDir) -> String {
    let out = dir.join(name);
    let _ = std::fs::remove_file(&out);
    ok(
        server,
        &["get", name, "-o", out.to_str().unwrap(), "--quiet"],
    );
    md5_of(&out)
}

/// The names `seam ls` shows.
fn names(server: &Server, args: &[&str]) -> Vec<String> {
    let mut all = vec!["ls"];
    all.extend(args);
    ok(server, &all)
        .lines()
        .filter_map(|line| line.split_whitespace().last().map(str::to_string))
        .collect()
}

/// `seam ls --json`'s sizes by name (also for `--partial`).
fn sizes(server: &Server, partial: bool) -> Vec<(String, u64)> {
    let mut args = vec!["ls", "--json"];
    if partial {
        args.push("--partial");
    }
    ok(server, &args)
        .lines()
        .filter_map(|line| {
            let value: serde_json::Value = serde_json::from_str(line).ok()?;
            Some((
                value["name"].as_str()?.to_string(),
                value["bytes"].as_u64()?,
            ))
        })
        .collect()
}

/// Starts a `put` of `len` bytes of `pattern`, sends `sent` bytes of its body, and returns
/// the connection (drop it to vanish).
fn start_upload(server: &Server, name: &str, file: &Path, sent: usize) -> RawClient {
    let bytes = std::fs::read(file).unwrap();
    let mut raw = RawClient::connect(server.addr);
    raw.send_frame(
        &json!({"op": "put", "name": name, "total": bytes.len()}),
        b"",
    );
    assert!(matches!(raw.reply(), Some(Reply::Ready { offset: 0, .. })));
    raw.send_head(&json!({"op": "put_data", "size": bytes.len()}));
    raw.send_bytes(&bytes[..sent]);
    raw
}

// ---- Cases run against both backends. ----

macro_rules! on_both_backends {
    ($($case:ident),* $(,)?) => {
        mod folder {
            use serial_test::parallel;
            $(#[test]
            #[parallel(heavy)]
            fn $case() {
                super::$case(&super::Backend::folder());
            })*
        }
        mod bucket {
            use serial_test::parallel;
            $(#[test]
            #[parallel(heavy)]
            fn $case() {
                super::$case(&super::Backend::bucket());
            })*
        }
    };
}

on_both_backends!(
    put_ls_get_rm_round_trip,
    an_md5_mismatch_stores_nothing,
    an_existing_name_is_replaced_only_with_force,
    bad_names_are_refused,
    missing_files_are_not_found,
    an_empty_file_round_trips,
    an_interrupted_upload_resumes_with_the_right_md5,
    a_download_resumes_at_an_offset,
    rm_partial_removes_an_unfinished_upload,
    a_client_that_stalls_mid_body_still_stores_every_byte,
    an_abandoned_upload_is_swept_after_the_partial_ttl,
    an_upload_over_the_size_limit_is_refused,
    an_upload_over_the_partial_quota_is_refused,
    a_tutorial_upload_md5_client_stores_only_a_matching_file,
    a_download_whose_client_stops_reading_a_while_sends_every_byte,
);

fn put_ls_get_rm_round_trip(backend: &Backend) {
    let server = backend.serve(&[]);
    let dir = TempDir::new("round-trip");
    let big = dir.join("big.bin");
    let small = dir.join("small.txt");
    let big_md5 = write_pattern(&big, 20 * MIB + 12_345, 1);
    let small_md5 = write_pattern(&small, 1000, 2);
    for path in [&big, &small] {
        let output = put(&server, path, &[]);
        assert!(output.status.success(), "{}", stderr(&output));
    }
    assert_eq!(
        sizes(&server, false),
        vec![
            ("big.bin".to_string(), 20 * MIB + 12_345),
            ("small.txt".to_string(), 1000)
        ]
    );
    let downloads = TempDir::new("round-trip-get");
    assert_eq!(get_md5(&server, "big.bin", &downloads), big_md5);
    assert_eq!(get_md5(&server, "small.txt", &downloads), small_md5);
    ok(&server, &["rm", "big.bin"]);
    assert_eq!(names(&server, &[]), vec!["small.txt".to_string()]);
    assert!(sizes(&server, true).is_empty());
}

fn an_md5_mismatch_stores_nothing(backend: &Backend) {
    let server = backend.serve(&[]);
    let body = vec![b'x'; (9 * MIB) as usize];
    let mut raw = RawClient::connect(server.addr);
    raw.send_frame(
        &json!({"op": "put", "name": "wrong.bin", "total": body.len()}),
        b"",
    );
    assert!(matches!(raw.reply(), Some(Reply::Ready { offset: 0, .. })));
    raw.send_frame(&json!({"op": "put_data", "size": body.len()}), &body);
    raw.send_frame(&json!({"op": "put_end", "md5": "0".repeat(32)}), b"");
    assert_eq!(crate::common::error_code(&raw.reply()), "md5_mismatch");
    assert!(names(&server, &[]).is_empty());
    assert!(sizes(&server, true).is_empty(), "no partial upload stays");
}

fn an_existing_name_is_replaced_only_with_force(backend: &Backend) {
    let server = backend.serve(&[]);
    let dir = TempDir::new("force");
    let path = dir.join("same.bin");
    write_pattern(&path, 5000, 3);
    assert!(put(&server, &path, &[]).status.success());
    let second = write_pattern(&path, 7000, 4);
    let refused = put(&server, &path, &[]);
    assert_eq!(refused.status.code(), Some(7), "{}", stderr(&refused));
    let forced = put(&server, &path, &["--force"]);
    assert!(forced.status.success(), "{}", stderr(&forced));
    let downloads = TempDir::new("force-get");
    assert_eq!(get_md5(&server, "same.bin", &downloads), second);
}

fn bad_names_are_refused(backend: &Backend) {
    let server = backend.serve(&[]);
    for name in ["../escape", ".hidden", "a/b", ".seam"] {
        let mut raw = RawClient::connect(server.addr);
        raw.send_frame(&json!({"op": "put", "name": name, "total": 3}), b"");
        assert_eq!(
            crate::common::error_code(&raw.reply()),
            "bad_name",
            "{name}"
        );
        let mut raw = RawClient::connect(server.addr);
        raw.send_frame(&json!({"op": "get", "name": name}), b"");
        assert_eq!(
            crate::common::error_code(&raw.reply()),
            "bad_name",
            "{name}"
        );
    }
}

fn missing_files_are_not_found(backend: &Backend) {
    let server = backend.serve(&[]);
    for request in [
        json!({"op": "get", "name": "nothing.bin"}),
        json!({"op": "delete", "name": "nothing.bin"}),
        json!({"op": "delete_partial", "name": "nothing.bin"}),
    ] {
        let mut raw = RawClient::connect(server.addr);
        raw.send_frame(&request, b"");
        assert_eq!(
            crate::common::error_code(&raw.reply()),
            "not_found",
            "{request}"
        );
    }
}

fn an_empty_file_round_trips(backend: &Backend) {
    let server = backend.serve(&[]);
    let dir = TempDir::new("empty");
    let path = dir.join("empty.bin");
    std::fs::write(&path, b"").unwrap();
    let output = put(&server, &path, &[]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(sizes(&server, false), vec![("empty.bin".to_string(), 0)]);
    let downloads = TempDir::new("empty-get");
    assert_eq!(
        get_md5(&server, "empty.bin", &downloads),
        "d41d8cd98f00b204e9800998ecf8427e"
    );
}

fn an_interrupted_upload_resumes_with_the_right_md5(backend: &Backend) {
    let server = backend.serve(&[]);
    let dir = TempDir::new("resume");
    let path = dir.join("resumed.bin");
    let md5 = write_pattern(&path, 20 * MIB, 5);
    let raw = start_upload(&server, "resumed.bin", &path, (12 * MIB) as usize);
    // The folder keeps every byte received, the bucket the parts the store took.
    wait_until(Duration::from_secs(20), "a partial upload is kept", || {
        sizes(&server, true)
            .iter()
            .any(|(name, bytes)| name == "resumed.bin" && *bytes >= 8 * MIB)
    });
    drop(raw);
    let kept = || sizes(&server, true);
    wait_until(Duration::from_secs(20), "the upload is let go", || {
        let probe = put(&server, &path, &["--resume", "--json"]);
        probe.status.code() != Some(5) || !stderr(&probe).contains("in_use")
    });
    assert!(
        names(&server, &[]).contains(&"resumed.bin".to_string()),
        "{:?}",
        kept()
    );
    let downloads = TempDir::new("resume-get");
    assert_eq!(get_md5(&server, "resumed.bin", &downloads), md5);
    assert!(kept().is_empty());
}

fn a_download_resumes_at_an_offset(backend: &Backend) {
    let server = backend.serve(&[]);
    let dir = TempDir::new("get-resume");
    let path = dir.join("offset.bin");
    let md5 = write_pattern(&path, 10 * MIB + 7, 6);
    assert!(put(&server, &path, &[]).status.success());
    let downloads = TempDir::new("get-resume-get");
    let local = downloads.join("offset.bin");
    let bytes = std::fs::read(&path).unwrap();
    // What an interrupted download leaves: the hidden partial file beside the destination.
    std::fs::write(
        downloads.join(".offset.bin.seam-part"),
        &bytes[..(3 * MIB) as usize],
    )
    .unwrap();
    let output = ok(
        &server,
        &[
            "get",
            "offset.bin",
            "-o",
            local.to_str().unwrap(),
            "--resume",
            "--json",
        ],
    );
    assert!(
        output.contains(&format!("\"resumed_from\":{}", 3 * MIB)),
        "{output}"
    );
    assert_eq!(md5_of(&local), md5);
}

fn rm_partial_removes_an_unfinished_upload(backend: &Backend) {
    let server = backend.serve(&[]);
    let dir = TempDir::new("rm-partial");
    let path = dir.join("left.bin");
    write_pattern(&path, 12 * MIB, 7);
    let raw = start_upload(&server, "left.bin", &path, (9 * MIB) as usize);
    wait_until(Duration::from_secs(20), "a partial upload is kept", || {
        sizes(&server, true)
            .iter()
            .any(|(name, _)| name == "left.bin")
    });
    drop(raw);
    wait_until(Duration::from_secs(20), "rm --partial goes through", || {
        server
            .client(&["rm", "--partial", "left.bin"])
            .status
            .success()
    });
    assert!(sizes(&server, true).is_empty());
    assert!(names(&server, &[]).is_empty());
}

fn a_client_that_stalls_mid_body_still_stores_every_byte(backend: &Backend) {
    let server = backend.serve(&[]);
    let dir = TempDir::new("stall");
    let path = dir.join("stalled.bin");
    let md5 = write_pattern(&path, 11 * MIB + 3, 8);
    let bytes = std::fs::read(&path).unwrap();
    let mut raw = RawClient::connect(server.addr);
    raw.send_frame(
        &json!({"op": "put", "name": "stalled.bin", "total": bytes.len()}),
        b"",
    );
    assert!(matches!(raw.reply(), Some(Reply::Ready { .. })));
    raw.send_head(&json!({"op": "put_data", "size": bytes.len()}));
    // Stalls twice inside the first part, once inside the second: the held bytes go to the
    // spool (bucket) or the partial file (folder) and come back.
    let cuts = [
        MIB as usize,
        3 * MIB as usize,
        9 * MIB as usize,
        bytes.len(),
    ];
    let mut from = 0;
    for cut in cuts {
        raw.send_bytes(&bytes[from..cut]);
        from = cut;
        std::thread::sleep(Duration::from_millis(700));
    }
    raw.send_frame(&json!({"op": "put_end", "md5": md5}), b"");
    assert!(matches!(raw.reply(), Some(Reply::Stored { .. })));
    let downloads = TempDir::new("stall-get");
    assert_eq!(get_md5(&server, "stalled.bin", &downloads), md5);
}

fn an_abandoned_upload_is_swept_after_the_partial_ttl(backend: &Backend) {
    let server = backend.serve(&["--partial-ttl", "1"]);
    let dir = TempDir::new("ttl");
    let path = dir.join("abandoned.bin");
    write_pattern(&path, 12 * MIB, 15);
    let raw = start_upload(&server, "abandoned.bin", &path, (9 * MIB) as usize);
    wait_until(Duration::from_secs(20), "a partial upload is kept", || {
        sizes(&server, true)
            .iter()
            .any(|(name, _)| name == "abandoned.bin")
    });
    drop(raw);
    wait_until(Duration::from_secs(20), "the sweep removes it", || {
        sizes(&server, true).is_empty()
    });
    if let Some(bucket) = &backend.bucket {
        // The multipart upload itself is aborted, not only forgotten.
        assert_eq!(shared_moto().multipart_uploads(bucket), 0);
    }
    assert!(names(&server, &[]).is_empty());
}

fn an_upload_over_the_size_limit_is_refused(backend: &Backend) {
    let server = backend.serve(&["--max-upload", "1000"]);
    let mut raw = RawClient::connect(server.addr);
    raw.send_frame(&json!({"op": "put", "name": "big.bin", "total": 1001}), b"");
    assert_eq!(crate::common::error_code(&raw.reply()), "too_large");
    assert!(names(&server, &[]).is_empty());
    assert!(sizes(&server, true).is_empty());
}

fn an_upload_over_the_partial_quota_is_refused(backend: &Backend) {
    let server = backend.serve(&["--max-partial-bytes", &(14 * MIB).to_string()]);
    let dir = TempDir::new("quota");
    let first = dir.join("first.bin");
    write_pattern(&first, 12 * MIB, 16);
    let raw = start_upload(&server, "first.bin", &first, (9 * MIB) as usize);
    // The folder keeps 9 MiB, the bucket the 8 MiB part the store took.
    wait_until(
        Duration::from_secs(20),
        "the first upload's bytes are kept",
        || {
            sizes(&server, true)
                .iter()
                .any(|(name, bytes)| name == "first.bin" && *bytes >= 8 * MIB)
        },
    );
    drop(raw);
    // Counted at most once a second: wait past that.
    std::thread::sleep(Duration::from_millis(1100));
    let mut raw = RawClient::connect(server.addr);
    raw.send_frame(
        &json!({"op": "put", "name": "second.bin", "total": 7 * MIB}),
        b"",
    );
    assert_eq!(crate::common::error_code(&raw.reply()), "too_large");
    assert!(sizes(&server, true)
        .iter()
        .all(|(name, _)| name == "first.bin"));
}

fn a_tutorial_upload_md5_client_stores_only_a_matching_file(backend: &Backend) {
    let mut server = backend.serve(&["--tutorial", "upload-md5=127.0.0.1:0"]);
    let mut line = String::new();
    server.stdout.read_line(&mut line).unwrap();
    // "seam: tutorial upload-md5 listener on ADDR"
    let addr: std::net::SocketAddr = line.trim().rsplit(' ').next().unwrap().parse().unwrap();
    let mut client = RawTutorial::connect(addr);
    let body = vec![b't'; (9 * MIB) as usize];
    let head = |name: &str| {
        tutorial_head(&format!(
            r#"{{"action": "put", "filename": "{name}", "filesize": {}}}"#,
            body.len()
        ))
    };
    client.send(&head("wrong.bin"));
    client.send(&body);
    assert_eq!(client.read_exact(3), b"200");
    client.send(&[b'0'; 32]);
    assert_eq!(client.read_exact(5), b"10000");
    client.send(&head("right.bin"));
    client.send(&body);
    assert_eq!(client.read_exact(3), b"200");
    client.send(seam_core::md5_hex(&body).as_bytes());
    assert_eq!(client.read_exact(3), b"100");
    assert_eq!(names(&server, &[]), vec!["right.bin".to_string()]);
    wait_until(
        Duration::from_secs(20),
        "the refused upload leaves nothing",
        || sizes(&server, true).is_empty(),
    );
}

fn a_download_whose_client_stops_reading_a_while_sends_every_byte(backend: &Backend) {
    let server = backend.serve(&[]);
    let dir = TempDir::new("paused");
    let path = dir.join("paused.bin");
    let md5 = write_pattern(&path, 24 * MIB + 1, 17);
    assert!(put(&server, &path, &[]).status.success());
    let mut raw = RawClient::connect(server.addr);
    raw.send_frame(&json!({"op": "get", "name": "paused.bin"}), b"");
    // The server fills the socket, lets go of its blocks (and its GET from the bucket), and
    // reads on from where the client is when it reads again.
    std::thread::sleep(Duration::from_millis(1500));
    let (_, body) = raw.read_reply().expect("the file");
    assert_eq!(body.len() as u64, 24 * MIB + 1);
    assert_eq!(seam_core::md5_hex(&body), md5);
    assert!(matches!(raw.reply(), Some(Reply::FileEnd { md5: sent }) if sent == md5));
}

// ---- The bucket only. ----

#[test]
#[serial(heavy)]
fn a_256_mib_file_round_trips_through_a_bucket() {
    let backend = Backend::bucket();
    let server = backend.serve(&[]);
    let dir = TempDir::new("big");
    let path = dir.join("big.bin");
    let md5 = write_pattern(&path, 256 * MIB, 9);
    let output = put(&server, &path, &[]);
    assert!(output.status.success(), "{}", stderr(&output));
    let downloads = TempDir::new("big-get");
    assert_eq!(get_md5(&server, "big.bin", &downloads), md5);
}

#[test]
#[parallel(heavy)]
fn the_md5_lives_in_the_bucket_beside_the_object_and_nothing_else_stays() {
    let moto = shared_moto();
    let bucket = moto.new_bucket();
    let server = Backend::bucket_on(moto, &bucket).serve(&[]);
    let dir = TempDir::new("keys");
    let path = dir.join("kept.bin");
    write_pattern(&path, 9 * MIB, 10);
    assert!(put(&server, &path, &[]).status.success());
    let mut keys = moto.keys(&bucket);
    keys.sort();
    assert_eq!(keys, vec!["files/.seam/md5/kept.bin", "files/kept.bin"]);
    assert_eq!(moto.multipart_uploads(&bucket), 0);
}

#[test]
#[parallel(heavy)]
fn an_md5_mismatch_aborts_the_multipart_upload() {
    let moto = shared_moto();
    let bucket = moto.new_bucket();
    let server = Backend::bucket_on(moto, &bucket).serve(&[]);
    let body = vec![b'y'; (17 * MIB) as usize];
    let mut raw = RawClient::connect(server.addr);
    raw.send_frame(
        &json!({"op": "put", "name": "bad.bin", "total": body.len()}),
        b"",
    );
    assert!(matches!(raw.reply(), Some(Reply::Ready { .. })));
    raw.send_frame(&json!({"op": "put_data", "size": body.len()}), &body);
    raw.send_frame(&json!({"op": "put_end", "md5": "f".repeat(32)}), b"");
    assert_eq!(crate::common::error_code(&raw.reply()), "md5_mismatch");
    assert!(moto.keys(&bucket).is_empty(), "{:?}", moto.keys(&bucket));
    assert_eq!(moto.multipart_uploads(&bucket), 0);
}

#[test]
#[parallel(heavy)]
fn two_servers_share_one_bucket() {
    let moto = shared_moto();
    let bucket = moto.new_bucket();
    let backend = Backend::bucket_on(moto, &bucket);
    let a = backend.serve(&[]);
    let b = backend.serve(&[]);
    let dir = TempDir::new("two");
    let path = dir.join("shared.bin");
    let md5 = write_pattern(&path, 10 * MIB, 11);
    assert!(put(&a, &path, &[]).status.success());
    assert_eq!(names(&b, &[]), vec!["shared.bin".to_string()]);
    let downloads = TempDir::new("two-get");
    assert_eq!(get_md5(&b, "shared.bin", &downloads), md5);
    ok(&b, &["rm", "shared.bin"]);
    assert!(names(&a, &[]).is_empty());
}

#[test]
#[parallel(heavy)]
fn an_upload_cut_by_killing_its_server_resumes_through_another() {
    let moto = shared_moto();
    let bucket = moto.new_bucket();
    let backend = Backend::bucket_on(moto, &bucket);
    let mut a = backend.serve(&[]);
    let b = backend.serve(&[]);
    let dir = TempDir::new("kill");
    let path = dir.join("moved.bin");
    let md5 = write_pattern(&path, 30 * MIB + 5, 12);
    let _raw = start_upload(&a, "moved.bin", &path, (20 * MIB) as usize);
    wait_until(Duration::from_secs(30), "two parts are kept", || {
        sizes(&b, true)
            .iter()
            .any(|(name, bytes)| name == "moved.bin" && *bytes >= 16 * MIB)
    });
    let pid = a.child.id();
    unsafe_free_kill(pid, "KILL");
    wait_until_gone(pid, Duration::from_secs(10));
    let _ = a.child.wait();
    let output = put(&b, &path, &["--resume", "--json"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let line = stdout(&output);
    assert!(
        line.contains(&format!("\"resumed_from\":{}", 16 * MIB)),
        "{line}"
    );
    let downloads = TempDir::new("kill-get");
    assert_eq!(get_md5(&b, "moved.bin", &downloads), md5);
    assert!(sizes(&b, true).is_empty());
}

#[test]
#[parallel(heavy)]
fn a_store_that_goes_away_mid_upload_is_reported_and_recovered_from() {
    let moto = Moto::start();
    let port = moto.port;
    let bucket = moto.new_bucket();
    let backend = Backend::bucket_on(&moto, &bucket);
    let server = backend.serve(&["--allow-exec", "echo"]);
    let dir = TempDir::new("outage");
    let path = dir.join("cut.bin");
    write_pattern(&path, 40 * MIB, 13);
    let mut raw = start_upload(&server, "cut.bin", &path, (12 * MIB) as usize);
    moto.kill();
    // The rest of the body: the server answers store_unavailable and closes.
    let bytes = std::fs::read(&path).unwrap();
    let _ = raw.stream.write_all(&bytes[(12 * MIB) as usize..]);
    let reply = raw.reply();
    assert_eq!(
        crate::common::error_code(&reply),
        "store_unavailable",
        "{reply:?}"
    );
    // A request for files says so too, with the client's exit code for a refusal.
    let listed = server.client(&["ls"]);
    assert_eq!(listed.status.code(), Some(5), "{}", stderr(&listed));
    assert!(
        stderr(&listed).contains("store_unavailable"),
        "{}",
        stderr(&listed)
    );
    // Requests that need no store go on.
    let echoed = seam()
        .args([
            "exec",
            "--server",
            &server.addr_arg(),
            "--",
            "echo",
            "still",
            "here",
        ])
        .output()
        .expect("seam runs");
    assert!(echoed.status.success(), "{}", stderr(&echoed));
    let echoed = stdout(&echoed);
    assert!(echoed.contains("still here"), "{echoed}");
    assert!(
        server.log_text().contains("failed"),
        "{}",
        server.log_text()
    );
    // The store comes back (empty, as moto keeps nothing): the same server works again.
    let moto = Moto::start_on(port);
    moto.boto(&format!("s3.create_bucket(Bucket='{bucket}')"));
    let small = dir.join("after.bin");
    let md5 = write_pattern(&small, 9 * MIB, 14);
    let output = put(&server, &small, &[]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(names(&server, &[]), vec!["after.bin".to_string()]);
    let downloads = TempDir::new("outage-get");
    assert_eq!(get_md5(&server, "after.bin", &downloads), md5);
}

#[test]
#[parallel(heavy)]
fn start_up_says_why_a_store_cannot_be_used() {
    let moto = shared_moto();
    let root = TempDir::new("start-up");
    let serve = |store: &str, endpoint: &str| {
        seam()
            .args(["serve", "--listen", "127.0.0.1:0", "--root"])
            .arg(root.path())
            .args(["--store", store])
            .envs(aws_env(endpoint))
            .output()
            .expect("seam runs")
    };
    // A usable store is said so, after the address.
    let bucket = moto.new_bucket();
    let mut server = Backend::bucket_on(moto, &bucket).serve(&[]);
    let mut line = String::new();
    server.stdout.read_line(&mut line).unwrap();
    assert!(
        line.contains(&format!(
            "the store s3://{bucket}/files was listed, written and deleted from"
        )),
        "{line}"
    );
    let missing = serve("s3://no-such-bucket", &moto.endpoint());
    assert!(!missing.status.success());
    assert!(
        stderr(&missing).contains("cannot list s3://no-such-bucket"),
        "{}",
        stderr(&missing)
    );
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let nowhere = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let down = serve("s3://any-bucket", &nowhere);
    assert!(!down.status.success());
    assert!(
        stderr(&down).contains("cannot list s3://any-bucket"),
        "{}",
        stderr(&down)
    );
    let bad = serve("http://not-s3", &moto.endpoint());
    assert!(!bad.status.success());
    assert!(stderr(&bad).contains("s3://BUCKET"), "{}", stderr(&bad));
}

#[test]
#[serial(heavy)]
fn stalled_uploads_into_a_bucket_hold_no_part_memory() {
    let backend = Backend::bucket();
    let server = backend.serve(&[]);
    let before = server.rss_mib();
    // 48 clients each send 6 MiB of a part (below the 8 MiB that would go to the store) and
    // stall: held in memory, that would be 288 MiB.
    let body = vec![b's'; (6 * MIB) as usize];
    let mut stalled = Vec::new();
    for i in 0..48 {
        let mut raw = RawClient::connect(server.addr);
        let name = format!("stalled-{i}.bin");
        raw.send_frame(&json!({"op": "put", "name": name, "total": 20 * MIB}), b"");
        assert!(matches!(raw.reply(), Some(Reply::Ready { .. })));
        raw.send_head(&json!({"op": "put_data", "size": 20 * MIB}));
        raw.send_bytes(&body);
        stalled.push(raw);
    }
    // Every upload noticed its client stalled and spooled its part.
    std::thread::sleep(Duration::from_secs(2));
    let held = server.rss_mib() - before;
    assert!(
        held < 96.0,
        "48 stalled uploads hold {held:.1} MiB more than an idle server"
    );
    drop(stalled);
}
