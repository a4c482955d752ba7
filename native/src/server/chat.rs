//! The chat: a broadcast hub for every connection that sent `chat_join`.
//!
//! Each line is encoded once, as a `chat_line {from, text}` frame. The lines a member's
//! connection has already received are encoded into one block (up to [`BLOCK_BYTES`]) and
//! put on a broadcast ring shared by all members; every member's connection task copies
//! the blocks it has not sent yet to its socket, many per write. Everyone, the sender too,
//! gets every line in the same order, so all transcripts agree. A sender never waits for
//! readers: a member that falls more than [`BACKLOG`] blocks behind (it stopped reading, or
//! reads slower than the others talk) is **disconnected** with `error {too_slow}` rather
//! than silently missing lines. The ring bounds the hub's memory whatever the members do
//! (at most [`BACKLOG`] blocks of at most [`BLOCK_BYTES`] plus one line each).

use std::sync::Arc;
use std::time::Duration;

use seam_core::messages::{chat_name_problem, chat_text_problem, ErrorCode, Reply, Request};
use seam_core::names::chat_name_key;
use tokio::sync::broadcast::{self, error::RecvError, error::TryRecvError};
use tracing::{debug, info, warn};

pub mod hub;

use hub::{Block, Hub, Membership, BACKLOG, BLOCK_BYTES};

use super::conn::{write_within, Conn};
use super::failure::{Failure, Refusal};
use crate::wire::{now_or_never, Head};

/// Most blocks copied to a member's socket buffer before it is flushed.
const BATCH: usize = 64;

/// How often a member stuck in a write is checked for having fallen too far behind.
const LAG_CHECK: Duration = Duration::from_millis(100);

/// Joins the chat as `name` and relays lines both ways until the client leaves (closes its
/// side), falls behind, breaks the framing, or the server shuts down.
pub async fn run(conn: &mut Conn, name: String) -> Result<(), Failure> {
    if let Some(problem) = chat_name_problem(&name) {
        return Err(Refusal::new(ErrorCode::BadName, problem).into());
    }
    let hub = conn.shared.chat.clone();
    // Subscribing and announcing happen under the names lock, so that joins and leaves
    // reach the ring in the order members were admitted.
    let (mut rx, own_join, membership) = {
        let mut names = hub.names.lock().map_err(|_| poisoned())?;
        if names.len() >= hub.max_members {
            return Err(Refusal::new(
                ErrorCode::Busy,
                format!(
                    "the chat is full: it holds at most {} members at once; try again later",
                    hub.max_members
                ),
            )
            .into());
        }
        if !names.insert(chat_name_key(&name)) {
            return Err(Refusal::new(
                ErrorCode::InUse,
                format!(
                    "someone in the chat is already called {name} (or a name that looks like it)"
                ),
            )
            .into());
        }
        // Subscribe before announcing, so the member's own join is the first frame it gets.
        let rx = hub.tx.subscribe();
        let own_join = hub.announce(&Reply::ChatJoined { name: name.clone() });
        drop(names);
        let membership = Membership {
            hub: &hub,
            name: name.clone(),
        };
        (rx, own_join, membership)
    };
    info!(conn = conn.id, %name, "joined the chat");
    let outcome = async {
        let first = skip_to_own_join(&mut rx, &own_join)?;
        forward(conn, &mut rx, first).await?;
        relay(conn, &hub, &name, &mut rx).await
    }
    .await;
    drop(membership);
    info!(conn = conn.id, %name, "left the chat");
    outcome
}

/// Drops what other members put on the ring between this member's subscription and its
/// own join (lines said before it joined), so that its own `chat_joined` is the first frame
/// it gets; returns that join.
fn skip_to_own_join(
    rx: &mut broadcast::Receiver<Block>,
    own_join: &Block,
) -> Result<Block, Failure> {
    loop {
        match rx.try_recv() {
            Ok(block) if Arc::ptr_eq(&block, own_join) => return Ok(block),
            Ok(_) => {}
            Err(TryRecvError::Lagged(missed)) => return Err(too_slow_unnamed(missed)),
            // The join was sent after subscribing, so it is queued: this cannot happen.
            Err(TryRecvError::Empty | TryRecvError::Closed) => return Err(poisoned().into()),
        }
    }
}

async fn relay(
    conn: &mut Conn,
    hub: &Hub,
    name: &str,
    rx: &mut broadcast::Receiver<Block>,
) -> Result<(), Failure> {
    let mut shutdown = conn.shared.shutdown.clone();
    let mut block = Vec::with_capacity(BLOCK_BYTES + 256);
    loop {
        // No idle timeout on reads here: a member may listen without talking for hours.
        // TCP keepalive finds a member whose machine vanished, and `--max-chat` bounds how
        // many slots members hold.
        tokio::select! {
            head = conn.reader.next_header() => {
                let mut head = head?;
                // This request and every one already waiting in the connection go out as
                // one block: under load, a write carries many lines.
                loop {
                    let Some(this) = head else {
                        hub.send(&mut block);
                        return leave(conn, rx).await;
                    };
                    if let Err(failure) = take_request(conn, hub, name, this, &mut block).await {
                        hub.send(&mut block);
                        return Err(failure);
                    }
                    if block.len() >= BLOCK_BYTES {
                        hub.send(&mut block);
                    }
                    match now_or_never(conn.reader.next_header()) {
                        None => break,
                        Some(Ok(next)) => head = next,
                        Some(Err(error)) => {
                            hub.send(&mut block);
                            return Err(error.into());
                        }
                    }
                }
                hub.send(&mut block);
            }
            received = rx.recv() => match received {
                Ok(first) => forward(conn, rx, first).await?,
                Err(RecvError::Lagged(missed)) => return Err(too_slow(name, missed)),
                Err(RecvError::Closed) => return Ok(()),
            },
            () = stopping(&mut shutdown) => {
                return Err(Refusal::fatal(ErrorCode::Busy, "the server is shutting down").into());
            }
        }
    }
}

