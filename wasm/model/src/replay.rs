//! A replay: a stream cut into chunks, decoded once and recorded chunk by chunk, so that a
//! viewer can show the decoder's state after any number of chunks (step forward, step back,
//! jump) without decoding again, and the role of every byte it has seen.
//!
//! Step `s` means "the first `s` chunks have arrived": step 0 is before anything, step
//! `chunks()` is after the last chunk, when the stream also ends (and [`Decoder::finish`]
//! has its say).
//!
//! ```
//! use seam_core::Framing;
//! use seam_page_model::{Replay, Role};
//!
//! // {"op":"echo","size":5} + hello, arriving as 2 chunks of 20 and 11 bytes.
//! let mut frame = vec![22, 0, 0, 0];
//! frame.extend_from_slice(b"{\"op\":\"echo\",\"size\":5}hello");
//! let replay = Replay::new(Framing::default(), frame, &[20, 11]).unwrap();
//! let after_one = replay.state(1);
//! assert_eq!(after_one.waiting.unwrap().to_string(), "6 more bytes of the header");
//! let roles = replay.roles(1, 0..31);
//! assert_eq!((roles[3], roles[4], roles[19], roles[20]), (Role::Prefix, Role::Header, Role::Header, Role::Pending));
//! assert_eq!(replay.state(2).messages, 1);
//! ```

use std::ops::Range;

use serde::{Deserialize, Serialize};
use thiserror::Error;

use seam_core::{DecodeError, Decoder, Event, Framing, Header, Part, Span, Waiting};

/// The most chunks a replay holds (about 40 bytes each, plus the events).
pub const MAX_REPLAY_CHUNKS: usize = 1 << 20;

/// What a byte of the stream is, as far as the decoder knows at a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[repr(u8)]
pub enum Role {
    /// Not arrived yet.
    Pending = 0,
    /// Part of a length prefix.
    Prefix = 1,
    /// Part of a header.
    Header = 2,
    /// Part of a body.
    Body = 3,
    /// Part of what made the decoder fail (a bad prefix or header).
    Bad = 4,
    /// Arrived after the decoder failed: never read.
    Unread = 5,
}

impl From<Part> for Role {
    fn from(part: Part) -> Role {
        match part {
            Part::Length => Role::Prefix,
            Part::Header => Role::Header,
            Part::Body => Role::Body,
        }
    }
}

/// The kind of a [`ReplayEvent`], as in [`seam_core::EventRecord`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// A length prefix.
    Length,
    /// A header.
    Header,
    /// A body piece.
    Body,
    /// A frame's end.
    End,
}

/// An event as recorded, without its payload (a header is parsed again on request).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ReplayEvent {
    /// What it is.
    pub kind: EventKind,
    /// The chunk whose arrival gave it.
    pub chunk: u32,
    /// First byte.
    pub start: u64,
    /// One past the last byte.
    pub end: u64,
    /// Length: the header length; header and end: the body length; body: the piece's length.
    pub value: u64,
}

/// A whole frame of a replay.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ReplayMessage {
    /// The whole frame.
    pub span: Span,
    /// Its header.
    pub header: Span,
    /// Its body (empty when it has none).
    pub body: Span,
    /// The chunk whose arrival completed it.
    pub chunk: u32,
}

/// The decoder's state after a step.
#[derive(Debug, Clone, PartialEq)]
pub struct StepState {
    /// The step: how many chunks have arrived.
    pub step: usize,
    /// Bytes arrived so far.
    pub received: u64,
    /// The decoder's position (bytes consumed; less than `received` only after an error).
    pub position: u64,
    /// Events given out so far.
    pub events: usize,
    /// Frames completed so far.
    pub messages: usize,
    /// What the decoder waits for (`None` once it failed).
    pub waiting: Option<Waiting>,
    /// The error that stopped the decoder, if it happened by this step; at the last step
    /// also what [`Decoder::finish`] reports (a truncation).
    pub error: Option<DecodeError>,
    /// Whether the stream has ended (the last step).
    pub ended: bool,
}

/// Why a replay could not be made.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{chunks} chunks are more than a replay holds ({MAX_REPLAY_CHUNKS}); choose a coarser cut")]
pub struct TooManyChunks {
    /// How many chunks there were.
    pub chunks: usize,
}

