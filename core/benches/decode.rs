//! Decoding throughput: Seam against the natural way of reading this format with the standard
//! tools, measured in the same run on the same chunks.
//!
//! The baseline is tokio-util's `LengthDelimitedCodec` (little-endian, 4-byte length) for the
//! prefix and header, `serde_json` parsing the header into a `Value`, then the body read out of
//! the same `BytesMut` with `split_to` once the header's `"size"` bytes are there. It copies
//! every chunk into its `BytesMut`, as a read loop does; Seam is handed the chunks themselves.
//! Both sides read the header's `"op"` and `"size"`, count frames and sum body lengths.
//!
//! Scenarios:
//! - `small_64k`: one million frames (60-byte header, 64-byte body) read in 64 KiB chunks;
//! - `small_7b`: the same stream read in 7-byte chunks;
//! - `large_64k`: 1 GiB of 1 MiB-body frames read in 64 KiB chunks.
//!
//! Chunks come from [`Cut`], as in the tests and the browser page. After criterion has run,
//! a table compares the two sides (criterion's median estimates, and its fastest samples)
//! with the targets; it only reports, it never fails.
//!
//! Run: `cargo bench -p seam-core --bench decode` (filters such as `-- small_7b` work too).

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use bytes::BytesMut;
use criterion::{Criterion, SamplingMode, Throughput};
use seam_core::{Cut, Decoder, Encoder, Event};
use serde_json::{json, Value};
use tokio_util::codec::{Decoder as _, LengthDelimitedCodec};

/// Frames in the small-frame scenarios.
const SMALL_FRAMES: usize = 1_000_000;
/// Header length of a small frame, in bytes.
const SMALL_HEADER_LEN: usize = 60;
/// Body length of a small frame, in bytes.
const SMALL_BODY_LEN: usize = 64;
/// Body length of a large frame: 1 MiB.
const LARGE_BODY_LEN: usize = 1 << 20;
/// Frames in the large-frame scenario: 1 GiB of bodies.
const LARGE_FRAMES: usize = 1024;
/// A read of 64 KiB.
const READ_64K: usize = 64 * 1024;

/// A stream cut into chunks. The stream is a block of `period` bytes, once or repeated:
/// `src` holds the whole stream, or a repeated block twice over, so that every chunk (even
/// one across the join of two repetitions) is a contiguous slice of it.
struct Feed {
    src: Vec<u8>,
    period: usize,
    /// Chunk lengths, precomputed so that cutting costs nothing while measuring.
    lens: Vec<u32>,
    frames: usize,
    body_bytes: u64,
}

impl Feed {
    /// The whole stream `stream` of `frames` frames, cut by `cut`.
    fn whole(stream: Vec<u8>, frames: usize, body_bytes: u64, cut: &Cut) -> Feed {
        let lens = lengths(cut, &[stream.len()]);
        Feed {
            period: stream.len(),
            src: stream,
            lens,
            frames,
            body_bytes,
        }
    }

    /// The stream made of `frame` repeated `times` times, cut by `cut`.
    fn repeated(frame: &[u8], times: usize, body_len: usize, cut: &Cut) -> Feed {
        let lens = lengths(cut, &vec![frame.len(); times]);
        assert!(
            lens.iter().all(|&n| n as usize <= frame.len()),
            "chunks must be no longer than the repeated block"
        );
        Feed {
            src: [frame, frame].concat(),
            period: frame.len(),
            lens,
            frames: times,
            body_bytes: (body_len * times) as u64,
        }
    }

    /// Calls `f` with each chunk in turn.
    #[inline(always)]
    fn for_each_chunk(&self, mut f: impl FnMut(&[u8])) {
        let mut start = 0;
        for &n in &self.lens {
            let n = n as usize;
            f(&self.src[start..start + n]);
            start += n;
            if start >= self.period {
                start -= self.period;
            }
        }
    }
}

fn lengths(cut: &Cut, sends: &[usize]) -> Vec<u32> {
    cut.chunks(sends)
        .map(|n| u32::try_from(n).expect("chunk under 4 GiB"))
        .collect()
}

