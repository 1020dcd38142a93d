//! A config file (`cosmic.toml`, `--config`): any text is refused with an error naming what is wrong,
//! or read into a configuration that passes validation and prints as a report, never a panic. The
//! input is written to a file each time and read the way `cosmic serve` and `cosmic config check` read
//! it (layered on the defaults, validated, converted, production-checked).
#![no_main]

use std::path::PathBuf;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;

fn dir() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("cosmic-fuzz-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("a temporary directory");
        dir
    })
}

fuzz_target!(|data: &[u8]| {
    let path = dir().join("cosmic.toml");
    if std::fs::write(&path, data).is_err() {
        return;
    }
    let sources = server::config::Sources {
        cwd: dir().clone(),
        config_file: Some(path),
        ..Default::default()
    };
    let _ = server::config::check(&sources);
});
