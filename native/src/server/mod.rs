//! `seam serve`: the multi-client server. A task per connection; every byte through
//! `seam-core`; graceful shutdown on Ctrl-C or SIGTERM.

mod chat;
mod config;
mod conn;
mod connection;
mod embedded;
mod exec;
mod failure;
mod files;
mod shared;
mod startup;
mod storage;
mod store;
mod tutorial;
mod udp;
mod upload;
mod web;

pub use config::{Config, TutorialListen};
pub use embedded::{start, Running};

use std::collections::HashSet;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{bail, Context};
use seam_core::messages::{ErrorCode, Reply};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, Semaphore};
use tokio::task::JoinSet;
use tracing::{info, warn};

use crate::tls::server::{CertSource, Opened, ServerTls, PLAIN_ON_TLS};
use crate::tls::Stream;
use crate::traced::TraceSink;
use conn::refuse;
use shared::{Shared, SHUTDOWN_GRACE};
use storage::Root;
use store::{Bucket, Store};

/// How long uploads get to write out what they received once the grace period is over.
const GRACE_WRITE: Duration = Duration::from_secs(5);

/// Runs the server until Ctrl-C or SIGTERM.
pub async fn run(config: Config) -> anyhow::Result<()> {
    serve(config, shutdown_signal(), |_| {}).await
}

