//! The cache: the in-process backend's TTLs, invalidation and loading; the Redis backend against
//! `TEST_REDIS_URL`; and Redis faults (down at startup, killed mid-run, restarted) against a private
//! `redis-server` child process, directly and through the running API.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

/// Not a speed target (the 250 ms operation timeout is measured nowhere here): a call taking this long
/// means it waited on a dead or frozen Redis instead of giving up, i.e. it hung.
const HANG: Duration = Duration::from_secs(5);

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use common::{PrivateRedis, free_port};
use server::cache::{Cache, CacheConfig, CacheKind};

fn short_ttls(namespace: &str) -> CacheConfig {
    CacheConfig {
        player_state: Duration::from_millis(300),
        world_summary: Duration::from_millis(300),
        leaderboard: Duration::from_millis(300),
        user_profile: Duration::from_secs(60),
        preset: Duration::from_millis(300),
        max_entries: 1_000,
        namespace: namespace.into(),
    }
}

fn counts(cache: &Cache) -> (u64, u64, u64) {
    let s = cache.stats();
    (s.hits, s.misses, s.errors)
}

fn unique(prefix: &str) -> String {
    use rand::Rng;
    format!("{prefix}-{:016x}", rand::rng().random::<u64>())
}

// ---------------------------------------------------------------------------------------------------------
// In-process cache.

#[tokio::test]
async fn local_put_then_get_is_a_hit_and_unknown_keys_miss() {
    let cache = Cache::local(CacheConfig::default());
    cache.put(CacheKind::UserProfile, "7", &vec![1, 2, 3]).await;
    assert_eq!(
        cache.get::<Vec<i32>>(CacheKind::UserProfile, "7").await,
        Some(vec![1, 2, 3])
    );
    // Same key, other kind: a different entry.
    assert_eq!(
        cache.get::<Vec<i32>>(CacheKind::PlayerState, "7").await,
        None
    );
    let stats = cache.stats();
    assert_eq!((stats.hits, stats.misses, stats.errors), (1, 1, 0));
    assert_eq!(stats.backend, "local");
    assert!((stats.hit_ratio - 0.5).abs() < 1e-9);
}

#[tokio::test]
async fn local_entries_expire_after_their_kind_ttl() {
    let cache = Cache::local(short_ttls("ttl"));
    cache.put(CacheKind::Leaderboard, "w1", &"top").await;
    cache.put(CacheKind::UserProfile, "u1", &"me").await;
    assert_eq!(
        cache
            .get::<String>(CacheKind::Leaderboard, "w1")
            .await
            .as_deref(),
        Some("top")
    );
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert_eq!(
        cache.get::<String>(CacheKind::Leaderboard, "w1").await,
        None,
        "300 ms TTL passed"
    );
    assert_eq!(
        cache
            .get::<String>(CacheKind::UserProfile, "u1")
            .await
            .as_deref(),
        Some("me"),
        "60 s TTL"
    );
}

#[tokio::test]
async fn local_rewrite_restarts_the_ttl() {
    let cache = Cache::local(short_ttls("rewrite"));
    cache.put(CacheKind::WorldSummary, "1", &1).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    cache.put(CacheKind::WorldSummary, "1", &2).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(
        cache.get::<i32>(CacheKind::WorldSummary, "1").await,
        Some(2)
    );
}

#[tokio::test]
async fn local_invalidate_drops_the_value() {
    let cache = Cache::local(CacheConfig::default());
    cache.put(CacheKind::UserProfile, "9", &"old").await;
    cache.invalidate(CacheKind::UserProfile, "9").await;
    assert_eq!(cache.get::<String>(CacheKind::UserProfile, "9").await, None);
    // Invalidating what is not there is a no-op, not an error.
    cache.invalidate(CacheKind::UserProfile, "nothing").await;
    assert_eq!(counts(&cache), (0, 1, 0));
}

