//! Packet captures for JavaScript: seam-capture reads the pcap/pcapng file and reassembles
//! each connection; each direction (a lane) becomes a timeline whose chunks are its
//! segments as captured.

use seam_capture::{Arrival, CapturedStreams, Side};
use wasm_bindgen::prelude::*;

use crate::json::Json;
use crate::timeline::Timeline;
use crate::views::error;

/// A pcap or pcapng file, every TCP connection in it reassembled.
#[wasm_bindgen]
pub struct Capture {
    captured: CapturedStreams,
}

fn side(name: &str) -> Result<Side, JsValue> {
    match name {
        "client" => Ok(Side::Client),
        "server" => Ok(Side::Server),
        other => Err(error(format!("no direction `{other}`: client or server"))),
    }
}

fn arrival_name(arrival: Arrival) -> &'static str {
    match arrival {
        Arrival::InOrder => "in_order",
        Arrival::Retransmission => "retransmission",
        Arrival::PartialRetransmission => "partial_retransmission",
        Arrival::OutOfOrder => "out_of_order",
        Arrival::AfterEnd => "after_end",
    }
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

    /// `[{index, client, server, packets, bytes: {client, server}, segments: {client,
    /// server}, start_t, end_t}]`, in order of first appearance.
    pub fn streams(&self) -> JsValue {
        let mut json = Json::new();
        json.list();
        for s in &self.captured.streams {
            json.open()
                .key("index")
                .num(s.index as u64)
                .key("client")
                .str(&s.client.to_string())
                .key("server")
                .str(&s.server.to_string())
                .key("packets")
                .num(s.packets)
                .key("bytes")
                .open()
                .key("client")
                .num(s.bytes[0])
                .key("server")
                .num(s.bytes[1])
                .close()
                .key("segments")
                .open()
                .key("client")
                .num(s.segments[0])
                .key("server")
                .num(s.segments[1])
                .close()
                .key("start_t")
                .value(&s.start_t)
                .key("end_t")
                .value(&s.end_t)
                .close();
        }
        json.end_list().to_js()
    }

    /// The segments of one direction (`client` or `server`) of stream `stream`: `[{packet,
    /// t, seq, offset, len, flags, arrival, conflicts, delivered}]`; `arrival` is
    /// `in_order`, `retransmission`, `partial_retransmission`, `out_of_order` or
    /// `after_end`, `delivered` the bytes it put in order.
    pub fn segments(&self, stream: usize, direction: &str) -> Result<JsValue, JsValue> {
        let lane = self.lane(stream, direction)?;
        let mut json = Json::new();
        json.list();
        for s in &lane.segments {
            json.open()
                .key("packet")
                .num(s.packet)
                .key("t")
                .value(&s.t)
                .key("seq")
                .num(s.seq.into())
                .key("offset")
                .value(&s.offset)
                .key("len")
                .num(s.len as u64)
                .key("flags")
                .str(&s.flags.text())
                .key("arrival")
                .str(arrival_name(s.arrival))
                .key("conflicts")
                .num(s.conflicts)
                .key("delivered")
                .num(s.delivered)
                .close();
        }
        Ok(json.end_list().to_js())
    }

    /// Why reassembly of this direction stopped (a gap: "N bytes missing at seq S"), or `null`.
    #[wasm_bindgen(js_name = laneError)]
    pub fn lane_error(&self, stream: usize, direction: &str) -> Result<JsValue, JsValue> {
        Ok(match &self.lane(stream, direction)?.error {
            Some(error) => JsValue::from_str(&error.to_string()),
            None => JsValue::NULL,
        })
    }

    /// The packets of stream `stream` in capture order: `[{direction, segment}]`, `segment`
    /// being the index in that direction's segments.
    pub fn order(&self, stream: usize) -> JsValue {
        let mut json = Json::new();
        json.list();
        for &(side, segment) in self.captured.order(stream) {
            json.open()
                .key("direction")
                .str(side.name())
                .key("segment")
                .num(segment as u64)
                .close();
        }
        json.end_list().to_js()
    }

    /// A timeline of one direction: its reassembled bytes, one chunk per segment (the bytes
    /// that segment put in order, maybe none), decoded with the framing options.
    pub fn timeline(
        &self,
        stream: usize,
        direction: &str,
        options: JsValue,
    ) -> Result<Timeline, JsValue> {
        let lane = self.lane(stream, direction)?;
        let chunks: Vec<usize> = lane.segments.iter().map(|s| s.delivered as usize).collect();
        let times = lane.segments.iter().map(|s| s.t).collect();
        Timeline::from_capture(
            crate::framing(&options)?,
            lane.bytes.clone(),
            &chunks,
            times,
        )
    }
}

impl Capture {
    fn lane(&self, stream: usize, direction: &str) -> Result<&seam_capture::Lane, JsValue> {
        self.captured
            .lane(stream, side(direction)?)
            .ok_or_else(|| error(format!("the capture has no stream #{stream}")))
    }
}
