//! Capture files end to end: pcap and pcapng containers, link types, IPv4 and IPv6, and
//! hostile files, built by hand around packets made with etherparse's builder.

use etherparse::{LinuxSllPacketType, PacketBuilder};
use seam_capture::{
    CaptureError, CaptureReader, CapturedStreams, Record, SegmentedDecoder, Side, MAX_RECORD_LEN,
};
use seam_core::{DecodeError, EventRecord, Framing};

const CLIENT: u16 = 40000;
const SERVER: u16 = 8800;

/// One TCP segment: (from the client?, seq, flags "SAFRP", payload).
type Seg<'a> = (bool, u32, &'a str, &'a [u8]);

fn tcp<B>(builder: B, seg: &Seg) -> Vec<u8>
where
    B: FnOnce(u16, u16, u32) -> etherparse::PacketBuilderStep<etherparse::TcpHeader>,
{
    let (from_client, seq, flags, payload) = *seg;
    let (src, dst) = if from_client {
        (CLIENT, SERVER)
    } else {
        (SERVER, CLIENT)
    };
    let mut step = builder(src, dst, seq);
    for flag in flags.chars() {
        step = match flag {
            'S' => step.syn(),
            'A' => step.ack(1),
            'F' => step.fin(),
            'R' => step.rst(),
            'P' => step.psh(),
            other => panic!("flag {other}"),
        };
    }
    let mut out = Vec::new();
    step.write(&mut out, payload).unwrap();
    out
}

fn ethernet_ipv4(seg: &Seg) -> Vec<u8> {
    tcp(
        |s, d, seq| {
            PacketBuilder::ethernet2([0; 6], [0; 6])
                .ipv4([127, 0, 0, 1], [127, 0, 0, 1], 64)
                .tcp(s, d, seq, 65535)
        },
        seg,
    )
}

fn ipv6(seg: &Seg) -> Vec<u8> {
    let lo = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
    tcp(
        |s, d, seq| PacketBuilder::ipv6(lo, lo, 64).tcp(s, d, seq, 65535),
        seg,
    )
}

fn linux_sll(seg: &Seg) -> Vec<u8> {
    tcp(
        |s, d, seq| {
            PacketBuilder::linux_sll(LinuxSllPacketType::HOST, 6, [0; 8])
                .ipv4([10, 0, 0, 1], [10, 0, 0, 2], 64)
                .tcp(s, d, seq, 65535)
        },
        seg,
    )
}

/// SLL2: protocol 0x0800, reserved, interface 1, ARPHRD_ETHER, packet type, address length 6.
fn linux_sll2(seg: &Seg) -> Vec<u8> {
    let ip = tcp(
        |s, d, seq| PacketBuilder::ipv4([10, 0, 0, 1], [10, 0, 0, 2], 64).tcp(s, d, seq, 65535),
        seg,
    );
    let mut out = vec![0x08, 0x00, 0, 0, 0, 0, 0, 1, 0, 1, 0, 6];
    out.extend_from_slice(&[0; 8]);
    out.extend_from_slice(&ip);
    out
}

/// BSD loopback: AF_INET6 (30 on macOS) in host order, then IPv6.
fn null_ipv6(seg: &Seg) -> Vec<u8> {
    let mut out = 30u32.to_le_bytes().to_vec();
    out.extend_from_slice(&ipv6(seg));
    out
}

fn pcap(link: u32, packets: &[Vec<u8>]) -> Vec<u8> {
    let mut out = 0xa1b2_c3d4u32.to_le_bytes().to_vec();
    out.extend_from_slice(&2u16.to_le_bytes());
    out.extend_from_slice(&4u16.to_le_bytes());
    out.extend_from_slice(&[0; 8]);
    out.extend_from_slice(&262_144u32.to_le_bytes());
    out.extend_from_slice(&link.to_le_bytes());
    for (i, p) in packets.iter().enumerate() {
        out.extend_from_slice(&1_700_000_000u32.to_le_bytes());
        out.extend_from_slice(&(i as u32 * 1000).to_le_bytes());
        out.extend_from_slice(&(p.len() as u32).to_le_bytes());
        out.extend_from_slice(&(p.len() as u32).to_le_bytes());
        out.extend_from_slice(p);
    }
    out
}

fn pcapng_block(kind: u32, body: &[u8]) -> Vec<u8> {
    let padded = body.len().div_ceil(4) * 4;
    let total = (12 + padded) as u32;
    let mut out = kind.to_le_bytes().to_vec();
    out.extend_from_slice(&total.to_le_bytes());
    out.extend_from_slice(body);
    out.resize(8 + padded, 0);
    out.extend_from_slice(&total.to_le_bytes());
    out
}

