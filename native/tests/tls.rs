//! TLS end to end over loopback: the real `seam serve --tls` and the real client, with
//! certificates pinned on first use, pinned explicitly, or verified against a test CA made
//! with rcgen; each mistake gives a clear error and never a hang. Every test has its own
//! known-servers file (a temporary `XDG_CONFIG_HOME`).

use std::io::{BufRead, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Output, Stdio};
use std::time::{Duration, Instant};

use crate::common::{
    assert_ok, json_line, md5_of, seam, stderr, write_pattern, RawClient, Server, TempDir,
};
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair, KeyUsagePurpose,
};
use seam_core::messages::Reply;
use serde_json::json;
use serial_test::{parallel, serial};

/// A user of `seam`: their own config folder (so their own known-servers file).
struct User {
    config: TempDir,
}

impl User {
    fn new() -> User {
        User {
            config: TempDir::new("config"),
        }
    }

    fn known_servers(&self) -> std::path::PathBuf {
        self.config.join("seam").join("known_servers")
    }

    /// Runs a client subcommand against `server` (an address), as this user.
    fn run(&self, server: &str, args: &[&str]) -> Output {
        self.command(server, args).output().expect("seam runs")
    }

    fn command(&self, server: &str, args: &[&str]) -> std::process::Command {
        let mut command = seam();
        // The subcommand, then the server, then the rest (which may end with `-- ARGV`).
        command
            .args(&args[..1])
            .arg("--server")
            .arg(server)
            .args(&args[1..])
            .env("XDG_CONFIG_HOME", self.config.path())
            .env("HOME", self.config.path())
            .env_remove("SEAM_TOKEN")
            .env_remove("SEAM_TLS");
        command
    }
}

fn assert_fails_with(output: &Output, code: i32, words: &[&str]) {
    let text = stderr(output);
    assert_eq!(output.status.code(), Some(code), "stderr: {text}");
    for word in words {
        assert!(text.contains(word), "{word:?} missing from: {text}");
    }
}

/// The fingerprint a TLS server printed after its address line.
fn printed_fingerprint(server: &mut Server) -> String {
    let mut line = String::new();
    server.stdout.read_line(&mut line).expect("a second line");
    line.split_whitespace()
        .find(|word| word.starts_with("SHA256:"))
        .unwrap_or_else(|| panic!("no fingerprint in {line:?}"))
        .to_string()
}

/// A test CA and the certificates it signs, written as PEM files.
struct TestCa {
    dir: TempDir,
    issuer: CertifiedIssuer<'static, KeyPair>,
}

impl TestCa {
    fn new(name: &str) -> TestCa {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.distinguished_name.push(DnType::CommonName, name);
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let issuer = CertifiedIssuer::self_signed(params, KeyPair::generate().unwrap()).unwrap();
        let dir = TempDir::new("ca");
        std::fs::write(dir.join("ca.pem"), issuer.pem()).unwrap();
        TestCa { dir, issuer }
    }

    fn ca_file(&self) -> String {
        self.dir.join("ca.pem").display().to_string()
    }

    /// Signs a server certificate for `names`, valid from `from` to `until` (years), and
    /// returns the `--tls-cert`/`--tls-key` flags of a server that uses it.
    fn server_flags(&self, label: &str, names: &[&str], from: i32, until: i32) -> Vec<String> {
        let mut params =
            CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>())
                .unwrap();
        params.not_before = rcgen::date_time_ymd(from, 1, 1);
        params.not_after = rcgen::date_time_ymd(until, 1, 1);
        let key = KeyPair::generate().unwrap();
        let cert = params.signed_by(&key, &self.issuer).unwrap();
        let cert_path = self.dir.join(&format!("{label}.pem"));
        let key_path = self.dir.join(&format!("{label}-key.pem"));
        std::fs::write(&cert_path, cert.pem()).unwrap();
        std::fs::write(&key_path, key.serialize_pem()).unwrap();
        vec![
            "--tls-cert".into(),
            cert_path.display().to_string(),
            "--tls-key".into(),
            key_path.display().to_string(),
        ]
    }
}

fn start(flags: &[String]) -> Server {
    let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
    Server::start(&flags)
}

