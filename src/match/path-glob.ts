import picomatch from "picomatch/posix.js";
import { expandBraces } from "./brace-expand.js";

/**
 * Path globs (picomatch, POSIX): `*` stays within one segment, `**` spans
 * segments, and dotfiles are matched (`/secrets/**` covers `/secrets/.key`)
 * because a secret hidden in a dotfile is still a secret. Matching is
 * case-sensitive. Brace alternatives are split first so each is anchored on
 * its own: an absolute alternative stays put, a relative one is anchored at
 * the policy's `cwd` when it has one and otherwise matches at any depth, as
 * in `.gitignore`.
 */
export interface PathMatcher {
  test(path: string): boolean;
  /** literal directories every match lies under, one per alternative, for indexing (undefined when one has none) */
  bases: string[] | undefined;
  /** some alternative is relative and there is no cwd to anchor it */
  floating: boolean;
}

export type PathPatternResult = { ok: true; matcher: PathMatcher } | { ok: false; reason: string };

function anchor(alt: string, cwd: string | undefined): string {
  if (alt.startsWith("/") || alt.startsWith("**")) return alt;
  const rel = alt.startsWith("./") ? alt.slice(2) : alt;
  return cwd === undefined ? `**/${rel}` : `${cwd.replace(/\/+$/, "")}/${rel}`;
}

export function compilePathPattern(pattern: string, cwd?: string): PathPatternResult {
  if (pattern.length === 0) return { ok: false, reason: "path pattern is empty" };
  if (pattern.startsWith("!")) return { ok: false, reason: `negated path pattern \`${pattern}\`: use \`not:\` instead` };
  let alternatives: string[];
  try {
    alternatives = expandBraces(pattern);
  } catch (e) {
    return { ok: false, reason: (e as Error).message };
  }
  for (const alt of alternatives) {
    if (/(^|\/)\.\.?(\/|$)/.test(alt.replace(/^\.\//, ""))) {
      return { ok: false, reason: `path pattern \`${pattern}\` contains \`.\` or \`..\` segments, which never match a normalized path` };
    }
  }
  const anchored = alternatives.map((a) => anchor(a, cwd));
  let test: (s: string) => boolean;
  try {
    test = picomatch(anchored.length === 1 ? anchored[0]! : anchored, { dot: true, nocase: false });
  } catch (e) {
    return { ok: false, reason: `invalid path pattern \`${pattern}\`: ${(e as Error).message}` };
  }
  const bases: string[] = [];
  for (const a of anchored) {
    const scan = picomatch.scan(a);
    const base = !a.startsWith("/") ? "" : scan.isGlob ? scan.base : a;
    if (base === "") {
      bases.length = 0;
      break;
    }
    bases.push(base);
  }
  const floating = cwd === undefined && alternatives.some((a) => !a.startsWith("/") && !a.startsWith("**"));
  return { ok: true, matcher: { test, bases: bases.length > 0 ? bases : undefined, floating } };
}
