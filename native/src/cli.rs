//! The command line: subcommands, their flags and the exit codes.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use seam_core::dialect::Dialect;
use seam_core::{
    ByteOrder, Cut, Framing, DEFAULT_MAX_BODY_LEN, DEFAULT_MAX_HEADER_LEN, TUTORIAL_SIZE_FIELDS,
};
use seam_native::address::DEFAULT_ADDRESS;
use seam_native::client::options::TlsOptions;
use seam_native::decode::StreamChoice;
use seam_native::exit::{CHECK, COMMANDS, EXEC, UDP_SEND};
use seam_native::server::{Config, TutorialListen};

pub mod bench;
mod options;

/// The help's list of exit codes of `decode` and the file commands.
fn exit_codes() -> String {
    COMMANDS.help()
}

/// What `seam serve` does without flags: the defaults its flags show.
fn serve_defaults() -> Config {
    Config::default()
}

/// Seam: length-prefixed JSON framing over TCP, done properly.
#[derive(Debug, Parser)]
#[command(name = "seam", version, about, after_help = exit_codes())]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands of `seam`.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Decode a captured byte stream and print one JSON line per framing event.
    #[command(after_help = exit_codes())]
    Decode(DecodeArgs),
    /// Serve many clients at once: files (upload, download, list, delete), echo, a chat,
    /// allowed commands (`--allow-exec`) and UDP echo (`--udp`).
    #[command(after_help = exit_codes())]
    Serve(ServeArgs),
    /// Upload files, verified by MD5 before they appear on the server.
    #[command(after_help = exit_codes())]
    Put(PutArgs),
    /// Download files, verified by MD5 before they appear here.
    #[command(after_help = exit_codes())]
    Get(GetArgs),
    /// List the server's files.
    #[command(after_help = exit_codes())]
    Ls(LsArgs),
    /// Delete a file on the server.
    #[command(after_help = exit_codes())]
    Rm(RmArgs),
    /// Run a program the server allows (no shell); exits with the program's exit code.
    #[command(after_help = EXEC.help())]
    Exec(ExecArgs),
    /// Send one message and print the server's echo of it.
    #[command(after_help = exit_codes())]
    Send(SendArgs),
    /// Chat with everyone in the server's chat: lines from standard input (a terminal or a
    /// pipe), everyone's lines to standard output; end of input leaves.
    #[command(after_help = exit_codes())]
    Chat(ChatArgs),
    /// Test your own server of a tutorial's protocol: plays its client side several times,
    /// cutting the bytes differently each time (merged, split, one byte at a time, random,
    /// back to back), and says which cuts break it. Exit 0 only when every cut passes.
    #[command(after_help = CHECK.help())]
    Check(CheckArgs),
    /// UDP: one frame per datagram, echoed back by `seam serve --udp`; never encrypted
    /// (no --tls), so meant for loopback.
    #[command(subcommand)]
    Udp(UdpCommand),
    /// Benchmark client: echo round trips over N connections at once (JSON result).
    #[command(hide = true)]
    BenchEcho(bench::EchoArgs),
    /// Benchmark client: chat lines pipelined through the server (JSON result).
    #[command(hide = true)]
    BenchChat(bench::ChatArgs),
    /// Benchmark baseline: bare blocking-socket ping-pong, no framing (JSON result).
    #[command(hide = true)]
    BenchPingpong(bench::PingpongArgs),
    /// Benchmark client: new connections (TLS with --tls), each hello + one echo (JSON result).
    #[command(hide = true)]
    BenchConnect(bench::ConnectArgs),
}