#[test]
#[parallel(heavy)]
fn the_first_connection_pins_the_certificate_and_a_changed_one_is_refused() {
    let user = User::new();
    let mut first = Server::start(&["--tls"]);
    let addr = first.addr_arg();
    let print = printed_fingerprint(&mut first);

    let output = user.run(&addr, &["ls", "--tls"]);
    assert_ok(&output, "first ls");
    assert!(stderr(&output).contains(&print), "{}", stderr(&output));
    let known = std::fs::read_to_string(user.known_servers()).unwrap();
    assert_eq!(known, format!("{addr} {print}\n"));
    assert_ok(&user.run(&addr, &["ls", "--tls"]), "second ls");

    // The same address, another server: a new certificate.
    first.terminate();
    let dir = TempDir::new("impostor");
    let mut second = Server::start_in(dir, first.root.with_file_name("other"), &addr, &["--tls"]);
    let new_print = printed_fingerprint(&mut second);
    assert_ne!(new_print, print);
    let output = user.run(&addr, &["ls", "--tls"]);
    let file = user.known_servers().display().to_string();
    assert_fails_with(
        &output,
        4,
        &["CHANGED", &print, &new_print, "remove the line", &file],
    );
    assert_eq!(
        std::fs::read_to_string(user.known_servers()).unwrap(),
        known,
        "the pin is kept"
    );
}

#[test]
#[parallel(heavy)]
fn a_restarted_server_keeps_its_certificate() {
    let mut server = Server::start(&["--tls"]);
    let print = printed_fingerprint(&mut server);
    let addr = server.addr_arg();
    server.terminate();
    let state = server.root.join(".seam");
    assert!(state.join("tls-key.pem").exists());
    let dir = TempDir::new("restart");
    let mut again = Server::start_in(dir, server.root.clone(), &addr, &["--tls"]);
    assert_eq!(printed_fingerprint(&mut again), print);
    let listing = User::new().run(&addr, &["ls", "--tls", "--json"]);
    assert_ok(&listing, "ls");
    assert!(!String::from_utf8_lossy(&listing.stdout).contains(".seam"));
}

#[test]
#[parallel(heavy)]
fn an_explicit_fingerprint_is_trusted_and_no_other() {
    let user = User::new();
    let mut server = Server::start(&["--tls"]);
    let print = printed_fingerprint(&mut server);
    let addr = server.addr_arg();
    assert_ok(
        &user.run(&addr, &["ls", "--fingerprint", &print]),
        "pinned ls",
    );
    assert!(
        !user.known_servers().exists(),
        "the known-servers file is not used"
    );

    let wrong = format!("SHA256:{}", "00".repeat(32));
    let output = user.run(&addr, &["ls", "--fingerprint", &wrong]);
    assert_fails_with(&output, 4, &[&print, &wrong, "--fingerprint"]);
}

#[test]
#[parallel(heavy)]
fn a_ca_signed_certificate_is_verified_by_name() {
    let ca = TestCa::new("Seam test CA");
    let server = start(&ca.server_flags("good", &["localhost", "127.0.0.1"], 2020, 2999));
    let user = User::new();
    let by_name = format!("localhost:{}", server.addr.port());
    let ca_file = ca.ca_file();
    for addr in [by_name.as_str(), &server.addr_arg()] {
        assert_ok(&user.run(addr, &["ls", "--tls-ca", &ca_file]), addr);
    }
    assert!(!user.known_servers().exists());

    // A CA that did not sign it.
    let other = TestCa::new("Another test CA");
    let output = user.run(&by_name, &["ls", "--tls-ca", &other.ca_file()]);
    assert_fails_with(&output, 4, &["not signed by the CA"]);
}

#[test]
#[parallel(heavy)]
fn an_expired_certificate_is_refused_with_tls_ca() {
    let ca = TestCa::new("Seam test CA");
    let server = start(&ca.server_flags("expired", &["localhost"], 2000, 2001));
    let output = User::new().run(
        &format!("localhost:{}", server.addr.port()),
        &["ls", "--tls-ca", &ca.ca_file()],
    );
    assert_fails_with(&output, 4, &["has expired"]);
}

#[test]
#[parallel(heavy)]
fn a_certificate_for_another_name_is_refused_with_tls_ca() {
    let ca = TestCa::new("Seam test CA");
    let server = start(&ca.server_flags("other-name", &["other.example"], 2020, 2999));
    let output = User::new().run(
        &format!("localhost:{}", server.addr.port()),
        &["ls", "--tls-ca", &ca.ca_file()],
    );
    assert_fails_with(&output, 4, &["not valid for the name \"localhost\""]);
}

