import picomatch from "picomatch/posix.js";

/**
 * Path globs (picomatch, POSIX): `*` stays within one segment, `**` spans
 * segments, and dotfiles are matched (`/secrets/**` covers `/secrets/.key`)
 * because a secret hidden in a dotfile is still a secret. Matching is
 * case-sensitive. A relative pattern is anchored at the policy's `cwd` when it
 * has one, and otherwise matches at any depth, as in `.gitignore`.
 */
export interface PathMatcher {
  test(path: string): boolean;
  /** literal directory every match lies under, for indexing ("" when none) */
  base: string;
  anchored: string;
}

export type PathPatternResult = { ok: true; matcher: PathMatcher } | { ok: false; reason: string };

export function anchorPathPattern(pattern: string, cwd: string | undefined): string {
  if (pattern.startsWith("/") || pattern.startsWith("**") || pattern.startsWith("!")) return pattern;
  const rel = pattern.startsWith("./") ? pattern.slice(2) : pattern;
  return cwd === undefined ? `**/${rel}` : `${cwd.replace(/\/+$/, "")}/${rel}`;
}

export function compilePathPattern(pattern: string, cwd?: string): PathPatternResult {
  if (pattern.length === 0) return { ok: false, reason: "path pattern is empty" };
  if (/(^|\/)\.\.?(\/|$)/.test(pattern.replace(/^\.\//, ""))) {
    return { ok: false, reason: `path pattern \`${pattern}\` contains \`.\` or \`..\` segments, which never match a normalized path` };
  }
  const anchored = anchorPathPattern(pattern, cwd);
  let test: (s: string) => boolean;
  try {
    test = picomatch(anchored, { dot: true, nocase: false, strictSlashes: false });
  } catch (e) {
    return { ok: false, reason: `invalid path pattern \`${pattern}\`: ${(e as Error).message}` };
  }
  const scan = picomatch.scan(anchored);
  const base = scan.negated || !anchored.startsWith("/") ? "" : scan.isGlob ? scan.base : anchored;
  return { ok: true, matcher: { test, base, anchored } };
}