#[derive(Debug, Clone)]
struct Failure {
    chunk: usize,
    position: u64,
    error: DecodeError,
}

/// A stream decoded chunk by chunk, with the state after each chunk.
#[derive(Debug, Clone)]
pub struct Replay {
    framing: Framing,
    bytes: Vec<u8>,
    chunk_ends: Vec<u64>,
    events: Vec<ReplayEvent>,
    /// `first_event[c]`: events given before chunk `c` arrived; one more entry at the end.
    first_event: Vec<u32>,
    /// The decoder's wait after each chunk.
    waiting: Vec<Option<Waiting>>,
    /// (header event, end event) of each complete frame.
    messages: Vec<(u32, u32)>,
    /// The events that give bytes a role (all but ends), in stream order.
    role_spans: Vec<u32>,
    failure: Option<Failure>,
    end: Result<(), DecodeError>,
}

impl Replay {
    /// Decodes `bytes` cut into chunks of the given lengths. Lengths past the end are cut
    /// short; bytes not covered by them arrive as one last chunk.
    pub fn new(
        framing: Framing,
        bytes: Vec<u8>,
        chunk_lengths: &[usize],
    ) -> Result<Replay, TooManyChunks> {
        let total = bytes.len() as u64;
        let mut chunk_ends = Vec::with_capacity(chunk_lengths.len() + 1);
        let mut at = 0u64;
        for &len in chunk_lengths {
            if at == total && len > 0 {
                break;
            }
            at = (at + len as u64).min(total);
            chunk_ends.push(at);
        }
        if at < total {
            chunk_ends.push(total);
        }
        if chunk_ends.len() > MAX_REPLAY_CHUNKS {
            return Err(TooManyChunks {
                chunks: chunk_ends.len(),
            });
        }
        let mut replay = Replay {
            framing: framing.clone(),
            bytes: Vec::new(),
            events: Vec::new(),
            first_event: Vec::with_capacity(chunk_ends.len() + 1),
            waiting: Vec::with_capacity(chunk_ends.len()),
            messages: Vec::new(),
            role_spans: Vec::new(),
            failure: None,
            end: Ok(()),
            chunk_ends,
        };
        let mut decoder = Decoder::new(framing);
        let mut header_event = 0u32;
        let mut from = 0usize;
        for chunk in 0..replay.chunk_ends.len() {
            replay.first_event.push(replay.events.len() as u32);
            let to = replay.chunk_ends[chunk] as usize;
            if replay.failure.is_none() {
                let mut failed = None;
                for event in decoder.feed(&bytes[from..to]) {
                    let event = match event {
                        Ok(event) => event,
                        Err(error) => {
                            failed = Some(error);
                            break;
                        }
                    };
                    let index = replay.events.len() as u32;
                    let (kind, value) = match &event {
                        Event::Length { header_len, .. } => {
                            (EventKind::Length, u64::from(*header_len))
                        }
                        Event::Header { body_len, .. } => {
                            header_event = index;
                            (EventKind::Header, *body_len)
                        }
                        Event::BodyPiece { bytes, .. } => (EventKind::Body, bytes.len() as u64),
                        Event::MessageEnd { body_len, .. } => {
                            replay.messages.push((header_event, index));
                            (EventKind::End, *body_len)
                        }
                    };
                    if kind != EventKind::End {
                        replay.role_spans.push(index);
                    }
                    let span = event.span();
                    replay.events.push(ReplayEvent {
                        kind,
                        chunk: chunk as u32,
                        start: span.start,
                        end: span.end,
                        value,
                    });
                }
                // The decoder stops where the error arose: at the bad prefix's or header's end.
                replay.failure = failed.map(|error| Failure {
                    chunk,
                    position: decoder.position(),
                    error,
                });
            }
            replay.waiting.push(decoder.waiting());
            from = to;
        }
        replay.first_event.push(replay.events.len() as u32);
        replay.end = decoder.finish();
        replay.bytes = bytes;
        Ok(replay)
    }

    /// The framing the stream was decoded with.
    pub fn framing(&self) -> &Framing {
        &self.framing
    }

    /// The stream's bytes.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// How many chunks the stream arrived in (= the last step).
    pub fn chunks(&self) -> usize {
        self.chunk_ends.len()
    }

    /// Where each chunk ends.
    pub fn chunk_ends(&self) -> &[u64] {
        &self.chunk_ends
    }