#[tokio::test]
async fn get_or_load_loads_once_then_serves_from_the_cache() {
    let cache = Cache::local(CacheConfig::default());
    let loads = AtomicU32::new(0);
    for _ in 0..5 {
        let v: Result<String, std::convert::Infallible> = cache
            .get_or_load(CacheKind::Leaderboard, "w1:total_dust:10", || async {
                loads.fetch_add(1, Ordering::SeqCst);
                Ok("board".to_string())
            })
            .await;
        assert_eq!(v.unwrap(), "board");
    }
    assert_eq!(loads.load(Ordering::SeqCst), 1);
    assert_eq!(counts(&cache), (4, 1, 0));
}

#[tokio::test]
async fn get_or_load_returns_the_load_error_and_caches_nothing() {
    let cache = Cache::local(CacheConfig::default());
    let failed: Result<i32, &str> = cache
        .get_or_load(CacheKind::WorldSummary, "1", || async { Err("db down") })
        .await;
    assert_eq!(failed, Err("db down"));
    let loaded: Result<i32, &str> = cache
        .get_or_load(CacheKind::WorldSummary, "1", || async { Ok(5) })
        .await;
    assert_eq!(loaded, Ok(5));
}

#[tokio::test]
async fn a_value_of_another_type_is_a_miss_and_an_error() {
    let cache = Cache::local(CacheConfig::default());
    cache.put(CacheKind::PlayerState, "1", &"text").await;
    assert_eq!(cache.get::<u64>(CacheKind::PlayerState, "1").await, None);
    assert_eq!(counts(&cache), (0, 1, 1));
}

#[tokio::test]
async fn disabled_and_zero_entry_caches_store_nothing() {
    let zero = Cache::local(CacheConfig {
        max_entries: 0,
        ..CacheConfig::default()
    });
    for cache in [Cache::disabled(), zero] {
        assert_eq!(cache.backend_name(), "disabled");
        cache.put(CacheKind::UserProfile, "1", &1).await;
        assert_eq!(cache.get::<i32>(CacheKind::UserProfile, "1").await, None);
        assert_eq!(counts(&cache), (0, 1, 0));
        assert!(cache.ping().await.is_ok());
    }
}

// ---------------------------------------------------------------------------------------------------------
// Redis at TEST_REDIS_URL.

fn test_redis_url() -> Option<String> {
    common::service_url("TEST_REDIS_URL", "Redis")
}

#[tokio::test]
async fn redis_put_get_invalidate_and_ttl() {
    let Some(url) = test_redis_url() else { return };
    let cache = Cache::redis(&url, short_ttls(&unique("cosmic-test")))
        .await
        .unwrap();
    assert_eq!(cache.backend_name(), "redis");
    assert!(cache.ping().await.is_ok());

    cache
        .put(CacheKind::UserProfile, "1", &serde_json::json!({"id": 1}))
        .await;
    cache
        .put(CacheKind::Leaderboard, "w1", &vec![3, 2, 1])
        .await;
    assert_eq!(
        cache
            .get::<serde_json::Value>(CacheKind::UserProfile, "1")
            .await,
        Some(serde_json::json!({"id": 1}))
    );
    cache.invalidate(CacheKind::UserProfile, "1").await;
    assert_eq!(
        cache
            .get::<serde_json::Value>(CacheKind::UserProfile, "1")
            .await,
        None
    );

    assert_eq!(
        cache.get::<Vec<i32>>(CacheKind::Leaderboard, "w1").await,
        Some(vec![3, 2, 1])
    );
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert_eq!(
        cache.get::<Vec<i32>>(CacheKind::Leaderboard, "w1").await,
        None,
        "PX 300 passed"
    );
    assert_eq!(counts(&cache), (2, 2, 0));
}

