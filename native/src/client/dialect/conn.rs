//! A TCP connection in a tutorial dialect: the request's bytes written as given, replies
//! read through seam-core's `ReplyReader`, every wait bounded.

use std::io;
use std::path::Path;
use std::time::Duration;

use seam_core::dialect::client::{ReplyError, ReplyEvent, ReplyReader, QUIET_PAUSE_MS};
use seam_core::Cut;
use thiserror::Error;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::client::error::ClientError;
use crate::traced::{TraceSink, Traced};

/// Why an exchange in a dialect failed, in words a tutorial's reader knows.
#[derive(Debug, Error)]
pub enum ConnError {
    /// Nothing could be reached at the address.
    #[error("cannot connect to {addr}: {source}")]
    Connect {
        /// The address.
        addr: String,
        /// Why.
        source: io::Error,
    },
    /// The connection was not made in time.
    #[error("cannot connect to {addr}: no answer within {secs} s")]
    ConnectTimeout {
        /// The address.
        addr: String,
        /// How long we waited.
        secs: f64,
    },
    /// The trace file could not be created.
    #[error("{}: {source}", path.display())]
    Trace {
        /// The trace file.
        path: std::path::PathBuf,
        /// Why.
        source: io::Error,
    },
    /// The server said nothing in time.
    #[error("no reply within {secs} s{}", after(*received))]
    NoReply {
        /// How long we waited.
        secs: f64,
        /// Bytes of the reply received before the silence.
        received: u64,
    },
    /// The server reset the connection.
    #[error("the connection was reset{}", after(*received))]
    Reset {
        /// Bytes of the reply received before the reset.
        received: u64,
    },
    /// The server closed the connection before the reply was complete.
    #[error("the server closed the connection without answering")]
    ClosedSilently,
    /// The server closed the connection in the middle of the reply.
    #[error("the server closed the connection in the middle of its reply: {0}")]
    ClosedEarly(ReplyError),
    /// Nothing could be written for a whole timeout: the server stopped reading.
    #[error("the server stopped reading: nothing could be sent for {secs} s")]
    WriteStalled {
        /// How long we waited.
        secs: f64,
    },
    /// The server stopped reading while the request was being sent.
    #[error("the server closed the connection while the request was still being sent")]
    StoppedReading,
    /// The reply broke the dialect's rules.
    #[error("{0}")]
    Reply(ReplyError),
    /// Anything else on the socket.
    #[error("connection lost: {0}")]
    Io(io::Error),
}

fn after(received: u64) -> String {
    match received {
        0 => String::new(),
        n => format!(" (after {n} bytes of the reply)"),
    }
}

impl From<ConnError> for ClientError {
    fn from(error: ConnError) -> ClientError {
        match error {
            ConnError::Connect { addr, source } => ClientError::Connect(addr, source),
            ConnError::ConnectTimeout { addr, .. } => {
                ClientError::Connect(addr, io::Error::from(io::ErrorKind::TimedOut))
            }
            ConnError::Trace { path, source } => ClientError::local(&path, source),
            ConnError::Reply(error) => ClientError::Protocol(error.to_string()),
            ConnError::ClosedSilently => ClientError::Closed,
            ConnError::Io(source) => ClientError::Lost(source),
            other => ClientError::Lost(io::Error::other(other.to_string())),
        }
    }
}

/// Size of the buffer replies are read into.
const READ_BUFFER: usize = 64 * 1024;

/// A connection speaking a dialect.
pub struct DialectConn {
    stream: Traced<TcpStream>,
    buf: Vec<u8>,
    start: usize,
    end: usize,
    timeout: Duration,
    cut: Option<Cut>,
    pause: Duration,
}

impl DialectConn {
    /// Connects to `addr` (only there), recording chunks to `trace` if given; `timeout`
    /// bounds the connection and every wait for a reply.
    pub async fn connect(
        addr: &str,
        trace: Option<&Path>,
        timeout: Duration,
    ) -> Result<DialectConn, ConnError> {
        let stream = match tokio::time::timeout(timeout, TcpStream::connect(addr)).await {
            Ok(Ok(stream)) => stream,
            Ok(Err(source)) => {
                return Err(ConnError::Connect {
                    addr: addr.to_string(),
                    source,
                })
            }
            Err(_) => {
                return Err(ConnError::ConnectTimeout {
                    addr: addr.to_string(),
                    secs: timeout.as_secs_f64(),
                })
            }
        };
        let sink = match trace {
            Some(path) => Some(TraceSink::create(path).map_err(|source| ConnError::Trace {
                path: path.to_path_buf(),
                source,
            })?),
            None => None,
        };
        Ok(DialectConn {
            stream: Traced::new(stream, sink, 0),
            buf: vec![0; READ_BUFFER],
            start: 0,
            end: 0,
            timeout,
            cut: None,
            pause: Duration::ZERO,
        })
    }

    /// Sends every byte at once, without Nagle's delay (each write leaves as it is).
    pub fn set_nodelay(&self, on: bool) {
        let _ = self.stream_ref().set_nodelay(on);
    }

    fn stream_ref(&self) -> &TcpStream {
        self.stream.get_ref()
    }

