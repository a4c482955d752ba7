//! One client connection: authentication, then requests one after another until the
//! client closes, goes idle, breaks the framing or the server shuts down.

use std::net::SocketAddr;
use std::pin::pin;
use std::sync::Arc;
use std::time::Duration;

use seam_core::messages::{ErrorCode, Reply, Request};
use seam_core::names::normalize_name;
use seam_core::Framing;
use tokio::net::TcpStream;
use tracing::{debug, info, warn};

use super::conn::{
    close_after_error_within, idle_timeout, within, write_body_within, write_within, Conn,
    CLOSE_LINGER,
};
use super::failure::{Failure, Refusal};
use super::shared::Shared;
use super::{chat, exec, files, tutorial};
use crate::tls::Stream;
use crate::traced::Traced;
use crate::wire::{FrameReader, FrameWriter, Head};

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
