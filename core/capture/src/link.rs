//! From a captured packet's bytes to its TCP segment: link layer (Ethernet, Linux cooked
//! SLL and SLL2, BSD loopback/null, raw IP; VLAN tags), IPv4 or IPv6, TCP, each layer
//! sliced by etherparse (one layer at a time: the page's WebAssembly stays small).

use core::net::{IpAddr, SocketAddr};

use etherparse::{
    EtherType, Ethernet2Slice, IpNumber, Ipv4Slice, Ipv6Slice, LinuxSllProtocolType, LinuxSllSlice,
    SingleVlanSlice, TcpSlice,
};

use crate::file::LinkType;

/// Ethernet.
pub const LINK_ETHERNET: LinkType = 1;
/// BSD loopback: a 4-byte address family in the capturing host's byte order.
pub const LINK_NULL: LinkType = 0;
/// OpenBSD loopback: a 4-byte address family, big-endian.
pub const LINK_LOOP: LinkType = 108;
/// Raw IP (either version), and its older number.
pub const LINK_RAW: [LinkType; 3] = [101, 228, 229];
/// Linux cooked capture (`tcpdump -i any`), version 1.
pub const LINK_LINUX_SLL: LinkType = 113;
/// Linux cooked capture, version 2.
pub const LINK_LINUX_SLL2: LinkType = 276;

/// A segment's TCP flags, as in its header.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Flags {
    /// SYN: opens the direction; its sequence number precedes the first byte.
    pub syn: bool,
    /// FIN: the sender has no more bytes.
    pub fin: bool,
    /// RST: the connection is torn down.
    pub rst: bool,
    /// ACK: the acknowledgment number is valid.
    pub ack: bool,
    /// PSH: the sender pushed.
    pub psh: bool,
}

impl Flags {
    /// The flags as Wireshark-style text, e.g. `SYN,ACK` (empty when none).
    pub fn text(&self) -> String {
        let names = [
            (self.syn, "SYN"),
            (self.fin, "FIN"),
            (self.rst, "RST"),
            (self.psh, "PSH"),
            (self.ack, "ACK"),
        ];
        let set: Vec<&str> = names
            .iter()
            .filter(|(on, _)| *on)
            .map(|(_, n)| *n)
            .collect();
        set.join(",")
    }
}

/// A TCP segment as captured.
#[derive(Debug, Clone, Copy)]
pub struct TcpPacket<'a> {
    /// Sender.
    pub src: SocketAddr,
    /// Receiver.
    pub dst: SocketAddr,
    /// Sequence number.
    pub seq: u32,
    /// Acknowledgment number.
    pub ack: u32,
    /// Flags.
    pub flags: Flags,
    /// The payload bytes captured.
    pub payload: &'a [u8],
}

/// Why a packet holds no TCP segment this reader can use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Skip {
    /// A link type other than those listed in the module docs.
    UnsupportedLink(LinkType),
    /// Not IP, or IP but not TCP.
    NotTcp,
    /// The headers are cut short or malformed (a short snap length, say).
    Malformed,
}

/// The TCP segment in a packet, or why there is none.
pub fn tcp_packet(link: LinkType, data: &[u8]) -> Result<TcpPacket<'_>, Skip> {
    let (ether_type, payload) = match link {
        LINK_ETHERNET => {
            let frame =
                Ethernet2Slice::from_slice_without_fcs(data).map_err(|_| Skip::Malformed)?;
            (frame.ether_type(), frame.payload_slice())
        }
        LINK_LINUX_SLL => {
            let frame = LinuxSllSlice::from_slice(data).map_err(|_| Skip::Malformed)?;
            match frame.protocol_type() {
                LinuxSllProtocolType::EtherType(ether_type) => (ether_type, frame.payload_slice()),
                _ => return Err(Skip::NotTcp),
            }
        }
        LINK_LINUX_SLL2 => {
            // SLL2: protocol type (2 bytes), reserved (2), interface (4), ARPHRD (2),
            // packet type (1), address length (1), address (8): 20 bytes.
            let header = data.get(..20).ok_or(Skip::Malformed)?;
            (
                EtherType(u16::from_be_bytes([header[0], header[1]])),
                &data[20..],
            )
        }
        LINK_NULL | LINK_LOOP => {
            let family = data.get(..4).ok_or(Skip::Malformed)?;
            let family = [family[0], family[1], family[2], family[3]];
            let family = if link == LINK_LOOP {
                u32::from_be_bytes(family)
            } else {
                // The capturing host's order: a family number is small either way.
                u32::from_le_bytes(family).min(u32::from_be_bytes(family))
            };
            // AF_INET is 2 everywhere; AF_INET6 is 24, 28 or 30 depending on the BSD.
            match family {
                2 => (EtherType::IPV4, &data[4..]),
                24 | 28 | 30 => (EtherType::IPV6, &data[4..]),
                _ => return Err(Skip::NotTcp),
            }
        }
        link if LINK_RAW.contains(&link) => match data.first().map(|b| b >> 4) {
            Some(4) => (EtherType::IPV4, data),
            Some(6) => (EtherType::IPV6, data),
            _ => return Err(Skip::Malformed),
        },
        other => return Err(Skip::UnsupportedLink(other)),
    };
    let (ether_type, payload) = skip_vlans(ether_type, payload)?;
    let (src_ip, dst_ip, ip_payload) = match ether_type {
        EtherType::IPV4 => {
            let ip = Ipv4Slice::from_slice(payload).map_err(|_| Skip::Malformed)?;
            let header = ip.header();
            (
                IpAddr::V4(header.source_addr()),
                IpAddr::V4(header.destination_addr()),
                ip.payload().clone(),
            )
        }
        EtherType::IPV6 => {
            let ip = Ipv6Slice::from_slice(payload).map_err(|_| Skip::Malformed)?;
            let header = ip.header();
            (
                IpAddr::V6(header.source_addr()),
                IpAddr::V6(header.destination_addr()),
                ip.payload().clone(),
            )
        }
        _ => return Err(Skip::NotTcp),
    };
    if ip_payload.ip_number != IpNumber::TCP || ip_payload.fragmented {
        return Err(Skip::NotTcp);
    }
    let tcp = TcpSlice::from_slice(ip_payload.payload).map_err(|_| Skip::Malformed)?;
    Ok(TcpPacket {
        src: SocketAddr::new(src_ip, tcp.source_port()),
        dst: SocketAddr::new(dst_ip, tcp.destination_port()),
        seq: tcp.sequence_number(),
        ack: tcp.acknowledgment_number(),
        flags: Flags {
            syn: tcp.syn(),
            fin: tcp.fin(),
            rst: tcp.rst(),
            ack: tcp.ack(),
            psh: tcp.psh(),
        },
        payload: tcp.payload(),
    })
}

/// Steps over up to two VLAN tags (802.1Q, QinQ).
fn skip_vlans(mut ether_type: EtherType, mut payload: &[u8]) -> Result<(EtherType, &[u8]), Skip> {
    for _ in 0..2 {
        if ![
            EtherType::VLAN_TAGGED_FRAME,
            EtherType::PROVIDER_BRIDGING,
            EtherType::VLAN_DOUBLE_TAGGED_FRAME,
        ]
        .contains(&ether_type)
        {
            break;
        }
        let vlan = SingleVlanSlice::from_slice(payload).map_err(|_| Skip::Malformed)?;
        ether_type = vlan.ether_type();
        payload = vlan.payload_slice();
    }
    Ok((ether_type, payload))
}
