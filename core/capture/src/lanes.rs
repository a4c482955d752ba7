//! A whole capture in memory, for a viewer: per connection and direction (a lane), every
//! segment as captured (with how it arrived and how many bytes it put in order) and the
//! reassembled bytes; and the order the packets of a connection came in, both ways.

use crate::error::{CaptureError, ReassemblyError};
use crate::file::{CaptureReader, Record};
use crate::link::Flags;
use crate::reassembly::{Arrival, Window};
use crate::streams::{Side, StreamInfo, Tracker};

/// One segment of a lane, as captured.
#[derive(Debug, Clone, PartialEq)]
pub struct LaneSegment {
    /// The packet's number in the capture (from 1).
    pub packet: u64,
    /// Seconds since the capture's first packet.
    pub t: f64,
    /// Its sequence number.
    pub seq: u32,
    /// Stream offset of its first byte (`None` when it carries nothing placeable).
    pub offset: Option<u64>,
    /// Its payload length.
    pub len: usize,
    /// Its flags.
    pub flags: Flags,
    /// How it arrived.
    pub arrival: Arrival,
    /// How many of its bytes differed from bytes received before (which won).
    pub conflicts: u64,
    /// Bytes put in order when it arrived (its own, and any held ones it made contiguous).
    pub delivered: u64,
}

/// One direction of one connection.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Lane {
    /// Its segments, in capture order.
    pub segments: Vec<LaneSegment>,
    /// The bytes reassembled in order.
    pub bytes: Vec<u8>,
    /// Why reassembly stopped, if it did (a gap).
    pub error: Option<ReassemblyError>,
}

/// Every connection of a capture, reassembled (see the module docs).
#[derive(Debug, Clone, Default)]
pub struct CapturedStreams {
    /// What is known of each connection.
    pub streams: Vec<StreamInfo>,
    lanes: Vec<[Lane; 2]>,
    order: Vec<Vec<(Side, usize)>>,
    /// Packets that held no usable TCP segment.
    pub skipped: u64,
}

impl CapturedStreams {
    /// Reads a whole pcap or pcapng file.
    pub fn parse(file: &[u8]) -> Result<CapturedStreams, CaptureError> {
        let mut reader = CaptureReader::new();
        let mut tracker = Tracker::new(Window::default());
        let mut lanes: Vec<[Lane; 2]> = Vec::new();
        let mut order: Vec<Vec<(Side, usize)>> = Vec::new();
        let mut at = 0;
        loop {
            let (consumed, packet) = match reader.next(&file[at..])? {
                Record::NeedMore => break,
                Record::Read { consumed, packet } => (consumed, packet),
            };
            at += consumed;
            let Some(packet) = packet else { continue };
            let Some(seen) = tracker.packet(&packet)? else {
                continue;
            };
            if seen.stream == lanes.len() {
                lanes.push(Default::default());
                order.push(Vec::new());
            }
            let lane = &mut lanes[seen.stream][seen.side as usize];
            let mut segment = LaneSegment {
                packet: seen.segment.packet,
                t: seen.segment.t,
                seq: seen.segment.seq,
                offset: None,
                len: seen.payload.len(),
                flags: seen.flags,
                arrival: Arrival::AfterEnd,
                conflicts: 0,
                delivered: 0,
            };
            match &seen.accepted {
                Ok(accepted) => {
                    segment.offset = accepted.offset;
                    segment.arrival = accepted.arrival;
                    segment.conflicts = accepted.conflicts;
                    let fresh = seen.fresh();
                    lane.bytes.extend_from_slice(fresh);
                    segment.delivered = fresh.len() as u64;
                }
                Err(error) => {
                    lane.error.get_or_insert(error.clone());
                }
            }
            while let Some(ready) = tracker.pop_ready(seen.stream, seen.side) {
                segment.delivered += ready.bytes.len() as u64;
                lane.bytes.extend_from_slice(&ready.bytes);
            }
            order[seen.stream].push((seen.side, lane.segments.len()));
            lane.segments.push(segment);
        }
        reader.finish(file.len() - at)?;
        for (index, pair) in lanes.iter_mut().enumerate() {
            for side in Side::BOTH {
                if let Err(error) = tracker.finish(index, side) {
                    pair[side as usize].error.get_or_insert(error);
                }
            }
        }
        Ok(CapturedStreams {
            streams: tracker.streams().map(|s| s.info.clone()).collect(),
            lanes,
            order,
            skipped: tracker.skipped(),
        })
    }

    /// One direction of connection `stream`.
    pub fn lane(&self, stream: usize, side: Side) -> Option<&Lane> {
        self.lanes.get(stream).map(|pair| &pair[side as usize])
    }

    /// The packets of connection `stream` in capture order: which lane, which segment of it.
    pub fn order(&self, stream: usize) -> &[(Side, usize)] {
        self.order.get(stream).map_or(&[], Vec::as_slice)
    }
}
