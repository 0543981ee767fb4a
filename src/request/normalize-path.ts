/**
 * File paths are matched only after they are made absolute and lexically
 * resolved, so `/app/../etc/passwd` is `/etc/passwd` and `//secrets/./key` is
 * `/secrets/key`. Resolution is lexical (no file system here): symlinks are the
 * caller's business, and documented as such.
 *
 * A path with a control character in any segment (newline, CR, tab, the rest
 * of C0 and C1, DEL, and the Unicode line and paragraph separators) is
 * refused as `uncertain`: tools that print, log, split or re-read it (a shell
 * loop over `find` output, a log line, a terminal) see a different path from
 * the one the engine checked, so `/etc/pass\nwd` could escape `/etc/**`.
 */
export type PathResult = { ok: true; path: string } | { ok: false; reason: string; code?: "uncertain" };

export const MAX_PATH_LENGTH = 4096;

export const PATH_CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

export function normalizePath(raw: string, cwd?: string): PathResult {
  if (raw.length === 0) return { ok: false, reason: "path is empty" };
  if (raw.length > MAX_PATH_LENGTH) return { ok: false, reason: `path is longer than ${MAX_PATH_LENGTH} characters` };
  if (raw.includes("\u0000")) return { ok: false, reason: "path contains a NUL byte" };
  const control = controlReason(raw);
  if (control) return { ok: false, reason: control, code: "uncertain" };
  if (raw.startsWith("~")) return { ok: false, reason: "path starts with `~`; the home directory is not known here, send an absolute path" };
  let joined: string;
  if (raw.startsWith("/")) joined = raw;
  else if (cwd === undefined) return { ok: false, reason: `path \`${raw}\` is relative and no \`cwd\` was given` };
  else {
    if (!cwd.startsWith("/")) return { ok: false, reason: `cwd \`${cwd}\` must be absolute` };
    const base = normalizePath(cwd);
    if (!base.ok) return base.code ? base : { ok: false, reason: `cwd: ${base.reason}` };
    joined = base.path + "/" + raw;
  }
  return { ok: true, path: resolveDots(joined) };
}

/** Why a path with a control character is uncertain, or undefined when it has none. */
export function controlReason(raw: string): string | undefined {
  const m = PATH_CONTROL.exec(raw);
  if (!m) return undefined;
  const start = raw.lastIndexOf("/", m.index) + 1;
  let end = raw.indexOf("/", m.index);
  if (end < 0) end = raw.length;
  const seg = raw
    .slice(start, end)
    .replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029`\\]/g, (c) =>
      c === "`" || c === "\\" ? "\\" + c : `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
    );
  const code = m[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0");
  return `uncertain: the path segment \`${seg}\` contains the control character U+${code}; tools that print, log or split paths read such a name differently, so it is refused: rename the file or send its path without control characters`;
}

// An absolute path with no empty, `.` or `..` segment and no trailing slash is already normal.
const NEEDS_WORK = /\/\/|\/\.\.?(\/|$)|.\/$/;

/** True when `p` is absolute and already resolved (what `normalizePath` returns). */
export function isNormalPath(p: string): boolean {
  return p.startsWith("/") && !NEEDS_WORK.test(p);
}

/** Lexical resolution of `.`, `..` and repeated `/`; `..` above the root stays at the root. */
export function resolveDots(absolute: string): string {
  if (!NEEDS_WORK.test(absolute)) return absolute;
  const out: string[] = [];
  for (const seg of absolute.split("/")) {
    if (seg === "" || seg === ".") continue;
    if (seg === "..") out.pop();
    else out.push(seg);
  }
  return "/" + out.join("/");
}
