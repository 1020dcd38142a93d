//! The `cosmic` binary: parses the command line and hands off to the library; `cosmic bench` runs the
//! benchmark suites, which live here rather than in the library.

mod bench;

use clap::Parser;
use server::cli::{Cli, Command};

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Bench { suite, json, quick } => bench::run(suite, json, quick),
        _ => server::cli::run(cli),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            #[allow(clippy::print_stderr)]
            // CLI output: the error for the operator, with its context chain.
            {
                eprintln!("error: {e:#}");
            }
            std::process::ExitCode::FAILURE
        }
    }
}
