//! Timelines for JavaScript: a stream cut into chunks and decoded once by the page model's
//! `Replay`, shown at any step; and traces, whose streams become timelines.

use seam_core::{parse_trace, trace_streams, Cut, Framing, TraceStream};
use seam_page_model::{
    decode_tally, naive_reads, sample_stream, EncodedSend, EventKind, NaiveRead, NaiveVerdict,
    Replay, SendError,
};
use serde_json::Value;
use wasm_bindgen::prelude::*;

use crate::json::Json;
use crate::views::{decode_error, error, error_view, naive_view, sends_view, waiting_view};

/// A trace file split into one stream per connection and direction.
#[wasm_bindgen]
pub struct Trace {
    streams: Vec<TraceStream>,
}

#[wasm_bindgen]
impl Trace {
    /// Reads a trace's text; throws the bad line and why.
    #[wasm_bindgen(constructor)]
    pub fn new(text: &str) -> Result<Trace, JsValue> {
        Ok(Trace {
            streams: trace_streams(&parse_trace(text).map_err(error)?),
        })
    }

    /// `[{conn, dir, chunks, bytes, start_t, end_t}]`, by connection, `in` before `out`.
    pub fn streams(&self) -> JsValue {
        let mut json = Json::new();
        json.list();
        for s in &self.streams {
            json.open()
                .key("conn")
                .num(s.conn)
                .key("dir")
                .value(&s.dir)
                .key("chunks")
                .num(s.chunk_lengths.len() as u64)
                .key("bytes")
                .num(s.bytes.len() as u64)
                .key("start_t")
                .value(&s.times.first())
                .key("end_t")
                .value(&s.times.last())
                .close();
        }
        json.end_list().to_js()
    }

    /// A timeline replaying stream `index` in the chunks the socket really returned.
    pub fn timeline(&self, index: usize, options: JsValue) -> Result<Timeline, JsValue> {
        let stream = self
            .streams
            .get(index)
            .ok_or_else(|| error(format!("the trace has no stream #{index}")))?;
        let mut timeline = Timeline::from_parts(
            crate::framing(&options)?,
            stream.bytes.clone(),
            &stream.chunk_lengths,
            None,
        )?;
        timeline.times = stream.times.clone();
        Ok(timeline)
    }
}

/// A stream cut into chunks, decoded once by core's `Replay`; shows any step (how many
/// chunks have arrived) without decoding again.
#[wasm_bindgen]
pub struct Timeline {
    replay: Replay,
    /// The sender's messages, for the naive reader (the frames when unknown).
    message_lengths: Vec<usize>,
    naive: Vec<NaiveRead>,
    sends: Vec<Result<EncodedSend, SendError>>,
    times: Vec<f64>,
}

impl Timeline {
    fn from_parts(
        framing: Framing,
        bytes: Vec<u8>,
        chunk_lengths: &[usize],
        message_lengths: Option<Vec<usize>>,
    ) -> Result<Timeline, JsValue> {
        let replay = Replay::new(framing, bytes, chunk_lengths).map_err(error)?;
        let message_lengths = message_lengths.unwrap_or_else(|| replay.frame_lengths());
        let naive = naive_reads(&message_lengths, &replay.chunk_lengths());
        Ok(Timeline {
            replay,
            message_lengths,
            naive,
            sends: Vec::new(),
            times: Vec::new(),
        })
    }
}

impl Timeline {
    /// A captured direction: its bytes, one chunk per segment (maybe empty), and the
    /// segments' times.
    pub(crate) fn from_capture(
        framing: Framing,
        bytes: Vec<u8>,
        chunk_lengths: &[usize],
        times: Vec<f64>,
    ) -> Result<Timeline, JsValue> {
        let mut timeline = Timeline::from_parts(framing, bytes, chunk_lengths, None)?;
        timeline.times = times;
        Ok(timeline)
    }
}

