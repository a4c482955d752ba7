//! `--trace FILE`: a socket wrapper that records every chunk exactly as a read returned it
//! or a write took it, in the trace format of `seam_core::trace_line`.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Instant;

use seam_core::{trace_line, Direction};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// A trace file shared by every traced connection of a process.
#[derive(Clone)]
pub struct TraceSink {
    file: Arc<Mutex<BufWriter<File>>>,
    started: Instant,
}

impl TraceSink {
    /// Creates (or truncates) the trace file.
    pub fn create(path: &Path) -> std::io::Result<TraceSink> {
        let file = File::create(path)?;
        Ok(TraceSink {
            file: Arc::new(Mutex::new(BufWriter::new(file))),
            started: Instant::now(),
        })
    }

    fn record(&self, conn: u64, dir: Direction, offset: u64, bytes: &[u8]) {
        let line = trace_line(
            conn,
            dir,
            self.started.elapsed().as_secs_f64(),
            offset,
            bytes,
        );
        if let Ok(mut file) = self.file.lock() {
            // A trace is a debugging aid: a full disk must not break the transfer itself.
            let _ = file.write_all(line.as_bytes()).and_then(|()| file.flush());
        }
    }
}

/// A stream whose reads and writes are recorded to a [`TraceSink`] (or not, without one).
pub struct Traced<S> {
    inner: S,
    sink: Option<TraceSink>,
    conn: u64,
    read_offset: u64,
    write_offset: u64,
}

impl<S> Traced<S> {
    /// Wraps `inner`; with `sink` set, its chunks are recorded as connection `conn`.
    pub fn new(inner: S, sink: Option<TraceSink>, conn: u64) -> Self {
        Traced {
            inner,
            sink,
            conn,
            read_offset: 0,
            write_offset: 0,
        }
    }
}

impl<S> Traced<S> {
    /// The wrapped stream, borrowed.
    pub fn get_ref(&self) -> &S {
        &self.inner
    }

    /// The wrapped stream.
    pub fn into_inner(self) -> S {
        self.inner
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Traced<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let poll = Pin::new(&mut this.inner).poll_read(cx, buf);
        if let (Poll::Ready(Ok(())), Some(sink)) = (&poll, &this.sink) {
            let chunk = &buf.filled()[before..];
            if !chunk.is_empty() {
                sink.record(this.conn, Direction::In, this.read_offset, chunk);
            }
        }
        this.read_offset += (buf.filled().len() - before) as u64;
        poll
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Traced<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let this = self.get_mut();
        let poll = Pin::new(&mut this.inner).poll_write(cx, buf);
        if let Poll::Ready(Ok(n)) = poll {
            if let Some(sink) = &this.sink {
                if n > 0 {
                    sink.record(this.conn, Direction::Out, this.write_offset, &buf[..n]);
                }
            }
            this.write_offset += n as u64;
        }
        poll
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}
