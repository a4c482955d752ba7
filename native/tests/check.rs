//! `seam check NAME ADDR`: every cut passes against servers written correctly in the
//! tutorials' style, the tutorials' own sticky-packet bug is caught and named, and a server
//! that is not there or never answers ends the check with a clear error in bounded time.

use std::process::Output;
use std::time::{Duration, Instant};

use crate::common::python_server::PythonServer;
use crate::common::seam;
use crate::common::table::{check_every_case, Case};
use serial_test::parallel;

/// The most a whole check may take here (each wait inside it is bounded by --timeout).
const CHECK_BOUND: Duration = Duration::from_secs(120);

fn check(args: &[&str]) -> (Output, Duration) {
    let started = Instant::now();
    let output = seam()
        .arg("check")
        .args(args)
        .output()
        .expect("seam check runs");
    (output, started.elapsed())
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// A tutorial dialect and the correct server for it in `tests/tutorials/servers/`.
struct Dialect {
    name: &'static str,
    server_script: &'static str,
}

impl Case for Dialect {
    fn name(&self) -> &str {
        self.name
    }
}

/// Every dialect `seam check` knows.
const DIALECTS: &[Dialect] = &[
    Dialect {
        name: "echo",
        server_script: "echo_server.py",
    },
    Dialect {
        name: "echo-upper",
        server_script: "echo_upper_server.py",
    },
    Dialect {
        name: "udp-upper",
        server_script: "udp_upper_server.py",
    },
    Dialect {
        name: "cmd",
        server_script: "cmd_server.py",
    },
    Dialect {
        name: "cmd-len",
        server_script: "cmd_len_server.py",
    },
    Dialect {
        name: "cmd-struct",
        server_script: "cmd_struct_server.py",
    },
    Dialect {
        name: "cmd-ready",
        server_script: "cmd_ready_server.py",
    },
    Dialect {
        name: "upload-md5",
        server_script: "upload_md5_server.py",
    },
    Dialect {
        name: "ftp",
        server_script: "ftp_server.py",
    },
    Dialect {
        name: "movie",
        server_script: "movie_server.py",
    },
];

/// Runs the check against the dialect's correct tutorial server; every cut must pass.
fn passes_every_cut(dialect: &str, script: &str) {
    let server = PythonServer::start(script);
    let stored = server.dir.path().to_str().unwrap().to_string();
    let mut args = vec![dialect, &server.addr, "--seed", "42", "--timeout", "20"];
    if matches!(dialect, "ftp" | "movie") {
        args.extend(["--stored", &stored]);
    }
    let (output, took) = check(&args);
    let report = text(&output);
    assert_eq!(output.status.code(), Some(0), "{report}");
    assert!(!report.contains("FAIL"), "{report}");
    assert!(
        report.contains("  pass  1. as the seed's client sends them"),
        "{report}"
    );
    assert!(took < CHECK_BOUND);
    if matches!(dialect, "ftp" | "movie") {
        let left: Vec<_> = std::fs::read_dir(server.dir.path()).unwrap().collect();
        assert!(
            left.is_empty(),
            "the files of passed cuts are removed: {left:?}"
        );
    }
}

#[test]
#[parallel(heavy)]
fn every_cut_passes_against_the_correct_server_of_every_dialect() {
    check_every_case(DIALECTS, |dialect| {
        passes_every_cut(dialect.name, dialect.server_script)
    });
}

#[test]
#[parallel(heavy)]
fn a_body_loop_that_reads_past_the_body_fails_the_back_to_back_cut() {
    let server = PythonServer::start("ftp_server_reads_past.py");
    let stored = server.dir.path().to_str().unwrap().to_string();
    let (output, took) = check(&[
        "ftp",
        &server.addr,
        "--stored",
        &stored,
        "--seed",
        "7",
        "--timeout",
        "5",
    ]);
    let report = text(&output);
    assert_eq!(output.status.code(), Some(1), "{report}");
    let failed: Vec<&str> = report.lines().filter(|l| l.contains("FAIL")).collect();
    assert_eq!(failed.len(), 1, "{report}");
    assert!(
        failed[0].starts_with("  FAIL  6. two requests back to back on one connection"),
        "{report}"
    );
    assert!(
        failed[0].contains("bytes for a 1,000,000-byte file")
            && failed[0].contains("the server read past the body into the next header"),
        "{report}"
    );
    assert!(
        report.contains("1 of 6 cuts failed: 6 (back-to-back)"),
        "{report}"
    );
    assert!(took < CHECK_BOUND);
}

#[test]
#[parallel(heavy)]
fn the_json_report_names_the_failed_cut_and_its_cause() {
    let server = PythonServer::start("ftp_server_reads_past.py");
    let stored = server.dir.path().to_str().unwrap().to_string();
    let (output, _) = check(&[
        "ftp",
        &server.addr,
        "--stored",
        &stored,
        "--seed",
        "7",
        "--json",
    ]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    let report: serde_json::Value =
        serde_json::from_slice(&output.stdout).expect("one JSON object");
    assert_eq!(report["ok"], false);
    assert_eq!(report["seed"], 7);
    let cut = &report["cuts"][5];
    assert_eq!(cut["name"], "back-to-back");
    assert_eq!(cut["result"], "fail");
    assert!(cut["cause"]
        .as_str()
        .unwrap()
        .contains("read past the body"));
}

#[test]
#[parallel(heavy)]
fn nothing_listening_ends_the_check_with_a_connection_error() {
    // A port that was free a moment ago: nothing listens there.
    let addr = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .to_string();
    let (output, took) = check(&["echo", &addr, "--timeout", "2"]);
    assert_eq!(output.status.code(), Some(4), "{}", text(&output));
    assert!(text(&output).contains(&format!("cannot connect to {addr}")));
    assert!(took < Duration::from_secs(10));
}

#[test]
#[parallel(heavy)]
fn a_server_that_never_answers_fails_every_cut_with_no_reply_in_bounded_time() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    // Accepts every connection and holds it open, never reading or writing.
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming().flatten() {
            held.push(stream);
        }
    });
    let (output, took) = check(&["echo", &addr, "--timeout", "1"]);
    let report = text(&output);
    assert_eq!(output.status.code(), Some(1), "{report}");
    assert!(
        report.contains("  FAIL  1. as the seed's client sends them: no reply within 1 s"),
        "{report}"
    );
    assert!(report.contains("7 of 7 cuts failed"), "{report}");
    assert!(took < Duration::from_secs(30));
}

