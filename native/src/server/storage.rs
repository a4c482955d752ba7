//! The server's files: which names are allowed, where uploads are written while they
//! arrive, how a verified upload becomes visible (temp file, fsync, rename), the MD5 kept
//! beside each stored file, and the lifetime of abandoned partial files.

use std::collections::HashSet;
use std::fs::{File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use seam_core::messages::FileEntry;
use seam_core::names::{partial_name, validate_name};
use seam_core::BodyDigest;
use thiserror::Error;

use crate::atomic_file::atomic_commit;

/// Why a storage operation failed.
#[derive(Debug, Error)]
pub enum StorageError {
    /// The name is not allowed.
    #[error("bad name: {0}")]
    BadName(#[from] seam_core::names::NameError),
    /// No such file.
    #[error("no file named \"{0}\"")]
    NotFound(String),
    /// No partial upload of that name.
    #[error("no partial upload of \"{0}\"")]
    NoPartial(String),
    /// The path is a symbolic link or not a regular file.
    #[error("\"{0}\" is not a regular file in the root")]
    NotRegular(String),
    /// The file exists and replacing it was not asked for.
    #[error("\"{0}\" exists; use --force to replace it")]
    Exists(String),
    /// The file system failed.
    #[error("storage error: {0}")]
    Io(#[from] io::Error),
    /// The object store failed (unreachable, bad credentials, no bucket, throttling, after
    /// retries); what it said is in the server's log.
    #[error("the server's file store is unavailable ({0}); try again later")]
    Unavailable(String),
}

/// The folder the server serves.
#[derive(Debug, Clone)]
pub struct Root {
    dir: PathBuf,
    /// The bytes all partial files held when last counted, and when.
    partial_total: Arc<Mutex<Option<(Instant, u64)>>>,
}

impl Root {
    /// Opens (creating it if needed) the root folder.
    pub fn open(dir: &Path) -> io::Result<Root> {
        std::fs::create_dir_all(dir)?;
        Ok(Root {
            dir: dir.canonicalize()?,
            partial_total: Arc::default(),
        })
    }

    /// The root's canonical path.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn path(&self, name: &str) -> Result<PathBuf, StorageError> {
        Ok(self.dir.join(validate_name(name)?))
    }

    fn partial_path(&self, name: &str) -> Result<PathBuf, StorageError> {
        Ok(self.dir.join(partial_name(validate_name(name)?)))
    }

    fn md5_path(&self, name: &str) -> Result<PathBuf, StorageError> {
        Ok(self.dir.join(md5_name(validate_name(name)?)))
    }

    /// The MD5 of the stored file `name`, whose open handle is `file`: read from the
    /// hidden record written when the file was stored (`.NAME.seam-md5`), which holds the
    /// file's size, modification time and inode and counts only while all three still
    /// match. A missing or stale record is made again by hashing the file once. Blocking.
    pub fn stored_md5(&self, name: &str, file: &File) -> Result<String, StorageError> {
        let record_path = self.md5_path(name)?;
        let stamp = Stamp::of(&file.metadata()?);
        if let Ok(text) = std::fs::read_to_string(&record_path) {
            if let Some(md5) = stamp.md5_in(&text) {
                return Ok(md5);
            }
        }
        let mut digest = BodyDigest::new();
        let mut reader = file;
        reader.seek(SeekFrom::Start(0))?;
        let mut buf = vec![0u8; 256 * 1024];
        loop {
            let n = reader.read(&mut buf)?;
            if n == 0 {
                break;
            }
            digest.update(&buf[..n]);
        }
        let md5 = digest.finish_hex();
        // Only when the name still holds this very file (it may have been replaced).
        let current = std::fs::symlink_metadata(self.path(name)?).map(|m| Stamp::of(&m));
        if current.is_ok_and(|current| current == stamp) {
            let _ = write_md5_record(&record_path, &stamp, &md5);
        }
        Ok(md5)
    }

    /// Opens an existing regular file for reading, never through a symbolic link.
    pub fn open_file(&self, name: &str) -> Result<(File, u64), StorageError> {
        let path = self.path(name)?;
        let meta = match std::fs::symlink_metadata(&path) {
            Ok(meta) => meta,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Err(StorageError::NotFound(name.into()))
            }
            Err(e) => return Err(e.into()),
        };
        if !meta.file_type().is_file() {
            return Err(StorageError::NotRegular(name.into()));
        }
        let file = open_no_follow(OpenOptions::new().read(true), &path)?;
        let len = file.metadata()?.len();
        Ok((file, len))
    }

    /// Checks whether a name may be written: refused when it exists (unless `force`) or is
    /// not a regular file.
    pub fn check_writable(&self, name: &str, force: bool) -> Result<(), StorageError> {
        let path = self.path(name)?;
        match std::fs::symlink_metadata(&path) {
            Ok(meta) if !meta.file_type().is_file() => Err(StorageError::NotRegular(name.into())),
            Ok(_) if !force => Err(StorageError::Exists(name.into())),
            Ok(_) => Ok(()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// Opens the hidden partial file of an upload. With `resume`, keeps what it holds and
    /// returns it positioned at its end, with the MD5 state of those bytes; otherwise
    /// starts it empty.
    pub fn open_partial(&self, name: &str, resume: bool) -> Result<Partial, StorageError> {
        let path = self.partial_path(name)?;
        let md5_path = self.md5_path(name)?;
        if let Ok(meta) = std::fs::symlink_metadata(&path) {
            if !meta.file_type().is_file() {
                return Err(StorageError::NotRegular(name.into()));
            }
        }
        let mut file = open_no_follow(
            OpenOptions::new().read(true).write(true).create(true),
            &path,
        )?;
        let mut digest = BodyDigest::new();
        if resume {
            let len = file.metadata()?.len();
            crate::transfer::hash_prefix(&mut file, len, &mut digest)?;
        } else {
            file.set_len(0)?;
        }
        let offset = digest.len();
        file.seek(SeekFrom::Start(offset))?;
        Ok(Partial {
            file,
            path,
            md5_path,
            digest,
        })
    }

    /// Makes a verified upload visible under its final name: fsync, record its MD5 (see
    /// [`Root::stored_md5`]), rename, fsync the folder.
    pub fn commit_upload(&self, partial: Partial, name: &str) -> Result<(), StorageError> {
        let final_path = self.path(name)?;
        let stamp = Stamp::of(&partial.file.metadata()?);
        let md5 = partial.digest.clone().finish_hex();
        // A record that fails to be written is made again by the first download.
        let _ = write_md5_record(&partial.md5_path, &stamp, &md5);
        let committed = atomic_commit(partial.file, &partial.path, &final_path);
        self.recount_partials();
        Ok(committed?)
    }

    /// The partial files of unfinished uploads, by the name they will have, sorted.
    pub fn list_partials(&self) -> Result<Vec<FileEntry>, StorageError> {
        let mut files: Vec<FileEntry> = self
            .partials()?
            .into_iter()
            .map(|(name, meta)| FileEntry {
                name,
                bytes: meta.len(),
            })
            .collect();
        files.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(files)
    }

    /// Removes the partial file of an unfinished upload of `name`.
    pub fn delete_partial(&self, name: &str) -> Result<(), StorageError> {
        let path = self.partial_path(name)?;
        match std::fs::symlink_metadata(&path) {
            Ok(meta) if meta.file_type().is_file() => {
                std::fs::remove_file(path)?;
                self.recount_partials();
                Ok(())
            }
            Ok(_) => Err(StorageError::NotRegular(name.into())),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                Err(StorageError::NoPartial(name.into()))
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Bytes held by partial files other than the one of `name`. The folder is read at
    /// most once a second (the total may lag that much), so that thousands of uploads
    /// starting at once do not each read it.
    pub fn partial_bytes_besides(&self, name: &str) -> Result<u64, StorageError> {
        let own = std::fs::symlink_metadata(self.partial_path(name)?).map_or(0, |m| m.len());
        let mut cached = self.partial_total.lock().unwrap_or_else(|e| e.into_inner());
        let total = match *cached {
            Some((at, total)) if at.elapsed() < Duration::from_secs(1) => total,
            _ => {
                let total = self.partials()?.iter().map(|(_, meta)| meta.len()).sum();
                *cached = Some((Instant::now(), total));
                total
            }
        };
        Ok(total.saturating_sub(own))
    }

    /// Removes the partial files not written to for `ttl`, except those of the uploads
    /// named in `busy`; returns how many files and bytes went.
    pub fn sweep_partials(
        &self,
        ttl: Duration,
        busy: &HashSet<String>,
    ) -> Result<(usize, u64), StorageError> {
        let now = SystemTime::now();
        let (mut files, mut bytes) = (0, 0);
        for (name, meta) in self.partials()? {
            let age = meta
                .modified()
                .ok()
                .and_then(|m| now.duration_since(m).ok())
                .unwrap_or_default();
            if age < ttl || busy.contains(&name) {
                continue;
            }
            if std::fs::remove_file(self.partial_path(&name)?).is_ok() {
                files += 1;
                bytes += meta.len();
            }
        }
        if files > 0 {
            self.recount_partials();
        }
        Ok((files, bytes))
    }

    /// Forgets the counted total of partial bytes: the next upload counts again.
    fn recount_partials(&self) {
        *self.partial_total.lock().unwrap_or_else(|e| e.into_inner()) = None;
    }

    /// Every partial file (a regular file named `.NAME.seam-part` with a valid NAME).
    fn partials(&self) -> Result<Vec<(String, std::fs::Metadata)>, StorageError> {
        let mut found = Vec::new();
        for entry in std::fs::read_dir(&self.dir)? {
            let entry = entry?;
            let Ok(file_name) = entry.file_name().into_string() else {
                continue;
            };
            let Some(name) = upload_name_of_partial(&file_name) else {
                continue;
            };
            match entry.metadata() {
                Ok(meta) if meta.file_type().is_file() => found.push((name.to_string(), meta)),
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(found)
    }

    /// Removes a file (never a link target or a folder).
    pub fn delete(&self, name: &str) -> Result<(), StorageError> {
        let path = self.path(name)?;
        match std::fs::symlink_metadata(&path) {
            Ok(meta) if meta.file_type().is_file() => {
                std::fs::remove_file(path)?;
                let _ = std::fs::remove_file(self.md5_path(name)?);
                Ok(())
            }
            Ok(_) => Err(StorageError::NotRegular(name.into())),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                Err(StorageError::NotFound(name.into()))
            }
            Err(e) => Err(e.into()),
        }
    }

    /// The regular files in the root with valid names, sorted by name.
    pub fn list(&self) -> Result<Vec<FileEntry>, StorageError> {
        let mut files = Vec::new();
        for entry in std::fs::read_dir(&self.dir)? {
            let entry = entry?;
            let Ok(name) = entry.file_name().into_string() else {
                continue;
            };
            if validate_name(&name).is_err() {
                continue;
            }
            let meta = match entry.metadata() {
                Ok(meta) => meta,
                // Deleted between reading the folder and looking at the entry.
                Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
                Err(e) => return Err(e.into()),
            };
            if meta.file_type().is_file() {
                files.push(FileEntry {
                    name,
                    bytes: meta.len(),
                });
            }
        }
        files.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(files)
    }
}

/// An upload being written: the hidden file and the MD5 of what it holds.
pub struct Partial {
    /// The open file, positioned at its end.
    pub file: File,
    path: PathBuf,
    md5_path: PathBuf,
    /// The MD5 state of every byte in the file.
    pub digest: BodyDigest,
}

impl Partial {
    /// Bytes the partial file holds.
    pub fn len(&self) -> u64 {
        self.digest.len()
    }

    /// Deletes the partial file (its bytes are known to be wrong).
    pub fn discard(self) {
        drop(self.file);
        let _ = std::fs::remove_file(self.path);
    }
}

/// The hidden record of a stored file's MD5.
fn md5_name(name: &str) -> String {
    format!(".{name}.seam-md5")
}

/// The upload name a partial file's name stands for, if it is one.
fn upload_name_of_partial(file_name: &str) -> Option<&str> {
    let name = file_name.strip_prefix('.')?.strip_suffix(".seam-part")?;
    (validate_name(name).is_ok() && partial_name(name) == file_name).then_some(name)
}

/// What identifies one version of a file: size, modification time and inode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Stamp {
    len: u64,
    modified_ns: u128,
    inode: u64,
}

impl Stamp {
    fn of(meta: &std::fs::Metadata) -> Stamp {
        #[cfg(unix)]
        let inode = std::os::unix::fs::MetadataExt::ino(meta);
        #[cfg(not(unix))]
        let inode = 0;
        Stamp {
            len: meta.len(),
            modified_ns: meta
                .modified()
                .ok()
                .and_then(|m| m.duration_since(SystemTime::UNIX_EPOCH).ok())
                .map_or(0, |d| d.as_nanos()),
            inode,
        }
    }

    /// The record's line: `MD5 SIZE MTIME_NS INODE`.
    fn record(&self, md5: &str) -> String {
        format!("{md5} {} {} {}\n", self.len, self.modified_ns, self.inode)
    }

    /// The MD5 in a record, when the record describes this very version of the file.
    fn md5_in(&self, record: &str) -> Option<String> {
        let md5 = record.split(' ').next()?;
        let valid = md5.len() == 32 && md5.bytes().all(|b| b.is_ascii_hexdigit());
        (valid && record == self.record(md5)).then(|| md5.to_string())
    }
}

fn write_md5_record(path: &Path, stamp: &Stamp, md5: &str) -> io::Result<()> {
    let mut file = open_no_follow(
        OpenOptions::new().write(true).create(true).truncate(true),
        path,
    )?;
    file.write_all(stamp.record(md5).as_bytes())
}

fn open_no_follow(options: &mut OpenOptions, path: &Path) -> io::Result<File> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NOFOLLOW);
    }
    options.open(path)
}
