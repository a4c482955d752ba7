//! For the dialects that never reply (`ftp`, `movie`): waiting for each file to appear under
//! the learner's `--stored DIR` with the right bytes, and saying what went wrong if not.

use std::path::Path;
use std::time::Duration;

use seam_core::md5_hex;

use super::workload::{grouped, Upload};

/// How often the folder is looked at.
const POLL: Duration = Duration::from_millis(20);

/// Waits up to `timeout` for every upload to be stored whole; the failure, in words.
pub async fn wait_stored(dir: &Path, uploads: &[Upload], timeout: Duration) -> Result<(), String> {
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        let mut first_missing = None;
        for upload in uploads {
            match look(dir, upload) {
                Look::Whole => {}
                Look::TooLong(len) => {
                    return Err(format!(
                        "stored {} bytes for a {}-byte file ({}): the server read past the body into the next header",
                        grouped(len),
                        grouped(upload.body.len() as u64),
                        upload.name
                    ))
                }
                other => {
                    first_missing.get_or_insert((upload, other));
                }
            }
        }
        let Some((upload, look)) = first_missing else {
            return Ok(());
        };
        if tokio::time::Instant::now() >= deadline {
            let secs = timeout.as_secs_f64();
            let want = grouped(upload.body.len() as u64);
            return Err(match look {
                Look::Missing => format!("nothing stored as {} within {secs} s", upload.name),
                Look::Short(len) => format!(
                    "stored only {} of {want} bytes of {} within {secs} s",
                    grouped(len),
                    upload.name
                ),
                Look::WrongBytes(md5) => format!(
                    "stored {} with the right size ({want} bytes) but the wrong bytes: MD5 {md5}, expected {}",
                    upload.name, upload.md5
                ),
                Look::Unreadable(error) => format!("cannot read {}: {error}", upload.name),
                Look::Whole | Look::TooLong(_) => unreachable!("handled above"),
            });
        }
        tokio::time::sleep(POLL).await;
    }
}

enum Look {
    Missing,
    Short(u64),
    TooLong(u64),
    WrongBytes(String),
    Unreadable(std::io::Error),
    Whole,
}

fn look(dir: &Path, upload: &Upload) -> Look {
    let path = dir.join(&upload.name);
    let len = match std::fs::metadata(&path) {
        Ok(meta) => meta.len(),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Look::Missing,
        Err(error) => return Look::Unreadable(error),
    };
    let want = upload.body.len() as u64;
    if len < want {
        return Look::Short(len);
    }
    if len > want {
        return Look::TooLong(len);
    }
    match std::fs::read(&path) {
        Ok(bytes) if bytes.len() as u64 != want => Look::Short(bytes.len() as u64),
        Ok(bytes) => match md5_hex(&bytes) {
            md5 if md5 == upload.md5 => Look::Whole,
            md5 => Look::WrongBytes(md5),
        },
        Err(error) => Look::Unreadable(error),
    }
}
