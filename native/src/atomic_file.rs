//! A file that appears under its final name whole or not at all, and survives a crash once
//! it has: the one commit shared by the server's uploads and the client's downloads.

use std::fs::File;
use std::io;
use std::path::Path;

/// Makes `file`, written at `temp`, appear as `dest`: its bytes reach the disk (fsync), it
/// is renamed over `dest` (atomic on one file system), and the folder's entry reaches the
/// disk too (fsync of the folder), so that neither a half-written file nor a lost rename
/// can be seen after a crash.
pub fn atomic_commit(file: File, temp: &Path, dest: &Path) -> io::Result<()> {
    file.sync_all()?;
    drop(file);
    std::fs::rename(temp, dest)?;
    let folder = match dest.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    File::open(folder)?.sync_all()
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    fn scratch(label: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("seam-atomic-{}-{label}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn the_file_appears_under_its_final_name_and_the_temporary_name_is_gone() {
        let dir = scratch("appears");
        let (temp, dest) = (dir.join(".part"), dir.join("final"));
        let mut file = File::create(&temp).unwrap();
        file.write_all(b"whole").unwrap();
        atomic_commit(file, &temp, &dest).unwrap();
        assert_eq!(std::fs::read(&dest).unwrap(), b"whole");
        assert!(!temp.exists());
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_failed_rename_leaves_the_destination_untouched() {
        let dir = scratch("untouched");
        let (temp, dest) = (dir.join(".part"), dir.join("no-such-folder").join("final"));
        let file = File::create(&temp).unwrap();
        assert!(atomic_commit(file, &temp, &dest).is_err());
        assert!(!dest.exists());
        assert!(
            temp.exists(),
            "the temporary file is kept for the caller to remove"
        );
        std::fs::remove_dir_all(dir).unwrap();
    }
}
