//! The `cosmic` server as a library: everything `main.rs` starts lives here so tests can start it too.

pub mod accounts;
pub mod api;
pub mod app;
pub mod cache;
pub mod cli;
pub mod client_ip;
pub mod cluster;
pub mod config;
pub mod game;
pub mod health;
pub mod live_sessions;
pub mod loader;
pub mod metrics;
pub mod quotas;
pub mod request_id;
pub mod request_timeout;
pub mod scrape;
pub mod state;
pub mod store;
pub mod telemetry;
pub mod throttle;
pub mod tokens;
pub mod web;

pub use app::{Application, Config};
