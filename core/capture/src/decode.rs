//! Reassembled bytes through `seam_core::Decoder`, each event tagged with the segments its
//! bytes came from.

use std::collections::VecDeque;

use seam_core::{DecodeError, Decoder, Event, EventRecord, Framing, Part};
use serde::Serialize;

use crate::reassembly::SegmentRef;

/// A decoder's event and where its bytes were captured.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SegmentedEvent {
    /// The event, as `seam decode` prints it.
    #[serde(flatten)]
    pub record: EventRecord,
    /// The segments holding its bytes, in stream order. For an `end` event: the segment
    /// holding the frame's last byte (a whole body may span millions of segments).
    pub segments: Vec<SegmentRef>,
}

#[derive(Debug, Clone, Copy)]
struct Piece {
    start: u64,
    end: u64,
    segment: SegmentRef,
}

/// Decodes one direction's reassembled bytes, remembering which segment each byte came from
/// for as long as an event may still need it (memory bounded by the header limit).
#[derive(Debug)]
pub struct SegmentedDecoder {
    decoder: Decoder,
    pieces: VecDeque<Piece>,
}

impl SegmentedDecoder {
    /// A decoder with these framing options.
    pub fn new(framing: Framing) -> SegmentedDecoder {
        SegmentedDecoder {
            decoder: Decoder::new(framing),
            pieces: VecDeque::new(),
        }
    }

    /// The core decoder inside.
    pub fn decoder(&self) -> &Decoder {
        &self.decoder
    }

    /// Feeds the bytes one segment delivered in order; `emit` gets each event.
    pub fn feed(
        &mut self,
        bytes: &[u8],
        segment: SegmentRef,
        emit: &mut dyn FnMut(SegmentedEvent),
    ) -> Result<(), DecodeError> {
        if bytes.is_empty() {
            return Ok(());
        }
        let start = self.decoder.position();
        self.pieces.push_back(Piece {
            start,
            end: start + bytes.len() as u64,
            segment,
        });
        for event in self.decoder.feed(bytes) {
            let event = event?;
            let span = event.span();
            let segments = match &event {
                Event::BodyPiece { .. } => vec![segment],
                Event::MessageEnd { .. } => covering(&self.pieces, span.end - 1, span.end),
                _ => covering(&self.pieces, span.start, span.end),
            };
            emit(SegmentedEvent {
                record: event.to_record(),
                segments,
            });
        }
        let keep_from = match self.decoder.waiting() {
            Some(w) if w.part == Part::Body => self.decoder.position(),
            Some(_) => self.decoder.frame_start(),
            None => u64::MAX,
        };
        while self.pieces.front().is_some_and(|p| p.end <= keep_from) {
            self.pieces.pop_front();
        }
        Ok(())
    }

    /// The stream ended: fine on a frame boundary, else where it was cut.
    pub fn finish(&mut self) -> Result<(), DecodeError> {
        self.decoder.finish()
    }
}

fn covering(pieces: &VecDeque<Piece>, start: u64, end: u64) -> Vec<SegmentRef> {
    pieces
        .iter()
        .filter(|p| p.start < end && p.end > start)
        .map(|p| p.segment)
        .collect()
}
