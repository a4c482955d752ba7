//! `seam check NAME ADDR`: plays a dialect's client side against a learner's server several
//! times, each time cutting the bytes differently, and says which cuts break it.
//!
//! It connects only to the address given, and every wait is bounded by `--timeout`.

mod cuts;
mod datagram;
mod play;
mod report;
mod stored;
mod workload;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use seam_core::dialect::Dialect;

use crate::exit::Exit;
use cuts::plan;
use play::Ctx;
use report::Verdict;

/// What `seam check` tests, where, and how.
#[derive(Debug, Clone)]
pub struct CheckOptions {
    /// The dialect the server under test speaks.
    pub dialect: Dialect,
    /// Its address (HOST:PORT); the check connects there and nowhere else.
    pub addr: String,
    /// The folder it stores uploads in (needed by the dialects that never reply).
    pub stored: Option<PathBuf>,
    /// Print the result as one JSON object.
    pub json: bool,
    /// The seed of the random cut (default: from the clock).
    pub seed: Option<u64>,
    /// Seconds to wait for a connection, each reply, or each stored file.
    pub timeout: f64,
    /// The command the command dialects send.
    pub command: String,
}

/// Runs the check and returns the exit code: 0 only when every cut passed.
pub fn run(args: &CheckOptions) -> ExitCode {
    let dialect = args.dialect;
    if !dialect.has_replies() {
        match &args.stored {
            None => {
                return usage(&format!(
                    "{dialect} never replies, so seam check can only see what your server stores: give --stored DIR, the folder it writes uploads to"
                ))
            }
            Some(dir) if !dir.is_dir() => {
                return usage(&format!("--stored {}: not a folder", dir.display()))
            }
            Some(_) => {}
        }
    }
    let seed = args.seed.unwrap_or_else(|| {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|t| t.as_nanos() as u64)
            .unwrap_or(1)
            % 1_000_000
    });
    if !args.json {
        println!(
            "seam check {dialect} {}: random cuts from seed {seed} (--seed {seed} replays them)",
            args.addr
        );
    }
    let mut ctx = Ctx {
        dialect,
        addr: args.addr.clone(),
        timeout: Duration::from_secs_f64(args.timeout),
        stored: args.stored.clone(),
        command: args.command.clone(),
        seed,
        reference: None,
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("the async runtime starts");
    let mut results = Vec::new();
    for cut in plan(dialect, seed) {
        let verdict = match cut.skip {
            Some(why) => Verdict::Skip(why.to_string()),
            None => {
                let played = if dialect.is_datagram() {
                    runtime
                        .block_on(datagram::play(&ctx, &cut))
                        .map_err(|e| e.to_string())
                } else {
                    runtime
                        .block_on(play::play(&mut ctx, &cut))
                        .map_err(|e| e.to_string())
                };
                match played {
                    Ok(verdict) => verdict,
                    // Nothing to check at all: say so once and stop.
                    Err(error) if results.iter().all(|(_, v)| matches!(v, Verdict::Skip(_))) => {
                        eprintln!("seam: {error}");
                        if args.json {
                            println!(
                                "{}",
                                serde_json::json!({"ok": false, "error": "connection", "message": error})
                            );
                        }
                        return ExitCode::from(Exit::Connection);
                    }
                    Err(error) => {
                        Verdict::Fail(format!("{error}: the server no longer accepts connections"))
                    }
                }
            }
        };
        if !args.json {
            println!("{}", report::line(&cut, &verdict));
        }
        results.push((cut, verdict));
    }
    if args.json {
        println!(
            "{}",
            report::to_json(dialect.as_str(), &args.addr, seed, &results)
        );
    } else {
        println!("{}", report::summary(&results));
    }
    if results.iter().any(|(_, v)| matches!(v, Verdict::Fail(_))) {
        ExitCode::from(Exit::Framing)
    } else {
        ExitCode::SUCCESS
    }
}

fn usage(message: &str) -> ExitCode {
    eprintln!("seam: {message}");
    ExitCode::from(Exit::Usage)
}
