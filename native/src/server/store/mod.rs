//! Where the server keeps files, behind one interface: the local folder (`--root`, the
//! default; [`crate::server::storage::Root`]) or an S3-compatible bucket (`--store
//! s3://BUCKET[/PREFIX]`, [`bucket::Bucket`]). The requests above ([`super::files`],
//! [`super::upload`], the tutorial uploads) never know which one they talk to: names,
//! limits, the MD5 rules and what is visible when behave the same.

mod bucket;
mod folder;
mod parts;

use std::collections::HashSet;
use std::io;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use seam_core::messages::FileEntry;

use super::storage::{Root, StorageError};
use crate::transfer::{file_work, FileSource};
pub use bucket::Bucket;
use bucket::ObjectSource;
use folder::FolderUpload;
use parts::BucketUpload;

/// A failure of the object store met while moving a body, carried in an [`io::Error`] so
/// that it reaches the client as `store_unavailable`.
#[derive(Debug)]
pub struct StoreFailure(pub String);

impl std::fmt::Display for StoreFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for StoreFailure {}

impl StoreFailure {
    /// The store failure inside an I/O error, if that is what it is.
    pub fn of(error: &io::Error) -> Option<&StoreFailure> {
        error.get_ref()?.downcast_ref::<StoreFailure>()
    }
}

/// The file store of a server.
#[derive(Debug, Clone)]
pub enum Store {
    /// The local folder.
    Folder(Root),
    /// An S3-compatible bucket.
    Bucket(Arc<Bucket>),
}

impl Store {
    /// What the store is, for messages: the folder's path or `s3://BUCKET[/PREFIX]`.
    pub fn describe(&self) -> String {
        match self {
            Store::Folder(root) => root.dir().display().to_string(),
            Store::Bucket(bucket) => bucket.url().to_string(),
        }
    }

    /// Checks whether `name` may be written: refused when it exists (unless `force`).
    pub async fn check_writable(&self, name: &str, force: bool) -> Result<(), StorageError> {
        match self {
            Store::Folder(root) => root.check_writable(name, force),
            Store::Bucket(bucket) => bucket.check_writable(name, force).await,
        }
    }

    /// Starts an upload of `name` (`total` bytes); with `resume`, goes on with what an
    /// interrupted upload of it kept.
    pub async fn begin_upload(
        &self,
        name: &str,
        resume: bool,
        total: u64,
    ) -> Result<Incoming, StorageError> {
        match self {
            Store::Folder(root) => Ok(Incoming::Folder(
                FolderUpload::begin(root, name, resume, total).await?,
            )),
            Store::Bucket(bucket) => Ok(Incoming::Bucket(
                bucket.begin_upload(name, resume, total).await?,
            )),
        }
    }

    /// Opens `name` for a download: its size, the MD5 recorded when it was stored, and a
    /// way to read it from any offset.
    pub async fn open_download(&self, name: &str) -> Result<Download, StorageError> {
        match self {
            Store::Folder(root) => {
                let (file, total) = root.open_file(name)?;
                let (root, owned) = (root.clone(), name.to_string());
                let (file, md5) =
                    file_work(move || root.stored_md5(&owned, &file).map(|md5| (file, md5)))
                        .await??;
                Ok(Download {
                    total,
                    md5,
                    from: From::File(file),
                })
            }
            Store::Bucket(bucket) => {
                let (total, etag, md5) = bucket.open_download(name).await?;
                Ok(Download {
                    total,
                    md5,
                    from: From::Object {
                        bucket: bucket.clone(),
                        key: bucket.key(name)?,
                        etag,
                    },
                })
            }
        }
    }

    /// The files, sorted by name.
    pub async fn list(&self) -> Result<Vec<FileEntry>, StorageError> {
        match self {
            Store::Folder(root) => root.list(),
            Store::Bucket(bucket) => bucket.list().await,
        }
    }

    /// Deletes a file.
    pub async fn delete(&self, name: &str) -> Result<(), StorageError> {
        match self {
            Store::Folder(root) => root.delete(name),
            Store::Bucket(bucket) => bucket.delete(name).await,
        }
    }

    /// The unfinished uploads by name, with the bytes they keep, sorted.
    pub async fn list_partials(&self) -> Result<Vec<FileEntry>, StorageError> {
        match self {
            Store::Folder(root) => root.list_partials(),
            Store::Bucket(bucket) => bucket.list_partials().await,
        }
    }

    /// Removes the unfinished upload of `name`.
    pub async fn delete_partial(&self, name: &str) -> Result<(), StorageError> {
        match self {
            Store::Folder(root) => root.delete_partial(name),
            Store::Bucket(bucket) => bucket.delete_partial(name).await,
        }
    }

    /// Bytes kept by unfinished uploads other than the one of `name`.
    pub async fn partial_bytes_besides(&self, name: &str) -> Result<u64, StorageError> {
        match self {
            Store::Folder(root) => {
                let (root, name) = (root.clone(), name.to_string());
                file_work(move || root.partial_bytes_besides(&name)).await?
            }
            Store::Bucket(bucket) => bucket.partial_bytes_besides(name).await,
        }
    }

    /// Removes the unfinished uploads left alone for `ttl`, except those in `busy`; returns
    /// how many went and the bytes they kept.
    pub async fn sweep_partials(
        &self,
        ttl: Duration,
        busy: HashSet<String>,
    ) -> Result<(usize, u64), StorageError> {
        match self {
            Store::Folder(root) => {
                let root = root.clone();
                file_work(move || root.sweep_partials(ttl, &busy)).await?
            }
            Store::Bucket(bucket) => bucket.sweep_partials(ttl, &busy).await,
        }
    }
}