/// Handles one request of a member: a valid line is encoded at the end of `block`; anything
/// else is answered with an error (after the lines before it went out), and the member
/// stays.
async fn take_request(
    conn: &mut Conn,
    hub: &Hub,
    name: &str,
    head: Head,
    block: &mut Vec<u8>,
) -> Result<(), Failure> {
    if head.body_len > 0 {
        conn.reader.skip_body().await?;
    }
    let refusal = match Request::from_header(&head.header) {
        Ok(Request::Chat { text }) => match chat_text_problem(&text) {
            None => {
                hub.encode(
                    &Reply::ChatLine {
                        from: name.to_string(),
                        text,
                    },
                    block,
                );
                return Ok(());
            }
            Some(problem) => Refusal::new(ErrorCode::BadRequest, problem),
        },
        Ok(_) => Refusal::new(
            ErrorCode::BadRequest,
            "in the chat, only chat requests are answered; open another connection for \
             anything else",
        ),
        Err(error) => Refusal::new(ErrorCode::from(&error), error.to_string()),
    };
    hub.send(block);
    conn.reply(&Reply::error(refusal.code, refusal.message))
        .await
}

/// The client closed its side: it leaves, after getting every line said before it left
/// (its own included).
async fn leave(conn: &mut Conn, rx: &mut broadcast::Receiver<Block>) -> Result<(), Failure> {
    match rx.try_recv() {
        Ok(first) => forward(conn, rx, first).await,
        Err(TryRecvError::Lagged(missed)) => Err(too_slow_unnamed(missed)),
        Err(TryRecvError::Empty | TryRecvError::Closed) => Ok(()),
    }
}

/// Writes `first` and every block queued behind it, [`BATCH`] blocks per flush, until the
/// queue is empty. A member whose socket does not take them before its queue overflows is
/// disconnected with `too_slow` — after the block being written is finished, never in the
/// middle of a frame, so the error frame that follows can be read.
async fn forward(
    conn: &mut Conn,
    rx: &mut broadcast::Receiver<Block>,
    first: Block,
) -> Result<(), Failure> {
    let idle = conn.shared.idle_timeout;
    let mut batch = Vec::with_capacity(BATCH);
    batch.push(first);
    loop {
        while batch.len() < BATCH {
            match rx.try_recv() {
                Ok(block) => batch.push(block),
                Err(TryRecvError::Lagged(missed)) => return Err(too_slow_unnamed(missed)),
                Err(TryRecvError::Empty | TryRecvError::Closed) => break,
            }
        }
        if batch.is_empty() {
            return Ok(());
        }
        let full = batch.len() == BATCH;
        let mut behind = None;
        for block in &batch {
            // Blocks are whole frames from the core's encoder, written as they are. Each
            // write is abandoned only while it waits, when it has taken nothing.
            let mut written = 0;
            while written < block.len() {
                let writer = &mut conn.writer;
                let rest = &block[written..];
                tokio::select! {
                    biased;
                    wrote = write_within(idle, writer.write_some(rest)) => written += wrote?,
                    missed = fallen_behind(rx), if behind.is_none() => {
                        warn!(conn = conn.id, missed, "a chat member fell behind; it is disconnected after the frames being written");
                        behind = Some(missed);
                    }
                }
            }
            if let Some(missed) = behind {
                return Err(too_slow_unnamed(missed));
            }
        }
        let writer = &mut conn.writer;
        tokio::select! {
            biased;
            // Flushing loses nothing when abandoned: the buffer keeps whole frames.
            wrote = write_within(idle, writer.flush()) => wrote?,
            missed = fallen_behind(rx) => {
                warn!(conn = conn.id, missed, "a chat member fell behind; it is disconnected");
                return Err(too_slow_unnamed(missed));
            }
        }
        batch.clear();
        if !full {
            return Ok(());
        }
    }
}

/// Resolves once the member is further behind than the ring holds, with how far.
async fn fallen_behind(rx: &broadcast::Receiver<Block>) -> u64 {
    loop {
        tokio::time::sleep(LAG_CHECK).await;
        let behind = rx.len();
        if behind > BACKLOG {
            return (behind - BACKLOG) as u64;
        }
    }
}

/// Resolves when the server starts shutting down.
async fn stopping(shutdown: &mut tokio::sync::watch::Receiver<bool>) {
    let _ = shutdown.wait_for(|stop| *stop).await;
}

fn too_slow(name: &str, missed: u64) -> Failure {
    debug!(%name, missed, "a chat member fell behind");
    too_slow_unnamed(missed)
}

fn too_slow_unnamed(missed: u64) -> Failure {
    Refusal::fatal(
        ErrorCode::TooSlow,
        format!(
            "you read the chat too slowly: more than {BACKLOG} blocks of lines waited for you \
             and {missed} were dropped, so you were disconnected"
        ),
    )
    .into()
}

fn poisoned() -> Refusal {
    Refusal::new(ErrorCode::Internal, "the chat's state is broken")
}
