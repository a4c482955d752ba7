//! `exec`: runs a program from the server's allow-list, without a shell, and streams its
//! output back as it is produced.
//!
//! What it promises:
//! - Nothing runs unless the server was started with `--allow-exec PROG...`, and then only
//!   those programs: the request's `argv[0]` must equal an allow-list entry exactly. A bare
//!   name (`ls`) is looked up in `PATH` once, at start-up, and a name that is not found
//!   stops the server from starting; an entry with a `/` is a path to that very file.
//! - No shell: `argv` goes to `execve` as it is, so `;`, `|`, `$(...)`, `*` and quotes are
//!   plain bytes of an argument.
//! - Standard input is empty (`/dev/null`); standard output and standard error come back as
//!   `output {stream, size}` frames as soon as each read of their pipe returns, then an
//!   `exit {code | signal}` frame.
//! - A time limit and an output cap: past either, the command's whole process group is
//!   killed and the client gets `error {timeout}` or `error {output_limit}`. The time limit
//!   holds even while the client reads no output.
//! - However the command ends, its whole process group is killed: nothing it started in
//!   the background outlives it.
//! - A client that goes away (closes its connection) has its command killed, even after it
//!   sent its next request.
//! - The command runs in the served folder with a minimal environment (`PATH`, `HOME`,
//!   `LANG`, `LC_*`, `TZ`, `USER`, `LOGNAME`, `TMPDIR`): the server's token and the rest of
//!   its environment are not passed on.

pub mod policy;

use std::path::Path;
use std::process::ExitStatus;
use std::time::Duration;

use seam_core::messages::{ErrorCode, OutputStream, Reply};
use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::process::{Child, ChildStderr, ChildStdout};
use tokio::time::Instant;
use tracing::{info, warn};

use policy::ExecPolicy;

use super::conn::{write_body_within, write_within, Conn, Reader};
use super::failure::{Failure, Refusal};
use crate::wire::{Head, WireError};

/// Most bytes read from a pipe at once (and so sent in one `output` frame).
const PIPE_READ: usize = 64 * 1024;

/// How a command ended, as far as the client is told.
enum Ending {
    Exited(ExitStatus),
    TimedOut,
    OverCap,
    ClientGone(Option<WireError>),
    ServerStopping,
    WaitFailed(std::io::Error),
}

