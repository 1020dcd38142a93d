// A `cosmic.live.v1` connection to /live, as the VJ controller and displays use it: hello and welcome, the
// room's state rebuilt from `state` and `delta`, requests answered by `reply` or `error`, the clock offset
// from pings, audio features, and reconnecting by itself (resuming from the version it has) until closed.
import { applyDelta, Clock } from "../state/show";
import {
  LIVE_PROTOCOL_HASH,
  type ClientMessage,
  type ErrorCode,
  type NewRoom,
  type Op,
  type Participant,
  type Role,
  type RoomView,
  type ServerMessage,
  type ShowState,
} from "./live.generated";

export const SUBPROTOCOL = "cosmic.live.v1.json";

export type Status = "connecting" | "live" | "reconnecting" | "failed";

export interface AudioFrame {
  levels: number[];
  beat: boolean;
  /** Server time (ms) the room relayed them. */
  serverMs: number;
}

export interface LiveOptions {
  /** The access token (refreshed by the caller as needed). */
  token: () => Promise<string>;
  /** A room id or join code to join; or `create` to make one (then its code is used on reconnects). */
  room?: string;
  create?: NewRoom;
  invite?: string;
  name?: string;
  role?: Role;
  url?: string;
}

export class LiveError extends Error {
  constructor(
    readonly code: ErrorCode | "closed",
    message: string,
  ) {
    super(message);
    this.name = "LiveError";
  }
}

type Request = ClientMessage extends infer M ? (M extends { request_id: number } ? Omit<M, "request_id"> : never) : never;
type Pending = { ok: (m: ServerMessage) => void; fail: (e: LiveError) => void };

const PING_EVERY_MS = 5_000;
const DEAD_AFTER_MS = 12_000;

export class LiveClient {
  state: ShowState | null = null;
  room: RoomView | null = null;
  me: Participant | null = null;
  readonly participants = new Map<string, Participant>();
  readonly clock = new Clock();
  status: Status = "connecting";
  /** Why the last connection attempt failed, for the status line. */
  problem = "";
  fanoutHz = 60;

  onState?: (state: ShowState) => void;
  onStatus?: (status: Status, problem: string) => void;
  onParticipants?: () => void;
  onAudio?: (audio: AudioFrame) => void;
  onWelcome?: (room: RoomView, me: Participant) => void;

  private ws: WebSocket | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private closed = false;
  private attempt = 0;
  private timer: ReturnType<typeof setInterval> | undefined;
  private lastHeard = 0;
  private readonly pings = new Map<number, number>();

  constructor(private readonly opts: LiveOptions) {}

  connect(): void {
    this.closed = false;
    void this.open();
  }

  close(): void {
    this.closed = true;
    clearInterval(this.timer);
    this.ws?.close(1000, "bye");
    this.ws = null;
    this.failPending("the connection was closed");
  }

  /** Sends a request; resolves with its reply (or `invitation`), rejects with the server's error. */
  request(message: Request): Promise<ServerMessage> {
    const ws = this.ws;
    if (!ws || ws.readyState !== WebSocket.OPEN || this.status !== "live") {
      return Promise.reject(new LiveError("closed", "not connected to the show"));
    }
    const request_id = this.nextId++;
    return new Promise((ok, fail) => {
      this.pending.set(request_id, { ok, fail });
      ws.send(JSON.stringify({ ...message, request_id }));
    });
  }

  op(op: Op): Promise<ServerMessage> {
    return this.request({ type: "op", op });
  }

  /** Audio features: up to 32 levels 0–255 and whether a beat was heard (hosts and controllers). */
  sendAudio(levels: Uint8Array, beat: boolean): void {
    if (this.ws?.readyState !== WebSocket.OPEN || this.status !== "live") return;
    const n = Math.min(32, levels.length);
    const bytes = new Uint8Array(3 + n);
    bytes[0] = 0x41;
    bytes[1] = beat ? 1 : 0;
    bytes[2] = n;
    bytes.set(levels.subarray(0, n), 3);
    this.ws.send(bytes);
  }

  private url(token: string): string {
    const base = this.opts.url ?? `${location.protocol === "https:" ? "wss:" : "ws:"}//${location.host}/live`;
    return `${base}?token=${encodeURIComponent(token)}`;
  }

  private async open(): Promise<void> {
    if (this.closed) return;
    this.setStatus(this.attempt === 0 ? "connecting" : "reconnecting");
    let token: string;
    try {
      token = await this.opts.token();
    } catch (e) {
      this.problem = `no token: ${e instanceof Error ? e.message : String(e)}`;
      this.retry();
      return;
    }
    if (this.closed) return;
    const ws = new WebSocket(this.url(token), SUBPROTOCOL);
    ws.binaryType = "arraybuffer";
    this.ws = ws;
    ws.onopen = () => this.hello(ws);
    ws.onmessage = (ev) => {
      this.lastHeard = Date.now();
      if (typeof ev.data === "string") this.receive(JSON.parse(ev.data) as ServerMessage);
      else this.receiveBinary(new Uint8Array(ev.data as ArrayBuffer));
    };
    ws.onclose = (ev) => {
      if (this.ws !== ws) return;
      this.ws = null;
      clearInterval(this.timer);
      this.failPending("the connection was lost");
      if (ev.code === 1002 || ev.code === 1008) this.problem = ev.reason || `closed (${ev.code})`;
      else if (!this.problem) this.problem = "the connection was lost";
      this.retry();
    };
  }

