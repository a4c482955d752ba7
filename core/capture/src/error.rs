//! What can go wrong reading a capture or reassembling one of its TCP streams.

use serde::Serialize;
use thiserror::Error;

/// The capture file itself is unreadable: reading stops here.
#[derive(Debug, Clone, PartialEq, Eq, Error, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum CaptureError {
    /// The file starts with neither a pcap nor a pcapng magic number.
    #[error("not a pcap or pcapng file (it starts with {magic:#010x})")]
    NotACapture {
        /// The file's first 4 bytes, big-endian (0 when it has fewer).
        magic: u32,
    },
    /// A record or block declares a length over the limit (a corrupt or hostile file).
    #[error("record at byte {offset} declares {len} bytes, over the limit of {limit}")]
    RecordTooLarge {
        /// Offset of the record in the file.
        offset: u64,
        /// The length it needs.
        len: u64,
        /// The most this reader accepts.
        limit: u64,
    },
    /// The file ends inside a record.
    #[error("the file ends inside the record at byte {offset} ({have} bytes of it present)")]
    Truncated {
        /// Offset of the record in the file.
        offset: u64,
        /// How many of its bytes are there.
        have: u64,
    },
    /// A record or block is malformed.
    #[error("malformed record at byte {offset}: {reason}")]
    Malformed {
        /// Offset of the record in the file.
        offset: u64,
        /// What is wrong, as the pcap parser says it.
        reason: String,
    },
    /// A pcapng packet names an interface that was never described, or too many interfaces.
    #[error(
        "packet at byte {offset} names interface {interface}, which the file does not describe"
    )]
    UnknownInterface {
        /// Offset of the block in the file.
        offset: u64,
        /// The interface number it names.
        interface: u32,
    },
    /// More distinct TCP connections than the limit.
    #[error("more than {limit} TCP connections in one capture")]
    TooManyStreams {
        /// The most connections tracked.
        limit: usize,
    },
}

/// One direction of a TCP stream cannot be reassembled further: its decoding stops here.
#[derive(Debug, Clone, PartialEq, Eq, Error, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ReassemblyError {
    /// Bytes never captured: later bytes arrived, but not these.
    #[error("{missing} bytes missing at seq {seq} (stream offset {offset}): a length-prefixed stream cannot resynchronise after a gap")]
    Gap {
        /// Stream offset of the first missing byte.
        offset: u64,
        /// Its TCP sequence number.
        seq: u32,
        /// How many bytes are missing before the next ones captured (at least).
        missing: u64,
    },
    /// Too many bytes or segments wait behind a hole: the hole is taken as lost.
    #[error("{missing} bytes missing at seq {seq} (stream offset {offset}): {waiting} bytes in {segments} segments wait behind them, over the out-of-order window")]
    WindowFull {
        /// Stream offset of the first missing byte.
        offset: u64,
        /// Its TCP sequence number.
        seq: u32,
        /// How many bytes are missing before the next ones captured.
        missing: u64,
        /// Bytes held out of order.
        waiting: u64,
        /// Segments held out of order.
        segments: u64,
    },
}
