//! Moving file bytes between a socket and a file, used by the server and the client alike.
//!
//! No transfer owns a thread: each block's file work (write or read, and its MD5) is one job
//! on a small bounded pool ([`file_work`]), so thousands of transfers waiting on the network
//! hold no thread and cannot starve the others. One block is in the pool while the next one
//! moves through the socket, so one core hashes while the other moves bytes. Blocks start
//! small and double up to [`BLOCK`] while bytes keep flowing, so a transfer that trickles or
//! stalls never holds a large buffer.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::sync::Arc;

use seam_core::BodyDigest;
use tokio::sync::Semaphore;
use tokio::task::JoinHandle;

/// Largest block handed to the file pool at once.
pub const BLOCK: usize = 1 << 20;
/// The first block a sink fills, also after a stall: all a stalled upload holds.
const FIRST_SINK_BLOCK: usize = 4 * 1024;
/// The first block a source reads, also after a pause (large enough to be mapped on its
/// own, so that it goes back to the system when freed).
const FIRST_SOURCE_BLOCK: usize = 128 * 1024;
/// File jobs running at once, whatever the number of transfers.
const FILE_WORKERS: usize = 8;

static FILE_POOL: Semaphore = Semaphore::const_new(FILE_WORKERS);

/// Runs blocking file work on the bounded file pool: waits for a free worker, then runs
/// `work` on a blocking thread. The worker stays taken until `work` returns, even when the
/// caller stops waiting.
pub async fn file_work<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> io::Result<T> {
    let permit = FILE_POOL.acquire().await.map_err(io::Error::other)?;
    tokio::task::spawn_blocking(move || {
        let _worker = permit;
        work()
    })
    .await
    .map_err(io::Error::other)
}

/// A block being written, with the file and digest it will hand back.
type Written = JoinHandle<io::Result<(File, BodyDigest, Vec<u8>)>>;

/// Writes body bytes to a file and hashes them, one block at a time on the file pool. Bytes
/// are read straight into a block ([`FileSink::spare`]); a full block goes to the pool
/// while the next one fills.
pub struct FileSink {
    block: Vec<u8>,
    filled: usize,
    /// The file and digest while no block is being written.
    idle: Option<(File, BodyDigest)>,
    writing: Option<Written>,
    /// The first write error, repeated by every later call.
    failed: Option<(io::ErrorKind, String)>,
}

impl FileSink {
    /// Starts writing at the file's current position; `digest` already covers what is before.
    pub fn start(file: File, digest: BodyDigest) -> FileSink {
        FileSink {
            block: Vec::new(),
            filled: 0,
            idle: Some((file, digest)),
            writing: None,
            failed: None,
        }
    }

    /// The unfilled part of the current block: read into it, then call [`FileSink::advance`].
    pub fn spare(&mut self) -> &mut [u8] {
        if self.block.is_empty() {
            self.block = zeroed(FIRST_SINK_BLOCK);
        }
        &mut self.block[self.filled..]
    }

    /// Counts `n` bytes written into [`FileSink::spare`]. A full block doubles while it is
    /// below [`BLOCK`], else goes to the pool.
    pub async fn advance(&mut self, n: usize) -> io::Result<()> {
        self.filled += n;
        if self.filled == self.block.len() {
            if self.block.len() < BLOCK {
                let mut bigger = zeroed((self.block.len() * 2).min(BLOCK));
                bigger[..self.filled].copy_from_slice(&self.block[..self.filled]);
                self.block = bigger;
            } else {
                self.submit().await?;
            }
        }
        Ok(())
    }

    /// Whether the sink holds no buffer (at the start, and after [`FileSink::release`]).
    pub fn is_released(&self) -> bool {
        self.block.is_empty() && self.writing.is_none()
    }

    /// Waits for the block being written, if any, and takes the file and digest back.
    async fn settle(&mut self) -> io::Result<Option<Vec<u8>>> {
        if let Some((kind, text)) = &self.failed {
            return Err(io::Error::new(*kind, text.clone()));
        }
        let Some(writing) = self.writing.take() else {
            return Ok(None);
        };
        match writing
            .await
            .map_err(io::Error::other)
            .and_then(|done| done)
        {
            Ok((file, digest, spare)) => {
                self.idle = Some((file, digest));
                Ok(Some(spare))
            }
            Err(error) => {
                self.failed = Some((error.kind(), error.to_string()));
                Err(error)
            }
        }
    }

    /// Hands the filled part of the current block to the pool.
    async fn submit(&mut self) -> io::Result<()> {
        let spare = self.settle().await?;
        let (mut file, mut digest) = self
            .idle
            .take()
            .ok_or_else(|| io::Error::other("the file writer stopped"))?;
        let size = self.block.len();
        // A recycled block keeps its length: zeroing happens only for new memory.
        let mut next = spare
            .filter(|spare| spare.len() >= size)
            .unwrap_or_else(|| zeroed(size));
        next.truncate(size);
        let mut block = std::mem::replace(&mut self.block, next);
        block.truncate(self.filled);
        self.filled = 0;
        self.writing = Some(tokio::spawn(async move {
            file_work(move || {
                digest.update(&block);
                file.write_all(&block)?;
                Ok((file, digest, block))
            })
            .await?
        }));
        Ok(())
    }