  private hello(ws: WebSocket): void {
    const o = this.opts;
    const resuming = this.room !== null;
    const hello: ClientMessage = {
      type: "hello",
      request_id: 0,
      protocol_hash: LIVE_PROTOCOL_HASH,
      name: o.name,
      role: resuming && this.me ? this.me.role : o.role,
      ...(resuming ? { room: this.room!.id } : o.invite ? { invite: o.invite } : o.room ? { room: o.room } : { create: o.create ?? {} }),
      ...(resuming && this.state ? { resume_version: this.state.version } : {}),
    };
    ws.send(JSON.stringify(hello));
    this.lastHeard = Date.now();
    clearInterval(this.timer);
    this.timer = setInterval(() => this.tick(ws), PING_EVERY_MS);
  }

  private tick(ws: WebSocket): void {
    if (Date.now() - this.lastHeard > DEAD_AFTER_MS) {
      ws.close(4000, "no answer");
      return;
    }
    this.ping(ws);
  }

  private ping(ws: WebSocket): void {
    if (ws.readyState !== WebSocket.OPEN) return;
    const request_id = this.nextId++;
    const now = Date.now();
    this.pings.set(request_id, now);
    ws.send(JSON.stringify({ type: "ping", request_id, client_time: now }));
  }

  private receive(m: ServerMessage): void {
    switch (m.type) {
      case "welcome":
        this.attempt = 0;
        this.problem = "";
        this.room = m.room;
        this.me = m.participant;
        this.fanoutHz = m.fanout_hz;
        this.participants.clear();
        for (const p of m.room.participants) this.participants.set(p.id, p);
        this.participants.set(m.participant.id, m.participant);
        this.setStatus("live");
        this.onWelcome?.(m.room, m.participant);
        this.onParticipants?.();
        // A few quick pings so the clock offset is good at once.
        for (let i = 0; i < 3; i++) setTimeout(() => this.ws && this.ping(this.ws), i * 150);
        return;
      case "state":
        this.state = m.state;
        this.onState?.(m.state);
        return;
      case "delta":
        if (!this.state || this.state.version !== m.delta.base) {
          // Never happens with the server's feed; reconnecting fetches the whole state.
          this.state = null;
          this.ws?.close(4001, "delta out of order");
          return;
        }
        this.onState?.(applyDelta(this.state, m.delta));
        return;
      case "pong": {
        const sent = this.pings.get(m.request_id);
        if (sent !== undefined) {
          this.pings.delete(m.request_id);
          this.clock.sample(sent, Date.now(), m.server_time);
        }
        return;
      }
      case "presence":
        if (m.event === "participant_left") this.participants.delete(m.participant.id);
        else this.participants.set(m.participant.id, m.participant);
        if (m.participant.id === this.me?.id) this.me = m.participant;
        this.onParticipants?.();
        return;
      case "reply":
      case "invitation":
        this.settle(m.request_id, (p) => p.ok(m));
        return;
      case "error":
        if (m.request_id === 0 || (m.request_id === undefined && this.status !== "live")) {
          // The hello was refused: a wrong room or token is not fixed by retrying quickly.
          this.problem = m.message;
          if (m.code === "not_found" || m.code === "protocol_mismatch" || m.code === "room_full") this.fail();
          return;
        }
        if (m.request_id !== undefined) this.settle(m.request_id, (p) => p.fail(new LiveError(m.code, m.message)));
        return;
      case "message":
        return;
    }
  }

  private receiveBinary(b: Uint8Array): void {
    // 'A' flags n levels… then the server's time as f64 LE.
    if (b[0] !== 0x41 || b.length < 3) return;
    const n = b[2]!;
    if (b.length < 3 + n + 8) return;
    const levels = Array.from(b.subarray(3, 3 + n), (v) => v / 255);
    const serverMs = new DataView(b.buffer, b.byteOffset + 3 + n, 8).getFloat64(0, true);
    this.onAudio?.({ levels, beat: (b[1]! & 1) === 1, serverMs });
  }

  private settle(id: number, f: (p: Pending) => void): void {
    const p = this.pending.get(id);
    if (p) {
      this.pending.delete(id);
      f(p);
    }
  }

  private failPending(why: string): void {
    for (const p of this.pending.values()) p.fail(new LiveError("closed", why));
    this.pending.clear();
  }

  private fail(): void {
    this.closed = true;
    clearInterval(this.timer);
    this.ws?.close(1000, "refused");
    this.ws = null;
    this.setStatus("failed");
  }

  private retry(): void {
    if (this.closed) return;
    this.setStatus("reconnecting");
    const delay = Math.min(5_000, 250 * 2 ** this.attempt) * (0.75 + Math.random() * 0.5);
    this.attempt++;
    setTimeout(() => void this.open(), delay);
  }

  private setStatus(s: Status): void {
    this.status = s;
    this.onStatus?.(s, this.problem);
  }
}
