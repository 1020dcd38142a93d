//! The TypeScript types of `cosmic.live.v1` are generated from these Rust types (ts-rs) and committed
//! at `web/src/net/live.generated.ts`. This test fails when the file is stale; regenerate it with
//! `UPDATE_TS_TYPES=1 cargo test -p live --test typescript`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../../protocol/tests/common/mod.rs"]
mod common;

use live::delta::StateDelta;
use live::error::ErrorCode;
use live::room::{
    Capabilities, ConflictPolicy, NewRoom, Participant, Role, RoomSettings, RoomView,
};
use live::state::{
    BlendMode, Layer, LayerInput, Op, ShowState, StateInput, Tempo, TempoInput, Value,
};
use live::v1::{ClientMessage, ServerMessage};
use protocol::codec::Codec;
use ts_rs::{Config, TS};

fn generated() -> String {
    let cfg = Config::default();
    let decls = [
        Codec::decl(&cfg),
        Value::decl(&cfg),
        BlendMode::decl(&cfg),
        Layer::decl(&cfg),
        Tempo::decl(&cfg),
        ShowState::decl(&cfg),
        LayerInput::decl(&cfg),
        TempoInput::decl(&cfg),
        StateInput::decl(&cfg),
        Op::decl(&cfg),
        StateDelta::decl(&cfg),
        Role::decl(&cfg),
        Capabilities::decl(&cfg),
        Participant::decl(&cfg),
        ConflictPolicy::decl(&cfg),
        RoomSettings::decl(&cfg),
        NewRoom::decl(&cfg),
        RoomView::decl(&cfg),
        ErrorCode::decl(&cfg),
        ClientMessage::decl(&cfg),
        ServerMessage::decl(&cfg),
    ];
    common::typescript(
        "crates/live",
        "UPDATE_TS_TYPES=1 cargo test -p live --test typescript",
        "LIVE_PROTOCOL_HASH",
        &live::v1::protocol_hash_hex(),
        &decls,
    )
}

#[test]
fn typescript_types_match_the_rust_ones() {
    common::check_generated(
        &common::web_file("src/net/live.generated.ts"),
        &generated(),
        "UPDATE_TS_TYPES=1 cargo test -p live --test typescript",
    );
}
