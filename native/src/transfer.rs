//! Moving file bytes while hashing them, on a thread of their own, so that one core hashes
//! while the other moves bytes through the socket. Used by the server and the client alike.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom, Write};

use seam_core::BodyDigest;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// Size of the buffers passed between the socket side and the file side.
const BLOCK: usize = 1 << 20;
/// Buffers in flight at once: memory per transfer is at most `BLOCK * (DEPTH + 2)`.
const DEPTH: usize = 4;

/// Writes body bytes to a file and hashes them on a blocking thread. Bytes are read straight
/// into a block ([`FileSink::spare`]), and a full block goes to the thread while the next
/// one fills.
pub struct FileSink {
    block: Vec<u8>,
    filled: usize,
    to_thread: Option<mpsc::Sender<Vec<u8>>>,
    spare_blocks: mpsc::Receiver<Vec<u8>>,
    thread: JoinHandle<io::Result<(File, BodyDigest)>>,
}

impl FileSink {
    /// Starts writing at the file's current position; `digest` already covers what is before.
    pub fn start(mut file: File, mut digest: BodyDigest) -> FileSink {
        let (to_thread, mut from_async) = mpsc::channel::<Vec<u8>>(DEPTH);
        let (give_back, spare_blocks) = mpsc::channel::<Vec<u8>>(DEPTH + 2);
        let thread = tokio::task::spawn_blocking(move || {
            while let Some(block) = from_async.blocking_recv() {
                digest.update(&block);
                file.write_all(&block)?;
                let _ = give_back.try_send(block);
            }
            Ok((file, digest))
        });
        FileSink {
            block: vec![0; BLOCK],
            filled: 0,
            to_thread: Some(to_thread),
            spare_blocks,
            thread,
        }
    }

    /// The unfilled part of the current block: read into it, then call [`FileSink::advance`].
    pub fn spare(&mut self) -> &mut [u8] {
        &mut self.block[self.filled..]
    }

    /// Counts `n` bytes written into [`FileSink::spare`]; a full block goes to the thread.
    pub async fn advance(&mut self, n: usize) -> io::Result<()> {
        self.filled += n;
        if self.filled == BLOCK {
            self.send_block().await?;
        }
        Ok(())
    }

    async fn send_block(&mut self) -> io::Result<()> {
        let mut next = self.spare_blocks.try_recv().unwrap_or_default();
        // Recycled blocks keep their length, so this zeroes memory only the first time.
        next.resize(BLOCK, 0);
        let mut block = std::mem::replace(&mut self.block, next);
        block.truncate(self.filled);
        self.filled = 0;
        let sender = self.to_thread.as_ref().expect("sender lives until finish");
        if sender.send(block).await.is_err() {
            // The thread stopped early: its error is reported by `finish`.
            return Err(io::Error::other("file writer stopped"));
        }
        Ok(())
    }

    /// Writes what is left and returns the file and the digest of everything written.
    pub async fn finish(mut self) -> io::Result<(File, BodyDigest)> {
        if self.filled > 0 {
            // An error here shows up again, with its cause, from the thread's result.
            let _ = self.send_block().await;
        }
        drop(self.to_thread.take());
        self.thread.await.map_err(io::Error::other)?
    }
}

/// Reads `len` bytes of a file from its current position on a blocking thread, hashing
/// them, and hands them over in blocks.
pub struct FileSource {
    blocks: mpsc::Receiver<io::Result<Vec<u8>>>,
    give_back: mpsc::Sender<Vec<u8>>,
    thread: JoinHandle<BodyDigest>,
}

impl FileSource {
    /// Starts reading; `digest` already covers the bytes before the current position.
    pub fn start(mut file: File, len: u64, mut digest: BodyDigest) -> FileSource {
        let (to_async, blocks) = mpsc::channel::<io::Result<Vec<u8>>>(DEPTH);
        let (give_back, mut spare) = mpsc::channel::<Vec<u8>>(DEPTH + 2);
        let thread = tokio::task::spawn_blocking(move || {
            let mut left = len;
            while left > 0 {
                // Recycled blocks keep their length: zeroing happens only for new ones.
                let mut block = spare.try_recv().unwrap_or_default();
                let want = left.min(BLOCK as u64) as usize;
                block.resize(want, 0);
                let result = read_exactly(&mut file, &mut block);
                let failed = result.is_err();
                if let Ok(()) = result {
                    digest.update(&block);
                    left -= want as u64;
                }
                let message = result.map(|()| block);
                if to_async.blocking_send(message).is_err() || failed {
                    break;
                }
            }
            digest
        });
        FileSource {
            blocks,
            give_back,
            thread,
        }
    }

    /// The next block, or `None` once `len` bytes were given.
    pub async fn next(&mut self) -> Option<io::Result<Vec<u8>>> {
        self.blocks.recv().await
    }

    /// Returns a block for reuse.
    pub fn recycle(&self, block: Vec<u8>) {
        let _ = self.give_back.try_send(block);
    }

    /// The digest of everything before the start position and every byte read.
    pub async fn finish(self) -> io::Result<BodyDigest> {
        drop(self.blocks);
        self.thread.await.map_err(io::Error::other)
    }
}

fn read_exactly(file: &mut File, buf: &mut [u8]) -> io::Result<()> {
    file.read_exact(buf).map_err(|e| {
        if e.kind() == io::ErrorKind::UnexpectedEof {
            io::Error::new(e.kind(), "the file shrank while it was being sent")
        } else {
            e
        }
    })
}

/// Feeds the first `len` bytes of `file` into `digest`, leaving the file positioned after them.
pub fn hash_prefix(file: &mut File, len: u64, digest: &mut BodyDigest) -> io::Result<()> {
    file.seek(SeekFrom::Start(0))?;
    let mut buf = vec![0u8; 256 * 1024];
    let mut left = len;
    while left > 0 {
        let want = left.min(buf.len() as u64) as usize;
        read_exactly(file, &mut buf[..want])?;
        digest.update(&buf[..want]);
        left -= want as u64;
    }
    Ok(())
}
