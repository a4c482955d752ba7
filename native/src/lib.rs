//! Seam's native shell around `seam-core`: the server, the client commands, `decode`,
//! `check` and the benchmark clients, each taking a plain option type of its own, so that
//! a program or a test can run any of them without the command line. The `seam` binary
//! parses its flags into these types and calls them.

pub mod address;
pub mod allocator;
mod atomic_file;
pub mod bench;
pub mod check;
pub mod client;
pub mod decode;
pub mod exit;
mod limits;
pub mod server;
pub mod tls;
mod traced;
mod transfer;
mod wire;
