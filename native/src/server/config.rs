//! How a server is set up: every option of `seam serve`, as a plain value a program (or a
//! test) can build without the command line.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use seam_core::DEFAULT_MAX_BODY_LEN;

use crate::address::DEFAULT_ADDRESS;

/// A server's configuration; [`Config::default`] is `seam serve` without flags.
#[derive(Debug, Clone)]
pub struct Config {
    /// Address and port to listen on (port 0: any free port).
    pub listen: SocketAddr,
    /// Folder to serve; created on first use.
    pub root: PathBuf,
    /// Keep files in an S3-compatible bucket instead, `s3://BUCKET[/PREFIX]` (configured
    /// from the `AWS_*` environment variables); `root` then holds the rest.
    pub store: Option<String>,
    /// A token every connection must present first.
    pub token: Option<String>,
    /// Allow a non-loopback listener without TLS or without a token.
    pub insecure: bool,
    /// Speak TLS (with a certificate made and kept in the state folder, unless `tls_cert`).
    pub tls: bool,
    /// A real certificate (PEM, leaf first) instead of the generated one.
    pub tls_cert: Option<PathBuf>,
    /// The private key (PEM) of `tls_cert`.
    pub tls_key: Option<PathBuf>,
    /// Where the generated certificate and key are kept; default: ROOT/.seam.
    pub state_dir: Option<PathBuf>,
    /// Most connections served at once; more are told the server is busy.
    pub max_conns: usize,
    /// Most chat members at once.
    pub max_chat: usize,
    /// How long a connection may stay silent before it is closed.
    pub idle_timeout: Duration,
    /// Largest file accepted, in bytes.
    pub max_upload: u64,
    /// How long an unfinished upload's partial file is kept after its last write.
    pub partial_ttl: Duration,
    /// Most bytes the partial files of unfinished uploads may hold together.
    pub max_partial_bytes: u64,
    /// Where every chunk each connection reads or writes is traced, as JSON lines.
    pub trace: Option<PathBuf>,
    /// Also serve the browser visualiser over HTTP on this address.
    pub web: Option<SocketAddr>,
    /// The folder of the visualiser's page (with its built `pkg/`).
    pub web_dir: PathBuf,
    /// The programs clients may run with `exec`; empty: none.
    pub allow_exec: Vec<String>,
    /// How long a command may run before it is killed.
    pub exec_timeout: Duration,
    /// Most output bytes a command may send before it is killed.
    pub exec_output_cap: u64,
    /// Most commands running at once.
    pub exec_max_running: usize,
    /// Also answer echo requests over UDP on the same address and port.
    pub udp: bool,
    /// Listeners for the tutorials' own programs, one dialect each.
    pub tutorial: Vec<TutorialListen>,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            listen: DEFAULT_ADDRESS
                .parse()
                .expect("the default address is an address"),
            root: PathBuf::from("seam-data"),
            store: None,
            token: None,
            insecure: false,
            tls: false,
            tls_cert: None,
            tls_key: None,
            state_dir: None,
            max_conns: 4096,
            max_chat: 1024,
            idle_timeout: Duration::from_secs(300),
            max_upload: DEFAULT_MAX_BODY_LEN,
            partial_ttl: Duration::from_secs(86_400),
            max_partial_bytes: 64 << 30,
            trace: None,
            web: None,
            web_dir: PathBuf::from("web"),
            allow_exec: Vec::new(),
            exec_timeout: Duration::from_secs(60),
            exec_output_cap: 16 << 20,
            exec_max_running: 16,
            udp: false,
            tutorial: Vec::new(),
        }
    }
}

/// One `--tutorial NAME=ADDR`: a dialect and the address its listener binds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TutorialListen {
    /// The dialect the listener speaks.
    pub dialect: seam_core::dialect::Dialect,
    /// Where it listens.
    pub addr: SocketAddr,
}

impl std::str::FromStr for TutorialListen {
    type Err = String;

    fn from_str(text: &str) -> Result<TutorialListen, String> {
        let (name, addr) = text
            .split_once('=')
            .ok_or_else(|| format!("{text:?} is not NAME=ADDR (for example ftp=127.0.0.1:8080)"))?;
        let dialect = name.parse().map_err(|e| format!("{e}"))?;
        let addr = addr
            .parse()
            .map_err(|_| format!("{addr:?} is not an address such as 127.0.0.1:8080"))?;
        Ok(TutorialListen { dialect, addr })
    }
}

impl std::fmt::Display for TutorialListen {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}={}", self.dialect, self.addr)
    }
}
