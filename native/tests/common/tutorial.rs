//! What the tests of `seam serve --tutorial` share: a server with tutorial listeners, the
//! tutorials' Python clients from `tests/tutorials/clients/`, and raw unframed sockets.

use std::collections::HashMap;
use std::io::{BufRead, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::{Server, TempDir};

/// How long a tutorial client or a condition may take at most: a bound against hangs.
pub const DEADLINE: Duration = Duration::from_secs(30);

/// A `seam serve` with tutorial listeners, each on a free loopback port.
pub struct TutorialServer {
    pub server: Server,
    addrs: HashMap<String, SocketAddr>,
}

impl TutorialServer {
    /// Starts a server with `--tutorial NAME=127.0.0.1:0` for each dialect, and `flags`.
    pub fn start(dialects: &[&str], flags: &[&str]) -> TutorialServer {
        let mut args: Vec<String> = flags.iter().map(|f| f.to_string()).collect();
        for dialect in dialects {
            args.push("--tutorial".into());
            args.push(format!("{dialect}=127.0.0.1:0"));
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let mut server = Server::start_logged(&args);
        let mut addrs = HashMap::new();
        for _ in dialects {
            let mut line = String::new();
            server
                .stdout
                .read_line(&mut line)
                .expect("a tutorial listener line");
            // "seam: tutorial NAME listener on ADDR"
            let words: Vec<&str> = line.split_whitespace().collect();
            assert_eq!(words.get(1), Some(&"tutorial"), "unexpected line {line:?}");
            addrs.insert(words[2].to_string(), words[5].parse().expect("an address"));
        }
        TutorialServer { server, addrs }
    }

    /// The address of a dialect's listener.
    pub fn addr(&self, dialect: &str) -> SocketAddr {
        self.addrs[dialect]
    }

    /// The server's root folder.
    pub fn root(&self) -> &Path {
        &self.server.root
    }
}

/// A tutorial client script.
pub fn client_script(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/tutorials/clients")
        .join(name)
}

/// Runs `python3 CLIENT ADDR EXTRA...` in `cwd` with `input` on its standard input; it must
/// succeed within [`DEADLINE`]. Returns its standard output.
pub fn run_client(
    client: &str,
    addr: SocketAddr,
    extra: &[&str],
    input: &str,
    cwd: &Path,
) -> String {
    let mut child = Command::new("python3")
        .arg(client_script(client))
        .arg(addr.to_string())
        .args(extra)
        .current_dir(cwd)
        .env("PYTHONIOENCODING", "utf-8")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3 runs (the tutorial tests need Python 3)");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .expect("client's stdin");
    let deadline = Instant::now() + DEADLINE;
    loop {
        if let Some(status) = child.try_wait().expect("wait for python3") {
            let output = child.wait_with_output().expect("python3 output");
            let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
            assert!(
                status.success(),
                "{client} failed ({status}): {stdout}{}",
                String::from_utf8_lossy(&output.stderr)
            );
            return stdout;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{client} did not finish within {DEADLINE:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// `struct.pack('i', len(h)) + h` for a JSON text `h`, as the tutorials frame a header.
pub fn tutorial_head(json: &str) -> Vec<u8> {
    let mut out = (json.len() as i32).to_le_bytes().to_vec();
    out.extend_from_slice(json.as_bytes());
    out
}

/// A raw TCP connection to a tutorial listener, with bounded reads.
pub struct RawTutorial {
    pub stream: TcpStream,
}

impl RawTutorial {
    pub fn connect(addr: SocketAddr) -> RawTutorial {
        let stream = TcpStream::connect(addr).expect("connect");
        stream.set_read_timeout(Some(DEADLINE)).unwrap();
        RawTutorial { stream }
    }

    pub fn send(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).expect("send");
    }

    /// Reads exactly `n` bytes.
    pub fn read_exact(&mut self, n: usize) -> Vec<u8> {
        let mut buf = vec![0; n];
        self.stream.read_exact(&mut buf).expect("the reply");
        buf
    }

    /// Reads `n` bytes, or fewer if the server closes first (a reset counts as a close).
    pub fn read_to_close_after(&mut self, n: usize) -> Vec<u8> {
        let mut out = Vec::new();
        let mut buf = [0u8; 4096];
        while out.len() < n {
            match self.stream.read(&mut buf[..n - out.len()]) {
                Ok(0) => break,
                Ok(k) => out.extend_from_slice(&buf[..k]),
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => break,
                Err(e) => panic!("read failed (the server neither answered nor closed): {e}"),
            }
        }
        out
    }

    /// Reads until the server closes (a reset counts as a close).
    pub fn read_to_close(&mut self) -> Vec<u8> {
        let mut out = Vec::new();
        let mut buf = [0u8; 4096];
        loop {
            match self.stream.read(&mut buf) {
                Ok(0) => return out,
                Ok(n) => out.extend_from_slice(&buf[..n]),
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => return out,
                Err(e) => panic!("read failed (the server neither answered nor closed): {e}"),
            }
        }
    }
}

/// A temporary folder of files named and sized as given; returns it and their MD5s.
pub fn local_files(files: &[(&str, u64)]) -> (TempDir, Vec<String>) {
    let dir = TempDir::new("tutorial-local");
    let md5s = files
        .iter()
        .enumerate()
        .map(|(i, (name, len))| super::write_pattern(&dir.join(name), *len, i as u64 + 11))
        .collect();
    (dir, md5s)
}
