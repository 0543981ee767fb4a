import { embeddedIPv4 } from "./embedded-ipv4.js";
import { formatAddress, parseAddress } from "./ip-address.js";

/**
 * One spelling per host, so that a deny on `169.254.169.254` or `evil.com` cannot
 * be stepped around with `0xa9fea9fe`, `2852039166`, `[::ffff:a9fe:a9fe]`,
 * `EVIL.com.` or a Unicode look-alike. The WHATWG URL parser (in every runtime
 * we target) does the IDNA and IPv4-spelling work; we add what it leaves alone:
 * brackets, zone ids, IPv4-mapped IPv6 written as the IPv4 address it is.
 */
export type HostResult = { ok: true; host: string } | { ok: false; reason: string };

// Characters that would change what a URL parser takes as the host.
const STRUCTURAL = /[\s/\\?#@%\u0000-\u001f\u007f]/;

// A plain DNS name whose last label is not numeric (so no IPv4 reading) and
// with no punycode to validate is already what the URL parser would return.
const PLAIN_NAME = /^[a-z0-9-]+(\.[a-z0-9-]+)*\.?$/i;
const NUMERIC_LAST = /(^|\.)(\d+|0x[0-9a-f]*)\.?$/i;

// An IPv6 address with a zone id (`fe80::1%eth0`, `[fe80::1%25eth0]`): the zone
// picks the interface, not the address, so it is dropped for matching.
// The address part must hold a `:` (an IPv4 address or a name has no zone).
const ZONED = /^(?:\[([0-9a-f.]*:[0-9a-f:.]*)%([\w.~-]+)\]|([0-9a-f.]*:[0-9a-f:.]*)%([\w.~-]+))$/i;

export function normalizeHost(raw: string): HostResult {
  if (raw.length === 0) return { ok: false, reason: "host is empty" };
  if (raw.length <= 253 && PLAIN_NAME.test(raw) && !NUMERIC_LAST.test(raw) && !raw.includes("xn--") && !raw.includes("XN--")) {
    return { ok: true, host: canonicalHostname(raw) };
  }
  if (raw.length > 1024) return { ok: false, reason: "host is longer than 1024 characters" };
  let candidate = raw;
  if (raw.includes("%")) {
    const z = ZONED.exec(raw);
    if (!z) return { ok: false, reason: `host \`${printable(raw)}\` contains \`%\`: a host name is not percent-encoded (only an IPv6 zone id follows \`%\`)` };
    candidate = z[1] ?? z[3]!;
  }
  if (STRUCTURAL.test(candidate)) return { ok: false, reason: `host \`${printable(raw)}\` contains characters a host cannot have` };
  const colons = candidate.split(":").length - 1;
  if (colons >= 2 && !candidate.startsWith("[")) candidate = `[${candidate}]`;
  else if ((colons === 1 && !candidate.startsWith("[")) || (candidate.startsWith("[") && !candidate.endsWith("]"))) {
    // `[::1]:80` too: WHATWG would drop a default port silently
    return { ok: false, reason: `host \`${printable(raw)}\` has a port; give the port in \`port\`` };
  }
  let hostname: string;
  try {
    const u = new URL(`http://${candidate}/`);
    if (u.port !== "" || u.username !== "" || u.password !== "") {
      return { ok: false, reason: `host \`${raw}\` is not a bare host name` };
    }
    hostname = u.hostname;
  } catch {
    return { ok: false, reason: `host \`${printable(raw)}\` is not a valid host name` };
  }
  return { ok: true, host: canonicalHostname(hostname) };
}

/** Finishes a WHATWG `hostname`: no trailing dot, no brackets, IPv4-mapped IPv6 as the IPv4 address. */
export function canonicalHostname(hostname: string): string {
  let h = hostname.toLowerCase();
  if (h.startsWith("[") && h.endsWith("]")) {
    h = h.slice(1, -1);
    const a = parseAddress(h);
    return a ? formatAddress(a) : h;
  }
  while (h.endsWith(".")) h = h.slice(0, -1);
  return h;
}

/**
 * Every host a request to `host` (canonical) is checked as: the host itself,
 * then each IPv4 address embedded in it (NAT64, 6to4, Teredo, ...). All must be
 * allowed, so a deny on either form holds; see embedded-ipv4.ts.
 */
export function hostForms(host: string): string[] {
  if (!host.includes(":")) return [host];
  const a = parseAddress(host);
  if (!a) return [host];
  return [host, ...embeddedIPv4(a).map((e) => e.ipv4)];
}

/**
 * When `raw` is an IPv4 address to WHATWG but not to the C library's inet_aton
 * (`1.2.3.4.`, `0x.1.2.3`), the address WHATWG means; otherwise undefined.
 * curl, Python and Go's cgo resolver hand such a host to getaddrinfo, which
 * looks it up as a DNS name (a search domain can point it anywhere), so a
 * request that spells an address this way is uncertain. The spellings both
 * read alike (`0xa9fea9fe`, `2852039166`, `0251.0376.0251.0376`, `1.2.3`) are
 * the address.
 */
export function ambiguousIPv4(raw: string): string | undefined {
  if (raw.includes(":") || !NUMERIC_LAST.test(raw)) return undefined; // IPv6 text is read strictly by every parser
  const n = normalizeHost(raw);
  if (!n.ok || !IPV4_TEXT.test(n.host) || INET_ATON.test(raw)) return undefined;
  return n.host;
}

const IPV4_TEXT = /^\d+\.\d+\.\d+\.\d+$/;
// What glibc's inet_aton accepts: 1 to 4 parts, each decimal, octal (leading 0) or hex (0x and digits).
const INET_ATON = /^(?:0x[0-9a-f]+|0[0-7]*|[1-9]\d*)(?:\.(?:0x[0-9a-f]+|0[0-7]*|[1-9]\d*)){0,3}$/i;

export function printable(s: string): string {
  return JSON.stringify(s).slice(1, -1);
}
