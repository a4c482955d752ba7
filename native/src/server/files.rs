//! The file requests: upload (put, put_data, put_end), download (get), list and delete.

use seam_core::messages::{ErrorCode, Reply, Request};
use std::sync::Arc;

use tracing::info;

use super::connection::{write_body_within, write_within, Conn, Failure, Refusal};
use super::storage::StorageError;
use super::Shared;
use crate::transfer::{FileSink, FileSource};

/// The stable error code and message for a storage failure.
pub fn refusal(error: StorageError) -> Refusal {
    let code = match &error {
        StorageError::BadName(_) | StorageError::NotRegular(_) => ErrorCode::BadName,
        StorageError::NotFound(_) => ErrorCode::NotFound,
        StorageError::Exists(_) => ErrorCode::Exists,
        StorageError::Io(_) => ErrorCode::Internal,
    };
    Refusal::new(code, error.to_string())
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
    let root = conn.shared.root.clone();
    root.check_writable(name, force).map_err(refusal)?;
    let _lock = UploadLock::take(&conn.shared, name)?;
    let mut partial = {
        let root = root.clone();
        let name = name.to_string();
        tokio::task::spawn_blocking(move || root.open_partial(&name, resume))
            .await
            .map_err(std::io::Error::other)?
            .map_err(refusal)?
    };
    if partial.len() > total {
        // What is held is longer than the new file: it belongs to another upload.
        partial.discard();
        partial = root.open_partial(name, false).map_err(refusal)?;
    }
    let offset = partial.len();
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
    let sink = FileSink::start(partial.file.try_clone()?, partial.digest.clone());
    partial.digest = receive_body(conn, sink).await?;
    debug_assert_eq!(partial.len(), offset + size);

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
    let actual = partial.digest.clone().finish_hex();
    if !md5.eq_ignore_ascii_case(&actual) {
        partial.discard();
        return Err(Refusal::new(
            ErrorCode::Md5Mismatch,
            format!("the MD5 of the received bytes is {actual}, not {md5}: nothing was stored"),
        )
        .into());
    }
    let (root2, name2) = (root.clone(), name.to_string());
    tokio::task::spawn_blocking(move || root2.commit_upload(partial, &name2))
        .await
        .map_err(std::io::Error::other)?
        .map_err(refusal)?;
    info!(conn = conn.id, name, total, resumed_from = offset, md5 = %actual, "stored");
    conn.reply(&Reply::Stored {
        name: name.to_string(),
        total,
        md5: actual,
    })
    .await
}

/// Writes the body being received through `sink`. Whatever happens, every byte received
/// is written before this returns, so an interrupted upload can resume from all of them.
pub async fn receive_body(
    conn: &mut Conn,
    mut sink: FileSink,
) -> Result<seam_core::BodyDigest, Failure> {
    let received = async {
        loop {
            let n = conn.read_body(sink.spare()).await?;
            if n == 0 {
                return Ok::<(), Failure>(());
            }
            sink.advance(n).await?;
        }
    }
    .await;
    let written = sink.finish().await;
    received?;
    let (_file, digest) = written?;
    Ok(digest)
}

/// `get`: announces the size, streams the file from `offset` while hashing it, then sends
/// the MD5 of the whole file.
pub async fn send_download(conn: &mut Conn, name: &str, offset: u64) -> Result<(), Failure> {
    let root = conn.shared.root.clone();
    let (mut file, total) = root.open_file(name).map_err(refusal)?;
    if offset > total {
        return Err(Refusal::new(
            ErrorCode::OffsetMismatch,
            format!("cannot resume at byte {offset}: \"{name}\" has only {total} bytes"),
        )
        .into());
    }
    let digest = tokio::task::spawn_blocking(move || {
        let mut digest = seam_core::BodyDigest::new();
        crate::transfer::hash_prefix(&mut file, offset, &mut digest).map(|()| (file, digest))
    })
    .await
    .map_err(std::io::Error::other)??;
    let (file, digest) = digest;
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
    let mut source = FileSource::start(file, size, digest);
    while let Some(block) = source.next().await {
        let block = block?;
        write_body_within(&mut conn.writer, idle, &block).await?;
        source.recycle(block);
    }
    let md5 = source.finish().await?.finish_hex();
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
    let files = conn.shared.root.list().map_err(refusal)?;
    conn.reply(&Reply::Listing { files }).await
}

/// `delete`: removes a file.
pub async fn delete(conn: &mut Conn, name: &str) -> Result<(), Failure> {
    conn.shared.root.delete(name).map_err(refusal)?;
    info!(conn = conn.id, name, "deleted");
    conn.reply(&Reply::Deleted {
        name: name.to_string(),
    })
    .await
}
