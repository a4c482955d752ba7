//! One client connection: authentication, then requests one after another until the
//! client closes, goes idle, breaks the framing or the server shuts down.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::pin;
use std::sync::Arc;
use std::time::Duration;

use seam_core::messages::{ErrorCode, Reply, Request};
use seam_core::names::normalize_name;
use seam_core::{DecodeError, Framing};
use tokio::io::AsyncReadExt;
use tokio::net::TcpStream;
use tracing::{debug, info, warn};

use super::{chat, exec, files, tutorial, Shared};
use crate::tls::{ReadHalf, Stream, WriteHalf};
use crate::traced::Traced;
use crate::wire::{FrameReader, FrameWriter, Head, WireError};

/// The reading side of a connection.
pub type Reader = FrameReader<Traced<ReadHalf>>;
/// The writing side of a connection.
pub type Writer = FrameWriter<Traced<WriteHalf>>;

/// How long a closing connection waits for the client to finish sending.
const CLOSE_LINGER: Duration = Duration::from_secs(2);

/// Most body bytes written under one idle timeout: a client that reads less than this in
/// that time counts as gone.
const WRITE_STEP: usize = 64 * 1024;

/// A request that failed in a way the client should hear about.
#[derive(Debug)]
pub struct Refusal {
    /// The stable code.
    pub code: ErrorCode,
    /// The sentence for people.
    pub message: String,
    /// Whether the connection can go on (the framing is intact).
    pub fatal: bool,
}

impl Refusal {
    /// A refusal after which the connection goes on.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Refusal {
        Refusal {
            code,
            message: message.into(),
            fatal: false,
        }
    }

    /// A refusal that closes the connection.
    pub fn fatal(code: ErrorCode, message: impl Into<String>) -> Refusal {
        Refusal {
            fatal: true,
            ..Refusal::new(code, message)
        }
    }
}

/// Why handling a request stopped.
#[derive(Debug)]
pub enum Failure {
    /// Tell the client, then go on or close.
    Refused(Refusal),
    /// The connection itself broke: nothing can be said any more.
    Broken(WireError),
}

impl From<Refusal> for Failure {
    fn from(refusal: Refusal) -> Failure {
        Failure::Refused(refusal)
    }
}

impl From<WireError> for Failure {
    fn from(error: WireError) -> Failure {
        match error {
            WireError::Decode(error) => Failure::Refused(bad_frame(&error)),
            other => Failure::Broken(other),
        }
    }
}

impl From<std::io::Error> for Failure {
    fn from(error: std::io::Error) -> Failure {
        Failure::Broken(WireError::Io(error))
    }
}

fn bad_frame(error: &DecodeError) -> Refusal {
    Refusal::fatal(ErrorCode::BadFrame, error.to_string())
}

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

pub use crate::wire::now_or_never;

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

fn idle_timeout(idle: Duration) -> Refusal {
    Refusal::fatal(
        ErrorCode::IdleTimeout,
        format!("no data for {} s; closing the connection", idle.as_secs()),
    )
}

/// Serves one connection to its end.
pub async fn serve(stream: Stream, peer: SocketAddr, id: u64, shared: Arc<Shared>) {
    keep_alive(stream.tcp());
    let (read, write) = stream.split();
    let framing = Framing::default();
    let mut conn = Conn {
        reader: FrameReader::new(Traced::new(read, shared.trace.clone(), id), framing.clone()),
        writer: FrameWriter::new(Traced::new(write, shared.trace.clone(), id), framing),
        shared,
        id,
        pending: None,
    };
    info!(conn = id, %peer, "connected");
    let outcome = serve_requests(&mut conn).await;
    let bytes_in = conn.reader.position();
    match outcome {
        Ok(()) => {
            info!(conn = id, bytes_in, "closed by the client");
            // Over TLS this sends close_notify: the client sees a clean end.
            let _ = tokio::time::timeout(CLOSE_LINGER, conn.writer.shutdown()).await;
        }
        Err(Failure::Broken(error)) => warn!(conn = id, bytes_in, %error, "connection broke"),
        Err(Failure::Refused(refusal)) => {
            warn!(conn = id, bytes_in, code = ?refusal.code, message = %refusal.message, "closing after an error");
            let reply = Reply::error(refusal.code, refusal.message);
            let Conn {
                reader, mut writer, ..
            } = conn;
            // What is buffered for the client (whole frames) goes out before the error, for
            // as long as any write may take: a client that reads slowly, such as a chat
            // member that fell behind, still gets every frame whole and then the reason.
            let idle = conn.shared.idle_timeout;
            let sent = tokio::time::timeout(idle, writer.send(&reply)).await;
            if matches!(sent, Ok(Ok(()))) {
                let read = reader.into_inner().into_inner();
                close_after_error_within(read, writer, idle).await;
            }
        }
    }
}

/// Turns TCP keepalive on: a peer whose machine vanished (no FIN, no RST) is found within
/// about two minutes even on a connection exempt from the idle timeout, such as a chat
/// member's.
fn keep_alive(stream: &TcpStream) {
    let probes = socket2::TcpKeepalive::new()
        .with_time(Duration::from_secs(60))
        .with_interval(Duration::from_secs(10))
        .with_retries(6);
    if let Err(error) = socket2::SockRef::from(stream).set_tcp_keepalive(&probes) {
        debug!(%error, "cannot turn TCP keepalive on");
    }
}

