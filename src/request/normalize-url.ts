import { canonicalHostname, normalizeHost, printable } from "../net/host-name.js";

/**
 * A URL is taken apart by the WHATWG parser, the one browsers and fetch use, so
 * `https://api.openai.com@evil.com/`, `https://evil.com\@api.openai.com`,
 * fragments and percent-encoding give the host the request really goes to.
 */
export interface NetworkTarget {
  url?: string;
  scheme: string;
  host: string;
  port: number;
}

export type UrlResult = { ok: true; target: NetworkTarget } | { ok: false; reason: string };

export const MAX_URL_LENGTH = 8192;

const DEFAULT_PORTS: Record<string, number> = { "http:": 80, "https:": 443, "ws:": 80, "wss:": 443, "ftp:": 21 };

export function normalizeUrl(raw: string): UrlResult {
  if (raw.length > MAX_URL_LENGTH) return { ok: false, reason: `url is longer than ${MAX_URL_LENGTH} characters` };
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    return { ok: false, reason: `url \`${printable(raw.slice(0, 200))}\` is not an absolute URL` };
  }
  const defaultPort = DEFAULT_PORTS[u.protocol];
  // Only schemes whose host the WHATWG parser understands can be checked by host.
  if (defaultPort === undefined) return { ok: false, reason: `url scheme \`${u.protocol}\` is not supported (http, https, ws, wss, ftp)` };
  if (u.hostname === "") return { ok: false, reason: "url has no host" };
  // Credentials in a URL are a known way to confuse readers about the host; the
  // host is already correct, but the secret must not travel into the audit trail,
  // and the fragment never reaches the server.
  const href = `${u.protocol}//${u.host}${u.pathname}${u.search}`;
  const host = canonicalHostname(u.hostname);
  return {
    ok: true,
    target: { url: href, scheme: u.protocol.slice(0, -1), host, port: u.port === "" ? defaultPort : Number(u.port) },
  };
}

export function normalizeHostTarget(rawHost: string, port: number | undefined, scheme: string | undefined): UrlResult {
  const h = normalizeHost(rawHost);
  if (!h.ok) return h;
  const s = (scheme ?? "https").toLowerCase();
  return { ok: true, target: { scheme: s, host: h.host, port: port ?? DEFAULT_PORTS[s + ":"] ?? 443 } };
}
