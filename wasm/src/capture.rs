//! Packet captures for JavaScript: seam-capture reads the pcap/pcapng file and reassembles
//! each connection; each direction (a lane) becomes a timeline whose chunks are its
//! segments as captured.

use seam_capture::{CapturedStreams, Lane, StreamInfo};
use tsify::Ts;
use wasm_bindgen::prelude::*;

use crate::input::FramingDef;
use crate::timeline::Timeline;
use crate::views::SideDef;
use crate::views::{error, to_js_list, CaptureStreamView, OrderView, PerSide, SegmentView};

/// A pcap or pcapng file, every TCP connection in it reassembled.
#[wasm_bindgen]
pub struct Capture {
    captured: CapturedStreams,
}

#[wasm_bindgen]
impl Capture {
    /// Reads a whole capture file; throws why it cannot be read.
    #[wasm_bindgen(constructor)]
    pub fn new(bytes: &[u8]) -> Result<Capture, JsValue> {
        Ok(Capture {
            captured: CapturedStreams::parse(bytes).map_err(error)?,
        })
    }

    /// Packets that held no TCP segment this reader could use.
    #[wasm_bindgen(getter)]
    pub fn skipped(&self) -> f64 {
        self.captured.skipped as f64
    }

    /// The TCP connections, in order of first appearance.
    pub fn streams(&self) -> Result<Vec<Ts<CaptureStreamView>>, JsValue> {
        to_js_list(self.captured.streams.iter().map(stream_view))
    }
    /// The segments of one direction of stream `stream`, as captured.
    pub fn segments(
        &self,
        stream: usize,
        direction: Ts<SideDef>,
    ) -> Result<Vec<Ts<SegmentView>>, JsValue> {
        let lane = self.lane(stream, direction)?;
        to_js_list(lane.segments.iter().map(|s| SegmentView {
            packet: s.packet,
            t: s.t,
            seq: s.seq,
            offset: s.offset,
            len: s.len,
            flags: s.flags.text(),
            arrival: s.arrival,
            conflicts: s.conflicts,
            delivered: s.delivered,
        }))
    }

    /// Why reassembly of this direction stopped (a gap: "N bytes missing at seq S"), or `null`.
    #[wasm_bindgen(js_name = laneError)]
    pub fn lane_error(
        &self,
        stream: usize,
        direction: Ts<SideDef>,
    ) -> Result<Option<String>, JsValue> {
        let lane = self.lane(stream, direction)?;
        Ok(lane.error.as_ref().map(|error| error.to_string()))
    }

    /// The packets of stream `stream` in capture order: each one's direction and its index
    /// among that direction's segments.
    pub fn order(&self, stream: usize) -> Result<Vec<Ts<OrderView>>, JsValue> {
        let order = self.captured.order(stream).iter();
        to_js_list(order.map(|&(direction, segment)| OrderView { direction, segment }))
    }

    /// A timeline of one direction: its reassembled bytes, one chunk per segment (the bytes
    /// that segment put in order, maybe none), decoded with the framing options.
    pub fn timeline(
        &self,
        stream: usize,
        direction: Ts<SideDef>,
        options: Option<Ts<FramingDef>>,
    ) -> Result<Timeline, JsValue> {
        let lane = self.lane(stream, direction)?;
        let chunks: Vec<usize> = lane.segments.iter().map(|s| s.delivered as usize).collect();
        Timeline::from_parts(crate::framing(options)?, lane.bytes.clone(), &chunks, None)
    }
}

impl Capture {
    fn lane(&self, stream: usize, direction: Ts<SideDef>) -> Result<&Lane, JsValue> {
        let side = crate::input::side(direction).map_err(error)?;
        self.captured
            .lane(stream, side)
            .ok_or_else(|| error(format!("the capture has no stream #{stream}")))
    }
}

fn stream_view(s: &StreamInfo) -> CaptureStreamView {
    CaptureStreamView {
        index: s.index,
        client: s.client.to_string(),
        server: s.server.to_string(),
        packets: s.packets,
        bytes: PerSide {
            client: s.bytes[0],
            server: s.bytes[1],
        },
        segments: PerSide {
            client: s.segments[0],
            server: s.segments[1],
        },
        start_t: s.start_t,
        end_t: s.end_t,
    }
}