#[tokio::test]
async fn redis_keys_are_namespaced_by_kind() {
    let Some(url) = test_redis_url() else { return };
    let namespace = unique("cosmic-test");
    let cache = Cache::redis(&url, short_ttls(&namespace)).await.unwrap();
    cache.put(CacheKind::WorldSummary, "42", &"w").await;
    let client = redis::Client::open(url.as_str()).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let raw: Option<String> = redis::cmd("GET")
        .arg(format!("{namespace}:world:42"))
        .query_async(&mut conn)
        .await
        .unwrap();
    assert_eq!(raw.as_deref(), Some("\"w\""));
    let ttl_ms: i64 = redis::cmd("PTTL")
        .arg(format!("{namespace}:world:42"))
        .query_async(&mut conn)
        .await
        .unwrap();
    assert!(
        ttl_ms > 0 && ttl_ms <= 300,
        "SET … PX 300, got PTTL {ttl_ms}"
    );
}

// ---------------------------------------------------------------------------------------------------------
// Faults, on a private redis-server.

/// `get` on a dead Redis: `None`, fast, and counted as an error (never a hit).
async fn assert_fast_miss(cache: &Cache, key: &str) {
    let (hits, _, errors) = counts(cache);
    let start = Instant::now();
    assert_eq!(cache.get::<i32>(CacheKind::UserProfile, key).await, None);
    assert!(start.elapsed() < HANG, "get took {:?}", start.elapsed());
    let (hits_after, _, errors_after) = counts(cache);
    assert_eq!(hits_after, hits, "a Redis failure is not a hit");
    assert!(
        errors_after > errors,
        "a Redis failure is counted as an error"
    );
}

