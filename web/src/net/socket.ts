// The v1 connection: hello/welcome, requests matched to replies by request_id, in-order decoding of binary
// messages, and automatic reconnect with backoff that resumes from the last applied tick.
import { CLIENT_CODECS } from "./codec";
import { decodeMessage } from "./message";
import type { ClientMessage, ErrorCode, Frame, ReplyBody, ServerMessage } from "./protocol.generated";
import { PROTOCOL_HASH } from "./protocol.generated";

export type ConnectionState = "connecting" | "online" | "reconnecting" | "offline" | "stopped";

type Welcome = Extract<ServerMessage, { type: "welcome" }>;
type PlayerState = Extract<ServerMessage, { type: "player_state" }>;
type Request = DistributiveOmit<Exclude<ClientMessage, { type: "hello" } | { type: "ack" }>, "request_id">;
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** A request the server refused: `code` is one of the protocol's error codes. */
export class ServerError extends Error {
  constructor(
    readonly code: ErrorCode | "timeout" | "disconnected",
    message: string,
  ) {
    super(message);
    this.name = "ServerError";
  }
}

export interface ConnectionOptions {
  /** The WebSocket URL (`ws://host/ws`). */
  url: string;
  world: number;
  /** The access token, fetched before every connect (it may have been refreshed). */
  token: () => Promise<string | null>;
  /** The last tick the client applied, for `hello.resume_tick`. */
  resumeTick: () => number | null;
  onState: (state: ConnectionState, detail: string) => void;
  onWelcome: (welcome: Welcome) => void;
  onFrame: (frame: Frame) => void;
  onPlayerState: (state: PlayerState) => void;
  /** The server refused the token: refresh it before the next attempt. */
  onUnauthorized: () => Promise<void>;
  /** The server speaks another protocol version: this client is out of date (no more retries). */
  onOutdated: () => void;
}

const REQUEST_TIMEOUT_MS = 10_000;
const BACKOFF_MS = [250, 1_000, 2_000, 4_000, 8_000, 15_000];

export class Connection {
  private ws: WebSocket | null = null;
  private nextId = 1;
  private attempt = 0;
  private stopped = false;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private retryAfterMs: number | null = null;
  private decoding: Promise<void> = Promise.resolve();
  private readonly pending = new Map<number, { resolve: (r: ReplyBody) => void; reject: (e: Error) => void }>();

  constructor(private readonly opts: ConnectionOptions) {
    addEventListener("online", () => this.retryNow());
    addEventListener("offline", () => this.opts.onState("offline", "the browser is offline"));
  }

  start(): void {
    this.stopped = false;
    void this.open();
  }

  stop(): void {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.ws?.close(1000, "bye");
    this.ws = null;
    this.opts.onState("stopped", "");
  }

  /** Reconnects at once (after a login, or when the browser comes back online). */
  retryNow(): void {
    if (this.stopped) return;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.ws?.close(1000, "reconnecting");
    this.ws = null;
    this.attempt = 0;
    void this.open();
  }

  /** Sends a request and resolves with its reply, or rejects with a `ServerError`. */
  request(body: Request): Promise<ReplyBody> {
    const ws = this.ws;
    if (!ws || ws.readyState !== WebSocket.OPEN) {
      return Promise.reject(new ServerError("disconnected", "not connected; retrying"));
    }
    const request_id = this.nextId++;
    return new Promise<ReplyBody>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(request_id);
        reject(new ServerError("timeout", "the server did not answer in time"));
      }, REQUEST_TIMEOUT_MS);
      this.pending.set(request_id, {
        resolve: (r) => (clearTimeout(timer), resolve(r)),
        reject: (e) => (clearTimeout(timer), reject(e)),
      });
      ws.send(JSON.stringify({ ...body, request_id }));
    });
  }

  private async open(): Promise<void> {
    if (this.stopped) return;
    if (!navigator.onLine) {
      this.opts.onState("offline", "the browser is offline");
      return;
    }
    this.opts.onState(this.attempt === 0 ? "connecting" : "reconnecting", "");
    const token = await this.opts.token().catch(() => null);
    const ws = new WebSocket(this.opts.url, "cosmic.v1.bin");
    ws.binaryType = "arraybuffer";
    this.ws = ws;
    ws.onopen = () => {
      const hello: ClientMessage = {
        type: "hello",
        request_id: this.nextId++,
        protocol_hash: PROTOCOL_HASH,
        token,
        world: this.opts.world,
        resume_tick: this.opts.resumeTick(),
        codecs: CLIENT_CODECS,
      };
      ws.send(JSON.stringify(hello));
    };
    ws.onmessage = (ev: MessageEvent) => {
      if (typeof ev.data === "string") return; // binary subprotocol: text is never sent
      const bytes = new Uint8Array(ev.data as ArrayBuffer);
      // Messages are decoded one after another: deflate is asynchronous, order must hold.
      this.decoding = this.decoding.then(async () => {
        if (this.ws !== ws) return;
        try {
          this.dispatch(await decodeMessage(bytes));
        } catch (e) {
          console.warn("dropping an unreadable message; resyncing", e);
          ws.close(4000, "unreadable message");
        }
      });
    };
    ws.onclose = (ev) => {
      if (this.ws !== ws) return;
      this.ws = null;
      for (const p of this.pending.values()) p.reject(new ServerError("disconnected", "connection lost"));
      this.pending.clear();
      this.scheduleRetry(ev.reason || `closed (${ev.code})`);
    };
  }

  private dispatch(msg: ServerMessage): void {
    switch (msg.type) {
      case "welcome":
        this.attempt = 0;
        this.opts.onState("online", "");
        this.opts.onWelcome(msg);
        return;
      case "snapshot":
      case "delta":
        this.opts.onFrame(msg);
        return;
      case "player_state":
        this.opts.onPlayerState(msg);
        return;
      case "reply": {
        const p = this.pending.get(msg.request_id);
        this.pending.delete(msg.request_id);
        p?.resolve(msg as unknown as ReplyBody);
        return;
      }
      case "error": {
        if (msg.code === "unauthorized") {
          void this.opts.onUnauthorized();
        }
        if (msg.code === "protocol_mismatch") {
          // Retrying cannot help: a newer server needs a newer client.
          this.stopped = true;
          this.opts.onOutdated();
          return;
        }
        const p = msg.request_id === null ? undefined : this.pending.get(msg.request_id);
        if (p && msg.request_id !== null) {
          this.pending.delete(msg.request_id);
          p.reject(new ServerError(msg.code, msg.message));
        } else {
          console.warn(`server error ${msg.code}: ${msg.message}`);
        }
        return;
      }
      case "closing":
        this.retryAfterMs = msg.retry_after_ms;
        return;
    }
  }

  private scheduleRetry(reason: string): void {
    if (this.stopped) return;
    if (!navigator.onLine) {
      this.opts.onState("offline", "the browser is offline");
      return;
    }
    const base = this.retryAfterMs ?? BACKOFF_MS[Math.min(this.attempt, BACKOFF_MS.length - 1)]!;
    this.retryAfterMs = null;
    const delay = base * (0.75 + Math.random() * 0.5);
    this.attempt++;
    this.opts.onState("reconnecting", `${reason}; retrying in ${(delay / 1000).toFixed(1)} s`);
    this.retryTimer = setTimeout(() => void this.open(), delay);
  }
}
