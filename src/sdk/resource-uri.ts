import type { DecisionErrorCode } from "../engine/decision.js";

type FilePaths = { ok: true; paths: string[] } | { ok: false; code: DecisionErrorCode; reason: string };

const SCHEME = /^([A-Za-z][A-Za-z0-9+.-]*):/;

/**
 * The paths a server may read for a resource URI: none for a URI that is not
 * `file:`; for `file:///p` both `p` as written and `p` percent-decoded,
 * because servers differ on decoding (`%2e%2e`, `%2F`). Forms servers read
 * differently are refused: a host (`file://h/p`: UNC, ignored or part of
 * the path), no `//`, a query or fragment, a backslash, blanks or control
 * characters (WHATWG URL parsing drops some of them).
 */
export function fileUriPaths(uri: string): FilePaths {
  const uncertain = (why: string): FilePaths => ({
    ok: false,
    code: "uncertain",
    reason: `uncertain: resource URI \`${uri.slice(0, 300)}\` ${why}; write file:///absolute/path`,
  });

  if (/[\u0000-\u0020\u007f-\u009f\u2028\u2029]/.test(uri)) return uncertain("has a blank or a control character, which URI parsers drop or keep differently");
  const scheme = SCHEME.exec(uri);
  if (!scheme) return { ok: false, code: "invalid_request", reason: `resource URI \`${uri.slice(0, 300)}\` has no scheme` };
  if (scheme[1]!.toLowerCase() !== "file") return { ok: true, paths: [] };
  const rest = uri.slice(scheme[0].length);
  if (!rest.startsWith("//")) return uncertain("is not of the form file://");
  const afterSlashes = rest.slice(2);
  const slash = afterSlashes.indexOf("/");
  const host = slash < 0 ? afterSlashes : afterSlashes.slice(0, slash);
  if (host !== "" && host.toLowerCase() !== "localhost")
    return uncertain(`names the host \`${host.slice(0, 100)}\`, which servers read as a share, ignore, or take as part of the path`);
  const path = slash < 0 ? "" : afterSlashes.slice(slash);
  if (path === "") return uncertain("has no path");
  if (/[?#]/.test(path)) return uncertain("has a query or fragment, which some servers take as part of the file name");
  if (path.includes("\\")) return uncertain("has a backslash, which some servers read as a separator");
  let decoded: string;
  try {
    decoded = decodeURIComponent(path);
  } catch {
    return uncertain("has a malformed percent-escape");
  }
  return { ok: true, paths: decoded === path ? [path] : [path, decoded] };
}
