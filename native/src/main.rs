//! `seam`: the command line around the `seam_native` library: parses the flags, builds each
//! command's options from them, runs it and turns its outcome into the exit code.

mod cli;

use std::process::ExitCode;

use clap::Parser;
use seam_native::exit::Exit;
use seam_native::{allocator, bench, check, client, decode, server};

use cli::{Cli, Command};

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Decode(args) => match decode::run(&args.into()) {
            Ok(code) => code,
            Err(error) => {
                eprintln!("seam: {error:#}");
                ExitCode::from(Exit::Io)
            }
        },
        Command::Serve(args) => {
            allocator::keep_large_buffers_mapped();
            init_logs();
            match runtime().block_on(server::run(args.into())) {
                Ok(()) => ExitCode::SUCCESS,
                Err(error) => {
                    eprintln!("seam: {error:#}");
                    ExitCode::from(Exit::Io)
                }
            }
        }
        Command::Put(args) => {
            let options: client::options::PutOptions = args.into();
            let json = options.client.json;
            match options.dialect {
                Some(dialect) => run_client(json, client::dialect::upload::run(&options, dialect)),
                None => run_client(json, client::put::run(&options)),
            }
        }
        Command::Get(args) => {
            let options: client::options::GetOptions = args.into();
            run_client(options.client.json, client::get::run(&options))
        }
        Command::Ls(args) => {
            let options: client::options::LsOptions = args.into();
            run_client(options.client.json, client::list::ls(&options))
        }
        Command::Rm(args) => {
            let options: client::options::RmOptions = args.into();
            run_client(options.client.json, client::list::rm(&options))
        }
        Command::Exec(args) => {
            let options: client::options::ExecOptions = args.into();
            let json = options.client.json;
            match options.dialect {
                Some(dialect) => run_client(json, client::dialect::command::run(&options, dialect)),
                None => match runtime().block_on(client::exec::run(&options)) {
                    Ok(code) => ExitCode::from(code),
                    Err(error) => client_outcome(json, Err(error)),
                },
            }
        }
        Command::Send(args) => {
            let options: client::options::SendOptions = args.into();
            let json = options.client.json;
            match options.dialect {
                Some(dialect) => run_client(json, client::dialect::echo::run(&options, dialect)),
                None => run_client(json, client::send::run(&options)),
            }
        }
        Command::Chat(args) => {
            let options: client::options::ChatOptions = args.into();
            run_client(options.client.json, client::chat::run(&options))
        }
        Command::Check(args) => check::run(&args.into()),
        Command::Udp(cli::UdpCommand::Send(args)) => {
            let options: client::options::UdpSendOptions = args.into();
            match options.dialect {
                Some(dialect) => {
                    client_outcome(options.json, client::dialect::udp::send(&options, dialect))
                }
                None => client_outcome(options.json, client::udp::send(&options)),
            }
        }
        Command::BenchEcho(args) => bench::report(bench::echo(&args.into())),
        Command::BenchChat(args) => bench::report(bench::chat(&args.into())),
        Command::BenchPingpong(args) => bench::report(bench::pingpong(&args.into())),
        Command::BenchConnect(args) => bench::report(bench::connect::connect(&args.into())),
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("the async runtime starts")
}

/// Logs to stderr; `RUST_LOG` (e.g. `debug`, or `seam_native::server=debug`) sets the detail, `info` by default.
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
    json: bool,
    job: impl std::future::Future<Output = Result<(), client::ClientError>>,
) -> ExitCode {
    client_outcome(json, runtime().block_on(job))
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
