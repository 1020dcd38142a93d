//! The `cosmic` server as a library: everything `main.rs` starts lives here so tests can start it too.

pub mod bench;
pub mod cli;
