//! The chat room of a server: the broadcast ring every member's connection copies from,
//! the names in use, and the limit of members.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use seam_core::messages::Reply;
use seam_core::names::chat_name_key;
use seam_core::Encoder;
use tokio::sync::broadcast;
use tracing::warn;

/// Blocks a member may fall behind before it is disconnected (a power of two).
pub const BACKLOG: usize = 1024;

/// A block is put on the ring once it holds this many bytes of frames (or once no more
/// lines are waiting in the sender's connection).
pub const BLOCK_BYTES: usize = 8 * 1024;

/// Frames already encoded, one or more, shared by every member's queue.
pub type Block = Arc<[u8]>;

/// The chat room of a server.
pub struct Hub {
    pub(super) tx: broadcast::Sender<Block>,
    /// What the names in use look like ([`chat_name_key`]): "Alice" and "alice", or
    /// "ape" and a Cyrillic "аре", cannot both be in.
    pub(super) names: Mutex<HashSet<String>>,
    /// Most members at once (`--max-chat`): members are exempt from the idle timeout, so
    /// without a limit of their own they could hold every connection slot.
    pub(super) max_members: usize,
    encoder: Encoder,
}

impl Hub {
    /// An empty room for at most `max_members` members.
    pub fn new(max_members: usize) -> Hub {
        let (tx, _) = broadcast::channel(BACKLOG);
        Hub {
            tx,
            names: Mutex::new(HashSet::new()),
            max_members,
            encoder: Encoder::default(),
        }
    }

    /// Encodes a reply at the end of `block`.
    pub(super) fn encode(&self, reply: &Reply, block: &mut Vec<u8>) {
        if let Err(error) = self.encoder.encode_frame(reply, &[], block) {
            warn!(%error, "a chat frame could not be encoded");
        }
    }

    /// Puts a block in every member's queue and empties it.
    pub(super) fn send(&self, block: &mut Vec<u8>) {
        if !block.is_empty() {
            // An error only means that nobody is in the room.
            let _ = self.tx.send(Block::from(&block[..]));
            block.clear();
        }
    }

    /// Encodes one reply and sends it on its own; returns the block put on the ring.
    pub(super) fn announce(&self, reply: &Reply) -> Block {
        let mut bytes = Vec::new();
        self.encode(reply, &mut bytes);
        let block = Block::from(&bytes[..]);
        // An error only means that nobody is in the room.
        let _ = self.tx.send(block.clone());
        block
    }
}

/// A member's place in the room: leaving (however the connection ends) frees the name
/// and tells the others.
pub(super) struct Membership<'h> {
    pub(super) hub: &'h Hub,
    pub(super) name: String,
}

impl Drop for Membership<'_> {
    fn drop(&mut self) {
        // Under the names lock, like a join: joins and leaves reach the ring in one order.
        let mut names = self.hub.names.lock().unwrap_or_else(|e| e.into_inner());
        names.remove(&chat_name_key(&self.name));
        self.hub.announce(&Reply::ChatLeft {
            name: self.name.clone(),
        });
        drop(names);
    }
}
