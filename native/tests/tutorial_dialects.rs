//! `seam serve --tutorial NAME=ADDR` against the tutorials' own Python clients, one per
//! dialect, written as the tutorials teach (`tests/tutorials/clients/`): files land whole,
//! replies are right, and an FTP upload is then seen by `seam ls` and `seam get`.

use crate::common::tutorial::{
    local_files, run_client, tutorial_head, RawTutorial, TutorialServer, DEADLINE,
};
use crate::common::{entries, md5_of, wait_until, TempDir};
use serial_test::parallel;

#[test]
#[parallel(heavy)]
fn the_issue_example_starts_and_an_ftp_upload_is_seen_by_seam_ls_and_get() {
    let server = TutorialServer::start(&["ftp", "cmd", "udp-upper"], &["--allow-exec", "ls"]);
    let (local, md5s) = local_files(&[("report.pdf", 1_500_000), ("notes.txt", 10)]);
    run_client(
        "ftp.py",
        server.addr("ftp"),
        &[],
        "put report.pdf\nput notes.txt\n",
        local.path(),
    );
    let root = server.root().to_path_buf();
    wait_until(DEADLINE, "both files stored", || {
        root.join("report.pdf").exists() && root.join("notes.txt").exists()
    });
    assert_eq!(entries(&root), ["notes.txt", "report.pdf"]);
    let listing = server.server.client(&["ls"]);
    assert!(listing.status.success());
    let listing = String::from_utf8_lossy(&listing.stdout);
    assert!(
        listing.contains("report.pdf") && listing.contains("1500000"),
        "{listing}"
    );
    let fetched = TempDir::new("tutorial-get");
    let target = fetched.join("report.pdf");
    let get = server
        .server
        .client(&["get", "report.pdf", "-o", target.to_str().unwrap()]);
    assert!(
        get.status.success(),
        "{}",
        String::from_utf8_lossy(&get.stderr)
    );
    assert_eq!(md5_of(&target), md5s[0]);
    assert_eq!(md5_of(&root.join("notes.txt")), md5s[1]);
}

#[test]
#[parallel(heavy)]
fn movie_client_uploads_the_chosen_files_whole() {
    let server = TutorialServer::start(&["movie"], &[]);
    let (local, md5s) = local_files(&[("a.mp4", 2_000_000), ("b 电影.mkv", 4097)]);
    run_client(
        "movie.py",
        server.addr("movie"),
        &[local.path().to_str().unwrap()],
        "2\n1\n",
        local.path(),
    );
    let root = server.root().to_path_buf();
    wait_until(DEADLINE, "both movies stored", || {
        root.join("a.mp4").exists() && root.join("b 电影.mkv").exists()
    });
    assert_eq!(entries(&root), ["a.mp4", "b 电影.mkv"]);
    assert_eq!(md5_of(&root.join("a.mp4")), md5s[0]);
    assert_eq!(md5_of(&root.join("b 电影.mkv")), md5s[1]);
}

#[test]
#[parallel(heavy)]
fn upload_md5_client_hears_200_then_100_and_the_files_are_stored() {
    let server = TutorialServer::start(&["upload-md5"], &[]);
    let (local, md5s) = local_files(&[("one.bin", 700_000), ("two.bin", 0)]);
    let out = run_client(
        "upload_md5.py",
        server.addr("upload-md5"),
        &[],
        "put one.bin\nput two.bin\n",
        local.path(),
    );
    assert_eq!(out.matches("upload succeeded").count(), 2, "{out}");
    assert_eq!(md5_of(&server.root().join("one.bin")), md5s[0]);
    assert_eq!(md5_of(&server.root().join("two.bin")), md5s[1]);
}

#[test]
#[parallel(heavy)]
fn upload_md5_mismatch_answers_10000_stores_nothing_and_the_connection_goes_on() {
    let server = TutorialServer::start(&["upload-md5"], &[]);
    let mut client = RawTutorial::connect(server.addr("upload-md5"));
    client.send(&tutorial_head(
        r#"{"action": "put", "filename": "x.bin", "filesize": 5}"#,
    ));
    client.send(b"hello");
    assert_eq!(client.read_exact(3), b"200");
    client.send(b"00000000000000000000000000000000");
    assert_eq!(client.read_exact(5), b"10000");
    assert_eq!(entries(server.root()), Vec::<String>::new());
    client.send(&tutorial_head(
        r#"{"action": "put", "filename": "x.bin", "filesize": 5}"#,
    ));
    client.send(b"hello");
    assert_eq!(client.read_exact(3), b"200");
    client.send(seam_core::md5_hex(b"hello").as_bytes());
    assert_eq!(client.read_exact(3), b"100");
    assert_eq!(entries(server.root()), ["x.bin"]);
}

/// Starts a server with one command dialect allowed to run `echo` and `ls`, with a file in
/// its root for `ls` to show.
fn command_server(dialect: &str) -> TutorialServer {
    let server = TutorialServer::start(&[dialect], &["--allow-exec", "echo", "ls"]);
    std::fs::write(server.root().join("listed-file.txt"), b"x").unwrap();
    server
}

const COMMANDS: &str = "echo hello tutorial\nls\nrm listed-file.txt\n";

fn assert_command_output(out: &str) {
    assert!(out.contains("hello tutorial"), "{out}");
    assert!(out.contains("listed-file.txt"), "{out}");
    assert!(
        out.contains("seam: \"rm\" is not on this server's allow-list (allowed: echo, ls)"),
        "{out}"
    );
}

#[test]
#[parallel(heavy)]
fn cmd_client_prints_the_output_of_allowed_commands_and_the_refusal_of_others() {
    let server = command_server("cmd");
    let out = run_client("cmd.py", server.addr("cmd"), &[], COMMANDS, server.root());
    assert_command_output(&out);
    assert!(server.root().join("listed-file.txt").exists());
}

