//! `seam send TEXT`: one message to the server's echo, and the echo printed: the tutorials'
//! first client and server, over Seam's framing.

use std::time::Instant;

use seam_core::messages::{Reply, Request};
use serde_json::json;

use super::error::ClientError;
use super::output::print_result;
use super::session::Session;
use crate::client::options::SendOptions;

/// Sends the text and prints what comes back.
pub async fn run(args: &SendOptions) -> Result<(), ClientError> {
    let mut session = Session::connect(&args.client).await?;
    let body = args.text.as_bytes();
    let started = Instant::now();
    session
        .writer
        .send_frame(
            &Request::Echo {
                size: body.len() as u64,
            },
            body,
        )
        .await?;
    session.writer.flush().await?;
    let size = match session.reply().await? {
        Reply::Echo { size } => size,
        other => return Err(ClientError::unexpected("echo", &other)),
    };
    let mut echo = Vec::with_capacity(size.min(1 << 20) as usize);
    while let Some(piece) = session.reader.next_body_piece().await? {
        echo.extend_from_slice(piece);
    }
    let seconds = started.elapsed().as_secs_f64();
    session.close().await;
    if echo != body {
        return Err(ClientError::Protocol(format!(
            "the echo differs from the message: sent {} bytes, got {} back",
            body.len(),
            echo.len()
        )));
    }
    let text = String::from_utf8_lossy(&echo);
    print_result(
        &args.client,
        json!({"ok": true, "op": "send", "bytes": echo.len(), "echo": text, "seconds": seconds}),
        || text.to_string(),
    );
    Ok(())
}
