/**
 * The path (and query) of a URL as the server will route it. The WHATWG
 * parser resolves `.`/`..` segments (also `%2e`) and keeps everything else as
 * written, but servers read more into a path than that, and a `url` rule that
 * reads less than the server is a way around it:
 *
 * - Percent-encoded unreserved characters (`%73` for `s`, `%2D` for `-`) are
 *   the same URL (RFC 3986, 6.2.2.2) and every server decodes them, so they
 *   are decoded here, and the other escapes written with upper-case hex.
 * - Some servers go further: they decode `%2F` and `%5C` into separators
 *   (nginx for location matching, IIS, Windows servers), drop `;params` from
 *   segments (Tomcat and Jetty: `..;/` is `../`), and merge `//`. Such a path
 *   has a second reading, which is checked too (`serverReading`): a deny on
 *   either reading holds, and an allow must cover both.
 */

const UNRESERVED = /[A-Za-z0-9\-._~]/;

/** `%73ecret` → `secret`, `%2f` → `%2F`: one spelling per URL. */
export function canonicalEscapes(s: string): string {
  if (!s.includes("%")) return s;
  return s.replace(/%([0-9A-Fa-f]{2})/g, (all, hex: string) => {
    const c = String.fromCharCode(parseInt(hex, 16));
    return UNRESERVED.test(c) ? c : `%${hex.toUpperCase()}`;
  });
}

// What makes a server read a path differently from the WHATWG parser.
const SERVER_READS_MORE = /%2F|%5C|;|\/\//i;

/**
 * The path as a server that decodes `%2F`/`%5C`, strips `;params` and merges
 * slashes would route it, with dot segments resolved; undefined when that is
 * the path as it is. `path` is a WHATWG pathname after `canonicalEscapes`.
 */
export function serverReading(path: string): string | undefined {
  if (!SERVER_READS_MORE.test(path)) return undefined;
  const decoded = path.replace(/%2F|%5C/gi, "/");
  const out: string[] = [];
  for (const raw of decoded.split("/")) {
    const seg = raw.includes(";") ? raw.slice(0, raw.indexOf(";")) : raw;
    if (seg === "" || seg === ".") continue;
    if (seg === "..") out.pop();
    else out.push(seg);
  }
  const trailing = decoded.endsWith("/") && out.length > 0 ? "/" : "";
  const reading = "/" + out.join("/") + trailing;
  return reading === path ? undefined : reading;
}
