//! Reassembly of one direction from hand-made segment sequences.

use seam_capture::{Arrival, Flags, Reassembler, ReassemblyError, SegmentRef, Window};

/// Sequence number of the SYN; data starts at ISN + 1.
const ISN: u32 = 1000;

fn seg(packet: u64, offset: u32) -> SegmentRef {
    SegmentRef {
        packet,
        seq: ISN + 1 + offset,
        t: packet as f64,
    }
}

fn data() -> Flags {
    Flags {
        ack: true,
        ..Flags::default()
    }
}

/// A direction opened by a SYN.
fn opened() -> Reassembler {
    let mut r = Reassembler::new(Window::default());
    let syn = SegmentRef {
        packet: 0,
        seq: ISN,
        t: 0.0,
    };
    let flags = Flags {
        syn: true,
        ..Flags::default()
    };
    r.push(syn, flags, &[]).unwrap();
    r
}

/// Pushes `(offset, bytes)` segments in the order given; returns the bytes delivered in
/// order, with the packet each piece came from, and each segment's arrival and conflicts.
fn run(r: &mut Reassembler, segments: &[(u32, &[u8])]) -> (Vec<u8>, Vec<u64>, Vec<(Arrival, u64)>) {
    let mut out = Vec::new();
    let mut from = Vec::new();
    let mut arrivals = Vec::new();
    for (i, &(offset, bytes)) in segments.iter().enumerate() {
        let accepted = r.push(seg(i as u64 + 1, offset), data(), bytes).unwrap();
        arrivals.push((accepted.arrival, accepted.conflicts));
        let fresh = &bytes[accepted.fresh.0..accepted.fresh.1];
        if !fresh.is_empty() {
            out.extend_from_slice(fresh);
            from.push(i as u64 + 1);
        }
        while let Some(ready) = r.pop_ready() {
            out.extend_from_slice(&ready.bytes);
            from.push(ready.segment.packet);
        }
    }
    (out, from, arrivals)
}

#[test]
fn in_order_segments_come_out_as_sent() {
    let mut r = opened();
    let (out, from, arrivals) = run(&mut r, &[(0, b"hello "), (6, b"wor"), (9, b"ld")]);
    assert_eq!(out, b"hello world");
    assert_eq!(from, [1, 2, 3]);
    assert!(arrivals.iter().all(|a| *a == (Arrival::InOrder, 0)));
    r.finish().unwrap();
}

#[test]
fn reversed_segments_wait_and_come_out_in_order() {
    let mut r = opened();
    let (out, from, arrivals) = run(&mut r, &[(9, b"ld"), (6, b"wor"), (0, b"hello ")]);
    assert_eq!(out, b"hello world");
    assert_eq!(from, [3, 2, 1]);
    assert_eq!(arrivals[0].0, Arrival::OutOfOrder);
    assert_eq!(arrivals[1].0, Arrival::OutOfOrder);
    assert_eq!(arrivals[2].0, Arrival::InOrder);
    r.finish().unwrap();
}

#[test]
fn duplicated_segments_are_retransmissions_and_deliver_nothing() {
    let mut r = opened();
    let (out, _, arrivals) = run(
        &mut r,
        &[(0, b"hello "), (0, b"hello "), (6, b"world"), (6, b"world")],
    );
    assert_eq!(out, b"hello world");
    assert_eq!(arrivals[1], (Arrival::Retransmission, 0));
    assert_eq!(arrivals[3], (Arrival::Retransmission, 0));
}

#[test]
fn overlap_with_the_same_bytes_delivers_only_the_new_ones() {
    let mut r = opened();
    let (out, from, arrivals) = run(&mut r, &[(0, b"hello w"), (4, b"o world")]);
    assert_eq!(out, b"hello world");
    assert_eq!(from, [1, 2]);
    assert_eq!(arrivals[1], (Arrival::PartialRetransmission, 0));
}

#[test]
fn overlap_with_different_bytes_keeps_the_first_and_counts_the_conflicts() {
    let mut r = opened();
    let (out, _, arrivals) = run(&mut r, &[(0, b"hello w"), (4, b"XXXorld")]);
    assert_eq!(out, b"hello world", "the bytes received first win");
    assert_eq!(arrivals[1], (Arrival::PartialRetransmission, 3));
}

#[test]
fn overlap_with_held_bytes_keeps_the_held_ones() {
    let mut r = opened();
    // "world" waits out of order; a segment covering the hole and part of it differs there.
    let (out, _, arrivals) = run(&mut r, &[(6, b"world"), (0, b"hello WOrld!")]);
    assert_eq!(out, b"hello world!");
    assert_eq!(arrivals[1], (Arrival::InOrder, 2));
}

