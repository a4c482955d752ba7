//! The browser page's model: everything the page shows that is not framing itself, in plain
//! Rust so that it is tested natively, and bound to JavaScript by `seam-wasm`.
//!
//! - **Scenarios** ([`Scenario`], [`SendSpec`], [`encode_sends`], [`preset`]): a sender's
//!   `send()` calls as header text and body, the presets and their prose, and how the
//!   network cuts the stream.
//! - **The time line** ([`Replay`]): a stream decoded chunk by chunk and recorded, so that
//!   any step can be shown without decoding again.
//! - **The naive reader** ([`naive_reads`]): what a receiver that takes one `recv()` for one
//!   message gets.
//! - **The sample stream** ([`sample_stream`], [`decode_tally`]): many frames, and the loop
//!   the page's throughput figure is measured with.
//!
//! The framing itself (decoder, encoder, cuts, trace format) is `seam-core`'s.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod naive;
mod replay;
mod sample;
mod scenario;

pub use naive::{naive_reads, NaiveRead, NaiveVerdict};
pub use replay::{
    EventKind, Replay, ReplayEvent, ReplayMessage, Role, StepState, TooManyChunks,
    MAX_REPLAY_CHUNKS,
};
pub use sample::{
    decode_tally, sample_stream, SampleStream, Tally, SAMPLE_BYTES, SAMPLE_FRAMES, TALLY_READ_LEN,
};
pub use scenario::{
    encode_sends, preset, BuiltScenario, EncodedSend, Scenario, ScenarioCut, SendError, SendMode,
    SendSpec, PRESETS,
};