    /// From now on, cuts every write into the chunks `cut` gives, written one by one with
    /// `pause` after each (`None`: each write whole).
    pub fn set_cut(&mut self, cut: Option<Cut>, pause: Duration) {
        self.cut = cut;
        self.pause = pause;
    }

    /// Writes `bytes`: whole, or in the chunks of the cut set with [`DialectConn::set_cut`].
    pub async fn write(&mut self, bytes: &[u8]) -> Result<(), ConnError> {
        let Some(cut) = &self.cut else {
            return self.write_whole(bytes).await;
        };
        let mut rest = bytes;
        for len in cut.chunk_lengths(&[bytes.len()]) {
            let (chunk, after) = rest.split_at(len);
            rest = after;
            self.write_whole(chunk).await?;
            if !self.pause.is_zero() {
                tokio::time::sleep(self.pause).await;
            }
        }
        Ok(())
    }

    async fn write_whole(&mut self, bytes: &[u8]) -> Result<(), ConnError> {
        let written = async {
            self.stream.write_all(bytes).await?;
            self.stream.flush().await
        };
        match tokio::time::timeout(self.timeout, written).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(error)) => Err(match error.kind() {
                io::ErrorKind::BrokenPipe => ConnError::StoppedReading,
                io::ErrorKind::ConnectionReset => ConnError::Reset { received: 0 },
                _ => ConnError::Io(error),
            }),
            Err(_) => Err(ConnError::WriteStalled {
                secs: self.timeout.as_secs_f64(),
            }),
        }
    }

    /// Reads one reply through `reader`, in reads of at most `piece` bytes. `on_event` sees
    /// every event and may return bytes to send at once (`recv_ready`, the MD5). Bytes after
    /// the reply stay buffered for the next one.
    pub async fn read_reply<F>(
        &mut self,
        reader: &mut ReplyReader,
        piece: usize,
        mut on_event: F,
    ) -> Result<(), ConnError>
    where
        F: FnMut(ReplyEvent<'_>) -> Option<Vec<u8>>,
    {
        let quiet = Duration::from_millis(QUIET_PAUSE_MS);
        loop {
            let mut to_send = None;
            let mut input = &self.buf[self.start..self.end];
            while let Some(event) = reader.poll(&mut input).map_err(ConnError::Reply)? {
                if let Some(bytes) = on_event(event) {
                    to_send = Some(bytes);
                }
            }
            self.start = self.end - input.len();
            if let Some(bytes) = to_send {
                self.write(&bytes).await?;
            }
            if reader.is_done() {
                return Ok(());
            }
            let settling = reader.needs_settle();
            let wait = if settling { quiet } else { self.timeout };
            let want = piece.clamp(1, self.buf.len());
            let read = tokio::time::timeout(wait, self.stream.read(&mut self.buf[..want])).await;
            self.start = 0;
            self.end = 0;
            match read {
                Err(_) if settling => self.settle(reader, &mut on_event).await?,
                Err(_) => {
                    return Err(ConnError::NoReply {
                        secs: self.timeout.as_secs_f64(),
                        received: reader.position(),
                    })
                }
                Ok(Ok(0)) => {
                    self.settle(reader, &mut on_event).await?;
                    let mut empty: &[u8] = &[];
                    while let Some(event) = reader.poll(&mut empty).map_err(ConnError::Reply)? {
                        on_event(event);
                    }
                    return match reader.finish() {
                        Ok(()) => Ok(()),
                        Err(_) if reader.position() == 0 => Err(ConnError::ClosedSilently),
                        Err(error) => Err(ConnError::ClosedEarly(error)),
                    };
                }
                Ok(Ok(n)) => self.end = n,
                Ok(Err(error)) if error.kind() == io::ErrorKind::ConnectionReset => {
                    return Err(ConnError::Reset {
                        received: reader.position(),
                    })
                }
                Ok(Err(error)) => return Err(ConnError::Io(error)),
            }
        }
    }

    async fn settle<F>(
        &mut self,
        reader: &mut ReplyReader,
        on_event: &mut F,
    ) -> Result<(), ConnError>
    where
        F: FnMut(ReplyEvent<'_>) -> Option<Vec<u8>>,
    {
        if let Some(event) = reader.settle().map_err(ConnError::Reply)? {
            if let Some(bytes) = on_event(event) {
                self.write(&bytes).await?;
            }
        }
        Ok(())
    }

    /// Closes the sending side, then waits up to `wait` for the server to close too; bytes it
    /// sends meanwhile are returned (a dialect without replies expects none).
    pub async fn finish_silent(&mut self, wait: Duration) -> Result<Vec<u8>, ConnError> {
        let _ = self.stream.shutdown().await;
        let mut extra = self.buf[self.start..self.end].to_vec();
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            match tokio::time::timeout_at(deadline, self.stream.read(&mut self.buf)).await {
                Err(_) | Ok(Ok(0)) => return Ok(extra),
                Ok(Ok(n)) => extra.extend_from_slice(&self.buf[..n.min(4096)]),
                Ok(Err(error)) if error.kind() == io::ErrorKind::ConnectionReset => {
                    return Err(ConnError::Reset { received: 0 })
                }
                Ok(Err(error)) => return Err(ConnError::Io(error)),
            }
        }
    }
}
