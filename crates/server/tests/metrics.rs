//! `/metrics` against the real server: the scrape is valid Prometheus text (every line parses), every
//! declared metric is described, and traffic moves the series it should by the amounts it should — HTTP
//! requests by matched route and status, WebSocket connections, messages and bytes, tick phases, frame
//! bytes, cache hits, database statements. Labels never carry raw paths or ids.
//!
//! The recorder is process-wide (several apps in one test binary share it), so tests compare two scrapes
//! and assert deltas, never absolute values.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use futures_util::SinkExt;
use protocol::v1::SUBPROTOCOL_JSON;
use reqwest::StatusCode;
use tokio_tungstenite::tungstenite::Message;

use common::{TestApp, V1Client, hello, spawn_app};
use server::metrics::names;

// ---------------------------------------------------------------------------------------------------------
// A small parser of the Prometheus text format (version 0.0.4).

#[derive(Debug)]
struct Sample {
    name: String,
    labels: BTreeMap<String, String>,
    value: f64,
}

#[derive(Debug, Default)]
struct Scrape {
    samples: Vec<Sample>,
    /// Family name → type.
    types: HashMap<String, String>,
    helps: HashMap<String, String>,
}

impl Scrape {
    /// Parses `text`, panicking on the first line that is not valid exposition format.
    fn parse(text: &str) -> Self {
        let mut scrape = Self::default();
        for (n, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            if let Some(rest) = line.strip_prefix("# HELP ") {
                let (name, help) = rest
                    .split_once(' ')
                    .unwrap_or_else(|| bad(n, line, "HELP without text"));
                check_name(name).unwrap_or_else(|e| bad(n, line, &e));
                scrape.helps.insert(name.into(), help.into());
            } else if let Some(rest) = line.strip_prefix("# TYPE ") {
                let (name, kind) = rest
                    .split_once(' ')
                    .unwrap_or_else(|| bad(n, line, "TYPE without kind"));
                check_name(name).unwrap_or_else(|e| bad(n, line, &e));
                if !["counter", "gauge", "histogram", "summary", "untyped"].contains(&kind) {
                    bad(n, line, "unknown type");
                }
                if scrape.types.insert(name.into(), kind.into()).is_some() {
                    bad(n, line, "second TYPE line for one family");
                }
            } else if line.starts_with('#') {
                // Other comments are allowed by the format.
            } else {
                let sample = parse_sample(line).unwrap_or_else(|e| bad(n, line, &e));
                scrape.samples.push(sample);
            }
        }
        scrape
    }

    /// The sum of the samples named `name` whose labels include all of `labels`.
    fn value(&self, name: &str, labels: &[(&str, &str)]) -> f64 {
        self.samples
            .iter()
            .filter(|s| s.name == name)
            .filter(|s| {
                labels
                    .iter()
                    .all(|(k, v)| s.labels.get(*k).map(String::as_str) == Some(*v))
            })
            .map(|s| s.value)
            .sum()
    }

    /// Whether some sample named `name` has all of `labels`.
    fn has(&self, name: &str, labels: &[(&str, &str)]) -> bool {
        self.samples.iter().any(|s| {
            s.name == name
                && labels
                    .iter()
                    .all(|(k, v)| s.labels.get(*k).map(String::as_str) == Some(*v))
        })
    }

    /// Every value of label `key` on any sample.
    fn label_values(&self, key: &str) -> Vec<&str> {
        self.samples
            .iter()
            .filter_map(|s| s.labels.get(key).map(String::as_str))
            .collect()
    }
}

fn bad(n: usize, line: &str, why: &str) -> ! {
    panic!("line {}: {why}: {line:?}", n + 1)
}

fn check_name(name: &str) -> Result<(), String> {
    let mut chars = name.chars();
    let first_ok = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == ':');
    if first_ok && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':') {
        Ok(())
    } else {
        Err(format!("bad metric name {name:?}"))
    }
}

