//! Capture files, sans-IO: pcap and pcapng records out of whatever bytes the caller has.
//!
//! The caller keeps a buffer of the file's bytes and calls [`CaptureReader::next`] with what
//! it has not consumed yet; the reader says how many bytes one record took (and the packet it
//! held, if any) or that it needs more. A record never needs more than
//! [`MAX_RECORD_LEN`] bytes, so the caller's buffer stays bounded.

use pcap_parser::nom::{Err as NomErr, Needed};
use pcap_parser::pcap::{parse_pcap_frame, parse_pcap_frame_be, parse_pcap_header};
use pcap_parser::pcapng::{
    parse_enhancedpacketblock_be, parse_enhancedpacketblock_le, parse_interfacedescriptionblock_be,
    parse_interfacedescriptionblock_le, parse_sectionheaderblock, parse_simplepacketblock_be,
    parse_simplepacketblock_le, parse_unknownblock_be, parse_unknownblock_le, Block, EPB_MAGIC,
    IDB_MAGIC, SHB_MAGIC, SPB_MAGIC,
};
use pcap_parser::PcapError;

use crate::error::CaptureError;

/// The largest record accepted (pcap record header + data, or a whole pcapng block).
pub const MAX_RECORD_LEN: usize = 1 << 20;

/// The most interfaces a pcapng section may describe.
pub const MAX_INTERFACES: usize = 1 << 10;

/// A link-layer type, as pcap numbers them (1 Ethernet, 113 Linux cooked, ...).
pub type LinkType = i32;

/// When a packet was captured: seconds and nanoseconds since the Unix epoch (exact, where
/// an `f64` of seconds since 1970 would lose the microseconds).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Timestamp {
    /// Whole seconds.
    pub secs: u64,
    /// Nanoseconds, below 1,000,000,000.
    pub nanos: u32,
}

impl Timestamp {
    /// Seconds from `earlier` to this time (negative when this is before it).
    pub fn seconds_since(&self, earlier: Timestamp) -> f64 {
        let whole = self.secs as f64 - earlier.secs as f64;
        whole + (f64::from(self.nanos) - f64::from(earlier.nanos)) / 1e9
    }
}

/// One captured packet.
#[derive(Debug, Clone, Copy)]
pub struct Packet<'a> {
    /// Its number in the file, from 1 (as Wireshark counts).
    pub number: u64,
    /// When it was captured.
    pub time: Timestamp,
    /// How its data starts.
    pub link: LinkType,
    /// The bytes captured (perhaps fewer than were on the wire).
    pub data: &'a [u8],
}

/// What one call to [`CaptureReader::next`] found.
#[derive(Debug)]
pub enum Record<'a> {
    /// The bytes given do not hold a whole record: call again with more (or, at the end of
    /// the file, [`CaptureReader::finish`]).
    NeedMore,
    /// One record, `consumed` bytes long; `packet` when it held a packet.
    Read {
        /// Bytes of the input this record took.
        consumed: usize,
        /// The packet, for a packet record.
        packet: Option<Packet<'a>>,
    },
}

#[derive(Debug, Clone, Copy)]
struct Interface {
    link: LinkType,
    resolution: u64,
    offset: u64,
}

#[derive(Debug)]
enum Format {
    Unknown,
    Pcap {
        big_endian: bool,
        nanos: bool,
        link: LinkType,
    },
    PcapNg {
        big_endian: bool,
        interfaces: Vec<Interface>,
    },
}

/// Reads pcap and pcapng files record by record (see the module docs).
#[derive(Debug)]
pub struct CaptureReader {
    format: Format,
    /// File offset of the next record.
    offset: u64,
    packets: u64,
}

impl Default for CaptureReader {
    fn default() -> Self {
        CaptureReader::new()
    }
}

impl CaptureReader {
    /// A reader at the start of a file.
    pub fn new() -> CaptureReader {
        CaptureReader {
            format: Format::Unknown,
            offset: 0,
            packets: 0,
        }
    }

    /// Bytes consumed so far.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// Packets read so far.
    pub fn packets(&self) -> u64 {
        self.packets
    }

