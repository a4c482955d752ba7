//! `seam put --dialect ftp|movie|upload-md5 FILE…`: uploads as the tutorials' clients send
//! them, several on one connection; `upload-md5` waits for `200`, sends the MD5 and reads
//! `100` or `10000`.

use std::fs::File;
use std::path::Path;
use std::time::Instant;

use seam_core::dialect::client::{md5_message, upload_head, ReplyEvent, ReplyReader};
use seam_core::dialect::Dialect;
use seam_core::messages::ErrorCode;
use seam_core::BodyDigest;
use serde_json::json;

use super::conn::DialectConn;
use super::{CLOSE_WAIT, NO_ACK, REPLY_TIMEOUT};
use crate::client::error::ClientError;
use crate::client::options::PutOptions;
use crate::client::output::print_result;
use crate::client::progress::Progress;
use crate::client::put::file_name;
use crate::transfer::FileSource;

/// Uploads every file on one connection in the dialect's own bytes.
pub async fn run(args: &PutOptions, dialect: Dialect) -> Result<(), ClientError> {
    if args.name.is_some() && args.files.len() > 1 {
        return Err(ClientError::Usage(
            "--as names a single file; give one file with it".into(),
        ));
    }
    let mut conn = DialectConn::connect(
        &args.client.server,
        args.client.trace.as_deref(),
        REPLY_TIMEOUT,
    )
    .await?;
    for path in &args.files {
        let name = match &args.name {
            Some(name) => name.clone(),
            None => file_name(path)?,
        };
        upload(&mut conn, args, dialect, path, &name).await?;
    }
    if !dialect.has_replies() {
        let extra = conn.finish_silent(CLOSE_WAIT).await?;
        if !extra.is_empty() {
            return Err(ClientError::Protocol(format!(
                "the server answered {} bytes, though the {dialect} dialect has no replies: {:?}",
                extra.len(),
                String::from_utf8_lossy(&extra[..extra.len().min(200)])
            )));
        }
    }
    Ok(())
}

async fn upload(
    conn: &mut DialectConn,
    args: &PutOptions,
    dialect: Dialect,
    path: &Path,
    name: &str,
) -> Result<(), ClientError> {
    let started = Instant::now();
    let file = File::open(path).map_err(|e| ClientError::local(path, e))?;
    let total = file
        .metadata()
        .map_err(|e| ClientError::local(path, e))?
        .len();
    let head = upload_head(dialect, name, total).map_err(|e| ClientError::Usage(e.to_string()))?;
    conn.write(&head).await?;
    let progress = Progress::new(args.client.quiet || args.client.json, name, 0, total);
    let mut source = FileSource::start(file, 0, total, Some(BodyDigest::new()));
    while let Some(block) = source.next().await {
        let block = block.map_err(|e| ClientError::local(path, e))?;
        conn.write(&block).await?;
        progress.add(block.len() as u64);
        source.recycle(block);
    }
    let md5 = source.finish().unwrap_or_default().finish_hex();
    let matched = if dialect == Dialect::UploadMd5 {
        Some(md5_verdict(conn, &md5).await?)
    } else {
        None
    };
    progress.finish();
    let seconds = started.elapsed().as_secs_f64();
    if matched == Some(false) {
        return Err(ClientError::Refused {
            code: ErrorCode::Md5Mismatch,
            message: format!(
                "the server answered 10000: its MD5 of {name} differs from ours ({md5})"
            ),
        });
    }
    print_result(
        &args.client,
        json!({"ok": true, "op": "put", "dialect": dialect.as_str(), "name": name, "total": total, "md5": md5, "acknowledged": matched.is_some(), "seconds": seconds}),
        || match matched {
            Some(_) => format!(
                "stored {name}: {total} bytes, md5 {md5}; the server answered 100 (MD5 matches)"
            ),
            None => format!("{name}: {total} bytes, md5 {md5} {NO_ACK}"),
        },
    );
    Ok(())
}

/// Reads `200`, sends the MD5, and returns whether the answer was `100`.
async fn md5_verdict(conn: &mut DialectConn, md5: &str) -> Result<bool, ClientError> {
    let message = md5_message(md5).map_err(|e| ClientError::Protocol(e.to_string()))?;
    let mut reader = ReplyReader::upload_md5();
    let mut matched = None;
    conn.read_reply(&mut reader, usize::MAX, |event| match event {
        ReplyEvent::BodyReceived => Some(message.clone()),
        ReplyEvent::Md5Verdict { matched: m } => {
            matched = Some(m);
            None
        }
        _ => None,
    })
    .await?;
    Ok(matched.unwrap_or(false))
}
