//! The tutorial listeners: bound at start-up (so a bad address stops the server before it
//! announces itself), then one accept loop each, sharing the server's connection limit and
//! shutdown.

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use seam_core::dialect::Dialect;
use tokio::net::{TcpListener, TcpStream, UdpSocket};
use tokio::sync::Semaphore;
use tokio::task::{JoinHandle, JoinSet};
use tracing::{info, warn};

use super::stream::TutorialStream;
use super::{command, echo, udp, uploads};
use crate::server::config::TutorialListen;
use crate::server::shared::{Shared, SHUTDOWN_GRACE};

/// A bound tutorial listener.
pub struct Bound {
    /// The dialect it speaks.
    pub dialect: Dialect,
    /// The address it is bound to (with the port the system chose for port 0).
    pub addr: SocketAddr,
    socket: Socket,
}

enum Socket {
    Tcp(TcpListener),
    Udp(UdpSocket),
}

/// Binds every `--tutorial` listener (after [`super::check`]).
pub async fn bind(listens: &[TutorialListen]) -> anyhow::Result<Vec<Bound>> {
    let mut bound = Vec::with_capacity(listens.len());
    for listen in listens {
        let context = || format!("cannot listen on {} for --tutorial {listen}", listen.addr);
        let (socket, addr) = if listen.dialect.is_datagram() {
            let socket = UdpSocket::bind(listen.addr).await.with_context(context)?;
            let addr = socket.local_addr()?;
            (Socket::Udp(socket), addr)
        } else {
            let listener = TcpListener::bind(listen.addr).await.with_context(context)?;
            let addr = listener.local_addr()?;
            (Socket::Tcp(listener), addr)
        };
        bound.push(Bound {
            dialect: listen.dialect,
            addr,
            socket,
        });
    }
    Ok(bound)
}

/// Starts serving every bound listener; each task ends once the server shuts down and its
/// connections have finished (or the grace period is over).
pub fn spawn(
    bound: Vec<Bound>,
    shared: &Arc<Shared>,
    slots: &Arc<Semaphore>,
) -> Vec<JoinHandle<()>> {
    bound
        .into_iter()
        .map(|bound| {
            info!(dialect = %bound.dialect, addr = %bound.addr, "tutorial listener");
            match bound.socket {
                Socket::Tcp(listener) => tokio::spawn(accept_loop(
                    bound.dialect,
                    listener,
                    shared.clone(),
                    slots.clone(),
                )),
                Socket::Udp(socket) => tokio::spawn(udp::serve(socket, shared.shutdown.clone())),
            }
        })
        .collect()
}

async fn accept_loop(
    dialect: Dialect,
    listener: TcpListener,
    shared: Arc<Shared>,
    slots: Arc<Semaphore>,
) {
    let mut shutdown = shared.shutdown.clone();
    let mut stopping = std::pin::pin!(async move {
        let _ = shutdown.wait_for(|stop| *stop).await;
    });
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            () = &mut stopping => break,
            accepted = listener.accept() => {
                let (stream, peer) = match accepted {
                    Ok(pair) => pair,
                    Err(error) => {
                        warn!(%dialect, %error, "accept failed");
                        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let id = shared.next_conn_id();
                match slots.clone().try_acquire_owned() {
                    Ok(slot) => {
                        let shared = shared.clone();
                        connections.spawn(async move {
                            serve(dialect, stream, peer, id, shared).await;
                            drop(slot);
                        });
                    }
                    // Tutorial clients read no error frames: a connection over the limit
                    // is closed at once.
                    Err(_) => warn!(%peer, conn = id, %dialect, "refused: too many connections"),
                }
            }
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    drop(listener);
    let drained = tokio::time::timeout(SHUTDOWN_GRACE, async {
        while connections.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        warn!(%dialect, aborted = connections.len(), "tutorial transfers still running after the grace period were aborted; nothing was stored for them");
        connections.shutdown().await;
    }
}

/// Serves one tutorial connection to its end.
async fn serve(
    dialect: Dialect,
    stream: TcpStream,
    peer: SocketAddr,
    id: u64,
    shared: Arc<Shared>,
) {
    info!(conn = id, %peer, %dialect, "tutorial client connected");
    let mut stream = TutorialStream::new(stream, shared, id);
    let outcome = if dialect.runs_commands() {
        command::serve(&mut stream, dialect).await
    } else if dialect.uploads() {
        uploads::serve(&mut stream, dialect).await
    } else {
        echo::serve(&mut stream, dialect).await
    };
    match outcome {
        Ok(()) => info!(conn = id, %dialect, "closed by the tutorial client"),
        Err(error) => {
            warn!(conn = id, %dialect, "{error:#}");
            stream.close_gracefully().await;
        }
    }
}
