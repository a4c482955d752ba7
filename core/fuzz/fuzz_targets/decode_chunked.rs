//! Decodes one byte stream whole and cut into chunks, and checks that both give the same
//! events (body pieces merged) and the same error, that every event lies where it says in
//! the stream, that headers and header errors are what serde_json makes of the header's
//! text, and that the decoder never buffers more header bytes than the limit.
//!
//! Input layout (missing bytes read as zero, so an all-zero prefix means "defaults"):
//!
//! ```text
//! [0]      flags: bit 0 big-endian prefix; bits 1-4 drop TUTORIAL_SIZE_FIELDS[0..4] from
//!          the size fields; bits 5-7 the chunking mode (see `chunk_lengths`)
//! [1..3]   max_header_len, u16 LE (0: the default, 64 KiB)
//! [3]      max_body_len: 0 the default (1 TiB), 255 u64::MAX, otherwise n - 1 bytes
//! [4..12]  seed, u64 LE
//! [12]     param, u8
//! [13]     layout: bit 0 clear, the rest is the stream as is; set, the rest is frames to lay
//!          out: pieces split on 0xFF (never in UTF-8) alternate header and body, and each
//!          header gets its length prefix, so that mutating a header keeps it framed
//! ...      for modes 4 and 5: `param` chunk lengths (u16 LE, resp. u8; 0 is an empty chunk)
//! ...      the rest: the stream or the frames
//! ```
#![no_main]

use libfuzzer_sys::arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;
use seam_core::test_support::{feed_chunks, header_without_fast_path, split_by_lengths, Watch};
use seam_core::{
    coalesce_body_pieces, ByteOrder, Cut, DecodeError, Decoder, Event, EventRecord, Framing, Part,
    Span, DEFAULT_MAX_BODY_LEN, DEFAULT_MAX_HEADER_LEN, PREFIX_LEN, TUTORIAL_SIZE_FIELDS,
};

fuzz_target!(|data: &[u8]| {
    let _ = run(data);
});

fn run(data: &[u8]) -> Result<()> {
    let mut u = Unstructured::new(data);
    let flags: u8 = u.arbitrary()?;
    let max_header_len: u16 = u.arbitrary()?;
    let max_body_len: u8 = u.arbitrary()?;
    let seed: u64 = u.arbitrary()?;
    let param: u8 = u.arbitrary()?;
    let layout: u8 = u.arbitrary()?;

    let framing = Framing {
        byte_order: if flags & 1 == 0 {
            ByteOrder::Little
        } else {
            ByteOrder::Big
        },
        size_fields: TUTORIAL_SIZE_FIELDS
            .iter()
            .enumerate()
            .filter(|(i, _)| flags & (2 << i) == 0)
            .map(|(_, f)| f.to_string())
            .collect(),
        max_header_len: match max_header_len {
            0 => DEFAULT_MAX_HEADER_LEN,
            n => u32::from(n),
        },
        max_body_len: match max_body_len {
            0 => DEFAULT_MAX_BODY_LEN,
            255 => u64::MAX,
            n => u64::from(n) - 1,
        },
    };

    let mode = flags >> 5;
    let mut explicit = Vec::new();
    match mode {
        4 => {
            for _ in 0..param {
                explicit.push(usize::from(u.arbitrary::<u16>()?));
            }
        }
        5 => {
            for _ in 0..param {
                explicit.push(usize::from(u.arbitrary::<u8>()?));
            }
        }
        _ => {}
    }
    let rest = u.take_rest();
    let laid_out;
    let stream = if layout & 1 == 0 {
        rest
    } else {
        laid_out = lay_out(&framing, rest);
        &laid_out[..]
    };
    let lengths = chunk_lengths(mode, seed, param, explicit, stream.len());
    let chunks = split_by_lengths(stream, &lengths);

    let whole = decode_whole(&framing, stream);
    let chunked = decode_chunked(&framing, stream, &chunks);
    assert_eq!(whole, chunked, "whole vs chunked, framing {framing:?}");
    Ok(())
}

