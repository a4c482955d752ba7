//! What the integration tests share: a `seam serve` child on a free port, the `seam`
//! client, temporary folders, and a raw framed client for sending arbitrary bytes.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use seam_core::messages::Reply;
use seam_core::{Decoder, Encoder, Event, Framing, Header};

mod output;
pub mod python_server;
pub mod table;
pub mod tutorial;

pub use output::{assert_ok, json_line, json_lines, stderr, stdout};

/// The `seam` binary under test.
pub fn seam() -> Command {
    Command::new(env!("CARGO_BIN_EXE_seam"))
}

/// A temporary folder, removed when dropped.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(label: &str) -> TempDir {
        static COUNTER: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let dir =
            std::env::temp_dir().join(format!("seam-test-{}-{label}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("temporary folder");
        TempDir(dir)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }

    pub fn join(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A `seam serve` child process on a free loopback port, stopped when dropped.
pub struct Server {
    pub child: Child,
    pub stdout: BufReader<std::process::ChildStdout>,
    pub addr: SocketAddr,
    pub root: PathBuf,
    pub dir: TempDir,
    /// The `--token` the server was started with, if any.
    pub token: Option<String>,
    /// Where the server's log (stderr) goes, when started with [`Server::start_logged`].
    pub log: Option<PathBuf>,
}

impl Server {
    /// Starts a server with these extra flags; its root is `<temp>/root`.
    pub fn start(flags: &[&str]) -> Server {
        let dir = TempDir::new("server");
        let root = dir.join("root");
        Server::start_in(dir, root, "127.0.0.1:0", flags)
    }

    /// Starts a server like [`Server::start`] whose log (warnings and errors) goes to a file
    /// that [`Server::log_text`] reads.
    pub fn start_logged(flags: &[&str]) -> Server {
        let dir = TempDir::new("server");
        let root = dir.join("root");
        let log = dir.join("server.log");
        Server::spawn(dir, root, "127.0.0.1:0", flags, Some(log), &[])
    }

    /// Starts a server like [`Server::start_logged`] with these environment variables too.
    pub fn start_logged_with_env(flags: &[&str], env: &[(&str, &str)]) -> Server {
        let dir = TempDir::new("server");
        let root = dir.join("root");
        let log = dir.join("server.log");
        Server::spawn(dir, root, "127.0.0.1:0", flags, Some(log), env)
    }

    /// Starts a server like [`Server::start_logged`] on a given root (which may outlive it).
    pub fn start_logged_in(root: &Path, flags: &[&str]) -> Server {
        let dir = TempDir::new("server");
        let log = dir.join("server.log");
        Server::spawn(
            dir,
            root.to_path_buf(),
            "127.0.0.1:0",
            flags,
            Some(log),
            &[],
        )
    }

    /// The server's resident memory now, in MiB.
    pub fn rss_mib(&self) -> f64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .expect("the server's /proc status");
        status
            .lines()
            .find_map(|line| line.strip_prefix("VmRSS:"))
            .and_then(|kib| kib.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
            .map(|kib| kib / 1024.0)
            .expect("VmRSS in the server's status")
    }

    /// User and system CPU seconds the server has used so far.
    pub fn cpu_seconds(&self) -> f64 {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.child.id()))
            .expect("the server's /proc stat");
        let fields: Vec<&str> = stat
            .rsplit(')')
            .next()
            .unwrap()
            .split_whitespace()
            .collect();
        let ticks: f64 = fields[11].parse::<f64>().unwrap() + fields[12].parse::<f64>().unwrap();
        let per_second = Command::new("getconf")
            .arg("CLK_TCK")
            .output()
            .ok()
            .and_then(|o| String::from_utf8(o.stdout).ok())
            .and_then(|s| s.trim().parse::<f64>().ok())
            .unwrap_or(100.0);
        ticks / per_second
    }

    /// Starts a server with a given folder, root and listen address.
    pub fn start_in(dir: TempDir, root: PathBuf, listen: &str, flags: &[&str]) -> Server {
        Server::spawn(dir, root, listen, flags, None, &[])
    }

    fn spawn(
        dir: TempDir,
        root: PathBuf,
        listen: &str,
        flags: &[&str],
        log: Option<PathBuf>,
        env: &[(&str, &str)],
    ) -> Server {
        let token = flags
            .iter()
            .position(|flag| *flag == "--token")
            .and_then(|i| flags.get(i + 1))
            .map(|token| token.to_string());
        let stderr = match &log {
            Some(path) => Stdio::from(std::fs::File::create(path).expect("log file")),
            None => Stdio::inherit(),
        };
        let mut child = seam()
            .arg("serve")
            .arg("--listen")
            .arg(listen)
            .arg("--root")
            .arg(&root)
            .args(flags)
            .env("RUST_LOG", "warn")
            .env_remove("SEAM_TOKEN")
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .expect("seam serve starts");
        let mut line = String::new();
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        stdout
            .read_line(&mut line)
            .expect("seam serve prints its address");
        let addr = line
            .trim()
            .rsplit(' ')
            .next()
            .and_then(|a| a.parse().ok())
            .unwrap_or_else(|| panic!("no address in {line:?}"));
        Server {
            child,
            stdout,
            addr,
            root,
            dir,
            token,
            log,
        }
    }

    /// What the server logged so far (only with [`Server::start_logged`]).
    pub fn log_text(&self) -> String {
        let path = self
            .log
            .as_ref()
            .expect("a server started with start_logged");
        std::fs::read_to_string(path).unwrap_or_default()
    }

    pub fn addr_arg(&self) -> String {
        self.addr.to_string()
    }

    /// Runs a client subcommand against this server.
    pub fn client(&self, args: &[&str]) -> Output {
        seam()
            .args(args)
            .arg("--server")
            .arg(self.addr_arg())
            .env_remove("SEAM_TOKEN")
            .output()
            .expect("seam runs")
    }

    /// Sends SIGTERM and waits for the process to end.
    pub fn terminate(&mut self) -> std::process::ExitStatus {
        unsafe_free_kill(self.child.id(), "TERM");
        self.child.wait().expect("server ends")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Sends a signal with the `kill` command (no unsafe code in tests).
pub fn unsafe_free_kill(pid: u32, signal: &str) {
    let status = Command::new("kill")
        .arg(format!("-{signal}"))
        .arg(pid.to_string())
        .status()
        .expect("kill runs");
    assert!(status.success());
}

/// Writes `len` bytes of a deterministic pattern to `path` and returns their MD5.
pub fn write_pattern(path: &Path, len: u64, seed: u64) -> String {
    let mut file = std::io::BufWriter::new(std::fs::File::create(path).expect("create"));
    let mut digest = seam_core::BodyDigest::new();
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut block = vec![0u8; 1 << 16];
    let mut left = len;
    while left > 0 {
        for chunk in block.chunks_mut(8) {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let bytes = state.to_le_bytes();
            chunk.copy_from_slice(&bytes[..chunk.len()]);
        }
        let n = left.min(block.len() as u64) as usize;
        file.write_all(&block[..n]).unwrap();
        digest.update(&block[..n]);
        left -= n as u64;
    }
    file.flush().unwrap();
    digest.finish_hex()
}

/// The MD5 of a file.
pub fn md5_of(path: &Path) -> String {
    let mut file = std::fs::File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut digest = seam_core::BodyDigest::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = file.read(&mut buf).unwrap();
        if n == 0 {
            return digest.finish_hex();
        }
        digest.update(&buf[..n]);
    }
}

/// A blocking client that writes raw bytes or frames and reads replies, for tests that
/// must say what no well-behaved client would.
pub struct RawClient {
    pub stream: TcpStream,
    decoder: Decoder,
    buf: Vec<u8>,
    pending: Vec<u8>,
}

impl RawClient {
    pub fn connect(addr: SocketAddr) -> RawClient {
        let stream = TcpStream::connect(addr).expect("connect");
        stream
            .set_read_timeout(Some(Duration::from_secs(20)))
            .unwrap();
        RawClient {
            stream,
            decoder: Decoder::new(Framing::default()),
            buf: vec![0; 64 * 1024],
            pending: Vec::new(),
        }
    }

    pub fn send_bytes(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).expect("send");
    }

    pub fn send_frame(&mut self, header: &serde_json::Value, body: &[u8]) {
        let frame = Encoder::default().frame(header, body).expect("valid frame");
        self.send_bytes(&frame);
    }

    /// Sends a header whose body the test will write itself (or not).
    pub fn send_head(&mut self, header: &serde_json::Value) {
        let mut head = Vec::new();
        Encoder::default()
            .encode_head(header, &mut head)
            .expect("valid head");
        self.send_bytes(&head);
    }

    /// The next reply header and its whole body; `None` when the server closed the stream.
    pub fn read_reply(&mut self) -> Option<(Header, Vec<u8>)> {
        let mut header = None;
        let mut body = Vec::new();
        loop {
            let mut input = &self.pending[..];
            let mut done = false;
            loop {
                match self.decoder.poll(&mut input) {
                    Ok(Some(Event::Header { header: h, .. })) => header = Some(h),
                    Ok(Some(Event::BodyPiece { bytes, .. })) => body.extend_from_slice(bytes),
                    Ok(Some(Event::MessageEnd { .. })) => {
                        done = true;
                        break;
                    }
                    Ok(Some(Event::Length { .. })) => {}
                    Ok(None) => break,
                    Err(e) => panic!("server sent a bad frame: {e}"),
                }
            }
            let rest = input.to_vec();
            self.pending = rest;
            if done {
                return Some((header.expect("header before end"), body));
            }
            let n = match self.stream.read(&mut self.buf) {
                Ok(n) => n,
                // A socket read with a timeout is never restarted after a signal (signal(7)).
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => 0,
                Err(e) => panic!("read failed: {e}"),
            };
            if n == 0 {
                return None;
            }
            self.pending.extend_from_slice(&self.buf[..n]);
        }
    }

    /// The next reply as a typed message.
    pub fn reply(&mut self) -> Option<Reply> {
        self.read_reply()
            .map(|(header, _)| Reply::from_header(&header).expect("a known reply"))
    }

    /// Whether the server closed the connection (reads end of stream or a reset).
    pub fn is_closed(&mut self) -> bool {
        self.read_reply().is_none()
    }
}

