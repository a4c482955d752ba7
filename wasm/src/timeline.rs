//! Timelines for JavaScript: a stream cut into chunks and decoded once by the page model's
//! `Replay`, shown at any step; and traces, whose streams become timelines.

use seam_core::{parse_trace, trace_streams, Cut, Framing, TraceStream};
use seam_page_model::{
    decode_tally, naive_reads, sample_stream, EncodedSend, EventKind, NaiveRead, NaiveVerdict,
    Replay, SendError, TALLY_READ_LEN,
};
use tsify::Ts;
use wasm_bindgen::prelude::*;

use crate::input::{FramingDef, ScenarioForm};
use crate::views::{
    decode_error, error, to_js, to_js_list, ErrorView, EventView, MessageView, NaiveView, SentView,
    StepView, TallyView, TraceStreamView, WaitingView,
};

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

    /// The streams, by connection, `in` before `out`.
    pub fn streams(&self) -> Result<Vec<Ts<TraceStreamView>>, JsValue> {
        to_js_list(self.streams.iter().map(stream_view))
    }

    /// A timeline replaying stream `index` in the chunks the socket really returned.
    pub fn timeline(
        &self,
        index: usize,
        options: Option<Ts<FramingDef>>,
    ) -> Result<Timeline, JsValue> {
        let stream = self
            .streams
            .get(index)
            .ok_or_else(|| error(format!("the trace has no stream #{index}")))?;
        Timeline::from_parts(
            crate::framing(options)?,
            stream.bytes.clone(),
            &stream.chunk_lengths,
            None,
        )
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
}

impl Timeline {
    /// A stream, the lengths of the chunks it arrives in, and optionally the lengths of the
    /// sender's messages (default: the frames the decoder finds).
    pub(crate) fn from_parts(
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
        })
    }
}

