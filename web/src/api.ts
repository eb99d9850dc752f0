// Calls to the control API, with the token from sessionStorage.
import { SSEParser, type SSEEvent } from "./sse";

const KEY = "stacklab.token";

export class Unauthorized extends Error {
  constructor() {
    super("wrong token");
  }
}

export const token = {
  get: () => sessionStorage.getItem(KEY) ?? "",
  set: (t: string) => sessionStorage.setItem(KEY, t),
  clear: () => sessionStorage.removeItem(KEY),
};

let onUnauthorized: () => void = () => {};
export function whenUnauthorized(f: () => void) {
  onUnauthorized = f;
}

async function call(path: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  headers.set("Authorization", `Bearer ${token.get()}`);
  const r = await fetch(path, { ...init, headers });
  if (r.status === 401) {
    token.clear();
    onUnauthorized();
    throw new Unauthorized();
  }
  if (!r.ok) {
    let msg = `${r.status} ${r.statusText}`;
    try {
      const body = await r.text();
      try {
        const j = JSON.parse(body);
        msg = j.message || j.Message || j.error || msg;
      } catch {
        if (body) msg = body.slice(0, 300);
      }
    } catch {
      /* keep the status */
    }
    throw new Error(`${path.split("?")[0]}: ${msg}`);
  }
  return r;
}

export async function getJSON<T>(path: string): Promise<T> {
  return (await call(path)).json() as Promise<T>;
}

export async function getText(path: string): Promise<string> {
  return (await call(path)).text();
}

// stream reads a server-sent events stream with fetch (EventSource cannot
// send the Authorization header) until the signal aborts it; it reconnects
// after errors.
export async function stream(path: string, signal: AbortSignal, onEvent: (e: SSEEvent) => void, onState: (s: string) => void): Promise<void> {
  let backoff = 1000;
  while (!signal.aborted) {
    try {
      const r = await call(path, { signal, headers: { Accept: "text/event-stream" } });
      onState("live");
      backoff = 1000;
      const reader = r.body!.getReader();
      const dec = new TextDecoder();
      const p = new SSEParser();
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        for (const e of p.push(dec.decode(value, { stream: true }))) onEvent(e);
      }
    } catch (e) {
      if (signal.aborted || e instanceof Unauthorized) return;
      onState("reconnecting");
    }
    if (signal.aborted) return;
    await new Promise((res) => setTimeout(res, backoff));
    backoff = Math.min(backoff * 2, 15000);
  }
}
