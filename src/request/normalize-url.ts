import { canonicalHostname, normalizeHost, ambiguousIPv4, printable } from "../net/host-name.js";
import { splitAuthority } from "../net/url-authority.js";
import { canonicalEscapes, serverReading } from "../net/url-path.js";

/**
 * A URL is read twice: once by splitting its authority the way curl, Python
 * and Go do (net/url-authority.ts, which refuses every shape on which they and
 * WHATWG part ways), and once by the WHATWG parser, the one fetch uses, for
 * IDNA, IPv4 spellings and the canonical href. The two readings of the host
 * must agree, or the request is uncertain.
 */
export interface NetworkTarget {
  url?: string;
  /** the same URL as a server that decodes more of its path would route it (see url-path.ts); checked too */
  serverUrl?: string;
  scheme: string;
  host: string;
  port: number;
}

export type UrlResult = { ok: true; target: NetworkTarget } | { ok: false; reason: string; uncertain?: boolean; field?: "scheme" };

export const MAX_URL_LENGTH = 8192;

/** The schemes whose host the engine can check, for both the `url` and the `host` form. */
export const DEFAULT_PORTS: Readonly<Record<string, number>> = { http: 80, https: 443, ws: 80, wss: 443, ftp: 21 };
const SCHEMES = Object.keys(DEFAULT_PORTS).join(", ");
const SCHEME_SET: ReadonlySet<string> = new Set(Object.keys(DEFAULT_PORTS));

export function normalizeUrl(raw: string): UrlResult {
  if (raw.length > MAX_URL_LENGTH) return { ok: false, reason: `url is longer than ${MAX_URL_LENGTH} characters` };
  const split = splitAuthority(raw, SCHEME_SET);
  if (!split.ok) return split.uncertain ? { ok: false, reason: split.reason, uncertain: true } : { ok: false, reason: split.reason };
  // Only schemes whose host the WHATWG parser understands can be checked by host (splitAuthority refuses others).
  const defaultPort = DEFAULT_PORTS[split.scheme]!;
  // WHATWG has no zone ids; the zone picks an interface, not a host, so it is dropped.
  const whatwgText = split.zone === undefined ? raw : raw.replace(`%25${split.zone}]`, "]");
  let u: URL;
  try {
    u = new URL(whatwgText);
  } catch {
    return { ok: false, reason: `url \`${printable(raw.slice(0, 200))}\` is not a valid URL` };
  }
  if (u.hostname === "") return { ok: false, reason: "url has no host" };
  const host = canonicalHostname(u.hostname);
  const ours = normalizeHost(split.host);
  if (!ours.ok || ours.host !== host) {
    return {
      ok: false,
      uncertain: true,
      reason: `uncertain: URL readers disagree on the host of \`${printable(raw.slice(0, 200))}\` (${host} or ${ours.ok ? ours.host : split.host})`,
    };
  }
  const port = split.port === undefined ? defaultPort : Number(split.port);
  if (port === 0) return { ok: false, reason: "url port must be from 1 to 65535" };
  if ((u.port === "" ? defaultPort : Number(u.port)) !== port)
    return { ok: false, uncertain: true, reason: `uncertain: URL readers disagree on the port of \`${printable(raw.slice(0, 200))}\`` };
  // Credentials in a URL are a known way to confuse readers about the host; the
  // host is already correct, but the secret must not travel into the audit trail,
  // and the fragment never reaches the server. The host is written as the rules
  // see it (no trailing dot, an IPv4-mapped address as its IPv4 address), and the
  // path with one spelling per character, so `url` rules read the URL the server gets.
  const origin = `${u.protocol}//${host.includes(":") ? `[${host}]` : host}${u.port === "" ? "" : `:${u.port}`}`;
  const path = canonicalEscapes(u.pathname);
  const search = canonicalEscapes(u.search);
  const target: NetworkTarget = { url: `${origin}${path}${search}`, scheme: split.scheme, host, port };
  const server = serverReading(path);
  if (server !== undefined) target.serverUrl = `${origin}${server}${search}`;
  return { ok: true, target };
}

export function normalizeHostTarget(rawHost: string, port: number | undefined, scheme: string | undefined): UrlResult {
  const s = (scheme ?? "https").toLowerCase();
  if (!Object.hasOwn(DEFAULT_PORTS, s)) return { ok: false, field: "scheme", reason: `scheme \`${printable(s)}\` is not supported (${SCHEMES})` };
  const h = normalizeHost(rawHost);
  if (!h.ok) return h;
  const odd = ambiguousIPv4(rawHost);
  if (odd !== undefined)
    return {
      ok: false,
      uncertain: true,
      reason: `uncertain: host \`${printable(rawHost)}\` is ${odd} to WHATWG and a DNS name to the C library; write ${odd}`,
    };
  return { ok: true, target: { scheme: s, host: h.host, port: port ?? DEFAULT_PORTS[s]! } };
}