/// Runs `argv` for the client and streams its output; the `exit` frame ends a success.
pub async fn run(conn: &mut Conn, argv: Vec<String>) -> Result<(), Failure> {
    let Some(policy) = conn.shared.exec.clone() else {
        return Err(Refusal::new(
            ErrorCode::ExecDenied,
            "this server runs no commands (it was started without --allow-exec)",
        )
        .into());
    };
    let (path, _slot) = policy.admit(&argv)?;
    let program = &argv[0];
    let mut command = policy.command(&path, &argv, conn.shared.root.dir());
    let mut child = match command.spawn() {
        Ok(child) => child,
        Err(error) if error.kind() == std::io::ErrorKind::InvalidInput => {
            return Err(Refusal::new(
                ErrorCode::BadRequest,
                format!("cannot run {program}: {error}"),
            )
            .into())
        }
        Err(error) => {
            return Err(Refusal::new(
                ErrorCode::Internal,
                format!("cannot run {program}: {error}"),
            )
            .into())
        }
    };
    let pid = child.id();
    info!(conn = conn.id, ?argv, pid, "exec");
    let started = Instant::now();
    let ending = supervise(conn, &policy, &mut child, pid).await;
    match ending {
        Ending::Exited(status) => {
            // Whatever it left running in the background goes with it.
            kill_group(&mut child, pid).await;
            #[cfg(unix)]
            let signal = std::os::unix::process::ExitStatusExt::signal(&status);
            #[cfg(not(unix))]
            let signal = None;
            let code = status.code();
            info!(
                conn = conn.id,
                pid,
                ?code,
                ?signal,
                seconds = started.elapsed().as_secs_f64(),
                "exec ended"
            );
            conn.reply(&Reply::Exit { code, signal }).await
        }
        Ending::TimedOut => {
            kill_group(&mut child, pid).await;
            warn!(conn = conn.id, pid, "exec killed: time limit");
            Err(Refusal::new(
                ErrorCode::Timeout,
                format!(
                    "{program} ran past the time limit of {} s and was killed",
                    policy.timeout.as_secs_f64()
                ),
            )
            .into())
        }
        Ending::OverCap => {
            kill_group(&mut child, pid).await;
            warn!(conn = conn.id, pid, "exec killed: output cap");
            Err(Refusal::new(
                ErrorCode::OutputLimit,
                format!(
                    "{program} wrote more than the output cap of {} bytes and was killed",
                    policy.output_cap
                ),
            )
            .into())
        }
        Ending::ServerStopping => {
            kill_group(&mut child, pid).await;
            warn!(
                conn = conn.id,
                pid, "exec killed: the server is shutting down"
            );
            Err(Refusal::fatal(
                ErrorCode::Busy,
                format!("the server is shutting down; {program} was killed"),
            )
            .into())
        }
        Ending::WaitFailed(error) => {
            kill_group(&mut child, pid).await;
            warn!(conn = conn.id, pid, %error, "exec: cannot wait for the command");
            Err(Refusal::new(
                ErrorCode::Internal,
                format!("the server lost track of {program}: {error}"),
            )
            .into())
        }
        Ending::ClientGone(error) => {
            kill_group(&mut child, pid).await;
            warn!(conn = conn.id, pid, "exec killed: the client went away");
            Err(Failure::Broken(error.unwrap_or_else(|| {
                WireError::Io(std::io::Error::new(
                    std::io::ErrorKind::ConnectionAborted,
                    "the client went away while its command ran",
                ))
            })))
        }
    }
}

/// What `supervise` watches on the client's side of the connection while a command runs.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Watch {
    /// The next request's header (the client may close instead).
    Header,
    /// The bytes after a request sent early: read ahead, to notice the client leaving.
    Ahead,
    /// Nothing: the read-ahead buffer is full.
    Off,
}

/// What the client did while its command ran.
enum Heard {
    /// It sent its next request's header.
    Request(Head),
    /// It sent more bytes, kept for later.
    More,
    /// The read-ahead buffer is full.
    Full,
    /// It closed the connection.
    Closed,
}

/// Waits for the client to do something, as `watch` says.
async fn listen(reader: &mut Reader, watch: Watch) -> Result<Heard, WireError> {
    if watch == Watch::Header {
        return Ok(match reader.next_header().await? {
            Some(head) => Heard::Request(head),
            None => Heard::Closed,
        });
    }
    Ok(match reader.read_ahead().await? {
        None => Heard::Full,
        Some(0) => Heard::Closed,
        Some(_) => Heard::More,
    })
}