fn pcapng(link: u16, packets: &[Vec<u8>]) -> Vec<u8> {
    let mut shb = 0x1a2b_3c4du32.to_le_bytes().to_vec();
    shb.extend_from_slice(&1u16.to_le_bytes());
    shb.extend_from_slice(&0u16.to_le_bytes());
    shb.extend_from_slice(&(-1i64).to_le_bytes());
    let mut out = pcapng_block(0x0a0d_0d0a, &shb);
    let mut idb = link.to_le_bytes().to_vec();
    idb.extend_from_slice(&[0, 0]);
    idb.extend_from_slice(&262_144u32.to_le_bytes());
    out.extend(pcapng_block(1, &idb));
    for (i, p) in packets.iter().enumerate() {
        let micros = 1_700_000_000_000_000u64 + i as u64 * 1000;
        let mut epb = 0u32.to_le_bytes().to_vec();
        epb.extend_from_slice(&((micros >> 32) as u32).to_le_bytes());
        epb.extend_from_slice(&(micros as u32).to_le_bytes());
        epb.extend_from_slice(&(p.len() as u32).to_le_bytes());
        epb.extend_from_slice(&(p.len() as u32).to_le_bytes());
        epb.extend_from_slice(p);
        out.extend(pcapng_block(6, &epb));
    }
    out
}

/// {"op":"echo","size":5} + hello: 31 bytes.
fn frame() -> Vec<u8> {
    let mut f = vec![22, 0, 0, 0];
    f.extend_from_slice(b"{\"op\":\"echo\",\"size\":5}hello");
    f
}

/// A handshake, the frame from the client in two segments cut inside the header, the echo
/// back in one, and both FINs.
fn conversation(frame: &[u8]) -> Vec<Seg<'_>> {
    vec![
        (true, 100, "S", b""),
        (false, 500, "SA", b""),
        (true, 101, "A", b""),
        (true, 101, "PA", &frame[..10]),
        (true, 111, "PA", &frame[10..]),
        (false, 501, "PA", frame),
        (true, 132, "FA", b""),
        (false, 532, "FA", b""),
    ]
}

fn headers(captured: &CapturedStreams, side: Side) -> Vec<serde_json::Value> {
    let lane = captured.lane(0, side).unwrap();
    let mut decoder = SegmentedDecoder::new(Framing::default());
    let mut out = Vec::new();
    let mut at = 0usize;
    for s in &lane.segments {
        let bytes = &lane.bytes[at..at + s.delivered as usize];
        at += s.delivered as usize;
        let segment = seam_capture::SegmentRef {
            packet: s.packet,
            seq: s.seq,
            t: s.t,
        };
        decoder
            .feed(bytes, segment, &mut |e| {
                if let EventRecord::Header { header, .. } = &e.record {
                    let packets: Vec<u64> = e.segments.iter().map(|s| s.packet).collect();
                    out.push(serde_json::json!({"header": header, "packets": packets}));
                }
            })
            .unwrap();
    }
    decoder.finish().unwrap();
    out
}

#[test]
fn a_pcap_over_ethernet_gives_each_direction_and_each_headers_segments() {
    let f = frame();
    let packets: Vec<Vec<u8>> = conversation(&f).iter().map(ethernet_ipv4).collect();
    let captured = CapturedStreams::parse(&pcap(1, &packets)).unwrap();
    assert_eq!(captured.streams.len(), 1);
    let s = &captured.streams[0];
    assert_eq!(s.client.to_string(), "127.0.0.1:40000");
    assert_eq!(s.server.to_string(), "127.0.0.1:8800");
    assert_eq!((s.packets, s.bytes), (8, [31, 31]));
    assert_eq!(
        headers(&captured, Side::Client),
        [serde_json::json!({"header": {"op": "echo", "size": 5}, "packets": [4, 5]})]
    );
    assert_eq!(
        headers(&captured, Side::Server),
        [serde_json::json!({"header": {"op": "echo", "size": 5}, "packets": [6]})]
    );
    let times: Vec<f64> = captured
        .lane(0, Side::Client)
        .unwrap()
        .segments
        .iter()
        .map(|s| s.t)
        .collect();
    assert_eq!(
        times[4], 0.006,
        "exact, however far from 1970 the capture is"
    );
}

#[test]
fn a_pcapng_file_reads_like_the_pcap() {
    let f = frame();
    let packets: Vec<Vec<u8>> = conversation(&f).iter().map(ethernet_ipv4).collect();
    let ng = CapturedStreams::parse(&pcapng(1, &packets)).unwrap();
    let legacy = CapturedStreams::parse(&pcap(1, &packets)).unwrap();
    assert_eq!(ng.streams, legacy.streams);
    assert_eq!(ng.lane(0, Side::Client), legacy.lane(0, Side::Client));
}

