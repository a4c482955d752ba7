//! An upload into the bucket: the body goes out as the parts of an S3 multipart upload,
//! hashed (MD5) as it arrives. The object appears only when the upload is completed, after
//! the client's MD5 matched; a mismatch aborts it. Nothing is ever half visible.
//!
//! Memory: a part fills from small blocks that grow while bytes flow (a trickling client
//! holds little); a full part ([`PART_SIZE`]) goes to the store while the next fills, at
//! most [`PARTS_PER_UPLOAD`] per upload and `PARTS_IN_FLIGHT` per server. A client that
//! stalls makes the upload write its unfinished part to a spool file (unlinked, on the
//! server's disk) and let go of every buffer, so a thousand stalled clients hold no part
//! memory; the spooled bytes are read back when the part is sent.
//!
//! Resume: after each part the store has taken, the upload's state object
//! (`.seam/uploads/NAME`) records the multipart upload id, the parts done (ETag and size)
//! and the MD5 state after them. S3 cannot hand back the parts of an unfinished upload to be
//! rehashed, so the MD5 state itself is saved: md-5 0.11's `SerializableState` (parts are
//! multiples of 64 bytes, so the saved state holds no buffered block). Any server sharing
//! the bucket resumes from there: `ready` offers the bytes of the parts done.

use std::collections::VecDeque;
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use bytes::Bytes;
use md5_resumable::digest::common::hazmat::{SerializableState, SerializedState};
use md5_resumable::{Digest, Md5};
use object_store::multipart::{MultipartStore, PartId};
use object_store::path::Path;
use object_store::{MultipartId, ObjectStoreExt, PutPayload};
use serde::{Deserialize, Serialize};
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tracing::warn;

use super::bucket::Bucket;
use super::StoreFailure;
use crate::server::storage::StorageError;
use crate::transfer::file_work;

/// Bytes of every part but the last: above S3's 5 MiB minimum, a multiple of 64 (MD5's
/// block), all equal (as Cloudflare R2 requires).
pub const PART_SIZE: usize = 8 << 20;
/// Parts of one upload being sent at once (S3 takes parts in parallel; the AWS CLI sends 10).
const PARTS_PER_UPLOAD: usize = 4;
/// The first block a part fills, also after a stall.
const FIRST_BLOCK: usize = 4 * 1024;
/// The largest block a part fills at once.
const MAX_BLOCK: usize = 256 * 1024;
/// Most bytes of unfinished parts all uploads of the server hold in memory together; past
/// it, an upload writes its part to its spool instead (clients that trickle bytes without
/// ever stalling, a thousand of them, hold no more than this).
const HELD_BUDGET: usize = 32 << 20;

/// Bytes of unfinished parts held in memory by all uploads (see [`HELD_BUDGET`]).
static HELD: AtomicUsize = AtomicUsize::new(0);

/// What the state object of an unfinished upload holds.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct UploadState {
    /// The multipart upload's id.
    pub upload_id: MultipartId,
    /// The parts done, in order.
    pub parts: Vec<DonePart>,
    /// The MD5 state after the parts done, in hex (md-5 0.11's serialized state).
    pub md5_state: String,
}

impl UploadState {
    /// Bytes of the parts done.
    pub fn bytes(&self) -> u64 {
        self.parts.iter().map(|part| part.bytes).sum()
    }
}

/// A part the store has taken.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DonePart {
    /// The ETag the store gave it.
    pub etag: String,
    /// Its size.
    pub bytes: u64,
}

/// A part being sent: its size, the MD5 state after it, and the request.
struct Sending {
    bytes: u64,
    md5_after: String,
    request: JoinHandle<object_store::Result<PartId>>,
}

/// An upload into the bucket; see the module docs.
pub struct BucketUpload {
    bucket: Arc<Bucket>,
    name: String,
    key: Path,
    state: UploadState,
    /// MD5 of every byte received.
    digest: Md5,
    /// Bytes received (of the parts done, sent, and of the part filling).
    received: u64,
    /// The part filling: bytes spooled to disk, then full blocks, then the block filling.
    spool: Option<File>,
    spooled: usize,
    blocks: Vec<Bytes>,
    blocks_len: usize,
    block: Vec<u8>,
    filled: usize,
    next_block: usize,
    sending: VecDeque<Sending>,
    /// The task that writes the state object, and the latest state for it: the state is
    /// written beside the parts, never in their way.
    states: Option<(watch::Sender<UploadState>, JoinHandle<()>)>,
    /// The first failure, repeated by every later call.
    failed: Option<String>,
}

