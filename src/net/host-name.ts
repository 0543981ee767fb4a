/**
 * One spelling per host, so that a deny on `169.254.169.254` or `evil.com` cannot
 * be stepped around with `0xa9fea9fe`, `2852039166`, `[::ffff:a9fe:a9fe]`,
 * `EVIL.com.` or a Unicode look-alike. The WHATWG URL parser (in every runtime
 * we target) does the IDNA and IPv4-spelling work; we add what it leaves alone.
 */
export type HostResult = { ok: true; host: string } | { ok: false; reason: string };

// Characters that would change what a URL parser takes as the host.
const STRUCTURAL = /[\s/\\?#@\u0000-\u001f\u007f]/;

// A plain DNS name whose last label is not numeric (so no IPv4 reading) and
// with no punycode to validate is already what the URL parser would return.
const PLAIN_NAME = /^[a-z0-9-]+(\.[a-z0-9-]+)*\.?$/i;
const NUMERIC_LAST = /(^|\.)(\d+|0x[0-9a-f]*)\.?$/i;

export function normalizeHost(raw: string): HostResult {
  if (raw.length === 0) return { ok: false, reason: "host is empty" };
  if (raw.length <= 253 && PLAIN_NAME.test(raw) && !NUMERIC_LAST.test(raw) && !raw.includes("xn--") && !raw.includes("XN--")) {
    return { ok: true, host: canonicalHostname(raw) };
  }
  if (raw.length > 1024) return { ok: false, reason: "host is longer than 1024 characters" };
  if (STRUCTURAL.test(raw)) return { ok: false, reason: `host \`${printable(raw)}\` contains characters a host cannot have` };
  let candidate = raw;
  const colons = raw.split(":").length - 1;
  if (colons >= 2 && !raw.startsWith("[")) candidate = `[${raw}]`;
  else if (colons === 1 && !raw.startsWith("[")) return { ok: false, reason: `host \`${raw}\` has a port; give the port in \`port\`` };
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

/** Finishes a WHATWG `hostname`: no trailing dot, no brackets, IPv4 inside IPv6 unwrapped. */
export function canonicalHostname(hostname: string): string {
  let h = hostname.toLowerCase();
  if (h.startsWith("[") && h.endsWith("]")) {
    h = h.slice(1, -1);
    return embeddedIPv4(h) ?? h;
  }
  while (h.endsWith(".")) h = h.slice(0, -1);
  return h;
}

// IPv4-mapped (::ffff:a.b.c.d), IPv4-compatible (::a.b.c.d) and NAT64 (64:ff9b::a.b.c.d)
// addresses all reach the IPv4 host on common stacks, so they are that host.
const EMBEDDED = /^(?:::ffff:|::|64:ff9b::)([0-9a-f]{1,4}):([0-9a-f]{1,4})$/;

function embeddedIPv4(ipv6: string): string | undefined {
  const m = EMBEDDED.exec(ipv6);
  if (!m) return undefined;
  const hi = parseInt(m[1]!, 16);
  const lo = parseInt(m[2]!, 16);
  return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
}

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/** The 32-bit value of a canonical dotted quad, or undefined. */
export function ipv4ToInt(host: string): number | undefined {
  const m = IPV4.exec(host);
  if (!m) return undefined;
  let n = 0;
  for (let i = 1; i <= 4; i++) {
    const o = Number(m[i]);
    if (o > 255) return undefined;
    n = n * 256 + o;
  }
  return n;
}

export function printable(s: string): string {
  return JSON.stringify(s).slice(1, -1);
}
