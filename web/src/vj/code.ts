// Join codes as people type them and as display links carry them.

/** The show code of a display's address: `/show/<code>` or `?room=<code>`; null when there is none. */
export function joinCode(pathname: string, params: URLSearchParams): string | null {
  const fromPath = /^\/show\/([^/]+)\/?$/.exec(pathname)?.[1];
  const raw = fromPath ? decodeURIComponent(fromPath) : params.get("room");
  const code = raw ? normalizeCode(raw) : "";
  return code === "" ? null : code;
}

/** Upper case, without spaces and dashes (the server reads codes the same way). */
export function normalizeCode(raw: string): string {
  return raw.replace(/[\s-]/g, "").toUpperCase();
}

/** The address a display opens for a show. */
export function displayUrl(code: string, origin = location.origin): string {
  return `${origin}/show/${encodeURIComponent(code)}`;
}
