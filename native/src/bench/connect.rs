//! `seam bench-connect`: the cost of a new connection, with or without TLS: connect (and
//! the TLS handshake), hello and welcome, then one echo round trip, one connection after
//! another; latency percentiles as a JSON line.

use std::time::Instant;

use seam_core::messages::{Reply, Request};
use serde_json::json;

use super::BenchResult;
use crate::client::options::ClientOptions;
use crate::client::Session;

/// What `seam bench-connect` measures.
#[derive(Debug, Clone)]
pub struct ConnectOptions {
    /// Connections, one after another.
    pub connections: usize,
    /// Body bytes of the echo.
    pub size: usize,
    pub client: ClientOptions,
}

/// Opens the connections one by one and times each from connect to the echo's end.
pub fn connect(args: &ConnectOptions) -> BenchResult {
    if args.connections == 0 {
        return Err("--connections must be at least 1".into());
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let body = vec![b'x'; args.size];
    let mut micros = Vec::with_capacity(args.connections);
    for _ in 0..args.connections {
        let started = Instant::now();
        runtime.block_on(async {
            let mut session = Session::connect(&args.client)
                .await
                .map_err(|e| e.to_string())?;
            session
                .writer
                .send_frame(
                    &Request::Echo {
                        size: body.len() as u64,
                    },
                    &body,
                )
                .await
                .map_err(|e| e.to_string())?;
            session.writer.flush().await.map_err(|e| e.to_string())?;
            match session.reply().await.map_err(|e| e.to_string())? {
                Reply::Echo { size } if size == body.len() as u64 => {}
                other => return Err(format!("unexpected reply {other:?}")),
            }
            let mut echoed = 0;
            while let Some(piece) = session
                .reader
                .next_body_piece()
                .await
                .map_err(|e| e.to_string())?
            {
                echoed += piece.len();
            }
            if echoed != body.len() {
                return Err(format!("echo of {echoed} bytes, sent {}", body.len()));
            }
            session.close().await;
            Ok::<(), String>(())
        })?;
        micros.push(started.elapsed().as_secs_f64() * 1e6);
    }
    micros.sort_by(f64::total_cmp);
    let at = |q: f64| micros[((micros.len() - 1) as f64 * q).round() as usize];
    Ok(json!({
        "connections": args.connections,
        "tls": args.client.secure.enabled(),
        "p50_ms": at(0.5) / 1e3,
        "p99_ms": at(0.99) / 1e3,
        "max_ms": at(1.0) / 1e3,
    }))
}
