//! `seam decode`: a captured stream in, one JSON line per framing event out.

use std::fs::File;
use std::io::{self, BufWriter, Read, Write};
use std::process::ExitCode;

use anyhow::Context;
use std::path::PathBuf;

use seam_core::{Cut, Decoder, EventRecord, Framing};
use serde_json::json;

use crate::exit::Exit;

mod pcap;

/// What `seam decode` reads and how.
#[derive(Debug, Clone)]
pub struct DecodeOptions {
    /// The stream to read: a file, or `-` for standard input.
    pub input: PathBuf,
    /// How the stream is cut into chunks before decoding.
    pub cut: Cut,
    /// A packet capture to read instead of `input`.
    pub pcap: Option<PathBuf>,
    /// With `pcap`: the streams to decode; none: list them.
    pub streams: Vec<StreamChoice>,
    /// With `pcap`: which direction of each stream to decode.
    pub direction: Direction,
    /// The framing rules.
    pub framing: Framing,
}

/// A stream chosen with `seam decode --pcap FILE --stream`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamChoice {
    /// Every stream.
    All,
    /// The stream with this number.
    Index(usize),
}

impl std::str::FromStr for StreamChoice {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        if s == "all" {
            return Ok(StreamChoice::All);
        }
        s.parse()
            .map(StreamChoice::Index)
            .map_err(|_| format!("`{s}` is neither a stream number nor `all`"))
    }
}

/// The directions of a captured stream `seam decode --pcap` decodes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// What the client sent.
    Client,
    /// What the server sent.
    Server,
    /// Both.
    Both,
}

/// The most bytes held in memory at once: a larger chunk is fed in pieces of this size.
const MAX_CHUNK: usize = 1 << 20;

/// Decodes the input as the flags say and prints the events; see [`DecodeOptions`].
pub fn run(args: &DecodeOptions) -> anyhow::Result<ExitCode> {
    if let Some(path) = &args.pcap {
        return pcap::run(path, args);
    }
    let mut input: Box<dyn Read> = if args.input.as_os_str() == "-" {
        Box::new(io::stdin().lock())
    } else {
        let file = File::open(&args.input)
            .with_context(|| format!("cannot open {}", args.input.display()))?;
        Box::new(file)
    };
    let mut out = BufWriter::new(io::stdout().lock());
    match decode(&mut input, args, &mut out) {
        Err(error) if is_broken_pipe(&error) => Ok(ExitCode::SUCCESS),
        Err(error) => Err(error),
        Ok(code) => match out.flush() {
            Err(error) if error.kind() == io::ErrorKind::BrokenPipe => Ok(ExitCode::SUCCESS),
            other => other
                .map(|()| code)
                .context("cannot write to standard output"),
        },
    }
}

fn decode(
    input: &mut dyn Read,
    args: &DecodeOptions,
    out: &mut dyn Write,
) -> anyhow::Result<ExitCode> {
    let mut decoder = Decoder::new(args.framing.clone());
    let mut buffer = vec![0u8; MAX_CHUNK];
    let endless = [usize::MAX];
    for chunk_len in args.cut.chunks(&endless) {
        let mut left = chunk_len;
        while left > 0 {
            let want = left.min(MAX_CHUNK);
            let got = read_full(input, &mut buffer[..want]).context("cannot read the stream")?;
            if got == 0 {
                return finish(&mut decoder, out);
            }
            left -= got;
            for event in decoder.feed(&buffer[..got]) {
                match event {
                    Ok(event) => write_line(out, &event.to_record())?,
                    Err(error) => return report(out, &error),
                }
            }
            if got < want {
                return finish(&mut decoder, out);
            }
        }
    }
    finish(&mut decoder, out)
}

fn finish(decoder: &mut Decoder, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    match decoder.finish() {
        Ok(()) => Ok(ExitCode::SUCCESS),
        Err(error) => report(out, &error),
    }
}

fn report(out: &mut dyn Write, error: &seam_core::DecodeError) -> anyhow::Result<ExitCode> {
    let line = json!({
        "kind": "error",
        "offset": error.offset(),
        "message": error.to_string(),
        "error": error,
    });
    writeln!(out, "{line}").context("cannot write to standard output")?;
    Ok(ExitCode::from(Exit::Framing))
}

fn write_line(out: &mut dyn Write, record: &EventRecord) -> anyhow::Result<()> {
    serde_json::to_writer(&mut *out, record).context("cannot write to standard output")?;
    out.write_all(b"\n")
        .context("cannot write to standard output")
}

/// Reads until `buf` is full or the input ends; returns how many bytes were read.
fn read_full(input: &mut dyn Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match input.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

pub(crate) fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error
        .chain()
        .filter_map(|cause| cause.downcast_ref::<io::Error>())
        .any(|e| e.kind() == io::ErrorKind::BrokenPipe)
}
