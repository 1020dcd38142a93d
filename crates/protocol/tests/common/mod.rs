//! For the tests that generate files the web client reads (TypeScript types, golden frames): they are
//! committed, a test fails when one is stale, and `UPDATE_TS_TYPES=1` rewrites them.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;

/// `rel` inside the repository's `web/` folder.
pub fn web_file(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../web")
        .join(rel)
}

/// Rewrites `path` with `want` when `UPDATE_TS_TYPES` is set; otherwise fails, naming `command`, when
/// the committed file differs.
pub fn check_generated(path: &std::path::Path, want: &str, command: &str) {
    if std::env::var_os("UPDATE_TS_TYPES").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, want).unwrap();
    }
    let have = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        have == want,
        "{} is stale: run `{command}` and commit it",
        path.display()
    );
}

/// A generated TypeScript file (for the typescript tests; fixtures.rs includes this module too): a header naming `crate_dir` and `command`, `export const <hash_name> =
/// "<hash>"`, then every declaration exported.
#[allow(dead_code)]
pub fn typescript(
    crate_dir: &str,
    command: &str,
    hash_name: &str,
    hash: &str,
    decls: &[String],
) -> String {
    let mut out = format!(
        "// Generated from {crate_dir} by `{command}`.\n\
         // Do not edit by hand: CI fails when this file differs from the Rust types.\n\n\
         export const {hash_name} = \"{hash}\";\n\n"
    );
    for d in decls {
        out.push_str("export ");
        out.push_str(d);
        out.push_str("\n\n");
    }
    out
}