/// The error code of an `error` reply, as its snake_case name.
pub fn error_code(reply: &Option<Reply>) -> String {
    match reply {
        Some(Reply::Error { code, .. }) => serde_json::to_value(code)
            .unwrap()
            .as_str()
            .unwrap()
            .to_string(),
        other => panic!("expected an error reply, got {other:?}"),
    }
}

/// Uploads a small file with the real client (with the server's token, if it has one) and
/// checks it arrived whole.
pub fn assert_server_still_serves(server: &Server, label: &str) {
    let dir = TempDir::new("still-serves");
    let path = dir.join(&format!("after-{label}.bin"));
    let md5 = write_pattern(&path, 100_000, 7);
    let mut args = vec!["put", path.to_str().unwrap(), "--quiet", "--force"];
    if let Some(token) = &server.token {
        args.extend(["--token", token.as_str()]);
    }
    let output = server.client(&args);
    assert!(
        output.status.success(),
        "after {label}: upload failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(
        md5_of(&server.root.join(format!("after-{label}.bin"))),
        md5,
        "after {label}"
    );
}

/// Whether a process is gone (or a zombie nobody needs to wait for any more).
pub fn process_gone(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        Ok(stat) => stat
            .rsplit(')')
            .next()
            .and_then(|rest| rest.split_whitespace().next())
            .is_some_and(|state| state == "Z" || state == "X"),
    }
}

