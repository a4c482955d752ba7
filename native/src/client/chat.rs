//! `seam chat`: the tutorials' "phone call", for many people. Lines typed (or piped) go to
//! everyone in the server's chat; everyone's lines, joins and leaves are printed as they
//! come. The end of input (Ctrl-D, or the end of a pipe) leaves cleanly: every line sent
//! comes back first, so a piped script sees its own lines in the room's order.

use std::io::{BufRead, Write};
use std::time::Duration;

use seam_core::messages::{
    chat_name_problem, clean_text, ErrorCode, Reply, Request, MAX_CHAT_NAME_CHARS,
    MAX_CHAT_TEXT_BYTES,
};
use tokio::sync::mpsc;

use super::error::ClientError;
use super::session::Session;
use crate::client::options::ChatOptions;

/// Lines read ahead of the connection, at most.
const LINES_AHEAD: usize = 256;

/// Joins, relays lines both ways, and leaves at the end of input.
pub async fn run(args: &ChatOptions) -> Result<(), ClientError> {
    let wanted = match &args.name {
        Some(name) => name.clone(),
        None => default_name(),
    };
    if let Some(problem) = chat_name_problem(&wanted) {
        return Err(ClientError::Usage(format!("--name {wanted:?}: {problem}")));
    }
    let mut session = Session::connect(&args.client).await?;
    let name = join(&mut session, &wanted, args.name.is_none()).await?;
    if name != wanted && !args.client.quiet {
        eprintln!(
            "seam: someone in the chat is already called {wanted}; you are {name} (choose a \
             name with --name)"
        );
    }
    show(args, &Reply::ChatJoined { name }).map_err(stdout_error)?;
    let Session { mut reader, writer } = session;

    // Standard input is read on a thread of its own: a blocked read of a terminal must not
    // keep the program from ending when the server closes the connection.
    let (tx, lines) = mpsc::channel(LINES_AHEAD);
    std::thread::spawn(move || read_lines(tx));
    let mut sending = tokio::spawn(send_lines(writer, lines));

    let mut refused = None;
    let mut sent_all = false;
    loop {
        let head = tokio::select! {
            head = reader.next_header() => head?,
            done = &mut sending, if !sent_all => {
                done.map_err(|e| ClientError::Lost(std::io::Error::other(e)))??;
                sent_all = true;
                continue;
            }
        };
        let Some(head) = head else { break };
        let reply =
            Reply::from_header(&head.header).map_err(|e| ClientError::Protocol(e.to_string()))?;
        reader.skip_body().await?;
        if let Reply::Error { code, message } = &reply {
            let said = ClientError::Refused {
                code: *code,
                message: message.clone(),
            };
            eprintln!("seam: {}", clean_text(&said.to_string()));
            refused = Some(reply);
            continue;
        }
        show(args, &reply).map_err(stdout_error)?;
    }
    // The server closed the connection. After our end of input that is the clean goodbye
    // (the sending side may still be returning from closing); before it, we were put out
    // (the reason came as an error frame) or the link broke.
    if !sent_all {
        if let Ok(done) = tokio::time::timeout(Duration::from_millis(500), &mut sending).await {
            done.map_err(|e| ClientError::Lost(std::io::Error::other(e)))??;
            sent_all = true;
        }
    }
    if !sent_all {
        sending.abort();
        return Err(match refused {
            Some(Reply::Error { code, message }) => ClientError::Refused { code, message },
            _ => ClientError::Closed,
        });
    }
    // Left cleanly; a line the server refused on the way still makes the exit code say so.
    match refused {
        Some(Reply::Error { code, message }) => Err(ClientError::Refused { code, message }),
        _ => Ok(()),
    }
}

/// Joins as `wanted`; when that name is taken and was not chosen with `--name`, as the
/// first free one of `wanted-2` to `wanted-9`. Returns the name joined as.
async fn join(session: &mut Session, wanted: &str, may_pick: bool) -> Result<String, ClientError> {
    let tries = if may_pick { FREE_NAME_TRIES } else { 1 };
    let mut outcome = Err(ClientError::Closed);
    for number in 1..=tries {
        let name = numbered_name(wanted, number);
        session
            .send(&Request::ChatJoin { name: name.clone() })
            .await?;
        // The first frame is our own join (or the reason we may not).
        outcome = match session.reply().await {
            Ok(Reply::ChatJoined { name: joined }) if joined == name => return Ok(name),
            Ok(other) => return Err(ClientError::unexpected("chat_joined", &other)),
            Err(ClientError::Refused {
                code: ErrorCode::InUse,
                message,
            }) => Err(ClientError::Refused {
                code: ErrorCode::InUse,
                message: format!("{message}; choose another name with --name"),
            }),
            Err(other) => return Err(other),
        };
    }
    outcome
}

/// Names tried when the default name is taken: `NAME`, `NAME-2`, … `NAME-9`.
const FREE_NAME_TRIES: u32 = 9;

