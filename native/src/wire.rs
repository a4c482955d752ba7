//! Frames over an async byte stream. Every byte read goes through `seam_core::Decoder` and
//! every frame written comes from `seam_core::Encoder`; this file only moves bytes.

use std::future::Future;
use std::ops::Range;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use seam_core::{DecodeError, EncodeError, Encoder, Event, Framing, Header, Part};
use serde::Serialize;
use thiserror::Error;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// Size of a reader's buffer inside a large body: the most one socket read returns.
const READ_BUF: usize = 256 * 1024;

/// Size of a reader's buffer between frames and in small bodies. A connection waiting for
/// its next request holds only this much: thousands of idle connections stay cheap.
const IDLE_BUF: usize = 4 * 1024;

/// Why a framed read or write failed.
#[derive(Debug, Error)]
pub enum WireError {
    /// The socket or file failed.
    #[error(transparent)]
    Io(#[from] std::io::Error),
    /// The peer broke the framing rules.
    #[error(transparent)]
    Decode(#[from] DecodeError),
    /// A frame could not be encoded.
    #[error(transparent)]
    Encode(#[from] EncodeError),
}

fn outside_body() -> WireError {
    WireError::Io(std::io::Error::other("a body was read outside a body"))
}

/// A frame's header, as read by [`FrameReader::next_header`].
#[derive(Debug, Clone)]
pub struct Head {
    /// The parsed header.
    pub header: Header,
    /// How many body bytes follow.
    pub body_len: u64,
}

/// What one step of the decoder produced, without borrowing the read buffer.
enum Step {
    Head(Head),
    Piece(Range<usize>),
    End,
}

/// Reads frames from a byte stream: headers, then their body pieces.
pub struct FrameReader<R> {
    inner: R,
    decoder: seam_core::Decoder,
    buf: Vec<u8>,
    start: usize,
    end: usize,
    /// The last read filled the whole buffer: more is probably waiting.
    filled: bool,
}

impl<R: AsyncRead + Unpin> FrameReader<R> {
    /// A reader of `inner` with the given framing.
    pub fn new(inner: R, framing: Framing) -> Self {
        FrameReader {
            inner,
            decoder: seam_core::Decoder::new(framing),
            buf: vec![0; IDLE_BUF],
            start: 0,
            end: 0,
            filled: false,
        }
    }

    /// The stream being read (bytes already buffered are lost).
    pub fn into_inner(self) -> R {
        self.inner
    }

    /// Bytes of the stream consumed so far.
    pub fn position(&self) -> u64 {
        self.decoder.position()
    }

    /// The next frame's header, skipping what is left of the current frame's body; `None`
    /// when the stream ends cleanly between frames.
    pub async fn next_header(&mut self) -> Result<Option<Head>, WireError> {
        loop {
            match self.step().await? {
                None => return Ok(None),
                Some(Step::Head(head)) => return Ok(Some(head)),
                Some(Step::Piece(_) | Step::End) => {}
            }
        }
    }

    /// The next piece of the current frame's body, borrowed from the read buffer; `None`
    /// once the body is complete.
    pub async fn next_body_piece(&mut self) -> Result<Option<&[u8]>, WireError> {
        match self.step().await? {
            Some(Step::Piece(range)) => Ok(Some(&self.buf[range])),
            Some(Step::End) => Ok(None),
            Some(Step::Head(_)) | None => Err(outside_body()),
        }
    }

    /// Reads the next bytes of the current body into `out` — straight from the socket when
    /// nothing is buffered, and never past the body's end, so a large body is copied once —
    /// and returns how many; 0 once the body is complete. The decoder still accounts for
    /// every byte.
    pub async fn read_body(&mut self, out: &mut [u8]) -> Result<usize, WireError> {
        let Some(waiting) = self.decoder.waiting() else {
            // The decoder failed before: poll repeats its error.
            self.decoder.poll(&mut &[][..])?;
            return Err(outside_body());
        };
        if waiting.part != Part::Body {
            return Err(outside_body());
        }
        if waiting.missing == 0 {
            return match self.decoder.poll(&mut &[][..])? {
                Some(Event::MessageEnd { .. }) => Ok(0),
                _ => Err(outside_body()),
            };
        }
        if self.start < self.end {
            let take = out.len().min(self.end - self.start);
            let mut input = &self.buf[self.start..self.start + take];
            let Some(Event::BodyPiece { bytes, .. }) = self.decoder.poll(&mut input)? else {
                return Err(outside_body());
            };
            out[..bytes.len()].copy_from_slice(bytes);
            self.start += bytes.len();
            return Ok(bytes.len());
        }
        let want = (out.len() as u64).min(waiting.missing) as usize;
        let n = self.inner.read(&mut out[..want]).await?;
        if n == 0 {
            self.decoder.finish()?;
        }
        let mut input = &out[..n];
        match self.decoder.poll(&mut input)? {
            Some(Event::BodyPiece { bytes, .. }) => Ok(bytes.len()),
            _ => Err(outside_body()),
        }
    }

    /// Reads more of the stream into the buffer without decoding it, to notice a peer that
    /// goes away while the current request is still being handled: `Some(0)` when the peer
    /// closed its side, `Some(n)` for `n` bytes kept for later, `None` when the buffer is
    /// full (nothing more is read ahead; call it no more).
    pub async fn read_ahead(&mut self) -> Result<Option<usize>, WireError> {
        if self.start > 0 {
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        if self.end == self.buf.len() {
            return Ok(None);
        }
        let n = self.inner.read(&mut self.buf[self.end..]).await?;
        self.end += n;
        Ok(Some(n))
    }

    /// Reads and drops the rest of the current frame's body.
    pub async fn skip_body(&mut self) -> Result<(), WireError> {
        while self.next_body_piece().await?.is_some() {}
        Ok(())
    }

    /// One decoder event that matters to callers (length prefixes are skipped); `None` at a
    /// clean end of stream.
    async fn step(&mut self) -> Result<Option<Step>, WireError> {
        loop {
            let waiting = self.decoder.waiting();
            let needs_bytes = waiting.is_some_and(|w| w.missing > 0);
            if self.start == self.end && needs_bytes {
                // The large buffer while a large body streams in, or while the peer sends
                // faster than reads of the small one take it (many pipelined requests);
                // a small one as soon as the reader has to wait for more.
                let in_large_body =
                    waiting.is_some_and(|w| w.part == Part::Body && w.missing > IDLE_BUF as u64);
                if (in_large_body || self.filled) && self.buf.len() < READ_BUF {
                    self.buf = vec![0; READ_BUF];
                }
                let n = match now_or_never(self.inner.read(&mut self.buf)) {
                    Some(read) => read?,
                    None => {
                        if !in_large_body && self.buf.len() > IDLE_BUF {
                            self.buf = vec![0; IDLE_BUF];
                        }
                        self.inner.read(&mut self.buf).await?
                    }
                };
                self.filled = n == self.buf.len();
                if n == 0 {
                    self.decoder.finish()?;
                    return Ok(None);
                }
                self.start = 0;
                self.end = n;
            }
            let mut input = &self.buf[self.start..self.end];
            let event = self.decoder.poll(&mut input)?;
            let consumed_to = self.end - input.len();
            let step = match event {
                None => None,
                Some(Event::Length { .. }) => None,
                Some(Event::Header {
                    header, body_len, ..
                }) => Some(Step::Head(Head { header, body_len })),
                Some(Event::BodyPiece { bytes, .. }) => {
                    Some(Step::Piece(consumed_to - bytes.len()..consumed_to))
                }
                Some(Event::MessageEnd { .. }) => Some(Step::End),
            };
            self.start = consumed_to;
            if step.is_some() {
                return Ok(step);
            }
        }
    }
}

/// Polls a future once: its output if it is ready without waiting. (Polling it again later,
/// with the task's own waker, is allowed: it then registers that waker.)
pub fn now_or_never<F: Future>(future: F) -> Option<F::Output> {
    let mut future = pin!(future);
    match future
        .as_mut()
        .poll(&mut Context::from_waker(Waker::noop()))
    {
        Poll::Ready(output) => Some(output),
        Poll::Pending => None,
    }
}

/// Most bytes a writer gathers before it writes them to the stream.
const WRITE_BUF: usize = 64 * 1024;

/// Most buffer capacity a writer keeps once it has flushed: a connection between messages
/// holds almost nothing.
const IDLE_WRITE_BUF: usize = 4 * 1024;

/// Writes frames to a byte stream, buffered; call [`FrameWriter::flush`] after a message.
/// (Not tokio's `BufWriter`, which keeps its whole buffer for the connection's life.)
pub struct FrameWriter<W: AsyncWrite> {
    inner: W,
    encoder: Encoder,
    /// Bytes gathered for the stream; those before `written` are written already.
    buf: Vec<u8>,
    written: usize,
}

impl<W: AsyncWrite + Unpin> FrameWriter<W> {
    /// A writer to `inner` with the given framing.
    pub fn new(inner: W, framing: Framing) -> Self {
        FrameWriter {
            inner,
            encoder: Encoder::new(framing),
            buf: Vec::new(),
            written: 0,
        }
    }

    /// Writes a frame's prefix and header and returns the body length it declares; the
    /// caller then writes exactly that many bytes with [`FrameWriter::write_body`].
    pub async fn send_head<T: Serialize + ?Sized>(&mut self, header: &T) -> Result<u64, WireError> {
        self.make_room().await?;
        let mark = self.buf.len();
        match self.encoder.encode_head(header, &mut self.buf) {
            Ok(body_len) => Ok(body_len),
            Err(error) => {
                self.buf.truncate(mark);
                Err(error.into())
            }
        }
    }

    /// Writes a whole frame whose header declares no body.
    pub async fn send<T: Serialize + ?Sized>(&mut self, header: &T) -> Result<(), WireError> {
        self.send_frame(header, &[]).await
    }

    /// Writes a whole frame; `body` must be as long as the header declares.
    pub async fn send_frame<T: Serialize + ?Sized>(
        &mut self,
        header: &T,
        body: &[u8],
    ) -> Result<(), WireError> {
        self.make_room().await?;
        let mark = self.buf.len();
        if let Err(error) = self.encoder.encode_frame(header, body, &mut self.buf) {
            self.buf.truncate(mark);
            return Err(error.into());
        }
        Ok(())
    }

    /// Writes body bytes after a head.
    pub async fn write_body(&mut self, bytes: &[u8]) -> Result<(), WireError> {
        if self.buf.len() + bytes.len() > WRITE_BUF {
            self.write_buffered().await?;
        }
        if bytes.len() >= WRITE_BUF {
            self.inner.write_all(bytes).await?;
        } else {
            if self.buf.capacity() == 0 {
                self.buf.reserve_exact(WRITE_BUF);
            }
            self.buf.extend_from_slice(bytes);
        }
        Ok(())
    }

    /// Writes some of `bytes` and returns how many were taken (at least one). Unlike
    /// [`FrameWriter::write_body`] it is safe to abandon while it waits: then nothing was
    /// taken, so a caller that writes whole frames this way never leaves half of one.
    pub async fn write_some(&mut self, bytes: &[u8]) -> Result<usize, WireError> {
        self.make_room().await?;
        let take = bytes.len().min(WRITE_BUF - self.buf.len());
        self.buf.extend_from_slice(&bytes[..take]);
        Ok(take)
    }

    /// Sends everything buffered (safe to abandon: what is left is sent next time), then
    /// gives back a large buffer.
    pub async fn flush(&mut self) -> Result<(), WireError> {
        self.write_buffered().await?;
        self.inner.flush().await?;
        if self.buf.capacity() > IDLE_WRITE_BUF {
            self.buf = Vec::new();
        }
        Ok(())
    }

    /// Flushes and shuts the writing side down (the peer reads end of stream).
    pub async fn shutdown(&mut self) -> Result<(), WireError> {
        self.flush().await?;
        self.inner.shutdown().await?;
        Ok(())
    }

    /// Writes the buffer out when it is full; gives an empty one its whole size at once
    /// (rather than growing it by copies).
    async fn make_room(&mut self) -> Result<(), WireError> {
        if self.buf.len() >= WRITE_BUF {
            self.write_buffered().await?;
        }
        if self.buf.capacity() == 0 {
            self.buf.reserve_exact(WRITE_BUF);
        }
        Ok(())
    }

    /// Writes out what is buffered. Each step records its progress, so abandoning it loses
    /// nothing.
    async fn write_buffered(&mut self) -> Result<(), WireError> {
        while self.written < self.buf.len() {
            let n = self.inner.write(&self.buf[self.written..]).await?;
            if n == 0 {
                return Err(WireError::Io(std::io::ErrorKind::WriteZero.into()));
            }
            self.written += n;
        }
        self.buf.clear();
        self.written = 0;
        Ok(())
    }
}