/// One frame with a header of at least `header_len` bytes (padded in its "text") and `body_len` body bytes.
fn frame(header_len: usize, body_len: usize) -> Vec<u8> {
    let encoder = Encoder::default();
    let mut text = String::from("hi there");
    loop {
        let header = json!({"op": "chat", "from": "alice", "text": text, "size": body_len});
        let mut head = Vec::new();
        encoder.encode_head(&header, &mut head).expect("encodable");
        let len = head.len() - seam_core::PREFIX_LEN;
        if len >= header_len {
            let body: Vec<u8> = (0..body_len).map(|i| (i % 251) as u8).collect();
            head.extend_from_slice(&body);
            return head;
        }
        text.push('!');
    }
}

/// What a decoder saw; compared between the two sides so that both did the whole job.
#[derive(Debug, Default, PartialEq, Eq)]
struct Tally {
    frames: usize,
    body_bytes: u64,
    op_bytes: usize,
    sizes: u64,
}

/// Reads the fields an application would look at, the same way on both sides.
#[inline(always)]
fn touch_header(header: &serde_json::Map<String, Value>, tally: &mut Tally) -> u64 {
    let op = black_box(header.get("op").and_then(Value::as_str)).map_or(0, str::len);
    let size = black_box(header.get("size").and_then(Value::as_u64)).expect("size");
    tally.op_bytes += op;
    tally.sizes += size;
    size
}

fn run_seam(feed: &Feed) -> Tally {
    let mut decoder = Decoder::default();
    let mut tally = Tally::default();
    feed.for_each_chunk(|chunk| {
        for event in decoder.feed(chunk) {
            match event.expect("valid stream") {
                Event::Length { .. } => {}
                Event::Header { header, .. } => {
                    touch_header(&header, &mut tally);
                }
                Event::BodyPiece { bytes, .. } => tally.body_bytes += black_box(bytes).len() as u64,
                Event::MessageEnd { .. } => tally.frames += 1,
            }
        }
    });
    decoder.finish().expect("stream ends on a frame boundary");
    tally
}

fn run_baseline(feed: &Feed) -> Tally {
    let mut codec = LengthDelimitedCodec::builder()
        .little_endian()
        .length_field_length(4)
        .max_frame_length(64 * 1024)
        .new_codec();
    let mut buf = BytesMut::new();
    let mut tally = Tally::default();
    // The body length of the frame whose header has been read, while its body is awaited.
    let mut body: Option<usize> = None;
    feed.for_each_chunk(|chunk| {
        buf.extend_from_slice(chunk);
        loop {
            match body {
                None => match codec.decode(&mut buf).expect("valid stream") {
                    Some(head) => {
                        let value: Value = serde_json::from_slice(&head).expect("JSON header");
                        let header = value.as_object().expect("object header");
                        let size = usize::try_from(touch_header(header, &mut tally)).unwrap();
                        buf.reserve(size.saturating_sub(buf.len()));
                        body = Some(size);
                    }
                    None => break,
                },
                Some(size) if buf.len() >= size => {
                    let bytes = buf.split_to(size);
                    tally.body_bytes += black_box(&bytes[..]).len() as u64;
                    tally.frames += 1;
                    body = None;
                }
                Some(_) => break,
            }
        }
    });
    assert!(
        buf.is_empty() && body.is_none(),
        "stream ends on a frame boundary"
    );
    tally
}

/// One scenario: its criterion group, what it counts and its target.
struct Scenario {
    group: &'static str,
    title: &'static str,
    unit: Unit,
    /// Frames (for `Unit::Frames`) or body bytes (for `Unit::Bytes`) per iteration.
    amount: f64,
    target: Target,
}

#[derive(Clone, Copy)]
enum Unit {
    Frames,
    Bytes,
}

#[derive(Clone, Copy)]
enum Target {
    /// Seam at least this many times the baseline.
    Ratio(f64),
    /// Seam at least this many bytes per second.
    Rate(f64),
}

