//! A tutorial connection's bytes: unframed reads into a buffer that the dialect's sans-IO
//! machine consumes from, and writes of exact reply bytes, each bounded by the idle
//! timeout, both traced with `--trace`.

use std::sync::Arc;
use std::time::Duration;

use anyhow::{anyhow, bail};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::TcpStream;
use tokio::sync::watch;

use crate::server::shared::Shared;
use crate::traced::Traced;

/// Size of the read buffer: the most one socket read returns.
const READ_BUF: usize = 256 * 1024;

/// How long a closing connection waits for the client to finish sending.
const CLOSE_LINGER: Duration = Duration::from_secs(2);

/// The reading side: bytes read but not yet consumed are `buf[start..end]`.
pub struct Input {
    read: Traced<OwnedReadHalf>,
    /// The read buffer.
    pub buf: Vec<u8>,
    /// First unconsumed byte.
    pub start: usize,
    /// End of the bytes read.
    pub end: usize,
    stopping: watch::Receiver<bool>,
}

/// How a wait for more bytes ended.
pub enum Filled {
    /// Bytes arrived.
    Bytes,
    /// The client closed its side.
    End,
    /// Nothing arrived within the time given.
    Quiet,
}

impl Input {
    /// Waits at most `limit` for more bytes (call only when nothing is pending). With
    /// `between_requests`, a server shutdown ends the wait (and the connection).
    pub async fn fill(
        &mut self,
        limit: Duration,
        between_requests: bool,
    ) -> anyhow::Result<Filled> {
        debug_assert_eq!(self.start, self.end);
        let mut stopping = self.stopping.clone();
        let read = tokio::time::timeout(limit, self.read.read(&mut self.buf));
        let result = tokio::select! {
            biased;
            _ = async { let _ = stopping.wait_for(|stop| *stop).await; }, if between_requests => {
                bail!("the server is shutting down")
            }
            result = read => result,
        };
        let Ok(read) = result else {
            return Ok(Filled::Quiet);
        };
        let n = read?;
        self.start = 0;
        self.end = n;
        Ok(if n == 0 { Filled::End } else { Filled::Bytes })
    }
}

/// The writing side.
pub struct Output {
    write: Traced<OwnedWriteHalf>,
    idle: Duration,
}

impl Output {
    /// Writes all of `bytes` within the idle timeout (a client that reads nothing is dropped).
    pub async fn write_all(&mut self, bytes: &[u8]) -> anyhow::Result<()> {
        tokio::time::timeout(self.idle, self.write.write_all(bytes))
            .await
            .map_err(|_| anyhow!("the client read nothing for {} s", self.idle.as_secs()))??;
        Ok(())
    }
}

/// One tutorial connection.
pub struct TutorialStream {
    /// The reading side.
    pub input: Input,
    /// The writing side.
    pub output: Output,
    /// The server's shared state.
    pub shared: Arc<Shared>,
    /// The connection's number, for the log and the trace.
    pub id: u64,
}

impl TutorialStream {
    /// Wraps an accepted connection.
    pub fn new(stream: TcpStream, shared: Arc<Shared>, id: u64) -> TutorialStream {
        let _ = stream.set_nodelay(true);
        let (read, write) = stream.into_split();
        TutorialStream {
            input: Input {
                read: Traced::new(read, shared.trace.clone(), id),
                buf: vec![0; READ_BUF],
                start: 0,
                end: 0,
                stopping: shared.shutdown.clone(),
            },
            output: Output {
                write: Traced::new(write, shared.trace.clone(), id),
                idle: shared.idle_timeout,
            },
            shared,
            id,
        }
    }

    /// The idle timeout.
    pub fn idle(&self) -> Duration {
        self.shared.idle_timeout
    }

    /// Closes after a final reply: shuts the writing side, then reads and drops what the
    /// client still sends for a moment, so that the reply is not destroyed by a reset.
    pub async fn close_gracefully(mut self) {
        if tokio::time::timeout(CLOSE_LINGER, self.output.write.shutdown())
            .await
            .is_err()
        {
            return;
        }
        let _ = tokio::time::timeout(CLOSE_LINGER, async {
            while let Ok(n) = self.input.read.read(&mut self.input.buf).await {
                if n == 0 {
                    break;
                }
            }
        })
        .await;
    }
}
