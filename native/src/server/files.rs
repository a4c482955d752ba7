//! The file requests: upload (put, put_data, put_end), download (get), list and delete.

use seam_core::messages::{ErrorCode, Reply, Request};
use std::sync::Arc;
use std::time::Duration;

use tracing::{info, warn};

use super::conn::{within, write_within, Conn};
use super::failure::{Failure, Refusal};
use super::shared::Shared;
use super::storage::StorageError;
use super::store::{Block, Incoming, StoreFailure};

/// How long a transfer waits on the network before it writes out what it holds and lets go
/// of its buffers.
const STALL: Duration = Duration::from_millis(250);

/// Most bytes of a download handed to the socket at once, and all a download holds while
/// its client does not read.
const SEND_STEP: usize = 32 * 1024;

/// The stable error code and message for a storage failure.
pub fn refusal(error: StorageError) -> Refusal {
    let code = match &error {
        StorageError::BadName(_) | StorageError::NotRegular(_) => ErrorCode::BadName,
        StorageError::NotFound(_) | StorageError::NoPartial(_) => ErrorCode::NotFound,
        StorageError::Exists(_) => ErrorCode::Exists,
        StorageError::Io(e) if e.kind() == std::io::ErrorKind::StorageFull => ErrorCode::NoSpace,
        StorageError::Io(_) => ErrorCode::Internal,
        StorageError::Unavailable(_) => ErrorCode::StoreUnavailable,
    };
    Refusal::new(code, error.to_string())
}

/// The refusal for a file that could not be written (or read): `no_space` when the disk is
/// full. It closes the connection, since the client may still be sending the body.
fn file_failure(error: &std::io::Error) -> Refusal {
    if let Some(failure) = StoreFailure::of(error) {
        Refusal::fatal(ErrorCode::StoreUnavailable, failure.to_string())
    } else if error.kind() == std::io::ErrorKind::StorageFull {
        Refusal::fatal(
            ErrorCode::NoSpace,
            format!("the server's disk is full ({error}): the upload was not kept"),
        )
    } else {
        Refusal::fatal(
            ErrorCode::Internal,
            format!("the server could not write the file: {error}"),
        )
    }
}

/// Marks a name as being uploaded for as long as the guard lives.
pub struct UploadLock {
    shared: Arc<Shared>,
    name: String,
}

impl UploadLock {
    /// Takes the name, or refuses when another connection is uploading it.
    pub fn take(shared: &Arc<Shared>, name: &str) -> Result<UploadLock, Refusal> {
        let mut names = shared.uploading.lock().unwrap_or_else(|e| e.into_inner());
        if !names.insert(name.to_string()) {
            return Err(Refusal::new(
                ErrorCode::InUse,
                format!("\"{name}\" is being uploaded by another connection"),
            ));
        }
        Ok(UploadLock {
            shared: shared.clone(),
            name: name.to_string(),
        })
    }
}

impl Drop for UploadLock {
    fn drop(&mut self) {
        let mut names = self
            .shared
            .uploading
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        names.remove(&self.name);
    }
}

/// `put`: answers `ready` with the offset to send from, receives `put_data` and its body
/// into the hidden partial file while hashing it, then checks `put_end`'s MD5 before the
/// file appears under its name.
pub async fn receive_upload(
    conn: &mut Conn,
    name: &str,
    total: u64,
    resume: bool,
    force: bool,
) -> Result<(), Failure> {
    if total > conn.shared.max_upload {
        return Err(Refusal::new(
            ErrorCode::TooLarge,
            format!(
                "{total} bytes is over this server's upload limit of {} bytes",
                conn.shared.max_upload
            ),
        )
        .into());
    }
    let store = conn.shared.store.clone();
    store.check_writable(name, force).await.map_err(refusal)?;
    let _lock = UploadLock::take(&conn.shared, name)?;
    let mut incoming = store
        .begin_upload(name, resume, total)
        .await
        .map_err(refusal)?;
    let offset = incoming.len();
    if let Err(refusal) = check_partial_quota(&conn.shared, name, total - offset).await {
        if offset == 0 {
            incoming.discard().await;
        }
        return Err(refusal.into());
    }
    conn.reply(&Reply::Ready {
        name: name.to_string(),
        offset,
    })
    .await?;

    // The body: one put_data frame with the bytes from `offset` to `total`.
    let Some(head) = conn.next_header().await? else {
        return Ok(());
    };
    let size = match Request::from_header(&head.header) {
        Ok(Request::PutData { size }) if size == total - offset => size,
        Ok(Request::PutData { size }) => {
            conn.reader.skip_body().await?;
            return Err(Refusal::new(
                ErrorCode::OffsetMismatch,
                format!(
                    "put_data carries {size} bytes but {} were expected (from {offset} to {total})",
                    total - offset
                ),
            )
            .into());
        }
        _ => {
            conn.reader.skip_body().await?;
            return Err(Refusal::new(
                ErrorCode::BadRequest,
                "a put answered with ready must go on with put_data",
            )
            .into());
        }
    };
    match receive_body(conn, &mut incoming).await {
        Ok(()) => {}
        Err(Failure::Refused(refusal)) if refusal.code == ErrorCode::NoSpace => {
            // Resuming could only fill the disk again: the bytes go, and so does their space.
            incoming.discard().await;
            return Err(refusal.into());
        }
        Err(failure) => return Err(failure),
    }
    debug_assert_eq!(incoming.len(), offset + size);

    let Some(head) = conn.next_header().await? else {
        return Ok(());
    };
    let md5 = match Request::from_header(&head.header) {
        Ok(Request::PutEnd { md5 }) => md5,
        _ => {
            conn.reader.skip_body().await?;
            return Err(Refusal::new(
                ErrorCode::BadRequest,
                "put_data must be followed by put_end with the file's MD5",
            )
            .into());
        }
    };
    let actual = incoming.md5_hex();
    if !md5.eq_ignore_ascii_case(&actual) {
        incoming.discard().await;
        return Err(Refusal::new(
            ErrorCode::Md5Mismatch,
            format!("the MD5 of the received bytes is {actual}, not {md5}: nothing was stored"),
        )
        .into());
    }
    incoming.commit(name).await.map_err(refusal)?;
    info!(conn = conn.id, name, total, resumed_from = offset, md5 = %actual, "stored");
    conn.reply(&Reply::Stored {
        name: name.to_string(),
        total,
        md5: actual,
    })
    .await
}

