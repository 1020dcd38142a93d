//! The TypeScript types of the v1 protocol are generated from these Rust types (ts-rs) and committed at
//! `web/src/net/protocol.generated.ts`. This test fails when the file is stale; regenerate it with
//! `UPDATE_TS_TYPES=1 cargo test -p protocol --test typescript`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use protocol::codec::Codec;
use protocol::frame::{Frame, WireBody, WireEvent};
use protocol::v1::{ClientMessage, ErrorCode, ReplyBody, ServerMessage, WireResources};
use ts_rs::{Config, TS};

fn generated() -> String {
    let cfg = Config::default();
    let decls = [
        Codec::decl(&cfg),
        WireResources::decl(&cfg),
        WireBody::decl(&cfg),
        WireEvent::decl(&cfg),
        Frame::decl(&cfg),
        ErrorCode::decl(&cfg),
        ReplyBody::decl(&cfg),
        ClientMessage::decl(&cfg),
        ServerMessage::decl(&cfg),
    ];
    common::typescript(
        "crates/protocol",
        "UPDATE_TS_TYPES=1 cargo test -p protocol --test typescript",
        "PROTOCOL_HASH",
        &protocol::v1::protocol_hash_hex(),
        &decls,
    )
}

#[test]
fn typescript_types_match_the_rust_ones() {
    common::check_generated(
        &common::web_file("src/net/protocol.generated.ts"),
        &generated(),
        "UPDATE_TS_TYPES=1 cargo test -p protocol --test typescript",
    );
}
