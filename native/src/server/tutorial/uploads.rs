//! `ftp`, `movie` and `upload-md5`: framed headers and bodies read by
//! `seam_core::dialect::server::UploadServer`, written through Seam's own upload pipeline
//! ([`Upload`]: name checks, `--max-upload`, MD5 on the fly, temporary file, fsync, rename).
//!
//! `ftp` and `movie` never reply: a refused upload (a bad name, an existing file) has its
//! body skipped and is only logged, and the next one goes on. `upload-md5` answers `200`
//! once a body is in, then `100` and stores the file if the client's MD5 matches, or
//! `10000` and stores nothing; a refused upload is answered `error: REASON` instead of
//! `200`. Broken framing, a body over `--max-upload` or a bad MD5 close the connection
//! (after `error: ...` or `10000` for `upload-md5`); nothing is stored under the final name.

use anyhow::bail;
use seam_core::dialect::server::{
    UploadError, UploadEvent, UploadServer, ACCEPTED, MD5_MATCH, MD5_MISMATCH,
};
use seam_core::dialect::Dialect;
use tracing::{info, warn};

use super::stream::{Filled, TutorialStream};
use crate::server::upload::Upload;

/// Receives uploads until the client closes.
pub async fn serve(stream: &mut TutorialStream, dialect: Dialect) -> anyhow::Result<()> {
    let Some(mut machine) = UploadServer::new(dialect, stream.shared.max_upload) else {
        bail!("{dialect} is not an upload dialect");
    };
    let idle = stream.idle();
    let mut receiving: Option<Upload> = None;
    let mut refused: Option<String> = None;
    let mut awaiting_md5: Option<Upload> = None;
    loop {
        let input = &mut stream.input;
        let mut pending = &input.buf[input.start..input.end];
        let before = pending.len();
        let event = match machine.poll(&mut pending) {
            Ok(event) => event,
            Err(error) => {
                let reply = match (&error, dialect) {
                    (UploadError::BadMd5 { .. }, _) => Some(MD5_MISMATCH.to_vec()),
                    (_, Dialect::UploadMd5) => Some(format!("error: {error}").into_bytes()),
                    _ => None,
                };
                if let Some(reply) = reply {
                    stream.output.write_all(&reply).await?;
                }
                bail!("closing: {error}");
            }
        };
        let used = before - pending.len();
        match event {
            None => {
                // Every byte read is consumed: wait for more.
                stream.input.start = stream.input.end;
                let between = receiving.is_none() && refused.is_none() && awaiting_md5.is_none();
                match stream.input.fill(idle, between).await? {
                    Filled::Bytes => {}
                    Filled::End => {
                        return match machine.finish() {
                            Ok(()) => Ok(()),
                            Err(error) => bail!("the client went away: {error}"),
                        }
                    }
                    Filled::Quiet => bail!("no data for {} s", idle.as_secs()),
                }
                continue;
            }
            Some(UploadEvent::Header(Ok(request))) => {
                match Upload::begin(&stream.shared, &request.name, request.size).await {
                    Ok(upload) => receiving = Some(upload),
                    Err(refusal) => {
                        machine.refuse();
                        refused = Some(refusal.message);
                    }
                }
            }
            Some(UploadEvent::Header(Err(error))) => refused = Some(error.to_string()),
            Some(UploadEvent::Body(bytes)) => {
                if let Some(upload) = &mut receiving {
                    upload.write(bytes).await?;
                }
            }
            Some(UploadEvent::BodyEnd) => {
                if let Some(mut upload) = receiving.take() {
                    upload.finish().await?;
                    if dialect == Dialect::UploadMd5 {
                        stream.output.write_all(ACCEPTED).await?;
                        awaiting_md5 = Some(upload);
                    } else {
                        commit(stream.id, dialect, upload).await;
                    }
                } else if let Some(reason) = refused.take() {
                    warn!(conn = stream.id, %dialect, %reason, "tutorial upload refused; its body was skipped");
                    if dialect == Dialect::UploadMd5 {
                        stream
                            .output
                            .write_all(format!("error: {reason}").as_bytes())
                            .await?;
                    }
                }
            }
            Some(UploadEvent::Md5(md5)) => {
                let Some(upload) = awaiting_md5.take() else {
                    bail!("an MD5 without an upload");
                };
                let actual = upload.md5_hex();
                if md5 == actual {
                    let stored = commit(stream.id, dialect, upload).await;
                    stream
                        .output
                        .write_all(if stored {
                            MD5_MATCH
                        } else {
                            b"error: not stored"
                        })
                        .await?;
                } else {
                    warn!(conn = stream.id, name = upload.name(), client = %md5, %actual, "tutorial upload's MD5 differs; nothing stored");
                    drop(upload);
                    stream.output.write_all(MD5_MISMATCH).await?;
                }
            }
        }
        stream.input.start += used;
    }
}

/// Makes a received upload visible; `false` (logged) when that failed.
async fn commit(conn: u64, dialect: Dialect, upload: Upload) -> bool {
    let name = upload.name().to_string();
    let size = upload.len();
    let md5 = upload.md5_hex();
    match upload.commit().await {
        Ok(()) => {
            info!(conn, %dialect, name, size, %md5, "stored a tutorial upload");
            true
        }
        Err(refusal) => {
            warn!(conn, %dialect, name, message = %refusal.message, "tutorial upload not stored");
            false
        }
    }
}
