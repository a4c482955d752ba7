//! Uploads from the tutorials' own Python clients on Seam's main listener: a header such
//! as `{"cmd": "put", "filename": ..., "filesize": ...}` or `{"filename": ..., "size": ...}`,
//! then the raw file bytes, several files in a row, without waiting for any reply.

use seam_core::messages::ErrorCode;
use seam_core::Header;
use serde_json::Value;
use tracing::info;

use crate::server::conn::Conn;
use crate::server::failure::{Failure, Refusal};
use crate::server::files::receive_body;
use crate::server::upload::Upload;
use crate::wire::Head;

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
    let mut upload = match Upload::begin(&conn.shared, &name, body_len).await {
        Ok(upload) => upload,
        Err(refused) => {
            conn.reader.skip_body().await?;
            return Err(refused.into());
        }
    };
    receive_body(conn, upload.incoming()).await?;
    let md5 = upload.md5_hex();
    upload.commit().await?;
    info!(conn = conn.id, name, size = body_len, %md5, "stored a tutorial-style upload");
    Ok(())
}