#[test]
#[parallel(heavy)]
fn a_plain_client_on_a_tls_server_is_told_to_add_tls() {
    let server = Server::start_logged(&["--tls", "--token", "secret"]);
    let user = User::new();
    let output = user.run(&server.addr_arg(), &["ls"]);
    assert_fails_with(&output, 4, &["speaks TLS: add --tls"]);
    // What a plain client hears: one error frame, then the end.
    let mut raw = RawClient::connect(server.addr);
    raw.send_frame(&json!({"op": "hello"}), b"");
    match raw.reply() {
        Some(Reply::Error { message, .. }) => assert!(message.contains("add --tls"), "{message}"),
        other => panic!("expected an error, got {other:?}"),
    }
    assert!(raw.is_closed());
    assert!(server.log_text().contains("plain (non-TLS) client"));
    assert_ok(
        &user.run(&server.addr_arg(), &["ls", "--tls", "--token", "secret"]),
        "ls over TLS",
    );
}

#[test]
#[parallel(heavy)]
fn a_tls_client_on_a_plain_server_is_told_to_drop_tls() {
    let server = Server::start(&[]);
    let output = User::new().run(&server.addr_arg(), &["ls", "--tls"]);
    assert_fails_with(&output, 4, &["did not answer in TLS", "drop --tls"]);
}

#[test]
#[parallel(heavy)]
fn a_stalled_handshake_is_closed_by_the_idle_timeout() {
    let server = Server::start(&["--tls", "--idle-timeout", "1"]);
    for start in [&b""[..], &[22, 3, 1][..]] {
        let mut stream = TcpStream::connect(server.addr).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(20)))
            .unwrap();
        stream.write_all(start).unwrap();
        let began = Instant::now();
        let mut rest = Vec::new();
        let _ = stream.read_to_end(&mut rest);
        assert!(
            began.elapsed() < Duration::from_secs(10),
            "closed, not left hanging"
        );
    }
    assert_ok(
        &User::new().run(&server.addr_arg(), &["ls", "--tls"]),
        "ls afterwards",
    );
}

#[test]
#[parallel(heavy)]
fn garbage_after_a_handshake_byte_is_refused_and_the_server_goes_on() {
    let server = Server::start(&["--tls"]);
    let mut garbage = vec![22, 3, 1, 0x40, 0x00];
    garbage.extend((0..20_000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8));
    let mut stream = TcpStream::connect(server.addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    let _ = stream.write_all(&garbage);
    let began = Instant::now();
    let mut rest = Vec::new();
    let _ = stream.read_to_end(&mut rest);
    assert!(
        began.elapsed() < Duration::from_secs(10),
        "closed, not left hanging"
    );
    assert!(rest.len() < 64, "at most a TLS alert comes back: {rest:?}");
    assert_ok(
        &User::new().run(&server.addr_arg(), &["ls", "--tls"]),
        "ls afterwards",
    );
}

#[test]
#[parallel(heavy)]
fn a_server_that_never_answers_the_handshake_times_out_on_the_client() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let (done, finished) = std::sync::mpsc::channel::<()>();
    let holder = std::thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        // Holds the connection open, answering nothing, until the client has given up.
        let _ = finished.recv_timeout(Duration::from_secs(60));
        drop(stream);
    });
    let began = Instant::now();
    let output = User::new().run(&addr, &["ls", "--tls", "--handshake-timeout", "1"]);
    assert!(
        began.elapsed() < Duration::from_secs(10),
        "gave up, not left hanging"
    );
    done.send(()).unwrap();
    holder.join().unwrap();
    assert_fails_with(&output, 4, &["no TLS handshake", "within 1 s"]);
}

#[test]
#[serial(heavy)]
fn a_256_mib_file_goes_up_and_comes_back_over_tls() {
    let server = Server::start(&["--tls"]);
    let user = User::new();
    let addr = server.addr_arg();
    let local = TempDir::new("big-tls");
    let path = local.join("big.bin");
    let md5 = write_pattern(&path, 256 << 20, 11);
    let up = user.run(&addr, &["put", path.to_str().unwrap(), "--tls", "--json"]);
    assert_ok(&up, "upload");
    assert_eq!(json_line(&up)["md5"], md5);
    assert_eq!(md5_of(&server.root.join("big.bin")), md5);
    let back = local.join("back.bin");
    let down = user.run(
        &addr,
        &[
            "get",
            "big.bin",
            "-o",
            back.to_str().unwrap(),
            "--tls",
            "--json",
        ],
    );
    assert_ok(&down, "download");
    assert_eq!(md5_of(&back), md5);
}