    /// Writes every byte received so far and lets go of the buffers: for a transfer that
    /// waits on the network, which then holds no block at all.
    pub async fn release(&mut self) -> io::Result<()> {
        if self.filled > 0 {
            self.submit().await?;
        }
        self.settle().await?;
        self.block = Vec::new();
        Ok(())
    }

    /// Writes what is left and returns the file and the digest of everything written.
    pub async fn finish(mut self) -> io::Result<(File, BodyDigest)> {
        if self.filled > 0 {
            self.submit().await?;
        }
        self.settle().await?;
        self.idle
            .take()
            .ok_or_else(|| io::Error::other("the file writer stopped"))
    }
}

/// A block being read: its bytes and the digest that now covers them.
type Reading = JoinHandle<io::Result<(Vec<u8>, Option<BodyDigest>)>>;

/// Reads a range of a file in blocks on the file pool, one block ahead of the caller, and
/// hashes them when asked to.
pub struct FileSource {
    file: Arc<File>,
    /// Where the next block to read starts.
    pos: u64,
    end: u64,
    next_len: usize,
    /// The digest while no block is being read (`None` when not hashing).
    digest: Option<BodyDigest>,
    hashing: bool,
    ahead: Option<Reading>,
    spare: Option<Vec<u8>>,
}

impl FileSource {
    /// Reads `file` from `start` to `end`. With `digest` (which covers the bytes before
    /// `start`), every block read is hashed too.
    pub fn start(file: File, start: u64, end: u64, digest: Option<BodyDigest>) -> FileSource {
        let mut source = FileSource {
            file: Arc::new(file),
            pos: start,
            end,
            next_len: FIRST_SOURCE_BLOCK,
            hashing: digest.is_some(),
            digest,
            ahead: None,
            spare: None,
        };
        source.read_ahead();
        source
    }

    fn read_ahead(&mut self) {
        if self.pos >= self.end || self.ahead.is_some() {
            return;
        }
        let want = (self.end - self.pos).min(self.next_len as u64) as usize;
        self.next_len = (self.next_len * 2).min(BLOCK);
        let mut block = self
            .spare
            .take()
            .filter(|spare| spare.len() >= want)
            .unwrap_or_else(|| zeroed(want));
        block.truncate(want);
        let (file, at, mut digest) = (self.file.clone(), self.pos, self.digest.take());
        self.pos += want as u64;
        self.ahead = Some(tokio::spawn(async move {
            file_work(move || {
                read_exactly_at(&file, &mut block, at)?;
                if let Some(digest) = &mut digest {
                    digest.update(&block);
                }
                Ok((block, digest))
            })
            .await?
        }));
    }

    /// The next block, or `None` once the range was given.
    pub async fn next(&mut self) -> Option<io::Result<Vec<u8>>> {
        let ahead = self.ahead.take()?;
        let (block, digest) = match ahead.await.map_err(io::Error::other) {
            Ok(Ok(done)) => done,
            Ok(Err(e)) | Err(e) => return Some(Err(e)),
        };
        self.digest = digest;
        self.read_ahead();
        Some(Ok(block))
    }

    /// Returns a block for reuse.
    pub fn recycle(&mut self, block: Vec<u8>) {
        self.spare = Some(block);
    }

    /// Drops every buffer and the block read ahead, and goes on from `pos` with a small
    /// block when [`FileSource::resume`] is called: for a transfer whose peer stopped
    /// reading. Only for a source that does not hash (hashing needs every block in order).
    pub fn pause_at(&mut self, pos: u64) {
        debug_assert!(!self.hashing);
        self.ahead = None;
        self.spare = None;
        self.pos = pos;
        self.next_len = FIRST_SOURCE_BLOCK;
    }

    /// Starts reading again after [`FileSource::pause_at`].
    pub fn resume(&mut self) {
        self.read_ahead();
    }

    /// The digest of everything before the start position and every byte read (`None`
    /// when not hashing).
    pub fn finish(self) -> Option<BodyDigest> {
        self.digest
    }
}

/// A new block of zeroes (from zeroed memory: large ones cost no writes until used).
fn zeroed(len: usize) -> Vec<u8> {
    vec![0; len]
}

fn read_exactly_at(file: &File, buf: &mut [u8], at: u64) -> io::Result<()> {
    #[cfg(unix)]
    let result = std::os::unix::fs::FileExt::read_exact_at(file, buf, at);
    #[cfg(not(unix))]
    let result = {
        let mut file = file;
        file.seek(SeekFrom::Start(at))
            .and_then(|_| file.read_exact(buf))
    };
    result.map_err(shrank)
}

fn shrank(e: io::Error) -> io::Error {
    if e.kind() == io::ErrorKind::UnexpectedEof {
        io::Error::new(e.kind(), "the file shrank while it was being sent")
    } else {
        e
    }
}

/// Feeds the first `len` bytes of `file` into `digest`, leaving the file positioned after
/// them. Blocking: run it on [`file_work`].
pub fn hash_prefix(file: &mut File, len: u64, digest: &mut BodyDigest) -> io::Result<()> {
    file.seek(SeekFrom::Start(0))?;
    let mut buf = vec![0u8; 256 * 1024];
    let mut left = len;
    while left > 0 {
        let want = left.min(buf.len() as u64) as usize;
        file.read_exact(&mut buf[..want]).map_err(shrank)?;
        digest.update(&buf[..want]);
        left -= want as u64;
    }
    Ok(())
}
