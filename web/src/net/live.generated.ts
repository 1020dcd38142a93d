// Generated from crates/live by `UPDATE_TS_TYPES=1 cargo test -p live --test typescript`.
// Do not edit by hand: CI fails when this file differs from the Rust types.

export const LIVE_PROTOCOL_HASH = "887d0783e681dd6f";

export type Codec = "none" | "lz4" | "deflate" | "zstd";

export type Value = boolean | number | string | Array<number>;

export type BlendMode = "normal" | "add" | "multiply" | "screen" | "overlay" | "difference" | "lighten" | "darken";

export type Layer = { id: string, name: string, effectType: string, opacity: number, visible: boolean, blendMode: BlendMode, order: number, parameters: { [key in string]: Value }, 
/**
 * Server time (ms) of the layer's last change.
 */
lastModified: number, };

export type Tempo = { bpm: number, beat_origin: number, };

export type ShowState = { version: number, 
/**
 * Server time (ms) of the last accepted change.
 */
timestamp: number, parameters: { [key in string]: Value }, 
/**
 * Sorted by `order`, then id.
 */
layers: Array<Layer>, activePresetId?: string, tempo: Tempo, };

export type LayerInput = { id?: string, name?: string, effectType?: string, opacity?: number, visible?: boolean, blendMode?: BlendMode, order?: number, parameters?: { [key in string]: Value }, };

export type TempoInput = { bpm: number, beat_origin?: number, };

export type StateInput = { parameters?: { [key in string]: Value }, layers?: Array<LayerInput>, activePresetId?: string, tempo?: TempoInput, };

export type Op = { "op": "set_parameters", layer?: string, parameters: { [key in string]: Value }, } | { "op": "remove_parameters", layer?: string, names: Array<string>, } | { "op": "add_layer", layer: LayerInput, } | { "op": "update_layer", id: string, changes: LayerInput, } | { "op": "remove_layer", id: string, } | { "op": "reorder_layers", order: Array<string>, } | { "op": "set_tempo", tempo: TempoInput, } | { "op": "tap" } | { "op": "replace_state", state: StateInput, };

export type StateDelta = { base: number, version: number, timestamp: number, 
/**
 * Parameters added or changed.
 */
parameters?: { [key in string]: Value }, removedParameters?: Array<string>, 
/**
 * Layers added or changed, whole (their `order` places them).
 */
layers?: Array<Layer>, removedLayers?: Array<string>, 
/**
 * The active preset when it changed: its id, or `""` when it was cleared.
 */
activePresetId?: string, tempo?: Tempo, };

export type Role = "host" | "controller" | "display" | "viewer";

export type Capabilities = { canControlVisuals: boolean, canControlAudio: boolean, canManageLayers: boolean, canSharePresets: boolean, canInviteOthers: boolean, };

export type Participant = { id: string, name: string, role: Role, 
/**
 * ISO 8601.
 */
joinedAt: string, lastSeen: string, capabilities: Capabilities, metadata: Record<string, unknown>, };

export type ConflictPolicy = "last_write_wins" | "host_wins";

export type RoomSettings = { allowGuestControl: boolean, syncParameters: boolean, syncLayers: boolean, syncPresets: boolean, broadcastVoiceCommands: boolean, requireApproval: boolean, conflictResolution: ConflictPolicy, };

export type NewRoom = { name?: string, description?: string, maxParticipants?: number, isPrivate?: boolean, settings?: RoomSettings, };

export type RoomView = { id: string, 
/**
 * The short code displays join with.
 */
code: string, name: string, description?: string, maxParticipants: number, participants: Array<Participant>, 
/**
 * ISO 8601.
 */
createdAt: string, isPrivate: boolean, ownerId: string, settings: RoomSettings, };

export type ErrorCode = "invalid_message" | "invalid_operation" | "limit_exceeded" | "forbidden" | "conflict" | "not_found" | "room_full" | "unauthorized" | "not_in_room" | "rate_limited" | "unavailable" | "hello_expected" | "protocol_mismatch";

export type ClientMessage = { "type": "hello", request_id: number, protocol_hash: string, room?: string, 
/**
 * An invitation's token: into its room, in its role.
 */
invite?: string, create?: NewRoom, name?: string, role?: Role, resume_version?: number, 
/**
 * Codecs the client decodes in `.bin` (`none` is always understood).
 */
codecs?: Array<Codec>, } | { "type": "ping", request_id: number, client_time?: number, } | { "type": "op", request_id: number, op: Op, } | { "type": "load_preset", request_id: number, preset_id: string, } | { "type": "set_role", request_id: number, participant: string, role: Role, } | { "type": "message", request_id?: number, target?: string, data: unknown, } | { "type": "leave", request_id: number, } | { "type": "invite", request_id: number, role?: Role, ttl_secs?: number, };

export type ServerMessage = { "type": "welcome", request_id: number, protocol_hash: string, room: RoomView, participant: Participant, 
/**
 * The state's version now; a `state` or `delta` follows (nothing when `resume_version` was it).
 */
version: number, server_time: number, 
/**
 * States are sent at most this often.
 */
fanout_hz: number, 
/**
 * Whether the hello named a version to resume from.
 */
resumed: boolean, } | { "type": "reply", request_id: number, version?: number, } | { "type": "error", request_id?: number, code: ErrorCode, message: string, } | { "type": "pong", request_id: number, 
/**
 * Unix ms, for the client's clock offset.
 */
server_time: number, client_time?: number, } | { "type": "state", server_time: number, state: ShowState, } | { "type": "delta", server_time: number, delta: StateDelta, } | { "type": "invitation", request_id: number, token: string, room: string, role: Role, expires_at: number, } | { "type": "presence", event: string, participant: Participant, } | { "type": "message", from: string, kind: string, data: unknown, target?: string, };

