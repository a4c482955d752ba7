//! TCP connections in a capture: keyed by their 4-tuple, each direction reassembled.

use core::net::SocketAddr;
use std::collections::HashMap;

use serde::Serialize;

use crate::error::{CaptureError, ReassemblyError};
use crate::file::{Packet, Timestamp};
use crate::link::{tcp_packet, Flags};
use crate::reassembly::{Accepted, Ready, Reassembler, SegmentRef, Window};

/// The most TCP connections tracked in one capture.
pub const MAX_STREAMS: usize = 1 << 16;

/// The most bytes all reassemblers together hold (out of order, and history); past it, the
/// direction that grew sheds its history and, if need be, its out-of-order bytes.
pub const MAX_MEMORY: usize = 256 << 20;

/// A direction of a connection, named by its sender.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    /// Bytes the client sent (the side that sent the first SYN, or the first packet).
    Client,
    /// Bytes the server sent.
    Server,
}

impl Side {
    /// Both directions, client first.
    pub const BOTH: [Side; 2] = [Side::Client, Side::Server];

    /// `client` or `server`.
    pub fn name(self) -> &'static str {
        match self {
            Side::Client => "client",
            Side::Server => "server",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// What is known of one connection.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StreamInfo {
    /// Its number, from 0, in order of first appearance.
    pub index: usize,
    /// The client's address.
    pub client: SocketAddr,
    /// The server's address.
    pub server: SocketAddr,
    /// Packets seen, both ways.
    pub packets: u64,
    /// Bytes reassembled in order, client to server and server to client.
    pub bytes: [u64; 2],
    /// Packets each way.
    pub segments: [u64; 2],
    /// First packet's time, seconds since the capture's first packet.
    pub start_t: f64,
    /// Last packet's time.
    pub end_t: f64,
}

/// One connection: what is known of it and its two reassemblers.
#[derive(Debug)]
pub struct Stream {
    /// What is known of it.
    pub info: StreamInfo,
    directions: [Reassembler; 2],
}

impl Stream {
    /// The reassembler of one direction.
    pub fn direction(&self, side: Side) -> &Reassembler {
        &self.directions[side.index()]
    }
}

/// One TCP segment as the tracker saw it.
#[derive(Debug, Clone)]
pub struct Seen<'a> {
    /// The connection's number.
    pub stream: usize,
    /// Which direction.
    pub side: Side,
    /// Which packet, its sequence number and time.
    pub segment: SegmentRef,
    /// Its flags.
    pub flags: Flags,
    /// Its payload, as captured.
    pub payload: &'a [u8],
    /// What reassembly made of it, or why this direction stopped.
    pub accepted: Result<Accepted, ReassemblyError>,
}

impl<'a> Seen<'a> {
    /// The payload bytes it delivers in order now (more may follow from [`Tracker::pop_ready`]).
    pub fn fresh(&self) -> &'a [u8] {
        match &self.accepted {
            Ok(a) => &self.payload[a.fresh.0..a.fresh.1],
            Err(_) => &[],
        }
    }
}

/// Follows every TCP connection of a capture, packet by packet.
#[derive(Debug)]
pub struct Tracker {
    window: Window,
    streams: Vec<Stream>,
    by_key: HashMap<(SocketAddr, SocketAddr), usize>,
    first_time: Option<Timestamp>,
    skipped: u64,
    /// Bytes held by all reassemblers.
    memory: usize,
    max_memory: usize,
}

impl Default for Tracker {
    fn default() -> Self {
        Tracker::new(Window::default())
    }
}

impl Tracker {
    /// A tracker whose reassemblers hold at most `window` out of order, each.
    pub fn new(window: Window) -> Tracker {
        Tracker::with_memory(window, MAX_MEMORY)
    }

    /// A tracker whose reassemblers together hold at most about `max_memory` bytes.
    pub fn with_memory(window: Window, max_memory: usize) -> Tracker {
        Tracker {
            window,
            streams: Vec::new(),
            by_key: HashMap::new(),
            first_time: None,
            skipped: 0,
            memory: 0,
            max_memory,
        }
    }

    /// The connections seen so far.
    pub fn streams(&self) -> impl Iterator<Item = &Stream> {
        self.streams.iter()
    }

    /// One connection.
    pub fn stream(&self, index: usize) -> Option<&Stream> {
        self.streams.get(index)
    }