    /// The lengths of the chunks.
    pub fn chunk_lengths(&self) -> Vec<usize> {
        let mut from = 0;
        self.chunk_ends
            .iter()
            .map(|&end| {
                let len = (end - from) as usize;
                from = end;
                len
            })
            .collect()
    }

    /// Every event, in order.
    pub fn events(&self) -> &[ReplayEvent] {
        &self.events
    }

    /// The parsed header and its text, for a header event.
    pub fn header(&self, event: usize) -> Option<(Header, &str)> {
        let event = self
            .events
            .get(event)
            .filter(|e| e.kind == EventKind::Header)?;
        let text =
            std::str::from_utf8(&self.bytes[event.start as usize..event.end as usize]).ok()?;
        // Parsed as a `Value`: a typed map would bring serde's type errors into wasm builds.
        match serde_json::from_str(text).ok()? {
            serde_json::Value::Object(header) => Some((header, text)),
            _ => None,
        }
    }

    /// The complete frames, in order.
    pub fn message_count(&self) -> usize {
        self.messages.len()
    }

    /// Frame `i`.
    pub fn message(&self, i: usize) -> Option<ReplayMessage> {
        let &(header, end) = self.messages.get(i)?;
        let header = self.events[header as usize];
        let end = self.events[end as usize];
        Some(ReplayMessage {
            span: Span {
                start: end.start,
                end: end.end,
            },
            header: Span {
                start: header.start,
                end: header.end,
            },
            body: Span {
                start: header.end,
                end: end.end,
            },
            chunk: end.chunk,
        })
    }

    /// The length of every complete frame, and of what follows the last one, if anything:
    /// the messages a naive receiver should have seen.
    pub fn frame_lengths(&self) -> Vec<usize> {
        let mut lengths: Vec<usize> = (0..self.messages.len())
            .filter_map(|i| self.message(i))
            .map(|m| m.span.len() as usize)
            .collect();
        let covered: usize = lengths.iter().sum();
        if covered < self.bytes.len() {
            lengths.push(self.bytes.len() - covered);
        }
        lengths
    }

    /// Bytes arrived after `step` chunks.
    pub fn received(&self, step: usize) -> u64 {
        match step.min(self.chunks()) {
            0 => 0,
            s => self.chunk_ends[s - 1],
        }
    }

    /// The decoder's state after `step` chunks (clamped to the last step).
    pub fn state(&self, step: usize) -> StepState {
        let step = step.min(self.chunks());
        let received = self.received(step);
        let failed = self.failure.as_ref().filter(|f| f.chunk < step);
        let ended = step == self.chunks();
        let error = match failed {
            Some(failure) => Some(failure.error.clone()),
            None if ended => self.end.clone().err(),
            None => None,
        };
        let waiting = match (failed, step) {
            (Some(_), _) => None,
            (None, 0) => Decoder::new(self.framing.clone()).waiting(),
            (None, s) => self.waiting[s - 1],
        };
        let events = self.first_event[step] as usize;
        StepState {
            step,
            received,
            position: failed.map_or(received, |f| f.position),
            events,
            messages: self
                .messages
                .partition_point(|&(_, end)| (end as usize) < events),
            waiting,
            error,
            ended,
        }
    }

