//! The known-servers file: one line per server, `HOST:PORT SHA256:…`, the certificate a
//! client saw the first time it connected there (as ssh's `known_hosts`). Lines starting
//! with `#` and blank lines are kept as they are. Rewritten atomically (a new file renamed
//! over the old one), so a crash never leaves it half-written.

use std::io::Write;
use std::path::{Path, PathBuf};

use super::Fingerprint;

/// The known-servers file of this user: `$XDG_CONFIG_HOME/seam/known_servers`, else
/// `~/.config/seam/known_servers`.
pub fn default_path() -> Option<PathBuf> {
    let config = std::env::var_os("XDG_CONFIG_HOME")
        .filter(|dir| !dir.is_empty())
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME")
                .filter(|dir| !dir.is_empty())
                .map(|home| PathBuf::from(home).join(".config"))
        })?;
    Some(config.join("seam").join("known_servers"))
}

/// Why the known-servers file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum KnownServersError {
    /// Reading or writing failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// What failed.
        source: std::io::Error,
    },
    /// A line is not `HOST:PORT SHA256:…`.
    #[error(
        "{path}, line {line}: expected HOST:PORT SHA256:<64 hex digits>; fix or delete the line"
    )]
    BadLine {
        /// The file.
        path: String,
        /// Its 1-based number.
        line: usize,
    },
}

/// The known-servers file, read.
pub struct KnownServers {
    path: PathBuf,
    lines: Vec<String>,
}

impl KnownServers {
    /// Reads the file; a missing file is an empty list.
    pub fn load(path: &Path) -> Result<KnownServers, KnownServersError> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(source) => return Err(io_error(path, source)),
        };
        let known = KnownServers {
            path: path.to_path_buf(),
            lines: text.lines().map(str::to_string).collect(),
        };
        for (index, line) in known.lines.iter().enumerate() {
            if entry(line).is_some_and(|(_, print)| print.is_none()) {
                return Err(KnownServersError::BadLine {
                    path: path.display().to_string(),
                    line: index + 1,
                });
            }
        }
        Ok(known)
    }

    /// Where the file is.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The fingerprint pinned for `server` (as `HOST:PORT`), if any.
    pub fn get(&self, server: &str) -> Option<Fingerprint> {
        self.lines
            .iter()
            .filter_map(|line| entry(line))
            .find(|(name, _)| *name == server)
            .and_then(|(_, print)| print)
    }

    /// Pins `print` for `server` (replacing an earlier line for it) and rewrites the file
    /// atomically, creating its folder if needed.
    pub fn pin(&mut self, server: &str, print: Fingerprint) -> Result<(), KnownServersError> {
        self.lines
            .retain(|line| entry(line).is_none_or(|(name, _)| name != server));
        self.lines.push(format!("{server} {print}"));
        let dir = self.path.parent().unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir).map_err(|e| io_error(dir, e))?;
        let temp = dir.join(format!(".known_servers.{}.tmp", std::process::id()));
        let written = (|| {
            let mut file = std::fs::File::create(&temp)?;
            for line in &self.lines {
                writeln!(file, "{line}")?;
            }
            file.sync_all()?;
            std::fs::rename(&temp, &self.path)
        })();
        if let Err(source) = written {
            let _ = std::fs::remove_file(&temp);
            return Err(io_error(&self.path, source));
        }
        Ok(())
    }
}

/// A line's server and fingerprint (`None` if unreadable); `None` for comments and blanks.
fn entry(line: &str) -> Option<(&str, Option<Fingerprint>)> {
    let line = line.trim();
    if line.is_empty() || line.starts_with('#') {
        return None;
    }
    let mut words = line.split_whitespace();
    let server = words.next()?;
    let print = words
        .next()
        .and_then(|word| word.parse().ok())
        .filter(|_| words.next().is_none());
    Some((server, print))
}

fn io_error(path: &Path, source: std::io::Error) -> KnownServersError {
    KnownServersError::Io {
        path: path.display().to_string(),
        source,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn print(byte: u8) -> Fingerprint {
        format!("SHA256:{}", format!("{byte:02x}").repeat(32))
            .parse()
            .unwrap()
    }

    fn temp_file(label: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("seam-known-{}-{label}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir.join("seam").join("known_servers")
    }

    #[test]
    fn pinning_replaces_the_servers_line_and_keeps_comments_and_others() {
        let path = temp_file("replace");
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(
            &path,
            format!("# mine\nother:1 {}\nhost:8800 {}\n", print(1), print(2)),
        )
        .unwrap();
        let mut known = KnownServers::load(&path).unwrap();
        assert_eq!(known.get("host:8800"), Some(print(2)));
        assert_eq!(known.get("host:8801"), None);
        known.pin("host:8800", print(3)).unwrap();
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            format!("# mine\nother:1 {}\nhost:8800 {}\n", print(1), print(3))
        );
        let leftovers = std::fs::read_dir(path.parent().unwrap()).unwrap().count();
        assert_eq!(leftovers, 1, "no temporary file left");
        let _ = std::fs::remove_dir_all(path.parent().unwrap().parent().unwrap());
    }

    #[test]
    fn a_missing_file_is_empty_and_pinning_creates_it() {
        let path = temp_file("create");
        let mut known = KnownServers::load(&path).unwrap();
        assert_eq!(known.get("host:1"), None);
        known.pin("host:1", print(4)).unwrap();
        assert_eq!(
            KnownServers::load(&path).unwrap().get("host:1"),
            Some(print(4))
        );
        let _ = std::fs::remove_dir_all(path.parent().unwrap().parent().unwrap());
    }

    #[test]
    fn an_unreadable_line_is_an_error_naming_the_line() {
        let path = temp_file("bad");
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, format!("host:1 {}\nhost:2 SHA256:nope\n", print(5))).unwrap();
        let error = KnownServers::load(&path)
            .err()
            .expect("refused")
            .to_string();
        assert!(error.contains("line 2"), "{error}");
        let _ = std::fs::remove_dir_all(path.parent().unwrap().parent().unwrap());
    }
}
