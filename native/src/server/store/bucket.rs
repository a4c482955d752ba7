//! The object-store backend: files are objects of an S3-compatible bucket (`--store
//! s3://BUCKET[/PREFIX]`), configured from the standard `AWS_*` environment variables.
//!
//! Keys: a file `NAME` is the object `PREFIX/NAME`. Seam's own records live under
//! `PREFIX/.seam/` (a prefix no valid name can reach, never listed): `md5/NAME` holds a
//! stored object's MD5 and the ETag of the object version it describes (as the folder's
//! `.NAME.seam-md5` record holds size, time and inode), and `uploads/NAME` the state of an
//! unfinished upload (see [`super::parts`]). Every failure of the store after object_store's
//! retries is [`StorageError::Unavailable`], with the store's own message in the log.

use std::collections::HashSet;
use std::path::{Path as FsPath, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use futures::stream::BoxStream;
use futures::{StreamExt, TryStreamExt};
use object_store::aws::{AmazonS3, AmazonS3Builder};
use object_store::multipart::MultipartStore;
use object_store::path::{Path, PathPart};
use object_store::{
    BackoffConfig, GetOptions, GetRange, ObjectStore, ObjectStoreExt, PutPayload, RetryConfig,
};
use seam_core::messages::FileEntry;
use seam_core::names::validate_name;
use seam_core::BodyDigest;
use tokio::sync::Semaphore;
use tracing::warn;

use super::parts::{BucketUpload, UploadState, PART_SIZE};
use crate::server::storage::StorageError;

/// Parts being sent to the store at once, across every upload of this server: with
/// [`super::parts::PART_SIZE`], the most part memory the server holds in flight.
const PARTS_IN_FLIGHT: usize = 4;

/// How object_store retries a failed request (5xx, throttling, a dropped connection):
/// exponential backoff from 100 ms to 2 s, at most 4 times and 15 s in all, so that a store
/// that stays down is reported within seconds, not minutes.
fn retry_config() -> RetryConfig {
    RetryConfig {
        backoff: BackoffConfig {
            init_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(2),
            base: 2.0,
        },
        max_retries: 4,
        retry_timeout: Duration::from_secs(15),
    }
}

/// A bucket (and prefix) served as the file store.
#[derive(Debug)]
pub struct Bucket {
    store: AmazonS3,
    /// `s3://BUCKET[/PREFIX]`, as given.
    url: String,
    prefix: Path,
    /// Where uploads whose client stalls put the bytes of their unfinished part.
    spool_dir: PathBuf,
    /// Shared by all uploads: see [`PARTS_IN_FLIGHT`].
    pub(super) parts_in_flight: Arc<Semaphore>,
    /// The bytes all unfinished uploads held when last counted, and when.
    partial_total: Mutex<Option<(Instant, u64)>>,
}

impl Bucket {
    /// Connects (lazily) to `s3://BUCKET[/PREFIX]` with the `AWS_*` environment variables.
    pub fn open(url: &str, spool_dir: &FsPath) -> Result<Bucket, String> {
        let rest = url
            .strip_prefix("s3://")
            .ok_or_else(|| format!("{url}: a store is s3://BUCKET[/PREFIX]"))?;
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        if bucket.is_empty() {
            return Err(format!("{url}: no bucket name"));
        }
        let prefix =
            Path::parse(prefix.trim_matches('/')).map_err(|e| format!("{url}: bad prefix: {e}"))?;
        // reqwest's rustls takes the process's default provider: ring, as for Seam's TLS.
        let _ = tokio_rustls::rustls::crypto::ring::default_provider().install_default();
        let store = AmazonS3Builder::from_env()
            .with_bucket_name(bucket)
            .with_retry(retry_config())
            .build()
            .map_err(|e| format!("{url}: {e}"))?;
        Ok(Bucket {
            store,
            url: url.trim_end_matches('/').to_string(),
            prefix,
            spool_dir: spool_dir.to_path_buf(),
            parts_in_flight: Arc::new(Semaphore::new(PARTS_IN_FLIGHT)),
            partial_total: Mutex::default(),
        })
    }

    /// `s3://BUCKET[/PREFIX]`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The store, for the upload pipeline.
    pub(super) fn store(&self) -> &AmazonS3 {
        &self.store
    }

    /// The folder for spooled part bytes.
    pub(super) fn spool_dir(&self) -> &FsPath {
        &self.spool_dir
    }

    /// Checks that the bucket can be listed, written and deleted from, with a probe object
    /// under `.seam/`; the error says which step failed and what the store said.
    pub async fn check(&self) -> Result<(), String> {
        let url = &self.url;
        self.store
            .list_with_delimiter(Some(&self.prefix))
            .await
            .map_err(|e| format!("cannot list {url}: {e}"))?;
        let stamp = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let probe = self.hidden("probe", &format!("{}-{stamp}", std::process::id()));
        self.store
            .put(&probe, PutPayload::from_static(b"seam start-up check\n"))
            .await
            .map_err(|e| format!("cannot write to {url}: {e}"))?;
        self.store
            .delete(&probe)
            .await
            .map_err(|e| format!("cannot delete from {url}: {e}"))?;
        Ok(())
    }

    /// The object of a file.
    pub(super) fn key(&self, name: &str) -> Result<Path, StorageError> {
        Ok(child(&self.prefix, validate_name(name)?))
    }

    /// One of Seam's own records, `PREFIX/.seam/KIND/NAME`.
    pub(super) fn hidden(&self, kind: &str, name: &str) -> Path {
        let records = self.prefix.clone().join(".seam").join(kind);
        child(&records, name)
    }

    /// The state object of an unfinished upload of `name`.
    pub(super) fn state_key(&self, name: &str) -> Result<Path, StorageError> {
        Ok(self.hidden("uploads", validate_name(name)?))
    }

    /// A store failure: logged with what the store said, reported as `store_unavailable`
    /// (or `not_found` for a missing object).
    pub(super) fn failed(
        &self,
        doing: &str,
        name: &str,
        error: object_store::Error,
    ) -> StorageError {
        if let object_store::Error::NotFound { .. } = error {
            return StorageError::NotFound(name.to_string());
        }
        warn!(store = %self.url, %error, "{doing} failed");
        StorageError::Unavailable(format!("{doing} in {} failed", self.url))
    }

    /// Refused when `name` exists (unless `force`).
    pub async fn check_writable(&self, name: &str, force: bool) -> Result<(), StorageError> {
        let key = self.key(name)?;
        match self.store.head(&key).await {
            Ok(_) if !force => Err(StorageError::Exists(name.into())),
            Ok(_) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(self.failed("looking up a file", name, e)),
        }
    }

    /// The files, sorted by name.
    pub async fn list(&self) -> Result<Vec<FileEntry>, StorageError> {
        let listed = self
            .store
            .list_with_delimiter(Some(&self.prefix))
            .await
            .map_err(|e| self.failed("listing", "", e))?;
        let mut files: Vec<FileEntry> = listed
            .objects
            .into_iter()
            .filter_map(|meta| {
                let name = meta.location.filename()?.to_string();
                validate_name(&name).ok()?;
                Some(FileEntry {
                    name,
                    bytes: meta.size,
                })
            })
            .collect();
        files.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(files)
    }

    /// Deletes a file and its MD5 record.
    pub async fn delete(&self, name: &str) -> Result<(), StorageError> {
        let key = self.key(name)?;
        // S3 deletes missing keys without a word: look first, to say `not_found`.
        self.store
            .head(&key)
            .await
            .map_err(|e| self.failed("looking up a file", name, e))?;
        self.store
            .delete(&key)
            .await
            .map_err(|e| self.failed("deleting a file", name, e))?;
        let _ = self.store.delete(&self.hidden("md5", name)).await;
        Ok(())
    }

    /// What a download needs: the object's size and ETag, and its MD5 from the record
    /// written when it was stored. A missing or stale record (another ETag: the object was
    /// replaced behind Seam's back) is made again by reading the object once.
    pub async fn open_download(&self, name: &str) -> Result<(u64, String, String), StorageError> {
        let key = self.key(name)?;
        let meta = self
            .store
            .head(&key)
            .await
            .map_err(|e| self.failed("looking up a file", name, e))?;
        let etag = meta.e_tag.clone().unwrap_or_default();
        let record_key = self.hidden("md5", name);
        if let Ok(record) = self.store.get(&record_key).await {
            if let Ok(text) = record.bytes().await {
                if let Some(md5) = md5_in(&text, &etag) {
                    return Ok((meta.size, etag, md5));
                }
            }
        }
        let mut digest = BodyDigest::new();
        let mut stream = self.source(&key, &etag, 0, meta.size);
        while let Some(block) = stream.next().await {
            digest.update(&block.map_err(|e| StorageError::Unavailable(e.to_string()))?);
        }
        let md5 = digest.finish_hex();
        self.record_md5(name, &md5, &etag).await;
        Ok((meta.size, etag, md5))
    }

    /// Writes the MD5 record of a stored object version; a record that fails to be written
    /// is made again by the first download.
    pub(super) async fn record_md5(&self, name: &str, md5: &str, etag: &str) {
        let record = format!("{md5} {etag}\n");
        if let Err(error) = self
            .store
            .put(
                &self.hidden("md5", name),
                PutPayload::from(record.into_bytes()),
            )
            .await
        {
            warn!(store = %self.url, %error, name, "cannot write an MD5 record");
        }
    }

    /// A ranged read of `start..end` of one version (`etag`) of an object.
    pub(super) fn source(&self, key: &Path, etag: &str, start: u64, end: u64) -> ObjectSource {
        ObjectSource {
            store: self.store.clone(),
            key: key.clone(),
            etag: etag.to_string(),
            pos: start,
            end,
            stream: None,
        }
    }

    /// Starts (or, with `resume`, goes on with) the multipart upload of `name`. A kept
    /// upload longer than `total` belongs to another file and is dropped.
    pub async fn begin_upload(
        self: &Arc<Self>,
        name: &str,
        resume: bool,
        total: u64,
    ) -> Result<BucketUpload, StorageError> {
        let key = self.key(name)?;
        if let Some(state) = self.read_state(name).await? {
            // Parts after a short one would make S3 refuse the whole: a kept upload goes
            // on only from whole parts (or is already complete).
            let whole_parts = state.parts.iter().all(|p| p.bytes == PART_SIZE as u64);
            if resume && (state.bytes() == total || whole_parts && state.bytes() < total) {
                if let Some(upload) = BucketUpload::resume(self.clone(), name, key.clone(), &state)
                {
                    return Ok(upload);
                }
            }
            self.drop_upload(name, &state).await;
        }
        let id = MultipartStore::create_multipart(&self.store, &key)
            .await
            .map_err(|e| self.failed("starting an upload", name, e))?;
        let upload = BucketUpload::start(self.clone(), name, key, id);
        upload.save_state().await?;
        self.recount_partials();
        Ok(upload)
    }

    /// The state of an unfinished upload of `name`, if one is kept.
    async fn read_state(&self, name: &str) -> Result<Option<UploadState>, StorageError> {
        let key = self.state_key(name)?;
        let bytes = match self.store.get(&key).await {
            Ok(found) => found
                .bytes()
                .await
                .map_err(|e| self.failed("reading an upload's state", name, e))?,
            Err(object_store::Error::NotFound { .. }) => return Ok(None),
            Err(e) => return Err(self.failed("reading an upload's state", name, e)),
        };
        // A state Seam cannot read is no upload to resume.
        Ok(serde_json::from_slice(&bytes).ok())
    }

    /// Aborts a kept upload and deletes its state.
    pub(super) async fn drop_upload(&self, name: &str, state: &UploadState) {
        if let Ok(key) = self.key(name) {
            if let Err(error) = self.store.abort_multipart(&key, &state.upload_id).await {
                warn!(store = %self.url, %error, name, "cannot abort a multipart upload");
            }
        }
        if let Ok(key) = self.state_key(name) {
            let _ = self.store.delete(&key).await;
        }
        self.recount_partials();
    }

    /// The unfinished uploads: name, bytes kept, and when their state was last written.
    async fn partials(&self) -> Result<Vec<(String, UploadState, SystemTime)>, StorageError> {
        let uploads = self.prefix.clone().join(".seam").join("uploads");
        let listed: Vec<_> = self
            .store
            .list(Some(&uploads))
            .try_collect()
            .await
            .map_err(|e| self.failed("listing unfinished uploads", "", e))?;
        let mut found = Vec::new();
        for meta in listed {
            let Some(name) = meta.location.filename().map(str::to_string) else {
                continue;
            };
            if validate_name(&name).is_err() {
                continue;
            }
            let Some(state) = self.read_state(&name).await.ok().flatten() else {
                continue;
            };
            let modified = SystemTime::UNIX_EPOCH
                + Duration::from_millis(meta.last_modified.timestamp_millis().max(0) as u64);
            found.push((name, state, modified));
        }
        Ok(found)
    }

    /// The unfinished uploads by name, sorted, with the bytes they keep.
    pub async fn list_partials(&self) -> Result<Vec<FileEntry>, StorageError> {
        let mut files: Vec<FileEntry> = self
            .partials()
            .await?
            .into_iter()
            .map(|(name, state, _)| FileEntry {
                name,
                bytes: state.bytes(),
            })
            .collect();
        files.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(files)
    }

    /// Removes the unfinished upload of `name`.
    pub async fn delete_partial(&self, name: &str) -> Result<(), StorageError> {
        match self.read_state(name).await? {
            Some(state) => {
                self.drop_upload(name, &state).await;
                Ok(())
            }
            None => Err(StorageError::NoPartial(name.into())),
        }
    }

    /// Bytes kept by unfinished uploads other than the one of `name`, counted at most once
    /// a second.
    pub async fn partial_bytes_besides(&self, name: &str) -> Result<u64, StorageError> {
        let cached = *self.partial_total.lock().unwrap_or_else(|e| e.into_inner());
        let own = self
            .read_state(name)
            .await?
            .map_or(0, |state| state.bytes());
        let total = match cached {
            Some((at, total)) if at.elapsed() < Duration::from_secs(1) => total,
            _ => {
                let total = self
                    .partials()
                    .await?
                    .iter()
                    .map(|(_, s, _)| s.bytes())
                    .sum();
                *self.partial_total.lock().unwrap_or_else(|e| e.into_inner()) =
                    Some((Instant::now(), total));
                total
            }
        };
        Ok(total.saturating_sub(own))
    }

    /// Forgets the counted total of unfinished uploads' bytes.
    pub(super) fn recount_partials(&self) {
        *self.partial_total.lock().unwrap_or_else(|e| e.into_inner()) = None;
    }

    /// Aborts the uploads whose state was not written for `ttl`, except those in `busy`.
    pub async fn sweep_partials(
        &self,
        ttl: Duration,
        busy: &HashSet<String>,
    ) -> Result<(usize, u64), StorageError> {
        let now = SystemTime::now();
        let (mut files, mut bytes) = (0, 0);
        for (name, state, modified) in self.partials().await? {
            let age = now.duration_since(modified).unwrap_or_default();
            if age < ttl || busy.contains(&name) {
                continue;
            }
            self.drop_upload(&name, &state).await;
            files += 1;
            bytes += state.bytes();
        }
        Ok((files, bytes))
    }
}

/// `path/name`, with the name unescaped as one key segment (a valid name holds no `/` and
/// no control character; anything else would be escaped).
fn child(path: &Path, name: &str) -> Path {
    match PathPart::parse(name) {
        Ok(part) => path.clone().join(part),
        Err(_) => path.clone().join(name),
    }
}

/// The MD5 in a record (`MD5 ETAG`), when it describes the object version `etag`.
fn md5_in(record: &[u8], etag: &str) -> Option<String> {
    let text = std::str::from_utf8(record).ok()?;
    let (md5, recorded) = text.trim_end().split_once(' ')?;
    let valid = md5.len() == 32 && md5.bytes().all(|b| b.is_ascii_hexdigit());
    (valid && !etag.is_empty() && recorded == etag).then(|| md5.to_string())
}

/// Reads a range of one object version as a stream of blocks; it can let go of its
/// connection while the client does not read ([`ObjectSource::pause_at`]) and go on with a
/// new ranged GET from where the client is.
pub struct ObjectSource {
    store: AmazonS3,
    key: Path,
    etag: String,
    pos: u64,
    end: u64,
    stream: Option<BoxStream<'static, object_store::Result<Bytes>>>,
}

impl ObjectSource {
    /// The next block, or `None` once the range was given.
    pub async fn next(&mut self) -> Option<std::io::Result<Bytes>> {
        if self.pos >= self.end {
            return None;
        }
        if self.stream.is_none() {
            let options = GetOptions {
                range: Some(GetRange::Bounded(self.pos..self.end)),
                // Another version under the name (replaced meanwhile) is an error, not a mix.
                if_match: (!self.etag.is_empty()).then(|| self.etag.clone()),
                ..GetOptions::default()
            };
            match self.store.get_opts(&self.key, options).await {
                Ok(result) => self.stream = Some(result.into_stream()),
                Err(e) => return Some(Err(std::io::Error::other(e))),
            }
        }
        let stream = self.stream.as_mut()?;
        match stream.next().await {
            Some(Ok(block)) => {
                self.pos += block.len() as u64;
                Some(Ok(block))
            }
            Some(Err(e)) => Some(Err(std::io::Error::other(e))),
            None => Some(Err(std::io::Error::other("the object ended early"))),
        }
    }

    /// Closes the connection to the store; the next block is read from `pos`.
    pub fn pause_at(&mut self, pos: u64) {
        self.stream = None;
        self.pos = pos;
    }
}
