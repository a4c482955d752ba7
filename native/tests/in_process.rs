//! The library without the command line: a server started inside the test process from a
//! `server::Config`, driven through the client commands' option types, then shut down.

use std::future::Future;
use std::time::Duration;

use seam_native::client::options::{ClientOptions, GetOptions, PutOptions};
use seam_native::client::{get, put};
use seam_native::server::{self, Config};
use serial_test::parallel;

use crate::common::{md5_of, write_pattern, TempDir};

/// Bounds every step: a hang fails the test instead of stalling the suite.
const STEP: Duration = Duration::from_secs(20);

/// Runs a test's body on a runtime of its own, as a program embedding Seam would.
fn on_runtime(body: impl Future<Output = ()>) {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("the runtime starts")
        .block_on(body);
}

fn config_in(dir: &TempDir) -> Config {
    Config {
        listen: "127.0.0.1:0".parse().unwrap(),
        root: dir.join("root"),
        ..Config::default()
    }
}

#[test]
#[parallel(heavy)]
fn a_server_started_from_a_config_stores_a_file_returns_it_and_shuts_down() {
    on_runtime(started_from_a_config());
}

async fn started_from_a_config() {
    let dir = TempDir::new("in-process");
    let running = tokio::time::timeout(STEP, server::start(config_in(&dir)))
        .await
        .expect("the server starts in time")
        .expect("the server starts");
    let addr = running.addr();
    assert_ne!(addr.port(), 0, "the bound port is reported");
    let client = ClientOptions {
        server: addr.to_string(),
        quiet: true,
        ..ClientOptions::default()
    };

    let original = dir.join("original.bin");
    let md5 = write_pattern(&original, 3 << 20, 7);
    let upload = PutOptions {
        files: vec![original],
        name: Some("kept.bin".into()),
        resume: false,
        force: false,
        dialect: None,
        client: client.clone(),
    };
    tokio::time::timeout(STEP, put::run(&upload))
        .await
        .expect("the upload ends in time")
        .expect("the upload succeeds");
    assert_eq!(md5_of(&dir.join("root").join("kept.bin")), md5);

    let back = dir.join("back.bin");
    let download = GetOptions {
        names: vec!["kept.bin".into()],
        output: Some(back.clone()),
        resume: false,
        force: false,
        client,
    };
    tokio::time::timeout(STEP, get::run(&download))
        .await
        .expect("the download ends in time")
        .expect("the download succeeds");
    assert_eq!(md5_of(&back), md5);

    tokio::time::timeout(STEP, running.shutdown())
        .await
        .expect("the server stops in time")
        .expect("the server stops cleanly");
    assert!(
        tokio::net::TcpStream::connect(addr).await.is_err(),
        "nothing listens on {addr} after the shutdown"
    );
}

#[test]
#[parallel(heavy)]
fn starting_refuses_a_blank_token_with_the_reason() {
    on_runtime(refuses_a_blank_token());
}

async fn refuses_a_blank_token() {
    let dir = TempDir::new("in-process-token");
    let config = Config {
        token: Some("   ".into()),
        ..config_in(&dir)
    };
    let refused = tokio::time::timeout(STEP, server::start(config))
        .await
        .expect("the refusal comes in time");
    let error = refused.err().expect("a blank token is refused");
    assert!(error.to_string().contains("empty token"), "{error:#}");
}

#[test]
#[parallel(heavy)]
fn dropping_a_running_server_stops_it() {
    on_runtime(dropped_server_stops());
}

async fn dropped_server_stops() {
    let dir = TempDir::new("in-process-drop");
    let running = tokio::time::timeout(STEP, server::start(config_in(&dir)))
        .await
        .expect("the server starts in time")
        .expect("the server starts");
    let addr = running.addr();
    drop(running);
    let stopped = tokio::time::timeout(STEP, async {
        while tokio::net::TcpStream::connect(addr).await.is_ok() {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
    assert!(
        stopped.is_ok(),
        "{addr} still accepts connections after the drop"
    );
}
