//! Layered configuration: defaults < file < environment < flags, errors naming key, source and what is
//! allowed, `_FILE` secrets, the production refusals and `cosmic config check` end to end.
//!
//! The library tests pass their own environment to `config::load`, never mutating the process's.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::Command;

use server::config::{self, ConfigError, Flag, Sources};

fn sources(dir: &Path, env: &[(&str, &str)], flags: Vec<Flag>) -> Sources {
    Sources {
        cwd: dir.to_path_buf(),
        config_file: None,
        profile: None,
        env: env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        flags,
    }
}

fn flag(flag: &'static str, key: &'static str, value: &str) -> Flag {
    Flag {
        flag,
        key,
        value: value.into(),
    }
}

fn load_err(s: &Sources) -> ConfigError {
    config::load(s).expect_err("the configuration should be refused")
}

#[test]
fn layers_apply_in_order_default_file_env_flag() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("cosmic.toml");
    std::fs::write(
        &file,
        "[server]\nlisten = \"127.0.0.1:1001\"\n[world]\nbodies = 10\nseed = 5\n",
    )
    .unwrap();
    let env = [
        ("COSMIC_SERVER__LISTEN", "127.0.0.1:1002"),
        ("COSMIC_WORLD__BODIES", "20"),
        ("UNRELATED", "x"),
    ];
    let flags = vec![flag("--listen", "server.listen", "127.0.0.1:1003")];
    let loaded = config::load(&sources(dir.path(), &env, flags)).unwrap();
    let s = &loaded.settings;
    assert_eq!(s.server.listen.port(), 1003);
    assert_eq!(s.world.bodies, 20);
    assert_eq!(s.world.seed, 5);
    assert_eq!(s.world.tick_rate_hz, 20);
    assert_eq!(loaded.origin("server.listen"), "flag --listen");
    assert_eq!(
        loaded.origin("world.bodies"),
        "environment variable COSMIC_WORLD__BODIES"
    );
    assert_eq!(
        loaded.origin("world.seed"),
        format!("file {}", file.display())
    );
    assert_eq!(loaded.origin("world.tick_rate_hz"), "default");
    let c = loaded.to_config().unwrap();
    assert_eq!(c.listen.port(), 1003);
    assert_eq!(c.world_bodies, 20);
    assert_eq!(c.world_seed, 5);
}

#[test]
fn the_web_client_keys_come_from_the_file_the_environment_and_the_flag() {
    let dir = tempfile::tempdir().unwrap();
    let c = config::load(&sources(dir.path(), &[], vec![]))
        .unwrap()
        .to_config()
        .unwrap();
    assert_eq!(c.web.dir, Path::new("web/dist"));
    assert!(!c.web.hsts);

    std::fs::write(dir.path().join("cosmic.toml"), "[web]\nhsts = true\n").unwrap();
    let env = [("COSMIC_WEB__DIR", "/srv/cosmic/web")];
    let loaded = config::load(&sources(dir.path(), &env, vec![])).unwrap();
    assert_eq!(
        loaded.origin("web.dir"),
        "environment variable COSMIC_WEB__DIR"
    );
    let c = loaded.to_config().unwrap();
    assert_eq!(c.web.dir, Path::new("/srv/cosmic/web"));
    assert!(c.web.hsts);

    let flags = vec![flag("--web-dir", "web.dir", "build")];
    let loaded = config::load(&sources(dir.path(), &env, flags)).unwrap();
    assert_eq!(loaded.origin("web.dir"), "flag --web-dir");
    assert_eq!(loaded.to_config().unwrap().web.dir, Path::new("build"));
    let report = config::report(&loaded);
    assert!(report.contains("[web]\ndir = \"build\""), "{report}");

    let env = [("COSMIC_WEB__HSTS", "maybe")];
    let e = load_err(&sources(dir.path(), &env, vec![]));
    assert_eq!(e.key, "web.hsts");
    assert!(e.origin.contains("COSMIC_WEB__HSTS"), "{e}");
}

#[test]
fn the_profile_file_overrides_the_base_file_and_production_turns_checks_on() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("cosmic.toml"), "[world]\nbodies = 10\n").unwrap();
    std::fs::write(
        dir.path().join("cosmic.production.toml"),
        "[world]\nbodies = 30\n[api]\nswagger_ui = false\n",
    )
    .unwrap();
    let env = [("COSMIC_PROFILE", "production")];
    let loaded = config::load(&sources(dir.path(), &env, vec![])).unwrap();
    assert_eq!(loaded.settings.world.bodies, 30);
    assert!(loaded.settings.server.production);
    assert_eq!(loaded.origin("server.production"), "profile production");
    assert_eq!(loaded.files.len(), 2);
}