/// Refuses an upload that would take the bytes held by partial files over the server's
/// quota (`--max-partial-bytes`); `adding` is what this upload still has to send.
async fn check_partial_quota(shared: &Arc<Shared>, name: &str, adding: u64) -> Result<(), Refusal> {
    let held = shared
        .store
        .partial_bytes_besides(name)
        .await
        .map_err(refusal)?;
    let quota = shared.max_partial_bytes;
    if held.saturating_add(adding) > quota {
        return Err(Refusal::new(
            ErrorCode::TooLarge,
            format!(
                "unfinished uploads hold {held} bytes; {adding} more would go over this \
                 server's quota of {quota} bytes for them (finish or remove some: seam ls --partial)"
            ),
        ));
    }
    Ok(())
}

/// Writes the body being received into `sink`. Whatever happens, what was received is
/// kept before this returns, so an interrupted upload can resume from it (the folder keeps
/// every byte, the bucket the parts done). While the client sends nothing, the upload holds
/// no thread and, after [`STALL`], no buffer; when the server's grace period after a
/// shutdown signal ends, it stops reading and keeps what it received.
pub async fn receive_body(conn: &mut Conn, sink: &mut Incoming) -> Result<(), Failure> {
    let mut grace_over = conn.shared.grace_over.clone();
    let received = async {
        loop {
            let n = tokio::select! {
                biased;
                Ok(_) = grace_over.wait_for(|over| *over) => {
                    return Err(Refusal::fatal(
                        ErrorCode::Busy,
                        "the server is shutting down: the bytes received are kept; resume the \
                         upload later (--resume)",
                    )
                    .into());
                }
                read = read_or_release(conn, sink) => read?,
            };
            if n == 0 {
                return Ok::<(), Failure>(());
            }
            sink.advance(n).await.map_err(|e| file_failure(&e))?;
        }
    }
    .await;
    let written = match received {
        Ok(()) => sink.finish().await,
        Err(_) => sink.suspend().await,
    };
    if let Err(error) = written {
        warn!(conn = conn.id, %error, "cannot write an upload");
        return Err(file_failure(&error).into());
    }
    match received {
        Err(Failure::Refused(refusal)) if refusal.code == ErrorCode::NoSpace => {
            warn!(conn = conn.id, message = %refusal.message, "cannot write an upload");
            Err(refusal.into())
        }
        Err(failure) => Err(failure),
        Ok(()) => Ok(()),
    }
}

/// Reads body bytes into the sink; when nothing arrives for [`STALL`], first writes out
/// and lets go of what the sink holds, then waits (up to the idle timeout).
async fn read_or_release(conn: &mut Conn, sink: &mut Incoming) -> Result<usize, Failure> {
    if !sink.is_released() {
        let spare = sink.spare().map_err(|e| file_failure(&e))?;
        if let Some(read) = within(STALL, conn.read_body(spare)).await {
            return read;
        }
        sink.release().await.map_err(|e| file_failure(&e))?;
    }
    let spare = sink.spare().map_err(|e| file_failure(&e))?;
    conn.read_body(spare).await
}

