//! One direction of a TCP connection put back in order by sequence number.
//!
//! Segments go in as captured; bytes come out in stream order, each piece tagged with the
//! segment it came from. Rules:
//! - the first segment's sequence number (after a SYN: the SYN's plus one) is stream
//!   offset 0; later sequence numbers are read relative to the next expected byte, so
//!   streams longer than 4 GiB wrap correctly;
//! - **the first bytes to arrive win**: a retransmission or an overlapping segment never
//!   replaces bytes already received; where its bytes differ from them (compared against the
//!   last [`HISTORY_LEN`] bytes delivered and every byte held out of order), the segment's
//!   [`Accepted::conflicts`] counts them;
//! - a segment beyond the next expected byte waits, copied, in the out-of-order window
//!   (at most [`Window::max_bytes`] bytes in [`Window::max_segments`] segments); when it
//!   overflows, the hole is taken as lost ([`ReassemblyError::WindowFull`]);
//! - FIN marks the end (later bytes are ignored), RST ends the direction at once;
//! - at the end, bytes still held behind a hole, or a FIN not reached, make a
//!   [`ReassemblyError::Gap`]: "N bytes missing at seq S". After a gap nothing more comes out.

use std::collections::{BTreeMap, VecDeque};

use serde::Serialize;

use crate::error::ReassemblyError;
use crate::link::Flags;

/// How many of the last delivered bytes are kept to compare retransmissions with.
pub const HISTORY_LEN: usize = 64 * 1024;

/// Where a piece of the stream came from: its segment.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct SegmentRef {
    /// The packet's number in the capture (from 1).
    pub packet: u64,
    /// The segment's sequence number.
    pub seq: u32,
    /// When it was captured, in seconds since the capture's first packet.
    pub t: f64,
}

/// How a segment's bytes relate to those received before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Arrival {
    /// Its bytes start at the next expected byte (or it carries none).
    InOrder,
    /// All its bytes had been received already.
    Retransmission,
    /// Some of its bytes had been received already, the rest are new.
    PartialRetransmission,
    /// It starts beyond the next expected byte: it waits for the hole to fill.
    OutOfOrder,
    /// It came after the direction ended (RST, FIN, or a gap): ignored.
    AfterEnd,
}

/// What became of one segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Accepted {
    /// How it arrived.
    pub arrival: Arrival,
    /// Stream offset of its first payload byte (`None` before the direction has a start).
    pub offset: Option<u64>,
    /// Its payload bytes that are delivered now, straight from it: `payload[fresh.0..fresh.1]`.
    pub fresh: (usize, usize),
    /// How many of its bytes differ from bytes received before (which win).
    pub conflicts: u64,
}

/// A piece of the stream ready in order, held from an earlier out-of-order segment.
#[derive(Debug, Clone, PartialEq)]
pub struct Ready {
    /// Stream offset of its first byte.
    pub offset: u64,
    /// The bytes.
    pub bytes: Vec<u8>,
    /// The segment they came from.
    pub segment: SegmentRef,
}

/// Bounds of the out-of-order window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    /// Most bytes held out of order.
    pub max_bytes: usize,
    /// Most segments (pieces) held out of order.
    pub max_segments: usize,
}

impl Default for Window {
    fn default() -> Self {
        Window {
            max_bytes: 16 << 20,
            max_segments: 16 * 1024,
        }
    }
}

#[derive(Debug, Clone)]
struct Held {
    bytes: Vec<u8>,
    segment: SegmentRef,
}

/// One direction being reassembled (see the module docs).
#[derive(Debug)]
pub struct Reassembler {
    window: Window,
    /// Sequence number of stream offset 0, once known.
    base: Option<u32>,
    /// Next stream offset expected.
    next: u64,
    held: BTreeMap<u64, Held>,
    held_bytes: usize,
    history: VecDeque<u8>,
    /// How many delivered bytes to keep in `history` (0 once memory ran short).
    history_len: usize,
    /// Stream offset where a FIN puts the end.
    fin: Option<u64>,
    reset: bool,
    failed: Option<ReassemblyError>,
}

impl Reassembler {
    /// A direction with nothing received yet.
    pub fn new(window: Window) -> Reassembler {
        Reassembler {
            window,
            base: None,
            next: 0,
            held: BTreeMap::new(),
            held_bytes: 0,
            history: VecDeque::new(),
            history_len: HISTORY_LEN,
            fin: None,
            reset: false,
            failed: None,
        }
    }

    /// Bytes delivered in order so far (= the next expected stream offset).
    pub fn delivered(&self) -> u64 {
        self.next
    }

    /// Bytes held out of order now.
    pub fn held_bytes(&self) -> usize {
        self.held_bytes
    }