/// `name{k="v",...} value [timestamp]`.
fn parse_sample(line: &str) -> Result<Sample, String> {
    let name_end = line.find(['{', ' ']).ok_or("no value")?;
    let name = &line[..name_end];
    check_name(name)?;
    let mut labels = BTreeMap::new();
    let mut rest = &line[name_end..];
    if let Some(after) = rest.strip_prefix('{') {
        rest = after;
        loop {
            rest = rest.trim_start_matches(',');
            if let Some(after) = rest.strip_prefix('}') {
                rest = after;
                break;
            }
            let eq = rest.find("=\"").ok_or("label without =\"")?;
            let key = &rest[..eq];
            check_name(key)?;
            let mut value = String::new();
            let mut chars = rest[eq + 2..].char_indices();
            let end = loop {
                match chars.next().ok_or("unterminated label value")? {
                    (i, '"') => break i,
                    (_, '\\') => match chars.next().ok_or("dangling escape")?.1 {
                        'n' => value.push('\n'),
                        c @ ('\\' | '"') => value.push(c),
                        c => return Err(format!("bad escape \\{c}")),
                    },
                    (_, c) => value.push(c),
                }
            };
            if labels.insert(key.to_string(), value).is_some() {
                return Err(format!("label {key} twice"));
            }
            rest = &rest[eq + 2 + end + 1..];
        }
    }
    let mut fields = rest.split_whitespace();
    let raw = fields.next().ok_or("no value")?;
    let value = match raw {
        "+Inf" => f64::INFINITY,
        "-Inf" => f64::NEG_INFINITY,
        "NaN" => f64::NAN,
        v => v.parse().map_err(|_| format!("bad value {v:?}"))?,
    };
    if let Some(ts) = fields.next() {
        ts.parse::<i64>()
            .map_err(|_| format!("bad timestamp {ts:?}"))?;
    }
    if fields.next().is_some() {
        return Err("trailing fields".into());
    }
    Ok(Sample {
        name: name.to_string(),
        labels,
        value,
    })
}

#[test]
fn the_parser_reads_what_it_should_and_refuses_the_rest() {
    let s = Scrape::parse(
        "# HELP a_total Things.\n# TYPE a_total counter\na_total{k=\"x \\\"y\\\"\",j=\"\"} 3\n\nb 1.5e3 17\n",
    );
    assert_eq!(s.value("a_total", &[("k", "x \"y\"")]), 3.0);
    assert_eq!(s.value("b", &[]), 1500.0);
    for bad in ["a{k=\"v} 1", "a{k=v} 1", "1a 2", "a", "a 1 2 3", "a x"] {
        assert!(parse_sample(bad).is_err(), "{bad} parsed");
    }
}

// ---------------------------------------------------------------------------------------------------------
// Scraping.

async fn scrape_at(url: &str) -> Scrape {
    let r = reqwest::get(url).await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let content_type = r.headers()["content-type"].to_str().unwrap().to_string();
    assert!(
        content_type.starts_with("text/plain; version=0.0.4"),
        "{content_type}"
    );
    Scrape::parse(&r.text().await.unwrap())
}

async fn scrape(app: &TestApp) -> Scrape {
    scrape_at(&app.http("/metrics")).await
}

async fn get(app: &TestApp, path: &str) -> StatusCode {
    reqwest::get(app.http(path)).await.unwrap().status()
}

