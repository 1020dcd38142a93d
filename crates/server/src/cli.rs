//! Command-line interface of `cosmic`: subcommands and their flags, dispatched to the library.

use clap::{Parser, Subcommand};

use crate::bench::Suite;

/// Cosmic Gardener server.
#[derive(Debug, Parser)]
#[command(name = "cosmic", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a benchmark suite on this machine and print its figures.
    Bench {
        /// Which suite to run.
        #[arg(value_enum)]
        suite: Suite,
        /// Print the figures as one JSON object on the last line (progress still goes to stderr).
        #[arg(long)]
        json: bool,
        /// Shorter runs with fewer repetitions: a smoke test of the suite, not figures to record.
        #[arg(long)]
        quick: bool,
    },
}

/// Runs the parsed command.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Bench { suite, json, quick } => crate::bench::run(suite, json, quick),
    }
}
