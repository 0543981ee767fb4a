import { ConfigError } from "../runtime-config.js";

/**
 * Settings only the Node server has: its HTTP timeouts, how long a shutdown
 * waits for the audit trail, where what it could not deliver is spilled, and
 * which header (if any) names the client behind a proxy. Validated like the
 * shared settings: a bad value stops the server at start with a message
 * naming the setting, never a silent default.
 */
export interface ServerSettings {
  /** the request line and headers must arrive within this (Node's default: 60 s) */
  headersTimeoutMs: number;
  /** the whole request, body included, must arrive within this (Node's default: 300 s) */
  requestTimeoutMs: number;
  /** an idle keep-alive connection is closed after this */
  keepAliveTimeoutMs: number;
  /** SIGTERM/SIGINT: how long to keep delivering the audit queue before spilling it */
  shutdownWaitMs: number;
  /** a file the undelivered records are appended to at shutdown (and named at the next start) */
  spillPath?: string;
  /** a header the deployment's proxy sets to the client address (Fly: fly-client-ip); unset: the socket's peer */
  clientIpHeader?: string;
}

/*
 * Defaults. A caller sends one small JSON body (at most 64 KiB, 256 KiB for a
 * batch) and gets an answer in microseconds, so a legitimate request never
 * needs long: 10 s for the headers and 30 s for the whole request still carry
 * a 256 KiB batch over a 70 kbit/s link, while a client that dribbles its
 * headers or body (slowloris) now holds a socket for 10-30 s, not Node's 60-300 s.
 * Keep-alive stays at Node's 5 s: long enough for an agent's next call to reuse
 * the connection, short enough that idle sockets do not pile up. The shutdown
 * wait of 3 s leaves 2 s of Fly's 5 s kill timeout for the spill and exit.
 */
const SETTINGS = [
  ["SAFECLAW_HTTP_HEADERS_TIMEOUT_MS", "headersTimeoutMs", 10_000, 100, 600_000],
  ["SAFECLAW_HTTP_REQUEST_TIMEOUT_MS", "requestTimeoutMs", 30_000, 100, 3_600_000],
  ["SAFECLAW_HTTP_KEEPALIVE_TIMEOUT_MS", "keepAliveTimeoutMs", 5_000, 100, 600_000],
  ["SAFECLAW_SHUTDOWN_WAIT_MS", "shutdownWaitMs", 3_000, 0, 600_000],
] as const;

/** An HTTP header name (RFC 9110 token), lower-cased as Node and Hono look it up. */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,64}$/;

export function serverSettings(env: Record<string, string | undefined>): ServerSettings {
  const s = {} as ServerSettings;
  for (const [name, key, fallback, min, max] of SETTINGS) {
    const raw = env[name];
    if (raw === undefined || raw.trim() === "") {
      s[key] = fallback;
      continue;
    }
    const n = Number(raw);
    if (!/^[0-9]+$/.test(raw.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
      throw new ConfigError(name, `${name} \`${raw.slice(0, 32)}\` is not an integer from ${min} to ${max}`);
    }
    s[key] = n;
  }
  // Node refuses a headers timeout longer than the request timeout (the headers are part of the request).
  if (s.headersTimeoutMs > s.requestTimeoutMs) {
    throw new ConfigError(
      "SAFECLAW_HTTP_HEADERS_TIMEOUT_MS",
      `SAFECLAW_HTTP_HEADERS_TIMEOUT_MS (${s.headersTimeoutMs}) is longer than SAFECLAW_HTTP_REQUEST_TIMEOUT_MS (${s.requestTimeoutMs}); the headers are part of the request`,
    );
  }
  const spill = env.SAFECLAW_AUDIT_SPILL;
  if (spill !== undefined && spill !== "") s.spillPath = spill;
  const header = env.SAFECLAW_CLIENT_IP_HEADER;
  if (header !== undefined && header !== "") {
    if (!HEADER_NAME.test(header))
      throw new ConfigError("SAFECLAW_CLIENT_IP_HEADER", `SAFECLAW_CLIENT_IP_HEADER \`${header.slice(0, 64)}\` is not a header name`);
    s.clientIpHeader = header.toLowerCase();
  }
  return s;
}