impl BucketUpload {
    /// A new upload with the multipart upload `id`.
    pub fn start(bucket: Arc<Bucket>, name: &str, key: Path, id: MultipartId) -> BucketUpload {
        let digest = Md5::new();
        let state = UploadState {
            upload_id: id,
            parts: Vec::new(),
            md5_state: save(&digest),
        };
        BucketUpload::with(bucket, name, key, state, digest)
    }

    /// Goes on with a kept upload; `None` when its MD5 state cannot be read back.
    pub fn resume(
        bucket: Arc<Bucket>,
        name: &str,
        key: Path,
        state: &UploadState,
    ) -> Option<BucketUpload> {
        let digest = restore(&state.md5_state)?;
        Some(BucketUpload::with(bucket, name, key, state.clone(), digest))
    }

    fn with(
        bucket: Arc<Bucket>,
        name: &str,
        key: Path,
        state: UploadState,
        digest: Md5,
    ) -> BucketUpload {
        BucketUpload {
            received: state.bytes(),
            bucket,
            name: name.to_string(),
            key,
            state,
            digest,
            spool: None,
            spooled: 0,
            blocks: Vec::new(),
            blocks_len: 0,
            block: Vec::new(),
            filled: 0,
            next_block: FIRST_BLOCK,
            sending: VecDeque::new(),
            states: None,
            failed: None,
        }
    }

    /// Bytes received so far (after a [`BucketUpload::suspend`]: bytes kept).
    pub fn len(&self) -> u64 {
        self.received
    }

    /// The MD5 of the bytes received, in lower-case hex.
    pub fn md5_hex(&self) -> String {
        let digest = self.digest.clone().finalize();
        digest.iter().map(|b| format!("{b:02x}")).collect()
    }

    fn part_len(&self) -> usize {
        self.spooled + self.blocks_len + self.filled
    }

    /// The unfilled part of the current block: read into it, then call
    /// [`BucketUpload::advance`].
    pub fn spare(&mut self) -> &mut [u8] {
        if self.block.is_empty() {
            let room = PART_SIZE - self.part_len();
            self.block = vec![0; self.next_block.min(room)];
            self.next_block = (self.next_block * 2).min(MAX_BLOCK);
        }
        &mut self.block[self.filled..]
    }

    /// Counts (and hashes) `n` bytes written into [`BucketUpload::spare`]; a full part goes
    /// to the store.
    pub async fn advance(&mut self, n: usize) -> io::Result<()> {
        self.digest
            .update(&self.block[self.filled..self.filled + n]);
        self.filled += n;
        self.received += n as u64;
        if self.filled == self.block.len() {
            self.seal_block();
            if self.part_len() == PART_SIZE {
                self.send_part().await?;
            } else if HELD.load(Ordering::Relaxed) > HELD_BUDGET {
                self.spill().await?;
            }
        }
        Ok(())
    }

    /// Moves the block filling (its filled bytes) to the part's full blocks.
    fn seal_block(&mut self) {
        if self.filled > 0 {
            let mut block = std::mem::take(&mut self.block);
            block.truncate(self.filled);
            self.blocks_len += block.len();
            HELD.fetch_add(block.len(), Ordering::Relaxed);
            self.blocks.push(Bytes::from(block));
        }
        self.block = Vec::new();
        self.filled = 0;
    }

    fn check(&self) -> io::Result<()> {
        match &self.failed {
            Some(message) => Err(io::Error::other(StoreFailure(message.clone()))),
            None => Ok(()),
        }
    }

    /// Sends the part filled so far (the spooled bytes first), once fewer than
    /// [`PARTS_PER_UPLOAD`] of this upload are on their way.
    async fn send_part(&mut self) -> io::Result<()> {
        self.check()?;
        while self.sending.len() >= PARTS_PER_UPLOAD {
            self.settle_first().await?;
        }
        // The part's memory is counted as in flight from here (the server-wide permit).
        let permit = self
            .bucket
            .parts_in_flight
            .clone()
            .acquire_owned()
            .await
            .map_err(io::Error::other)?;
        let mut chunks = Vec::with_capacity(self.blocks.len() + 1);
        if let Some(spool) = self.spool.take().filter(|_| self.spooled > 0) {
            let len = self.spooled;
            let (spool, bytes) = file_work(move || read_spool(spool, len)).await??;
            self.spool = Some(spool);
            chunks.push(Bytes::from(bytes));
        }
        chunks.append(&mut self.blocks);
        let bytes = self.part_len() as u64;
        HELD.fetch_sub(self.blocks_len, Ordering::Relaxed);
        self.spooled = 0;
        self.blocks_len = 0;
        let payload = PutPayload::from_iter(chunks);
        let index = self.state.parts.len() + self.sending.len();
        let (bucket, key, id) = (
            self.bucket.clone(),
            self.key.clone(),
            self.state.upload_id.clone(),
        );
        let request = tokio::spawn(async move {
            let _permit = permit;
            bucket.store().put_part(&key, &id, index, payload).await
        });
        self.sending.push_back(Sending {
            bytes,
            md5_after: save(&self.digest),
            request,
        });
        Ok(())
    }

