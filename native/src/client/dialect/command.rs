//! `seam exec --dialect cmd|cmd-len|cmd-struct|cmd-ready -- COMMAND…`: the bare command
//! text, as a tutorial's remote-command client sends it, and the output relayed as it comes.

use std::io::Write;

use seam_core::dialect::client::{command_request, ReplyEvent, ReplyReader, RECV_READY};
use seam_core::dialect::Dialect;

use super::conn::DialectConn;
use super::REPLY_TIMEOUT;
use crate::client::error::ClientError;
use crate::client::options::ExecOptions;

/// The command line as the text a tutorial client would type: one argument as it is (a
/// whole command line), several joined with shell quoting where a word needs it.
pub fn command_text(argv: &[String]) -> Result<String, ClientError> {
    match argv {
        [one] => Ok(one.clone()),
        words => shlex::try_join(words.iter().map(String::as_str))
            .map_err(|e| ClientError::Usage(format!("the command cannot be quoted: {e}"))),
    }
}

/// Sends the command and writes its output to standard output.
pub async fn run(args: &ExecOptions, dialect: Dialect) -> Result<(), ClientError> {
    let text = command_text(&args.argv)?;
    let request = command_request(dialect, &text).map_err(|e| ClientError::Usage(e.to_string()))?;
    let mut reader = ReplyReader::command(dialect)
        .ok_or_else(|| ClientError::Usage(format!("{dialect} does not run commands")))?;
    let mut conn = DialectConn::connect(
        &args.client.server,
        args.client.trace.as_deref(),
        REPLY_TIMEOUT,
    )
    .await?;
    conn.write(&request).await?;
    let mut stdout = std::io::stdout().lock();
    let mut failed = None;
    conn.read_reply(&mut reader, usize::MAX, |event| match event {
        ReplyEvent::Announced { .. } => Some(RECV_READY.to_vec()),
        ReplyEvent::Output(bytes) => {
            if let Err(error) = stdout.write_all(bytes).and_then(|()| stdout.flush()) {
                failed.get_or_insert(error);
            }
            None
        }
        _ => None,
    })
    .await?;
    match failed {
        Some(source) => Err(ClientError::Local {
            path: "standard output".into(),
            source,
        }),
        None => Ok(()),
    }
}