#[test]
#[parallel(heavy)]
fn interrupted_transfers_resume_over_tls() {
    let server = Server::start(&["--tls"]);
    let user = User::new();
    let addr = server.addr_arg();
    let local = TempDir::new("resume-tls");
    let total: u64 = 6 << 20;

    // An upload the server holds the first 2 MiB of.
    let path = local.join("up.bin");
    let md5 = write_pattern(&path, total, 12);
    let bytes = std::fs::read(&path).unwrap();
    std::fs::write(server.root.join(".up.bin.seam-part"), &bytes[..2 << 20]).unwrap();
    let up = user.run(
        &addr,
        &["put", path.to_str().unwrap(), "--resume", "--tls", "--json"],
    );
    assert_ok(&up, "resumed upload");
    assert_eq!(json_line(&up)["resumed_from"], json!(2u64 << 20));
    assert_eq!(md5_of(&server.root.join("up.bin")), md5);

    // A download this side holds the first 3 MiB of.
    std::fs::write(local.join(".up.bin.seam-part"), &bytes[..3 << 20]).unwrap();
    let dest = local.join("up.bin");
    std::fs::remove_file(&dest).unwrap();
    let down = user.run(
        &addr,
        &[
            "get",
            "up.bin",
            "-o",
            dest.to_str().unwrap(),
            "--resume",
            "--tls",
            "--json",
        ],
    );
    assert_ok(&down, "resumed download");
    assert_eq!(json_line(&down)["resumed_from"], json!(3u64 << 20));
    assert_eq!(md5_of(&dest), md5);
}