    /// Reads the record at the start of `input` (the bytes not consumed yet).
    pub fn next<'a>(&mut self, input: &'a [u8]) -> Result<Record<'a>, CaptureError> {
        let record = match &mut self.format {
            Format::Unknown => self.read_file_header(input)?,
            Format::Pcap {
                big_endian,
                nanos,
                link,
            } => {
                let parsed = if *big_endian {
                    parse_pcap_frame_be(input)
                } else {
                    parse_pcap_frame(input)
                };
                let (link, nanos) = (*link, *nanos);
                match self.check(input, parsed)? {
                    None => Record::NeedMore,
                    Some((consumed, frame)) => {
                        self.packets += 1;
                        let scale = if nanos { 1 } else { 1000 };
                        Record::Read {
                            consumed,
                            packet: Some(Packet {
                                number: self.packets,
                                time: Timestamp {
                                    secs: frame.ts_sec.into(),
                                    nanos: frame.ts_usec.saturating_mul(scale).min(999_999_999),
                                },
                                link,
                                data: frame.data,
                            }),
                        }
                    }
                }
            }
            Format::PcapNg { big_endian, .. } => {
                let parsed = ng_block(input, *big_endian);
                match self.check(input, parsed)? {
                    None => Record::NeedMore,
                    Some((consumed, block)) => {
                        let packet = self.ng_block(block)?;
                        Record::Read { consumed, packet }
                    }
                }
            }
        };
        if let Record::Read { consumed, .. } = &record {
            self.offset += *consumed as u64;
        }
        Ok(record)
    }

    /// At the end of the file: an error if `left` bytes of a record remain unread.
    pub fn finish(&self, left: usize) -> Result<(), CaptureError> {
        match (left, &self.format) {
            (0, Format::Unknown) => Err(CaptureError::NotACapture { magic: 0 }),
            (0, _) => Ok(()),
            (_, Format::Unknown) => Err(CaptureError::NotACapture { magic: 0 }),
            (have, _) => Err(CaptureError::Truncated {
                offset: self.offset,
                have: have as u64,
            }),
        }
    }

    fn read_file_header<'a>(&mut self, input: &'a [u8]) -> Result<Record<'a>, CaptureError> {
        if input.len() < 4 {
            return Ok(Record::NeedMore);
        }
        if input[..4] == [0x0a, 0x0d, 0x0d, 0x0a] {
            let parsed = parse_sectionheaderblock(input);
            return Ok(match self.check(input, parsed)? {
                None => Record::NeedMore,
                Some((consumed, section)) => {
                    self.format = Format::PcapNg {
                        big_endian: section.big_endian(),
                        interfaces: Vec::new(),
                    };
                    Record::Read {
                        consumed,
                        packet: None,
                    }
                }
            });
        }
        match parse_pcap_header(input) {
            Ok((rest, header)) => {
                self.format = Format::Pcap {
                    big_endian: header.is_bigendian(),
                    nanos: header.is_nanosecond_precision(),
                    link: header.network.0,
                };
                if header.is_modified_format() {
                    return Err(CaptureError::Malformed {
                        offset: 0,
                        reason: "the old \"modified\" pcap format is not supported".into(),
                    });
                }
                Ok(Record::Read {
                    consumed: input.len() - rest.len(),
                    packet: None,
                })
            }
            Err(NomErr::Incomplete(_)) => Ok(Record::NeedMore),
            Err(_) => Err(CaptureError::NotACapture {
                magic: u32::from_be_bytes([input[0], input[1], input[2], input[3]]),
            }),
        }
    }

    /// A parse result as consumed bytes and value, `None` for "need more", or an error.
    fn check<'a, T>(
        &self,
        input: &'a [u8],
        parsed: Parsed<'a, T>,
    ) -> Result<Option<(usize, T)>, CaptureError> {
        match parsed {
            Ok((rest, value)) => Ok(Some((input.len() - rest.len(), value))),
            Err(NomErr::Incomplete(needed)) => {
                let more = match needed {
                    Needed::Size(n) => n.get() as u64,
                    Needed::Unknown => 1,
                };
                let len = input.len() as u64 + more;
                if len > MAX_RECORD_LEN as u64 {
                    return Err(CaptureError::RecordTooLarge {
                        offset: self.offset,
                        len,
                        limit: MAX_RECORD_LEN as u64,
                    });
                }
                Ok(None)
            }
            Err(NomErr::Error(e) | NomErr::Failure(e)) => Err(CaptureError::Malformed {
                offset: self.offset,
                reason: describe(&e),
            }),
        }
    }

    fn ng_block<'a>(&mut self, block: Block<'a>) -> Result<Option<Packet<'a>>, CaptureError> {
        let Format::PcapNg {
            big_endian,
            interfaces,
        } = &mut self.format
        else {
            return Ok(None);
        };
        match block {
            Block::SectionHeader(section) => {
                *big_endian = section.big_endian();
                interfaces.clear();
                Ok(None)
            }
            Block::InterfaceDescription(idb) => {
                if interfaces.len() >= MAX_INTERFACES {
                    return Err(CaptureError::UnknownInterface {
                        offset: self.offset,
                        interface: interfaces.len() as u32,
                    });
                }
                interfaces.push(Interface {
                    link: idb.linktype.0,
                    resolution: idb.ts_resolution().unwrap_or(1_000_000).max(1),
                    offset: idb.ts_offset() as u64,
                });
                Ok(None)
            }
            Block::EnhancedPacket(epb) => {
                let Some(interface) = interfaces.get(epb.if_id as usize) else {
                    return Err(CaptureError::UnknownInterface {
                        offset: self.offset,
                        interface: epb.if_id,
                    });
                };
                self.packets += 1;
                Ok(Some(Packet {
                    number: self.packets,
                    time: ng_time(epb.ts_high, epb.ts_low, interface),
                    link: interface.link,
                    data: epb.data,
                }))
            }
            Block::SimplePacket(spb) => {
                let Some(interface) = interfaces.first() else {
                    return Err(CaptureError::UnknownInterface {
                        offset: self.offset,
                        interface: 0,
                    });
                };
                self.packets += 1;
                Ok(Some(Packet {
                    number: self.packets,
                    time: Timestamp::default(),
                    link: interface.link,
                    data: spb.data,
                }))
            }
            _ => Ok(None),
        }
    }
}