    /// Waits for the first part on its way and records it in the state object.
    async fn settle_first(&mut self) -> io::Result<()> {
        let Some(sending) = self.sending.pop_front() else {
            return Ok(());
        };
        let done = match sending.request.await {
            Ok(Ok(part)) => part,
            Ok(Err(error)) => return Err(self.fail("sending a part", error.to_string())),
            Err(error) => return Err(self.fail("sending a part", error.to_string())),
        };
        self.state.parts.push(DonePart {
            etag: done.content_id,
            bytes: sending.bytes,
        });
        self.state.md5_state = sending.md5_after;
        self.publish_state();
        Ok(())
    }

    /// Hands the state to the task that writes it (started on first use); only the latest
    /// state is written when several come while one is being written.
    fn publish_state(&mut self) {
        if let Some((latest, _)) = &self.states {
            latest.send_replace(self.state.clone());
            return;
        }
        let (latest, mut changes) = watch::channel(self.state.clone());
        changes.mark_changed();
        let (bucket, name) = (self.bucket.clone(), self.name.clone());
        let writer = tokio::spawn(async move {
            while changes.changed().await.is_ok() {
                let state = changes.borrow_and_update().clone();
                if let Err(error) = put_state(&bucket, &name, &state).await {
                    warn!(%error, name, "cannot save an upload's state");
                }
            }
        });
        self.states = Some((latest, writer));
    }

    /// Waits until the latest state is written (and stops its writer).
    async fn flush_state(&mut self) {
        if let Some((latest, writer)) = self.states.take() {
            drop(latest);
            let _ = writer.await;
        }
    }

    /// Remembers (and logs) the first failure.
    fn fail(&mut self, doing: &str, error: String) -> io::Error {
        warn!(store = %self.bucket.url(), name = %self.name, %error, "{doing} failed");
        let message = format!(
            "the server's file store is unavailable ({doing} to {} failed); try again later",
            self.bucket.url()
        );
        self.failed = Some(message.clone());
        io::Error::other(StoreFailure(message))
    }

    /// Writes the state object (at the start, before any part).
    pub async fn save_state(&self) -> Result<(), StorageError> {
        put_state(&self.bucket, &self.name, &self.state).await
    }

    /// Whether the upload holds no buffer.
    pub fn is_released(&self) -> bool {
        self.block.is_empty() && self.blocks.is_empty() && self.sending.is_empty()
    }

    /// For a client that stalls: waits for the parts on their way, spools the part filling
    /// to disk and lets go of every buffer.
    pub async fn release(&mut self) -> io::Result<()> {
        self.seal_block();
        while !self.sending.is_empty() {
            self.settle_first().await?;
        }
        // A resume, here or through another server, sees every part done.
        self.flush_state().await;
        self.spill().await?;
        self.next_block = FIRST_BLOCK;
        Ok(())
    }

    /// Writes the part's full blocks to the spool and lets go of them.
    async fn spill(&mut self) -> io::Result<()> {
        if self.blocks.is_empty() {
            return Ok(());
        }
        let blocks = std::mem::take(&mut self.blocks);
        HELD.fetch_sub(self.blocks_len, Ordering::Relaxed);
        let spool = match self.spool.take() {
            Some(spool) => spool,
            None => {
                let dir = self.bucket.spool_dir().to_path_buf();
                file_work(move || new_spool(&dir)).await??
            }
        };
        let at = self.spooled as u64;
        let spool = file_work(move || {
            let mut spool = spool;
            spool.seek(SeekFrom::Start(at))?;
            for block in &blocks {
                spool.write_all(block)?;
            }
            Ok::<_, io::Error>(spool)
        })
        .await??;
        self.spool = Some(spool);
        self.spooled += self.blocks_len;
        self.blocks_len = 0;
        Ok(())
    }

