import { ipv4ToInt, normalizeHost } from "../net/host-name.js";
import { compileWildcard, GLOB_META } from "./wildcard.js";

/**
 * Host patterns:
 * - `*` any host; `*.internal` any subdomain at any depth, never `internal` itself
 *   nor `evilinternal`; `smtp.*` any host whose first label is `smtp`;
 * - `10.0.0.0/8` an IPv4 CIDR block; a literal host is normalized like a request's
 *   host, so `0xa9fea9fe` in a policy means `169.254.169.254`;
 * - anything else with glob characters is a case-insensitive glob.
 */
export type HostPatternKey =
  | { kind: "exact"; host: string }
  | { kind: "suffix"; suffix: string }
  | { kind: "first-label"; label: string }
  | { kind: "any" }
  | { kind: "none" };

export interface HostMatcher {
  test(host: string): boolean;
  key: HostPatternKey;
}

export type HostPatternResult = { ok: true; matcher: HostMatcher } | { ok: false; reason: string };

export function compileHostPattern(pattern: string): HostPatternResult {
  if (pattern === "*") return ok(() => true, { kind: "any" });
  const cidr = /^(\d+\.\d+\.\d+\.\d+)\/(\d{1,2})$/.exec(pattern);
  if (cidr) {
    const base = ipv4ToInt(cidr[1]!);
    const bits = Number(cidr[2]);
    if (base === undefined || bits > 32) return { ok: false, reason: `\`${pattern}\` is not a valid IPv4 CIDR block` };
    const size = 2 ** (32 - bits);
    const start = base - (base % size);
    return ok((h) => {
      const n = ipv4ToInt(h);
      return n !== undefined && n >= start && n < start + size;
    }, { kind: "none" });
  }
  if (pattern.startsWith("*.") && !GLOB_META.test(pattern.slice(2))) {
    const n = normalizeHost(pattern.slice(2));
    if (!n.ok) return n;
    const suffix = "." + n.host;
    return ok((h) => h.endsWith(suffix), { kind: "suffix", suffix: n.host });
  }
  if (pattern.endsWith(".*") && !GLOB_META.test(pattern.slice(0, -2))) {
    const n = normalizeHost(pattern.slice(0, -2));
    if (!n.ok) return n;
    const prefix = n.host + ".";
    return ok((h) => h.startsWith(prefix) && h.length > prefix.length, { kind: "first-label", label: n.host });
  }
  if (GLOB_META.test(pattern)) {
    const m = compileWildcard(pattern, { caseInsensitive: true });
    return ok((h) => m.test(h), { kind: "none" });
  }
  const n = normalizeHost(pattern);
  if (!n.ok) return n;
  const exact = n.host;
  return ok((h) => h === exact, { kind: "exact", host: exact });
}

function ok(test: (h: string) => boolean, key: HostPatternKey): HostPatternResult {
  return { ok: true, matcher: { test, key } };
}
