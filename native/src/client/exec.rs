//! `seam exec -- PROG ARGS...`: runs an allowed program on the server and relays its
//! output as it comes: its stdout to ours, its stderr to ours; then exits with its code.

use std::io::Write;

use seam_core::messages::{OutputStream, Reply, Request};

use super::error::ClientError;
use super::session::Session;
use crate::client::options::ExecOptions;

/// Runs the command; `Ok` holds the exit code to end with: the program's own, or 128+N
/// when signal N killed it.
pub async fn run(args: &ExecOptions) -> Result<u8, ClientError> {
    let mut session = Session::connect(&args.client).await?;
    session
        .send(&Request::Exec {
            argv: args.argv.clone(),
        })
        .await?;
    loop {
        match session.reply().await? {
            Reply::Output { stream, .. } => {
                let mut out: Box<dyn Write> = match stream {
                    OutputStream::Stdout => Box::new(std::io::stdout().lock()),
                    OutputStream::Stderr => Box::new(std::io::stderr().lock()),
                };
                while let Some(piece) = session.reader.next_body_piece().await? {
                    out.write_all(piece).map_err(local_output)?;
                }
                // Shown as it arrives: a command that prints for a minute is seen at once.
                out.flush().map_err(local_output)?;
            }
            Reply::Exit { code, signal } => {
                session.close().await;
                return Ok(match (code, signal) {
                    (Some(code), _) => (code & 0xff) as u8,
                    (None, Some(signal)) => (128 + signal).clamp(0, 255) as u8,
                    (None, None) => 255,
                });
            }
            other => return Err(ClientError::unexpected("output or exit", &other)),
        }
    }
}

fn local_output(error: std::io::Error) -> ClientError {
    ClientError::Local {
        path: "standard output".into(),
        source: error,
    }
}