/// Runs the server until `until` resolves, then shuts down gracefully: no new connections,
/// running transfers get [`SHUTDOWN_GRACE`] to finish. `listening` is told the main
/// listener's address once the server is serving.
pub async fn serve(
    args: Config,
    until: impl std::future::Future<Output = ()>,
    listening: impl FnOnce(std::net::SocketAddr),
) -> anyhow::Result<()> {
    startup::check_exposure(&args)?;
    tutorial::check(&args.tutorial, args.insecure, !args.allow_exec.is_empty())?;
    let exec = if args.allow_exec.is_empty() {
        None
    } else {
        Some(Arc::new(exec::policy::ExecPolicy::new(
            &args.allow_exec,
            args.exec_timeout,
            args.exec_output_cap,
            args.exec_max_running,
        )?))
    };
    let fd_limit = crate::limits::raise_open_files_limit();
    if let Some(limit) = fd_limit.filter(|&limit| limit < args.max_conns as u64 + 64) {
        warn!(
            limit,
            max_conns = args.max_conns,
            "the limit of open files is below --max-conns: some clients will not be accepted"
        );
    }
    let root = Root::open(&args.root)
        .with_context(|| format!("cannot open the root folder {}", args.root.display()))?;
    let tls = load_tls(&args, &root)?;
    let store = open_store(&args, &root).await?;
    let listener = TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    let local = listener.local_addr()?;
    let tutorials = tutorial::bind(&args.tutorial).await?;
    let udp = if args.udp {
        Some(udp::bind(local).await?)
    } else {
        None
    };
    let trace = match &args.trace {
        Some(path) => Some(
            TraceSink::create(path).with_context(|| format!("cannot create {}", path.display()))?,
        ),
        None => None,
    };
    let (stop, shutdown) = watch::channel(false);
    let (end_grace, grace_over) = watch::channel(false);
    let shared = Arc::new(Shared {
        root,
        store,
        token: args.token.clone(),
        idle_timeout: args.idle_timeout,
        max_upload: args.max_upload,
        uploading: Mutex::new(HashSet::new()),
        shutdown,
        grace_over,
        max_partial_bytes: args.max_partial_bytes,
        trace,
        exec,
        chat: Arc::new(chat::hub::Hub::new(args.max_chat)),
        conn_ids: AtomicU64::new(0),
    });
    let web = match args.web {
        Some(addr) => {
            let dir = args.web_dir.canonicalize().with_context(|| {
                format!("cannot find the page's folder {}", args.web_dir.display())
            })?;
            if !dir.join("pkg").is_dir() {
                bail!(
                    "{} has no pkg/ folder: build the page first (bash web/build.sh)",
                    dir.display()
                );
            }
            let listener = TcpListener::bind(addr)
                .await
                .with_context(|| format!("cannot listen on {addr} for the page"))?;
            let url = format!("http://{}/", listener.local_addr()?);
            Some((tokio::spawn(web::serve(listener, dir)), url))
        }
        None => None,
    };
    info!(listen = %local, store = %shared.store.describe(), auth = shared.token.is_some(), udp = udp.is_some(), ?fd_limit, "serving");
    if let Some(policy) = &shared.exec {
        info!(allowed = ?policy.names(), timeout = ?policy.timeout, output_cap = policy.output_cap, "exec is on");
    }
    let partial_ttl = args.partial_ttl;
    files::sweep_partials(&shared, partial_ttl).await;
    let sweeper = tokio::spawn(files::sweep_partials_every(shared.clone(), partial_ttl));
    if let Some(socket) = udp {
        tokio::spawn(udp::serve(socket, shared.shutdown.clone()));
    }
    announce(&format!(
        "seam: serving {} on {local}",
        shared.store.describe()
    ));
    for bound in &tutorials {
        announce(&format!(
            "seam: tutorial {} listener on {}",
            bound.dialect, bound.addr
        ));
    }
    if let Some((_, url)) = &web {
        announce(&format!("seam: the visualiser is at {url}"));
    }
    if let Some(tls) = &tls {
        let made = if tls.generated { "made now, " } else { "" };
        announce(&format!(
            "seam: TLS certificate {} ({made}{})",
            tls.fingerprint,
            tls.cert_path.display()
        ));
        if let Some(path) = &args.trace {
            announce(&format!(
                "seam: the trace {} records the plaintext frames, as decrypted from TLS",
                path.display()
            ));
        }
    }
    if let Store::Bucket(bucket) = &shared.store {
        announce(&format!(
            "seam: the store {} was listed, written and deleted from (a probe object)",
            bucket.url()
        ));
    }

    let slots = Arc::new(Semaphore::new(args.max_conns));
    let tutorial_tasks = tutorial::spawn(tutorials, &shared, &slots);
    let mut connections = JoinSet::new();
    listening(local);
    let signal = until;
    tokio::pin!(signal);
    loop {
        tokio::select! {
            () = &mut signal => break,
            accepted = listener.accept() => {
                let (stream, peer) = match accepted {
                    Ok(pair) => pair,
                    Err(error) => {
                        // Out of file descriptors and the like: wait a little, keep serving.
                        warn!(%error, "accept failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let id = shared.next_conn_id();
                let tls = tls.clone();
                let idle = shared.idle_timeout;
                match slots.clone().try_acquire_owned() {
                    Ok(slot) => {
                        let shared = shared.clone();
                        connections.spawn(async move {
                            if let Some(stream) = open(stream, tls.as_deref(), idle, peer, id).await {
                                connection::serve(stream, peer, id, shared).await;
                            }
                            drop(slot);
                        });
                    }
                    Err(_) => {
                        warn!(%peer, conn = id, max = args.max_conns, "refused: too many connections");
                        let max = args.max_conns;
                        connections.spawn(async move {
                            if let Some(stream) = open(stream, tls.as_deref(), idle, peer, id).await {
                                refuse(stream, busy(max)).await;
                            }
                        });
                    }
                }
            }
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    drop(listener);
    info!(
        active = connections.len(),
        "shutting down: no new connections; waiting for transfers"
    );
    let _ = stop.send(true);
    let drained = tokio::time::timeout(SHUTDOWN_GRACE, async {
        while connections.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        // Uploads stop reading and write out what they received; then the rest is aborted.
        let _ = end_grace.send(true);
        let _ = tokio::time::timeout(GRACE_WRITE, async {
            while connections.join_next().await.is_some() {}
        })
        .await;
        warn!(aborted = connections.len(), "transfers still running after the grace period were stopped; their partial files stay hidden");
        connections.shutdown().await;
    }
    for task in tutorial_tasks {
        let _ = task.await;
    }
    // Nothing of this server outlives it on a runtime that goes on (a program embedding it).
    sweeper.abort();
    if let Some((page, _)) = web {
        page.abort();
    }
    info!("stopped");
    Ok(())
}

/// The TLS configuration with `--tls` or `--tls-cert`: the given certificate, or the one
/// in the state folder (made there on first start).
fn load_tls(args: &Config, root: &Root) -> anyhow::Result<Option<Arc<ServerTls>>> {
    let source = match (&args.tls_cert, &args.tls_key) {
        (Some(cert), Some(key)) => CertSource::Files { cert, key },
        _ if args.tls => CertSource::StateDir(
            args.state_dir
                .clone()
                .unwrap_or_else(|| root.dir().join(".seam")),
        ),
        _ => return Ok(None),
    };
    Ok(Some(Arc::new(ServerTls::load(source)?)))
}

/// The file store: the root folder, or with `--store` a bucket that was just checked (list,
/// write and delete a probe object), else the reason it cannot be used.
async fn open_store(args: &Config, root: &Root) -> anyhow::Result<Store> {
    let Some(url) = &args.store else {
        return Ok(Store::Folder(root.clone()));
    };
    let bucket = Bucket::open(url, root.dir()).map_err(|e| anyhow::anyhow!("--store {e}"))?;
    bucket
        .check()
        .await
        .map_err(|e| anyhow::anyhow!("--store {url} cannot be used: {e}"))?;
    info!(store = %url, "the store can be listed and written");
    Ok(Store::Bucket(Arc::new(bucket)))
}

/// Prints a line for the person (or program) who started the server; a closed stdout is
/// no reason to stop serving.
fn announce(line: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}").and_then(|()| out.flush());
}

/// What a client over the connection limit is told.
fn busy(max: usize) -> Reply {
    Reply::error(
        ErrorCode::Busy,
        format!("the server is at its limit of {max} connections; try again later"),
    )
}

/// An accepted connection, ready to serve (after the TLS handshake, with `--tls`); a plain
/// client on the TLS listener is told to add `--tls`.
async fn open(
    tcp: TcpStream,
    tls: Option<&ServerTls>,
    idle: Duration,
    peer: std::net::SocketAddr,
    id: u64,
) -> Option<Stream> {
    match crate::tls::server::open(tcp, tls, idle, peer, id).await {
        Opened::Ready(stream) => Some(stream),
        Opened::PlainOnTls(tcp) => {
            let reply = Reply::error(ErrorCode::BadRequest, PLAIN_ON_TLS);
            refuse(Stream::Plain(tcp), reply).await;
            None
        }
        Opened::Gone => None,
    }
}

/// Resolves on Ctrl-C, or SIGTERM on Unix.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
}

/// The address a server listens on by default.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8800";