/// `wanted` for the first try, then `wanted-N`, shortened to stay a valid name.
fn numbered_name(wanted: &str, number: u32) -> String {
    if number == 1 {
        return wanted.to_string();
    }
    let suffix = format!("-{number}");
    let room = MAX_CHAT_NAME_CHARS - suffix.len();
    let stem: String = wanted.chars().take(room).collect();
    format!("{stem}{suffix}")
}

/// Sends each line as one `chat` request (a line over the limit as several), then closes
/// the sending side to leave.
async fn send_lines(
    mut writer: crate::wire::FrameWriter<crate::traced::Traced<crate::tls::WriteHalf>>,
    mut lines: mpsc::Receiver<std::io::Result<String>>,
) -> Result<(), ClientError> {
    while let Some(line) = lines.recv().await {
        let line = line.map_err(|e| ClientError::Local {
            path: "standard input".into(),
            source: e,
        })?;
        send_line(&mut writer, &line).await?;
        // Piped input: send what is already read in one write.
        while let Ok(line) = lines.try_recv() {
            let line = line.map_err(|e| ClientError::Local {
                path: "standard input".into(),
                source: e,
            })?;
            send_line(&mut writer, &line).await?;
        }
        writer.flush().await?;
    }
    writer.shutdown().await?;
    Ok(())
}

async fn send_line(
    writer: &mut crate::wire::FrameWriter<crate::traced::Traced<crate::tls::WriteHalf>>,
    line: &str,
) -> Result<(), ClientError> {
    let text = clean_text(line);
    for piece in pieces(&text, MAX_CHAT_TEXT_BYTES) {
        writer
            .send(&Request::Chat {
                text: piece.to_string(),
            })
            .await?;
    }
    Ok(())
}

/// Splits `text` into pieces of at most `max` bytes, on character boundaries; an empty
/// text gives no piece (empty lines are not sent).
fn pieces(text: &str, max: usize) -> Vec<&str> {
    let mut pieces = Vec::new();
    let mut rest = text;
    while !rest.is_empty() {
        let mut cut = rest.len().min(max);
        while !rest.is_char_boundary(cut) {
            cut -= 1;
        }
        let (piece, tail) = rest.split_at(cut);
        pieces.push(piece);
        rest = tail;
    }
    pieces
}

/// Reads standard input line by line (any bytes: invalid UTF-8 is replaced) until its end.
fn read_lines(tx: mpsc::Sender<std::io::Result<String>>) {
    let stdin = std::io::stdin();
    let mut input = stdin.lock();
    let mut buf = Vec::new();
    loop {
        buf.clear();
        let line = match input.read_until(b'\n', &mut buf) {
            Ok(0) => return,
            Ok(_) => {
                while matches!(buf.last(), Some(b'\n' | b'\r')) {
                    buf.pop();
                }
                Ok(String::from_utf8_lossy(&buf).into_owned())
            }
            Err(error) if error.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(error) => Err(error),
        };
        let failed = line.is_err();
        if tx.blocking_send(line).is_err() || failed {
            return;
        }
    }
}

/// Prints one event of the room: `name: text`, or `* name joined` / `* name left`; one
/// JSON line each with `--json`. Control characters are shown as U+FFFD, whatever a
/// server lets through.
fn show(args: &ChatOptions, reply: &Reply) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    if args.client.json {
        let line = serde_json::to_string(reply).unwrap_or_default();
        writeln!(out, "{line}")?;
        return out.flush();
    }
    match reply {
        Reply::ChatLine { from, text } => {
            writeln!(out, "{}: {}", clean_text(from), clean_text(text))?
        }
        Reply::ChatJoined { name } if !args.client.quiet => {
            writeln!(out, "* {} joined", clean_text(name))?
        }
        Reply::ChatLeft { name } if !args.client.quiet => {
            writeln!(out, "* {} left", clean_text(name))?
        }
        _ => {}
    }
    out.flush()
}

fn stdout_error(error: std::io::Error) -> ClientError {
    ClientError::Local {
        path: "standard output".into(),
        source: error,
    }
}

/// `$USER` (or `$LOGNAME`) when it makes a valid name, else `guest`.
fn default_name() -> String {
    ["USER", "LOGNAME"]
        .iter()
        .filter_map(|var| std::env::var(var).ok())
        .find(|name| chat_name_problem(name).is_none())
        .unwrap_or_else(|| "guest".into())
}

#[cfg(test)]
mod tests {
    use super::{numbered_name, pieces};

    #[test]
    fn numbered_names_stay_within_the_length_limit() {
        assert_eq!(numbered_name("bob", 1), "bob");
        assert_eq!(numbered_name("bob", 2), "bob-2");
        let long = "a".repeat(32);
        assert_eq!(numbered_name(&long, 3), format!("{}-3", "a".repeat(30)));
    }

    #[test]
    fn long_lines_split_on_character_boundaries() {
        assert!(pieces("", 4).is_empty());
        assert_eq!(pieces("abcdefghij", 4), ["abcd", "efgh", "ij"]);
        assert_eq!(pieces("ééé", 3), ["é", "é", "é"]);
    }
}
