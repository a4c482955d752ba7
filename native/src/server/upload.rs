//! An upload that is not Seam's own `put` (no resume, no `ready`): begin (limit, name,
//! lock, the store's hidden partial upload), receive through [`Upload::write`], then commit
//! (the folder: fsync, rename; the bucket: complete the multipart upload) or discard. Dropped before a commit, its partial file is deleted: nothing ever appears
//! under the final name unless the whole body arrived (and, where asked, its MD5 matched).

use std::sync::Arc;

use seam_core::messages::ErrorCode;

use super::failure::Refusal;
use super::files::{refusal, UploadLock};
use super::shared::Shared;
use super::storage::StorageError;
use super::store::Incoming;

/// An upload under way; see the module docs.
pub struct Upload {
    name: String,
    incoming: Option<Incoming>,
    _lock: UploadLock,
}

impl Upload {
    /// Checks the size against `--max-upload` and the name against the store's rules (an
    /// existing file is not replaced), takes the name's lock and starts the upload.
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
            .store
            .check_writable(name, false)
            .await
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
        let incoming = shared
            .store
            .begin_upload(name, false, size)
            .await
            .map_err(refusal)?;
        Ok(Upload {
            name: name.to_string(),
            incoming: Some(incoming),
            _lock: lock,
        })
    }

    /// The name being uploaded.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The store's upload, for a body read by [`super::files::receive_body`].
    pub fn incoming(&mut self) -> &mut Incoming {
        self.incoming
            .as_mut()
            .expect("the upload lives until commit")
    }

    /// Takes body bytes (hashing them on the way).
    pub async fn write(&mut self, mut bytes: &[u8]) -> std::io::Result<()> {
        let incoming = self.incoming();
        while !bytes.is_empty() {
            let spare = incoming.spare()?;
            let n = spare.len().min(bytes.len());
            spare[..n].copy_from_slice(&bytes[..n]);
            incoming.advance(n).await?;
            bytes = &bytes[n..];
        }
        Ok(())
    }

    /// The whole body arrived: writes out every byte of it.
    pub async fn finish(&mut self) -> std::io::Result<()> {
        self.incoming().finish().await
    }

    /// Bytes received.
    pub fn len(&self) -> u64 {
        self.incoming.as_ref().map_or(0, Incoming::len)
    }

    /// The MD5 of the bytes received, in lower-case hex.
    pub fn md5_hex(&self) -> String {
        self.incoming
            .as_ref()
            .map(Incoming::md5_hex)
            .unwrap_or_default()
    }

    /// Makes the file visible under its name, whole.
    pub async fn commit(mut self) -> Result<(), Refusal> {
        let incoming = self.incoming.take().expect("the upload lives until commit");
        incoming.commit(&self.name).await.map_err(refusal)
    }
}

impl Drop for Upload {
    fn drop(&mut self) {
        if let Some(incoming) = self.incoming.take() {
            incoming.discard_soon();
        }
    }
}