/// Flushes and closes the writing side after a final error frame, then reads and drops what
/// the client still sends for a moment, so that its kernel does not answer our close with a
/// reset that could destroy the error frame before the client reads it.
pub async fn close_after_error(read: ReadHalf, writer: Writer) {
    close_after_error_within(read, writer, CLOSE_LINGER).await;
}

/// [`close_after_error`], giving the client up to `flush_limit` to take what is buffered.
async fn close_after_error_within(mut read: ReadHalf, mut writer: Writer, flush_limit: Duration) {
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

async fn serve_requests(conn: &mut Conn) -> Result<(), Failure> {
    let mut shutdown = conn.shared.shutdown.clone();
    // One waiter for the whole connection, not one per request.
    let mut stopping = pin!(async move {
        let _ = shutdown.wait_for(|stop| *stop).await;
    });
    let mut authenticated = conn.shared.token.is_none();
    loop {
        let head = tokio::select! {
            biased;
            () = &mut stopping => {
                return Err(Refusal::fatal(ErrorCode::Busy, "the server is shutting down").into());
            }
            head = conn.next_header() => head?,
        };
        let Some(head) = head else {
            return Ok(());
        };
        if !authenticated {
            authenticate(conn, &head).await?;
            authenticated = true;
            continue;
        }
        match handle(conn, head).await {
            Ok(()) => {}
            Err(Failure::Refused(refusal)) if !refusal.fatal => {
                debug!(conn = conn.id, code = ?refusal.code, message = %refusal.message, "request refused");
                conn.reply(&Reply::error(refusal.code, refusal.message))
                    .await?;
            }
            Err(failure) => return Err(failure),
        }
    }
}

/// The first frame must be a `hello` with the right token.
async fn authenticate(conn: &mut Conn, head: &Head) -> Result<(), Failure> {
    let expected = conn.shared.token.as_deref().unwrap_or_default();
    match Request::from_header(&head.header) {
        Ok(Request::Hello {
            token: Some(token),
            client,
        }) if constant_time_eq(token.as_bytes(), expected.as_bytes()) => {
            info!(conn = conn.id, %client, "authenticated");
            conn.reply(&welcome()).await
        }
        Ok(Request::Hello { token: Some(_), .. }) => {
            Err(Refusal::fatal(ErrorCode::Unauthorized, "wrong token").into())
        }
        _ => Err(Refusal::fatal(
            ErrorCode::Unauthorized,
            "this server needs a token: send a hello with it first (seam --token, or SEAM_TOKEN)",
        )
        .into()),
    }
}

fn welcome() -> Reply {
    Reply::Welcome {
        server: format!("seam {}", env!("CARGO_PKG_VERSION")),
    }
}

/// Compares two secrets in time that depends only on their lengths.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let diff = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    std::hint::black_box(diff) == 0
}

/// Handles one request, whose header has just been read.
async fn handle(conn: &mut Conn, head: Head) -> Result<(), Failure> {
    if tutorial::is_tutorial_upload(&head.header) {
        return tutorial::receive_upload(conn, head).await;
    }
    let request = match Request::from_header(&head.header) {
        Ok(request) => request,
        Err(error) => {
            conn.reader.skip_body().await?;
            return Err(Refusal::new(ErrorCode::from(&error), error.to_string()).into());
        }
    };
    debug!(conn = conn.id, ?request, "request");
    // One name, one file: names are looked up in their composed (NFC) form.
    let request = match request {
        Request::Put {
            name,
            total,
            resume,
            force,
        } => Request::Put {
            name: normalize_name(&name).into_owned(),
            total,
            resume,
            force,
        },
        Request::Get { name, offset } => Request::Get {
            name: normalize_name(&name).into_owned(),
            offset,
        },
        Request::Delete { name } => Request::Delete {
            name: normalize_name(&name).into_owned(),
        },
        other => other,
    };
    match request {
        Request::Hello { .. } => conn.reply(&welcome()).await,
        Request::Put {
            name,
            total,
            resume,
            force,
        } => files::receive_upload(conn, &name, total, resume, force).await,
        Request::Get { name, offset } => files::send_download(conn, &name, offset).await,
        Request::List => files::list(conn).await,
        Request::Delete { name } => files::delete(conn, &name).await,
        Request::ListPartial => files::list_partial(conn).await,
        Request::DeletePartial { name } => files::delete_partial(conn, &name).await,
        Request::Echo { size } => echo(conn, size).await,
        Request::PutData { .. } | Request::PutEnd { .. } => {
            conn.reader.skip_body().await?;
            Err(Refusal::new(
                ErrorCode::BadRequest,
                "put_data and put_end only follow a put that the server answered with ready",
            )
            .into())
        }
        Request::Exec { argv } => exec::run(conn, argv).await,
        Request::ChatJoin { name } => chat::run(conn, name).await,
        Request::Chat { .. } => Err(Refusal::new(
            ErrorCode::BadRequest,
            "join the chat first: send chat_join with your name",
        )
        .into()),
    }
}

/// Sends the request's body straight back, piece by piece.
async fn echo(conn: &mut Conn, size: u64) -> Result<(), Failure> {
    let idle = conn.shared.idle_timeout;
    write_within(idle, conn.writer.send_head(&Reply::Echo { size })).await?;
    while let Some(piece) = {
        match within(idle, conn.reader.next_body_piece()).await {
            Some(piece) => piece?,
            None => return Err(idle_timeout(idle).into()),
        }
    } {
        write_body_within(&mut conn.writer, idle, piece).await?;
    }
    write_within(idle, conn.writer.flush()).await
}
