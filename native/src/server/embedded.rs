//! A server started inside a program (a test, an application embedding Seam) instead of by
//! `seam serve`: it runs on the caller's runtime until it is told to stop.

use std::net::SocketAddr;

use anyhow::anyhow;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use super::config::Config;

/// A server running on the caller's runtime; dropping it stops the server too.
pub struct Running {
    addr: SocketAddr,
    stop: oneshot::Sender<()>,
    task: JoinHandle<anyhow::Result<()>>,
}

/// Starts a server and returns once it is serving (or with why it could not start).
pub async fn start(config: Config) -> anyhow::Result<Running> {
    let (stop, stopped) = oneshot::channel::<()>();
    let (ready, listening) = oneshot::channel();
    let task = tokio::spawn(super::serve(
        config,
        async move {
            // A dropped `Running` stops the server as well.
            let _ = stopped.await;
        },
        move |addr| {
            let _ = ready.send(addr);
        },
    ));
    match listening.await {
        Ok(addr) => Ok(Running { addr, stop, task }),
        Err(_) => Err(match task.await {
            Ok(Err(error)) => error,
            Ok(Ok(())) => anyhow!("the server stopped before it listened"),
            Err(error) => anyhow!("the server's task failed: {error}"),
        }),
    }
}

impl Running {
    /// The address the main listener is bound to.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Shuts the server down as Ctrl-C does (no new connections, running transfers get
    /// their grace period) and waits until it has stopped.
    pub async fn shutdown(self) -> anyhow::Result<()> {
        let _ = self.stop.send(());
        self.task
            .await
            .map_err(|error| anyhow!("the server's task failed: {error}"))?
    }
}