#[test]
fn linux_cooked_captures_v1_and_v2_read_alike() {
    let f = frame();
    for (link, make) in [
        (113u32, linux_sll as fn(&Seg) -> Vec<u8>),
        (276, linux_sll2),
    ] {
        let packets: Vec<Vec<u8>> = conversation(&f).iter().map(make).collect();
        let captured = CapturedStreams::parse(&pcap(link, &packets)).unwrap();
        assert_eq!(
            captured.streams[0].client.to_string(),
            "10.0.0.1:40000",
            "link {link}"
        );
        assert_eq!(
            captured.lane(0, Side::Client).unwrap().bytes,
            f,
            "link {link}"
        );
    }
}

#[test]
fn loopback_null_with_ipv6_and_raw_ip_are_read() {
    let f = frame();
    for (link, make) in [(0u32, null_ipv6 as fn(&Seg) -> Vec<u8>), (101, ipv6)] {
        let packets: Vec<Vec<u8>> = conversation(&f).iter().map(make).collect();
        let captured = CapturedStreams::parse(&pcap(link, &packets)).unwrap();
        assert_eq!(
            captured.streams[0].server.to_string(),
            "[::1]:8800",
            "link {link}"
        );
        assert_eq!(
            captured.lane(0, Side::Server).unwrap().bytes,
            f,
            "link {link}"
        );
    }
}

#[test]
fn packets_that_are_not_tcp_are_counted_and_skipped() {
    let f = frame();
    let mut packets: Vec<Vec<u8>> = conversation(&f).iter().map(ethernet_ipv4).collect();
    let mut udp = Vec::new();
    PacketBuilder::ethernet2([0; 6], [0; 6])
        .ipv4([127, 0, 0, 1], [127, 0, 0, 1], 64)
        .udp(53, 53)
        .write(&mut udp, b"dns?")
        .unwrap();
    packets.insert(2, udp);
    packets.insert(3, vec![0xff; 9]);
    let captured = CapturedStreams::parse(&pcap(1, &packets)).unwrap();
    assert_eq!(captured.skipped, 2);
    assert_eq!(captured.lane(0, Side::Client).unwrap().bytes, f);
}

#[test]
fn a_file_cut_inside_a_record_is_a_truncation_error() {
    let f = frame();
    let packets: Vec<Vec<u8>> = conversation(&f).iter().map(ethernet_ipv4).collect();
    let file = pcap(1, &packets);
    let cut = &file[..file.len() - 7];
    match CapturedStreams::parse(cut) {
        Err(CaptureError::Truncated { have, .. }) => assert!(have > 16),
        other => panic!("{other:?}"),
    }
}

