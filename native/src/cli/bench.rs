//! The hidden benchmark subcommands' flags, and the benchmark options they give.

use clap::Args;
use seam_native::address::DEFAULT_ADDRESS;
use seam_native::bench;

/// Flags of `seam bench-echo`.
#[derive(Debug, Args)]
pub struct EchoArgs {
    /// The server's address.
    #[arg(long, default_value = DEFAULT_ADDRESS)]
    pub server: String,
    /// Connections open at once.
    #[arg(long, default_value_t = 1)]
    pub connections: usize,
    /// Round trips on each connection.
    #[arg(long, default_value_t = 10_000)]
    pub round_trips: usize,
    /// Body bytes per echo.
    #[arg(long, default_value_t = 16)]
    pub size: usize,
}

/// Flags of `seam bench-chat`.
#[derive(Debug, Args)]
pub struct ChatArgs {
    /// The server's address.
    #[arg(long, default_value = DEFAULT_ADDRESS)]
    pub server: String,
    /// Members that only read and count.
    #[arg(long, default_value_t = 2)]
    pub receivers: usize,
    /// Lines the sender sends.
    #[arg(long, default_value_t = 500_000)]
    pub messages: u64,
    /// Characters per line.
    #[arg(long, default_value_t = 16)]
    pub text_size: usize,
    /// Most lines the sender keeps ahead of the slowest receiver.
    #[arg(long, default_value_t = 2048)]
    pub window: u64,
}

/// Flags of `seam bench-pingpong`.
#[derive(Debug, Args)]
pub struct PingpongArgs {
    /// Round trips.
    #[arg(long, default_value_t = 100_000)]
    pub round_trips: usize,
    /// Bytes per message.
    #[arg(long, default_value_t = 16)]
    pub size: usize,
    /// Only serve: echo on this address (printing it) until the client closes, so that
    /// server and client run in two processes, as `seam serve` and its client do.
    #[arg(long, value_name = "ADDR", conflicts_with = "connect")]
    pub serve: Option<String>,
    /// Only be the client of a `--serve` process at this address.
    #[arg(long, value_name = "ADDR")]
    pub connect: Option<String>,
    /// With `--serve`: echo with tokio (a task per connection, non-blocking sockets and
    /// epoll, as `seam serve` does) instead of a blocking thread: the floor of an async
    /// server, without any framing.
    #[arg(long, requires = "serve")]
    pub tokio: bool,
}

/// Flags of `seam bench-connect`.
#[derive(Debug, Args)]
pub struct ConnectArgs {
    /// Connections, one after another.
    #[arg(long, default_value_t = 200)]
    pub connections: usize,
    /// Body bytes of the echo.
    #[arg(long, default_value_t = 16)]
    pub size: usize,
    #[command(flatten)]
    pub client: super::ClientArgs,
}

impl From<EchoArgs> for bench::EchoOptions {
    fn from(args: EchoArgs) -> bench::EchoOptions {
        bench::EchoOptions {
            server: args.server,
            connections: args.connections,
            round_trips: args.round_trips,
            size: args.size,
        }
    }
}

impl From<ChatArgs> for bench::ChatOptions {
    fn from(args: ChatArgs) -> bench::ChatOptions {
        bench::ChatOptions {
            server: args.server,
            receivers: args.receivers,
            messages: args.messages,
            text_size: args.text_size,
            window: args.window,
        }
    }
}

impl From<PingpongArgs> for bench::PingpongOptions {
    fn from(args: PingpongArgs) -> bench::PingpongOptions {
        bench::PingpongOptions {
            round_trips: args.round_trips,
            size: args.size,
            serve: args.serve,
            connect: args.connect,
            tokio: args.tokio,
        }
    }
}

impl From<ConnectArgs> for bench::connect::ConnectOptions {
    fn from(args: ConnectArgs) -> bench::connect::ConnectOptions {
        bench::connect::ConnectOptions {
            connections: args.connections,
            size: args.size,
            client: args.client.into(),
        }
    }
}