/// Waits (boundedly) until `ready` holds; panics naming `what` after `limit`.
pub fn wait_until(limit: Duration, what: &str, mut ready: impl FnMut() -> bool) {
    let start = Instant::now();
    while !ready() {
        assert!(start.elapsed() < limit, "{what}: not within {limit:?}");
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Every entry of a folder, hidden ones included (but the MD5 records kept beside stored
/// files), sorted.
pub fn entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| !name.ends_with(".seam-md5"))
        .collect();
    names.sort();
    names
}

/// Waits until the process is gone; panics after `within`.
pub fn wait_until_gone(pid: u32, within: Duration) {
    let start = Instant::now();
    while !process_gone(pid) {
        assert!(
            start.elapsed() < within,
            "process {pid} still runs after {within:?}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The chat member `fast` says `text` again and again, reading each line back before the next
/// (so it is never held up itself), until the server's log shows `fell_behind`; returns how
/// many lines it said. Fails after 60 s.
pub fn talk_until_logged(
    server: &Server,
    fast: &mut RawClient,
    text: &str,
    fell_behind: impl Fn(&str) -> bool,
) -> usize {
    let started = std::time::Instant::now();
    let mut sent = 0;
    while !fell_behind(&server.log_text()) {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the slow member never fell behind ({sent} lines sent)"
        );
        fast.send_frame(&serde_json::json!({"op": "chat", "text": text}), b"");
        loop {
            let (header, _) = fast.read_reply().expect("the fast member stays connected");
            if header.get("from") == Some(&serde_json::json!("fast")) {
                break;
            }
        }
        sent += 1;
    }
    sent
}
