//! A large sample stream and a plain decoding loop over it, so that the browser page (wasm)
//! and the native measurement decode the very same bytes the very same way.

use seam_core::{DecodeError, Decoder, Event, Framing, PREFIX_LEN};

/// A stream of many small frames, made by [`sample_stream`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SampleStream {
    /// The stream's bytes.
    pub bytes: Vec<u8>,
    /// The length of each frame (each one `send()`), in order.
    pub frame_lengths: Vec<usize>,
}

/// How many frames the page's large-stream panel and the native measurement build by default.
pub const SAMPLE_FRAMES: usize = 100_000;

/// How many bytes those frames add up to by default.
pub const SAMPLE_BYTES: usize = 10_000_000;

/// The read length [`decode_tally`] is timed with: one 64 KiB `recv()` at a time.
pub const TALLY_READ_LEN: usize = 64 * 1024;

/// The body bytes of the sample frames cycle through this text.
const FILLER: &[u8] = b"the quick brown fox jumps over the lazy dog 0123456789 ";

/// `frames` echo frames, `{"op":"echo","seq":N,"size":B}` + B bytes of text, whose lengths
/// vary a little around `total_len / frames` and add up to exactly `total_len` when it
/// allows (at least about 40 bytes per frame; otherwise the bodies are empty and the stream
/// is longer). Deterministic: the same arguments always give the same bytes.
pub fn sample_stream(frames: usize, total_len: usize) -> SampleStream {
    let mut bytes = Vec::with_capacity(total_len);
    let mut frame_lengths = Vec::with_capacity(frames);
    let average = total_len / frames.max(1);
    for seq in 0..frames {
        let left = total_len.saturating_sub(bytes.len());
        let want = if seq + 1 == frames {
            left
        } else {
            // -12..=12 bytes around the average, summing to about 0 over the stream.
            let wobble = (seq * 7919 % 25) as isize - 12;
            (average as isize + wobble).max(0) as usize
        };
        let start = bytes.len();
        push_frame(&mut bytes, seq, want);
        frame_lengths.push(bytes.len() - start);
    }
    SampleStream {
        bytes,
        frame_lengths,
    }
}

/// Appends frame `seq`, `want` bytes long if that is possible (else as short as possible).
fn push_frame(out: &mut Vec<u8>, seq: usize, want: usize) {
    let header = |size: usize| format!(r#"{{"op":"echo","seq":{seq},"size":{size}}}"#);
    // The header's length depends on the digits of the size: of the sizes that fit, the
    // largest is the one that makes the frame exactly `want` bytes long, when one does.
    let fixed = PREFIX_LEN + header(0).len() - 1;
    let body = (1..=20)
        .filter_map(|digits| want.checked_sub(fixed + digits))
        .filter(|&size| fixed + size.to_string().len() + size <= want)
        .max()
        .unwrap_or(0);
    let header = header(body);
    out.extend_from_slice(&(header.len() as u32).to_le_bytes());
    out.extend_from_slice(header.as_bytes());
    out.extend((0..body).map(|i| FILLER[(seq + i) % FILLER.len()]));
}

/// What a plain decoding loop counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Tally {
    /// Frames completed.
    pub frames: u64,
    /// Events of any kind.
    pub events: u64,
    /// Body bytes passed through.
    pub body_bytes: u64,
}

/// Decodes `bytes` in reads of `read_len` bytes (as `recv(read_len)` would return them),
/// counting what comes out, then ends the stream. The loop every throughput figure of the
/// page and of the native measurement is taken with.
pub fn decode_tally(
    framing: &Framing,
    bytes: &[u8],
    read_len: usize,
) -> Result<Tally, DecodeError> {
    let mut decoder = Decoder::new(framing.clone());
    let mut tally = Tally::default();
    for chunk in bytes.chunks(read_len.max(1)) {
        for event in decoder.feed(chunk) {
            tally.events += 1;
            match event? {
                Event::BodyPiece { bytes, .. } => tally.body_bytes += bytes.len() as u64,
                Event::MessageEnd { .. } => tally.frames += 1,
                Event::Length { .. } | Event::Header { .. } => {}
            }
        }
    }
    decoder.finish()?;
    Ok(tally)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sample_has_the_asked_size_and_decodes_to_its_frames() {
        let sample = sample_stream(1000, 100_000);
        assert_eq!(sample.bytes.len(), 100_000);
        assert_eq!(sample.frame_lengths.len(), 1000);
        assert_eq!(sample.frame_lengths.iter().sum::<usize>(), 100_000);
        let tally = decode_tally(&Framing::default(), &sample.bytes, 1024).unwrap();
        assert_eq!(tally.frames, 1000);
        let whole = decode_tally(&Framing::default(), &sample.bytes, usize::MAX).unwrap();
        assert_eq!(
            (whole.frames, whole.body_bytes),
            (tally.frames, tally.body_bytes)
        );
        assert_eq!(whole.events, 4000);
        assert_eq!(sample, sample_stream(1000, 100_000));
    }

    #[test]
    fn a_sample_too_small_for_its_frames_still_decodes() {
        let sample = sample_stream(10, 50);
        assert!(sample.bytes.len() > 50);
        let tally = decode_tally(&Framing::default(), &sample.bytes, 7).unwrap();
        assert_eq!((tally.frames, tally.body_bytes), (10, 0));
    }

    #[test]
    fn a_tally_stops_at_the_first_error() {
        let error = decode_tally(&Framing::default(), b"\0\0\0\0", 2).unwrap_err();
        assert_eq!(error.kind(), "header_length_zero");
        let cut = sample_stream(3, 300);
        let error = decode_tally(&Framing::default(), &cut.bytes[..250], 64).unwrap_err();
        assert_eq!(error.kind(), "truncated");
    }
}