/// Scrapes until `done` holds (the series it waits for are updated by another task), at most 5 s.
async fn scrape_until(app: &TestApp, done: impl Fn(&Scrape) -> bool) -> Scrape {
    for _ in 0..100 {
        let s = scrape(app).await;
        if done(&s) {
            return s;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("metrics did not reach the expected values within 5 s");
}

const HTTP: &str = "cosmic_http_requests_total";
const HTTP_COUNT: &str = "cosmic_http_request_duration_seconds_count";
const TICK_COUNT: &str = "cosmic_tick_duration_seconds_count";

#[tokio::test]
async fn the_scrape_is_valid_text_and_describes_every_declared_metric() {
    let app = spawn_app(|_| {}).await;
    // The first scrape's own request is recorded after it renders: the second one shows HTTP series too.
    scrape(&app).await;
    let s = scrape(&app).await;
    for def in names::ALL {
        let kind = match def.kind {
            names::Kind::Counter => "counter",
            names::Kind::Gauge => "gauge",
            names::Kind::Histogram => "histogram",
        };
        assert_eq!(
            s.types.get(def.name).map(String::as_str),
            Some(kind),
            "{} has no TYPE {kind} line",
            def.name
        );
        assert!(s.helps.contains_key(def.name), "{} has no HELP", def.name);
        assert!(def.name.starts_with("cosmic_"), "{}", def.name);
        if def.kind == names::Kind::Counter {
            assert!(def.name.ends_with("_total"), "{}", def.name);
        }
    }
    // Every sample belongs to a declared family (histograms through their _bucket/_sum/_count).
    for sample in &s.samples {
        let family = ["_bucket", "_sum", "_count"]
            .iter()
            .find_map(|suffix| {
                sample
                    .name
                    .strip_suffix(suffix)
                    .filter(|base| s.types.get(*base).is_some_and(|t| t == "histogram"))
            })
            .unwrap_or(&sample.name);
        assert!(
            names::ALL.iter().any(|d| d.name == family),
            "undeclared series {}",
            sample.name
        );
    }
    assert_eq!(
        s.value(
            "cosmic_build_info",
            &[("version", env!("CARGO_PKG_VERSION"))]
        ),
        1.0
    );
    assert!(s.value("cosmic_process_start_time_seconds", &[]) > 1.6e9);
    assert!(s.has("cosmic_db_pool_connections", &[("state", "idle")]));
    assert!(s.has("cosmic_db_pool_connections", &[("state", "busy")]));
    // Pre-registered series exist at zero before anything happens to them.
    assert!(s.has(
        "cosmic_ws_connections_closed_total",
        &[("cause", "slow_consumer")]
    ));
    assert!(s.has("cosmic_cache_requests_total", &[("result", "error")]));
    // Histograms: cumulative buckets ending in +Inf, which equals the count.
    let buckets: Vec<_> = s
        .samples
        .iter()
        .filter(|x| x.name == "cosmic_tick_duration_seconds_bucket")
        .filter(|x| x.labels.get("phase").is_some_and(|p| p == "gravity"))
        .collect();
    assert!(buckets.len() > 5);
    assert!(buckets.windows(2).all(|w| w[0].value <= w[1].value));
    let inf = buckets.last().unwrap();
    assert_eq!(inf.labels["le"], "+Inf");
    assert_eq!(inf.value, s.value(TICK_COUNT, &[("phase", "gravity")]));
    app.stop().await;
}

#[tokio::test]
async fn http_requests_are_counted_by_matched_route_and_status_never_by_raw_path() {
    let app = spawn_app(|_| {}).await;
    let before = scrape(&app).await;
    for _ in 0..3 {
        assert_eq!(get(&app, "/api/leaderboard").await, StatusCode::OK);
    }
    assert_eq!(
        get(&app, "/api/no-such-route-987654").await,
        StatusCode::NOT_FOUND
    );
    // A path with an extension: extensionless ones are client routes the web client's fallback answers.
    assert_eq!(
        get(&app, "/nowhere/424242.txt").await,
        StatusCode::NOT_FOUND
    );
    let world_status = get(&app, "/api/worlds/31415926").await;
    let after = scrape(&app).await;

    let delta = |name: &str, labels: &[(&str, &str)]| {
        after.value(name, labels) - before.value(name, labels)
    };
    let leaderboard = [
        ("method", "GET"),
        ("route", "/api/leaderboard"),
        ("status", "200"),
    ];
    assert_eq!(delta(HTTP, &leaderboard), 3.0);
    assert_eq!(
        delta(
            HTTP_COUNT,
            &[("method", "GET"), ("route", "/api/leaderboard")]
        ),
        3.0
    );
    assert_eq!(
        delta(
            HTTP,
            &[("method", "GET"), ("route", "unmatched"), ("status", "404")]
        ),
        2.0
    );
    let status = world_status.as_u16().to_string();
    assert_eq!(
        delta(
            HTTP,
            &[("route", "/api/worlds/{id}"), ("status", status.as_str())]
        ),
        1.0
    );
    // The earlier scrape is counted under its route too.
    assert!(delta(HTTP, &[("route", "/metrics"), ("status", "200")]) >= 1.0);

    // The leaderboard reads two cached values (the world's summary, then the board): the first request
    // misses both, the next two hit both.
    let cache = "cosmic_cache_requests_total";
    assert_eq!(delta(cache, &[("result", "hit")]), 4.0);
    assert!(delta(cache, &[("result", "miss")]) >= 2.0);
    assert_eq!(delta(cache, &[("result", "error")]), 0.0);
    // Misses went to the database.
    assert!(
        delta(
            "cosmic_db_query_duration_seconds_count",
            &[("op", "worlds")]
        ) >= 1.0
    );

    // No raw path or id in any label.
    for value in after.label_values("route") {
        assert!(value == "unmatched" || value.starts_with('/'), "{value}");
    }
    for sample in &after.samples {
        for (key, value) in &sample.labels {
            for raw in ["987654", "424242", "31415926", "no-such-route", "nowhere"] {
                assert!(!value.contains(raw), "{}{{{key}={value:?}}}", sample.name);
            }
        }
    }
    app.stop().await;
}

#[tokio::test]
async fn websocket_traffic_ticks_and_frames_move_their_series() {
    let app = spawn_app(|_| {}).await;
    let before = scrape(&app).await;
    let (mut client, _welcome) = V1Client::join(&app, SUBPROTOCOL_JSON, hello(1)).await;
    for _ in 0..3 {
        client.next_frame().await;
    }
    let delta_of = |after: &Scrape, name: &str, labels: &[(&str, &str)]| {
        after.value(name, labels) - before.value(name, labels)
    };
    let open = |s: &Scrape| delta_of(s, "cosmic_ws_connections", &[]) == 1.0;
    let after = scrape_until(&app, open).await;
    let delta = |name: &str, labels: &[(&str, &str)]| delta_of(&after, name, labels);

    assert_eq!(
        delta(
            "cosmic_ws_connections_accepted_total",
            &[("protocol", "v1_json")]
        ),
        1.0
    );
    // In: at least the hello. Out: the welcome and three frames at least.
    let messages = "cosmic_ws_messages_total";
    assert!(delta(messages, &[("direction", "in")]) >= 1.0);
    assert!(delta(messages, &[("direction", "out")]) >= 4.0);
    let bytes = "cosmic_ws_bytes_total";
    assert!(delta(bytes, &[("direction", "in")]) >= 10.0);
    assert!(delta(bytes, &[("direction", "out")]) > delta(messages, &[("direction", "out")]));
    // The upgrade itself is an HTTP request on the matched route `/ws`.
    assert_eq!(delta(HTTP, &[("route", "/ws"), ("status", "101")]), 1.0);

    // Ticks ran (each phase once per tick) while the client received frames: the first frame it got
    // may be the one published before it joined, the other two came from new ticks.
    let ticks = delta(TICK_COUNT, &[("phase", "gravity")]);
    assert!(ticks >= 2.0, "{ticks}");
    for phase in sim::Phase::ALL
        .iter()
        .map(|p| p.name())
        .chain(["journal", "publish"])
    {
        assert!(delta(TICK_COUNT, &[("phase", phase)]) >= 2.0, "{phase}");
    }
    assert!(delta("cosmic_physics_interactions_total", &[]) > 0.0);
    assert!(after.value("cosmic_world_bodies", &[]) > 0.0);
    let frame = "cosmic_ws_frame_bytes_total";
    assert!(delta(frame, &[("stage", "raw")]) > 0.0);
    assert!(delta(frame, &[("stage", "compressed")]) > 0.0);
    // Joining stored a guest: the users part of the store ran statements.
    assert!(delta("cosmic_db_query_duration_seconds_count", &[("op", "users")]) >= 1.0);

    // A clean close from the client: the gauge goes back and the cause is counted.
    client.ws.send(Message::Close(None)).await.unwrap();
    let closed = |s: &Scrape| delta_of(s, "cosmic_ws_connections", &[]) == 0.0;
    let after = scrape_until(&app, closed).await;
    assert_eq!(
        delta_of(
            &after,
            "cosmic_ws_connections_closed_total",
            &[("cause", "client_closed")]
        ),
        1.0
    );
    app.stop().await;
}

#[tokio::test]
async fn metrics_listen_serves_only_metrics_on_its_own_port() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let app = spawn_app(|c| c.metrics_listen = Some(([127, 0, 0, 1], port).into())).await;
    let s = scrape_at(&format!("http://127.0.0.1:{port}/metrics")).await;
    assert_eq!(
        s.value(
            "cosmic_build_info",
            &[("version", env!("CARGO_PKG_VERSION"))]
        ),
        1.0
    );
    let other = reqwest::get(format!("http://127.0.0.1:{port}/api/leaderboard"))
        .await
        .unwrap();
    assert_eq!(other.status(), StatusCode::NOT_FOUND);
    // The main listener serves it too.
    scrape(&app).await;
    app.stop().await;
}
