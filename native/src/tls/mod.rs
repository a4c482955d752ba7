//! TLS for `seam` connections: the server's certificate (generated once, or given), the
//! client's trust in it (pinned on first use, pinned explicitly, or verified against a CA),
//! and the one stream type, plain or TLS, that server connections and client sessions read
//! and write. rustls with the ring provider does the cryptography.

mod fingerprint;
pub mod known_servers;
pub mod server;
mod stream;
pub mod verify;

use std::sync::Arc;

use tokio_rustls::rustls::crypto::CryptoProvider;

pub use fingerprint::Fingerprint;
pub use stream::{transport, ReadHalf, Stream, WriteHalf};

/// The cryptography every TLS connection of `seam` uses: rustls' ring provider.
pub fn provider() -> Arc<CryptoProvider> {
    Arc::new(tokio_rustls::rustls::crypto::ring::default_provider())
}

/// Whether the first bytes of a stream are a TLS record header: a content type
/// (change_cipher_spec 20, alert 21, handshake 22, application data 23) and major version 3.
pub fn is_tls_record_start(bytes: &[u8]) -> bool {
    matches!(bytes, [20..=23, 3, ..])
}

/// Whether a frame decoding error at the stream's very start comes from reading a TLS record
/// as a Seam length prefix: its first two bytes (little-endian) are a record type and 3.
pub fn decode_error_is_tls(error: &seam_core::DecodeError) -> bool {
    match error {
        seam_core::DecodeError::HeaderLengthOverLimit { offset: 0, len, .. } => {
            is_tls_record_start(&len.to_le_bytes())
        }
        _ => false,
    }
}
