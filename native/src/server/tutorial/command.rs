//! `cmd`, `cmd-len`, `cmd-struct` and `cmd-ready`: a bare command in, its output back in the
//! dialect's reply. Commands run only if they are on `--allow-exec`, split into arguments by
//! shell-word rules and never through a shell, under the limits of `seam exec`. A refusal
//! or a failure is told inside the reply, as a line `seam: ...` after any output, so the
//! tutorial client prints it.

use std::time::Duration;

use anyhow::bail;
use seam_core::dialect::server::{
    command_argv, command_reply_head, CommandError, CommandReader, ReadyReader, COMMAND_QUIET_MS,
    MAX_OUTPUT_LEN,
};
use seam_core::dialect::Dialect;
use tracing::{info, warn};

use super::stream::{Filled, TutorialStream};
use crate::server::exec;

/// Room kept under [`MAX_OUTPUT_LEN`] for the `seam: ...` line.
const PROBLEM_ROOM: u64 = 4096;

/// Answers commands until the client closes.
pub async fn serve(stream: &mut TutorialStream, dialect: Dialect) -> anyhow::Result<()> {
    let mut reader = CommandReader::new();
    loop {
        let command = match next_command(stream, &mut reader).await? {
            Some(command) => command,
            None => return Ok(()),
        };
        let (output, fatal) = match command {
            Ok(text) => (run(stream, &text).await, false),
            Err(error) => {
                warn!(conn = stream.id, %dialect, %error, "tutorial command refused");
                let fatal = error == CommandError::TooLong;
                (format!("seam: {error}\n").into_bytes(), fatal)
            }
        };
        reply(stream, dialect, &output).await?;
        if fatal {
            bail!("closing: the command stream cannot be resynchronised");
        }
    }
}

/// The next command: `None` when the client closed between commands.
async fn next_command(
    stream: &mut TutorialStream,
    reader: &mut CommandReader,
) -> anyhow::Result<Option<Result<String, CommandError>>> {
    let idle = stream.idle();
    let quiet = Duration::from_millis(COMMAND_QUIET_MS);
    loop {
        let input = &mut stream.input;
        if input.start < input.end {
            let mut pending = &input.buf[input.start..input.end];
            let before = pending.len();
            let fed = reader.feed(&mut pending);
            input.start += before - pending.len();
            match fed {
                Ok(Some(command)) => return Ok(Some(Ok(command))),
                Ok(None) => {}
                Err(error) => return Ok(Some(Err(error))),
            }
            if input.start < input.end {
                continue;
            }
        }
        let holds = reader.holds_text();
        match input.fill(if holds { quiet } else { idle }, !holds).await? {
            Filled::Bytes => {}
            Filled::End => return Ok(None),
            Filled::Quiet if holds => match reader.quiet() {
                Ok(Some(command)) => return Ok(Some(Ok(command))),
                Ok(None) => {}
                Err(error) => return Ok(Some(Err(error))),
            },
            Filled::Quiet => bail!("no data for {} s", idle.as_secs()),
        }
    }
}

/// Runs one command and returns what the client is to see.
async fn run(stream: &TutorialStream, text: &str) -> Vec<u8> {
    let argv = match command_argv(text) {
        Ok(argv) if !argv.is_empty() => argv,
        Ok(_) => return b"seam: an empty command\n".to_vec(),
        Err(error) => return format!("seam: {error}\n").into_bytes(),
    };
    let Some(policy) = stream.shared.exec.clone() else {
        return b"seam: this server runs no commands (it was started without --allow-exec)\n"
            .to_vec();
    };
    info!(conn = stream.id, ?argv, "tutorial command");
    let collected = exec::run_collected(
        &policy,
        stream.shared.root.dir(),
        &argv,
        MAX_OUTPUT_LEN - PROBLEM_ROOM,
        stream.shared.shutdown.clone(),
    )
    .await;
    let mut output = collected.output;
    if let Some(problem) = collected.problem {
        warn!(conn = stream.id, ?argv, %problem, "tutorial command did not succeed");
        output.extend_from_slice(format!("seam: {problem}\n").as_bytes());
    }
    output
}

/// Sends the dialect's reply: the head, then (for `cmd-ready`, after `recv_ready`) the output.
async fn reply(stream: &mut TutorialStream, dialect: Dialect, output: &[u8]) -> anyhow::Result<()> {
    let Some(head) = command_reply_head(dialect, output.len() as u64) else {
        bail!("{dialect} cannot announce {} bytes of output", output.len());
    };
    stream.output.write_all(&head).await?;
    if dialect == Dialect::CmdReady {
        wait_for_ready(stream).await?;
    }
    stream.output.write_all(output).await
}

/// Reads exactly `recv_ready`.
async fn wait_for_ready(stream: &mut TutorialStream) -> anyhow::Result<()> {
    let idle = stream.idle();
    let mut ready = ReadyReader::new();
    loop {
        let input = &mut stream.input;
        let mut pending = &input.buf[input.start..input.end];
        let before = pending.len();
        let done = ready.feed(&mut pending)?;
        input.start += before - pending.len();
        if done {
            return Ok(());
        }
        match input.fill(idle, false).await? {
            Filled::Bytes => {}
            Filled::End => bail!("the client closed before sending recv_ready"),
            Filled::Quiet => bail!("no recv_ready for {} s", idle.as_secs()),
        }
    }
}
