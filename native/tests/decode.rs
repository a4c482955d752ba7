//! Black-box tests of `seam decode`: the binary against the shared vectors and captures.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};

use crate::common::{seam, TempDir};
use seam_core::vectors::{Mode, Vector};
use seam_core::{coalesce_body_pieces, ByteOrder, DecodeError, EventRecord};
use serde_json::Value;
use serial_test::{parallel, serial};

fn repo_path(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(relative)
}

/// The events (body pieces merged) and the error line that `seam decode` printed.
fn parse_output(output: &Output) -> (Vec<EventRecord>, Option<DecodeError>) {
    let stdout = String::from_utf8(output.stdout.clone()).expect("output is UTF-8");
    let mut records = Vec::new();
    let mut error = None;
    for line in stdout.lines() {
        let value: Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("not a JSON line: {line}: {e}"));
        if value["kind"] == "error" {
            assert!(error.is_none(), "only one error line may be printed");
            assert_eq!(
                value["offset"], value["error"]["offset"],
                "the error line names its offset"
            );
            assert!(value["message"].as_str().is_some_and(|m| !m.is_empty()));
            error = Some(
                serde_json::from_value(value["error"].clone())
                    .expect("error has DecodeError's form"),
            );
        } else {
            assert!(error.is_none(), "nothing may follow the error line");
            records.push(serde_json::from_value(value).expect("event has EventRecord's form"));
        }
    }
    coalesce_body_pieces(&mut records);
    (records, error)
}

fn framing_flags(vector: &Vector) -> Vec<String> {
    let framing = &vector.framing;
    let mut flags = vec![
        format!("--max-header={}", framing.max_header_len),
        format!("--max-body={}", framing.max_body_len),
    ];
    if framing.byte_order == ByteOrder::Big {
        flags.push("--big-endian".into());
    }
    for field in &framing.size_fields {
        flags.push(format!("--size-field={field}"));
    }
    flags
}

fn vectors() -> Vec<(String, Vector)> {
    let dir = repo_path("tests/vectors");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("tests/vectors is readable")
        .map(|entry| entry.expect("directory entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|path| {
            let text = std::fs::read_to_string(&path).expect("vector is readable");
            let vector =
                Vector::from_json(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            (
                path.file_name().unwrap().to_string_lossy().into_owned(),
                vector,
            )
        })
        .filter(|(_, vector)| vector.mode == Mode::Stream && !vector.framing.size_fields.is_empty())
        .collect()
}

#[test]
#[parallel(heavy)]
fn prints_every_vectors_events_and_error_under_several_cuts() {
    let vectors = vectors();
    assert!(
        vectors.len() >= 30,
        "expected the shared vectors, found {}",
        vectors.len()
    );
    let dir = TempDir::new("decode-vectors");
    for (name, vector) in vectors {
        let file = dir.join(&name);
        std::fs::write(&file, vector.bytes().expect("vector hex")).expect("a temporary file");
        for cut in [
            "reads:65536",
            "bytes",
            "reads:4,5",
            "random:7:9",
            "merge:1460",
        ] {
            let output = seam()
                .arg("decode")
                .arg(&file)
                .arg(format!("--cut={cut}"))
                .args(framing_flags(&vector))
                .output()
                .expect("seam runs");
            let (events, error) = parse_output(&output);
            assert_eq!(events, vector.events, "{name} under {cut}: events");
            assert_eq!(error, vector.error, "{name} under {cut}: error");
            let expected_code = if vector.error.is_some() { 1 } else { 0 };
            assert_eq!(
                output.status.code(),
                Some(expected_code),
                "{name} under {cut}: exit code"
            );
        }
    }
}

#[test]
#[parallel(heavy)]
fn reads_standard_input_when_given_a_dash() {
    let capture = std::fs::read(repo_path("tests/captures/tutorial-session.bin")).expect("capture");
    let from_file = seam()
        .args(["decode"])
        .arg(repo_path("tests/captures/tutorial-session.bin"))
        .output()
        .expect("seam runs");
    let mut child = seam()
        .args(["decode", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("seam runs");
    child.stdin.take().unwrap().write_all(&capture).unwrap();
    let from_stdin = child.wait_with_output().expect("seam ends");
    assert!(from_stdin.status.success());
    assert_eq!(from_stdin.stdout, from_file.stdout);
    let (events, error) = parse_output(&from_stdin);
    assert_eq!(error, None);
    assert_eq!(
        events
            .iter()
            .filter(|e| matches!(e, EventRecord::End { .. }))
            .count(),
        6
    );
}

#[test]
#[parallel(heavy)]
fn reports_a_capture_cut_short_with_the_missing_byte_count_and_exit_code_1() {
    let output = seam()
        .arg("decode")
        .arg(repo_path("tests/captures/cut-short.bin"))
        .output()
        .expect("seam runs");
    assert_eq!(output.status.code(), Some(1));
    let (_, error) = parse_output(&output);
    match error {
        Some(DecodeError::Truncated { missing, part, .. }) => {
            assert_eq!(missing, 10);
            assert_eq!(part, seam_core::Part::Body);
        }
        other => panic!("expected a truncation, got {other:?}"),
    }
}

#[test]
#[parallel(heavy)]
fn refuses_a_bad_cut_spec_with_exit_code_2() {
    let output = seam()
        .args(["decode", "--cut", "reads:0", "-"])
        .output()
        .expect("seam runs");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("reads:0"),
        "stderr names the bad spec: {stderr}"
    );
}

#[test]
#[parallel(heavy)]
fn reports_a_missing_file_with_exit_code_3() {
    let output = seam()
        .args(["decode", "no/such/capture.bin"])
        .output()
        .expect("seam runs");
    assert_eq!(output.status.code(), Some(3));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("no/such/capture.bin"),
        "stderr names the file: {stderr}"
    );
}

/// Peak resident memory of a running process, from Linux's /proc.
#[cfg(target_os = "linux")]
fn peak_rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("/proc status");
    let line = status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .expect("VmHWM line");
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

#[cfg(target_os = "linux")]
#[test]
#[serial(heavy)]
fn memory_stays_constant_while_a_512_mib_body_streams_through_stdin() {
    let body_len: u64 = 512 << 20;
    let header = format!(r#"{{"op":"put","name":"big.bin","size":{body_len}}}"#);
    let mut child = seam()
        .args(["decode", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("seam runs");
    let mut stdin = child.stdin.take().unwrap();
    stdin
        .write_all(&(header.len() as u32).to_le_bytes())
        .unwrap();
    stdin.write_all(header.as_bytes()).unwrap();
    let block = vec![0xA5u8; 1 << 20];
    // The decoder prints a line per 64 KiB read; drain stdout so it never blocks.
    let stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || std::io::read_to_string(stdout).unwrap());
    for _ in 0..(body_len >> 20) {
        stdin.write_all(&block).unwrap();
    }
    stdin.flush().unwrap();
    // The whole body has been written; the process now waits for more input and is still alive.
    std::thread::sleep(std::time::Duration::from_millis(200));
    let peak = peak_rss_kib(child.id());
    drop(stdin);
    let status = child.wait().unwrap();
    let printed = reader.join().unwrap();
    assert!(status.success(), "a complete frame decodes");
    assert!(printed.lines().last().unwrap().contains(r#""kind":"end""#));
    assert!(
        peak < 32 * 1024,
        "peak RSS {peak} KiB while a 512 MiB body went through"
    );
}
