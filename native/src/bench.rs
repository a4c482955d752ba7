//! Benchmark clients and baseline, as hidden subcommands of `seam` (so the server is driven
//! by compiled code, not measured through a Python client), each printing one JSON line.
//! `native/benches/echo.py` runs them; they are part of the tool and documented in
//! `native/README.md`.
//!
//! - `seam bench-echo --server ADDR --connections N --round-trips M`: N connections at once
//!   (all connected before any starts), each doing M echo round trips of `--size` bytes,
//!   one at a time; latency of each round trip; every reply checked.
//! - `seam bench-chat --server ADDR --receivers N --messages M`: one sender pipelines M chat
//!   lines (keeping at most `--window` of them ahead of the slowest receiver, so that none
//!   is disconnected for falling behind); N receivers count them.
//! - `seam bench-connect --server ADDR [--tls ...] --connections N`: N new connections one
//!   after another, each with its handshake, hello and one echo (`bench/connect.rs`;
//!   `native/benches/tls.py` runs it).
//! - `seam bench-pingpong --round-trips M`: the limit for one connection: a bare blocking
//!   socket ping-pong of `--size` bytes on loopback, no framing, no runtime.
//!
//! Every frame is encoded by `seam_core::Encoder` and decoded by `seam_core::Decoder`.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use seam_core::messages::{Reply, ReplyOp, Request};
use seam_core::{Decoder, Encoder, Event, Framing};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

pub mod connect;

/// What `seam bench-echo` measures.
#[derive(Debug, Clone)]
pub struct EchoOptions {
    /// The server's address.
    pub server: String,
    /// Connections open at once.
    pub connections: usize,
    /// Round trips on each connection.
    pub round_trips: usize,
    /// Body bytes per echo.
    pub size: usize,
}

/// What `seam bench-chat` measures.
#[derive(Debug, Clone)]
pub struct ChatOptions {
    /// The server's address.
    pub server: String,
    /// Members that only read and count.
    pub receivers: usize,
    /// Lines the sender sends.
    pub messages: u64,
    /// Characters per line.
    pub text_size: usize,
    /// Most lines the sender keeps ahead of the slowest receiver.
    pub window: u64,
}

/// What `seam bench-pingpong` measures.
#[derive(Debug, Clone)]
pub struct PingpongOptions {
    /// Round trips.
    pub round_trips: usize,
    /// Bytes per message.
    pub size: usize,
    /// Only serve: echo on this address (printing it) until the client closes, so that
    /// server and client run in two processes, as `seam serve` and its client do.
    pub serve: Option<String>,
    /// Only be the client of a `--serve` process at this address.
    pub connect: Option<String>,
    /// With `--serve`: echo with tokio (a task per connection, non-blocking sockets and
    /// epoll, as `seam serve` does) instead of a blocking thread: the floor of an async
    /// server, without any framing.
    pub tokio: bool,
}

type BenchResult = Result<Value, String>;

fn percentiles(mut nanos: Vec<u64>) -> (f64, f64, f64) {
    if nanos.is_empty() {
        return (f64::NAN, f64::NAN, f64::NAN);
    }
    nanos.sort_unstable();
    let at = |p: usize| nanos[(nanos.len() * p / 100).min(nanos.len() - 1)] as f64 / 1000.0;
    (at(50), at(99), *nanos.last().unwrap() as f64 / 1000.0)
}

/// Runs a benchmark and prints its JSON line; the exit code says whether it ran.
pub fn report(result: BenchResult) -> std::process::ExitCode {
    match result {
        Ok(value) => {
            println!("{value}");
            std::process::ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("seam: benchmark failed: {message}");
            std::process::ExitCode::from(crate::exit::Exit::Connection)
        }
    }
}

// --- echo ---------------------------------------------------------------------------------

