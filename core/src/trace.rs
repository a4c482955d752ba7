//! The trace format: every chunk exactly as a socket read or write handled it, as JSON
//! lines, written by `seam ... --trace FILE` and replayed by the browser page.
//!
//! One line per chunk: `{"conn":1,"dir":"in","t":0.001234,"offset":0,"data":"FgAAAHsi..."}`
//! where `conn` numbers the connection (a server traces many; absent means 0), `dir` is `in`
//! (read from the socket) or `out` (written to it), `t` the seconds since the trace began,
//! `offset` the chunk's offset in that connection's stream in that direction and `data` its
//! bytes in standard base64.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde::{Deserialize, Serialize};
use thiserror::Error;

mod line;

/// Which way a traced chunk went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// Read from the socket.
    In,
    /// Written to the socket.
    Out,
}

/// One traced chunk.
#[derive(Debug, Clone, PartialEq)]
pub struct TraceChunk {
    /// The connection it belongs to.
    pub conn: u64,
    /// Which way it went.
    pub dir: Direction,
    /// Seconds since the trace began.
    pub t: f64,
    /// Offset of its first byte in that direction's stream.
    pub offset: u64,
    /// Its bytes.
    pub bytes: Vec<u8>,
}

/// A trace line as written; [`line::TraceLine`] reads it back.
#[derive(Serialize)]
struct TraceLine<'a> {
    conn: u64,
    dir: Direction,
    t: f64,
    offset: u64,
    data: &'a str,
}

/// Why a trace could not be read.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TraceError {
    /// A line is not a trace record.
    #[error("trace line {line}: {message}")]
    BadLine {
        /// 1-based line number.
        line: usize,
        /// What is wrong with it.
        message: String,
    },
    /// A chunk's offset does not follow the previous chunk in its direction.
    #[error(
        "trace line {line}: offset {offset} should be {expected} (a chunk is missing or repeated)"
    )]
    Gap {
        /// 1-based line number.
        line: usize,
        /// The offset found.
        offset: u64,
        /// The offset that follows the previous chunk.
        expected: u64,
    },
}

/// One trace line (with its newline) for a chunk.
pub fn trace_line(conn: u64, dir: Direction, t: f64, offset: u64, bytes: &[u8]) -> String {
    let data = STANDARD.encode(bytes);
    let line = TraceLine {
        conn,
        dir,
        t,
        offset,
        data: &data,
    };
    let mut text = serde_json::to_string(&line).expect("a trace line always serializes");
    text.push('\n');
    text
}

/// Reads a whole trace; blank lines are skipped, and the chunks of each connection and
/// direction must follow one another without gaps.
pub fn parse_trace(text: &str) -> Result<Vec<TraceChunk>, TraceError> {
    let mut chunks = Vec::new();
    // The next offset of each connection and direction, sorted (a map would add its code
    // to wasm builds).
    let mut next: Vec<((u64, Direction), u64)> = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let line_no = index + 1;
        if line.trim().is_empty() {
            continue;
        }
        let bad = |message: String| TraceError::BadLine {
            line: line_no,
            message,
        };
        let record = line::read_line(line).map_err(bad)?;
        let bytes = STANDARD
            .decode(record.data.as_bytes())
            .map_err(|e| bad(format!("data is not base64: {e}")))?;
        let key = (record.conn, record.dir);
        let at = match next.binary_search_by_key(&key, |&(key, _)| key) {
            Ok(at) => at,
            Err(at) => {
                next.insert(at, (key, 0));
                at
            }
        };
        let expected = &mut next[at].1;
        if record.offset != *expected {
            return Err(TraceError::Gap {
                line: line_no,
                offset: record.offset,
                expected: *expected,
            });
        }
        *expected += bytes.len() as u64;
        chunks.push(TraceChunk {
            conn: record.conn,
            dir: record.dir,
            t: record.t,
            offset: record.offset,
            bytes,
        });
    }
    Ok(chunks)
}

/// One connection's chunks in one direction, from a trace.
#[derive(Debug, Clone, PartialEq)]
pub struct TraceStream {
    /// The connection.
    pub conn: u64,
    /// The direction.
    pub dir: Direction,
    /// The bytes, all chunks one after the other.
    pub bytes: Vec<u8>,
    /// The length of each chunk, as the socket returned or took it.
    pub chunk_lengths: Vec<usize>,
    /// When each chunk was traced, in seconds since the trace began.
    pub times: Vec<f64>,
}

/// Groups a trace's chunks into one stream per connection and direction, ordered by
/// connection, reads (`in`) before writes (`out`).
pub fn trace_streams(chunks: &[TraceChunk]) -> Vec<TraceStream> {
    // Kept sorted as streams appear (a sort at the end would add a sort's code to wasm builds).
    let mut streams: Vec<TraceStream> = Vec::new();
    for chunk in chunks {
        let key = (chunk.conn, chunk.dir);
        let index = streams.partition_point(|s| (s.conn, s.dir) < key);
        if streams.get(index).is_none_or(|s| (s.conn, s.dir) != key) {
            streams.insert(
                index,
                TraceStream {
                    conn: chunk.conn,
                    dir: chunk.dir,
                    bytes: Vec::new(),
                    chunk_lengths: Vec::new(),
                    times: Vec::new(),
                },
            );
        }
        let stream = &mut streams[index];
        stream.bytes.extend_from_slice(&chunk.bytes);
        stream.chunk_lengths.push(chunk.bytes.len());
        stream.times.push(chunk.t);
    }
    streams
}
