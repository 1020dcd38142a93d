//! The `cosmic` binary's command line: help, and clear errors for bad input.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;

fn cosmic() -> Command {
    Command::new(env!("CARGO_BIN_EXE_cosmic"))
}

#[test]
fn every_subcommand_has_help() {
    for args in [
        vec!["--help"],
        vec!["serve", "--help"],
        vec!["bench", "--help"],
        vec!["migrate", "--help"],
    ] {
        let out = cosmic().args(&args).output().unwrap();
        assert!(out.status.success(), "{args:?}");
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("Usage"),
            "{args:?}"
        );
    }
}

#[test]
fn a_bad_balance_file_is_refused_naming_the_key() {
    let dir = std::env::temp_dir().join(format!("cosmic-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("balance.toml");
    let text = sim::balance::DEFAULT_BALANCE_TOML.replace("radius = 50000.0", "radius = -1.0");
    std::fs::write(&path, text).unwrap();
    let out = cosmic()
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(dir.join("data"))
        .arg("--balance")
        .arg(&path)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("world.radius"), "{stderr}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn an_out_of_range_tick_rate_is_refused() {
    let out = cosmic()
        .args(["serve", "--tick-rate", "500"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("tick-rate"));
}

/// `cosmic migrate` creates the embedded database and can run again (idempotent).
#[test]
fn migrate_creates_the_database_and_is_idempotent() {
    let dir = tempfile::tempdir().unwrap();
    for _ in 0..2 {
        let out = cosmic()
            .args(["migrate", "--data-dir"])
            .arg(dir.path())
            .env_remove("DATABASE_URL")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(String::from_utf8_lossy(&out.stdout).contains("migrations applied"));
    }
    assert!(dir.path().join("cosmic.db").exists());
}

/// The production profile refuses the development JWT secret, naming the setting.
#[test]
fn production_refuses_the_default_secret() {
    let dir = tempfile::tempdir().unwrap();
    let out = cosmic()
        .args([
            "serve",
            "--production",
            "--no-swagger-ui",
            "--listen",
            "127.0.0.1:0",
            "--data-dir",
        ])
        .arg(dir.path())
        .env_remove("COSMIC_AUTH__JWT_SECRET")
        .env_remove("COSMIC_AUTH__JWT_SECRET_FILE")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("auth.jwt_secret"), "{err}");
}