/// Echo round trips over one or many connections.
pub fn echo(args: &EchoOptions) -> BenchResult {
    let fd_limit = crate::limits::raise_open_files_limit();
    let body: Vec<u8> = (0..args.size).map(|i| b'a' + (i % 26) as u8).collect();
    let request = Encoder::default()
        .frame(
            &Request::Echo {
                size: body.len() as u64,
            },
            &body,
        )
        .map_err(|e| e.to_string())?;
    let started;
    let mut latencies = Vec::new();
    let mut failures: Vec<String> = Vec::new();
    if args.connections <= 1 {
        let stream = TcpStream::connect(&args.server).map_err(|e| e.to_string())?;
        stream.set_nodelay(true).map_err(|e| e.to_string())?;
        let mut client = BlockingEcho::new(stream);
        latencies.reserve(args.round_trips);
        started = Instant::now();
        for _ in 0..args.round_trips {
            let t = Instant::now();
            client.round_trip(&request, &body)?;
            latencies.push(t.elapsed().as_nanos() as u64);
        }
    } else {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .map_err(|e| e.to_string())?;
        let (lat, fails, start) = runtime.block_on(echo_many(args, request, body));
        latencies = lat;
        failures = fails;
        started = start;
    }
    let seconds = started.elapsed().as_secs_f64();
    let done = latencies.len();
    let (p50, p99, max) = percentiles(latencies);
    Ok(json!({
        "bench": "echo",
        "connections": args.connections,
        "round_trips_each": args.round_trips,
        "size": args.size,
        "completed": done,
        "failed_connections": failures.len(),
        "first_failure": failures.first(),
        "seconds": seconds,
        "rate": done as f64 / seconds,
        "p50_us": p50,
        "p99_us": p99,
        "max_us": max,
        "fd_limit": fd_limit,
    }))
}

/// The kind of reply a header holds, if its `op` names one.
fn reply_op(header: &seam_core::Header) -> Option<ReplyOp> {
    header.get("op")?.as_str()?.parse().ok()
}

/// Checks one event of an echo reply against the request's body (`got` counts the body
/// bytes seen so far); true once the whole, identical echo has arrived.
fn check_echo_event(
    event: Result<Event<'_>, seam_core::DecodeError>,
    body: &[u8],
    got: &mut usize,
) -> Result<bool, String> {
    match event.map_err(|e| e.to_string())? {
        Event::Header { header, .. } if reply_op(&header) != Some(ReplyOp::Echo) => {
            Err(format!("not an echo: {header:?}"))
        }
        Event::BodyPiece { bytes, .. } => {
            if body.get(*got..*got + bytes.len()) != Some(bytes) {
                return Err("the echo differs from the request".into());
            }
            *got += bytes.len();
            Ok(false)
        }
        Event::MessageEnd { .. } if *got == body.len() => Ok(true),
        Event::MessageEnd { .. } => Err("a short echo".into()),
        _ => Ok(false),
    }
}

/// A blocking echo client: one request out, one whole reply in, through the core's codec.
struct BlockingEcho {
    stream: TcpStream,
    decoder: Decoder,
    buf: Vec<u8>,
}

impl BlockingEcho {
    fn new(stream: TcpStream) -> Self {
        BlockingEcho {
            stream,
            decoder: Decoder::new(Framing::default()),
            buf: vec![0; 64 * 1024],
        }
    }

    fn round_trip(&mut self, request: &[u8], body: &[u8]) -> Result<(), String> {
        self.stream.write_all(request).map_err(|e| e.to_string())?;
        let mut got = 0usize;
        loop {
            let n = self.stream.read(&mut self.buf).map_err(|e| e.to_string())?;
            if n == 0 {
                return Err("the server closed the connection".into());
            }
            for event in self.decoder.feed(&self.buf[..n]) {
                if check_echo_event(event, body, &mut got)? {
                    return Ok(());
                }
            }
        }
    }
}