/// `get`: announces the size, streams the file from `offset`, then sends the MD5 of the
/// whole file, as recorded when it was stored (see [`super::storage::Root::stored_md5`]):
/// nothing is hashed per request, also when resuming at an offset. While the client reads
/// nothing, the download holds no thread and no block (and no connection to a bucket):
/// only the connection's write buffer.
pub async fn send_download(conn: &mut Conn, name: &str, offset: u64) -> Result<(), Failure> {
    let download = conn
        .shared
        .store
        .open_download(name)
        .await
        .map_err(refusal)?;
    let total = download.total;
    if offset > total {
        return Err(Refusal::new(
            ErrorCode::OffsetMismatch,
            format!("cannot resume at byte {offset}: \"{name}\" has only {total} bytes"),
        )
        .into());
    }
    let md5 = download.md5.clone();
    let size = total - offset;
    // Every write is bounded by the idle timeout: a client that stops reading is dropped.
    let idle = conn.shared.idle_timeout;
    let head = Reply::File {
        name: name.to_string(),
        size,
        offset,
        total,
    };
    write_within(idle, conn.writer.send_head(&head)).await?;
    let mut source = download.read_from(offset);
    // The block being sent and how far into it; `sent` is the file offset of the next byte.
    let mut block: Option<(Block, usize)> = None;
    let mut sent = offset;
    while sent < total {
        if block.is_none() {
            match source.next().await {
                Some(read) => block = Some((read?, 0)),
                None => return Err(std::io::Error::other("the file ended early").into()),
            }
        }
        let Some((bytes, at)) = block.as_mut() else {
            continue;
        };
        let end = bytes.len().min(*at + SEND_STEP);
        // Each piece goes to the socket before the next one is taken, so that the writer
        // never holds more than one piece.
        write_within(idle, conn.writer.write_body(&bytes[*at..end])).await?;
        sent += (end - *at) as u64;
        *at = end;
        if end == bytes.len() {
            if let Some((bytes, _)) = block.take() {
                source.recycle(bytes);
            }
        }
        if within(STALL, conn.writer.flush())
            .await
            .transpose()?
            .is_none()
        {
            // The client is not reading: let go of the blocks, wait (holding only the piece
            // in the writer) until it reads again, then read the file from `sent` on.
            block = None;
            source.pause_at(sent);
            write_within(idle, conn.writer.flush()).await?;
            source.resume();
        }
    }
    let end = Reply::FileEnd { md5: md5.clone() };
    write_within(idle, async {
        conn.writer.send(&end).await?;
        conn.writer.flush().await
    })
    .await?;
    info!(conn = conn.id, name, size, offset, %md5, "sent");
    Ok(())
}

/// `list`: the files in the root.
pub async fn list(conn: &mut Conn) -> Result<(), Failure> {
    let files = conn.shared.store.list().await.map_err(refusal)?;
    conn.reply(&Reply::Listing { files }).await
}

/// `list_partial`: the unfinished uploads.
pub async fn list_partial(conn: &mut Conn) -> Result<(), Failure> {
    let files = conn.shared.store.list_partials().await.map_err(refusal)?;
    conn.reply(&Reply::Listing { files }).await
}

/// `delete_partial`: removes the partial file of an unfinished upload (not one under way).
pub async fn delete_partial(conn: &mut Conn, name: &str) -> Result<(), Failure> {
    let _lock = UploadLock::take(&conn.shared, name)?;
    conn.shared
        .store
        .delete_partial(name)
        .await
        .map_err(refusal)?;
    info!(conn = conn.id, name, "deleted a partial upload");
    conn.reply(&Reply::Deleted {
        name: name.to_string(),
    })
    .await
}

/// Removes partial files not written to for `ttl`, every `ttl / 4` (at most every ten
/// minutes, at least every second), skipping uploads under way.
pub async fn sweep_partials_every(shared: Arc<Shared>, ttl: Duration) {
    let period = (ttl / 4).clamp(Duration::from_secs(1), Duration::from_secs(600));
    let mut ticks = tokio::time::interval(period);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        sweep_partials(&shared, ttl).await;
    }
}

/// Removes partial files not written to for `ttl`, once, and logs what went.
pub async fn sweep_partials(shared: &Arc<Shared>, ttl: Duration) {
    let busy = shared
        .uploading
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clone();
    match shared.store.sweep_partials(ttl, busy).await {
        Ok((0, _)) => {}
        Ok((files, bytes)) => info!(files, bytes, "removed partial files past --partial-ttl"),
        Err(error) => warn!(%error, "cannot sweep partial files"),
    }
}

/// `delete`: removes a file.
pub async fn delete(conn: &mut Conn, name: &str) -> Result<(), Failure> {
    conn.shared.store.delete(name).await.map_err(refusal)?;
    info!(conn = conn.id, name, "deleted");
    conn.reply(&Reply::Deleted {
        name: name.to_string(),
    })
    .await
}
