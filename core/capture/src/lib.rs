//! Seam's frames in real packet captures, sans-IO.
//!
//! A [`CaptureReader`] turns the bytes of a pcap or pcapng file, in whatever pieces the
//! caller reads them, into packets; a [`Tracker`] finds each packet's TCP segment (Ethernet,
//! Linux cooked SLL/SLL2, loopback/null or raw IP; IPv4 or IPv6), follows each connection by
//! its 4-tuple and reassembles each direction by sequence number ([`Reassembler`]: the bytes
//! that arrive first win; gaps end the direction with "N bytes missing at seq S"); a
//! [`SegmentedDecoder`] feeds the reassembled bytes to `seam_core::Decoder` and tags every
//! event with the segments (packet number, seq, time) its bytes came from.
//!
//! Nothing here reads files or sockets, and memory stays bounded: records are at most
//! [`MAX_RECORD_LEN`] bytes, each direction holds at most its out-of-order [`Window`], and
//! at most [`MAX_STREAMS`] connections are tracked, all of them holding at most
//! [`MAX_MEMORY`] bytes together.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod decode;
mod error;
mod file;
mod lanes;
mod link;
mod reassembly;
mod streams;

pub use decode::{SegmentedDecoder, SegmentedEvent};
pub use error::{CaptureError, ReassemblyError};
pub use file::{
    CaptureReader, LinkType, Packet, Record, Timestamp, MAX_INTERFACES, MAX_RECORD_LEN,
};
pub use lanes::{CapturedStreams, Lane, LaneSegment};
pub use link::{tcp_packet, Flags, Skip, TcpPacket};
pub use reassembly::{Accepted, Arrival, Ready, Reassembler, SegmentRef, Window, HISTORY_LEN};
pub use streams::{Seen, Side, Stream, StreamInfo, Tracker, MAX_MEMORY, MAX_STREAMS};