#[test]
#[parallel(heavy)]
fn a_dialect_without_replies_needs_the_stored_folder() {
    let (output, _) = check(&["ftp", "127.0.0.1:9"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output).contains("--stored DIR"));
}

/// `seam serve`'s main listener stores ftp- and movie-style uploads itself.
fn passes_every_cut_against_seam_serve(dialect: &str) {
    let server = crate::common::Server::start(&[]);
    std::fs::create_dir_all(&server.root).unwrap();
    let root = server.root.to_str().unwrap().to_string();
    let (output, took) = check(&[
        dialect,
        &server.addr_arg(),
        "--stored",
        &root,
        "--seed",
        "3",
        "--timeout",
        "20",
    ]);
    let report = text(&output);
    assert_eq!(output.status.code(), Some(0), "{report}");
    assert!(report.contains("all 6 cuts passed"), "{report}");
    assert!(took < CHECK_BOUND);
}

#[test]
#[parallel(heavy)]
fn every_cut_passes_against_seam_serves_own_ftp_uploads() {
    passes_every_cut_against_seam_serve("ftp");
}

#[test]
#[parallel(heavy)]
fn every_cut_passes_against_seam_serves_own_movie_uploads() {
    passes_every_cut_against_seam_serve("movie");
}

/// Runs the check against one `seam serve --tutorial NAME=…` listener; every cut must pass.
fn passes_every_cut_against_seams_tutorial_listener(dialect: &str) {
    let server =
        crate::common::tutorial::TutorialServer::start(&[dialect], &["--allow-exec", "echo"]);
    std::fs::create_dir_all(server.root()).unwrap();
    let addr = server.addr(dialect).to_string();
    let root = server.root().to_str().unwrap().to_string();
    let (output, took) = check(&[
        dialect,
        &addr,
        "--stored",
        &root,
        "--seed",
        "11",
        "--timeout",
        "20",
    ]);
    let report = text(&output);
    assert_eq!(output.status.code(), Some(0), "{report}");
    assert!(
        report.contains("cuts passed") && !report.contains("FAIL"),
        "{report}"
    );
    assert!(took < CHECK_BOUND);
}

#[test]
#[parallel(heavy)]
fn every_cut_passes_against_seams_tutorial_listener_of_every_dialect() {
    check_every_case(DIALECTS, |dialect| {
        passes_every_cut_against_seams_tutorial_listener(dialect.name)
    });
}

#[test]
#[parallel(heavy)]
fn an_md5_read_with_one_recv_fails_when_the_next_header_sticks_to_it() {
    let server = PythonServer::start("upload_md5_server_md5_sticks.py");
    let (output, took) = check(&["upload-md5", &server.addr, "--seed", "7", "--timeout", "5"]);
    let report = text(&output);
    assert_eq!(output.status.code(), Some(1), "{report}");
    assert!(
        report.contains("  pass  1. as the seed's client sends them"),
        "{report}"
    );
    assert!(
        report.contains("  pass  2. everything merged into one write"),
        "{report}"
    );
    assert!(
        report.contains("  FAIL  6. two requests back to back on one connection"),
        "{report}"
    );
    assert!(took < CHECK_BOUND);
}

#[test]
#[parallel(heavy)]
fn a_server_that_resets_the_connection_is_said_to_reset_it() {
    // Reads the request, then closes with SO_LINGER 0: the system sends a reset.
    let server = PythonServer::start_code(
        "import socket, struct, sys\n\
         s = socket.socket(); s.bind(('127.0.0.1', int(sys.argv[1]))); s.listen(5)\n\
         print(s.getsockname()[1], flush=True)\n\
         while True:\n\
         \x20   conn, _ = s.accept(); conn.recv(1024)\n\
         \x20   conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))\n\
         \x20   conn.close()\n",
    );
    let (output, took) = check(&["echo", &server.addr, "--timeout", "5"]);
    let report = text(&output);
    assert_eq!(output.status.code(), Some(1), "{report}");
    assert!(
        report.contains("  FAIL  1. as the seed's client sends them: the connection was reset"),
        "{report}"
    );
    assert!(took < CHECK_BOUND);
}
