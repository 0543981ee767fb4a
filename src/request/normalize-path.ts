/**
 * File paths are matched only after they are made absolute and lexically
 * resolved, so `/app/../etc/passwd` is `/etc/passwd` and `//secrets/./key` is
 * `/secrets/key`. Resolution is lexical (no file system here): symlinks are the
 * caller's business, and documented as such.
 */
export type PathResult = { ok: true; path: string } | { ok: false; reason: string };

export const MAX_PATH_LENGTH = 4096;

export function normalizePath(raw: string, cwd?: string): PathResult {
  if (raw.length === 0) return { ok: false, reason: "path is empty" };
  if (raw.length > MAX_PATH_LENGTH) return { ok: false, reason: `path is longer than ${MAX_PATH_LENGTH} characters` };
  if (raw.includes("\u0000")) return { ok: false, reason: "path contains a NUL byte" };
  if (raw.startsWith("~")) return { ok: false, reason: "path starts with `~`; the home directory is not known here, send an absolute path" };
  let joined: string;
  if (raw.startsWith("/")) joined = raw;
  else if (cwd === undefined) return { ok: false, reason: `path \`${raw}\` is relative and no \`cwd\` was given` };
  else {
    if (!cwd.startsWith("/")) return { ok: false, reason: `cwd \`${cwd}\` must be absolute` };
    const base = normalizePath(cwd);
    if (!base.ok) return { ok: false, reason: `cwd: ${base.reason}` };
    joined = base.path + "/" + raw;
  }
  return { ok: true, path: resolveDots(joined) };
}

// An absolute path with no empty, `.` or `..` segment and no trailing slash is already normal.
const NEEDS_WORK = /\/\/|\/\.\.?(\/|$)|.\/$/;

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
