//! The runner of the shared test vectors in `tests/vectors/` (format in `tests/README.md`),
//! so that every build of the decoder (native and wasm) checks the same files the same way.

use serde::Deserialize;

use crate::cut::Cut;
use crate::datagram::decode_datagram;
use crate::decoder::Decoder;
use crate::error::DecodeError;
use crate::event::{coalesce_body_pieces, Event, EventRecord};
use crate::framing::Framing;
use crate::test_support::{decode_in_chunks, Outcome};

/// Whether a vector is a TCP stream or one UDP datagram.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// A byte stream, decoded under many chunkings.
    #[default]
    Stream,
    /// One datagram holding one frame.
    Datagram,
}

/// One test vector: a byte stream and what decoding it must give.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Vector {
    /// What the vector shows.
    pub description: String,
    /// Framing options (defaults where absent).
    #[serde(default)]
    pub framing: Framing,
    /// Stream or datagram.
    #[serde(default)]
    pub mode: Mode,
    /// The bytes, as hex (spaces allowed between bytes).
    pub stream: String,
    /// The events, with adjacent body pieces merged.
    pub events: Vec<EventRecord>,
    /// The error that ends decoding, if any (truncation shows up at end of stream).
    #[serde(default)]
    pub error: Option<DecodeError>,
}

impl Vector {
    /// Reads a vector from its JSON text.
    pub fn from_json(text: &str) -> Result<Vector, String> {
        serde_json::from_str(text).map_err(|e| e.to_string())
    }

    /// The stream's bytes.
    pub fn bytes(&self) -> Result<Vec<u8>, String> {
        decode_hex(&self.stream)
    }

    /// The outcome the vector expects.
    pub fn expected(&self) -> Outcome {
        Outcome {
            records: self.events.clone(),
            error: self.error.clone(),
        }
    }

    /// Decodes the vector with the given chunk lengths (datagrams ignore them) and
    /// compares with what it expects.
    pub fn check_chunks(&self, chunk_lengths: &[usize]) -> Result<(), String> {
        let bytes = self.bytes()?;
        let got = match self.mode {
            Mode::Stream => decode_in_chunks(&self.framing, &bytes, chunk_lengths)?,
            Mode::Datagram => match decode_datagram(&self.framing, &bytes) {
                Ok(datagram) => Outcome {
                    records: merged(datagram.records),
                    error: None,
                },
                Err(error) => Outcome {
                    records: Vec::new(),
                    error: Some(error),
                },
            },
        };
        compare(&self.expected(), &got, chunk_lengths)
    }

    /// Checks the vector under a [`Cut`] of the whole stream taken as one send.
    pub fn check_cut(&self, cut: &Cut) -> Result<(), String> {
        let len = self.bytes()?.len();
        self.check_chunks(&cut.chunk_lengths(&[len]))
            .map_err(|e| format!("cut {cut}: {e}"))
    }

    /// Checks the vector split in two at every offset, then in three at every pair of
    /// offsets when the stream is short enough.
    pub fn check_every_split(&self) -> Result<(), String> {
        let len = self.bytes()?.len();
        for a in 0..=len {
            self.check_chunks(&[a, len - a])?;
        }
        if len <= 160 {
            for a in 0..=len {
                for b in a..=len {
                    self.check_chunks(&[a, b - a, len - b])?;
                }
            }
        }
        Ok(())
    }

    /// Checks the vector fed whole, with trailing bytes after it (events must be the same
    /// up to the vector's end), and under every [`standard_cuts`].
    pub fn check_all(&self) -> Result<(), String> {
        let bytes = self.bytes()?;
        self.check_chunks(&[bytes.len()])?;
        if self.mode == Mode::Stream {
            self.check_with_trailing_bytes(&bytes)?;
            for cut in standard_cuts() {
                self.check_cut(&cut)?;
            }
            self.check_every_split()?;
        }
        Ok(())
    }

    /// Feeds the stream followed by more bytes: nothing before the stream's end may change.
    fn check_with_trailing_bytes(&self, bytes: &[u8]) -> Result<(), String> {
        let mut longer = bytes.to_vec();
        longer.extend_from_slice(&[0x05, 0, 0, 0, b'{', b'}']);
        let mut decoder = Decoder::new(self.framing.clone());
        let mut records = Vec::new();
        let mut error = None;
        for event in decoder.feed(&longer) {
            match event {
                Ok(event) if event.span().start < bytes.len() as u64 => {
                    records.push(clip(&event, bytes.len() as u64))
                }
                Ok(_) => break,
                Err(e) => {
                    error = Some(e);
                    break;
                }
            }
        }
        coalesce_body_pieces(&mut records);
        let expected = &self.events;
        let same_prefix =
            records.len() >= expected.len() && records[..expected.len()] == expected[..];
        let error_matches = match (&self.error, &error) {
            (Some(DecodeError::Truncated { .. }), _) | (None, _) => true,
            (Some(want), Some(got)) => want == got,
            (Some(_), None) => false,
        };
        if same_prefix && error_matches {
            Ok(())
        } else {
            Err(format!(
                "with trailing bytes: expected events to start with {}, got {} (error {:?})",
                to_json(expected),
                to_json(&records),
                error
            ))
        }
    }
}

/// The cuts every vector is run under, besides whole and every split.
pub fn standard_cuts() -> Vec<Cut> {
    let mut cuts = vec![
        Cut::Bytes,
        Cut::Reads { sizes: vec![4, 5] },
        Cut::Reads { sizes: vec![7] },
        Cut::Reads { sizes: vec![1024] },
        Cut::Split { mss: 3 },
    ];
    cuts.extend((0..8).map(|seed| Cut::Random { seed, max: 16 }));
    cuts
}

fn clip(event: &Event<'_>, end: u64) -> EventRecord {
    let mut record = event.to_record();
    if let EventRecord::Body { end: e, len, start } = &mut record {
        *e = (*e).min(end);
        *len = *e - *start;
    }
    record
}

fn merged(mut records: Vec<EventRecord>) -> Vec<EventRecord> {
    coalesce_body_pieces(&mut records);
    records
}

fn compare(expected: &Outcome, got: &Outcome, chunks: &[usize]) -> Result<(), String> {
    if expected == got {
        return Ok(());
    }
    let shown: Vec<usize> = chunks.iter().copied().take(12).collect();
    Err(format!(
        "chunks {shown:?}{}:\n  expected events {}\n  got events      {}\n  expected error {}\n  got error      {}",
        if chunks.len() > 12 { " ..." } else { "" },
        to_json(&expected.records),
        to_json(&got.records),
        serde_json::to_string(&expected.error).unwrap_or_default(),
        serde_json::to_string(&got.error).unwrap_or_default(),
    ))
}

fn to_json(records: &[EventRecord]) -> String {
    serde_json::to_string(records).unwrap_or_default()
}

/// Decodes hex text, ignoring whitespace.
pub fn decode_hex(text: &str) -> Result<Vec<u8>, String> {
    let digits: Vec<u8> = text.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    if digits.len() % 2 != 0 {
        return Err("hex stream has an odd number of digits".into());
    }
    digits
        .chunks(2)
        .map(|pair| {
            let hi = (pair[0] as char).to_digit(16);
            let lo = (pair[1] as char).to_digit(16);
            match (hi, lo) {
                (Some(hi), Some(lo)) => Ok((hi * 16 + lo) as u8),
                _ => Err(format!(
                    "bad hex digits {:?}",
                    String::from_utf8_lossy(pair)
                )),
            }
        })
        .collect()
}