async fn echo_many(
    args: &EchoOptions,
    request: Vec<u8>,
    body: Vec<u8>,
) -> (Vec<u64>, Vec<String>, Instant) {
    let request: Arc<[u8]> = request.into();
    let body: Arc<[u8]> = body.into();
    let connected = Arc::new(tokio::sync::Barrier::new(args.connections + 1));
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..args.connections {
        let (server, request, body, connected) = (
            args.server.clone(),
            request.clone(),
            body.clone(),
            connected.clone(),
        );
        let round_trips = args.round_trips;
        tasks.spawn(async move {
            let stream = tokio::net::TcpStream::connect(&server).await;
            // Everyone waits until all are connected (or failed to), then they all start.
            connected.wait().await;
            let mut stream = stream.map_err(|e| format!("connect: {e}"))?;
            let _ = stream.set_nodelay(true);
            let mut decoder = Decoder::new(Framing::default());
            let mut buf = vec![0u8; 4096];
            let mut latencies = Vec::with_capacity(round_trips);
            for _ in 0..round_trips {
                let t = Instant::now();
                stream
                    .write_all(&request)
                    .await
                    .map_err(|e| e.to_string())?;
                let mut got = 0usize;
                'reply: loop {
                    let n = stream.read(&mut buf).await.map_err(|e| e.to_string())?;
                    if n == 0 {
                        return Err("the server closed the connection".to_string());
                    }
                    for event in decoder.feed(&buf[..n]) {
                        if check_echo_event(event, &body, &mut got)? {
                            break 'reply;
                        }
                    }
                }
                latencies.push(t.elapsed().as_nanos() as u64);
            }
            Ok::<_, String>(latencies)
        });
    }
    connected.wait().await;
    let started = Instant::now();
    let mut all = Vec::with_capacity(args.connections * args.round_trips);
    let mut failures = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        match joined {
            Ok(Ok(latencies)) => all.extend(latencies),
            Ok(Err(error)) => failures.push(error),
            Err(error) => failures.push(error.to_string()),
        }
    }
    (all, failures, started)
}

// --- chat ---------------------------------------------------------------------------------

const SENDER: &str = "bench-sender";

/// Connects and joins the chat; returns the stream and a decoder past our own join.
fn join(server: &str, name: &str) -> Result<(TcpStream, Decoder, Vec<u8>), String> {
    let mut stream = TcpStream::connect(server).map_err(|e| format!("connect: {e}"))?;
    stream.set_nodelay(true).map_err(|e| e.to_string())?;
    let frame = Encoder::default()
        .frame(&Request::ChatJoin { name: name.into() }, &[])
        .map_err(|e| e.to_string())?;
    stream.write_all(&frame).map_err(|e| e.to_string())?;
    let mut decoder = Decoder::new(Framing::default());
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        let n = stream.read(&mut buf).map_err(|e| e.to_string())?;
        if n == 0 {
            return Err(format!("{name}: the server closed the connection"));
        }
        let mut input = &buf[..n];
        while let Some(event) = decoder.poll(&mut input).map_err(|e| e.to_string())? {
            if let Event::Header { header, .. } = event {
                match Reply::from_header(&header) {
                    Ok(Reply::ChatJoined { name: joined }) if joined == name => {
                        let rest = input.to_vec();
                        // Drain the frame's end, then hand over what follows.
                        return Ok((stream, decoder, rest));
                    }
                    Ok(Reply::Error { message, .. }) => return Err(format!("{name}: {message}")),
                    _ => {}
                }
            }
        }
    }
}

/// Progress of each reader (receivers, then the sender's own echoes), for the sender's window.
struct Progress {
    counts: Vec<AtomicU64>,
    lock: Mutex<()>,
    moved: Condvar,
}

impl Progress {
    fn slowest(&self) -> u64 {
        self.counts
            .iter()
            .map(|c| c.load(Ordering::Acquire))
            .min()
            .unwrap_or(0)
    }
}

