//! What the decoder holds in memory, measured with a counting allocator: it buffers a
//! header (never more than `max_header_len`), nothing of a body, and nothing up front for a
//! header length it has only been promised.

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use common::feed_ok;
use seam_core::{Decoder, Encoder, Event, Framing};
use serde_json::json;

/// Counts the bytes the current thread holds, so that tests running in parallel do not
/// disturb each other's counts.
struct Counting;

thread_local! {
    static LIVE: Cell<isize> = const { Cell::new(0) };
    static PEAK: Cell<isize> = const { Cell::new(0) };
}

fn note(change: isize) {
    let _ = LIVE.try_with(|live| {
        live.set(live.get() + change);
        let _ = PEAK.try_with(|peak| peak.set(peak.get().max(live.get())));
    });
}

// SAFETY: every call is passed on to the system allocator unchanged; only counts are kept.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let ptr = unsafe { System.alloc(layout) };
        if !ptr.is_null() {
            note(layout.size() as isize);
        }
        ptr
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let ptr = unsafe { System.alloc_zeroed(layout) };
        if !ptr.is_null() {
            note(layout.size() as isize);
        }
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        note(-(layout.size() as isize));
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let new = unsafe { System.realloc(ptr, layout, new_size) };
        if !new.is_null() {
            note(new_size as isize - layout.size() as isize);
        }
        new
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Measures the most bytes this thread held at once while `f` ran, above what it held before.
fn peak_during<T>(f: impl FnOnce() -> T) -> (T, usize) {
    let base = LIVE.with(Cell::get);
    PEAK.with(|peak| peak.set(base));
    let result = f();
    let peak = PEAK.with(Cell::get);
    (result, (peak - base).max(0) as usize)
}

#[test]
fn a_promised_header_length_allocates_nothing_up_front() {
    let framing = Framing {
        max_header_len: u32::MAX,
        ..Framing::default()
    };
    let mut decoder = Decoder::new(framing);
    let (events, peak) = peak_during(|| {
        let events = feed_ok(&mut decoder, &[0xFF, 0xFF, 0xFF, 0xFF]).len();
        feed_ok(&mut decoder, b"{\"a\"");
        events
    });
    assert_eq!(
        events, 1,
        "the 4 GiB header length is accepted under this limit"
    );
    assert!(peak < 1024, "{peak} bytes held for 4 header bytes");
}

#[test]
fn the_header_buffer_never_exceeds_max_header_len() {
    let header = format!(r#"{{"pad":"{}"}}"#, "x".repeat(990));
    assert_eq!(header.len(), 1000);
    let framing = Framing {
        max_header_len: 1000,
        ..Framing::default()
    };
    let stream = common::raw_frame(header.as_bytes(), b"");
    let mut decoder = Decoder::new(framing);
    feed_ok(&mut decoder, &stream[..4]);
    // A large first piece, then the rest in small pieces: the buffer grows several times.
    let mut pieces = vec![&stream[4..304]];
    pieces.extend(stream[304..stream.len() - 1].chunks(7));
    let ((), peak) = peak_during(|| {
        for piece in pieces {
            assert!(feed_ok(&mut decoder, piece).is_empty());
        }
    });
    assert!(
        peak <= 1000,
        "{peak} bytes held for a header of at most 1000"
    );
    let events = feed_ok(&mut decoder, &stream[stream.len() - 1..]);
    assert!(matches!(events[0], Event::Header { .. }));
}

#[test]
fn body_bytes_are_never_buffered() {
    let mut head = Vec::new();
    Encoder::default()
        .encode_head(&json!({"size": 1u64 << 40}), &mut head)
        .unwrap();
    let mut decoder = Decoder::default();
    feed_ok(&mut decoder, &head);
    let slice = vec![7u8; 64 * 1024];
    let (pieces, peak) = peak_during(|| {
        let mut pieces = 0;
        for _ in 0..1024 {
            for event in decoder.feed(&slice) {
                assert!(matches!(event, Ok(Event::BodyPiece { .. })));
                pieces += 1;
            }
        }
        pieces
    });
    assert_eq!(pieces, 1024);
    assert_eq!(
        peak, 0,
        "64 MiB of body went through; {peak} bytes were held"
    );
}