    /// Bytes all reassemblers hold now (at most about [`MAX_MEMORY`]).
    pub fn memory(&self) -> usize {
        self.memory
    }

    /// Packets that held no usable TCP segment (other protocols, malformed or cut short).
    pub fn skipped(&self) -> u64 {
        self.skipped
    }

    /// Takes one packet; `None` when it holds no TCP segment. Deliver [`Seen::fresh`], then
    /// every [`Tracker::pop_ready`] of its stream and side.
    pub fn packet<'a>(&mut self, packet: &Packet<'a>) -> Result<Option<Seen<'a>>, CaptureError> {
        let first = *self.first_time.get_or_insert(packet.time);
        let t = packet.time.seconds_since(first);
        let Ok(tcp) = tcp_packet(packet.link, packet.data) else {
            self.skipped += 1;
            return Ok(None);
        };
        let key = if tcp.src <= tcp.dst {
            (tcp.src, tcp.dst)
        } else {
            (tcp.dst, tcp.src)
        };
        let opens = tcp.flags.syn && !tcp.flags.ack;
        let existing = self.by_key.get(&key).copied().filter(|&i| {
            // A new SYN on a closed connection's 4-tuple starts a new connection.
            let s = &self.streams[i];
            !(opens && s.directions.iter().all(Reassembler::ended))
        });
        let index = match existing {
            Some(index) => index,
            None => {
                if self.streams.len() >= MAX_STREAMS {
                    return Err(CaptureError::TooManyStreams { limit: MAX_STREAMS });
                }
                let index = self.streams.len();
                // The client sends the first SYN; failing that, the first packet seen.
                let (client, server) = if tcp.flags.syn && tcp.flags.ack {
                    (tcp.dst, tcp.src)
                } else {
                    (tcp.src, tcp.dst)
                };
                self.streams.push(Stream {
                    info: StreamInfo {
                        index,
                        client,
                        server,
                        packets: 0,
                        bytes: [0, 0],
                        segments: [0, 0],
                        start_t: t,
                        end_t: t,
                    },
                    directions: [Reassembler::new(self.window), Reassembler::new(self.window)],
                });
                self.by_key.insert(key, index);
                index
            }
        };
        let stream = &mut self.streams[index];
        let side = if tcp.src == stream.info.client {
            Side::Client
        } else {
            Side::Server
        };
        let segment = SegmentRef {
            packet: packet.number,
            seq: tcp.seq,
            t,
        };
        stream.info.packets += 1;
        stream.info.segments[side.index()] += 1;
        stream.info.end_t = t;
        let direction = &mut stream.directions[side.index()];
        let before = direction.memory();
        let mut accepted = direction.push(segment, tcp.flags, tcp.payload);
        self.memory = self.memory + direction.memory() - before;
        if self.memory > self.max_memory {
            let before = direction.memory();
            if let Some(error) = direction.shed() {
                accepted = Err(error);
            }
            self.memory -= before - direction.memory();
        }
        stream.info.bytes[side.index()] = direction.delivered();
        if tcp.flags.rst {
            // A reset tears down both directions.
            let other = &mut stream.directions[1 - side.index()];
            let before = other.memory();
            let rst = Flags {
                rst: true,
                ..Flags::default()
            };
            other.push(segment, rst, &[]).ok();
            self.memory -= before - other.memory();
        }
        Ok(Some(Seen {
            stream: index,
            side,
            segment,
            flags: tcp.flags,
            payload: tcp.payload,
            accepted,
        }))
    }

    /// The next piece of `stream`'s `side` that became ready in order, if any.
    pub fn pop_ready(&mut self, stream: usize, side: Side) -> Option<Ready> {
        let s = self.streams.get_mut(stream)?;
        let before = s.directions[side.index()].memory();
        let ready = s.directions[side.index()].pop_ready();
        self.memory = self.memory + s.directions[side.index()].memory() - before;
        s.info.bytes[side.index()] = s.directions[side.index()].delivered();
        ready
    }

    /// The capture ended: each direction's verdict (an error when bytes are missing).
    pub fn finish(&mut self, stream: usize, side: Side) -> Result<(), ReassemblyError> {
        let Some(s) = self.streams.get_mut(stream) else {
            return Ok(());
        };
        let direction = &mut s.directions[side.index()];
        let before = direction.memory();
        let result = direction.finish();
        self.memory -= before - direction.memory();
        result
    }
}
