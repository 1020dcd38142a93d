// Generated from crates/protocol by `UPDATE_TS_TYPES=1 cargo test -p protocol --test typescript`.
// Do not edit by hand: CI fails when this file differs from the Rust types.

export const PROTOCOL_HASH = "415e2a04267cbea5";

export type Codec = "none" | "lz4" | "deflate" | "zstd";

export type WireResources = { cosmic_dust: number, energy: number, organic_matter: number, biomass: number, dark_matter: number, thought_points: number, };

export type WireBody = { id: number, 
/**
 * A [`crate::kinds`] code.
 */
kind: number, 
/**
 * Owner's player id, 0 for the world's own bodies.
 */
owner: number, pos: [number, number, number], vel: [number, number, number], 
/**
 * Position change over the last tick (position quanta): the prediction for the next one.
 */
mv: [number, number, number], mass: number, radius: number, 
/**
 * Life stage of a planet: 0 none, 1 microbial, 2 plant, 3 animal, 4 intelligent.
 */
life: number, };

export type WireEvent = { "event": "merged", survivor: number, absorbed: number, } | { "event": "collapsed", body: number, } | { "event": "escaped", body: number, } | { "event": "life_advanced", body: number, stage: number, } | { "event": "life_lost", body: number, };

export type Frame = { "type": "snapshot", tick: number, time_us: number, bodies: Array<WireBody>, events: Array<WireEvent>, } | { "type": "delta", base_tick: number, tick: number, time_us: number, removed: number[], upserts: Array<WireBody>, 
/**
 * Residuals (one-tick delta) or plain position differences (longer delta).
 */
moves: Array<[number, number, number]>, 
/**
 * New `mv` of each moved body, only in deltas over more than one tick.
 */
motions: Array<[number, number, number]>, events: Array<WireEvent>, };

export type ErrorCode = "bad_message" | "protocol_mismatch" | "hello_expected" | "unauthorized" | "read_only" | "world_not_found" | "world_full" | "rate_limited" | "overloaded" | "not_joined" | "not_finite" | "not_enough_resources" | "out_of_bounds" | "overlaps_body" | "too_fast" | "player_limit_reached" | "world_limit_reached" | "locked" | "no_such_body" | "not_owner" | "max_level" | "unknown_kind" | "unknown_research" | "internal";

export type ReplyBody = { "result": "body_created", body: number, } | { "result": "body_removed", body: number, } | { "result": "research_bought", research: string, level: number, } | { "result": "pong" };

export type ClientMessage = { "type": "hello", request_id: number, protocol_hash: string, token: string | null, world: number | null, resume_tick: number | null, 
/**
 * Codecs the client can decode; `none` is implied. Default: all.
 */
codecs: Array<Codec> | null, } | { "type": "create_body", request_id: number, kind: string, position: [number, number, number], velocity: [number, number, number] | null, } | { "type": "remove_body", request_id: number, body: number, } | { "type": "buy_research", request_id: number, research: string, } | { "type": "ping", request_id: number, };

export type ServerMessage = { "type": "welcome", request_id: number, protocol_hash: string, player: number, world: number, tick: number, tick_rate_hz: number, resumed: boolean, 
/**
 * Session token: send it in the next `hello` to resume as the same player.
 */
token: string, } | { "type": "reply", request_id: number, } & ({ "result": "body_created", body: number, } | { "result": "body_removed", body: number, } | { "result": "research_bought", research: string, level: number, } | { "result": "pong" }) | { "type": "error", request_id: number | null, code: ErrorCode, message: string, } | { "type": "player_state", tick: number, resources: WireResources, rates: WireResources, } | { "type": "closing", code: number, reason: string, retry_after_ms: number | null, } | Frame;