    /// The role of each byte in `range` after `step` chunks.
    pub fn roles(&self, step: usize, range: Range<u64>) -> Vec<Role> {
        let step = step.min(self.chunks());
        let end = range.end.min(self.bytes.len() as u64);
        let start = range.start.min(end);
        let received = self.received(step);
        let failed = self.failure.as_ref().filter(|f| f.chunk < step);
        let partial = match step {
            0 => Role::Prefix,
            s => self.waiting[s - 1].map_or(Role::Unread, |w| Role::from(w.part)),
        };
        let mut roles: Vec<Role> = (start..end)
            .map(|offset| match failed {
                _ if offset >= received => Role::Pending,
                Some(f) if offset < f.position => Role::Bad,
                Some(_) => Role::Unread,
                None => partial,
            })
            .collect();
        let first = self
            .role_spans
            .partition_point(|&i| self.events[i as usize].end <= start);
        for &i in &self.role_spans[first..] {
            let event = &self.events[i as usize];
            if event.start >= end {
                break;
            }
            if event.chunk as usize >= step {
                continue;
            }
            let role = match event.kind {
                EventKind::Length => Role::Prefix,
                EventKind::Header => Role::Header,
                _ => Role::Body,
            };
            let from = (event.start.max(start) - start) as usize;
            let to = (event.end.min(end) - start) as usize;
            roles[from..to].fill(role);
        }
        roles
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn echo() -> Vec<u8> {
        let mut frame = vec![22, 0, 0, 0];
        frame.extend_from_slice(b"{\"op\":\"echo\",\"size\":5}hello");
        frame
    }

    #[test]
    fn each_step_shows_what_the_decoder_waits_for() {
        let replay = Replay::new(Framing::default(), echo(), &[2, 20, 4, 5]).unwrap();
        assert_eq!(replay.chunks(), 4);
        let texts: Vec<String> = (0..=4)
            .map(|s| replay.state(s).waiting.unwrap().to_string())
            .collect();
        assert_eq!(
            texts,
            [
                "4 bytes of the length prefix",
                "2 more bytes of the length prefix",
                "4 more bytes of the header",
                "5 bytes of the body",
                "4 bytes of the length prefix",
            ]
        );
        let last = replay.state(4);
        assert_eq!(
            (last.events, last.messages, last.ended, last.error),
            (4, 1, true, None)
        );
        assert_eq!(replay.state(3).events, 2);
        assert_eq!(replay.message(0).unwrap().body, Span { start: 26, end: 31 });
        let (header, text) = replay.header(1).unwrap();
        assert_eq!(
            (header["op"].as_str(), text),
            (Some("echo"), r#"{"op":"echo","size":5}"#)
        );
    }

    #[test]
    fn roles_follow_the_steps() {
        use Role::*;
        let replay = Replay::new(Framing::default(), echo(), &[2, 20, 4, 5]).unwrap();
        assert_eq!(replay.roles(0, 0..3), [Pending; 3]);
        assert_eq!(replay.roles(1, 0..3), [Prefix, Prefix, Pending]);
        assert_eq!(replay.roles(2, 20..24), [Header, Header, Pending, Pending]);
        assert_eq!(
            replay.roles(4, 24..40),
            [Header, Header, Body, Body, Body, Body, Body]
        );
    }

    #[test]
    fn a_failure_marks_the_bad_part_and_what_follows() {
        use Role::*;
        let mut bytes = echo();
        bytes.extend_from_slice(b"\x03\0\0\0{x}\x05\0\0\0{}");
        let replay = Replay::new(Framing::default(), bytes, &[33, 5, 9]).unwrap();
        let before = replay.state(1);
        assert!(before.error.is_none());
        let after = replay.state(2);
        assert_eq!(after.error.as_ref().unwrap().kind(), "header_not_json");
        assert_eq!(
            (after.position, after.received, after.waiting),
            (38, 38, None)
        );
        assert_eq!(replay.roles(1, 31..35), [Prefix, Prefix, Pending, Pending]);
        assert_eq!(
            replay.roles(3, 30..40),
            [Body, Prefix, Prefix, Prefix, Prefix, Bad, Bad, Bad, Unread, Unread]
        );
        assert_eq!(replay.state(3).error, replay.state(2).error);
        assert_eq!(replay.frame_lengths(), vec![31, 13]);
    }

    #[test]
    fn a_truncated_stream_reports_at_the_end() {
        let replay = Replay::new(Framing::default(), echo()[..29].to_vec(), &[10]).unwrap();
        assert_eq!(replay.chunks(), 2);
        assert!(replay.state(1).error.is_none());
        let end = replay.state(2);
        assert_eq!(end.error.unwrap().kind(), "truncated");
        assert_eq!(end.waiting.unwrap().to_string(), "2 more bytes of the body");
    }

    #[test]
    fn chunk_lengths_are_clipped_and_completed() {
        let replay = Replay::new(Framing::default(), echo(), &[0, 10, 100, 7]).unwrap();
        assert_eq!(replay.chunk_lengths(), vec![0, 10, 21]);
        let short = Replay::new(Framing::default(), echo(), &[10]).unwrap();
        assert_eq!(short.chunk_lengths(), vec![10, 21]);
        let many = vec![1; MAX_REPLAY_CHUNKS + 1];
        let big = vec![0u8; MAX_REPLAY_CHUNKS + 1];
        assert!(Replay::new(Framing::default(), big, &many).is_err());
    }
}