/// Flags of `seam serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address and port to listen on.
    #[arg(long, default_value_t = serve_defaults().listen)]
    pub listen: SocketAddr,

    /// Folder to serve; created on first use.
    #[arg(long, default_value_os_t = serve_defaults().root)]
    pub root: PathBuf,

    /// Keep files in an S3-compatible bucket (AWS S3, MinIO, Garage, Ceph RGW, R2) instead of
    /// --root: s3://BUCKET[/PREFIX]. Configured from the AWS_* environment variables
    /// (AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION, AWS_ALLOW_HTTP
    /// for a plain-http endpoint); checked at start-up. --root still holds commands' working
    /// folder, the TLS state and the spool of stalled uploads.
    #[arg(long, value_name = "s3://BUCKET[/PREFIX]")]
    pub store: Option<String>,

    /// A token every connection must present first (compared in constant time). An empty
    /// or blank token is refused; on a non-loopback address it needs at least 16 bytes
    /// (e.g. `openssl rand -hex 16`).
    #[arg(long, env = "SEAM_TOKEN", hide_env_values = true)]
    pub token: Option<String>,

    /// Listen on a non-loopback address without TLS or without a token (a warning is
    /// printed at every start): files and the token then cross the network in clear text.
    #[arg(long)]
    pub insecure: bool,

    /// Speak TLS. Without --tls-cert, a self-signed certificate is made on first start and
    /// kept in the state folder; its SHA-256 fingerprint is printed at every start. A
    /// non-loopback --listen needs --tls and a token (or --insecure).
    #[arg(long)]
    pub tls: bool,

    /// A real certificate (PEM, leaf first, then its chain) instead of the generated one;
    /// implies --tls.
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,

    /// The private key (PEM) of --tls-cert.
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,

    /// Where the server keeps its generated certificate and key; default: ROOT/.seam (hidden
    /// from listings and out of reach of requests).
    #[arg(long, value_name = "DIR")]
    pub state_dir: Option<PathBuf>,

    /// Most connections served at once; more are told the server is busy.
    #[arg(long, default_value_t = serve_defaults().max_conns)]
    pub max_conns: usize,

    /// Most chat members at once; more are told `busy`. Chat members may stay silent for
    /// hours (no idle timeout; TCP keepalive drops vanished peers), so keep this below
    /// --max-conns to leave room for everyone else.
    #[arg(long, value_name = "N", default_value_t = serve_defaults().max_chat)]
    pub max_chat: usize,

    /// Seconds a connection may stay silent before it is closed (at least 1).
    #[arg(long, value_name = "SECS", default_value_t = serve_defaults().idle_timeout.as_secs(),
          value_parser = clap::value_parser!(u64).range(1..))]
    pub idle_timeout: u64,

    /// Largest file accepted, in bytes.
    #[arg(long, value_name = "BYTES", default_value_t = serve_defaults().max_upload)]
    pub max_upload: u64,

    /// Seconds an unfinished upload's partial file is kept after its last write; swept at
    /// start-up and periodically.
    #[arg(long, value_name = "SECS", default_value_t = serve_defaults().partial_ttl.as_secs_f64(), value_parser = parse_seconds)]
    pub partial_ttl: f64,

    /// Most bytes the partial files of unfinished uploads may hold together; an upload that
    /// would go over it is refused (`too_large`).
    #[arg(long, value_name = "BYTES", default_value_t = serve_defaults().max_partial_bytes)]
    pub max_partial_bytes: u64,

    /// Write every chunk each connection reads or writes to FILE, as JSON lines. Over TLS,
    /// the trace records the plaintext frames (as decrypted), not the encrypted bytes.
    #[arg(long, value_name = "FILE")]
    pub trace: Option<PathBuf>,

    /// Also serve the browser visualiser over HTTP on this address.
    #[arg(long, value_name = "ADDR")]
    pub web: Option<SocketAddr>,

    /// The folder of the visualiser's page (with its built `pkg/`).
    #[arg(long, value_name = "DIR", default_value_os_t = serve_defaults().web_dir)]
    pub web_dir: PathBuf,

    /// Let clients run these programs with `seam exec` (no shell). A bare name is looked up
    /// in PATH at start-up; a name with a `/` is that file. Clients must name a program
    /// exactly as it is given here. Without this flag, nothing runs.
    #[arg(long = "allow-exec", value_name = "PROG", num_args = 1..)]
    pub allow_exec: Vec<String>,

    /// Seconds a command may run before it is killed (`timeout` error).
    #[arg(long, value_name = "SECS", default_value_t = serve_defaults().exec_timeout.as_secs_f64(), value_parser = parse_seconds)]
    pub exec_timeout: f64,

    /// Most output bytes (stdout and stderr together) a command may send before it is
    /// killed (`output_limit` error).
    #[arg(long, value_name = "BYTES", default_value_t = serve_defaults().exec_output_cap)]
    pub exec_output_cap: u64,

    /// Most commands running at once; over it, a client is told `busy`.
    #[arg(long, value_name = "N", default_value_t = serve_defaults().exec_max_running)]
    pub exec_max_running: usize,

    /// Also answer echo requests over UDP, on the same address and port. UDP is never
    /// encrypted: it stays plain, and a non-loopback --listen refuses it (unless --insecure).
    #[arg(long)]
    pub udp: bool,

    /// Also listen for a tutorial's own programs on ADDR, speaking only dialect NAME
    /// (echo, echo-upper, udp-upper, cmd, cmd-len, cmd-struct, cmd-ready, upload-md5, ftp,
    /// movie). Repeatable. Loopback addresses only: tutorial clients send no token. Always
    /// plain TCP, even with --tls: tutorial clients cannot speak TLS.
    #[arg(long = "tutorial", value_name = "NAME=ADDR")]
    pub tutorial: Vec<TutorialListen>,
}

