//! Seam's end-to-end tests: the real `seam` binary over loopback, one module per subject,
//! compiled as one test binary (helpers in `common/`).
//!
//! Tests run in parallel, except the `heavy` group: a test that loads the whole machine
//! (thousands of sockets, hundreds of MiB) or measures memory or time is marked
//! `#[serial(heavy)]` and runs alone; every other test is marked `#[parallel(heavy)]`,
//! which lets it run beside any test but a heavy one (serial_test's rule: a test with
//! neither mark could run beside a heavy one).

mod common;

mod auth;
mod bad_input;
mod capture;
mod chat;
mod chat_limits;
mod check;
mod decode;
mod dialect_clients;
mod exec;
mod exec_endings;
mod faults;
mod hostile_server;
mod idle_memory;
mod in_process;
mod object_store;
mod stored_files;
mod tls;
mod transfers;
mod tutorial_bad_input;
mod tutorial_dialects;
mod tutorial_interop;
mod udp;
mod unicode_names;
mod web;
