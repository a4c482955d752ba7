//! What each client command is asked to do: plain values a program (or a test) builds
//! without the command line, one type per command.

use std::path::PathBuf;

use seam_core::dialect::Dialect;

use crate::address::DEFAULT_ADDRESS;
use crate::tls::Fingerprint;

/// Where the server is and how to talk to it: what every client command shares.
#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// The server's address (HOST:PORT).
    pub server: String,
    /// The server's token, if it has one.
    pub token: Option<String>,
    /// Print nothing but errors (no progress bars).
    pub quiet: bool,
    /// Print results as JSON lines.
    pub json: bool,
    /// Where every chunk the connection reads or writes is traced, as JSON lines.
    pub trace: Option<PathBuf>,
    /// Whether and how to speak TLS.
    pub secure: TlsOptions,
}

impl Default for ClientOptions {
    fn default() -> ClientOptions {
        ClientOptions {
            server: DEFAULT_ADDRESS.to_string(),
            token: None,
            quiet: false,
            json: false,
            trace: None,
            secure: TlsOptions::default(),
        }
    }
}

/// Whether a client speaks TLS, and how it decides to trust the server.
#[derive(Debug, Clone)]
pub struct TlsOptions {
    /// Connect over TLS, pinning the server's certificate on first use.
    pub tls: bool,
    /// Trust only the certificate with this fingerprint; implies TLS.
    pub fingerprint: Option<Fingerprint>,
    /// Verify the server's certificate against this CA (PEM) instead; implies TLS.
    pub tls_ca: Option<PathBuf>,
    /// Seconds to wait for the server's side of the TLS handshake.
    pub handshake_timeout: f64,
    /// Send the token in clear text to a server off this machine.
    pub insecure: bool,
}

impl Default for TlsOptions {
    fn default() -> TlsOptions {
        TlsOptions {
            tls: false,
            fingerprint: None,
            tls_ca: None,
            handshake_timeout: 10.0,
            insecure: false,
        }
    }
}

impl TlsOptions {
    /// Whether the connection uses TLS.
    pub fn enabled(&self) -> bool {
        self.tls || self.fingerprint.is_some() || self.tls_ca.is_some()
    }
}

/// `put`: upload files, verified by MD5 before they appear on the server.
#[derive(Debug, Clone)]
pub struct PutOptions {
    /// Files to upload.
    pub files: Vec<PathBuf>,
    /// Name on the server (only with a single file); default: the file's own name.
    pub name: Option<String>,
    /// Continue an interrupted upload from the bytes the server already holds.
    pub resume: bool,
    /// Replace a file that exists on the server.
    pub force: bool,
    /// Upload as a tutorial's client does (ftp, movie or upload-md5).
    pub dialect: Option<Dialect>,
    /// The server and how to reach it.
    pub client: ClientOptions,
}

/// `get`: download files, verified by MD5 before they appear here.
#[derive(Debug, Clone)]
pub struct GetOptions {
    /// Names of the files to download.
    pub names: Vec<String>,
    /// Where to write: a file (with one name) or an existing folder; default: here.
    pub output: Option<PathBuf>,
    /// Continue an interrupted download from the bytes already here.
    pub resume: bool,
    /// Replace a local file that exists.
    pub force: bool,
    /// The server and how to reach it.
    pub client: ClientOptions,
}

/// `ls`: list the server's files.
#[derive(Debug, Clone)]
pub struct LsOptions {
    /// List the unfinished uploads (partial files) instead.
    pub partial: bool,
    /// The server and how to reach it.
    pub client: ClientOptions,
}

/// `rm`: delete a file on the server.
#[derive(Debug, Clone)]
pub struct RmOptions {
    /// Name of the file to delete.
    pub name: String,
    /// Delete the partial file of an unfinished upload of the name instead.
    pub partial: bool,
    /// The server and how to reach it.
    pub client: ClientOptions,
}

/// `exec`: run a program the server allows.
#[derive(Debug, Clone)]
pub struct ExecOptions {
    /// The program and its arguments, passed as they are (no shell).
    pub argv: Vec<String>,
    /// Send the command as a tutorial's client does (cmd, cmd-len, cmd-struct, cmd-ready).
    pub dialect: Option<Dialect>,
    /// The server and how to reach it.
    pub client: ClientOptions,
}

/// `send`: one message, echoed back.
#[derive(Debug, Clone)]
pub struct SendOptions {
    /// The message.
    pub text: String,
    /// Send the bare text as a tutorial's client does (echo, echo-upper).
    pub dialect: Option<Dialect>,
    /// The server and how to reach it.
    pub client: ClientOptions,
}

/// `chat`: talk with everyone in the server's chat.
#[derive(Debug, Clone)]
pub struct ChatOptions {
    /// The name to join as; default: $USER, or a numbered variant when that is taken.
    pub name: Option<String>,
    /// The server and how to reach it.
    pub client: ClientOptions,
}

/// `udp send`: one message in one datagram, echoed back.
#[derive(Debug, Clone)]
pub struct UdpSendOptions {
    /// The message.
    pub text: String,
    /// The server's address.
    pub to: String,
    /// Size of the buffer the reply is received into.
    pub recv_buffer: usize,
    /// Seconds to wait for the reply before reporting the datagram lost.
    pub timeout: f64,
    /// Print the result as a JSON line.
    pub json: bool,
    /// Send one datagram of bare text as the tutorial's UDP client does (udp-upper).
    pub dialect: Option<Dialect>,
}
