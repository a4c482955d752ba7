//! What the test suites of every build share (the `test-support` feature): decoding a
//! stream cut into chunks with its body pieces merged, and the decoder's header parsing
//! without its fast path, as a reference for that fast path.

use crate::decoder::{parse_header_with_serde, Decoder};
use crate::error::DecodeError;
use crate::event::{coalesce_body_pieces, Event, EventRecord};
use crate::framing::Framing;
use crate::Header;

/// What decoding a stream gave: its records (adjacent body pieces merged) and the error
/// that stopped it, if any (a truncation shows up when the stream is finished).
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    /// The events as records, adjacent body pieces merged.
    pub records: Vec<EventRecord>,
    /// The error, if decoding stopped on one.
    pub error: Option<DecodeError>,
}

/// Looks at a decoding as it goes (each method does nothing unless overridden).
pub trait Watch {
    /// Every event, in order.
    fn event(&mut self, _event: &Event<'_>) {}
    /// The decoder whenever it waits for input: before the first chunk, after every event,
    /// after every chunk, and before the stream is finished (never after an error).
    fn waiting(&mut self, _decoder: &Decoder) {}
}

/// Watches nothing.
impl Watch for () {}

/// A stream fed chunk by chunk and not yet finished.
#[derive(Debug)]
pub struct Fed {
    /// The events as records, adjacent body pieces merged.
    pub records: Vec<EventRecord>,
    /// The error a chunk ended with, if any.
    pub error: Option<DecodeError>,
    /// The decoder after the last chunk (or the error).
    pub decoder: Decoder,
}

impl Fed {
    /// Ends the stream (unless an error already ended it) and gives the outcome.
    pub fn finish(mut self) -> Outcome {
        let error = match self.error {
            Some(error) => Some(error),
            None => self.decoder.finish().err(),
        };
        Outcome {
            records: self.records,
            error,
        }
    }
}

/// Feeds `chunks` in turn to a decoder with `framing` through [`Decoder::poll`], stopping at
/// the first error. Checks on the way that every body piece is the stream's bytes at its
/// span, that `poll` consumes each chunk whole and that the decoder's position counts every
/// byte fed; a failed check is the `Err`.
pub fn feed_chunks<'c>(
    framing: &Framing,
    chunks: impl IntoIterator<Item = &'c [u8]>,
    watch: &mut impl Watch,
) -> Result<Fed, String> {
    let mut decoder = Decoder::new(framing.clone());
    let mut stream = Vec::new();
    let mut records = Vec::new();
    watch.waiting(&decoder);
    for chunk in chunks {
        stream.extend_from_slice(chunk);
        let mut input = chunk;
        loop {
            match decoder.poll(&mut input) {
                Ok(Some(event)) => {
                    if let Event::BodyPiece { span, bytes } = &event {
                        if *bytes != &stream[span.start as usize..span.end as usize] {
                            return Err(format!(
                                "body piece at {span:?} is not the stream's bytes there"
                            ));
                        }
                    }
                    watch.event(&event);
                    records.push(event.to_record());
                }
                Ok(None) => break,
                Err(error) => {
                    coalesce_body_pieces(&mut records);
                    return Ok(Fed {
                        records,
                        error: Some(error),
                        decoder,
                    });
                }
            }
            watch.waiting(&decoder);
        }
        if !input.is_empty() {
            return Err(format!("poll gave None with {} bytes left", input.len()));
        }
        if decoder.position() != stream.len() as u64 {
            return Err(format!(
                "position {} after {} bytes fed",
                decoder.position(),
                stream.len()
            ));
        }
        watch.waiting(&decoder);
    }
    coalesce_body_pieces(&mut records);
    Ok(Fed {
        records,
        error: None,
        decoder,
    })
}

/// Decodes `chunks` in turn and finishes the stream (see [`feed_chunks`]).
pub fn decode_chunks<'c>(
    framing: &Framing,
    chunks: impl IntoIterator<Item = &'c [u8]>,
) -> Result<Outcome, String> {
    feed_chunks(framing, chunks, &mut ()).map(Fed::finish)
}

/// Cuts `bytes` into consecutive chunks of the given lengths; what the lengths leave over
/// becomes one last chunk, and lengths past the end give empty chunks.
pub fn split_by_lengths<'a>(bytes: &'a [u8], lengths: &[usize]) -> Vec<&'a [u8]> {
    let mut chunks = Vec::with_capacity(lengths.len() + 1);
    let mut from = 0usize;
    for &len in lengths {
        let to = from.saturating_add(len).min(bytes.len());
        chunks.push(&bytes[from..to]);
        from = to;
    }
    chunks.push(&bytes[from..]);
    chunks
}

/// Decodes `bytes` cut into chunks of the given lengths (see [`split_by_lengths`]).
pub fn decode_in_chunks(
    framing: &Framing,
    bytes: &[u8],
    lengths: &[usize],
) -> Result<Outcome, String> {
    decode_chunks(framing, split_by_lengths(bytes, lengths))
}

/// What the decoder makes of a header's text at stream offset `start` without its fast
/// path for flat objects: serde_json's reading, with the decoder's errors (not JSON, a
/// repeated key, not an object).
pub fn header_without_fast_path(text: &str, start: u64) -> Result<Header, DecodeError> {
    parse_header_with_serde(text, start)
}

/// A frame written by hand: the 4-byte little-endian length of `header`, then `header` as
/// it is (not necessarily JSON, which the encoder would refuse), then `body`.
pub fn raw_frame(header: &[u8], body: &[u8]) -> Vec<u8> {
    let len = u32::try_from(header.len()).expect("a header shorter than 4 GiB");
    let mut frame = len.to_le_bytes().to_vec();
    frame.extend_from_slice(header);
    frame.extend_from_slice(body);
    frame
}
