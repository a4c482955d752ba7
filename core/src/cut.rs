//! How a network cuts a stream into the chunks that `recv()` returns: pure, seeded
//! functions, so a scenario means the same thing in tests, benchmarks and the browser page.
//!
//! Every cut turns the lengths of the sender's `send()` calls into the lengths of the
//! receiver's chunks; the chunks always cover the same bytes in the same order.

use std::fmt;
use std::str::FromStr;

use thiserror::Error;

/// A way of cutting a stream into received chunks. Sizes of 0 given in code count as 1
/// (the text forms refuse them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cut {
    /// One chunk per send (`sent`).
    AsSent,
    /// Whole sends coalesced into segments of up to `segment` bytes, as Nagle's algorithm
    /// does; a send larger than a segment fills whole segments (`merge:SEGMENT`).
    Merge {
        /// Largest segment in bytes.
        segment: usize,
    },
    /// Each send split into pieces of at most `mss` bytes, as segments of an MSS or MTU (`split:MSS`).
    Split {
        /// Largest piece in bytes.
        mss: usize,
    },
    /// The receiver reads the stream with `recv(n)` for each `n` in turn, cycling:
    /// `reads:1024`, or the tutorials' `reads:4,5` (`recv(4)` then `recv(5)`).
    Reads {
        /// The sizes of the reads, used in turn.
        sizes: Vec<usize>,
    },
    /// Random chunk lengths from 1 to `max`, reproducible from `seed` (`random:SEED[:MAX]`).
    Random {
        /// The seed of the generator.
        seed: u64,
        /// Largest chunk in bytes.
        max: usize,
    },
    /// One byte per chunk (`bytes`).
    Bytes,
}

/// The largest chunk of [`Cut::Random`] when the spec gives none.
pub const DEFAULT_RANDOM_MAX: usize = 64;

/// Why a cut spec could not be read.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("bad cut \"{spec}\": {reason} (expected sent, merge:N, split:N, reads:N[,N...], random:SEED[:MAX] or bytes, with N > 0)")]
pub struct CutSpecError {
    /// The spec as given.
    pub spec: String,
    /// What is wrong with it.
    pub reason: String,
}

impl Cut {
    /// The chunk lengths for a stream made of sends of the given lengths.
    pub fn chunk_lengths(&self, sends: &[usize]) -> Vec<usize> {
        self.chunks(sends).collect()
    }

    /// The chunk lengths, lazily; with `sends = &[usize::MAX]` this cuts an endless stream.
    pub fn chunks<'c>(&'c self, sends: &'c [usize]) -> Chunks<'c> {
        Chunks {
            cut: self,
            sends,
            next_send: 0,
            left_in_send: 0,
            left_in_stream: sends.iter().fold(0usize, |a, &b| a.saturating_add(b)),
            read_index: 0,
            rng: match self {
                Cut::Random { seed, .. } => SplitMix64(*seed),
                _ => SplitMix64(0),
            },
            segment_fill: 0,
        }
    }
}

/// The lazy chunk lengths of a [`Cut`] over a list of sends.
#[derive(Debug, Clone)]
pub struct Chunks<'c> {
    cut: &'c Cut,
    sends: &'c [usize],
    next_send: usize,
    left_in_send: usize,
    left_in_stream: usize,
    read_index: usize,
    rng: SplitMix64,
    segment_fill: usize,
}

impl Chunks<'_> {
    /// Moves to the next non-empty send; false when there is none.
    fn load_send(&mut self) -> bool {
        while self.left_in_send == 0 {
            let Some(&len) = self.sends.get(self.next_send) else {
                return false;
            };
            self.next_send += 1;
            self.left_in_send = len;
        }
        true
    }

    fn take_from_stream(&mut self, want: usize) -> Option<usize> {
        if self.left_in_stream == 0 {
            return None;
        }
        let n = want.max(1).min(self.left_in_stream);
        self.left_in_stream -= n;
        Some(n)
    }

    fn next_merged(&mut self, segment: usize) -> Option<usize> {
        let segment = segment.max(1);
        loop {
            if !self.load_send() {
                let fill = std::mem::take(&mut self.segment_fill);
                return (fill > 0).then_some(fill);
            }
            let space = segment - self.segment_fill;
            if self.left_in_send <= space {
                self.segment_fill += self.left_in_send;
                self.left_in_send = 0;
                continue;
            }
            if self.segment_fill > 0 {
                return Some(std::mem::take(&mut self.segment_fill));
            }
            self.left_in_send -= segment;
            return Some(segment);
        }
    }
}

