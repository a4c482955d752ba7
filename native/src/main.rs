//! `seam`: the command-line shell around `seam-core`.

mod allocator;
mod bench;
mod check;
mod cli;
mod client;
mod decode;
mod limits;
mod server;
mod tls;
mod traced;
mod transfer;
mod wire;

use std::process::ExitCode;

use clap::Parser;

use cli::{Cli, Command};

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Decode(args) => match decode::run(&args) {
            Ok(code) => code,
            Err(error) => {
                eprintln!("seam: {error:#}");
                ExitCode::from(cli::EXIT_IO)
            }
        },
        Command::Serve(args) => {
            allocator::keep_large_buffers_mapped();
            init_logs();
            match runtime().block_on(server::run(args)) {
                Ok(()) => ExitCode::SUCCESS,
                Err(error) => {
                    eprintln!("seam: {error:#}");
                    ExitCode::from(cli::EXIT_IO)
                }
            }
        }
        Command::Put(args) => match args.dialect {
            Some(dialect) => run_client(&args.client, client::dialect::upload::run(&args, dialect)),
            None => run_client(&args.client, client::put::run(&args)),
        },
        Command::Get(args) => run_client(&args.client, client::get::run(&args)),
        Command::Ls(args) => run_client(&args.client, client::list::ls(&args)),
        Command::Rm(args) => run_client(&args.client, client::list::rm(&args)),
        Command::Exec(args) => match args.dialect {
            Some(dialect) => {
                run_client(&args.client, client::dialect::command::run(&args, dialect))
            }
            None => match runtime().block_on(client::exec::run(&args)) {
                Ok(code) => ExitCode::from(code),
                Err(error) => client_outcome(args.client.json, Err(error)),
            },
        },
        Command::Send(args) => match args.dialect {
            Some(dialect) => run_client(&args.client, client::dialect::echo::run(&args, dialect)),
            None => run_client(&args.client, client::send::run(&args)),
        },
        Command::Chat(args) => run_client(&args.client, client::chat::run(&args)),
        Command::Check(args) => check::run(&args),
        Command::Udp(cli::UdpCommand::Send(args)) => match args.dialect {
            Some(dialect) => client_outcome(args.json, client::dialect::udp::send(&args, dialect)),
            None => client_outcome(args.json, client::udp::send(&args)),
        },
        Command::BenchEcho(args) => bench::report(bench::echo(&args)),
        Command::BenchChat(args) => bench::report(bench::chat(&args)),
        Command::BenchPingpong(args) => bench::report(bench::pingpong(&args)),
        Command::BenchConnect(args) => bench::report(bench::connect::connect(&args)),
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("the async runtime starts")
}

/// Logs to stderr; `RUST_LOG` (e.g. `seam=debug`) sets the detail, `info` by default.
fn init_logs() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
}

/// Runs a client command on a fresh runtime and turns its outcome into the exit code.
fn run_client(
    args: &cli::ClientArgs,
    job: impl std::future::Future<Output = Result<(), client::ClientError>>,
) -> ExitCode {
    client_outcome(args.json, runtime().block_on(job))
}

/// The exit code of a client command; a failure is said on stderr (and as a JSON line on
/// stdout with `--json`).
fn client_outcome<E: client::CommandError>(json: bool, outcome: Result<(), E>) -> ExitCode {
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            if json {
                println!("{}", error.to_json());
            }
            // Error messages quote the server's words: no escape sequence of its reaches
            // the terminal.
            let said = error.to_string();
            eprintln!("seam: {}", seam_core::messages::clean_text(&said));
            ExitCode::from(error.exit_code())
        }
    }
}
