//! `seam serve --web ADDR`: serves the browser visualiser (the `web/` folder) over plain
//! HTTP/1.1 with hyper and tower-http's `ServeDir`: GET and HEAD, files inside that folder
//! only (no hidden ones), the right MIME types, `ETag`/`If-None-Match`, `Range`, and the
//! `.br`/`.gz` files `web/build.sh` writes, sent with `Content-Encoding` when accepted.

use std::convert::Infallible;
use std::path::PathBuf;
use std::time::Duration;

use http::header::{self, HeaderName, HeaderValue};
use http::{Request, Response, StatusCode};
use hyper::body::Bytes;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tower::ServiceExt;
use tower_http::body::UnsyncBoxBody;
use tower_http::services::ServeDir;
use tracing::{debug, warn};

/// How long a client may take to send a request's head.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// The longest one connection may last, however slowly its client reads.
const CONNECTION_LIMIT: Duration = Duration::from_secs(120);

/// The page's scripts, styles and wasm come from its own origin; `'wasm-unsafe-eval'` lets
/// it compile its WebAssembly and nothing else; `style` attributes (the UDP view's bar
/// widths) are allowed, `<style>` elements are not.
const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; \
     style-src 'self'; style-src-attr 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; object-src 'none'; \
     base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// The security headers every response carries.
const SECURITY_HEADERS: [(&str, &str); 5] = [
    ("content-security-policy", CONTENT_SECURITY_POLICY),
    ("x-content-type-options", "nosniff"),
    ("referrer-policy", "no-referrer"),
    ("cross-origin-opener-policy", "same-origin"),
    ("cross-origin-resource-policy", "same-origin"),
];

/// The body of every response: a file (or part of one) from `ServeDir`, or empty.
type Body = UnsyncBoxBody<Bytes, std::io::Error>;

/// Serves `dir` on `listener` until the task is dropped.
pub async fn serve(listener: TcpListener, dir: PathBuf) {
    let files = ServeDir::new(dir)
        .precompressed_br()
        .precompressed_gzip()
        .append_index_html_on_directories(true);
    loop {
        match listener.accept().await {
            Ok((stream, _)) => {
                let files = files.clone();
                let service =
                    hyper::service::service_fn(move |request| respond(files.clone(), request));
                tokio::spawn(async move {
                    let connection = http1::Builder::new()
                        .timer(TokioTimer::new())
                        .header_read_timeout(REQUEST_TIMEOUT)
                        .serve_connection(TokioIo::new(stream), service);
                    match tokio::time::timeout(CONNECTION_LIMIT, connection).await {
                        Ok(Ok(())) => {}
                        Ok(Err(error)) => debug!(%error, "web connection failed"),
                        Err(_) => debug!("web connection outlived its limit"),
                    }
                });
            }
            Err(error) => {
                warn!(%error, "web accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
}

/// One request: 404 for hidden names, else `ServeDir`'s answer; then the security headers
/// and `Cache-Control: no-cache` (revalidate with the `ETag` each time).
async fn respond(
    files: ServeDir,
    request: Request<Incoming>,
) -> Result<Response<Body>, Infallible> {
    let mut response = if names_hidden(request.uri().path()) {
        let mut response = Response::new(Body::default());
        *response.status_mut() = StatusCode::NOT_FOUND;
        response
    } else {
        files.oneshot(request).await?.map(Body::from)
    };
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    for (name, value) in SECURITY_HEADERS {
        headers.insert(
            HeaderName::from_static(name),
            HeaderValue::from_static(value),
        );
    }
    Ok(response)
}

/// Whether a request path names a hidden file or folder (a part starting with a dot, also
/// when percent-encoded); `ServeDir` itself refuses `..`.
fn names_hidden(path: &str) -> bool {
    path.split('/').any(|part| {
        let lower = part.to_ascii_lowercase();
        part.starts_with('.') || lower.starts_with("%2e")
    })
}