/// Reads chat lines from the sender until `total` have come, updating `progress.counts[slot]`.
fn count_lines(
    mut stream: TcpStream,
    mut decoder: Decoder,
    first: Vec<u8>,
    total: u64,
    progress: Arc<Progress>,
    slot: usize,
) -> Result<Instant, String> {
    let mut buf = vec![0u8; 256 * 1024];
    let mut count = 0u64;
    let mut pending = first;
    loop {
        for event in decoder.feed(&pending) {
            if let Event::Header { header, .. } = event.map_err(|e| e.to_string())? {
                match reply_op(&header) {
                    Some(ReplyOp::ChatLine)
                        if header.get("from").and_then(Value::as_str) == Some(SENDER) =>
                    {
                        count += 1
                    }
                    Some(ReplyOp::Error) => return Err(format!("reader {slot}: {header:?}")),
                    _ => {}
                }
            }
        }
        progress.counts[slot].store(count, Ordering::Release);
        {
            let _guard = progress.lock.lock().map_err(|_| "poisoned")?;
            progress.moved.notify_all();
        }
        if count >= total {
            return Ok(Instant::now());
        }
        let n = stream.read(&mut buf).map_err(|e| e.to_string())?;
        if n == 0 {
            return Err(format!(
                "reader {slot}: the server closed after {count} lines"
            ));
        }
        pending.clear();
        pending.extend_from_slice(&buf[..n]);
    }
}

/// Chat lines pipelined through the server.
pub fn chat(args: &ChatOptions) -> BenchResult {
    let total = args.messages;
    let readers = args.receivers + 1;
    let progress = Arc::new(Progress {
        counts: (0..readers).map(|_| AtomicU64::new(0)).collect(),
        lock: Mutex::new(()),
        moved: Condvar::new(),
    });
    let mut threads = Vec::new();
    for i in 0..args.receivers {
        let (stream, decoder, rest) = join(&args.server, &format!("bench-r{i}"))?;
        let progress = progress.clone();
        threads.push(std::thread::spawn(move || {
            count_lines(stream, decoder, rest, total, progress, i)
        }));
    }
    let (stream, decoder, rest) = join(&args.server, SENDER)?;
    let mut writer = stream.try_clone().map_err(|e| e.to_string())?;
    {
        let progress = progress.clone();
        let slot = args.receivers;
        threads.push(std::thread::spawn(move || {
            count_lines(stream, decoder, rest, total, progress, slot)
        }));
    }
    // Every line encoded before the clock starts: the sender only writes.
    let encoder = Encoder::default();
    let pad = "x".repeat(args.text_size.saturating_sub(8));
    let batch = 256u64;
    let mut frames: Vec<Vec<u8>> = Vec::new();
    let mut block = Vec::new();
    for i in 0..total {
        let text = format!("{:08}{pad}", i % 100_000_000);
        encoder
            .encode_frame(&Request::Chat { text }, &[], &mut block)
            .map_err(|e| e.to_string())?;
        if (i + 1) % batch == 0 || i + 1 == total {
            frames.push(std::mem::take(&mut block));
        }
    }
    let started = Instant::now();
    let mut sent = 0u64;
    for block in &frames {
        let lines = batch.min(total - sent);
        // Keep the sender at most a window ahead of the slowest reader.
        let mut guard = progress.lock.lock().map_err(|_| "poisoned")?;
        while sent + lines > progress.slowest() + args.window.max(batch) {
            guard = progress
                .moved
                .wait_timeout(guard, Duration::from_millis(5))
                .map_err(|_| "poisoned")?
                .0;
        }
        drop(guard);
        writer.write_all(block).map_err(|e| e.to_string())?;
        sent += lines;
    }
    let mut finished = Vec::new();
    for thread in threads {
        finished.push(thread.join().map_err(|_| "a reader panicked")??);
    }
    let _ = writer.shutdown(std::net::Shutdown::Write);
    let end = finished.into_iter().max().unwrap_or_else(Instant::now);
    let seconds = end.duration_since(started).as_secs_f64();
    Ok(json!({
        "bench": "chat",
        "receivers": args.receivers,
        "messages": total,
        "text_size": args.text_size,
        "window": args.window,
        "seconds": seconds,
        "rate": total as f64 / seconds,
        "deliveries_per_second": (total * readers as u64) as f64 / seconds,
    }))
}

