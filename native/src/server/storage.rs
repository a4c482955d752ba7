//! The server's files: which names are allowed, where uploads are written while they
//! arrive, and how a verified upload becomes visible (temp file, fsync, rename).

use std::fs::{File, OpenOptions};
use std::io::{self, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use seam_core::messages::FileEntry;
use seam_core::names::{partial_name, validate_name};
use seam_core::BodyDigest;
use thiserror::Error;

/// Why a storage operation failed.
#[derive(Debug, Error)]
pub enum StorageError {
    /// The name is not allowed.
    #[error("bad name: {0}")]
    BadName(#[from] seam_core::names::NameError),
    /// No such file.
    #[error("no file named \"{0}\"")]
    NotFound(String),
    /// The path is a symbolic link or not a regular file.
    #[error("\"{0}\" is not a regular file in the root")]
    NotRegular(String),
    /// The file exists and replacing it was not asked for.
    #[error("\"{0}\" exists; use --force to replace it")]
    Exists(String),
    /// The file system failed.
    #[error("storage error: {0}")]
    Io(#[from] io::Error),
}

/// The folder the server serves.
#[derive(Debug, Clone)]
pub struct Root {
    dir: PathBuf,
}

impl Root {
    /// Opens (creating it if needed) the root folder.
    pub fn open(dir: &Path) -> io::Result<Root> {
        std::fs::create_dir_all(dir)?;
        Ok(Root {
            dir: dir.canonicalize()?,
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
        Ok(Partial { file, path, digest })
    }

    /// Makes a verified upload visible under its final name: fsync, rename, fsync the folder.
    pub fn commit_upload(&self, partial: Partial, name: &str) -> Result<(), StorageError> {
        let final_path = self.path(name)?;
        partial.file.sync_all()?;
        drop(partial.file);
        std::fs::rename(&partial.path, &final_path)?;
        File::open(&self.dir)?.sync_all()?;
        Ok(())
    }

    /// Removes a file (never a link target or a folder).
    pub fn delete(&self, name: &str) -> Result<(), StorageError> {
        let path = self.path(name)?;
        match std::fs::symlink_metadata(&path) {
            Ok(meta) if meta.file_type().is_file() => Ok(std::fs::remove_file(path)?),
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

fn open_no_follow(options: &mut OpenOptions, path: &Path) -> io::Result<File> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NOFOLLOW);
    }
    options.open(path)
}