/// Flags of `seam exec`.
#[derive(Debug, Args)]
pub struct ExecArgs {
    /// The program and its arguments, after `--`; passed as they are (no shell).
    #[arg(last = true, required = true, value_name = "PROG ARGS")]
    pub argv: Vec<String>,

    /// Send the command as a tutorial's client does (bare text), to a server written as the
    /// tutorial teaches: cmd, cmd-len, cmd-struct or cmd-ready (no token is sent; plain TCP,
    /// as tutorial programs cannot speak TLS).
    #[arg(long, value_name = "NAME", value_parser = parse_command_dialect, conflicts_with_all = TLS_FLAGS)]
    pub dialect: Option<Dialect>,

    #[command(flatten)]
    pub client: ClientArgs,
}

/// Flags of `seam send`.
#[derive(Debug, Args)]
pub struct SendArgs {
    /// The message.
    pub text: String,

    /// Send the bare text as a tutorial's client does, to a server written as the tutorial
    /// teaches: echo or echo-upper (no token is sent; plain TCP, as tutorial programs cannot
    /// speak TLS).
    #[arg(long, value_name = "NAME", value_parser = parse_echo_dialect, conflicts_with_all = TLS_FLAGS)]
    pub dialect: Option<Dialect>,

    #[command(flatten)]
    pub client: ClientArgs,
}

/// Flags of `seam chat`.
#[derive(Debug, Args)]
pub struct ChatArgs {
    /// Your name in the chat (letters, digits, `-`, `_`, `.`, in one script; at most 32);
    /// default: $USER, or $USER-2 … $USER-9 when that is taken (you are told which).
    #[arg(long)]
    pub name: Option<String>,

    #[command(flatten)]
    pub client: ClientArgs,
}

/// The `seam udp` subcommands.
#[derive(Debug, Subcommand)]
pub enum UdpCommand {
    /// Send one message in one datagram and print the echo; a lost or truncated datagram
    /// is reported as an error.
    #[command(after_help = UDP_SEND.help())]
    Send(UdpSendArgs),
}

/// Flags of `seam udp send`.
#[derive(Debug, Args)]
pub struct UdpSendArgs {
    /// The message.
    pub text: String,

    /// The server's address.
    #[arg(long, env = "SEAM_SERVER", default_value = DEFAULT_ADDRESS)]
    pub to: String,

    /// Size of the buffer the reply is received into; a longer datagram is cut to it.
    #[arg(long, value_name = "BYTES", default_value_t = 65_536)]
    pub recv_buffer: usize,