// --- bare ping-pong -----------------------------------------------------------------------

/// The baseline: a blocking echo and a blocking client, `size` bytes each way, no framing
/// at all: in two threads of this process, or (with `--serve` and `--connect`) in two
/// processes.
pub fn pingpong(args: &PingpongOptions) -> BenchResult {
    let size = args.size.max(1);
    if let Some(addr) = &args.serve {
        let listener = TcpListener::bind(addr).map_err(|e| e.to_string())?;
        println!("{}", listener.local_addr().map_err(|e| e.to_string())?);
        std::io::stdout().flush().map_err(|e| e.to_string())?;
        if args.tokio {
            tokio_serve(listener).map_err(|e| e.to_string())?;
        } else {
            pingpong_serve(listener, size).map_err(|e| e.to_string())?;
        }
        return Ok(json!({"bench": "pingpong-server"}));
    }
    let (addr, server) = match &args.connect {
        Some(addr) => (addr.clone(), None),
        None => {
            let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
            let addr = listener.local_addr().map_err(|e| e.to_string())?;
            let server = std::thread::spawn(move || pingpong_serve(listener, size));
            (addr.to_string(), Some(server))
        }
    };
    let mut stream = TcpStream::connect(&addr).map_err(|e| e.to_string())?;
    stream.set_nodelay(true).map_err(|e| e.to_string())?;
    let message = vec![b'p'; size];
    let mut back = vec![0u8; size];
    let mut latencies = Vec::with_capacity(args.round_trips);
    let started = Instant::now();
    for _ in 0..args.round_trips {
        let t = Instant::now();
        stream.write_all(&message).map_err(|e| e.to_string())?;
        stream.read_exact(&mut back).map_err(|e| e.to_string())?;
        latencies.push(t.elapsed().as_nanos() as u64);
    }
    let seconds = started.elapsed().as_secs_f64();
    drop(stream);
    if let Some(server) = server {
        server
            .join()
            .map_err(|_| "the echo thread panicked")?
            .map_err(|e| e.to_string())?;
    }
    let (p50, p99, max) = percentiles(latencies);
    Ok(json!({
        "bench": "pingpong",
        "processes": if args.connect.is_some() { 2 } else { 1 },
        "round_trips": args.round_trips,
        "size": size,
        "seconds": seconds,
        "rate": args.round_trips as f64 / seconds,
        "p50_us": p50,
        "p99_us": p99,
        "max_us": max,
    }))
}

/// Echoes `size`-byte messages on the first connection until it closes.
fn pingpong_serve(listener: TcpListener, size: usize) -> std::io::Result<()> {
    let (mut stream, _) = listener.accept()?;
    stream.set_nodelay(true)?;
    let mut buf = vec![0u8; size];
    loop {
        if let Err(error) = stream.read_exact(&mut buf) {
            return match error.kind() {
                std::io::ErrorKind::UnexpectedEof => Ok(()),
                _ => Err(error),
            };
        }
        stream.write_all(&buf)?;
    }
}

/// Echoes whatever arrives, with tokio's multi-threaded runtime, on the first connection
/// until it closes; each read is bounded by a timeout, as `seam serve`'s are.
fn tokio_serve(listener: TcpListener) -> std::io::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        listener.set_nonblocking(true)?;
        let listener = tokio::net::TcpListener::from_std(listener)?;
        let (mut stream, _) = listener.accept().await?;
        stream.set_nodelay(true)?;
        tokio::spawn(async move {
            let mut buf = vec![0u8; 64 * 1024];
            loop {
                let read = tokio::time::timeout(Duration::from_secs(300), stream.read(&mut buf));
                match read.await {
                    Ok(Ok(n)) if n > 0 => stream.write_all(&buf[..n]).await?,
                    _ => return Ok::<(), std::io::Error>(()),
                }
            }
        })
        .await
        .map_err(std::io::Error::other)?
    })
}