    /// The whole body arrived: sends the last part and waits for every part.
    pub async fn finish(&mut self) -> io::Result<()> {
        self.seal_block();
        let nothing_sent = self.state.parts.is_empty() && self.sending.is_empty();
        if self.part_len() > 0 || nothing_sent {
            self.send_part().await?;
        }
        while !self.sending.is_empty() {
            self.settle_first().await?;
        }
        Ok(())
    }

    /// The body stopped early (the client went away): keeps the parts the store takes, drops
    /// the part filling; a resume goes on after the parts done.
    pub async fn suspend(&mut self) {
        while !self.sending.is_empty() {
            if self.settle_first().await.is_err() {
                self.sending.clear();
            }
        }
        self.flush_state().await;
        self.spool = None;
        self.spooled = 0;
        self.blocks.clear();
        HELD.fetch_sub(self.blocks_len, Ordering::Relaxed);
        self.blocks_len = 0;
        self.block = Vec::new();
        self.filled = 0;
        self.received = self.state.bytes();
        if let Some(digest) = restore(&self.state.md5_state) {
            self.digest = digest;
        }
    }

    /// Completes the upload: the object appears whole, with its MD5 recorded.
    pub async fn commit(mut self) -> Result<(), StorageError> {
        // No state write may come after the state's deletion below.
        self.flush_state().await;
        if let Some(message) = &self.failed {
            return Err(StorageError::Unavailable(message.clone()));
        }
        let parts = self
            .state
            .parts
            .iter()
            .map(|part| PartId {
                content_id: part.etag.clone(),
            })
            .collect();
        let stored = self
            .bucket
            .store()
            .complete_multipart(&self.key, &self.state.upload_id, parts)
            .await
            .map_err(|e| self.bucket.failed("completing an upload", &self.name, e))?;
        let md5 = self.md5_hex();
        self.bucket
            .record_md5(&self.name, &md5, stored.e_tag.as_deref().unwrap_or(""))
            .await;
        if let Ok(key) = self.bucket.state_key(&self.name) {
            let _ = self.bucket.store().delete(&key).await;
        }
        self.bucket.recount_partials();
        Ok(())
    }

    /// Aborts the upload (its bytes are known to be wrong): nothing of it stays.
    pub async fn discard(mut self) {
        for sending in std::mem::take(&mut self.sending) {
            let _ = sending.request.await;
        }
        self.flush_state().await;
        let state = self.state.clone();
        self.bucket.drop_upload(&self.name, &state).await;
    }
}

impl Drop for BucketUpload {
    fn drop(&mut self) {
        HELD.fetch_sub(self.blocks_len, Ordering::Relaxed);
    }
}

/// Writes the state object of the upload of `name`.
async fn put_state(bucket: &Bucket, name: &str, state: &UploadState) -> Result<(), StorageError> {
    let key = bucket.state_key(name)?;
    let json = serde_json::to_vec(state).map_err(io::Error::other)?;
    bucket
        .store()
        .put(&key, PutPayload::from(json))
        .await
        .map_err(|e| bucket.failed("saving an upload's state", name, e))?;
    Ok(())
}

/// The MD5 state in hex.
fn save(digest: &Md5) -> String {
    digest
        .serialize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// An MD5 state from [`save`]'s hex.
fn restore(hex: &str) -> Option<Md5> {
    if hex.len() % 2 != 0 || !hex.is_ascii() {
        return None;
    }
    let bytes: Vec<u8> = (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).ok())
        .collect::<Option<_>>()?;
    let state = SerializedState::<Md5>::try_from(bytes.as_slice()).ok()?;
    Md5::deserialize(&state).ok()
}

/// A spool file in `dir`, unlinked at once: it goes away with the upload, whatever happens.
fn new_spool(dir: &std::path::Path) -> io::Result<File> {
    static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let path = dir.join(format!(".seam-spool-{}-{n}", std::process::id()));
    let file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create_new(true)
        .open(&path)?;
    std::fs::remove_file(&path)?;
    Ok(file)
}

/// The first `len` bytes of the spool, which is then emptied for the next part.
fn read_spool(mut spool: File, len: usize) -> io::Result<(File, Vec<u8>)> {
    let mut bytes = vec![0; len];
    spool.seek(SeekFrom::Start(0))?;
    spool.read_exact(&mut bytes)?;
    spool.set_len(0)?;
    Ok((spool, bytes))
}