#[test]
#[parallel(heavy)]
fn a_tls_upload_cut_by_a_killed_client_leaves_nothing_and_resumes() {
    let server = Server::start(&["--tls"]);
    let user = User::new();
    let addr = server.addr_arg();
    let local = TempDir::new("cut-tls");
    let path = local.join("cut.bin");
    let md5 = write_pattern(&path, 64 << 20, 13);
    let partial = server.root.join(".cut.bin.seam-part");
    let mut child = user
        .command(&addr, &["put", path.to_str().unwrap(), "--tls", "--quiet"])
        .spawn()
        .unwrap();
    let began = Instant::now();
    while std::fs::metadata(&partial).map_or(true, |meta| meta.len() == 0) {
        assert!(
            began.elapsed() < Duration::from_secs(10),
            "the upload never started"
        );
        std::thread::sleep(Duration::from_millis(1));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(
        !server.root.join("cut.bin").exists(),
        "nothing under the final name"
    );

    // The server releases the name once it has written what it got.
    let put = || {
        user.run(
            &addr,
            &["put", path.to_str().unwrap(), "--resume", "--tls", "--json"],
        )
    };
    let began = Instant::now();
    let mut output = put();
    while !output.status.success() {
        assert!(
            began.elapsed() < Duration::from_secs(10),
            "{}",
            stderr(&output)
        );
        std::thread::sleep(Duration::from_millis(20));
        output = put();
    }
    let line = json_line(&output);
    assert_eq!(line["md5"], md5);
    let resumed_from = line["resumed_from"].as_u64().unwrap();
    assert!(resumed_from > 0 && resumed_from < 64 << 20, "{line}");
    assert_eq!(md5_of(&server.root.join("cut.bin")), md5);
}

#[test]
#[parallel(heavy)]
fn every_command_works_over_tls_with_a_token() {
    let server = Server::start(&["--tls", "--token", "T0k", "--allow-exec", "echo"]);
    let user = User::new();
    let addr = server.addr_arg();
    let tls = ["--tls", "--token", "T0k"];
    let run = |args: &[&str]| user.run(&addr, &[args, &tls[..]].concat());
    let local = TempDir::new("all-tls");
    let path = local.join("note.txt");
    std::fs::write(&path, "over TLS\n").unwrap();

    assert_ok(&run(&["put", path.to_str().unwrap()]), "put");
    let listing = run(&["ls"]);
    assert_ok(&listing, "ls");
    assert!(String::from_utf8_lossy(&listing.stdout).contains("note.txt"));
    let back = local.join("back.txt");
    assert_ok(
        &run(&["get", "note.txt", "-o", back.to_str().unwrap()]),
        "get",
    );
    assert_eq!(std::fs::read(&back).unwrap(), b"over TLS\n");
    assert_ok(&run(&["rm", "note.txt"]), "rm");
    assert!(!server.root.join("note.txt").exists());

    let sent = run(&["send", "ping over TLS"]);
    assert_ok(&sent, "send");
    assert_eq!(String::from_utf8_lossy(&sent.stdout), "ping over TLS\n");
    let exec = user.run(
        &addr,
        &[&["exec"], &tls[..], &["--", "echo", "ran"]].concat(),
    );
    assert_ok(&exec, "exec");
    assert_eq!(String::from_utf8_lossy(&exec.stdout), "ran\n");

    let mut chat = user
        .command(&addr, &[&["chat", "--name", "tls"], &tls[..]].concat())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    chat.stdin
        .take()
        .unwrap()
        .write_all(b"hello room\n")
        .unwrap();
    let output = chat.wait_with_output().unwrap();
    assert_ok(&output, "chat");
    assert!(String::from_utf8_lossy(&output.stdout).contains("tls: hello room"));

    // A wrong token is refused after the handshake, as without TLS.
    let wrong = user.run(&addr, &["ls", "--tls", "--token", "nope"]);
    assert_fails_with(&wrong, 5, &["wrong token"]);
}

#[test]
#[parallel(heavy)]
fn a_trace_over_tls_records_the_plaintext_frames_and_says_so() {
    let dir = TempDir::new("trace-tls");
    let server_trace = dir.join("server.trace");
    let mut server = Server::start(&["--tls", "--trace", server_trace.to_str().unwrap()]);
    printed_fingerprint(&mut server);
    let mut said = String::new();
    server.stdout.read_line(&mut said).unwrap();
    assert!(said.contains("plaintext"), "{said:?}");
    let user = User::new();
    let trace = dir.join("client.trace");
    let output = user.run(
        &server.addr_arg(),
        &[
            "send",
            "traced text",
            "--tls",
            "--trace",
            trace.to_str().unwrap(),
        ],
    );
    assert_ok(&output, "send");
    assert!(stderr(&output).contains("plaintext"), "{}", stderr(&output));
    let chunks = seam_core::parse_trace(&std::fs::read_to_string(&trace).unwrap()).unwrap();
    let sent: Vec<u8> = chunks
        .iter()
        .filter(|chunk| chunk.dir == seam_core::Direction::Out)
        .flat_map(|chunk| chunk.bytes.clone())
        .collect();
    let text = String::from_utf8_lossy(&sent);
    assert!(text.contains("\"op\":\"hello\""), "{text}");
    assert!(text.contains("traced text"), "{text}");
    let chunks = seam_core::parse_trace(&std::fs::read_to_string(&server_trace).unwrap()).unwrap();
    let received: Vec<u8> = chunks
        .iter()
        .filter(|chunk| chunk.dir == seam_core::Direction::In)
        .flat_map(|chunk| chunk.bytes.clone())
        .collect();
    assert!(String::from_utf8_lossy(&received).contains("traced text"));
}

#[test]
#[parallel(heavy)]
fn a_listener_off_loopback_needs_tls_and_a_token() {
    let dir = TempDir::new("off-loopback");
    let root = dir.join("root");
    let serve = |flags: &[&str]| {
        seam()
            .args(["serve", "--listen", "0.0.0.0:0", "--root"])
            .arg(&root)
            .args(flags)
            .env_remove("SEAM_TOKEN")
            .output()
            .unwrap()
    };
    let token = "a-token-of-24-characters";
    let no_tls = serve(&["--token", token]);
    assert_fails_with(&no_tls, 3, &["without --tls", "--insecure"]);
    let no_token = serve(&["--tls"]);
    assert_fails_with(&no_token, 3, &["without a token"]);
    let udp = serve(&["--tls", "--token", token, "--udp"]);
    assert_fails_with(&udp, 3, &["--udp", "loopback"]);
}

#[test]
#[parallel(heavy)]
fn a_tutorial_dialect_client_refuses_tls_flags() {
    // Tutorial programs cannot speak TLS: asking for both is a command-line error.
    for args in [
        &["send", "hi", "--dialect", "echo", "--tls"][..],
        &["exec", "--dialect", "cmd", "--tls-ca", "ca.pem", "--", "ls"][..],
    ] {
        let output = User::new().run("127.0.0.1:9", args);
        assert_fails_with(&output, 2, &["--dialect", "cannot be used with"]);
    }
}