/// An upload being received: the folder's partial file or the bucket's multipart upload.
/// Bytes are read straight into [`Incoming::spare`], then counted with
/// [`Incoming::advance`].
pub enum Incoming {
    /// Into the folder.
    Folder(FolderUpload),
    /// Into the bucket.
    Bucket(BucketUpload),
}

impl Incoming {
    /// Bytes held: where the body starts (a resume's offset), and once the body is in, its
    /// end.
    pub fn len(&self) -> u64 {
        match self {
            Incoming::Folder(upload) => upload.len(),
            Incoming::Bucket(upload) => upload.len(),
        }
    }

    /// The MD5 of the bytes held, in lower-case hex.
    pub fn md5_hex(&self) -> String {
        match self {
            Incoming::Folder(upload) => upload.md5_hex(),
            Incoming::Bucket(upload) => upload.md5_hex(),
        }
    }

    /// Where the next body bytes go.
    pub fn spare(&mut self) -> io::Result<&mut [u8]> {
        match self {
            Incoming::Folder(upload) => upload.spare(),
            Incoming::Bucket(upload) => Ok(upload.spare()),
        }
    }

    /// Counts `n` bytes read into [`Incoming::spare`].
    pub async fn advance(&mut self, n: usize) -> io::Result<()> {
        match self {
            Incoming::Folder(upload) => upload.advance(n).await,
            Incoming::Bucket(upload) => upload.advance(n).await,
        }
    }

    /// Whether the upload holds no buffer.
    pub fn is_released(&self) -> bool {
        match self {
            Incoming::Folder(upload) => upload.is_released(),
            Incoming::Bucket(upload) => upload.is_released(),
        }
    }

    /// For a client that stalls: writes out what is held and lets go of the buffers.
    pub async fn release(&mut self) -> io::Result<()> {
        match self {
            Incoming::Folder(upload) => upload.release().await,
            Incoming::Bucket(upload) => upload.release().await,
        }
    }

    /// The whole body arrived: writes out every byte of it.
    pub async fn finish(&mut self) -> io::Result<()> {
        match self {
            Incoming::Folder(upload) => upload.finish().await,
            Incoming::Bucket(upload) => upload.finish().await,
        }
    }

    /// The body stopped early: keeps what can be resumed (the folder: every byte received;
    /// the bucket: the parts done).
    pub async fn suspend(&mut self) -> io::Result<()> {
        match self {
            Incoming::Folder(upload) => upload.finish().await,
            Incoming::Bucket(upload) => {
                upload.suspend().await;
                Ok(())
            }
        }
    }

    /// Makes the upload visible under `name`, whole.
    pub async fn commit(self, name: &str) -> Result<(), StorageError> {
        match self {
            Incoming::Folder(upload) => upload.commit(name).await,
            Incoming::Bucket(upload) => upload.commit().await,
        }
    }

    /// Drops the upload and what it kept, from a place that cannot wait: the folder's
    /// partial file goes at once, a bucket's multipart upload is aborted on a task of its own.
    pub fn discard_soon(self) {
        match self {
            Incoming::Folder(upload) => upload.discard(),
            Incoming::Bucket(upload) => {
                tokio::spawn(upload.discard());
            }
        }
    }

    /// Drops the upload and what it kept (its bytes are known to be wrong).
    pub async fn discard(self) {
        match self {
            Incoming::Folder(upload) => upload.discard(),
            Incoming::Bucket(upload) => upload.discard().await,
        }
    }
}

/// A file opened for a download.
pub struct Download {
    /// Its size.
    pub total: u64,
    /// Its MD5, as recorded when it was stored.
    pub md5: String,
    from: From,
}

enum From {
    File(std::fs::File),
    Object {
        bucket: Arc<Bucket>,
        key: object_store::path::Path,
        etag: String,
    },
}

impl Download {
    /// Reads the file from `offset` to its end.
    pub fn read_from(self, offset: u64) -> Source {
        match self.from {
            From::File(file) => Source::File(FileSource::start(file, offset, self.total, None)),
            From::Object { bucket, key, etag } => {
                Source::Object(bucket.source(&key, &etag, offset, self.total))
            }
        }
    }
}

/// The blocks of a download.
pub enum Source {
    /// From the folder, read ahead on the file pool.
    File(FileSource),
    /// From the bucket, by ranged GETs.
    Object(ObjectSource),
}

/// A block of a download.
pub enum Block {
    /// Read from a file (its buffer goes back to the source).
    Vec(Vec<u8>),
    /// Received from the store.
    Bytes(Bytes),
}

impl std::ops::Deref for Block {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            Block::Vec(bytes) => bytes,
            Block::Bytes(bytes) => bytes,
        }
    }
}

impl Source {
    /// The next block, or `None` once the range was given.
    pub async fn next(&mut self) -> Option<io::Result<Block>> {
        match self {
            Source::File(source) => Some(source.next().await?.map(Block::Vec)),
            Source::Object(source) => Some(source.next().await?.map(Block::Bytes)),
        }
    }

    /// Returns a block for reuse.
    pub fn recycle(&mut self, block: Block) {
        if let (Source::File(source), Block::Vec(bytes)) = (self, block) {
            source.recycle(bytes);
        }
    }

    /// Drops every buffer (and connection) and goes on from `pos` on
    /// [`Source::resume`]: for a client that stopped reading.
    pub fn pause_at(&mut self, pos: u64) {
        match self {
            Source::File(source) => source.pause_at(pos),
            Source::Object(source) => source.pause_at(pos),
        }
    }

    /// Starts reading again after [`Source::pause_at`].
    pub fn resume(&mut self) {
        if let Source::File(source) = self {
            source.resume();
        }
    }
}
