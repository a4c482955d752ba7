//! `seam decode --pcap`: a packet capture in; its TCP streams listed, or decoded with each
//! event's segments. Reading is here; every rule (capture formats, reassembly, framing) is
//! seam-capture's and seam-core's.

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, BufWriter, Read, Write};
use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use seam_capture::{
    CaptureReader, Record, SegmentRef, SegmentedDecoder, SegmentedEvent, Side, StreamInfo, Tracker,
    Window, MAX_RECORD_LEN,
};
use serde_json::{json, Value};

use super::{DecodeOptions, Direction, StreamChoice};
use crate::exit::Exit;

/// Bytes read from the file at a time.
const READ_LEN: usize = 1 << 20;

/// Lists or decodes the capture at `path` as `args` say.
pub fn run(path: &Path, args: &DecodeOptions) -> anyhow::Result<ExitCode> {
    let file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let mut out = BufWriter::new(io::stdout().lock());
    let result = Session::new(args).run(file, &mut out);
    match result.and_then(|code| out.flush().map(|()| code).map_err(Into::into)) {
        Err(error) if super::is_broken_pipe(&error) => Ok(ExitCode::SUCCESS),
        other => other.context("cannot decode the capture"),
    }
}

/// One decoding direction: its decoder until it stops.
enum Lane {
    Decoding(SegmentedDecoder),
    Stopped,
}

struct Session<'a> {
    args: &'a DecodeOptions,
    tracker: Tracker,
    lanes: HashMap<(usize, Side), Lane>,
    failed: bool,
}

