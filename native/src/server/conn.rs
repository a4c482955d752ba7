//! What every request handler works with: a connection's two halves, the server's shared
//! state, and reads and writes bounded by the idle timeout. Handlers use this module; it
//! uses none of them.

use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::time::Duration;

use seam_core::messages::{ErrorCode, Reply};
use tokio::io::AsyncReadExt;

use super::failure::{Failure, Refusal};
use super::shared::Shared;
use crate::tls::{ReadHalf, Stream, WriteHalf};
use crate::traced::Traced;
use crate::wire::{now_or_never, FrameReader, FrameWriter, Head, WireError};

/// The reading side of a connection.
pub type Reader = FrameReader<Traced<ReadHalf>>;
/// The writing side of a connection.
pub type Writer = FrameWriter<Traced<WriteHalf>>;

/// How long a closing connection waits for the client to finish sending.
pub const CLOSE_LINGER: Duration = Duration::from_secs(2);

/// Most body bytes written under one idle timeout: a client that reads less than this in
/// that time counts as gone.
const WRITE_STEP: usize = 64 * 1024;

/// What a connection works with: its two halves and the server's shared state.
pub struct Conn {
    /// Reads requests.
    pub reader: Reader,
    /// Writes replies.
    pub writer: Writer,
    /// The server's shared state.
    pub shared: Arc<Shared>,
    /// The connection's number, for the logs.
    pub id: u64,
    /// A request header read early (while a command ran), handled next.
    pub pending: Option<Head>,
}

impl Conn {
    /// Waits for the next frame's header, at most the idle timeout.
    pub async fn next_header(&mut self) -> Result<Option<Head>, Failure> {
        if let Some(head) = self.pending.take() {
            return Ok(Some(head));
        }
        let idle = self.shared.idle_timeout;
        match within(idle, self.reader.next_header()).await {
            Some(head) => Ok(head?),
            None => Err(idle_timeout(idle).into()),
        }
    }

    /// Reads the next body bytes into `out`, at most the idle timeout; 0 at the body's end.
    pub async fn read_body(&mut self, out: &mut [u8]) -> Result<usize, Failure> {
        let idle = self.shared.idle_timeout;
        match tokio::time::timeout(idle, self.reader.read_body(out)).await {
            Ok(n) => Ok(n?),
            Err(_) => Err(idle_timeout(idle).into()),
        }
    }

    /// Sends a reply without a body and flushes it, within the idle timeout.
    pub async fn reply(&mut self, reply: &Reply) -> Result<(), Failure> {
        let writer = &mut self.writer;
        write_within(self.shared.idle_timeout, async {
            writer.send(reply).await?;
            writer.flush().await
        })
        .await
    }
}

/// Runs a write within the idle timeout: a client that stops reading is dropped, instead of
/// blocking its connection (and holding a connection slot) forever.
pub async fn write_within<T>(
    idle: Duration,
    write: impl Future<Output = Result<T, WireError>>,
) -> Result<T, Failure> {
    match within(idle, write).await {
        Some(result) => Ok(result?),
        None => Err(Failure::Broken(WireError::Io(std::io::Error::new(
            std::io::ErrorKind::TimedOut,
            format!(
                "the client read nothing for {} s; dropping the connection",
                idle.as_secs()
            ),
        )))),
    }
}

/// Runs a future for at most `limit`; `None` when it took longer. One that is ready at once
/// (a frame already buffered, a write into the buffer) costs no timer: under load most are.
pub async fn within<F: Future>(limit: Duration, future: F) -> Option<F::Output> {
    let mut future = pin!(future);
    if let Some(output) = now_or_never(future.as_mut()) {
        return Some(output);
    }
    tokio::time::timeout(limit, future).await.ok()
}

/// Writes body bytes in steps of at most [`WRITE_STEP`], each within the idle timeout.
pub async fn write_body_within(
    writer: &mut Writer,
    idle: Duration,
    bytes: &[u8],
) -> Result<(), Failure> {
    for step in bytes.chunks(WRITE_STEP) {
        write_within(idle, writer.write_body(step)).await?;
    }
    Ok(())
}

/// Why a connection silent for `idle` is closed.
pub fn idle_timeout(idle: Duration) -> Refusal {
    Refusal::fatal(
        ErrorCode::IdleTimeout,
        format!("no data for {} s; closing the connection", idle.as_secs()),
    )
}

/// Flushes and closes the writing side after a final error frame, then reads and drops what
/// the client still sends for a moment, so that its kernel does not answer our close with a
/// reset that could destroy the error frame before the client reads it.
pub async fn close_after_error(read: ReadHalf, writer: Writer) {
    close_after_error_within(read, writer, CLOSE_LINGER).await;
}

/// [`close_after_error`], giving the client up to `flush_limit` to take what is buffered.
pub async fn close_after_error_within(
    mut read: ReadHalf,
    mut writer: Writer,
    flush_limit: Duration,
) {
    // A client that reads nothing cannot take the error frame: give up after a while.
    match tokio::time::timeout(flush_limit, writer.shutdown()).await {
        Ok(Ok(())) => {}
        Ok(Err(_)) | Err(_) => return,
    }
    // On the heap, allocated only here: an array would be part of every connection's
    // future, idle or not.
    let mut sink = vec![0u8; 16 * 1024];
    let _ = tokio::time::timeout(CLOSE_LINGER, async {
        while let Ok(n) = read.read(&mut sink).await {
            if n == 0 {
                break;
            }
        }
    })
    .await;
}

/// Tells a client why it is turned away (an error reply), then closes.
pub async fn refuse(stream: Stream, reply: Reply) {
    let (read, write) = stream.split();
    let mut writer = FrameWriter::new(Traced::new(write, None, 0), seam_core::Framing::default());
    if writer.send(&reply).await.is_ok() {
        close_after_error(read, writer).await;
    }
}