#[test]
fn an_absurd_record_length_is_refused_before_anything_is_buffered() {
    let mut file = pcap(1, &[]);
    file.extend_from_slice(&[0; 8]);
    file.extend_from_slice(&u32::MAX.to_le_bytes());
    file.extend_from_slice(&u32::MAX.to_le_bytes());
    let mut reader = CaptureReader::new();
    let Ok(Record::Read { consumed: 24, .. }) = reader.next(&file) else {
        panic!("the file header")
    };
    match reader.next(&file[24..]) {
        Err(CaptureError::RecordTooLarge {
            offset: 24,
            len,
            limit,
        }) => {
            assert!(len > u64::from(u32::MAX));
            assert_eq!(limit, MAX_RECORD_LEN as u64);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn an_absurd_pcapng_block_length_is_refused() {
    let mut file = pcapng(1, &[]);
    file.extend_from_slice(&6u32.to_le_bytes());
    file.extend_from_slice(&0x7fff_fff0u32.to_le_bytes());
    file.extend_from_slice(&[0; 64]);
    assert!(matches!(
        CapturedStreams::parse(&file),
        Err(CaptureError::RecordTooLarge { .. })
    ));
}

#[test]
fn a_packet_naming_an_undescribed_interface_is_an_error() {
    let mut file = pcapng(1, &[]);
    let mut epb = 3u32.to_le_bytes().to_vec();
    epb.extend_from_slice(&[0; 16]);
    file.extend(pcapng_block(6, &epb));
    assert!(matches!(
        CapturedStreams::parse(&file),
        Err(CaptureError::UnknownInterface { interface: 3, .. })
    ));
}

#[test]
fn a_file_that_is_no_capture_says_so() {
    let error = CapturedStreams::parse(b"{\"conn\":1,\"dir\":\"in\"}").unwrap_err();
    assert!(matches!(error, CaptureError::NotACapture { .. }));
    assert!(error.to_string().starts_with("not a pcap or pcapng file"));
    assert!(matches!(
        CapturedStreams::parse(b""),
        Err(CaptureError::NotACapture { .. })
    ));
}

#[test]
fn every_prefix_of_a_capture_gives_an_error_or_a_result_never_a_panic() {
    let f = frame();
    let packets: Vec<Vec<u8>> = conversation(&f).iter().map(ethernet_ipv4).collect();
    for file in [pcap(1, &packets), pcapng(1, &packets)] {
        for end in 0..file.len() {
            let _ = CapturedStreams::parse(&file[..end]);
        }
        let mut flipped = file.clone();
        for i in 0..flipped.len() {
            flipped[i] ^= 0xa5;
            let _ = CapturedStreams::parse(&flipped);
            flipped[i] ^= 0xa5;
        }
    }
}

#[test]
fn a_rst_mid_frame_leaves_the_decoder_waiting_and_finish_reports_the_cut() {
    let f = frame();
    let segs: Vec<Seg> = vec![
        (true, 100, "S", b""),
        (false, 500, "SA", b""),
        (true, 101, "PA", &f[..10]),
        (false, 501, "R", b""),
        (true, 111, "PA", &f[10..]),
    ];
    let packets: Vec<Vec<u8>> = segs.iter().map(ethernet_ipv4).collect();
    let captured = CapturedStreams::parse(&pcap(1, &packets)).unwrap();
    let lane = captured.lane(0, Side::Client).unwrap();
    assert_eq!(lane.bytes, &f[..10], "nothing after the reset");
    assert_eq!(lane.error, None);
    let mut decoder = SegmentedDecoder::new(Framing::default());
    let s = &lane.segments[1];
    let at = seam_capture::SegmentRef {
        packet: s.packet,
        seq: s.seq,
        t: s.t,
    };
    decoder.feed(&lane.bytes, at, &mut |_| {}).unwrap();
    match decoder.finish() {
        Err(e @ DecodeError::Truncated { .. }) => {
            assert!(e.to_string().contains("header"), "{e}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_gap_in_a_capture_is_reported_on_its_lane() {
    let f = frame();
    let segs: Vec<Seg> = vec![
        (true, 100, "S", b""),
        (true, 101, "PA", &f[..10]),
        (true, 121, "PA", &f[20..]),
    ];
    let packets: Vec<Vec<u8>> = segs.iter().map(ethernet_ipv4).collect();
    let captured = CapturedStreams::parse(&pcap(1, &packets)).unwrap();
    let lane = captured.lane(0, Side::Client).unwrap();
    assert_eq!(lane.bytes, &f[..10]);
    assert_eq!(
        lane.error.as_ref().unwrap().to_string(),
        "10 bytes missing at seq 111 (stream offset 10): a length-prefixed stream cannot resynchronise after a gap"
    );
}

#[test]
fn many_connections_holding_bytes_out_of_order_stay_within_the_memory_bound() {
    use seam_capture::{CaptureReader, Record, Tracker, Window};
    // 100 connections, each sending 64 KiB that wait behind a 1-byte hole.
    let chunk = vec![b'x'; 16 * 1024];
    let mut packets = Vec::new();
    for conn in 0..100u16 {
        for i in 0..4u32 {
            let mut p = Vec::new();
            PacketBuilder::ethernet2([0; 6], [0; 6])
                .ipv4([127, 0, 0, 1], [127, 0, 0, 1], 64)
                .tcp(20000 + conn, SERVER, 1000 + 1 + i * 16384, 65535)
                .ack(1)
                .write(&mut p, &chunk)
                .unwrap();
            packets.push(p);
        }
    }
    // Each connection's first segment starts its stream; make that a 1-byte one at seq 0.
    let mut file_packets = Vec::new();
    for conn in 0..100u16 {
        let mut p = Vec::new();
        PacketBuilder::ethernet2([0; 6], [0; 6])
            .ipv4([127, 0, 0, 1], [127, 0, 0, 1], 64)
            .tcp(20000 + conn, SERVER, 999, 65535)
            .ack(1)
            .write(&mut p, b"a")
            .unwrap();
        file_packets.push(p);
    }
    file_packets.extend(packets);
    let file = pcap(1, &file_packets);
    let limit = 1 << 20;
    let mut tracker = Tracker::with_memory(Window::default(), limit);
    let mut reader = CaptureReader::new();
    let (mut at, mut peak, mut given_up) = (0, 0, 0);
    while let Ok(Record::Read { consumed, packet }) = reader.next(&file[at..]) {
        at += consumed;
        let Some(packet) = packet else { continue };
        if let Some(seen) = tracker.packet(&packet).unwrap() {
            if seen.accepted.is_err() {
                given_up += 1;
            }
            while tracker.pop_ready(seen.stream, seen.side).is_some() {}
        }
        peak = peak.max(tracker.memory());
    }
    assert!(peak <= limit + chunk.len(), "peak {peak}");
    assert!(given_up > 0, "some holes were given up");
    assert_eq!(tracker.streams().count(), 100);
}
