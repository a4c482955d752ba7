//! The tutorials' own kind of client against the real server: `tutorial_client.py` packs
//! the header length with `struct.pack('i', ...)`, sends `{"cmd": "put", "filename",
//! "filesize"}` or `{"filename", "size"}` headers and the raw file bytes, several files on
//! one connection, and closes without reading a reply. Every file must land whole.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::{entries, md5_of, write_pattern, Server, TempDir};
use serial_test::parallel;

/// How long a run of the Python client and the server's commits may take at most.
const DEADLINE: Duration = Duration::from_secs(60);

/// The Python client, next to this file.
fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("tutorial_client.py")
}

/// Writes the files to send: `(name, bytes)` pairs become files in `dir`; returns their
/// paths and MD5s.
fn make_files(dir: &TempDir, files: &[(&str, u64)]) -> Vec<(String, PathBuf, String)> {
    files
        .iter()
        .enumerate()
        .map(|(i, (name, len))| {
            let path = dir.join(name);
            let md5 = write_pattern(&path, *len, i as u64 + 1);
            (name.to_string(), path, md5)
        })
        .collect()
}

/// Starts `python3 tutorial_client.py HOST PORT FILE...`.
fn start_client(server: &Server, paths: &[&Path]) -> std::process::Child {
    Command::new("python3")
        .arg(script())
        .arg(server.addr.ip().to_string())
        .arg(server.addr.port().to_string())
        .args(paths)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3 runs (the tutorial interop test needs Python 3)")
}

/// Waits for the client to exit successfully, at most until `deadline`.
fn wait_for_client(mut child: std::process::Child, deadline: Instant) {
    loop {
        if let Some(status) = child.try_wait().expect("wait for python3") {
            let output = child.wait_with_output().expect("python3 output");
            assert!(
                status.success(),
                "the tutorial client failed ({status}): {}{}",
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            );
            return;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the tutorial client did not finish within {DEADLINE:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Waits (boundedly) until every name exists in the root: the server commits a file after
/// reading its last byte, so the last one may appear a moment after the client is done.
fn wait_for_files(root: &Path, names: &[&str], deadline: Instant) {
    loop {
        let missing: Vec<_> = names.iter().filter(|n| !root.join(n).exists()).collect();
        if missing.is_empty() {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "never stored: {missing:?}; the root holds {:?}",
            entries(root)
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Checks each file arrived whole under its name and nothing else is in the root.
fn assert_stored(root: &Path, files: &[(String, PathBuf, String)]) {
    for (name, _, md5) in files {
        assert_eq!(&md5_of(&root.join(name)), md5, "{name} arrived damaged");
    }
    let mut expected: Vec<String> = files.iter().map(|(name, ..)| name.clone()).collect();
    expected.sort();
    assert_eq!(
        entries(root),
        expected,
        "partial or unexpected files are left"
    );
}

#[test]
#[parallel(heavy)]
fn a_tutorial_python_client_uploads_several_files_on_one_connection_without_reading_replies() {
    let server = Server::start(&[]);
    let local = TempDir::new("tutorial-files");
    let files = make_files(
        &local,
        &[
            ("empty.bin", 0),
            ("small.txt", 100),
            ("文件.txt", 12_345),
            ("exactly-8k.bin", 8192),
            ("three-mib.bin", (3 << 20) + 17),
            ("one-byte", 1),
            ("last one.dat", (1 << 20) + 1),
        ],
    );
    let deadline = Instant::now() + DEADLINE;
    let paths: Vec<&Path> = files.iter().map(|(_, path, _)| path.as_path()).collect();
    wait_for_client(start_client(&server, &paths), deadline);
    let names: Vec<&str> = files.iter().map(|(name, ..)| name.as_str()).collect();
    wait_for_files(&server.root, &names, deadline);
    assert_stored(&server.root, &files);
}

#[test]
#[parallel(heavy)]
fn two_tutorial_python_clients_at_once_both_land_every_file() {
    let server = Server::start(&[]);
    let local = TempDir::new("tutorial-pair");
    let first = make_files(
        &local,
        &[("a-0.bin", 200_000), ("a-1.bin", 0), ("a-2 ü.bin", 2 << 20)],
    );
    let second = make_files(
        &local,
        &[
            ("b-0.bin", (2 << 20) + 3),
            ("b-1.bin", 1023),
            ("b-2.bin", 1025),
        ],
    );
    let deadline = Instant::now() + DEADLINE;
    let first_paths: Vec<&Path> = first.iter().map(|(_, path, _)| path.as_path()).collect();
    let second_paths: Vec<&Path> = second.iter().map(|(_, path, _)| path.as_path()).collect();
    let first_client = start_client(&server, &first_paths);
    let second_client = start_client(&server, &second_paths);
    wait_for_client(first_client, deadline);
    wait_for_client(second_client, deadline);
    let all: Vec<_> = first.into_iter().chain(second).collect();
    let names: Vec<&str> = all.iter().map(|(name, ..)| name.as_str()).collect();
    wait_for_files(&server.root, &names, deadline);
    assert_stored(&server.root, &all);
}