/// Frames from pieces split on 0xFF: header, body, header, body... each header prefixed with
/// its length.
fn lay_out(framing: &Framing, pieces: &[u8]) -> Vec<u8> {
    let mut stream = Vec::with_capacity(pieces.len() + 16);
    for (i, piece) in pieces.split(|&b| b == 0xFF).enumerate() {
        if i % 2 == 0 {
            stream.extend_from_slice(&framing.write_prefix(piece.len() as u32));
        }
        stream.extend_from_slice(piece);
    }
    stream
}

/// The chunk lengths for a stream of `len` bytes (what they leave over is fed as a last chunk).
fn chunk_lengths(mode: u8, seed: u64, param: u8, explicit: Vec<usize>, len: usize) -> Vec<usize> {
    let max = usize::from(param) + 1;
    match mode {
        0 => Cut::Random { seed, max }.chunk_lengths(&[len]),
        1 => Cut::Bytes.chunk_lengths(&[len]),
        2 => {
            let count = 1 + usize::from(param % 4);
            let sizes = seed.to_le_bytes()[..count]
                .iter()
                .map(|&b| usize::from(b) + 1)
                .collect();
            Cut::Reads { sizes }.chunk_lengths(&[len])
        }
        3 => Cut::Split { mss: max }.chunk_lengths(&[len]),
        4 | 5 => explicit,
        6 => {
            let at = (seed % (len as u64 + 1)) as usize;
            vec![0, at, 0, len - at, 0]
        }
        _ => Cut::Random { seed, max }
            .chunk_lengths(&[len])
            .into_iter()
            .flat_map(|n| [n, 0])
            .collect(),
    }
}

/// What decoding gave.
#[derive(Debug, PartialEq)]
struct Outcome {
    records: Vec<EventRecord>,
    error: Option<DecodeError>,
    position: u64,
}

fn decode_whole(framing: &Framing, stream: &[u8]) -> Outcome {
    let mut decoder = Decoder::new(framing.clone());
    let mut checker = Checker::new(framing, stream);
    let mut records = Vec::new();
    let mut error = None;
    for event in decoder.feed(stream) {
        match event {
            Ok(event) => {
                checker.event(&event);
                records.push(event.to_record());
            }
            Err(e) => error = Some(e),
        }
    }
    finish(decoder, checker, records, error)
}

/// Decodes the chunks in turn through `poll` (core's shared chunk feeder), with the checker
/// watching every event and every wait.
fn decode_chunked(framing: &Framing, stream: &[u8], chunks: &[&[u8]]) -> Outcome {
    let mut checker = Checker::new(framing, stream);
    let fed = feed_chunks(framing, chunks.iter().copied(), &mut checker)
        .unwrap_or_else(|e| panic!("{e}"));
    finish(fed.decoder, checker, fed.records, fed.error)
}

fn finish(
    mut decoder: Decoder,
    checker: Checker,
    mut records: Vec<EventRecord>,
    mut error: Option<DecodeError>,
) -> Outcome {
    let position = decoder.position();
    assert!(position <= checker.stream.len() as u64);
    if error.is_none() {
        assert_eq!(position, checker.stream.len() as u64);
        let waiting = decoder
            .waiting()
            .expect("waiting() is None without an error");
        match decoder.finish() {
            Ok(()) => {
                assert_eq!(checker.at, position, "finish() Ok inside a frame");
                assert_eq!((waiting.part, waiting.received), (Part::Length, 0));
            }
            Err(e) => {
                match &e {
                    DecodeError::Truncated {
                        offset,
                        frame_offset,
                        part,
                        missing,
                    } => {
                        assert_eq!(*offset, position);
                        assert_eq!(*frame_offset, checker.frame_start);
                        assert!(*missing > 0);
                        assert_eq!((*part, *missing), (waiting.part, waiting.missing));
                    }
                    other => panic!("finish() gave {other:?}, not a truncation"),
                }
                error = Some(e);
            }
        }
    }
    if let Some(e) = &error {
        assert!(
            e.offset() <= position,
            "error {e:?} after position {position}"
        );
        checker.error(e);
        // The first error is final.
        assert_eq!(decoder.error(), Some(e));
        assert_eq!(decoder.waiting(), None);
        assert_eq!(decoder.finish().as_ref(), Err(e));
        let mut more: &[u8] = b"\x02\0\0\0{}";
        assert_eq!(decoder.poll(&mut more).as_ref().map(|_| ()), Err(e));
        assert_eq!(decoder.position(), position);
    }
    coalesce_body_pieces(&mut records);
    Outcome {
        records,
        error,
        position,
    }
}