fn bench_scenario(c: &mut Criterion, scenario: &Scenario, feed: &Feed, measure: Duration) {
    let expected = Tally {
        frames: feed.frames,
        body_bytes: feed.body_bytes,
        op_bytes: feed.frames * "chat".len(),
        sizes: feed.body_bytes,
    };
    assert_eq!(run_seam(feed), expected, "{}: Seam", scenario.group);
    assert_eq!(run_baseline(feed), expected, "{}: baseline", scenario.group);

    let mut group = c.benchmark_group(scenario.group);
    group
        .sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(measure)
        .throughput(match scenario.unit {
            Unit::Frames => Throughput::Elements(feed.frames as u64),
            Unit::Bytes => Throughput::Bytes(feed.body_bytes),
        });
    group.bench_function("seam", |b| b.iter(|| run_seam(black_box(feed))));
    group.bench_function("baseline", |b| b.iter(|| run_baseline(black_box(feed))));
    group.finish();
}

/// Where criterion writes its results: `$CRITERION_HOME`, else `criterion` in the target
/// directory this benchmark was built into (found from the executable's own path, which
/// follows `CARGO_TARGET_DIR`), else `$CARGO_TARGET_DIR/criterion` or the workspace's `target/criterion`.
fn criterion_dir() -> PathBuf {
    if let Some(home) = std::env::var_os("CRITERION_HOME") {
        return PathBuf::from(home);
    }
    // The executable is `<target>/<profile>/deps/decode-<hash>`.
    let from_exe = std::env::current_exe().ok().and_then(|exe| {
        let deps = exe.parent()?;
        if deps.file_name()? != "deps" {
            return None;
        }
        Some(deps.parent()?.parent()?.to_path_buf())
    });
    if let Some(target) = from_exe {
        return target.join("criterion");
    }
    if let Some(target) = std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from) {
        if target.is_absolute() {
            return target.join("criterion");
        }
    }
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("target")
        .join("criterion")
}

/// Criterion's `<group>/<function>/new/<file>`, parsed, if this run wrote it.
fn criterion_file(dir: &Path, id: (&str, &str), file: &str, since: SystemTime) -> Option<Value> {
    let path = dir.join(id.0).join(id.1).join("new").join(file);
    let fresh = std::fs::metadata(&path).ok()?.modified().ok()? >= since;
    if !fresh {
        return None;
    }
    serde_json::from_str(&std::fs::read_to_string(&path).ok()?).ok()
}

/// The median time of one iteration in nanoseconds (criterion's estimate), if measured in this run.
fn median_ns(dir: &Path, id: (&str, &str), since: SystemTime) -> Option<f64> {
    let estimates = criterion_file(dir, id, "estimates.json", since)?;
    estimates["median"]["point_estimate"]
        .as_f64()
        .filter(|ns| *ns > 0.0)
}

/// The time of one iteration in the fastest sample, in nanoseconds: the figure least
/// disturbed by other work on a busy machine.
fn fastest_ns(dir: &Path, id: (&str, &str), since: SystemTime) -> Option<f64> {
    let sample = criterion_file(dir, id, "sample.json", since)?;
    let (iters, times) = (sample["iters"].as_array()?, sample["times"].as_array()?);
    iters
        .iter()
        .zip(times)
        .filter_map(|(n, t)| Some(t.as_f64()? / n.as_f64()?))
        .filter(|ns| *ns > 0.0)
        .min_by(f64::total_cmp)
}