/// Streams the child's output until both pipes close and it has exited, or until a limit is
/// hit or the client goes away. When the command itself exits, its process group is
/// killed at once, so a background child holding a pipe open cannot keep it going.
async fn supervise(
    conn: &mut Conn,
    policy: &ExecPolicy,
    child: &mut Child,
    pid: Option<u32>,
) -> Ending {
    let deadline = Instant::now() + policy.timeout;
    let mut stdout: Option<ChildStdout> = child.stdout.take();
    let mut stderr: Option<ChildStderr> = child.stderr.take();
    let mut out_buf = vec![0u8; PIPE_READ];
    let mut err_buf = vec![0u8; PIPE_READ];
    let mut status: Option<ExitStatus> = None;
    let mut sent: u64 = 0;
    let mut watch = Watch::Header;
    let mut shutdown = conn.shared.shutdown.clone();
    let mut stopping = std::pin::pin!(async move {
        let _ = shutdown.wait_for(|stop| *stop).await;
    });
    loop {
        if stdout.is_none() && stderr.is_none() {
            if let Some(status) = status {
                return Ending::Exited(status);
            }
        }
        let (stream, n) = tokio::select! {
            read = read_some(&mut stdout, &mut out_buf), if stdout.is_some() => match read {
                Some(n) => (OutputStream::Stdout, n),
                None => { stdout = None; continue; }
            },
            read = read_some(&mut stderr, &mut err_buf), if stderr.is_some() => match read {
                Some(n) => (OutputStream::Stderr, n),
                None => { stderr = None; continue; }
            },
            exited = child.wait(), if status.is_none() => {
                match exited {
                    Ok(exit) => status = Some(exit),
                    Err(error) => return Ending::WaitFailed(error),
                }
                // What is still in the pipes is read to their end below.
                signal_group(pid);
                continue;
            }
            heard = listen(&mut conn.reader, watch), if watch != Watch::Off => match heard {
                // A request sent while the command runs waits for its turn.
                Ok(Heard::Request(head)) => {
                    conn.pending = Some(head);
                    watch = Watch::Ahead;
                    continue;
                }
                Ok(Heard::More) => continue,
                Ok(Heard::Full) => { watch = Watch::Off; continue; }
                Ok(Heard::Closed) => return Ending::ClientGone(None),
                Err(error) => return Ending::ClientGone(Some(error)),
            },
            () = tokio::time::sleep_until(deadline) => return Ending::TimedOut,
            () = &mut stopping => return Ending::ServerStopping,
        };
        let allowed = policy.output_cap.saturating_sub(sent);
        let take = (n as u64).min(allowed) as usize;
        let piece = match stream {
            OutputStream::Stdout => &out_buf[..take],
            OutputStream::Stderr => &err_buf[..take],
        };
        if take > 0 {
            // A client that reads nothing must not stretch the time limit: at the deadline
            // the command is killed, then the frame under way is finished (or the client
            // dropped after the idle timeout), and the client is told.
            let mut sending = std::pin::pin!(send_output(conn, stream, piece));
            let mut timed_out = false;
            let result = tokio::select! {
                biased;
                result = &mut sending => result,
                () = tokio::time::sleep_until(deadline) => {
                    signal_group(pid);
                    timed_out = true;
                    sending.await
                }
            };
            if let Err(failure) = result {
                return Ending::ClientGone(match failure {
                    Failure::Broken(error) => Some(error),
                    Failure::Refused(_) => None,
                });
            }
            if timed_out {
                return Ending::TimedOut;
            }
            sent += take as u64;
        }
        if take < n {
            return Ending::OverCap;
        }
    }
}

/// One read of a pipe: `Some(n)` bytes, or `None` at its end (or on an error).
async fn read_some<R: AsyncRead + Unpin>(pipe: &mut Option<R>, buf: &mut [u8]) -> Option<usize> {
    let pipe = pipe.as_mut()?;
    match pipe.read(buf).await {
        Ok(0) | Err(_) => None,
        Ok(n) => Some(n),
    }
}

/// Sends one `output` frame and flushes it, so the client sees it at once.
async fn send_output(conn: &mut Conn, stream: OutputStream, piece: &[u8]) -> Result<(), Failure> {
    let idle = conn.shared.idle_timeout;
    let reply = Reply::Output {
        stream,
        size: piece.len() as u64,
    };
    write_within(idle, conn.writer.send_head(&reply)).await?;
    write_body_within(&mut conn.writer, idle, piece).await?;
    write_within(idle, conn.writer.flush()).await
}

/// Kills the command's whole process group (the command and anything it started), then
/// reaps the command.
async fn kill_group(child: &mut Child, pid: Option<u32>) {
    signal_group(pid);
    let _ = child.start_kill();
    let _ = tokio::time::timeout(Duration::from_secs(5), child.wait()).await;
}

/// Sends SIGKILL to the command's process group (its id is the command's pid, as it was
/// started with `process_group(0)`). Once the command is reaped the group lives on while
/// any member does, and its id cannot be given to another process meanwhile.
fn signal_group(pid: Option<u32>) {
    #[cfg(unix)]
    if let Some(pid) = pid
        .and_then(|pid| i32::try_from(pid).ok())
        .filter(|&pid| pid > 1)
        .and_then(rustix::process::Pid::from_raw)
    {
        let _ = rustix::process::kill_process_group(pid, rustix::process::Signal::KILL);
    }
}