#[wasm_bindgen]
impl Timeline {
    /// Any stream: its bytes, the lengths of the chunks it arrives in, and optionally the
    /// lengths of the sender's messages (default: the frames the decoder finds).
    #[wasm_bindgen(constructor)]
    pub fn new(
        bytes: Vec<u8>,
        chunk_lengths: Vec<u32>,
        message_lengths: Option<Vec<u32>>,
        options: JsValue,
    ) -> Result<Timeline, JsValue> {
        let chunks: Vec<usize> = chunk_lengths.into_iter().map(|n| n as usize).collect();
        let messages = message_lengths.map(|m| m.into_iter().map(|n| n as usize).collect());
        Timeline::from_parts(crate::framing(&options)?, bytes, &chunks, messages)
    }

    /// A scenario (the page model's `Scenario`: `{framing, sends, cut, cuts}`) encoded and cut.
    /// Throws when the cut spec is bad; a send that cannot be encoded is left out and its
    /// error shown by [`Timeline::sends`].
    pub fn scenario(scenario: JsValue) -> Result<Timeline, JsValue> {
        let scenario = crate::input::scenario(&scenario).map_err(error)?;
        let built = scenario.build();
        let mut timeline = Timeline::from_parts(
            scenario.framing,
            built.bytes,
            &built.chunk_lengths,
            Some(built.send_lengths),
        )?;
        timeline.sends = built.sends;
        Ok(timeline)
    }

    /// Core's sample stream of `frames` echo frames in `total` bytes, each frame one send,
    /// cut as `cut` says.
    pub fn sample(frames: usize, total: usize, cut: &str) -> Result<Timeline, JsValue> {
        let cut: Cut = cut.parse().map_err(error)?;
        let sample = sample_stream(frames, total);
        let chunks = cut.chunk_lengths(&sample.frame_lengths);
        Timeline::from_parts(
            Framing::default(),
            sample.bytes,
            &chunks,
            Some(sample.frame_lengths),
        )
    }

    /// For a scenario: each send encoded (`{bytes, prefix_len, header_len, body_len,
    /// header_text}`) or `{error}`.
    pub fn sends(&self) -> JsValue {
        sends_view(&self.sends)
    }

    /// The stream's length in bytes.
    #[wasm_bindgen(getter)]
    pub fn length(&self) -> f64 {
        self.replay.bytes().len() as f64
    }

    /// How many chunks (= the last step).
    #[wasm_bindgen(getter)]
    pub fn chunks(&self) -> usize {
        self.replay.chunks()
    }

    /// How many messages the sender sent (what the naive reader should have seen).
    #[wasm_bindgen(getter, js_name = sentMessages)]
    pub fn sent_messages(&self) -> usize {
        self.message_lengths.len()
    }

    /// Where each chunk ends.
    #[wasm_bindgen(js_name = chunkEnds)]
    pub fn chunk_ends(&self) -> Vec<f64> {
        self.replay.chunk_ends().iter().map(|&e| e as f64).collect()
    }

    /// When each chunk was traced (seconds), for a trace; empty otherwise.
    pub fn times(&self) -> Vec<f64> {
        self.times.clone()
    }

    /// The decoder after `step` chunks: `{step, received, position, events, messages,
    /// waiting, error, ended, whole, merged, broken}` (the last three: the naive reader's
    /// verdicts so far).
    pub fn state(&self, step: usize) -> JsValue {
        let state = self.replay.state(step);
        let mut counts = [0u64; 3];
        for read in &self.naive[..state.step.min(self.naive.len())] {
            counts[read.verdict as usize] += 1;
        }
        let mut json = Json::new();
        json.open()
            .key("step")
            .num(state.step as u64)
            .key("received")
            .num(state.received)
            .key("position")
            .num(state.position)
            .key("events")
            .num(state.events as u64)
            .key("messages")
            .num(state.messages as u64)
            .key("waiting");
        waiting_view(&mut json, state.waiting);
        json.key("error");
        error_view(&mut json, state.error.as_ref());
        json.key("ended")
            .bool(state.ended)
            .key("whole")
            .num(counts[NaiveVerdict::Whole as usize])
            .key("merged")
            .num(counts[NaiveVerdict::Merged as usize])
            .key("broken")
            .num(counts[NaiveVerdict::Broken as usize])
            .close()
            .to_js()
    }