fn print_table(dir: &Path, scenarios: &[Scenario], since: SystemTime) {
    let rows: Vec<_> = scenarios
        .iter()
        .map(|s| {
            let rate = |how: fn(&Path, (&str, &str), SystemTime) -> Option<f64>, function| {
                how(dir, (s.group, function), since).map(|ns| s.amount / (ns * 1e-9))
            };
            let fastest = rate(fastest_ns, "seam").zip(rate(fastest_ns, "baseline"));
            (
                s,
                rate(median_ns, "seam"),
                rate(median_ns, "baseline"),
                fastest,
            )
        })
        .collect();
    if rows.iter().all(|row| row.1.is_none() && row.2.is_none()) {
        return; // test mode, a filter that matched nothing, or --discard-baseline
    }
    let show = |unit: Unit, rate: Option<f64>| match (unit, rate) {
        (_, None) => "not run".to_string(),
        (Unit::Frames, Some(r)) => format!("{:.3} M frames/s", r / 1e6),
        (Unit::Bytes, Some(r)) => format!("{:.2} GB/s", r / 1e9),
    };
    let times = |r: Option<f64>| r.map_or("-".to_string(), |r| format!("{r:.2}x"));
    println!();
    println!("Seam vs baseline (tokio-util LengthDelimitedCodec + serde_json::Value + BytesMut::split_to)");
    println!(
        "Medians of criterion's samples; \"fastest\" compares the fastest sample of each side."
    );
    println!(
        "{:<40} {:>18} {:>18} {:>8} {:>8} {:>12}  result",
        "scenario", "seam", "baseline", "ratio", "fastest", "target"
    );
    for (s, seam, base, fastest) in rows {
        let ratio = seam.zip(base).map(|(s, b)| s / b);
        let (target, pass) = match s.target {
            Target::Ratio(min) => (format!(">= {min:.1}x"), ratio.map(|r| r >= min)),
            Target::Rate(min) => (format!(">= {:.0} GB/s", min / 1e9), seam.map(|r| r >= min)),
        };
        println!(
            "{:<40} {:>18} {:>18} {:>8} {:>8} {:>12}  {}",
            s.title,
            show(s.unit, seam),
            show(s.unit, base),
            times(ratio),
            times(fastest.map(|(s, b)| s / b)),
            target,
            match pass {
                Some(true) => "PASS",
                Some(false) => "BELOW",
                None => "-",
            }
        );
    }
    println!("(GB = 10^9 bytes; criterion's lines above give GiB/s. The targets are reported, never enforced.)");
}

fn main() {
    // `cargo test --benches` (or `cargo bench -- --test`) runs each benchmark once as a check:
    // a small stream does for that.
    let args: Vec<String> = std::env::args().collect();
    let has = |flag: &str| args.iter().any(|arg| arg == flag);
    let check_only = !has("--bench") || has("--test");
    let (small_frames, large_frames) = if check_only {
        (1000, 4)
    } else {
        (SMALL_FRAMES, LARGE_FRAMES)
    };

    let started = SystemTime::now();
    let dir = criterion_dir();
    let mut c = Criterion::default()
        .output_directory(&dir)
        .configure_from_args();

    let scenarios = [
        Scenario {
            group: "small_64k",
            title: "(a) 1M small frames, 64 KiB reads",
            unit: Unit::Frames,
            amount: small_frames as f64,
            target: Target::Ratio(1.2),
        },
        Scenario {
            group: "small_7b",
            title: "(b) 1M small frames, 7-byte reads",
            unit: Unit::Frames,
            amount: small_frames as f64,
            target: Target::Ratio(1.0),
        },
        Scenario {
            group: "large_64k",
            title: "(c) 1 GiB of 1 MiB bodies, 64 KiB reads",
            unit: Unit::Bytes,
            amount: (LARGE_BODY_LEN * large_frames) as f64,
            target: Target::Rate(10e9),
        },
    ];

    let small = frame(SMALL_HEADER_LEN, SMALL_BODY_LEN);
    assert_eq!(
        small.len(),
        seam_core::PREFIX_LEN + SMALL_HEADER_LEN + SMALL_BODY_LEN
    );
    let stream = small.repeat(small_frames);
    let small_body = (SMALL_BODY_LEN * small_frames) as u64;
    let reads_64k = Cut::Reads {
        sizes: vec![READ_64K],
    };
    let reads_7 = Cut::Reads { sizes: vec![7] };

    let feed = Feed::whole(stream, small_frames, small_body, &reads_64k);
    bench_scenario(&mut c, &scenarios[0], &feed, Duration::from_secs(6));
    let feed = Feed::whole(feed.src, small_frames, small_body, &reads_7);
    bench_scenario(&mut c, &scenarios[1], &feed, Duration::from_secs(8));
    drop(feed);

    let large = frame(SMALL_HEADER_LEN, LARGE_BODY_LEN);
    let feed = Feed::repeated(&large, large_frames, LARGE_BODY_LEN, &reads_64k);
    bench_scenario(&mut c, &scenarios[2], &feed, Duration::from_secs(5));
    drop(feed);

    c.final_summary();
    print_table(&dir, &scenarios, started);
}