/// A command run for a tutorial client: its output (standard output and standard error in
/// the order they arrived, at most the output cap) and, unless it exited with status 0, a
/// sentence saying what went wrong.
pub struct Collected {
    /// What the command wrote.
    pub output: Vec<u8>,
    /// Why the command did not succeed, if it did not.
    pub problem: Option<String>,
}

/// Runs `argv` under the policy's rules (allow-list, no shell, time limit, output cap,
/// process-group kill) and collects its output, for clients that need the output's length
/// before the output itself. `max_output` lowers the cap further.
pub async fn run_collected(
    policy: &ExecPolicy,
    dir: &Path,
    argv: &[String],
    max_output: u64,
    mut shutdown: tokio::sync::watch::Receiver<bool>,
) -> Collected {
    let refused = |message: String| Collected {
        output: Vec::new(),
        problem: Some(message),
    };
    let (path, _slot) = match policy.admit(argv) {
        Ok(admitted) => admitted,
        Err(refusal) => return refused(refusal.message),
    };
    let program = &argv[0];
    let mut child = match policy.command(&path, argv, dir).spawn() {
        Ok(child) => child,
        Err(error) => return refused(format!("cannot run {program}: {error}")),
    };
    let pid = child.id();
    info!(?argv, pid, "tutorial exec");
    let cap = policy.output_cap.min(max_output);
    let deadline = Instant::now() + policy.timeout;
    let mut stdout = child.stdout.take();
    let mut stderr = child.stderr.take();
    let mut out_buf = vec![0u8; PIPE_READ];
    let mut err_buf = vec![0u8; PIPE_READ];
    let mut output = Vec::new();
    let mut status: Option<ExitStatus> = None;
    let problem = loop {
        if stdout.is_none() && stderr.is_none() {
            if let Some(status) = status {
                break describe_failure(program, status);
            }
        }
        let piece = tokio::select! {
            read = read_some(&mut stdout, &mut out_buf), if stdout.is_some() => match read {
                Some(n) => &out_buf[..n],
                None => { stdout = None; continue; }
            },
            read = read_some(&mut stderr, &mut err_buf), if stderr.is_some() => match read {
                Some(n) => &err_buf[..n],
                None => { stderr = None; continue; }
            },
            exited = child.wait(), if status.is_none() => match exited {
                Ok(exit) => {
                    status = Some(exit);
                    // Nothing it started in the background outlives it.
                    signal_group(pid);
                    continue;
                }
                Err(error) => break Some(format!("the server lost track of {program}: {error}")),
            },
            () = tokio::time::sleep_until(deadline) => break Some(format!(
                "{program} ran past the time limit of {} s and was killed",
                policy.timeout.as_secs_f64()
            )),
            _ = shutdown.wait_for(|stop| *stop) => {
                break Some(format!("the server is shutting down; {program} was killed"))
            }
        };
        let room = cap.saturating_sub(output.len() as u64) as usize;
        if piece.len() > room {
            output.extend_from_slice(&piece[..room]);
            break Some(format!(
                "{program} wrote more than the output cap of {cap} bytes and was killed"
            ));
        }
        output.extend_from_slice(piece);
    };
    // However it ended, nothing of its process group stays behind.
    kill_group(&mut child, pid).await;
    Collected { output, problem }
}

/// A sentence for a command that did not exit with status 0 (`None` when it did).
fn describe_failure(program: &str, status: ExitStatus) -> Option<String> {
    #[cfg(unix)]
    if let Some(signal) = std::os::unix::process::ExitStatusExt::signal(&status) {
        return Some(format!("{program} was killed by signal {signal}"));
    }
    match status.code() {
        Some(0) => None,
        Some(code) => Some(format!("{program} exited with status {code}")),
        None => Some(format!("{program} ended abnormally")),
    }
}