    /// Events `from..to`: `{index, kind, chunk, start, end, value}`, headers also with
    /// `header` (the object) and `raw` (its text). `value`: the header length of a
    /// `length`, the body length of a `header` or `end`, the length of a `body` piece.
    pub fn events(&self, from: usize, to: usize) -> JsValue {
        let events = self.replay.events();
        let to = to.min(events.len());
        let from = from.min(to);
        let mut json = Json::new();
        json.list();
        for (index, event) in (from..to).zip(&events[from..to]) {
            json.open()
                .key("index")
                .num(index as u64)
                .key("kind")
                .value(&event.kind)
                .key("chunk")
                .num(event.chunk.into())
                .key("start")
                .num(event.start)
                .key("end")
                .num(event.end)
                .key("value")
                .num(event.value);
            if event.kind == EventKind::Header {
                if let Some((header, raw)) = self.replay.header(index) {
                    json.key("header").value(&header).key("raw").str(raw);
                }
            }
            json.close();
        }
        json.end_list().to_js()
    }

    /// Complete frames `from..to`: `{index, start, end, header_start, body_start, chunk, raw,
    /// header, body_len, body_preview}` (`body_preview`: up to `preview` bytes as text).
    pub fn messages(&self, from: usize, to: usize, preview: usize) -> JsValue {
        let to = to.min(self.replay.message_count());
        let bytes = self.replay.bytes();
        let mut json = Json::new();
        json.list();
        for index in from.min(to)..to {
            let Some(message) = self.replay.message(index) else {
                break;
            };
            let body = &bytes[message.body.start as usize..message.body.end as usize];
            let header = &bytes[message.header.start as usize..message.header.end as usize];
            let raw = std::str::from_utf8(header).unwrap_or_default();
            json.open()
                .key("index")
                .num(index as u64)
                .key("start")
                .num(message.span.start)
                .key("end")
                .num(message.span.end)
                .key("header_start")
                .num(message.header.start)
                .key("body_start")
                .num(message.body.start)
                .key("chunk")
                .num(message.chunk.into())
                .key("raw")
                .str(raw)
                .key("header")
                .value(&serde_json::from_str(raw).unwrap_or(Value::Null))
                .key("body_len")
                .num(body.len() as u64)
                .key("body_preview")
                .str(&String::from_utf8_lossy(&body[..body.len().min(preview)]))
                .close();
        }
        json.end_list().to_js()
    }

    /// The role of each byte `start..end` after `step` chunks: 0 not arrived, 1 prefix,
    /// 2 header, 3 body, 4 bad (made the decoder fail), 5 unread (after a failure).
    pub fn roles(&self, step: usize, start: f64, end: f64) -> Vec<u8> {
        self.replay
            .roles(step, start as u64..end as u64)
            .into_iter()
            .map(|role| role as u8)
            .collect()
    }

    /// The stream's bytes `start..end`.
    pub fn bytes(&self, start: f64, end: f64) -> Vec<u8> {
        let bytes = self.replay.bytes();
        let end = (end as usize).min(bytes.len());
        bytes[(start as usize).min(end)..end].to_vec()
    }

    /// The naive reader's view of chunks `from..to`: `{start, end, verdict, first_message,
    /// messages}` each.
    pub fn naive(&self, from: usize, to: usize) -> JsValue {
        let to = to.min(self.naive.len());
        naive_view(&self.naive[from.min(to)..to])
    }

    /// Decodes the whole stream with core's `decode_tally` in reads of `read_len` bytes,
    /// for timing: `{frames, events, body_bytes}`.
    pub fn tally(&self, read_len: usize) -> Result<JsValue, JsValue> {
        let tally = decode_tally(self.replay.framing(), self.replay.bytes(), read_len)
            .map_err(|e| decode_error(&e))?;
        Ok(Json::new()
            .open()
            .key("frames")
            .num(tally.frames)
            .key("events")
            .num(tally.events)
            .key("body_bytes")
            .num(tally.body_bytes)
            .close()
            .to_js())
    }
}
