//! Where a Seam server listens, and its clients connect, when no address is given.

/// The address a server listens on and clients connect to by default.
pub const DEFAULT_ADDRESS: &str = "127.0.0.1:8800";
