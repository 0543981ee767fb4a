import { ambiguousIPv4 } from "./host-name.js";

/**
 * The part of a URL every HTTP client must read the same way: scheme, userinfo,
 * host, port. The WHATWG parser (browsers, fetch, Node) is lenient where curl,
 * Python's urllib and Go's net/url are not, and each is lenient differently:
 * `http://a.com\@b.com/` is a.com to WHATWG and b.com to curl and Python. So a
 * URL is accepted only in the shape on which they all agree (RFC 3986, plain
 * characters), and anything else is uncertain with a reason that says what to
 * write instead. test/network-differential.test.ts checks this against curl
 * and Python, and against Go's rules written down as data.
 */
export type AuthorityResult =
  | { ok: true; scheme: string; host: string; port: string | undefined; zone: string | undefined; afterScheme: string }
  | { ok: false; uncertain: boolean; reason: string };

// C0/C1 controls, space, DEL, and the Unicode spaces and invisible format
// characters (bidi overrides, zero-width) that some readers drop or stop at.
const INVISIBLE = /[\u0000-\u0020\u007f-\u00a0\u00ad\u1680\u180e\u2000-\u200f\u2028-\u202f\u205f-\u2064\u2066-\u206f\u3000\ufeff\ufff9-\ufffb]/;
const SCHEME = /^([A-Za-z][A-Za-z0-9+.-]*):/;
const USERINFO = /^(?:[A-Za-z0-9._~!$&'()*+,;=:-]|%[0-9A-Fa-f]{2})*$/;
const IP_LITERAL = /^\[([0-9A-Fa-f:.]+)(?:%25([A-Za-z0-9._~-]+))?\]$/;
const ASCII_NAME = /^[A-Za-z0-9._-]+$/;
// IDNA 2008 and UTS 46 (WHATWG, curl's libidn2) map these differently from
// IDNA 2003 (Python's `idna` codec): faß.de is xn--fa-hia.de or fass.de.
const IDNA_DEVIATIONS = /[\u00df\u03c2\u200c\u200d]/;
// Non-ASCII host text is letters, marks and digits (after compatibility
// normalization), and the dots UTS 46 treats as dots, nothing that could
// become `/`, `@`, `:` or `.` under one reader's mapping and not another's.
const IDN_CHAR = /^[\p{L}\p{M}\p{N}-]+$/u;
const IDN_DOTS = new Set(["\u3002", "\uff0e", "\uff61"]);

export function splitAuthority(raw: string, schemes: ReadonlySet<string>): AuthorityResult {
  const hidden = INVISIBLE.exec(raw);
  if (hidden)
    return uncertain(`url contains ${describeChar(hidden[0])}, which URL readers drop, keep or stop at differently; percent-encode it (${percent(hidden[0])})`);
  if (raw.includes("\\")) return uncertain("url contains `\\`, which WHATWG reads as `/` and curl and Python as data; write it as %5C");
  const s = SCHEME.exec(raw);
  if (!s) return invalid(`url \`${raw.slice(0, 200)}\` is not an absolute URL (scheme://host/...)`);
  const scheme = s[1]!.toLowerCase();
  if (!schemes.has(scheme)) return invalid(`url scheme \`${scheme.slice(0, 40)}:\` is not supported (${[...schemes].join(", ")})`);
  const afterScheme = raw.slice(s[0].length);
  if (!afterScheme.startsWith("//") || afterScheme.startsWith("///")) {
    return uncertain(
      `url \`${raw.slice(0, 200)}\` does not have \`//\` and a host after \`${scheme}:\`; WHATWG guesses a host there and other readers a path; write ${scheme}://host/...`,
    );
  }
  const rest = afterScheme.slice(2);
  const end = rest.search(/[/?#]/);
  const authority = end < 0 ? rest : rest.slice(0, end);
  const at = authority.lastIndexOf("@");
  if (at >= 0) {
    const userinfo = authority.slice(0, at);
    if (userinfo.includes("@")) return uncertain("url has more than one `@` before the host; percent-encode `@` in credentials as %40");
    if (!USERINFO.test(userinfo)) return uncertain("url credentials contain characters readers split differently; percent-encode them");
  }
  const hostPort = authority.slice(at + 1);
  let host: string;
  let port: string | undefined;
  let zone: string | undefined;
  if (hostPort.startsWith("[")) {
    const close = hostPort.indexOf("]");
    const literal = close < 0 ? hostPort : hostPort.slice(0, close + 1);
    const m = IP_LITERAL.exec(literal);
    if (!m)
      return literal.includes("%")
        ? uncertain("an IPv6 zone id is written %25 and unreserved characters (`[fe80::1%25eth0]`)")
        : invalid(`url host \`${literal}\` is not a bracketed IPv6 address`);
    host = `[${m[1]}]`;
    zone = m[2];
    const tail = hostPort.slice(literal.length);
    if (tail !== "" && !tail.startsWith(":")) return invalid(`url has \`${tail}\` after the IPv6 address`);
    if (tail !== "") port = tail.slice(1);
  } else {
    const colon = hostPort.lastIndexOf(":");
    host = colon < 0 ? hostPort : hostPort.slice(0, colon);
    if (colon >= 0) port = hostPort.slice(colon + 1);
    if (host.includes(":")) return invalid(`url host \`${host}\` contains \`:\`; an IPv6 address goes in brackets`);
    if (host.includes("%"))
      return uncertain("url host is percent-encoded, which curl and WHATWG decode and Python and Go do not; write the host as plain text");
    const name = nameProblem(host);
    if (name) return name;
  }
  if (host === "" || host === "[]") return invalid("url has no host");
  if (port !== undefined) {
    if (port === "") return uncertain("url has `:` and no port after the host; drop the `:` or give the port");
    if (!/^\d+$/.test(port)) return invalid(`url port \`${port}\` is not a number`);
    if (port.startsWith("0")) return uncertain(`url port \`${port}\` has a leading zero; write ${Number(port) || "a port from 1 to 65535"}`);
    if (Number(port) > 65535) return invalid(`url port ${port} is larger than 65535`);
  }
  return { ok: true, scheme, host, port, zone, afterScheme };
}

function nameProblem(host: string): AuthorityResult | undefined {
  if (ASCII_NAME.test(host)) {
    const odd = ambiguousIPv4(host);
    if (odd !== undefined) return uncertain(`url host \`${host}\` is ${odd} to WHATWG and a DNS name to the C library (curl, Python, Go); write ${odd}`);
    return undefined;
  }
  if (/^[\x00-\x7f]*$/.test(host)) return invalid(`url host \`${host}\` contains characters a host name cannot have`);
  if (IDNA_DEVIATIONS.test(host))
    return uncertain(`url host \`${host}\` contains ß, ς or a zero-width joiner, which IDNA 2003 and 2008 map to different hosts; write the host in punycode`);
  for (const ch of host) {
    if (/[A-Za-z0-9._-]/.test(ch) || IDN_DOTS.has(ch)) continue;
    if (/[\x00-\x7f]/.test(ch) || !IDN_CHAR.test(ch.normalize("NFKC"))) {
      return uncertain(
        `url host \`${host}\` contains \`${ch}\` (U+${ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")}), which is not a letter or digit and maps differently between readers; write the host in punycode`,
      );
    }
  }
  return undefined;
}

function describeChar(c: string): string {
  if (c === " ") return "a space";
  if (c === "\t") return "a tab";
  if (c === "\n") return "a line feed";
  if (c === "\r") return "a carriage return";
  return `U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")}`;
}

function percent(c: string): string {
  return [...new TextEncoder().encode(c)].map((b) => "%" + b.toString(16).toUpperCase().padStart(2, "0")).join("");
}

function uncertain(reason: string): AuthorityResult {
  return { ok: false, uncertain: true, reason: `uncertain: ${reason}` };
}

function invalid(reason: string): AuthorityResult {
  return { ok: false, uncertain: false, reason };
}
