//! File names over the wire: one name means one file (composed and decomposed spellings
//! are one name), and names that would disguise themselves are refused.

use crate::common::{error_code, RawClient, Server, TempDir};
use seam_core::messages::Reply;
use serde_json::json;
use serial_test::parallel;

/// Uploads `body` as `name` on a raw connection; the final reply.
fn raw_put(client: &mut RawClient, name: &str, body: &[u8]) -> Option<Reply> {
    client.send_frame(
        &json!({"op": "put", "name": name, "total": body.len(), "force": true}),
        b"",
    );
    match client.reply() {
        Some(Reply::Ready { .. }) => {}
        other => return other,
    }
    let md5 = seam_core::md5_hex(body);
    client.send_frame(&json!({"op": "put_data", "size": body.len()}), body);
    client.send_frame(&json!({"op": "put_end", "md5": md5}), b"");
    client.reply()
}

#[test]
#[parallel(heavy)]
fn composed_and_decomposed_spellings_of_a_name_are_one_file() {
    let server = Server::start(&[]);
    let mut client = RawClient::connect(server.addr);
    let composed = "caf\u{e9}.txt";
    let decomposed = "cafe\u{301}.txt";
    assert!(matches!(
        raw_put(&mut client, decomposed, b"first"),
        Some(Reply::Stored { .. })
    ));
    assert!(matches!(
        raw_put(&mut client, composed, b"second"),
        Some(Reply::Stored { .. })
    ));
    client.send_frame(&json!({"op": "list"}), b"");
    let Some(Reply::Listing { files }) = client.reply() else {
        panic!("no listing")
    };
    let names: Vec<&str> = files.iter().map(|file| file.name.as_str()).collect();
    assert_eq!(names, [composed]);
    assert_eq!(
        std::fs::read(server.root.join(composed)).unwrap(),
        b"second"
    );
    // The decomposed spelling finds the file too.
    client.send_frame(&json!({"op": "get", "name": decomposed}), b"");
    let (header, body) = client.read_reply().expect("the download");
    assert_eq!(header["op"], "file", "{header:?}");
    assert_eq!(body, b"second");
}

#[test]
#[parallel(heavy)]
fn disguising_names_are_refused() {
    let server = Server::start(&[]);
    let mut client = RawClient::connect(server.addr);
    for name in [
        "invoice\u{202e}fdp.exe",
        "re\u{200b}port.txt",
        "\u{feff}report.txt",
        "report.txt ",
    ] {
        let reply = raw_put(&mut client, name, b"x");
        assert_eq!(error_code(&reply), "bad_name", "{name:?}");
    }
    let empty = TempDir::new("names-none");
    assert_eq!(
        std::fs::read_dir(&server.root).unwrap().count(),
        std::fs::read_dir(empty.path()).map_or(0, |dir| dir.count())
    );
}
