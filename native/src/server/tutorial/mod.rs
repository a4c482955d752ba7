//! The tutorials' own programs: their uploads on the main listener ([`framed`]), and
//! `seam serve --tutorial NAME=ADDR`, one more listener per dialect that speaks only that
//! dialect (the rules of each are in `seam_core::dialect::server`). Every tutorial
//! listener shares the main server's root, limits, log, `--trace`, shutdown and
//! connection limit.

mod command;
mod echo;
mod framed;
mod listener;
mod startup;
mod stream;
mod udp;
mod uploads;

pub use framed::{is_tutorial_upload, receive_upload};
pub use listener::{bind, spawn};
pub use startup::check;
