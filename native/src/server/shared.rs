//! What every connection of a server shares: the served folder, the limits, the chat room,
//! what `exec` may run, and the shutdown signals.

use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::watch;

use super::chat::hub::Hub;
use super::exec::policy::ExecPolicy;
use super::storage::Root;
use super::store::Store;
use crate::traced::TraceSink;

/// How long running transfers may go on after a shutdown signal.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// What every connection of a server shares.
pub struct Shared {
    /// The local folder (commands run in it; TLS state and spooled upload parts live in it).
    pub root: Root,
    /// Where files are kept: the local folder, or a bucket with `--store`.
    pub store: Store,
    /// The token every connection must present, if any.
    pub token: Option<String>,
    /// How long a connection may stay silent.
    pub idle_timeout: Duration,
    /// The largest upload accepted.
    pub max_upload: u64,
    /// Names with an upload under way (one writer per name at a time).
    pub uploading: Mutex<HashSet<String>>,
    /// Turns true when the server shuts down.
    pub shutdown: watch::Receiver<bool>,
    /// Turns true when the grace period after a shutdown signal ends: uploads then stop
    /// reading and keep what they received.
    pub grace_over: watch::Receiver<bool>,
    /// Most bytes partial files (unfinished uploads) may hold together.
    pub max_partial_bytes: u64,
    /// Where chunks are traced, with `--trace`.
    pub trace: Option<TraceSink>,
    /// What `exec` may run, with `--allow-exec`; `None`: nothing.
    pub exec: Option<Arc<ExecPolicy>>,
    /// The chat room.
    pub chat: Arc<Hub>,
    /// The last connection number given, on any listener.
    pub conn_ids: AtomicU64,
}

impl Shared {
    /// A new connection's number, unique across the main and the tutorial listeners.
    pub fn next_conn_id(&self) -> u64 {
        self.conn_ids.fetch_add(1, Ordering::Relaxed) + 1
    }
}