    /// The sequence number of stream offset `offset`, once the start is known.
    pub fn seq_at(&self, offset: u64) -> Option<u32> {
        self.base.map(|base| base.wrapping_add(offset as u32))
    }

    /// Whether the direction ended: RST, FIN reached, or an error.
    pub fn ended(&self) -> bool {
        self.reset || self.failed.is_some() || self.fin.is_some_and(|fin| self.next >= fin)
    }

    /// The error that stopped this direction, if any.
    pub fn error(&self) -> Option<&ReassemblyError> {
        self.failed.as_ref()
    }

    /// Bytes this direction holds: out of order, and history.
    pub fn memory(&self) -> usize {
        self.held_bytes + self.history.len()
    }

    /// Memory ran short across many connections: stop keeping history (later overlaps are
    /// no longer compared) and, if bytes are still held out of order, give up on the hole
    /// they wait behind ([`ReassemblyError::WindowFull`]). Returns that error, if any.
    pub fn shed(&mut self) -> Option<ReassemblyError> {
        self.history = VecDeque::new();
        self.history_len = 0;
        if self.held.is_empty() || self.failed.is_some() {
            return None;
        }
        let first = self.held.first_key_value().map_or(self.next, |(&k, _)| k);
        let error = ReassemblyError::WindowFull {
            offset: self.next,
            seq: self.seq_at(self.next).unwrap_or(0),
            missing: first - self.next,
            waiting: self.held_bytes as u64,
            segments: self.held.len() as u64,
        };
        Some(self.fail(error))
    }

    /// Takes one segment. Deliver `payload[fresh]` first, then every [`Reassembler::pop_ready`].
    pub fn push(
        &mut self,
        segment: SegmentRef,
        flags: Flags,
        payload: &[u8],
    ) -> Result<Accepted, ReassemblyError> {
        let mut accepted = Accepted {
            arrival: Arrival::InOrder,
            offset: None,
            fresh: (0, 0),
            conflicts: 0,
        };
        if let Some(error) = &self.failed {
            return Err(error.clone());
        }
        if self.ended() {
            // A bare ACK after the end is ordinary; bytes after it are not.
            if !payload.is_empty() {
                accepted.arrival = Arrival::AfterEnd;
            }
            return Ok(accepted);
        }
        let data_seq = if flags.syn {
            segment.seq.wrapping_add(1)
        } else {
            segment.seq
        };
        let base = *self.base.get_or_insert(data_seq);
        // Relative to the next expected byte, within ±2 GiB.
        let next_seq = base.wrapping_add(self.next as u32);
        let delta = i64::from(data_seq.wrapping_sub(next_seq) as i32);
        let start = self.next as i64 + delta;
        if flags.rst {
            self.reset = true;
            self.history = VecDeque::new();
            accepted.offset = u64::try_from(start).ok();
            return Ok(accepted);
        }
        let end = start + payload.len() as i64;
        if flags.fin && end >= 0 {
            self.fin.get_or_insert(end as u64);
        }
        // Bytes before the stream's start (an old retransmission) are dropped.
        let skip = (-start).max(0) as usize;
        let payload = &payload[skip.min(payload.len())..];
        let start = start.max(0) as u64;
        let payload = match self.fin {
            Some(fin) if start + payload.len() as u64 > fin => {
                &payload[..fin.saturating_sub(start) as usize]
            }
            _ => payload,
        };
        accepted.offset = Some(start);
        let end = start + payload.len() as u64;
        if payload.is_empty() {
            if skip > 0 {
                accepted.arrival = Arrival::Retransmission;
            }
            return Ok(accepted);
        }
        // Bytes already delivered: compare what history still holds.
        let old_end = end.min(self.next);
        if start < old_end {
            accepted.conflicts +=
                self.compare_history(start, &payload[..(old_end - start) as usize]);
        }
        if end <= self.next {
            accepted.arrival = Arrival::Retransmission;
            return Ok(accepted);
        }
        let new_from = old_end.max(start);
        accepted.arrival = if start > self.next {
            Arrival::OutOfOrder
        } else if start < self.next {
            Arrival::PartialRetransmission
        } else {
            Arrival::InOrder
        };
        // Split the new bytes into those held already (compare, theirs win) and gaps between
        // them (ours): the gap at `self.next` is delivered fresh, the others are held.
        let mut at = new_from;
        let covering: Vec<(u64, u64)> = self
            .held
            .range(..end)
            .rev()
            .take_while(|(&k, h)| k + h.bytes.len() as u64 > new_from)
            .map(|(&k, h)| (k, k + h.bytes.len() as u64))
            .collect();
        let mut to_hold: Vec<(u64, u64)> = Vec::new();
        for &(k, k_end) in covering.iter().rev() {
            if k > at {
                to_hold.push((at, k));
            }
            let lo = k.max(new_from);
            let hi = k_end.min(end);
            if lo < hi {
                let held = &self.held[&k].bytes[(lo - k) as usize..(hi - k) as usize];
                let ours = &payload[(lo - start) as usize..(hi - start) as usize];
                accepted.conflicts += differing(held, ours);
            }
            at = at.max(k_end);
        }
        if at < end {
            to_hold.push((at, end));
        }
        for (lo, hi) in to_hold {
            let piece = (lo - start) as usize..(hi - start) as usize;
            if lo == self.next {
                accepted.fresh = (piece.start + skip, piece.end + skip);
                self.deliver_fresh(&payload[piece]);
            } else {
                self.hold(lo, payload[piece].to_vec(), segment)?;
            }
        }
        Ok(accepted)
    }