    /// Seconds to wait for the reply before reporting the datagram lost.
    #[arg(long, value_name = "SECS", default_value_t = 2.0, value_parser = parse_seconds)]
    pub timeout: f64,

    /// Print the result as a JSON line.
    #[arg(long)]
    pub json: bool,

    /// Send one datagram of bare text as the tutorial's UDP client does: udp-upper.
    #[arg(long, value_name = "NAME", value_parser = parse_udp_dialect)]
    pub dialect: Option<Dialect>,
}

fn parse_seconds(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(secs) if secs > 0.0 && secs.is_finite() && secs < 1e9 => Ok(secs),
        _ => Err(format!("{text:?} is not a positive number of seconds")),
    }
}

/// Flags every client subcommand shares.
#[derive(Debug, Args, Clone)]
pub struct ClientArgs {
    /// The server's address.
    #[arg(long, env = "SEAM_SERVER", default_value = DEFAULT_ADDRESS)]
    pub server: String,

    /// The server's token. An empty or blank one (or an empty SEAM_TOKEN) is refused rather
    /// than sent: unset it to connect without a token.
    #[arg(long, env = "SEAM_TOKEN", hide_env_values = true, value_parser = parse_client_token)]
    pub token: Option<String>,

    /// Print nothing but errors (no progress bars).
    #[arg(long, short)]
    pub quiet: bool,

    /// Print results as JSON lines, for scripts.
    #[arg(long)]
    pub json: bool,

    /// Write every chunk the connection reads or writes to FILE, as JSON lines. Over TLS,
    /// the trace records the plaintext frames (as decrypted), not the encrypted bytes.
    #[arg(long, value_name = "FILE")]
    pub trace: Option<PathBuf>,

    #[command(flatten)]
    pub secure: ClientTlsArgs,
}

/// The flags that ask for TLS, which a `--dialect` client (a tutorial's protocol) refuses.
const TLS_FLAGS: [&str; 3] = ["tls", "fingerprint", "tls_ca"];

/// The TLS flags every client subcommand shares.
#[derive(Debug, Args, Clone)]
pub struct ClientTlsArgs {
    /// Connect over TLS (to a `seam serve --tls`). The first connection to a server pins its
    /// certificate in $XDG_CONFIG_HOME/seam/known_servers (else ~/.config/seam/known_servers);
    /// later connections refuse any other certificate.
    #[arg(long, env = "SEAM_TLS", value_parser = clap::builder::BoolishValueParser::new(), default_value_t = false, num_args = 0, default_missing_value = "true")]
    pub tls: bool,

    /// Trust only the certificate with this fingerprint (SHA256:..., as `seam serve --tls`
    /// prints it); the known-servers file is not used. Implies --tls.
    #[arg(long, value_name = "SHA256:HEX", conflicts_with = "tls_ca")]
    pub fingerprint: Option<seam_native::tls::Fingerprint>,

    /// Verify the server's certificate against this CA (PEM) and the server's name, instead
    /// of pinning it. Implies --tls.
    #[arg(long, value_name = "FILE")]
    pub tls_ca: Option<PathBuf>,

    /// Seconds to wait for the server's side of the TLS handshake.
    #[arg(long, value_name = "SECS", default_value_t = TlsOptions::default().handshake_timeout, value_parser = parse_seconds)]
    pub handshake_timeout: f64,

    /// Send the token in clear text to a server off this machine (without TLS).
    #[arg(long)]
    pub insecure: bool,
}

/// Flags of `seam check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The dialect your server speaks: echo, echo-upper, udp-upper, cmd, cmd-len,
    /// cmd-struct, cmd-ready, upload-md5, ftp or movie.
    #[arg(value_name = "NAME", value_parser = parse_any_dialect)]
    pub dialect: Dialect,

    /// Your server's address (HOST:PORT); seam check connects there and nowhere else.
    #[arg(value_name = "ADDR")]
    pub addr: String,

    /// The folder your server stores uploads in: ftp and movie never reply, so the check
    /// looks there for each file, whole and with the right MD5.
    #[arg(long, value_name = "DIR")]
    pub stored: Option<PathBuf>,

    /// Print the result as one JSON object.
    #[arg(long)]
    pub json: bool,

    /// The seed of the random cut (default: from the clock; it is printed).
    #[arg(long, value_name = "N")]
    pub seed: Option<u64>,

    /// Seconds to wait for a connection, each reply, or each stored file.
    #[arg(long, value_name = "SECS", default_value_t = 5.0, value_parser = parse_seconds)]
    pub timeout: f64,

    /// The command the command dialects send (it must print the same every time).
    #[arg(long, value_name = "TEXT", default_value = "echo seam check")]
    pub command: String,
}

