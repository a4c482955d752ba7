//! Datagram mode (UDP): one datagram holds exactly one whole frame.

use std::borrow::Cow;

use crate::decoder::Decoder;
use crate::error::DecodeError;
use crate::event::{Event, EventRecord};
use crate::framing::Framing;
use crate::Header;

/// One frame decoded from a datagram; header text and body borrow from the datagram.
#[derive(Debug, Clone, PartialEq)]
pub struct Datagram<'a> {
    /// The parsed header.
    pub header: Header,
    /// The header's text.
    pub raw_header: Cow<'a, str>,
    /// The body (empty when the header declares none).
    pub body: &'a [u8],
    /// The frame's events, as records, for display.
    pub records: Vec<EventRecord>,
}

/// Decodes a datagram that must hold exactly one frame: fewer bytes is
/// [`DecodeError::Truncated`], more is [`DecodeError::DatagramTrailingBytes`].
pub fn decode_datagram<'a>(
    framing: &Framing,
    datagram: &'a [u8],
) -> Result<Datagram<'a>, DecodeError> {
    let mut decoder = Decoder::new(framing.clone());
    let mut input = datagram;
    let mut header = None;
    let mut body: &'a [u8] = &[];
    let mut records = Vec::with_capacity(4);
    while let Some(event) = decoder.poll(&mut input)? {
        records.push(event.to_record());
        match event {
            Event::Header { header: h, raw, .. } => header = Some((h, raw)),
            // The datagram is fed whole, so the body arrives as a single piece.
            Event::BodyPiece { bytes, .. } => body = bytes,
            Event::MessageEnd { span, .. } => {
                if !input.is_empty() {
                    return Err(DecodeError::DatagramTrailingBytes {
                        offset: span.end,
                        extra: input.len() as u64,
                    });
                }
                let (header, raw_header) = header.expect("a frame's end follows its header");
                return Ok(Datagram {
                    header,
                    raw_header,
                    body,
                    records,
                });
            }
            Event::Length { .. } => {}
        }
    }
    decoder.finish()?;
    // `finish` succeeds only on a frame boundary, which for a datagram means it was empty.
    Err(DecodeError::Truncated {
        offset: 0,
        frame_offset: 0,
        part: crate::Part::Length,
        missing: crate::PREFIX_LEN as u64,
    })
}