/// Puts and reads back until Redis answers again (at most `within`).
async fn wait_for_hits(cache: &Cache, within: Duration) -> Duration {
    let start = Instant::now();
    loop {
        cache.put(CacheKind::UserProfile, "back", &1).await;
        if cache.get::<i32>(CacheKind::UserProfile, "back").await == Some(1) {
            return start.elapsed();
        }
        assert!(
            start.elapsed() < within,
            "no cache hits {within:?} after Redis came back"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn redis_killed_mid_run_degrades_to_the_loader_and_recovers() {
    let port = free_port();
    let mut redis = PrivateRedis::start(port);
    let cache = Cache::redis(&redis.url(), CacheConfig::default())
        .await
        .unwrap();
    cache.put(CacheKind::UserProfile, "1", &11).await;
    assert_eq!(
        cache.get::<i32>(CacheKind::UserProfile, "1").await,
        Some(11)
    );
    assert_eq!(counts(&cache), (1, 0, 0));

    redis.kill();
    for _ in 0..5 {
        assert_fast_miss(&cache, "1").await;
    }
    let loads = AtomicU32::new(0);
    for _ in 0..3 {
        let start = Instant::now();
        let v: Result<i32, ()> = cache
            .get_or_load(CacheKind::UserProfile, "1", || async {
                loads.fetch_add(1, Ordering::SeqCst);
                Ok(12)
            })
            .await;
        assert_eq!(v, Ok(12));
        assert!(
            start.elapsed() < HANG,
            "get_or_load took {:?}",
            start.elapsed()
        );
    }
    assert_eq!(
        loads.load(Ordering::SeqCst),
        3,
        "Redis down: every call loads"
    );
    assert!(cache.ping().await.is_err());

    let _redis = PrivateRedis::start(port);
    wait_for_hits(&cache, Duration::from_secs(10)).await;
    assert!(cache.ping().await.is_ok());
}

#[tokio::test]
async fn redis_down_at_startup_still_builds_and_connects_later() {
    let port = free_port();
    let start = Instant::now();
    let cache = Cache::redis(&format!("redis://127.0.0.1:{port}"), CacheConfig::default())
        .await
        .expect("an unreachable Redis does not stop the cache from building");
    assert!(start.elapsed() < HANG, "build took {:?}", start.elapsed());
    assert_fast_miss(&cache, "1").await;
    cache.put(CacheKind::UserProfile, "1", &1).await;
    cache.invalidate(CacheKind::UserProfile, "1").await;

    let _redis = PrivateRedis::start(port);
    wait_for_hits(&cache, Duration::from_secs(10)).await;
}

#[tokio::test]
async fn a_malformed_redis_url_is_refused() {
    let err = Cache::redis("http://not-redis", CacheConfig::default())
        .await
        .unwrap_err();
    assert!(err.to_string().contains("redis URL"), "{err}");
}

#[tokio::test]
async fn a_frozen_redis_costs_at_most_the_timeout_and_recovers() {
    let redis = PrivateRedis::start(free_port());
    let cache = Cache::redis(&redis.url(), CacheConfig::default())
        .await
        .unwrap();
    cache.put(CacheKind::UserProfile, "1", &1).await;
    assert_eq!(cache.get::<i32>(CacheKind::UserProfile, "1").await, Some(1));

    // SIGSTOP: the socket stays open but nothing answers (a hung server, not a dead one).
    redis.signal("STOP");
    for _ in 0..5 {
        assert_fast_miss(&cache, "1").await;
        let start = Instant::now();
        cache.put(CacheKind::UserProfile, "2", &2).await;
        assert!(start.elapsed() < HANG, "put took {:?}", start.elapsed());
    }
    assert!(cache.ping().await.is_err());

    redis.signal("CONT");
    wait_for_hits(&cache, Duration::from_secs(10)).await;
}

// ---------------------------------------------------------------------------------------------------------
// Through the API.

async fn get_ok(client: &reqwest::Client, url: &str) {
    let start = Instant::now();
    let resp = client.get(url).send().await.unwrap();
    assert_eq!(
        resp.status(),
        200,
        "GET {url}: {}",
        resp.text().await.unwrap_or_default()
    );
    assert!(
        start.elapsed() < HANG,
        "GET {url} took {:?}",
        start.elapsed()
    );
}

async fn spawn_app_with_redis(url: String) -> common::TestApp {
    let dir = Arc::new(tempfile::tempdir().unwrap());
    common::spawn_app_in(dir, |c| {
        c.redis_url = Some(url);
        c.cache.namespace = unique("cosmic-test");
    })
    .await
}

#[tokio::test]
async fn api_keeps_answering_while_redis_is_killed_and_restarted() {
    let port = free_port();
    let mut redis = PrivateRedis::start(port);
    let app = spawn_app_with_redis(redis.url()).await;
    assert_eq!(app.state.api.cache.backend_name(), "redis");
    let client = reqwest::Client::new();
    let leaderboard = app.http(&format!(
        "/api/leaderboard?world={}&limit=5",
        app.state.game.garden.default_world
    ));
    get_ok(&client, &leaderboard).await;
    get_ok(&client, &leaderboard).await;
    assert!(
        app.state.api.cache.stats().hits >= 1,
        "the second read is a cache hit"
    );

    redis.kill();
    let errors = app.state.api.cache.stats().errors;
    for _ in 0..5 {
        get_ok(&client, &leaderboard).await;
    }
    assert!(
        app.state.api.cache.stats().errors > errors,
        "the outage is counted"
    );

    let _redis = PrivateRedis::start(port);
    let deadline = Instant::now() + Duration::from_secs(10);
    let hits = app.state.api.cache.stats().hits;
    while app.state.api.cache.stats().hits == hits {
        assert!(
            Instant::now() < deadline,
            "no cache hits 10 s after Redis came back"
        );
        get_ok(&client, &leaderboard).await;
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    app.stop().await;
}

#[tokio::test]
async fn api_starts_and_serves_while_redis_is_down() {
    let port = free_port();
    let app = spawn_app_with_redis(format!("redis://127.0.0.1:{port}")).await;
    let client = reqwest::Client::new();
    let leaderboard = app.http(&format!(
        "/api/leaderboard?world={}",
        app.state.game.garden.default_world
    ));
    get_ok(&client, &leaderboard).await;
    get_ok(
        &client,
        &app.http(&format!(
            "/api/worlds/{}",
            app.state.game.garden.default_world
        )),
    )
    .await;
    assert!(app.state.api.cache.stats().errors > 0);
    app.stop().await;
}
