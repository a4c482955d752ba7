//! Seam's sans-IO framing engine.
//!
//! # The contract
//!
//! A [`Decoder`] owns no socket, no clock and no thread: you hand it the bytes that a
//! `recv()` returned, in chunks of any size (empty ones too), with [`Decoder::feed`] or
//! [`Decoder::poll`], and drain the [`Event`]s it gives back until it yields nothing more;
//! it then needs more bytes, and [`Decoder::waiting`] says which and how many. Events come
//! out in stream order, each with its absolute [`Span`] in the stream: the 4-byte length
//! prefix, the parsed JSON header, body pieces (slices borrowed from your chunk, never
//! copied) and the message end. Any way of cutting the same stream gives the same events
//! once adjacent body pieces are merged. When the stream ends, call [`Decoder::finish`]: it
//! succeeds on a frame boundary and otherwise reports where the stream was cut and how many
//! bytes were missing. A length-prefixed stream cannot be resynchronised after garbage, so
//! the first [`DecodeError`] is final: every later call returns that same error. The
//! [`Encoder`] turns a header (and its body length) into bytes; large bodies are streamed by
//! the caller after the head.
//!
//! ```
//! use seam_core::{Decoder, Event, Framing};
//!
//! let mut decoder = Decoder::new(Framing::default());
//! let mut body = Vec::new();
//! // One frame, {"op":"echo","size":5} + "hello", cut where a network might cut it.
//! for chunk in [&b"\x16\x00\x00\x00{\"op\":\"echo\",\"si"[..], &b"ze\":5}hel"[..], &b"lo"[..]] {
//!     for event in decoder.feed(chunk) {
//!         match event? {
//!             Event::Header { header, body_len, .. } => {
//!                 assert_eq!(header["op"], "echo");
//!                 assert_eq!(body_len, 5);
//!             }
//!             Event::BodyPiece { bytes, .. } => body.extend_from_slice(bytes),
//!             Event::MessageEnd { span, .. } => assert_eq!((span.start, span.end), (0, 31)),
//!             Event::Length { header_len, .. } => assert_eq!(header_len, 22),
//!         }
//!     }
//! }
//! decoder.finish()?;
//! assert_eq!(body, b"hello");
//! # Ok::<(), seam_core::DecodeError>(())
//! ```
//!
//! # Wire format
//!
//! ```text
//!  0        4                        4+H                      4+H+B
//!  +--------+------------------------+------------------------+
//!  | H (u32)|  header: H bytes of    |  body: B bytes, where  |
//!  | LE     |  UTF-8 JSON object     |  B = header["size"]    |
//!  +--------+------------------------+------------------------+
//! ```
//!
//! The prefix is little-endian by default (what Python's `struct.pack('i', n)` writes on
//! common machines) or big-endian on request; which header fields give the body length is
//! configurable ([`Framing::size_fields`]).
//!
//! # What is here, by purpose
//!
//! - **Framing rules**: [`Framing`] (byte order, body-length fields, limits, with
//!   [`Framing::body_len`]), [`ByteOrder`], [`PREFIX_LEN`], [`DEFAULT_MAX_HEADER_LEN`],
//!   [`DEFAULT_MAX_BODY_LEN`], [`TUTORIAL_SIZE_FIELDS`], [`BodyLenError`]; a parsed
//!   [`Header`].
//! - **Decoding** (bytes in, events out): [`Decoder`] — input with [`Decoder::feed`] or
//!   [`Decoder::poll`], output as [`Event`]s with their [`Span`]s, state with
//!   [`Decoder::waiting`] ([`Waiting`], [`Part`]), end with [`Decoder::finish`]; errors are
//!   [`DecodeError`]s, each with its stream offset. [`EventRecord`] is an event's JSON form
//!   (what `seam decode` prints and the vectors list), [`coalesce_body_pieces`] merges
//!   adjacent body pieces so that any cut compares equal.
//! - **Encoding** (header in, bytes out): [`Encoder`] ([`Encoder::encode_head`] for a
//!   streamed body, [`Encoder::encode_frame`] for a whole frame), [`EncodeError`].
//! - **Datagrams** (one datagram, one whole frame): [`decode_datagram`], [`Datagram`].
//! - **Messages**: Seam's own requests and replies in [`messages`], tagged by `"op"`.
//! - **Names**: file names and chat names from the network, in [`names`].
//! - **The MD5 digest**: [`BodyDigest`] over body pieces, [`md5_hex`] in one go.
//! - **Cuts** (how a network cuts a stream into `recv()` chunks): [`Cut`], parsed from
//!   its spec (`merge:1460`, `reads:4,5`, ...; [`CutSpecError`]), giving [`Chunks`].
//! - **Traces** (every chunk a socket handled, as JSON lines): [`trace_line`] writes one,
//!   [`parse_trace`] reads them back ([`TraceChunk`], [`Direction`], [`TraceError`]),
//!   [`trace_streams`] groups them per connection and direction ([`TraceStream`]).
//! - **The tutorials' dialects**: the exact bytes each tutorial program sends, in
//!   [`dialect`].
//! - **Test vectors** (feature `vectors`): the shared vector runner, in `vectors`.
//! - **Test support** (feature `test-support`, on with `vectors`): decoding a stream in
//!   chunks with its body pieces merged, and header parsing without the fast path, for the
//!   tests and fuzz targets of every build, in `test_support`.
//!
//! The browser page's model (scenarios, the replay time line, the naive reader, the sample
//! stream) is not here: it is the `seam-page-model` crate, beside the page's binding.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod cut;
mod datagram;
mod decoder;
pub mod dialect;
mod digest;
mod encoder;
mod error;
mod event;
mod framing;
pub mod messages;
pub mod names;
#[cfg(feature = "test-support")]
pub mod test_support;
mod trace;
#[cfg(feature = "vectors")]
pub mod vectors;

// Framing rules.
pub use framing::{
    BodyLenError, ByteOrder, Framing, DEFAULT_MAX_BODY_LEN, DEFAULT_MAX_HEADER_LEN, PREFIX_LEN,
    TUTORIAL_SIZE_FIELDS,
};
// Decoding.
pub use decoder::{Decoder, Events, Waiting};
pub use error::{DecodeError, Part};
pub use event::{coalesce_body_pieces, Event, EventRecord, Span};
// Encoding.
pub use encoder::{EncodeError, Encoder};
// Datagrams.
pub use datagram::{decode_datagram, Datagram};
// The MD5 digest.
pub use digest::{md5_hex, BodyDigest};
// Cuts.
pub use cut::{Chunks, Cut, CutSpecError, DEFAULT_RANDOM_MAX};
// Traces.
pub use trace::{
    parse_trace, trace_line, trace_streams, Direction, TraceChunk, TraceError, TraceStream,
};

/// A parsed frame header: always a JSON object.
pub type Header = serde_json::Map<String, serde_json::Value>;
