//! The native side of the page's throughput figure: decodes the sample stream (the same
//! bytes the page's "large stream" builds) with the same loop (`decode_tally`, 64 KiB reads)
//! and prints the best of several runs as one JSON line.
//!
//! ```sh
//! cargo run --release -p seam-page-model --example native_throughput -- [FRAMES] [BYTES] [RUNS]
//! ```

use std::time::Instant;

use seam_core::Framing;
use seam_page_model::{decode_tally, sample_stream, SAMPLE_BYTES, SAMPLE_FRAMES, TALLY_READ_LEN};

fn main() {
    let mut args = std::env::args().skip(1).map(|a| a.parse::<usize>());
    let frames = args.next().and_then(Result::ok).unwrap_or(SAMPLE_FRAMES);
    let total = args.next().and_then(Result::ok).unwrap_or(SAMPLE_BYTES);
    let runs = args.next().and_then(Result::ok).unwrap_or(7).max(1);
    let sample = sample_stream(frames, total);
    let framing = Framing::default();
    let mut best = f64::INFINITY;
    let mut decoded = 0;
    for _ in 0..runs {
        let started = Instant::now();
        let tally =
            decode_tally(&framing, &sample.bytes, TALLY_READ_LEN).expect("the sample decodes");
        best = best.min(started.elapsed().as_secs_f64());
        decoded = tally.frames;
    }
    let mb_per_s = sample.bytes.len() as f64 / best / 1e6;
    println!(
        "{{\"bytes\":{},\"frames\":{decoded},\"seconds\":{best:.6},\"mb_per_s\":{mb_per_s:.1}}}",
        sample.bytes.len()
    );
}
