//! The naive receiver of the tutorials' first programs, which takes each `recv()` chunk for
//! one message: what it gets right and wrong, measured against the sender's messages.

use serde::{Deserialize, Serialize};

use seam_core::Span;

/// What a naive receiver makes of one chunk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NaiveVerdict {
    /// The chunk is exactly one message: the naive reader happens to be right.
    Whole,
    /// The chunk holds two or more whole messages stuck together ("sticky packets").
    Merged,
    /// The chunk starts or ends inside a message: it holds a broken piece of one.
    Broken,
}

/// One chunk as the naive receiver reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct NaiveRead {
    /// Where the chunk lies in the stream.
    pub span: Span,
    /// Whether the naive reading is right, merged or broken.
    pub verdict: NaiveVerdict,
    /// Index of the first message the chunk touches.
    pub first_message: usize,
    /// How many messages the chunk touches, whole or in part.
    pub messages: usize,
}

/// Judges each chunk of a stream made of messages of the given lengths (one per send),
/// received in chunks of the given lengths.
pub fn naive_reads(message_lengths: &[usize], chunk_lengths: &[usize]) -> Vec<NaiveRead> {
    // Message boundaries as absolute offsets: 0, end of message 0, end of message 1, ...
    let mut bounds = Vec::with_capacity(message_lengths.len() + 1);
    let mut end = 0u64;
    bounds.push(0);
    for &len in message_lengths.iter().filter(|&&len| len > 0) {
        end += len as u64;
        bounds.push(end);
    }
    let mut reads = Vec::with_capacity(chunk_lengths.len());
    let mut start = 0u64;
    let mut first = 0usize; // index into bounds of the message holding `start`
    for &len in chunk_lengths.iter().filter(|&&len| len > 0) {
        let stop = (start + len as u64).min(end);
        if stop <= start {
            break;
        }
        while first + 1 < bounds.len() && bounds[first + 1] <= start {
            first += 1;
        }
        let mut last = first;
        while last + 1 < bounds.len() && bounds[last + 1] < stop {
            last += 1;
        }
        let starts_on_bound = bounds[first] == start;
        let ends_on_bound = bounds.get(last + 1) == Some(&stop);
        let messages = last - first + 1;
        let verdict = match (starts_on_bound && ends_on_bound, messages) {
            (true, 1) => NaiveVerdict::Whole,
            (true, _) => NaiveVerdict::Merged,
            (false, _) => NaiveVerdict::Broken,
        };
        reads.push(NaiveRead {
            span: Span { start, end: stop },
            verdict,
            first_message: first,
            messages,
        });
        start = stop;
    }
    reads
}
