//! Real captures: tcpdump records `seam put`/`get`/`send` talking to `seam serve --trace`
//! on loopback; `seam decode --pcap` must find exactly the frames the trace holds, both
//! directions, and tshark with Seam's Lua dissector must show every one of them.

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::common::{seam, unsafe_free_kill, write_pattern, Server, TempDir};
use seam_capture::{CaptureReader, Record, Side, Tracker, Window};
use seam_core::{parse_trace, trace_streams, Decoder, Direction, Event, Framing};
use serde_json::Value;
use serial_test::parallel;

/// One frame as both tools see it: its header and its body length.
type Frame = (Value, u64);

/// A `tcpdump -i lo` child writing a capture file, started and stopped carefully.
struct Tcpdump {
    child: Child,
}

impl Tcpdump {
    /// Starts capturing TCP on `port` into `file`; returns once tcpdump says it listens.
    fn start(port: u16, file: &Path) -> Tcpdump {
        let mut child = Command::new("tcpdump")
            .args(["-i", "lo", "-U", "-n", "-s", "0", "-w"])
            .arg(file)
            .arg(format!("tcp port {port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("tcpdump runs (tests/run-all.sh installs it)");
        let stderr = BufReader::new(child.stderr.take().unwrap());
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in stderr.lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match rx.recv_timeout(left) {
                Ok(line) if line.contains("listening on") => break,
                Ok(_) => {}
                Err(_) => panic!("tcpdump did not start capturing within 20 s"),
            }
        }
        Tcpdump { child }
    }

    /// Stops with SIGINT and waits, so that the file is complete.
    fn stop(mut self) {
        unsafe_free_kill(self.child.id(), "INT");
        let status = self.child.wait().expect("tcpdump ends");
        assert!(status.success(), "tcpdump ended with {status}");
    }
}

impl Drop for Tcpdump {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The connections in a capture file, and whether every one has closed both ways.
fn closed_connections(file: &Path) -> (usize, bool) {
    let bytes = std::fs::read(file).unwrap_or_default();
    let mut reader = CaptureReader::new();
    let mut tracker = Tracker::new(Window::default());
    let mut at = 0;
    while let Ok(Record::Read { consumed, packet }) = reader.next(&bytes[at..]) {
        at += consumed;
        if let Some(packet) = packet {
            if let Ok(Some(seen)) = tracker.packet(&packet) {
                while tracker.pop_ready(seen.stream, seen.side).is_some() {}
            }
        }
    }
    let streams: Vec<_> = tracker.streams().collect();
    let closed = streams
        .iter()
        .all(|s| Side::BOTH.iter().all(|&side| s.direction(side).ended()));
    (streams.len(), closed)
}

/// The frames of one traced stream, decoded by core.
fn frames_of(bytes: &[u8]) -> Vec<Frame> {
    let mut decoder = Decoder::new(Framing::default());
    let mut frames = Vec::new();
    for event in decoder.feed(bytes) {
        if let Event::Header {
            header, body_len, ..
        } = event.expect("the trace decodes")
        {
            frames.push((Value::Object(header), body_len));
        }
    }
    decoder
        .finish()
        .expect("the trace ends on a frame boundary");
    frames
}

/// The server's trace as frames per connection: (client's, server's), by connection.
fn traced_frames(trace: &Path) -> Vec<(Vec<Frame>, Vec<Frame>)> {
    let chunks = parse_trace(&std::fs::read_to_string(trace).unwrap()).expect("a valid trace");
    let streams = trace_streams(&chunks);
    let mut conns: Vec<u64> = streams.iter().map(|s| s.conn).collect();
    conns.dedup();
    conns
        .iter()
        .map(|&conn| {
            let of = |dir: Direction| {
                streams
                    .iter()
                    .find(|s| s.conn == conn && s.dir == dir)
                    .map(|s| frames_of(&s.bytes))
                    .unwrap_or_default()
            };
            (of(Direction::In), of(Direction::Out))
        })
        .collect()
}

/// A capture of one upload, one download and one echo, with the server's trace.
struct Session {
    _dir: TempDir,
    capture: PathBuf,
    trace: PathBuf,
    port: u16,
}

fn capture_a_session() -> Session {
    let dir = TempDir::new("capture");
    let capture = dir.join("session.pcap");
    let trace = dir.join("server.trace");
    let upload = dir.join("upload.bin");
    write_pattern(&upload, 150_000, 7);
    let port = free_port();
    let tcpdump = Tcpdump::start(port, &capture);
    let mut server = Server::start_in(
        TempDir::new("capture-server"),
        dir.join("root"),
        &format!("127.0.0.1:{port}"),
        &["--trace", trace.to_str().unwrap()],
    );
    let ok = |output: std::process::Output, what: &str| {
        assert!(output.status.success(), "{what}: {output:?}");
    };
    ok(
        server.client(&["put", "-q", upload.to_str().unwrap()]),
        "put",
    );
    let fetched = dir.join("fetched.bin");
    ok(
        server.client(&["get", "-q", "upload.bin", "-o", fetched.to_str().unwrap()]),
        "get",
    );
    ok(
        server.client(&["send", "-q", "hello through tcpdump"]),
        "send",
    );
    // Every connection's FIN, both ways, must be in the file before tcpdump stops.
    let deadline = Instant::now() + Duration::from_secs(10);
    while closed_connections(&capture) != (3, true) {
        assert!(
            Instant::now() < deadline,
            "the capture never showed 3 closed connections: {:?}",
            closed_connections(&capture)
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    server.terminate();
    tcpdump.stop();
    // The page's sample capture is a copy of this one (web/samples/).
    let keep = Path::new(env!("CARGO_TARGET_TMPDIR")).join("seam-session.pcap");
    std::fs::copy(&capture, keep).unwrap();
    Session {
        _dir: dir,
        capture,
        trace,
        port,
    }
}

fn decode_pcap(capture: &Path, extra: &[&str]) -> (Vec<Value>, std::process::ExitStatus) {
    let output = seam()
        .args(["decode", "--pcap"])
        .arg(capture)
        .args(extra)
        .output()
        .expect("seam runs");
    let lines = String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect();
    (lines, output.status)
}

#[test]
#[parallel(heavy)]
fn decode_pcap_finds_exactly_the_traced_frames_both_ways() {
    let session = capture_a_session();
    let traced = traced_frames(&session.trace);
    assert_eq!(traced.len(), 3, "put, get and send: one connection each");

    let (streams, status) = decode_pcap(&session.capture, &[]);
    assert!(status.success());
    assert_eq!(streams.len(), 3, "{streams:?}");
    for (i, stream) in streams.iter().enumerate() {
        assert_eq!(stream["kind"], "stream");
        assert_eq!(stream["stream"], i);
        assert_eq!(stream["server"], format!("127.0.0.1:{}", session.port));
        assert_eq!(stream["gaps"], serde_json::json!([]));
    }

    let (events, status) = decode_pcap(&session.capture, &["--stream", "all"]);
    assert!(status.success(), "{events:?}");
    for (i, (client, server)) in traced.iter().enumerate() {
        let captured = |direction: &str| -> Vec<Frame> {
            events
                .iter()
                .filter(|e| e["stream"] == i && e["direction"] == direction)
                .filter(|e| e["kind"] == "header")
                .map(|e| (e["header"].clone(), e["body_len"].as_u64().unwrap()))
                .collect()
        };
        assert_eq!(&captured("client"), client, "stream {i}, client to server");
        assert_eq!(&captured("server"), server, "stream {i}, server to client");
    }
    for event in &events {
        let segments = event["segments"].as_array().expect("segments");
        assert!(!segments.is_empty(), "{event}");
        for segment in segments {
            assert!(segment["packet"].as_u64().unwrap() >= 1);
            assert!(segment["seq"].is_u64() && segment["t"].is_f64());
        }
    }
    let upload_body = events
        .iter()
        .filter(|e| e["stream"] == 0 && e["direction"] == "client" && e["kind"] == "body")
        .map(|e| e["len"].as_u64().unwrap())
        .sum::<u64>();
    assert_eq!(
        upload_body, 150_000,
        "the whole upload's body, over several segments"
    );
}

#[test]
#[parallel(heavy)]
fn decode_pcap_decodes_one_direction_of_one_stream() {
    let session = capture_a_session();
    let traced = traced_frames(&session.trace);
    let (events, status) = decode_pcap(
        &session.capture,
        &["--stream", "2", "--direction", "server"],
    );
    assert!(status.success());
    assert!(events
        .iter()
        .all(|e| e["stream"] == 2 && e["direction"] == "server"));
    let headers = events.iter().filter(|e| e["kind"] == "header").count();
    assert_eq!(headers, traced[2].1.len());
}

#[test]
#[parallel(heavy)]
fn tshark_with_the_lua_dissector_shows_every_frame_on_a_non_default_port() {
    let session = capture_a_session();
    assert_ne!(
        session.port, 8800,
        "the heuristic, not the default port, finds Seam"
    );
    let traced = traced_frames(&session.trace);
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("wireshark/seam.lua");
    let output = Command::new("tshark")
        .arg("-X")
        .arg(format!("lua_script:{}", script.display()))
        .arg("-r")
        .arg(&session.capture)
        .args([
            "-Y",
            "seam",
            "-T",
            "fields",
            "-E",
            "occurrence=a",
            "-E",
            "aggregator=\u{1e}",
        ])
        .args([
            "-e",
            "tcp.stream",
            "-e",
            "tcp.srcport",
            "-e",
            "seam.header_json",
        ])
        .args(["-e", "seam.body_len", "-e", "seam.header_len"])
        .env("HOME", TempDir::new("tshark-home").path())
        .output()
        .expect("tshark runs (tests/run-all.sh installs it)");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "tshark: {output:?}");
    let mut seen: Vec<(Vec<Frame>, Vec<Frame>)> = vec![Default::default(); traced.len()];
    for line in stdout.lines() {
        let fields: Vec<&str> = line.split('\t').collect();
        let stream: usize = fields[0].parse().unwrap();
        let from_server = fields[1] == session.port.to_string();
        let headers = fields[2].split('\u{1e}');
        let body_lens = fields[3].split('\u{1e}');
        let header_lens = fields[4].split('\u{1e}');
        for ((header, body_len), header_len) in headers.zip(body_lens).zip(header_lens) {
            assert_eq!(header.len(), header_len.parse::<usize>().unwrap(), "{line}");
            let frame = (
                serde_json::from_str(header).expect("header JSON"),
                body_len.parse().unwrap(),
            );
            let lane = &mut seen[stream];
            if from_server {
                lane.1.push(frame);
            } else {
                lane.0.push(frame);
            }
        }
    }
    assert_eq!(seen, traced, "tshark output:\n{stdout}");
}

#[test]
#[parallel(heavy)]
fn decode_pcap_refuses_a_file_that_is_no_capture_with_exit_code_3() {
    let dir = TempDir::new("not-a-capture");
    let file = dir.join("notes.pcap");
    std::fs::write(&file, b"hello, not a capture").unwrap();
    let output = seam()
        .args(["decode", "--pcap"])
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(3));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("not a pcap or pcapng file (it starts with 0x68656c6c)"),
        "{stderr}"
    );
}

#[test]
#[parallel(heavy)]
fn decode_pcap_names_the_streams_there_are_when_asked_for_one_beyond() {
    let session = capture_a_session();
    let output = seam()
        .args(["decode", "--pcap"])
        .arg(&session.capture)
        .args(["--stream", "7"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&output.stderr).contains("the capture has 3 TCP stream(s)"));
}

/// A pcap (Ethernet, IPv4) of one client's segments: (seq, flags byte, payload).
fn hand_made_pcap(segments: &[(u32, u8, &[u8])]) -> Vec<u8> {
    let mut out = 0xa1b2_c3d4u32.to_le_bytes().to_vec();
    out.extend_from_slice(&[2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    out.extend_from_slice(&262_144u32.to_le_bytes());
    out.extend_from_slice(&1u32.to_le_bytes());
    for (i, &(seq, flags, payload)) in segments.iter().enumerate() {
        let mut packet = vec![0u8; 12];
        packet.extend_from_slice(&[0x08, 0x00]);
        let total = (20 + 20 + payload.len()) as u16;
        packet.extend_from_slice(&[0x45, 0]);
        packet.extend_from_slice(&total.to_be_bytes());
        packet.extend_from_slice(&[0, 0, 0x40, 0, 64, 6, 0, 0, 127, 0, 0, 1, 127, 0, 0, 1]);
        packet.extend_from_slice(&40000u16.to_be_bytes());
        packet.extend_from_slice(&8800u16.to_be_bytes());
        packet.extend_from_slice(&seq.to_be_bytes());
        packet.extend_from_slice(&[0, 0, 0, 1, 0x50, flags, 0xff, 0xff, 0, 0, 0, 0]);
        packet.extend_from_slice(payload);
        out.extend_from_slice(&1_700_000_000u32.to_le_bytes());
        out.extend_from_slice(&(i as u32).to_le_bytes());
        out.extend_from_slice(&(packet.len() as u32).to_le_bytes());
        out.extend_from_slice(&(packet.len() as u32).to_le_bytes());
        out.extend_from_slice(&packet);
    }
    out
}

#[test]
#[parallel(heavy)]
fn decode_pcap_stops_a_direction_at_a_gap_and_says_how_many_bytes_are_missing() {
    let mut frame = vec![22, 0, 0, 0];
    frame.extend_from_slice(b"{\"op\":\"echo\",\"size\":5}hello");
    // SYN at 100, the first frame whole, then a second frame whose bytes 10..20 were never
    // captured.
    const SYN: u8 = 0x02;
    const PSH_ACK: u8 = 0x18;
    let segments = [
        (100, SYN, &b""[..]),
        (101, PSH_ACK, &frame[..]),
        (132, PSH_ACK, &frame[..10]),
        (152, PSH_ACK, &frame[20..]),
    ];
    let dir = TempDir::new("gap");
    let file = dir.join("gap.pcap");
    std::fs::write(&file, hand_made_pcap(&segments)).unwrap();

    let (streams, status) = decode_pcap(&file, &[]);
    assert!(status.success());
    assert_eq!(
        streams[0]["gaps"][0]["message"],
        "10 bytes missing at seq 142 (stream offset 41): a length-prefixed stream cannot resynchronise after a gap"
    );

    let (events, status) = decode_pcap(&file, &["--stream", "0"]);
    assert_eq!(status.code(), Some(1), "{events:?}");
    let kinds: Vec<&str> = events.iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(
        kinds,
        ["length", "header", "body", "end", "length", "error"]
    );
    let last = events.last().unwrap();
    assert_eq!(last["direction"], "client");
    assert_eq!(last["error"]["kind"], "gap");
    assert_eq!(last["error"]["missing"], 10);
    assert_eq!(last["error"]["seq"], 142);
}
