import { inRange, parseAddress, parseRange } from "../net/ip-address.js";
import { normalizeHost } from "../net/host-name.js";
import { hostSet, hostSetTest, HOST_SET_NAMES } from "../net/named-sets.js";
import { compileWildcard, GLOB_META } from "./wildcard.js";

/**
 * Host patterns, tested against canonical hosts (net/host-name.ts):
 * - `*` any host; `*.internal` any subdomain at any depth, never `internal` itself
 *   nor `evilinternal`; `smtp.*` any host whose first label is `smtp`;
 * - `10.0.0.0/8`, `fd00:ec2::/32`, `[fe80::]/10` a CIDR block of either family
 *   (IPv4 is ::ffff:0:0/96 of the one address space, see net/ip-address.ts);
 * - `@metadata`, `@loopback`, `@private` a built-in set (net/named-sets.ts);
 * - a literal host, bracketed IPv6 included, is normalized like a request's
 *   host, so `0xa9fea9fe` means `169.254.169.254` and `[::1]` means `::1`;
 * - anything else with glob characters is a case-insensitive glob over names.
 *   A glob of numbers (`10.*`, `192.168.*.*`) is a glob over the canonical
 *   dotted quad of IPv4 hosts only; an IPv6 glob (`fd00:*`) is refused, since
 *   compressed IPv6 text does not glob reliably: write a CIDR block.
 */
export type HostPatternKey =
  { kind: "exact"; host: string } | { kind: "suffix"; suffix: string } | { kind: "first-label"; label: string } | { kind: "any" } | { kind: "none" };

export interface HostMatcher {
  test(host: string): boolean;
  key: HostPatternKey;
  /** text every matching (canonical, lower-case) host contains, for the index when `key` gives none */
  factors?: readonly string[] | undefined;
}

export type HostPatternResult = { ok: true; matcher: HostMatcher } | { ok: false; reason: string };

const NUMERIC_LABEL = /^(?:\d+|0x[0-9a-f]*)$/i;
// The dots UTS 46 treats as label separators.
const DOTS = /[.\u3002\uff0e\uff61]/;

export function compileHostPattern(pattern: string): HostPatternResult {
  if (pattern === "*") return ok(() => true, { kind: "any" });
  if (pattern.startsWith("@")) return namedSet(pattern);
  if (pattern.includes("/")) {
    const r = parseRange(pattern);
    if (!r.ok) return r;
    const block = r.range;
    return ok(
      (h) => {
        const a = parseAddress(h);
        return a !== undefined && inRange(a, block);
      },
      { kind: "none" },
    );
  }
  if (pattern.startsWith("[") && pattern.endsWith("]") && !pattern.slice(1, -1).includes("[")) return literal(pattern);
  if (pattern.includes(":")) {
    if (!GLOB_META.test(pattern)) return literal(pattern);
    return {
      ok: false,
      reason: `\`${pattern}\`: an IPv6 host pattern is an address (\`fd00:ec2::254\`, \`[::1]\`) or a CIDR block (\`fd00:ec2::/32\`), not a glob`,
    };
  }
  if (GLOB_META.test(pattern) && ipv4Like(pattern)) return ipv4Glob(pattern);
  if (pattern.startsWith("*.") && !GLOB_META.test(pattern.slice(2))) {
    const rest = pattern.slice(2);
    const n = normalizeHost(rest);
    if (!n.ok) return n;
    const suffix = "." + n.host;
    return ok((h) => h.endsWith(suffix), { kind: "suffix", suffix: n.host });
  }
  if (pattern.endsWith(".*") && !GLOB_META.test(pattern.slice(0, -2))) {
    const first = pattern.slice(0, -2);
    const n = normalizeHost(first);
    if (!n.ok) return n;
    const prefix = n.host + ".";
    return ok((h) => h.startsWith(prefix) && h.length > prefix.length, { kind: "first-label", label: n.host });
  }
  if (GLOB_META.test(pattern)) return nameGlob(pattern);
  return literal(pattern);
}

function literal(pattern: string): HostPatternResult {
  const n = normalizeHost(pattern);
  if (!n.ok) return n;
  const exact = n.host;
  return ok((h) => h === exact, { kind: "exact", host: exact });
}

function namedSet(pattern: string): HostPatternResult {
  const set = hostSet(pattern.slice(1));
  if (!set) return { ok: false, reason: `\`${pattern}\` is not a built-in host set (known: ${HOST_SET_NAMES.join(", ")})` };
  return ok(hostSetTest(set), { kind: "none" });
}

/**
 * A glob over names: literal labels are brought to their canonical form (lower
 * case, punycode) so `*.bücher.example` and `api-*.EXAMPLE.com.` match what a
 * request's host becomes; a label mixing glob characters and non-ASCII text
 * has no single punycode form and is refused.
 */
function nameGlob(pattern: string): HostPatternResult {
  const labels = pattern.replace(/[.\u3002\uff0e\uff61]+$/, "").split(DOTS);
  const out: string[] = [];
  for (const label of labels) {
    if (label === "") return { ok: false, reason: `\`${pattern}\` has an empty label` };
    if (GLOB_META.test(label)) {
      if (/[^\x00-\x7f]/.test(label))
        return { ok: false, reason: `\`${pattern}\`: the label \`${label}\` mixes glob characters and non-ASCII text; write it in punycode (xn--...)` };
      out.push(label.toLowerCase());
      continue;
    }
    const n = normalizeHost(label);
    if (!n.ok) return { ok: false, reason: `\`${pattern}\`: ${n.reason}` };
    out.push(n.host);
  }
  const m = compileWildcard(out.join("."), { caseInsensitive: true });
  // The factors are lower case, as canonical hosts are (net/host-name.ts), so they are text of the host itself.
  return ok((h) => m.test(h), { kind: "none" }, m.factors);
}

const GLOB_TOKEN = /[*?]|\[[^\]]*\]|\{[^}]*\}/g;

/** `10.*`, `192.168.*.*`, `*.254`: every label a number or a glob. */
function ipv4Like(pattern: string): boolean {
  return pattern
    .replace(/\.$/, "")
    .split(".")
    .every((l) => NUMERIC_LABEL.test(l.replace(GLOB_TOKEN, "0")));
}

/**
 * A text glob over IPv4 addresses, tested against the canonical dotted quad
 * (every spelling of an address becomes that text first) and never against a
 * name, so `10.*` covers 10.1.2.3 and `0x0a.1.2.3` but not `10.evil.com`.
 */
function ipv4Glob(pattern: string): HostPatternResult {
  const text = pattern.replace(/\.$/, "");
  for (const label of text.split(".")) {
    if (!GLOB_META.test(label) && !/^(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/.test(label)) {
      return {
        ok: false,
        reason: `\`${pattern}\`: \`${label}\` is not a decimal number 0-255; an address pattern is written in plain decimal (or as a CIDR block such as 10.0.0.0/8)`,
      };
    }
  }
  const m = compileWildcard(text);
  return ok((h) => IPV4_HOST.test(h) && m.test(h), { kind: "none" }, m.factors);
}

const IPV4_HOST = /^\d+\.\d+\.\d+\.\d+$/;

function ok(test: (h: string) => boolean, key: HostPatternKey, factors?: readonly string[]): HostPatternResult {
  return { ok: true, matcher: { test, key, factors } };
}