#[test]
fn a_bad_value_in_the_file_names_the_key_the_file_and_what_is_allowed() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("my.toml");
    std::fs::write(&file, "[server]\nlisten = \"nowhere\"\n").unwrap();
    let mut s = sources(dir.path(), &[], vec![]);
    s.config_file = Some("my.toml".into());
    let e = load_err(&s);
    assert_eq!(e.key, "server.listen");
    assert_eq!(e.origin, format!("file {}", file.display()));
    let text = e.to_string();
    assert!(text.contains("HOST:PORT"), "{text}");
    assert!(text.contains("my.toml"), "{text}");
}

#[test]
fn a_bad_environment_value_names_the_variable() {
    let dir = tempfile::tempdir().unwrap();
    let env = [("COSMIC_WORLD__TICK_RATE_HZ", "fast")];
    let e = load_err(&sources(dir.path(), &env, vec![]));
    assert_eq!(e.key, "world.tick_rate_hz");
    assert_eq!(e.origin, "environment variable COSMIC_WORLD__TICK_RATE_HZ");
    assert!(e.to_string().contains("1 to 60"), "{e}");

    let env = [("COSMIC_WORLD__TICK_RATE_HZ", "500")];
    let e = load_err(&sources(dir.path(), &env, vec![]));
    assert!(e.problem.contains("out of range"), "{e}");
    assert!(e.origin.contains("COSMIC_WORLD__TICK_RATE_HZ"), "{e}");

    let env = [("COSMIC_LOG__FORMAT", "xml")];
    let e = load_err(&sources(dir.path(), &env, vec![]));
    assert_eq!(e.key, "log.format");
    assert!(e.to_string().contains("text or json"), "{e}");
}

#[test]
fn unknown_keys_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("cosmic.toml");
    std::fs::write(&file, "[server]\nlisten = \"127.0.0.1:1\"\nlistn = 3\n").unwrap();
    let e = load_err(&sources(dir.path(), &[], vec![]));
    assert_eq!(e.key, "server.listn");
    assert_eq!(e.origin, format!("file {}", file.display()));
    assert!(e.problem.contains("unknown key"), "{e}");
    assert!(e.allowed.contains("listen"), "{e}");

    std::fs::remove_file(&file).unwrap();
    let env = [("COSMIC_SERVR__LISTEN", "127.0.0.1:1")];
    let e = load_err(&sources(dir.path(), &env, vec![]));
    assert_eq!(e.key, "servr");
    assert_eq!(e.origin, "environment variable COSMIC_SERVR__LISTEN");
}

#[test]
fn secrets_come_from_files_and_are_redacted_in_the_report() {
    let dir = tempfile::tempdir().unwrap();
    let jwt = dir.path().join("jwt");
    std::fs::write(&jwt, "  a-very-long-secret-read-from-a-file-0123456789\n").unwrap();
    let db = dir.path().join("db");
    std::fs::write(&db, "postgres://game:hunter2@db.internal/cosmic\n").unwrap();
    let env = [
        ("COSMIC_AUTH__JWT_SECRET_FILE", jwt.to_str().unwrap()),
        ("DATABASE_URL_FILE", db.to_str().unwrap()),
    ];
    let s = sources(dir.path(), &env, vec![]);
    let loaded = config::load(&s).unwrap();
    assert_eq!(
        loaded.settings.auth.jwt_secret,
        "a-very-long-secret-read-from-a-file-0123456789"
    );
    assert_eq!(
        loaded.settings.database.url.as_deref(),
        Some("postgres://game:hunter2@db.internal/cosmic")
    );
    let report = config::report(&loaded);
    assert!(!report.contains("a-very-long-secret"), "{report}");
    assert!(!report.contains("hunter2"), "{report}");
    assert!(report.contains("jwt_secret = \"***\""), "{report}");
    assert!(report.contains("game:***@db.internal"), "{report}");
    assert!(report.contains("COSMIC_AUTH__JWT_SECRET_FILE"), "{report}");
    assert!(!format!("{loaded:?}").contains("hunter2"));
}

#[test]
fn cosmic_database_url_overrides_the_conventional_database_url() {
    let dir = tempfile::tempdir().unwrap();
    let env = [
        ("DATABASE_URL", "sqlite:one.db"),
        ("COSMIC_DATABASE__URL", "sqlite:two.db"),
        ("REDIS_URL", "redis://cache:6379"),
    ];
    let loaded = config::load(&sources(dir.path(), &env, vec![])).unwrap();
    assert_eq!(
        loaded.settings.database.url.as_deref(),
        Some("sqlite:two.db")
    );
    assert_eq!(loaded.origin("redis.url"), "environment variable REDIS_URL");
}

