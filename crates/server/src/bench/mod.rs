//! `cosmic bench <suite>`: measurements of this build on this machine. Part of the `cosmic` binary, not
//! of the server library: the suites start the library like any user of it.
//!
//! Each suite prints human-readable progress to stderr and, with `--json`, one JSON object on the last line
//! of stdout with the keys its issue names plus `machine`. Benchmarks are not tests: nothing here asserts
//! a timing.

pub mod api;
pub mod codec;
pub mod gravity;
pub mod machine;
pub mod observability;
pub mod world;

use server::cli::Suite;

/// Runs one suite and prints its figures.
pub fn run(suite: Suite, json: bool, quick: bool) -> anyhow::Result<()> {
    let mut figures = match suite {
        Suite::Gravity => {
            let mut figures = gravity::run(quick)?;
            progress("world: one World::step of a 1,000-body world with 50 players");
            let ms = world::step_ms(1_000, 50, if quick { 20 } else { 200 });
            figures["world_1k_step_ms"] = serde_json::json!(ms);
            figures
        }
        Suite::Codec => codec::run(quick)?,
        Suite::Api => api::run(quick)?,
        Suite::Observability => observability::run(quick)?,
    };
    if let serde_json::Value::Object(map) = &mut figures {
        map.insert(
            "machine".into(),
            serde_json::to_value(machine::Machine::detect())?,
        );
    }
    print_figures(&figures, json)
}

#[allow(clippy::print_stdout)] // CLI output: the figures are this command's product.
fn print_figures(figures: &serde_json::Value, json: bool) -> anyhow::Result<()> {
    if json {
        println!("{}", serde_json::to_string(figures)?);
    } else {
        println!("{}", serde_json::to_string_pretty(figures)?);
    }
    Ok(())
}

/// Progress line on stderr, so `--json` keeps stdout's last line clean.
#[allow(clippy::print_stderr)]
pub fn progress(msg: impl std::fmt::Display) {
    eprintln!("[bench] {msg}");
}
