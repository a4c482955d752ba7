//! `seam put`: uploads, each file read once, hashed on the fly, verified by the server
//! before it appears under its name.

use std::fs::File;
use std::path::Path;
use std::time::Instant;

use seam_core::messages::{Reply, Request};
use seam_core::BodyDigest;
use serde_json::json;

use super::error::ClientError;
use super::output::print_result;
use super::progress::Progress;
use super::session::Session;
use crate::client::options::PutOptions;
use crate::transfer::{file_work, hash_prefix, FileSource};

/// Uploads every file named on the command line, one after another on one connection.
pub async fn run(args: &PutOptions) -> Result<(), ClientError> {
    if args.name.is_some() && args.files.len() > 1 {
        return Err(ClientError::Usage(
            "--as names a single file; give one file with it".into(),
        ));
    }
    let mut session = Session::connect(&args.client).await?;
    for path in &args.files {
        let name = match &args.name {
            Some(name) => name.clone(),
            None => file_name(path)?,
        };
        upload(&mut session, args, path, &name).await?;
    }
    session.close().await;
    Ok(())
}

/// How long a client whose upload broke waits for the server's reason.
const ANSWER_WAIT: std::time::Duration = std::time::Duration::from_secs(2);

/// What the server said in the middle of an upload's body: its refusal, or a protocol error.
fn early_answer(read: Result<Option<crate::wire::Head>, crate::wire::WireError>) -> ClientError {
    match read {
        Ok(Some(head)) => match Reply::from_header(&head.header) {
            Ok(Reply::Error { code, message }) => ClientError::Refused { code, message },
            Ok(other) => ClientError::unexpected("nothing before put_end", &other),
            Err(e) => ClientError::Protocol(e.to_string()),
        },
        Ok(None) => ClientError::Closed,
        Err(e) => e.into(),
    }
}

/// The name a file is uploaded under: its own file name.
pub(crate) fn file_name(path: &Path) -> Result<String, ClientError> {
    path.file_name()
        .and_then(|n| n.to_str())
        .map(str::to_string)
        .ok_or_else(|| {
            ClientError::Usage(format!(
                "{} has no usable file name; give one with --as",
                path.display()
            ))
        })
}

async fn upload(
    session: &mut Session,
    args: &PutOptions,
    path: &Path,
    name: &str,
) -> Result<(), ClientError> {
    let started = Instant::now();
    let mut file = File::open(path).map_err(|e| ClientError::local(path, e))?;
    let total = file
        .metadata()
        .map_err(|e| ClientError::local(path, e))?
        .len();
    session
        .send(&Request::Put {
            name: name.to_string(),
            total,
            resume: args.resume,
            force: args.force,
        })
        .await?;
    let offset = match session.reply().await? {
        Reply::Ready { offset, .. } if offset <= total => offset,
        other => {
            return Err(ClientError::unexpected(
                "ready with an offset within the file",
                &other,
            ))
        }
    };
    // What the server already holds is hashed here from the local file; if the two differ,
    // the MD5 check at the end refuses the upload.
    let mut digest = BodyDigest::new();
    if offset > 0 {
        // Hashing what the server holds reads the disk: on the file pool, off the runtime.
        (file, digest) =
            file_work(move || hash_prefix(&mut file, offset, &mut digest).map(|()| (file, digest)))
                .await
                .and_then(|hashed| hashed)
                .map_err(|e| ClientError::local(path, e))?;
    }
    let size = total - offset;
    let progress = Progress::new(args.client.quiet || args.client.json, name, offset, total);
    let Session { reader, writer } = session;
    let sending = async {
        writer.send_head(&Request::PutData { size }).await?;
        let mut source = FileSource::start(file, offset, total, Some(digest));
        while let Some(block) = source.next().await {
            let block = block.map_err(|e| ClientError::local(path, e))?;
            writer.write_body(&block).await?;
            progress.add(block.len() as u64);
            source.recycle(block);
        }
        let md5 = source.finish().unwrap_or_default().finish_hex();
        writer.send(&Request::PutEnd { md5: md5.clone() }).await?;
        writer.flush().await?;
        Ok::<String, ClientError>(md5)
    };
    // The server may refuse in the middle of the body (its disk is full, it is shutting
    // down): that answer is read as soon as it comes, and reported instead of the broken pipe
    // that follows it.
    let md5 = tokio::select! {
        biased;
        early = reader.next_header() => return Err(early_answer(early)),
        sent = sending => match sent {
            Ok(md5) => md5,
            Err(ClientError::Lost(error)) => {
                let early = tokio::time::timeout(ANSWER_WAIT, reader.next_header()).await;
                return Err(match early {
                    Ok(Ok(Some(head))) => early_answer(Ok(Some(head))),
                    _ => ClientError::Lost(error),
                });
            }
            Err(error) => return Err(error),
        },
    };
    let reply = session.reply().await;
    progress.finish();
    match reply? {
        Reply::Stored { md5: stored, .. } if stored == md5 => {}
        Reply::Stored { md5: stored, .. } => {
            return Err(ClientError::Md5Mismatch {
                name: name.to_string(),
                expected: md5,
                actual: stored,
            })
        }
        other => return Err(ClientError::unexpected("stored", &other)),
    }
    let seconds = started.elapsed().as_secs_f64();
    print_result(
        &args.client,
        json!({"ok": true, "op": "put", "name": name, "total": total, "md5": md5, "resumed_from": offset, "seconds": seconds}),
        || {
            let resumed = if offset > 0 {
                format!(", resumed at byte {offset}")
            } else {
                String::new()
            };
            format!("stored {name}: {total} bytes, md5 {md5}{resumed} ({seconds:.2} s)")
        },
    );
    Ok(())
}
