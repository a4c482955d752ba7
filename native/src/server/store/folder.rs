//! The local-folder backend's upload: the hidden partial file of [`Root`], written through a
//! [`FileSink`] (blocks on the file pool, MD5 on the fly), renamed into place on commit.

use std::io;

use seam_core::BodyDigest;

use crate::server::storage::{Partial, Root, StorageError};
use crate::transfer::{file_work, FileSink};

/// An upload into the folder.
pub struct FolderUpload {
    root: Root,
    partial: Option<Partial>,
    sink: Option<FileSink>,
}

impl FolderUpload {
    /// Opens the partial file of `name` (with `resume`, keeping what it holds unless that is
    /// longer than `total`: then it belongs to another upload and starts again).
    pub async fn begin(
        root: &Root,
        name: &str,
        resume: bool,
        total: u64,
    ) -> Result<FolderUpload, StorageError> {
        let (owned_root, owned_name) = (root.clone(), name.to_string());
        let partial = file_work(move || {
            let partial = owned_root.open_partial(&owned_name, resume)?;
            if partial.len() > total {
                partial.discard();
                return owned_root.open_partial(&owned_name, false);
            }
            Ok(partial)
        })
        .await??;
        Ok(FolderUpload {
            root: root.clone(),
            partial: Some(partial),
            sink: None,
        })
    }

    fn partial(&self) -> &Partial {
        self.partial
            .as_ref()
            .expect("the partial file lives until commit")
    }

    /// Bytes the partial file holds (written out: after [`FolderUpload::finish`]).
    pub fn len(&self) -> u64 {
        self.partial().len()
    }

    /// The MD5 of the bytes held, in lower-case hex.
    pub fn md5_hex(&self) -> String {
        self.partial().digest.clone().finish_hex()
    }

    fn sink(&mut self) -> io::Result<&mut FileSink> {
        if self.sink.is_none() {
            let partial = self.partial();
            self.sink = Some(FileSink::start(
                partial.file.try_clone()?,
                partial.digest.clone(),
            ));
        }
        Ok(self.sink.as_mut().expect("just made"))
    }

    /// See [`FileSink::spare`].
    pub fn spare(&mut self) -> io::Result<&mut [u8]> {
        Ok(self.sink()?.spare())
    }

    /// See [`FileSink::advance`].
    pub async fn advance(&mut self, n: usize) -> io::Result<()> {
        self.sink()?.advance(n).await
    }

    /// See [`FileSink::is_released`].
    pub fn is_released(&self) -> bool {
        self.sink.as_ref().is_none_or(FileSink::is_released)
    }

    /// See [`FileSink::release`].
    pub async fn release(&mut self) -> io::Result<()> {
        self.sink()?.release().await
    }

    /// Writes every byte received; the partial file then holds them all.
    pub async fn finish(&mut self) -> io::Result<()> {
        let Some(sink) = self.sink.take() else {
            return Ok(());
        };
        let (_file, digest): (_, BodyDigest) = sink.finish().await?;
        if let Some(partial) = &mut self.partial {
            partial.digest = digest;
        }
        Ok(())
    }

    /// Makes the file visible under `name`: fsync, rename, fsync the folder.
    pub async fn commit(mut self, name: &str) -> Result<(), StorageError> {
        let partial = self
            .partial
            .take()
            .expect("the partial file lives until commit");
        let (root, name) = (self.root.clone(), name.to_string());
        file_work(move || root.commit_upload(partial, &name)).await?
    }

    /// Deletes the partial file (its bytes are known to be wrong).
    pub fn discard(mut self) {
        if let Some(partial) = self.partial.take() {
            partial.discard();
        }
    }
}