#[test]
fn a_gap_is_reported_with_its_size_and_sequence_number() {
    let mut r = opened();
    let (out, _, _) = run(&mut r, &[(0, b"hello "), (9, b"ld")]);
    assert_eq!(out, b"hello ");
    assert_eq!(
        r.finish(),
        Err(ReassemblyError::Gap {
            offset: 6,
            seq: ISN + 1 + 6,
            missing: 3
        })
    );
    assert_eq!(
        r.finish().unwrap_err().to_string(),
        "3 bytes missing at seq 1007 (stream offset 6): a length-prefixed stream cannot resynchronise after a gap"
    );
}

#[test]
fn after_a_gap_nothing_more_comes_out() {
    let mut r = opened();
    run(&mut r, &[(0, b"hello "), (9, b"ld")]);
    r.finish().unwrap_err();
    assert!(r.push(seg(9, 6), data(), b"wor").is_err());
    assert_eq!(r.pop_ready(), None);
}

#[test]
fn a_fin_not_reached_is_a_gap() {
    let mut r = opened();
    run(&mut r, &[(0, b"hello ")]);
    let fin = Flags {
        fin: true,
        ack: true,
        ..Flags::default()
    };
    r.push(seg(2, 9), fin, b"ld").unwrap();
    assert!(matches!(
        r.finish(),
        Err(ReassemblyError::Gap { missing: 3, .. })
    ));
}

#[test]
fn bytes_after_a_fin_are_ignored() {
    let mut r = opened();
    let fin = Flags {
        fin: true,
        ack: true,
        ..Flags::default()
    };
    let a = r.push(seg(1, 0), fin, b"bye").unwrap();
    assert_eq!(a.fresh, (0, 3));
    let after = r.push(seg(2, 4), data(), b"more").unwrap();
    assert_eq!(after.arrival, Arrival::AfterEnd);
    assert!(r.ended());
    r.finish().unwrap();
}

#[test]
fn a_rst_mid_frame_ends_the_direction_where_it_was() {
    let mut r = opened();
    let (out, _, _) = run(&mut r, &[(0, b"\x10\x00\x00\x00{\"op\":")]);
    let rst = Flags {
        rst: true,
        ..Flags::default()
    };
    r.push(seg(2, 10), rst, &[]).unwrap();
    assert!(r.ended());
    assert_eq!(
        r.push(seg(3, 10), data(), b"\"x\"}").unwrap().arrival,
        Arrival::AfterEnd
    );
    r.finish().unwrap();
    assert_eq!(
        out.len(),
        10,
        "only the bytes before the reset are delivered"
    );
}

#[test]
fn a_capture_started_mid_stream_starts_at_the_first_segment() {
    let mut r = Reassembler::new(Window::default());
    let first = SegmentRef {
        packet: 1,
        seq: 77,
        t: 0.0,
    };
    let a = r.push(first, data(), b"abc").unwrap();
    assert_eq!((a.offset, a.fresh), (Some(0), (0, 3)));
    assert_eq!(r.seq_at(3), Some(80));
}

#[test]
fn sequence_numbers_wrap_around() {
    let mut r = Reassembler::new(Window::default());
    let at = |packet, seq| SegmentRef {
        packet,
        seq,
        t: 0.0,
    };
    r.push(at(1, u32::MAX - 1), data(), b"ab").unwrap();
    let a = r.push(at(2, 0), data(), b"cd").unwrap();
    assert_eq!((a.arrival, a.offset), (Arrival::InOrder, Some(2)));
}

#[test]
fn a_million_tiny_out_of_order_segments_overflow_the_window_not_memory() {
    let window = Window {
        max_bytes: 1 << 20,
        max_segments: 1000,
    };
    let mut r = Reassembler::new(window);
    let at = |packet, seq| SegmentRef {
        packet,
        seq,
        t: 0.0,
    };
    r.push(at(0, 0), data(), b"x").unwrap();
    let mut error = None;
    for i in 0..1_000_000u32 {
        // Every other byte, so nothing ever becomes contiguous.
        if let Err(e) = r.push(at(u64::from(i) + 1, 3 + 2 * i), data(), b"y") {
            error = Some((i, e));
            break;
        }
        assert!(r.held_bytes() <= 1000);
    }
    let (i, error) = error.expect("the window overflows");
    assert_eq!(i, 1000);
    assert!(matches!(
        error,
        ReassemblyError::WindowFull {
            offset: 1,
            seq: 1,
            missing: 2,
            segments: 1001,
            ..
        }
    ));
}

#[test]
fn a_bare_ack_after_the_fin_is_not_marked() {
    let mut r = opened();
    let fin = Flags {
        fin: true,
        ack: true,
        ..Flags::default()
    };
    r.push(seg(1, 0), fin, b"bye").unwrap();
    assert_eq!(
        r.push(seg(2, 4), data(), b"").unwrap().arrival,
        Arrival::InOrder
    );
}
