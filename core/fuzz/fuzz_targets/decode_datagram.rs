//! Decodes arbitrary bytes as one datagram and checks the result against the streaming
//! decoder: `Ok` means exactly one whole frame, whose body is the datagram's tail (borrowed,
//! not copied) and whose records end at the datagram's length.
//!
//! Input layout: byte 0 is flags (bit 0 big-endian prefix; bits 1-4 drop
//! TUTORIAL_SIZE_FIELDS[0..4]; bits 5-7 = k > 0 sets max_header_len to 4^k); the rest is
//! the datagram.
#![no_main]

use libfuzzer_sys::fuzz_target;
use seam_core::{
    coalesce_body_pieces, decode_datagram, ByteOrder, DecodeError, Decoder, Event, EventRecord,
    Framing, Part, PREFIX_LEN, TUTORIAL_SIZE_FIELDS,
};

fuzz_target!(|data: &[u8]| {
    let Some((&flags, datagram)) = data.split_first() else {
        return;
    };
    let mut framing = Framing {
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
        ..Framing::default()
    };
    if flags >> 5 != 0 {
        framing.max_header_len = 1 << (2 * (flags >> 5));
    }
    let len = datagram.len() as u64;

    // The streaming decoder's view: events up to the first frame's end, and the error.
    let mut decoder = Decoder::new(framing.clone());
    let mut input = datagram;
    let mut records = Vec::new();
    let mut frame_end = None;
    let mut stream_error = None;
    loop {
        match decoder.poll(&mut input) {
            Ok(Some(event)) => {
                records.push(event.to_record());
                if let Event::MessageEnd { span, .. } = event {
                    frame_end = Some(span.end);
                    break;
                }
            }
            Ok(None) => {
                stream_error = decoder.finish().err();
                break;
            }
            Err(e) => {
                stream_error = Some(e);
                break;
            }
        }
    }
    coalesce_body_pieces(&mut records);

    match decode_datagram(&framing, datagram) {
        Ok(d) => {
            assert_eq!(
                frame_end,
                Some(len),
                "Ok but the frame does not end the datagram"
            );
            // The body is a subslice of the datagram: its tail, borrowed. (An empty body may
            // point anywhere.)
            if !d.body.is_empty() {
                let range = datagram.as_ptr_range();
                let body = d.body.as_ptr_range();
                assert!(range.start <= body.start && body.end <= range.end);
                assert_eq!(body.end, range.end, "the body is not the datagram's tail");
            }
            let header_end = datagram.len() - d.body.len();
            assert_eq!(d.raw_header.as_bytes(), &datagram[PREFIX_LEN..header_end]);
            assert_eq!(
                framing.read_prefix(datagram[..PREFIX_LEN].try_into().unwrap()) as usize,
                header_end - PREFIX_LEN
            );
            assert_eq!(framing.body_len(&d.header), Ok(d.body.len() as u64));
            // The records start at 0, end at the datagram's length and match the stream's.
            match (d.records.first(), d.records.last()) {
                (
                    Some(EventRecord::Length { start: 0, .. }),
                    Some(&EventRecord::End {
                        start: 0,
                        end,
                        body_len,
                    }),
                ) => {
                    assert_eq!(end, len);
                    assert_eq!(body_len, d.body.len() as u64);
                }
                other => panic!("records do not span the datagram: {other:?}"),
            }
            let mut merged = d.records.clone();
            coalesce_body_pieces(&mut merged);
            assert_eq!(merged, d.records, "a datagram's body is one piece");
            assert_eq!(d.records, records);
        }
        Err(e) => {
            let expected = match (frame_end, stream_error) {
                (Some(end), None) => {
                    assert!(
                        end < len,
                        "Err({e:?}) for a datagram holding one whole frame"
                    );
                    DecodeError::DatagramTrailingBytes {
                        offset: end,
                        extra: len - end,
                    }
                }
                (None, Some(error)) => error,
                (None, None) => {
                    assert!(datagram.is_empty());
                    DecodeError::Truncated {
                        offset: 0,
                        frame_offset: 0,
                        part: Part::Length,
                        missing: PREFIX_LEN as u64,
                    }
                }
                (Some(_), Some(_)) => unreachable!(),
            };
            assert_eq!(e, expected);
        }
    }
});
