//! The Python tutorial servers of `tests/tutorials/servers/`, started on a free loopback port.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::sync::OnceLock;
use std::time::Duration;

use super::TempDir;

/// How long a Python server may take to start (a cold interpreter on a busy machine).
const START: Duration = Duration::from_secs(30);

/// The Python 3 interpreter itself (not a launcher script), so that stopping the child
/// stops the server.
fn python() -> &'static Path {
    static PYTHON: OnceLock<PathBuf> = OnceLock::new();
    PYTHON.get_or_init(|| {
        let output = Command::new("python3")
            .args(["-c", "import sys; print(sys.executable)"])
            .output()
            .expect("python3 runs (the tutorial tests need Python 3)");
        assert!(output.status.success(), "python3 does not run");
        PathBuf::from(String::from_utf8_lossy(&output.stdout).trim())
    })
}

/// The folder of the tutorial servers.
pub fn servers_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/tutorials/servers")
}

/// A running Python tutorial server, stopped when dropped.
pub struct PythonServer {
    child: Child,
    /// Its loopback address.
    pub addr: String,
    /// The folder it stores uploads in.
    pub dir: TempDir,
}

impl PythonServer {
    /// Starts `python3 SCRIPT 0 DIR` and waits for the port it prints.
    pub fn start(script: &str) -> PythonServer {
        PythonServer::spawn(script, &[servers_dir().join(script).into_os_string()])
    }

    /// Starts `python3 -c CODE 0 DIR`: a server that no tutorial teaches, for a test.
    pub fn start_code(code: &str) -> PythonServer {
        PythonServer::spawn("python3 -c", &["-c".into(), code.into()])
    }

    fn spawn(script: &str, program: &[std::ffi::OsString]) -> PythonServer {
        let dir = TempDir::new("tutorial-server");
        let mut child = Command::new(python())
            .args(program)
            .arg("0")
            .arg(dir.path())
            .current_dir(servers_dir())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("{script} starts: {e}"));
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(stdout).read_line(&mut line);
            let _ = tx.send(line);
        });
        let line = rx.recv_timeout(START).unwrap_or_default();
        let port: u16 = match line.trim().parse() {
            Ok(port) => port,
            Err(_) => {
                let _ = child.kill();
                panic!("{script} printed no port within {START:?}: {line:?}");
            }
        };
        PythonServer {
            child,
            addr: format!("127.0.0.1:{port}"),
            dir,
        }
    }

    /// Waits up to `wait` for `name` to be stored with the MD5 `md5`.
    pub fn wait_for_file(&self, name: &str, md5: &str, wait: Duration) -> bool {
        let path = self.dir.join(name);
        let deadline = std::time::Instant::now() + wait;
        while std::time::Instant::now() < deadline {
            if path.exists() && super::md5_of(&path) == md5 {
                return true;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        false
    }
}

impl Drop for PythonServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
