//! `cosmic-loadgen`: thousands of WebSocket clients in one process against a cosmic server, for a bounded
//! time, reporting connects, throughput and latency histograms, with a JSON summary as the last stdout line.
//!
//! `main` only reads flags, raises the open-file limit, builds the runtime and prints; the run is in
//! [`run`], one client in [`client`], the wire in [`conn`], [`wire`] and [`head`], numbers in [`stats`] and [`summary`].

mod cli;
mod client;
mod conn;
mod head;
mod live;
mod run;
mod stats;
mod summary;
mod wire;

use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;

/// File descriptors kept free for everything that is not a client socket.
const SPARE_FDS: u64 = 64;

fn main() -> ExitCode {
    let args = cli::Args::parse();
    let nofile = rlimit::increase_nofile_limit(u64::MAX).unwrap_or(0);
    if nofile > 0 && (args.clients as u64).saturating_add(SPARE_FDS) > nofile {
        warn(&format!(
            "warning: open-file limit is {nofile}, below --clients {} + {SPARE_FDS}: expect connect failures (raise the hard limit with `ulimit -Hn`)",
            args.clients
        ));
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(args.threads as usize)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            warn(&format!("error: cannot start the runtime: {e}"));
            return ExitCode::FAILURE;
        }
    };
    let json = args.json;
    let outcome = match args.app {
        cli::App::Live => runtime
            .block_on(live::run(&args))
            .map(|s| live::print(&s, json)),
        cli::App::Garden => runtime
            .block_on(run::run(&args))
            .map(|s| summary::print(&s, json)),
    };
    runtime.shutdown_timeout(Duration::from_millis(200));
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            warn(&format!("error: {e:#}"));
            ExitCode::FAILURE
        }
    }
}

#[allow(clippy::print_stderr)] // CLI output
pub(crate) fn warn(message: &str) {
    eprintln!("{message}");
}