type Parsed<'a, T> = Result<(&'a [u8], T), NomErr<PcapError<&'a [u8]>>>;

/// The next pcapng block: those this reader uses parsed in full, any other only skipped
/// (by its length), which keeps the parsers of a dozen unused block kinds out of the build.
fn ng_block(input: &[u8], big_endian: bool) -> Parsed<'_, Block<'_>> {
    let Some(kind) = input.get(..4) else {
        return Err(NomErr::Incomplete(Needed::new(4 - input.len())));
    };
    let kind = [kind[0], kind[1], kind[2], kind[3]];
    let kind = if big_endian {
        u32::from_be_bytes(kind)
    } else {
        u32::from_le_bytes(kind)
    };
    fn wrap<'a, T>(parsed: Parsed<'a, T>, block: fn(T) -> Block<'a>) -> Parsed<'a, Block<'a>> {
        parsed.map(|(rest, value)| (rest, block(value)))
    }
    match (kind, big_endian) {
        (SHB_MAGIC, _) => wrap(parse_sectionheaderblock(input), Block::SectionHeader),
        (IDB_MAGIC, false) => wrap(
            parse_interfacedescriptionblock_le(input),
            Block::InterfaceDescription,
        ),
        (IDB_MAGIC, true) => wrap(
            parse_interfacedescriptionblock_be(input),
            Block::InterfaceDescription,
        ),
        (EPB_MAGIC, false) => wrap(parse_enhancedpacketblock_le(input), Block::EnhancedPacket),
        (EPB_MAGIC, true) => wrap(parse_enhancedpacketblock_be(input), Block::EnhancedPacket),
        (SPB_MAGIC, false) => wrap(parse_simplepacketblock_le(input), Block::SimplePacket),
        (SPB_MAGIC, true) => wrap(parse_simplepacketblock_be(input), Block::SimplePacket),
        (_, false) => wrap(parse_unknownblock_le(input), Block::Unknown),
        (_, true) => wrap(parse_unknownblock_be(input), Block::Unknown),
    }
}

/// A pcapng timestamp: units of the interface's resolution since 1970, plus its offset.
fn ng_time(high: u32, low: u32, interface: &Interface) -> Timestamp {
    let units = (u64::from(high) << 32) | u64::from(low);
    let resolution = interface.resolution;
    let secs = (units / resolution).saturating_add(interface.offset);
    let fraction = u128::from(units % resolution);
    Timestamp {
        secs,
        nanos: (fraction * 1_000_000_000 / u128::from(resolution)) as u32,
    }
}

fn describe(error: &PcapError<&[u8]>) -> String {
    match error {
        PcapError::NomError(_, kind) | PcapError::OwnedNomError(_, kind) => {
            format!("{} failed", kind.description())
        }
        PcapError::HeaderNotRecognized => "header not recognized".into(),
        _ => "unreadable".into(),
    }
}