    /// The next held piece that is now in order, if any; pieces the stream has passed are
    /// trimmed (the bytes delivered first win).
    pub fn pop_ready(&mut self) -> Option<Ready> {
        loop {
            let (&offset, _) = self.held.first_key_value()?;
            if offset > self.next {
                return None;
            }
            let (_, held) = self.held.pop_first()?;
            self.held_bytes -= held.bytes.len();
            let end = offset + held.bytes.len() as u64;
            if end <= self.next {
                continue;
            }
            let bytes = held.bytes[(self.next - offset) as usize..].to_vec();
            let ready = Ready {
                offset: self.next,
                bytes,
                segment: held.segment,
            };
            self.advance(&ready.bytes);
            return Some(ready);
        }
    }

    /// The stream ended (end of the capture, or the connection closed): an error when bytes
    /// are known to be missing.
    pub fn finish(&mut self) -> Result<(), ReassemblyError> {
        if let Some(error) = &self.failed {
            return Err(error.clone());
        }
        if self.reset {
            return Ok(());
        }
        let hole_end = self
            .held
            .first_key_value()
            .map(|(&k, _)| k)
            .or(self.fin.filter(|&fin| fin > self.next));
        match hole_end {
            None => Ok(()),
            Some(hole_end) => Err(self.fail(ReassemblyError::Gap {
                offset: self.next,
                seq: self.seq_at(self.next).unwrap_or(0),
                missing: hole_end - self.next,
            })),
        }
    }

    fn fail(&mut self, error: ReassemblyError) -> ReassemblyError {
        self.held.clear();
        self.held_bytes = 0;
        self.failed = Some(error.clone());
        error
    }

    fn hold(
        &mut self,
        offset: u64,
        bytes: Vec<u8>,
        segment: SegmentRef,
    ) -> Result<(), ReassemblyError> {
        self.held_bytes += bytes.len();
        self.held.insert(offset, Held { bytes, segment });
        if self.held_bytes > self.window.max_bytes || self.held.len() > self.window.max_segments {
            let first = self.held.first_key_value().map_or(offset, |(&k, _)| k);
            let error = ReassemblyError::WindowFull {
                offset: self.next,
                seq: self.seq_at(self.next).unwrap_or(0),
                missing: first - self.next,
                waiting: self.held_bytes as u64,
                segments: self.held.len() as u64,
            };
            return Err(self.fail(error));
        }
        Ok(())
    }

    fn deliver_fresh(&mut self, bytes: &[u8]) {
        self.advance(bytes);
    }

    fn advance(&mut self, bytes: &[u8]) {
        self.next += bytes.len() as u64;
        if self.ended() {
            // Nothing more can arrive to compare: give the memory back.
            self.history = VecDeque::new();
            return;
        }
        let keep = &bytes[bytes.len().saturating_sub(self.history_len)..];
        let overflow = (self.history.len() + keep.len()).saturating_sub(self.history_len);
        self.history.drain(..overflow);
        self.history.extend(keep);
    }

    /// Counts the bytes of `old` (delivered, starting at stream offset `start`) that differ
    /// from what was delivered, as far as the history reaches.
    fn compare_history(&self, start: u64, old: &[u8]) -> u64 {
        let history_start = self.next - self.history.len() as u64;
        let from = start.max(history_start);
        let end = start + old.len() as u64;
        if from >= end {
            return 0;
        }
        let theirs = self
            .history
            .range((from - history_start) as usize..(end - history_start) as usize);
        let ours = &old[(from - start) as usize..];
        theirs.zip(ours).filter(|(a, b)| a != b).count() as u64
    }
}

fn differing(a: &[u8], b: &[u8]) -> u64 {
    a.iter().zip(b).filter(|(x, y)| x != y).count() as u64
}
