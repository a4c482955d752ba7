//! `seam get`: downloads, written to a hidden partial file while hashed, renamed into
//! place only when the MD5 matches the server's.

use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};
use std::time::Instant;

use seam_core::messages::{Reply, Request};
use seam_core::names::{partial_name, validate_name};
use seam_core::BodyDigest;
use serde_json::json;

use super::error::ClientError;
use super::output::print_result;
use super::progress::Progress;
use super::session::Session;
use crate::atomic_file::atomic_commit;
use crate::client::options::GetOptions;
use crate::transfer::{file_work, hash_prefix, FileSink};

/// Downloads every name on the command line, one after another on one connection.
pub async fn run(args: &GetOptions) -> Result<(), ClientError> {
    let targets = args
        .names
        .iter()
        .map(|name| Ok((name.as_str(), destination(args, name)?)))
        .collect::<Result<Vec<_>, ClientError>>()?;
    for (_, dest) in &targets {
        if !args.force && dest.exists() {
            return Err(ClientError::Exists(dest.display().to_string()));
        }
    }
    let mut session = Session::connect(&args.client).await?;
    for (name, dest) in targets {
        download(&mut session, args, name, &dest).await?;
    }
    session.close().await;
    Ok(())
}

/// Where a name is written: `-o FILE` for a single name, `-o FOLDER/NAME`, or `./NAME`.
fn destination(args: &GetOptions, name: &str) -> Result<PathBuf, ClientError> {
    let checked = || {
        validate_name(name)
            .map_err(|e| ClientError::Usage(format!("cannot write \"{name}\" here: {e}")))
    };
    match &args.output {
        Some(dir) if dir.is_dir() => Ok(dir.join(checked()?)),
        Some(file) if args.names.len() == 1 => Ok(file.clone()),
        Some(other) => Err(ClientError::Usage(format!(
            "{} is not a folder; -o names a file only with a single name",
            other.display()
        ))),
        None => Ok(PathBuf::from(checked()?)),
    }
}

fn partial_path(dest: &Path) -> Result<PathBuf, ClientError> {
    let file_name = dest
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| ClientError::Usage(format!("{} is not a file path", dest.display())))?;
    Ok(dest.with_file_name(partial_name(file_name)))
}

async fn download(
    session: &mut Session,
    args: &GetOptions,
    name: &str,
    dest: &Path,
) -> Result<(), ClientError> {
    let started = Instant::now();
    let partial = partial_path(dest)?;
    // What an interrupted download left, when resuming; the partial file itself is only
    // created once the server has the file, so a refusal leaves nothing behind.
    // Never through a symbolic link planted there, and never anything but a regular file.
    let held = match std::fs::symlink_metadata(&partial) {
        Ok(meta) if !meta.file_type().is_file() => {
            return Err(ClientError::local(&partial, not_regular()))
        }
        Ok(meta) if args.resume => meta.len(),
        _ => 0,
    };
    session
        .send(&Request::Get {
            name: name.to_string(),
            offset: held,
        })
        .await?;
    let (size, total) = match session.reply().await? {
        Reply::File {
            size,
            offset,
            total,
            ..
        } if offset == held && offset + size == total => (size, total),
        other => {
            return Err(ClientError::unexpected(
                "a file starting where the partial download ends",
                &other,
            ))
        }
    };
    // Opening and hashing what is held read the disk: on the file pool, off the runtime.
    let opening = partial.clone();
    let (file, digest) = file_work(move || {
        let mut file = open_partial(&opening, held == 0)?;
        let mut digest = BodyDigest::new();
        hash_prefix(&mut file, held, &mut digest)?;
        Ok((file, digest))
    })
    .await
    .and_then(|opened| opened)
    .map_err(|e| ClientError::local(&partial, e))?;
    let progress = Progress::new(args.client.quiet || args.client.json, name, held, total);
    let mut sink = FileSink::start(file, digest);
    // Every byte received is written before an error is reported, so --resume can go on
    // from all of them.
    let received = async {
        loop {
            let n = session.reader.read_body(sink.spare()).await?;
            if n == 0 {
                return Ok::<(), ClientError>(());
            }
            sink.advance(n)
                .await
                .map_err(|e| ClientError::local(&partial, e))?;
            progress.add(n as u64);
        }
    }
    .await;
    let written = sink.finish().await;
    progress.finish();
    let (file, digest) = match (received, written) {
        (_, Err(error)) | (Err(ClientError::Local { source: error, .. }), _)
            if error.kind() == std::io::ErrorKind::StorageFull =>
        {
            // Resuming could only fill the disk again: the partial file goes.
            let _ = std::fs::remove_file(&partial);
            return Err(ClientError::local(&partial, error));
        }
        (Err(error), _) => return Err(error),
        (Ok(()), written) => written.map_err(|e| ClientError::local(&partial, e))?,
    };
    let expected = match session.reply().await? {
        Reply::FileEnd { md5 } => md5,
        other => return Err(ClientError::unexpected("file_end", &other)),
    };
    let md5 = digest.finish_hex();
    if !expected.eq_ignore_ascii_case(&md5) {
        drop(file);
        let _ = std::fs::remove_file(&partial);
        return Err(ClientError::Md5Mismatch {
            name: name.to_string(),
            expected,
            actual: md5,
        });
    }
    let (temp, final_path) = (partial.clone(), dest.to_path_buf());
    file_work(move || atomic_commit(file, &temp, &final_path))
        .await
        .and_then(|committed| committed)
        .map_err(|e| ClientError::local(dest, e))?;
    let seconds = started.elapsed().as_secs_f64();
    print_result(
        &args.client,
        json!({"ok": true, "op": "get", "name": name, "path": dest.display().to_string(), "total": total, "md5": md5, "resumed_from": held, "seconds": seconds}),
        || {
            let resumed = if held > 0 {
                format!(", resumed at byte {held}")
            } else {
                String::new()
            };
            format!(
                "got {name} -> {}: {size} bytes, md5 {md5}{resumed} ({seconds:.2} s)",
                dest.display()
            )
        },
    );
    Ok(())
}

fn not_regular() -> std::io::Error {
    std::io::Error::other(
        "the partial download is not a regular file; refusing to write through it",
    )
}

/// Opens the hidden partial file without following a symbolic link, and only when it is a
/// regular file; `truncate` empties it.
fn open_partial(path: &Path, truncate: bool) -> std::io::Result<File> {
    let mut options = OpenOptions::new();
    options.read(true).write(true).create(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        // Also no blocking on a FIFO planted there.
        options.custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK);
    }
    let file = options.open(path)?;
    if !file.metadata()?.file_type().is_file() {
        return Err(not_regular());
    }
    if truncate {
        file.set_len(0)?;
    }
    Ok(file)
}
