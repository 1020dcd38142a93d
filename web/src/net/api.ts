// The REST calls the client makes: accounts (guest, register, login, refresh), leaderboard, player figures.
// Tokens are kept in localStorage so a reload plays on as the same player.

export interface User {
  id: number;
  username: string | null;
  guest?: boolean;
}

interface Tokens {
  access_token: string;
  refresh_token: string;
  expires_in: number;
  user: User;
}

interface Session {
  access: string;
  refresh: string;
  /** Epoch ms after which the access token is refreshed before use. */
  refreshAt: number;
  user: User;
}

const KEY = "cosmic.session";

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

export async function call<T>(method: string, path: string, body?: unknown, token?: string): Promise<T> {
  const headers: Record<string, string> = {};
  if (body !== undefined) headers["content-type"] = "application/json";
  if (token) headers.authorization = `Bearer ${token}`;
  const res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  if (res.status === 204) return undefined as T;
  const json = (await res.json().catch(() => null)) as { error?: { code: string; message: string; field?: string } } | null;
  if (!res.ok) {
    const e = json?.error;
    throw new ApiError(res.status, e?.code ?? "http", e?.message ?? `HTTP ${res.status}`, e?.field);
  }
  return json as T;
}

export class Auth {
  private session: Session | null = load();
  private refreshing: Promise<void> | null = null;

  get user(): User | null {
    return this.session?.user ?? null;
  }

  async guest(): Promise<User> {
    return this.keep(await call<Tokens>("POST", "/api/auth/guest"));
  }

  async register(email: string, username: string, password: string): Promise<User> {
    return this.keep(await call<Tokens>("POST", "/api/auth/register", { email, username, password }));
  }

  async login(login: string, password: string): Promise<User> {
    return this.keep(await call<Tokens>("POST", "/api/auth/login", { login, password }));
  }

  async logout(): Promise<void> {
    const s = this.session;
    this.session = null;
    localStorage.removeItem(KEY);
    if (s) await call("POST", "/api/auth/logout", { refresh_token: s.refresh }).catch(() => undefined);
  }

  /** A valid access token, refreshed first when it is about to expire; null when logged out. */
  async token(): Promise<string | null> {
    if (!this.session) return null;
    if (Date.now() >= this.session.refreshAt) await this.refresh();
    return this.session?.access ?? null;
  }

  /** Rotates the tokens; on failure the session is dropped (the player logs in again). */
  refresh(): Promise<void> {
    this.refreshing ??= (async () => {
      const s = this.session;
      if (!s) return;
      try {
        this.keep(await call<Tokens>("POST", "/api/auth/refresh", { refresh_token: s.refresh }));
      } catch (e) {
        if (e instanceof ApiError && e.status === 401) {
          this.session = null;
          localStorage.removeItem(KEY);
        }
      }
    })().finally(() => (this.refreshing = null));
    return this.refreshing;
  }

  private keep(t: Tokens): User {
    this.session = {
      access: t.access_token,
      refresh: t.refresh_token,
      refreshAt: Date.now() + Math.max(10, t.expires_in - 60) * 1000,
      user: t.user,
    };
    localStorage.setItem(KEY, JSON.stringify(this.session));
    return t.user;
  }
}

function load(): Session | null {
  try {
    const s = JSON.parse(localStorage.getItem(KEY) ?? "null") as Session | null;
    return s && typeof s.access === "string" ? s : null;
  } catch {
    return null;
  }
}

export interface LeaderboardEntry {
  rank?: number;
  user_id: number;
  username: string | null;
  value: number;
}

export async function leaderboard(world: number): Promise<LeaderboardEntry[]> {
  const res = await call<{ entries?: LeaderboardEntry[] } | LeaderboardEntry[]>("GET", `/api/leaderboard?world=${world}&limit=10`);
  return Array.isArray(res) ? res : (res.entries ?? []);
}

export async function myResearch(world: number, token: string): Promise<Record<string, number>> {
  const res = await call<{ research: Record<string, number> | null }>("GET", `/api/worlds/${world}/players/me`, undefined, token);
  return res.research ?? {};
}
