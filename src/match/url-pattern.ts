import { canonicalHostname, normalizeHost } from "../net/host-name.js";
import { canonicalEscapes } from "../net/url-path.js";

/**
 * A `url` condition is compared with the URL as the engine normalizes a
 * request's: lower-case scheme and host, no credentials, no default port, no
 * trailing dot, punycode, an IPv4-mapped address as its IPv4 address, one
 * spelling per escaped character. A pattern written any other way
 * (`HTTPS://Api.Example.com:443/admin*`, `https://user:pw@host/*`) would never
 * match anything, and a deny that never matches is an allow, so the literal
 * scheme and authority at the start of a pattern are brought to that form
 * too. Where the authority holds a wildcard it is only lower-cased (request
 * hosts are lower-case); the path keeps its case.
 */
const GLOB = /[*?[\]{}\\]/;

/** `prefix`: a `startsWith` operand, which may stop anywhere (no `/` is added after the host). */
export function normalizeUrlPattern(pattern: string, opts: { prefix?: boolean } = {}): string {
  const m = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//.exec(pattern);
  if (!m) return pattern;
  const scheme = m[1]!.toLowerCase();
  const rest = pattern.slice(m[0].length);
  const end = rest.search(/[/?#]/);
  // Credentials are never part of a normalized URL: the host is what follows the last `@`.
  const written = end < 0 ? rest : rest.slice(0, end);
  const authority = written.slice(written.lastIndexOf("@") + 1);
  let tail = end < 0 ? "" : rest.slice(end);
  if (GLOB.test(authority)) return `${scheme}://${authority.toLowerCase()}${tail}`;
  let u: URL;
  try {
    u = new URL(`${scheme}://${authority}/`);
  } catch {
    return `${scheme}://${authority}${tail}`;
  }
  const named = normalizeHost(u.hostname);
  const host = canonicalHostname(named.ok ? named.host : u.hostname);
  if (tail === "" && !opts.prefix)
    tail = "/"; // a request URL always has a path
  else if (tail.startsWith("?")) tail = "/" + tail;
  // A prefix that ends at the host keeps its port as written (`:8080` may follow).
  const port = u.port === "" ? (opts.prefix && tail === "" && /:\d*$/.test(authority) ? authority.slice(authority.lastIndexOf(":")) : "") : `:${u.port}`;
  return `${scheme}://${host.includes(":") ? `[${host}]` : host}${port}${encodeLikeWhatwg(canonicalEscapes(tail))}`;
}

/**
 * What the WHATWG parser percent-encodes in every path and query (non-ASCII,
 * space, `"`, `<`, `>`, `` ` ``), encoded the same way in a pattern, so
 * `https://wiki.example.com/Geheimnis/Über*` matches the URL a request for that
 * page normalizes to. Character classes and escapes are left as written.
 */
function encodeLikeWhatwg(s: string): string {
  let out = "";
  let inClass = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === "\\" && i + 1 < s.length) {
      out += c + s[++i];
      continue;
    }
    if (inClass) {
      if (c === "]") inClass = false;
      out += c;
      continue;
    }
    if (c === "[") inClass = true;
    const cp = s.codePointAt(i)!;
    if (cp > 0x7e || cp <= 0x20 || c === '"' || c === "<" || c === ">" || c === "`") {
      const ch = String.fromCodePoint(cp);
      out += [...new TextEncoder().encode(ch)].map((b) => "%" + b.toString(16).toUpperCase().padStart(2, "0")).join("");
      i += ch.length - 1;
    } else out += c;
  }
  return out;
}