impl<'a> Session<'a> {
    fn new(args: &'a DecodeOptions) -> Session<'a> {
        Session {
            args,
            tracker: Tracker::new(Window::default()),
            lanes: HashMap::new(),
            failed: false,
        }
    }

    fn listing(&self) -> bool {
        self.args.streams.is_empty()
    }

    fn chosen(&self, stream: usize, side: Side) -> bool {
        let direction = match self.args.direction {
            Direction::Both => true,
            Direction::Client => side == Side::Client,
            Direction::Server => side == Side::Server,
        };
        direction
            && self.args.streams.iter().any(|choice| match choice {
                StreamChoice::All => true,
                StreamChoice::Index(i) => *i == stream,
            })
    }

    fn run(mut self, mut file: File, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
        let mut reader = CaptureReader::new();
        let mut buffer: Vec<u8> = Vec::with_capacity(MAX_RECORD_LEN + READ_LEN);
        let mut start = 0;
        let mut eof = false;
        loop {
            match reader.next(&buffer[start..])? {
                Record::Read { consumed, packet } => {
                    start += consumed;
                    if let Some(packet) = packet {
                        self.packet(&packet, out)?;
                    }
                }
                Record::NeedMore if eof => {
                    reader.finish(buffer.len() - start)?;
                    break;
                }
                Record::NeedMore => {
                    buffer.drain(..start);
                    start = 0;
                    let had = buffer.len();
                    buffer.resize(had + READ_LEN, 0);
                    let got = read_some(&mut file, &mut buffer[had..])
                        .context("cannot read the capture")?;
                    buffer.truncate(had + got);
                    eof = got == 0;
                }
            }
        }
        self.finish(out)
    }

    fn packet(
        &mut self,
        packet: &seam_capture::Packet<'_>,
        out: &mut dyn Write,
    ) -> anyhow::Result<()> {
        let Some(seen) = self.tracker.packet(packet)? else {
            return Ok(());
        };
        let (stream, side) = (seen.stream, seen.side);
        if self.listing() || !self.chosen(stream, side) {
            // Reassembly still runs, for the byte counts; nothing is decoded.
            while self.tracker.pop_ready(stream, side).is_some() {}
            return Ok(());
        }
        let lane = self
            .lanes
            .entry((stream, side))
            .or_insert_with(|| Lane::Decoding(SegmentedDecoder::new(self.args.framing.clone())));
        let Lane::Decoding(decoder) = lane else {
            while self.tracker.pop_ready(stream, side).is_some() {}
            return Ok(());
        };
        let mut pieces: Vec<(SegmentRef, Vec<u8>)> = Vec::new();
        let fresh = match &seen.accepted {
            Ok(_) => seen.fresh(),
            Err(error) => {
                let line = stop_line(stream, side, error.to_string(), json!(error));
                *lane = Lane::Stopped;
                self.failed = true;
                return write_value(out, &line);
            }
        };
        let mut failure = None;
        let mut emit = |event: SegmentedEvent| {
            if failure.is_none() {
                failure = write_event(out, stream, side, &event).err();
            }
        };
        let mut result = decoder.feed(fresh, seen.segment, &mut emit);
        while let Some(ready) = self.tracker.pop_ready(stream, side) {
            pieces.push((ready.segment, ready.bytes));
        }
        for (segment, bytes) in &pieces {
            if result.is_err() {
                break;
            }
            result = decoder.feed(bytes, *segment, &mut emit);
        }
        if let Some(error) = failure {
            return Err(error);
        }
        if let Err(error) = result {
            *lane = Lane::Stopped;
            self.failed = true;
            let line = stop_line(stream, side, error.to_string(), json!(error));
            write_value(out, &with_offset(line, error.offset()))?;
        }
        Ok(())
    }

    fn finish(mut self, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
        let infos: Vec<StreamInfo> = self.tracker.streams().map(|s| s.info.clone()).collect();
        if self.listing() {
            for info in &infos {
                let mut gaps = Vec::new();
                for side in Side::BOTH {
                    if let Err(error) = self.tracker.finish(info.index, side) {
                        gaps.push(json!({"direction": side.name(), "message": error.to_string()}));
                    }
                }
                write_value(out, &stream_line(info, gaps))?;
            }
            return Ok(ExitCode::SUCCESS);
        }
        for info in &infos {
            for side in Side::BOTH {
                if !self.chosen(info.index, side) {
                    continue;
                }
                let reassembled = self.tracker.finish(info.index, side);
                let lane = self.lanes.remove(&(info.index, side));
                let Some(Lane::Decoding(mut decoder)) = lane else {
                    continue;
                };
                let line = match reassembled {
                    Err(error) => {
                        Some(stop_line(info.index, side, error.to_string(), json!(error)))
                    }
                    Ok(()) => decoder.finish().err().map(|error| {
                        let line = stop_line(info.index, side, error.to_string(), json!(error));
                        with_offset(line, error.offset())
                    }),
                };
                if let Some(line) = line {
                    self.failed = true;
                    write_value(out, &line)?;
                }
            }
        }
        if self.args.streams.iter().any(|c| match c {
            StreamChoice::Index(i) => *i >= infos.len(),
            StreamChoice::All => false,
        }) {
            anyhow::bail!("the capture has {} TCP stream(s)", infos.len());
        }
        Ok(if self.failed {
            ExitCode::from(Exit::Framing)
        } else {
            ExitCode::SUCCESS
        })
    }
}

fn stream_line(info: &StreamInfo, gaps: Vec<Value>) -> Value {
    json!({
        "kind": "stream",
        "stream": info.index,
        "client": info.client.to_string(),
        "server": info.server.to_string(),
        "packets": info.packets,
        "bytes": {"client": info.bytes[0], "server": info.bytes[1]},
        "segments": {"client": info.segments[0], "server": info.segments[1]},
        "start_t": info.start_t,
        "end_t": info.end_t,
        "gaps": gaps,
    })
}

/// The last line of a direction that stopped: a framing error or missing bytes.
fn stop_line(stream: usize, side: Side, message: String, error: Value) -> Value {
    json!({
        "kind": "error",
        "stream": stream,
        "direction": side.name(),
        "message": message,
        "error": error,
    })
}

fn with_offset(mut line: Value, offset: u64) -> Value {
    line["offset"] = json!(offset);
    line
}

/// An event line: the event as `seam decode` prints it (kind first), then its segments,
/// stream and direction.
#[derive(serde::Serialize)]
struct EventLine<'a> {
    #[serde(flatten)]
    event: &'a SegmentedEvent,
    stream: usize,
    direction: &'static str,
}

fn write_event(
    out: &mut dyn Write,
    stream: usize,
    side: Side,
    event: &SegmentedEvent,
) -> anyhow::Result<()> {
    let line = EventLine {
        event,
        stream,
        direction: side.name(),
    };
    serde_json::to_writer(&mut *out, &line).context("cannot write to standard output")?;
    out.write_all(b"\n")
        .context("cannot write to standard output")
}

fn write_value(out: &mut dyn Write, line: &Value) -> anyhow::Result<()> {
    serde_json::to_writer(&mut *out, line).context("cannot write to standard output")?;
    out.write_all(b"\n")
        .context("cannot write to standard output")
}

fn read_some(file: &mut File, buf: &mut [u8]) -> io::Result<usize> {
    loop {
        match file.read(buf) {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            other => return other,
        }
    }
}
