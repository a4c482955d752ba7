//! What `exec` may run: the allow-list resolved at start-up, the environment a command
//! gets, and the limit of commands running at once.

use std::collections::HashMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context};
use seam_core::messages::ErrorCode;
use tokio::process::Command;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::server::failure::Refusal;

/// Environment variables a command inherits from the server; every other one is dropped.
const KEPT_ENV: &[&str] = &[
    "PATH",
    "HOME",
    "LANG",
    "LC_ALL",
    "LC_CTYPE",
    "LC_MESSAGES",
    "TZ",
    "USER",
    "LOGNAME",
    "TMPDIR",
];

/// What the server lets clients run, and the limits they run under.
pub struct ExecPolicy {
    /// Allow-list entry, exactly as given, to the file it runs.
    allowed: HashMap<String, PathBuf>,
    /// How long a command may run.
    pub timeout: Duration,
    /// Most output bytes (both streams together) a command may send.
    pub output_cap: u64,
    /// Commands running at once, at most.
    running: Arc<Semaphore>,
    max_running: usize,
    env: Vec<(String, OsString)>,
}

impl ExecPolicy {
    /// Resolves the allow-list: bare names through `PATH`, paths as given. Fails on an entry
    /// that is not an executable file.
    pub fn new(
        entries: &[String],
        timeout: Duration,
        output_cap: u64,
        max_running: usize,
    ) -> anyhow::Result<ExecPolicy> {
        let path_var = std::env::var_os("PATH").unwrap_or_default();
        let mut allowed = HashMap::new();
        for entry in entries {
            if entry.is_empty() {
                bail!("--allow-exec: an empty program name");
            }
            let resolved = if entry.contains('/') {
                let path = Path::new(entry);
                if !is_executable_file(path) {
                    bail!("--allow-exec {entry}: not an executable file");
                }
                std::path::absolute(path)
                    .with_context(|| format!("--allow-exec {entry}: cannot resolve"))?
            } else {
                std::env::split_paths(&path_var)
                    .filter(|dir| dir.is_absolute())
                    .map(|dir| dir.join(entry))
                    .find(|candidate| is_executable_file(candidate))
                    .with_context(|| {
                        format!(
                            "--allow-exec {entry}: no executable of that name in PATH; give its \
                             full path, or install it"
                        )
                    })?
            };
            allowed.insert(entry.clone(), resolved);
        }
        let env = KEPT_ENV
            .iter()
            .filter_map(|name| std::env::var_os(name).map(|value| (name.to_string(), value)))
            .collect();
        let max_running = max_running.max(1);
        Ok(ExecPolicy {
            allowed,
            timeout,
            output_cap,
            running: Arc::new(Semaphore::new(max_running)),
            max_running,
            env,
        })
    }

    /// The allow-list as given, sorted, for messages.
    pub fn names(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self.allowed.keys().map(String::as_str).collect();
        names.sort_unstable();
        names
    }

    /// The file an allow-list entry runs.
    pub fn resolved(&self, name: &str) -> Option<&Path> {
        self.allowed.get(name).map(PathBuf::as_path)
    }

    /// Checks a request to run `argv` against the allow-list and the limit of commands
    /// running at once; the permit holds a place until it is dropped.
    pub fn admit(&self, argv: &[String]) -> Result<(PathBuf, OwnedSemaphorePermit), Refusal> {
        let Some(program) = argv.first() else {
            return Err(Refusal::new(
                ErrorCode::BadRequest,
                "argv must name a program",
            ));
        };
        let Some(path) = self.resolved(program) else {
            return Err(Refusal::new(
                ErrorCode::ExecDenied,
                format!(
                    "{program:?} is not on this server's allow-list (allowed: {})",
                    self.names().join(", ")
                ),
            ));
        };
        let Ok(slot) = self.running.clone().try_acquire_owned() else {
            return Err(Refusal::new(
                ErrorCode::Busy,
                format!(
                    "{} commands are running already, the most this server runs at once; try again later",
                    self.max_running
                ),
            ));
        };
        Ok((path.to_path_buf(), slot))
    }

    /// The process for an admitted `argv`: no shell, minimal environment, empty standard
    /// input, piped output, a process group of its own, killed when dropped.
    pub fn command(&self, path: &Path, argv: &[String], dir: &Path) -> Command {
        let mut command = Command::new(path);
        command
            .arg0(&argv[0])
            .args(&argv[1..])
            .env_clear()
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .current_dir(dir)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0)
            .kill_on_drop(true);
        command
    }
}

fn is_executable_file(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path)
        .is_ok_and(|meta| meta.is_file() && meta.permissions().mode() & 0o111 != 0)
}