fn parse_client_token(text: &str) -> Result<String, String> {
    if text.trim().is_empty() {
        return Err(
            "the token is empty (or SEAM_TOKEN is set but empty): give the server's \
                    token, or unset SEAM_TOKEN to connect without one"
                .into(),
        );
    }
    Ok(text.to_string())
}

/// Flags of `seam put`.
#[derive(Debug, Args)]
pub struct PutArgs {
    /// Files to upload.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,

    /// Name on the server (only with a single file); default: the file's own name.
    #[arg(long = "as", value_name = "NAME")]
    pub name: Option<String>,

    /// Continue an interrupted upload from the bytes the server already holds.
    #[arg(long)]
    pub resume: bool,

    /// Replace a file that exists on the server.
    #[arg(long)]
    pub force: bool,

    /// Upload as a tutorial's client does, to a server written as the tutorial teaches:
    /// ftp, movie or upload-md5 (no token is sent; plain TCP, as tutorial programs cannot
    /// speak TLS).
    #[arg(long, value_name = "NAME", value_parser = parse_upload_dialect, conflicts_with_all = ["resume", "force", "tls", "fingerprint", "tls_ca"])]
    pub dialect: Option<Dialect>,

    #[command(flatten)]
    pub client: ClientArgs,
}

/// Flags of `seam get`.
#[derive(Debug, Args)]
pub struct GetArgs {
    /// Names of the files to download.
    #[arg(required = true)]
    pub names: Vec<String>,

    /// Where to write: a file (with one name) or an existing folder; default: here.
    #[arg(short, long, value_name = "PATH")]
    pub output: Option<PathBuf>,

    /// Continue an interrupted download from the bytes already here.
    #[arg(long)]
    pub resume: bool,

    /// Replace a local file that exists.
    #[arg(long)]
    pub force: bool,

    #[command(flatten)]
    pub client: ClientArgs,
}

/// Flags of `seam ls`.
#[derive(Debug, Args)]
pub struct LsArgs {
    /// List the unfinished uploads (partial files) instead of the files.
    #[arg(long)]
    pub partial: bool,

    #[command(flatten)]
    pub client: ClientArgs,
}

/// Flags of `seam rm`.
#[derive(Debug, Args)]
pub struct RmArgs {
    /// Name of the file to delete.
    pub name: String,

    /// Delete the partial file of an unfinished upload of NAME instead.
    #[arg(long)]
    pub partial: bool,

    #[command(flatten)]
    pub client: ClientArgs,
}

/// Flags of `seam decode`.
#[derive(Debug, Args)]
pub struct DecodeArgs {
    /// The stream to read: a file, or `-` for standard input.
    #[arg(default_value = "-")]
    pub input: PathBuf,

    /// How to cut the stream into chunks before decoding: sent, merge:N, split:N,
    /// reads:N[,N...], random:SEED[:MAX] or bytes. Any cut gives the same events.
    #[arg(long, default_value = "reads:65536", value_parser = parse_cut)]
    pub cut: Cut,

    /// Read a packet capture (pcap or pcapng) instead: without --stream, list its TCP
    /// streams; with it, decode them, each event with the segments its bytes came from.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["cut", "input"])]
    pub pcap: Option<PathBuf>,

    /// With --pcap: a stream to decode, by its number in the list (repeat for several), or `all`.
    #[arg(long = "stream", value_name = "N|all", requires = "pcap")]
    pub streams: Vec<StreamChoice>,

