//! `seam send --dialect echo|echo-upper TEXT`: the bare text, as the tutorials' first client
//! sends it, and the echo (the same bytes, or upper-cased) checked and printed.

use std::time::Instant;

use seam_core::dialect::client::{echo_request, expected_echo, ReplyEvent, ReplyReader};
use seam_core::dialect::Dialect;
use serde_json::json;

use super::conn::DialectConn;
use super::REPLY_TIMEOUT;
use crate::client::error::ClientError;
use crate::client::options::SendOptions;
use crate::client::output::print_result;

/// Sends the text and prints what comes back.
pub async fn run(args: &SendOptions, dialect: Dialect) -> Result<(), ClientError> {
    let request = echo_request(dialect, args.text.as_bytes())
        .map_err(|e| ClientError::Usage(e.to_string()))?;
    let mut conn = DialectConn::connect(
        &args.client.server,
        args.client.trace.as_deref(),
        REPLY_TIMEOUT,
    )
    .await?;
    let started = Instant::now();
    conn.write(&request).await?;
    let mut reader = ReplyReader::echo(request.len() as u64);
    let mut echo = Vec::with_capacity(request.len());
    conn.read_reply(&mut reader, usize::MAX, |event| {
        if let ReplyEvent::Output(bytes) = event {
            echo.extend_from_slice(bytes);
        }
        None
    })
    .await?;
    let seconds = started.elapsed().as_secs_f64();
    let expected = expected_echo(dialect, &request);
    if echo != expected {
        return Err(ClientError::Protocol(format!(
            "the server answered {:?}; the {dialect} dialect answers {:?}",
            String::from_utf8_lossy(&echo),
            String::from_utf8_lossy(&expected)
        )));
    }
    let text = String::from_utf8_lossy(&echo);
    print_result(
        &args.client,
        json!({"ok": true, "op": "send", "dialect": dialect.as_str(), "bytes": echo.len(), "echo": text, "seconds": seconds}),
        || text.to_string(),
    );
    Ok(())
}