#[test]
fn production_refuses_the_default_secret_with_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    let flags = vec![flag("--no-swagger-ui", "api.swagger_ui", "false")];
    let mut s = sources(dir.path(), &[], flags);
    s.profile = Some("production".into());
    let e = config::check(&s).expect_err("the default secret must be refused");
    assert_eq!(e.key, "auth.jwt_secret");
    assert_eq!(e.origin, "default");
    let text = e.to_string();
    assert!(text.contains("32 bytes"), "{text}");
    assert!(
        text.contains("production is on, set by profile production"),
        "{text}"
    );

    let env = [("COSMIC_AUTH__JWT_SECRET", "x".repeat(40))];
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let mut s = sources(dir.path(), &env, vec![]);
    s.profile = Some("production".into());
    let e = config::check(&s).expect_err("Swagger UI must be refused");
    assert_eq!(e.key, "api.swagger_ui");
}

#[test]
fn a_missing_config_file_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = sources(dir.path(), &[], vec![]);
    s.config_file = Some("nope.toml".into());
    let e = load_err(&s);
    assert_eq!(e.origin, "flag --config");
    assert!(e.problem.contains("nope.toml"), "{e}");
}

fn cosmic(dir: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_cosmic"));
    c.current_dir(dir);
    for var in [
        "DATABASE_URL",
        "REDIS_URL",
        "COSMIC_PROFILE",
        "COSMIC_CONFIG",
        "COSMIC_AUTH__JWT_SECRET",
        "COSMIC_AUTH__JWT_SECRET_FILE",
    ] {
        c.env_remove(var);
    }
    c
}

#[test]
fn config_check_prints_the_effective_configuration_with_sources() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("cosmic.toml"), "[world]\nseed = 7\n").unwrap();
    let out = cosmic(dir.path())
        .args(["config", "check", "--listen", "127.0.0.1:9009"])
        .env("COSMIC_WORLD__BODIES", "12")
        .env("COSMIC_AUTH__JWT_SECRET", "do-not-print-me")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let line = |prefix: &str| {
        stdout
            .lines()
            .find(|l| l.starts_with(prefix))
            .unwrap_or_else(|| panic!("no {prefix} in {stdout}"))
            .to_string()
    };
    assert!(line("listen = \"127.0.0.1:9009\"").ends_with("# flag --listen"));
    assert!(line("bodies = 12").ends_with("# environment variable COSMIC_WORLD__BODIES"));
    assert!(line("seed = 7").contains("cosmic.toml"));
    assert!(line("tick_rate_hz = 20").ends_with("# default"));
    assert!(!stdout.contains("do-not-print-me"), "{stdout}");
}

#[test]
fn config_check_fails_naming_the_key_and_the_variable() {
    let dir = tempfile::tempdir().unwrap();
    let out = cosmic(dir.path())
        .args(["config", "check"])
        .env("COSMIC_SERVER__LISTEN", "not-an-address")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("server.listen"), "{stderr}");
    assert!(stderr.contains("COSMIC_SERVER__LISTEN"), "{stderr}");
    assert!(stderr.contains("HOST:PORT"), "{stderr}");

    let out = cosmic(dir.path())
        .args(["config", "check", "--production"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("auth.jwt_secret"), "{stderr}");
}

#[test]
fn config_check_has_help_naming_config_and_profile() {
    let dir = tempfile::tempdir().unwrap();
    let out = cosmic(dir.path())
        .args(["config", "check", "--help"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let help = String::from_utf8_lossy(&out.stdout);
    for flag in ["--config", "--profile", "--log-format", "--metrics-listen"] {
        assert!(help.contains(flag), "{flag} in {help}");
    }
}

#[test]
fn cluster_mode_without_postgresql_and_redis_is_refused_naming_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let env = [("COSMIC_CLUSTER__ENABLED", "true")];
    let e = load_err(&sources(dir.path(), &env, vec![]));
    assert_eq!(e.key, "cluster.enabled");
    assert!(e.problem.contains("PostgreSQL"), "{e}");
    let env = [
        ("COSMIC_CLUSTER__ENABLED", "true"),
        ("DATABASE_URL", "postgres://localhost/x"),
        ("REDIS_URL", "redis://localhost"),
        ("COSMIC_CLUSTER__NODE_ID", "has spaces"),
    ];
    let e = load_err(&sources(dir.path(), &env, vec![]));
    assert_eq!(e.key, "cluster.node_id");
    let env = [("COSMIC_CLUSTER__LEASE_TTL_SECS", "1")];
    let e = load_err(&sources(dir.path(), &env, vec![]));
    assert_eq!(e.key, "cluster.lease_ttl_secs");
}
