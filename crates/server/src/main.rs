//! The `cosmic` binary: parses the command line and hands off to the library. Nothing else lives here.

use clap::Parser;
use server::cli::Cli;

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    match server::cli::run(cli) {
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