#[test]
#[parallel(heavy)]
fn cmd_len_client_reads_the_filename_len_header() {
    let server = command_server("cmd-len");
    let out = run_client(
        "cmd_len.py",
        server.addr("cmd-len"),
        &[],
        COMMANDS,
        server.root(),
    );
    assert_command_output(&out);
    assert!(out.contains("{'filename': 'cls.txt', 'len': 16}"), "{out}");
}

#[test]
#[parallel(heavy)]
fn cmd_struct_client_reads_the_bare_length() {
    let server = command_server("cmd-struct");
    let out = run_client(
        "cmd_struct.py",
        server.addr("cmd-struct"),
        &[],
        COMMANDS,
        server.root(),
    );
    assert_command_output(&out);
    assert!(out.contains("<class 'int'> 16"), "{out}");
}

#[test]
#[parallel(heavy)]
fn cmd_ready_client_gets_the_output_after_recv_ready() {
    let server = command_server("cmd-ready");
    let out = run_client(
        "cmd_ready.py",
        server.addr("cmd-ready"),
        &[],
        COMMANDS,
        server.root(),
    );
    assert_command_output(&out);
}

#[test]
#[parallel(heavy)]
fn a_command_is_split_into_words_and_never_given_to_a_shell() {
    let server = command_server("cmd");
    let out = run_client(
        "cmd.py",
        server.addr("cmd"),
        &[],
        "echo 'two  spaces' ; ls $HOME `id` *\n",
        server.root(),
    );
    assert!(out.contains("two  spaces ; ls $HOME `id` *"), "{out}");
}

#[test]
#[parallel(heavy)]
fn echo_client_gets_its_bytes_back() {
    let server = TutorialServer::start(&["echo"], &[]);
    let dir = TempDir::new("echo");
    let out = run_client(
        "echo.py",
        server.addr("echo"),
        &[],
        "hello\nhow are you\n",
        dir.path(),
    );
    assert!(out.contains("from server msg is hello\n"), "{out}");
    assert!(out.contains("from server msg is how are you\n"), "{out}");
}

#[test]
#[parallel(heavy)]
fn echo_upper_client_gets_its_bytes_upper_cased() {
    let server = TutorialServer::start(&["echo-upper"], &[]);
    let dir = TempDir::new("echo-upper");
    let out = run_client(
        "echo_upper.py",
        server.addr("echo-upper"),
        &[],
        "hello\nsocket é\n",
        dir.path(),
    );
    assert!(out.contains("from server msg is HELLO\n"), "{out}");
    assert!(out.contains("from server msg is SOCKET é\n"), "{out}");
}

#[test]
#[parallel(heavy)]
fn udp_upper_client_gets_each_datagram_upper_cased() {
    let server = TutorialServer::start(&["udp-upper"], &[]);
    let dir = TempDir::new("udp-upper");
    let out = run_client(
        "udp_upper.py",
        server.addr("udp-upper"),
        &[],
        "hello\nworld\n",
        dir.path(),
    );
    assert!(out.contains("HELLO ("), "{out}");
    assert!(out.contains("WORLD ("), "{out}");
}

#[test]
#[parallel(heavy)]
fn tutorial_connections_are_traced_with_the_main_server() {
    let dir = TempDir::new("tutorial-trace");
    let trace = dir.join("trace.jsonl");
    let server = TutorialServer::start(&["echo-upper"], &["--trace", trace.to_str().unwrap()]);
    let mut client = RawTutorial::connect(server.addr("echo-upper"));
    client.send(b"abc");
    assert_eq!(client.read_exact(3), b"ABC");
    wait_until(DEADLINE, "both directions traced", || {
        let text = std::fs::read_to_string(&trace).unwrap_or_default();
        text.lines().count() >= 2
    });
}

/// One echo round trip on a new connection: `None` when the server closed it instead.
fn echo_once(addr: std::net::SocketAddr) -> Option<Vec<u8>> {
    let mut client = RawTutorial::connect(addr);
    // A server that closed at once may make this write fail: that is a close too.
    let _ = std::io::Write::write_all(&mut client.stream, b"hi");
    let reply = client.read_to_close_after(2);
    (!reply.is_empty()).then_some(reply)
}

#[test]
#[parallel(heavy)]
fn tutorial_listeners_share_the_main_servers_connection_limit() {
    let server = TutorialServer::start(&["echo"], &["--max-conns", "1"]);
    let mut held = crate::common::RawClient::connect(server.server.addr);
    held.send_frame(&serde_json::json!({"op": "list"}), b"");
    assert!(held.read_reply().is_some(), "the main connection is served");
    assert_eq!(
        echo_once(server.addr("echo")),
        None,
        "over the limit: closed at once"
    );
    drop(held);
    wait_until(DEADLINE, "the slot is free again", || {
        echo_once(server.addr("echo")).as_deref() == Some(b"hi")
    });
}

#[test]
#[parallel(heavy)]
fn sigterm_stops_the_tutorial_listeners_and_closes_their_idle_clients() {
    let mut server = TutorialServer::start(&["echo", "ftp"], &[]);
    let mut idle = RawTutorial::connect(server.addr("echo"));
    idle.send(b"x");
    assert_eq!(idle.read_exact(1), b"x");
    crate::common::unsafe_free_kill(server.server.child.id(), "TERM");
    wait_until(DEADLINE, "the server exits", || {
        server.server.child.try_wait().unwrap().is_some()
    });
    assert_eq!(idle.read_to_close(), b"");
    assert!(std::net::TcpStream::connect(server.addr("ftp")).is_err());
}