/// Checks each event against the stream and the one before it.
struct Checker<'s> {
    framing: Framing,
    stream: &'s [u8],
    /// End of the last event that was not a frame end.
    at: u64,
    frame_start: u64,
    next: Part,
    header_len: u32,
    body_len: u64,
    body_seen: u64,
    body_done: bool,
}

impl<'s> Checker<'s> {
    fn new(framing: &Framing, stream: &'s [u8]) -> Self {
        Checker {
            framing: framing.clone(),
            stream,
            at: 0,
            frame_start: 0,
            next: Part::Length,
            header_len: 0,
            body_len: 0,
            body_seen: 0,
            body_done: false,
        }
    }

    fn bytes(&self, span: Span) -> &'s [u8] {
        assert!(span.start <= span.end && span.end <= self.stream.len() as u64);
        &self.stream[span.start as usize..span.end as usize]
    }

    fn event(&mut self, event: &Event<'_>) {
        let span = event.span();
        let bytes = self.bytes(span);
        match event {
            Event::Length { header_len, .. } => {
                assert_eq!(self.next, Part::Length, "{event:?}");
                assert!(!self.body_done);
                assert_eq!(span.start, self.at);
                assert_eq!(span.len(), PREFIX_LEN as u64);
                let prefix: [u8; PREFIX_LEN] = bytes.try_into().unwrap();
                assert_eq!(self.framing.read_prefix(prefix), *header_len);
                assert!(*header_len >= 1 && *header_len <= self.framing.max_header_len);
                self.header_len = *header_len;
                self.next = Part::Header;
            }
            Event::Header {
                raw,
                body_len,
                header,
                ..
            } => {
                assert_eq!(self.next, Part::Header, "{event:?}");
                assert_eq!(span.start, self.at);
                assert_eq!(span.len(), u64::from(self.header_len));
                assert_eq!(
                    raw.as_bytes(),
                    bytes,
                    "header text is not the stream's bytes"
                );
                assert_eq!(
                    header_without_fast_path(raw, span.start).as_ref(),
                    Ok(header),
                    "header {raw:?}"
                );
                assert_eq!(self.framing.body_len(header), Ok(*body_len));
                assert!(*body_len <= self.framing.max_body_len);
                self.body_len = *body_len;
                self.body_seen = 0;
                self.body_done = *body_len == 0;
                self.next = Part::Body;
            }
            Event::BodyPiece { bytes: piece, .. } => {
                assert_eq!(self.next, Part::Body, "{event:?}");
                assert!(!self.body_done);
                assert_eq!(span.start, self.at);
                assert!(!piece.is_empty(), "empty body piece");
                assert_eq!(
                    *piece, bytes,
                    "body piece is not the stream's bytes at {span:?}"
                );
                self.body_seen += span.len();
                assert!(self.body_seen <= self.body_len);
                self.body_done = self.body_seen == self.body_len;
            }
            Event::MessageEnd { body_len, .. } => {
                assert!(self.body_done, "{event:?} before the body's end");
                assert_eq!(*body_len, self.body_len);
                assert_eq!(span.start, self.frame_start);
                assert_eq!(
                    span.len(),
                    PREFIX_LEN as u64 + u64::from(self.header_len) + self.body_len
                );
                self.frame_start = span.end;
                self.body_done = false;
                self.next = Part::Length;
            }
        }
        self.at = self.at.max(span.end);
    }

    /// The error must be what the bytes where it happened call for.
    fn error(&self, error: &DecodeError) {
        let frame = self.frame_start as usize;
        let prefix =
            || -> [u8; PREFIX_LEN] { self.stream[frame..frame + PREFIX_LEN].try_into().unwrap() };
        let start = (frame + PREFIX_LEN) as u64;
        let header = || {
            self.bytes(Span {
                start,
                end: start + u64::from(self.header_len),
            })
        };
        match error {
            DecodeError::HeaderLengthZero { offset } => {
                assert_eq!(*offset, self.frame_start);
                assert_eq!(self.framing.read_prefix(prefix()), 0);
            }
            DecodeError::HeaderLengthOverLimit { offset, len, limit } => {
                assert_eq!(*offset, self.frame_start);
                assert_eq!(self.framing.read_prefix(prefix()), *len);
                assert_eq!(*limit, self.framing.max_header_len);
                assert!(len > limit);
            }
            DecodeError::HeaderNotUtf8 { offset } => {
                let e = std::str::from_utf8(header()).expect_err("header is UTF-8");
                assert_eq!(*offset, start + e.valid_up_to() as u64);
            }
            DecodeError::HeaderNotJson { offset, .. }
            | DecodeError::HeaderRepeatedKey { offset, .. }
            | DecodeError::HeaderNotObject { offset, .. } => {
                let text = std::str::from_utf8(header()).expect("header is not UTF-8");
                assert!(*offset >= start && *offset <= start + text.len() as u64);
                assert_eq!(
                    header_without_fast_path(text, start).as_ref(),
                    Err(error),
                    "header {text:?}"
                );
            }
            DecodeError::BodyLength { offset, reason } => {
                let text = std::str::from_utf8(header()).expect("header is not UTF-8");
                let map = header_without_fast_path(text, start).unwrap_or_else(|e| {
                    panic!("{error:?}, but serde_json: {e:?}, header {text:?}")
                });
                assert_eq!(*offset, start);
                assert_eq!(self.framing.body_len(&map).as_ref(), Err(reason));
            }
            DecodeError::Truncated { .. } => {}
            other => panic!("unexpected error {other:?}"),
        }
    }
}

impl Watch for Checker<'_> {
    fn event(&mut self, event: &Event<'_>) {
        Checker::event(self, event);
    }

    /// What the decoder says it waits for must fit the frame and, for a header, the limit.
    /// (That the header buffer itself stays within the limit is core's own unit test, and
    /// `core/tests/memory.rs` measures it with a counting allocator.)
    fn waiting(&mut self, decoder: &Decoder) {
        let w = decoder
            .waiting()
            .expect("waiting() is None without an error");
        assert_eq!(decoder.frame_start(), self.frame_start);
        match w.part {
            Part::Length => {
                assert_eq!(w.received + w.missing, PREFIX_LEN as u64, "{w:?}");
                assert_eq!(decoder.position(), self.frame_start + w.received);
            }
            Part::Header => {
                assert!(
                    w.received + w.missing <= u64::from(self.framing.max_header_len),
                    "header buffering {w:?} over the limit {}",
                    self.framing.max_header_len
                );
                assert_eq!(w.received + w.missing, u64::from(self.header_len));
                assert_eq!(decoder.position(), self.at + w.received);
            }
            Part::Body => {
                assert_eq!(w.received + w.missing, self.body_len, "{w:?}");
                assert_eq!(w.received, self.body_seen);
            }
        }
    }
}