impl Iterator for Chunks<'_> {
    type Item = usize;

    fn next(&mut self) -> Option<usize> {
        match self.cut {
            Cut::AsSent => {
                if !self.load_send() {
                    return None;
                }
                Some(std::mem::take(&mut self.left_in_send))
            }
            Cut::Split { mss } => {
                if !self.load_send() {
                    return None;
                }
                let n = self.left_in_send.min((*mss).max(1));
                self.left_in_send -= n;
                Some(n)
            }
            Cut::Merge { segment } => self.next_merged(*segment),
            Cut::Reads { sizes } => {
                let want = match sizes.as_slice() {
                    [] => 1,
                    sizes => sizes[self.read_index % sizes.len()],
                };
                self.read_index += 1;
                self.take_from_stream(want)
            }
            Cut::Random { max, .. } => {
                if self.left_in_stream == 0 {
                    return None;
                }
                let want = 1 + (self.rng.next() % (*max).max(1) as u64) as usize;
                self.take_from_stream(want)
            }
            Cut::Bytes => self.take_from_stream(1),
        }
    }
}

/// A small, fast, seeded generator (SplitMix64), identical on every platform.
#[derive(Debug, Clone)]
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

impl fmt::Display for Cut {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Cut::AsSent => f.write_str("sent"),
            Cut::Merge { segment } => write!(f, "merge:{segment}"),
            Cut::Split { mss } => write!(f, "split:{mss}"),
            Cut::Reads { sizes } => {
                f.write_str("reads:")?;
                for (i, size) in sizes.iter().enumerate() {
                    if i > 0 {
                        f.write_str(",")?;
                    }
                    write!(f, "{size}")?;
                }
                Ok(())
            }
            Cut::Random { seed, max } => write!(f, "random:{seed}:{max}"),
            Cut::Bytes => f.write_str("bytes"),
        }
    }
}

impl FromStr for Cut {
    type Err = CutSpecError;

    fn from_str(spec: &str) -> Result<Cut, CutSpecError> {
        let error = |reason: &str| CutSpecError {
            spec: spec.to_string(),
            reason: reason.to_string(),
        };
        let positive = |text: &str| -> Result<usize, CutSpecError> {
            match text.trim().parse::<usize>() {
                Ok(n) if n > 0 => Ok(n),
                _ => Err(error(&format!("\"{text}\" is not a size of at least 1"))),
            }
        };
        let (name, args) = match spec.split_once(':') {
            Some((name, args)) => (name.trim(), Some(args)),
            None => (spec.trim(), None),
        };
        match (name, args) {
            ("sent", None) => Ok(Cut::AsSent),
            ("bytes", None) => Ok(Cut::Bytes),
            ("merge", Some(n)) => Ok(Cut::Merge {
                segment: positive(n)?,
            }),
            ("split", Some(n)) => Ok(Cut::Split { mss: positive(n)? }),
            ("reads", Some(list)) => Ok(Cut::Reads {
                sizes: list.split(',').map(positive).collect::<Result<_, _>>()?,
            }),
            ("random", Some(args)) => {
                let (seed, max) = match args.split_once(':') {
                    Some((seed, max)) => (seed, positive(max)?),
                    None => (args, DEFAULT_RANDOM_MAX),
                };
                let seed = seed
                    .trim()
                    .parse::<u64>()
                    .map_err(|_| error(&format!("\"{seed}\" is not a seed (a whole number)")))?;
                Ok(Cut::Random { seed, max })
            }
            ("sent" | "bytes", Some(_)) => Err(error("this cut takes no argument")),
            ("merge" | "split" | "reads" | "random", None) => {
                Err(error("this cut needs an argument"))
            }
            _ => Err(error("unknown cut")),
        }
    }
}