    /// With --pcap: which direction of each stream to decode.
    #[arg(long, value_enum, default_value_t = DirectionChoice::Both, requires = "pcap")]
    pub direction: DirectionChoice,

    #[command(flatten)]
    pub framing: FramingArgs,
}

/// The directions `seam decode --pcap` decodes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DirectionChoice {
    /// What the client sent.
    Client,
    /// What the server sent.
    Server,
    /// Both.
    Both,
}

/// Framing options shared by every subcommand that reads or writes frames.
#[derive(Debug, Args)]
pub struct FramingArgs {
    /// Read the 4-byte header length as big-endian (network order) instead of little-endian.
    #[arg(long)]
    pub big_endian: bool,

    /// A header field that gives the body length (repeat for several).
    /// Default: size, filesize, data_size and len.
    #[arg(long = "size-field", value_name = "NAME")]
    pub size_fields: Vec<String>,

    /// Largest header accepted, in bytes.
    #[arg(long = "max-header", value_name = "BYTES", default_value_t = DEFAULT_MAX_HEADER_LEN)]
    pub max_header: u32,

    /// Largest body accepted, in bytes.
    #[arg(long = "max-body", value_name = "BYTES", default_value_t = DEFAULT_MAX_BODY_LEN)]
    pub max_body: u64,
}

impl FramingArgs {
    /// The framing these flags describe.
    pub fn framing(&self) -> Framing {
        let size_fields = if self.size_fields.is_empty() {
            TUTORIAL_SIZE_FIELDS.iter().map(|f| f.to_string()).collect()
        } else {
            self.size_fields.clone()
        };
        Framing {
            byte_order: if self.big_endian {
                ByteOrder::Big
            } else {
                ByteOrder::Little
            },
            size_fields,
            max_header_len: self.max_header,
            max_body_len: self.max_body,
        }
    }
}

fn parse_cut(spec: &str) -> Result<Cut, String> {
    spec.parse::<Cut>().map_err(|e| e.to_string())
}

/// A dialect name, accepted only when it is one of `allowed` (what the command speaks).
fn parse_dialect_of(name: &str, command: &str, allowed: &[Dialect]) -> Result<Dialect, String> {
    let dialect = name.parse::<Dialect>().map_err(|e| e.to_string())?;
    if allowed.contains(&dialect) {
        return Ok(dialect);
    }
    let list: Vec<&str> = allowed.iter().map(|d| d.as_str()).collect();
    let home = match dialect {
        Dialect::Ftp | Dialect::Movie | Dialect::UploadMd5 => "seam put",
        Dialect::Cmd | Dialect::CmdLen | Dialect::CmdStruct | Dialect::CmdReady => "seam exec",
        Dialect::Echo | Dialect::EchoUpper => "seam send",
        Dialect::UdpUpper => "seam udp send",
    };
    Err(format!(
        "{command} speaks {}; {dialect} is for {home}",
        list.join(", ")
    ))
}

fn parse_upload_dialect(name: &str) -> Result<Dialect, String> {
    parse_dialect_of(
        name,
        "seam put",
        &[Dialect::Ftp, Dialect::Movie, Dialect::UploadMd5],
    )
}

fn parse_command_dialect(name: &str) -> Result<Dialect, String> {
    parse_dialect_of(
        name,
        "seam exec",
        &[
            Dialect::Cmd,
            Dialect::CmdLen,
            Dialect::CmdStruct,
            Dialect::CmdReady,
        ],
    )
}

fn parse_echo_dialect(name: &str) -> Result<Dialect, String> {
    parse_dialect_of(name, "seam send", &[Dialect::Echo, Dialect::EchoUpper])
}

fn parse_udp_dialect(name: &str) -> Result<Dialect, String> {
    parse_dialect_of(name, "seam udp send", &[Dialect::UdpUpper])
}

fn parse_any_dialect(name: &str) -> Result<Dialect, String> {
    name.parse::<Dialect>().map_err(|e| e.to_string())
}
