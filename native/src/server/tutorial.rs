//! Uploads from the tutorials' own Python clients: a header such as
//! `{"cmd": "put", "filename": ..., "filesize": ...}` or `{"filename": ..., "size": ...}`,
//! then the raw file bytes, several files in a row, without waiting for any reply.

use seam_core::Header;
use serde_json::Value;
use tracing::info;

use super::connection::{Conn, Failure, Refusal};
use super::files::{receive_body, refusal, UploadLock};
use crate::transfer::FileSink;
use crate::wire::Head;
use seam_core::messages::ErrorCode;

/// Whether a header is a tutorial-style upload: no `op`, a `filename`, and an optional
/// `cmd` or `action` that says `put`.
pub fn is_tutorial_upload(header: &Header) -> bool {
    if header.contains_key("op") || !header.contains_key("filename") {
        return false;
    }
    ["cmd", "action"].iter().all(|key| match header.get(*key) {
        None => true,
        Some(Value::String(verb)) => verb == "put" || verb == "upload",
        Some(_) => false,
    })
}

/// Receives one tutorial upload. Such clients read no replies, so success is silent (only
/// logged) and the file appears once all its bytes have arrived; a refusal is still sent
/// as an error frame, and the connection goes on with the next upload.
pub async fn receive_upload(conn: &mut Conn, head: Head) -> Result<(), Failure> {
    let body_len = head.body_len;
    let name = match head.header.get("filename") {
        Some(Value::String(name)) => name.clone(),
        _ => {
            conn.reader.skip_body().await?;
            return Err(
                Refusal::new(ErrorCode::BadRequest, "\"filename\" must be a string").into(),
            );
        }
    };
    let root = conn.shared.root.clone();
    let checked = if body_len > conn.shared.max_upload {
        Err(Refusal::new(
            ErrorCode::TooLarge,
            format!(
                "{body_len} bytes is over this server's upload limit of {} bytes",
                conn.shared.max_upload
            ),
        ))
    } else {
        root.check_writable(&name, false).map_err(refusal)
    };
    if let Err(refused) = checked {
        conn.reader.skip_body().await?;
        return Err(refused.into());
    }
    let lock = match UploadLock::take(&conn.shared, &name) {
        Ok(lock) => lock,
        Err(refused) => {
            conn.reader.skip_body().await?;
            return Err(refused.into());
        }
    };
    let partial = root.open_partial(&name, false).map_err(refusal)?;
    let sink = FileSink::start(partial.file.try_clone()?, partial.digest.clone());
    let mut partial = partial;
    partial.digest = receive_body(conn, sink).await?;
    let md5 = partial.digest.clone().finish_hex();
    let (root2, name2) = (root.clone(), name.clone());
    tokio::task::spawn_blocking(move || root2.commit_upload(partial, &name2))
        .await
        .map_err(std::io::Error::other)?
        .map_err(refusal)?;
    drop(lock);
    info!(conn = conn.id, name, size = body_len, %md5, "stored a tutorial-style upload");
    Ok(())
}