#[wasm_bindgen]
impl Timeline {
    /// A scenario (the page model's `Scenario`: `{framing, sends, cut, cuts}`) encoded and cut.
    /// Throws when the cut spec is bad; a send that cannot be encoded is left out and its
    /// error shown by [`Timeline::sends`].
    pub fn scenario(scenario: Ts<ScenarioForm>) -> Result<Timeline, JsValue> {
        let scenario = crate::input::scenario(scenario).map_err(error)?;
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

    /// For a scenario: each send encoded, or `{error}`.
    pub fn sends(&self) -> Result<Vec<Ts<SentView>>, JsValue> {
        to_js_list(self.sends.iter().map(SentView::of))
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

    /// The decoder after `step` chunks, with the naive reader's verdicts so far.
    pub fn state(&self, step: usize) -> Result<Ts<StepView>, JsValue> {
        to_js(&self.step_view(step))
    }

    /// Events `from..to`; a header's also with its text (`raw`).
    pub fn events(&self, from: usize, to: usize) -> Result<Vec<Ts<EventView>>, JsValue> {
        to_js_list(self.event_views(from, to))
    }

    /// Complete frames `from..to` (`body_preview`: up to `preview` bytes as text).
    pub fn messages(
        &self,
        from: usize,
        to: usize,
        preview: usize,
    ) -> Result<Vec<Ts<MessageView>>, JsValue> {
        to_js_list(self.message_views(from, to, preview))
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

    /// The naive reader's view of chunks `from..to`.
    pub fn naive(&self, from: usize, to: usize) -> Result<Vec<Ts<NaiveView>>, JsValue> {
        let to = to.min(self.naive.len());
        to_js_list(self.naive[from.min(to)..to].iter().map(NaiveView::of))
    }

    /// Decodes the whole stream with the model's `decode_tally` in 64 KiB reads
    /// (`TALLY_READ_LEN`, as the native measurement does), for timing.
    pub fn tally(&self) -> Result<Ts<TallyView>, JsValue> {
        let tally = decode_tally(self.replay.framing(), self.replay.bytes(), TALLY_READ_LEN)
            .map_err(|e| decode_error(&e))?;
        to_js(&TallyView {
            frames: tally.frames,
            events: tally.events,
            body_bytes: tally.body_bytes,
        })
    }
}

fn stream_view(s: &TraceStream) -> TraceStreamView {
    TraceStreamView {
        conn: s.conn,
        dir: s.dir,
        chunks: s.chunk_lengths.len(),
        bytes: s.bytes.len(),
        start_t: s.times.first().copied(),
        end_t: s.times.last().copied(),
    }
}

/// The views, built by plain Rust (tested natively).
impl Timeline {
    fn step_view(&self, step: usize) -> StepView {
        let state = self.replay.state(step);
        let mut counts = [0u64; 3];
        for read in &self.naive[..state.step.min(self.naive.len())] {
            counts[read.verdict as usize] += 1;
        }
        StepView {
            step: state.step,
            received: state.received,
            position: state.position,
            events: state.events,
            messages: state.messages,
            waiting: state.waiting.map(WaitingView::of),
            error: state.error.as_ref().map(ErrorView::of),
            ended: state.ended,
            whole: counts[NaiveVerdict::Whole as usize],
            merged: counts[NaiveVerdict::Merged as usize],
            broken: counts[NaiveVerdict::Broken as usize],
        }
    }

    fn event_views(&self, from: usize, to: usize) -> Vec<EventView> {
        let events = self.replay.events();
        let to = to.min(events.len());
        let from = from.min(to);
        (from..to)
            .zip(&events[from..to])
            .map(|(index, event)| EventView {
                index,
                kind: event.kind,
                chunk: event.chunk,
                start: event.start,
                end: event.end,
                value: event.value,
                raw: match event.kind {
                    EventKind::Header => self.replay.header(index).map(|(_, raw)| raw.to_string()),
                    _ => None,
                },
            })
            .collect()
    }

    fn message_views(&self, from: usize, to: usize, preview: usize) -> Vec<MessageView> {
        let to = to.min(self.replay.message_count());
        let bytes = self.replay.bytes();
        (from.min(to)..to)
            .map_while(|index| {
                let message = self.replay.message(index)?;
                let body = &bytes[message.body.start as usize..message.body.end as usize];
                let header = &bytes[message.header.start as usize..message.header.end as usize];
                Some(MessageView {
                    index,
                    start: message.span.start,
                    end: message.span.end,
                    header_start: message.header.start,
                    body_start: message.body.start,
                    chunk: message.chunk,
                    raw: String::from_utf8_lossy(header).into_owned(),
                    body_len: body.len() as u64,
                    body_preview: String::from_utf8_lossy(&body[..body.len().min(preview)])
                        .into_owned(),
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use seam_core::Part;

    /// `{"op":"echo","size":5}hello`, framed.
    fn echo() -> Vec<u8> {
        let mut bytes = vec![22, 0, 0, 0];
        bytes.extend_from_slice(br#"{"op":"echo","size":5}hello"#);
        bytes
    }

    fn timeline(chunks: &[usize]) -> Timeline {
        Timeline::from_parts(Framing::default(), echo(), chunks, None).unwrap()
    }

    #[test]
    fn a_step_shows_what_the_decoder_waits_for_and_the_naive_verdicts_so_far() {
        let timeline = timeline(&[2, 20, 4, 5]);
        let first = timeline.step_view(1);
        let waiting = first.waiting.unwrap();
        assert_eq!((waiting.part, waiting.missing), (Part::Length, 2));
        assert_eq!(waiting.text, "2 more bytes of the length prefix");
        assert_eq!((first.whole, first.merged, first.broken), (0, 0, 1));
        let last = timeline.step_view(4);
        assert_eq!((last.messages, last.position, last.ended), (1, 31, true));
        assert!(last.error.is_none());
    }

    #[test]
    fn a_header_event_carries_its_text_and_others_none() {
        let timeline = timeline(&[31]);
        let events = timeline.event_views(0, 10);
        let kinds: Vec<_> = events.iter().map(|e| e.kind).collect();
        assert_eq!(
            kinds,
            [
                EventKind::Length,
                EventKind::Header,
                EventKind::Body,
                EventKind::End
            ]
        );
        assert_eq!(events[1].raw.as_deref(), Some(r#"{"op":"echo","size":5}"#));
        assert!(events
            .iter()
            .filter(|e| e.kind != EventKind::Header)
            .all(|e| e.raw.is_none()));
    }

    #[test]
    fn a_message_shows_its_header_and_a_preview_of_its_body() {
        let timeline = timeline(&[10, 21]);
        let [message] = &timeline.message_views(0, 5, 3)[..] else {
            panic!("one message expected");
        };
        assert_eq!(
            (message.start, message.header_start, message.body_start),
            (0, 4, 26)
        );
        assert_eq!((message.chunk, message.body_len), (1, 5));
        assert_eq!(message.body_preview, "hel");
    }

    #[test]
    fn a_truncated_stream_ends_with_the_truncation_as_its_error() {
        let mut bytes = echo();
        bytes.truncate(29);
        let timeline = Timeline::from_parts(Framing::default(), bytes, &[29], None).unwrap();
        let error = timeline.step_view(1).error.unwrap();
        assert_eq!((error.kind, error.offset), ("truncated", 29));
    }

    #[test]
    fn a_trace_stream_is_summed_up_with_its_first_and_last_times() {
        let trace = "{\"conn\":1,\"dir\":\"in\",\"t\":0.5,\"offset\":0,\"data\":\"FgAAAA==\"}\n\
                     {\"conn\":1,\"dir\":\"in\",\"t\":0.75,\"offset\":4,\"data\":\"e30=\"}\n";
        let streams = trace_streams(&parse_trace(trace).unwrap());
        let view = serde_json::to_value(stream_view(&streams[0])).unwrap();
        assert_eq!(
            view,
            serde_json::json!({"conn": 1, "dir": "in", "chunks": 2, "bytes": 6,
                               "start_t": 0.5, "end_t": 0.75})
        );
    }
}
