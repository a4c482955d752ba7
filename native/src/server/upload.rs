//! An upload that is not Seam's own `put` (no resume, no `ready`): begin (limit, name,
//! lock, hidden partial file), receive through a [`FileSink`], then commit (fsync, rename)
//! or discard. Dropped before a commit, its partial file is deleted: nothing ever appears
//! under the final name unless the whole body arrived (and, where asked, its MD5 matched).

use std::sync::Arc;

use seam_core::messages::ErrorCode;
use seam_core::BodyDigest;

use super::failure::Refusal;
use super::files::{refusal, UploadLock};
use super::shared::Shared;
use super::storage::{Partial, StorageError};
use crate::transfer::FileSink;

/// An upload under way; see the module docs.
pub struct Upload {
    shared: Arc<Shared>,
    name: String,
    partial: Option<Partial>,
    _lock: UploadLock,
}

impl Upload {
    /// Checks the size against `--max-upload` and the name against the root's rules (an
    /// existing file is not replaced), takes the name's lock and opens the partial file.
    pub async fn begin(shared: &Arc<Shared>, name: &str, size: u64) -> Result<Upload, Refusal> {
        if size > shared.max_upload {
            return Err(Refusal::new(
                ErrorCode::TooLarge,
                format!(
                    "{size} bytes is over this server's upload limit of {} bytes",
                    shared.max_upload
                ),
            ));
        }
        shared
            .root
            .check_writable(name, false)
            .map_err(|error| match error {
                StorageError::Exists(_) => Refusal::new(
                    ErrorCode::Exists,
                    format!(
                        "\"{name}\" exists on the server and this kind of upload never replaces \
                         a file; remove it first (seam rm {name})"
                    ),
                ),
                other => refusal(other),
            })?;
        let lock = UploadLock::take(shared, name)?;
        let root = shared.root.clone();
        let owned = name.to_string();
        let partial = tokio::task::spawn_blocking(move || root.open_partial(&owned, false))
            .await
            .map_err(|e| Refusal::new(ErrorCode::Internal, e.to_string()))?
            .map_err(refusal)?;
        Ok(Upload {
            shared: shared.clone(),
            name: name.to_string(),
            partial: Some(partial),
            _lock: lock,
        })
    }

    /// The name being uploaded.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// A sink that writes (and hashes) the body into the partial file.
    pub fn sink(&self) -> std::io::Result<FileSink> {
        let partial = self.partial.as_ref().expect("partial lives until commit");
        Ok(FileSink::start(
            partial.file.try_clone()?,
            partial.digest.clone(),
        ))
    }

    /// Records the digest the sink returned: the MD5 state of everything received.
    pub fn received(&mut self, digest: BodyDigest) {
        if let Some(partial) = &mut self.partial {
            partial.digest = digest;
        }
    }

    /// Bytes received.
    pub fn len(&self) -> u64 {
        self.partial.as_ref().map_or(0, Partial::len)
    }

    /// The MD5 of the bytes received, in lower-case hex.
    pub fn md5_hex(&self) -> String {
        self.partial
            .as_ref()
            .map(|partial| partial.digest.clone().finish_hex())
            .unwrap_or_default()
    }

    /// Makes the file visible under its name: fsync, rename, fsync the folder.
    pub async fn commit(mut self) -> Result<(), Refusal> {
        let partial = self.partial.take().expect("partial lives until commit");
        let root = self.shared.root.clone();
        let name = self.name.clone();
        tokio::task::spawn_blocking(move || root.commit_upload(partial, &name))
            .await
            .map_err(|e| Refusal::new(ErrorCode::Internal, e.to_string()))?
            .map_err(refusal)
    }
}

impl Drop for Upload {
    fn drop(&mut self) {
        if let Some(partial) = self.partial.take() {
            partial.discard();
        }
    }
}
