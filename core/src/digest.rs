//! Incremental MD5 over body pieces, for end-to-end checks of transfers.

use md5::{Digest, Md5};

/// An MD5 computed piece by piece as a body streams through.
#[derive(Debug, Clone, Default)]
pub struct BodyDigest {
    hasher: Md5,
    len: u64,
}

impl BodyDigest {
    /// A digest of nothing yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds the next piece of the body.
    pub fn update(&mut self, piece: &[u8]) {
        self.hasher.update(piece);
        self.len += piece.len() as u64;
    }

    /// How many bytes went in so far.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether no byte went in yet.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The MD5 of everything that went in, as 32 lowercase hex digits.
    pub fn finish_hex(self) -> String {
        to_hex(&self.hasher.finalize())
    }
}

/// The MD5 of `bytes` as 32 lowercase hex digits.
pub fn md5_hex(bytes: &[u8]) -> String {
    to_hex(&Md5::digest(bytes))
}

fn to_hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(DIGITS[usize::from(b >> 4)] as char);
        out.push(DIGITS[usize::from(b & 0xf)] as char);
    }
    out
}
