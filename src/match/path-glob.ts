import { EMPTY, literals, NfaBuilder, NOT_SLASH, union, type Nfa } from "./automaton.js";
import { product } from "./automaton-products.js";
import { foldCase } from "./fold.js";
import { addTokens } from "./glob-tokens.js";
import { allFactors, pathFactor } from "./literal-factors.js";
import { segmentsMatcher } from "./path-segments.js";
import { NORMAL_NONROOT } from "./path-domain.js";
import { describeClass, extglob, foldClasses, nameLikeClasses, parse, type Segment } from "./path-parse.js";

export { NORMAL_NONROOT, NORMAL_PATHS } from "./path-domain.js";
export { escapeGlob } from "./path-parse.js";

/**
 * Path globs, read by one parser whose result serves the matcher, the rule
 * index and run-time values alike (so the three cannot disagree):
 *
 * - a pattern is split into `/`-separated segments; `**` as a whole segment is
 *   any number of segments (zero included: `/app/**` covers `/app`);
 * - within a segment `*` is any run of characters, `?` one character, `[a-z]`
 *   / `[!a-z]` a class; none of them ever matches `/`; dotfiles are matched
 *   (`/secrets/**` covers `/secrets/.key`) because a secret in a dotfile is
 *   still a secret;
 * - `{a,b}` alternatives are expanded first; `\` makes the next character
 *   literal (`/app/\[slug\]/**`, `/app/my\ secrets/key`); `(`, `)`, `|`, `+`,
 *   `@`, `!` are plain characters (`/app/(admin)/**` is the directory
 *   `(admin)`), and extglob forms (`+(a|b)`, `@(…)`, `!(…)`, `*(…)`, `?(…)`) are
 *   refused, because other tools read them as alternatives;
 * - a trailing `/` means the directory and everything under it (`/app/private/`
 *   = `/app/private/**`): that is what the author of such a pattern meant, and
 *   it is the reading under which a deny on it denies what it names;
 * - a relative alternative is anchored at the policy's `cwd` when there is one
 *   and otherwise matches at any depth, as in `.gitignore`.
 *
 * Matching runs on normalized absolute paths (no `.`, `..` or empty segment;
 * `/` is the path with no segment). Common shapes (`/dir/**`, `**\/name`,
 * `**\/*.ext`) have direct tests; the rest are matched segment by segment
 * (path-segments.ts), linear in the path whatever the pattern (no backtracking,
 * no automaton to outgrow).
 */
export interface PathMatcher {
  test(path: string): boolean;
  /** literal directories every match lies under, one per alternative, for indexing (undefined when one has none) */
  bases: string[] | undefined;
  /** some alternative is relative and there is no cwd to anchor it */
  floating: boolean;
  /** the normalized absolute paths the pattern matches */
  readonly nfa: Nfa;
  /** text every matching path contains, one per alternative (literal-factors.ts); undefined when some alternative has none */
  factors: string[] | undefined;
  /** directories (segments) whose whole subtree some alternative matches (`/app/**`): a shortcut for must-match */
  subtrees: string[][];
  /** advice about patterns that probably do not mean what they say */
  warnings: string[];
}

export type PathPatternResult = { ok: true; matcher: PathMatcher } | { ok: false; reason: string };

export interface PathPatternOptions {
  /** fold pattern and paths (see fold.ts); the matcher then expects folded paths */
  caseInsensitive?: boolean;
}

const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

export function compilePathPattern(pattern: string, cwd?: string, opts: PathPatternOptions = {}): PathPatternResult {
  const ci = opts.caseInsensitive === true;
  if (pattern.length === 0) return { ok: false, reason: "path pattern is empty" };
  if (pattern.startsWith("!")) return { ok: false, reason: `negated path pattern \`${pattern}\`: use \`not:\` instead` };
  const bad = CONTROL.exec(pattern);
  if (bad)
    return {
      ok: false,
      reason: `path pattern \`${JSON.stringify(pattern).slice(1, -1)}\` contains the control character U+${bad[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")}; paths with control characters are refused as uncertain, so it could never match`,
    };
  if (LONE_SURROGATE.test(pattern)) return { ok: false, reason: "path pattern contains a lone UTF-16 surrogate, which no file name can hold" };
  const ext = extglob(pattern);
  if (ext)
    return {
      ok: false,
      reason: `\`${ext}\` in \`${pattern}\` is extglob syntax, which path patterns do not support (tools read it differently); use \`{a,b}\` alternatives, or write \`\\(\` for a literal parenthesis`,
    };

  const parsed = parse(pattern, cwd);
  if (!parsed.ok) return parsed;
  let alts = parsed.alts;
  if (ci) {
    const folded = parse(foldCase(pattern), cwd === undefined ? undefined : foldCase(cwd));
    if (!folded.ok) return folded;
    const merged = foldClasses(alts, folded.alts);
    if (typeof merged === "string") return { ok: false, reason: `in a case-insensitive policy, \`${pattern}\` ${merged}` };
    alts = merged;
  }
  const warnings = nameLikeClasses(alts).map(
    (c) =>
      `\`${c}\` is a character class matching one character (${describeClass(c)}); to match a directory or file named \`${c}\`, write \`${c.replace(/[[\]]/g, "\\$&")}\``,
  );
  return { ok: true, matcher: matcher(alts, parsed.floating, warnings) };
}

/** The literal text of a segment that is all literal, else undefined. */
function literalOf(s: Segment | undefined): string | undefined {
  if (s?.kind !== "seg") return undefined;
  return s.tokens.length === 1 && s.tokens[0]!.t === "lit" ? s.tokens[0]!.s : undefined;
}

function matcher(alts: Segment[][], floating: boolean, warnings: string[]): PathMatcher {
  const bases: string[] = [];
  for (const a of alts) {
    let k = 0;
    const lits: string[] = [];
    for (; k < a.length; k++) {
      const l = literalOf(a[k]);
      if (l === undefined) break;
      lits.push(l);
    }
    if (lits.length === 0 && a.length > 0) {
      bases.length = 0;
      break;
    }
    bases.push("/" + lits.join("/"));
  }
  // Alternatives of the common shapes get direct tests; the rest share one automaton.
  const tests: Array<(p: string) => boolean> = [];
  const rest: Segment[][] = [];
  for (const a of alts) {
    const t = directTest(a);
    if (t) tests.push(t);
    else rest.push(a);
  }
  for (const a of rest) tests.push(segmentsMatcher(a));
  const test = tests.length === 1 ? tests[0]! : (p: string) => tests.some((t) => t(p));
  let nfa: Nfa | undefined;
  const subtrees = alts
    .filter((a) => a.length > 0 && a[a.length - 1]!.kind === "globstar" && a.slice(0, -1).every((x) => literalOf(x) !== undefined))
    .map((a) => a.slice(0, -1).map((x) => literalOf(x)!));
  return {
    test,
    subtrees,
    bases: bases.length === alts.length ? bases : undefined,
    factors: allFactors(alts, pathFactor),
    floating,
    warnings,
    get nfa() {
      return (nfa ??= union(alts.map(alternativeNfa)));
    },
  };
}

/** A direct test of one alternative on a normalized path, for the common shapes; undefined for the rest. */
function directTest(a: Segment[]): ((p: string) => boolean) | undefined {
  const lits: string[] = [];
  let k = 0;
  for (; k < a.length && literalOf(a[k]) !== undefined; k++) lits.push(literalOf(a[k])!);
  const base = "/" + lits.join("/");
  const rest = a.slice(k);
  const [r0, r1, r2] = rest;
  if (rest.length === 0) return (p) => p === base;
  if (rest.length === 1 && r0!.kind === "globstar")
    return lits.length === 0 ? () => true : (p) => p === base || (p.startsWith(base) && p.charCodeAt(base.length) === 0x2f);
  if (lits.length === 0 && r0!.kind === "globstar") {
    const name = literalOf(r1);
    if (rest.length === 2 && name !== undefined) {
      const tail = "/" + name;
      return (p) => p.endsWith(tail);
    }
    if (rest.length === 3 && name !== undefined && r2!.kind === "globstar") {
      const tail = "/" + name;
      const mid = tail + "/";
      return (p) => p.endsWith(tail) || p.includes(mid);
    }
  }
  if (
    r0!.kind === "globstar" &&
    rest.length === 2 &&
    r1!.kind === "seg" &&
    r1!.tokens.length === 2 &&
    r1!.tokens[0]!.t === "star" &&
    r1!.tokens[1]!.t === "lit"
  ) {
    // `<base>/**/*.ext`: the last segment ends with `.ext`, below the base.
    const ext = r1!.tokens[1]!.s;
    const dir = lits.length === 0 ? "" : base;
    return (p) =>
      p.endsWith(ext) && p.lastIndexOf("/") <= p.length - ext.length - 1 && (dir === "" || (p.startsWith(dir) && p.charCodeAt(dir.length) === 0x2f));
  }
  return undefined;
}

/**
 * The alternative as an automaton over strings, segment by segment
 * (`**` = zero or more `/<anything but slash>`). On normalized paths other
 * than `/` it is the pattern's meaning; `alternativeNfa` restricts it to
 * normalized paths and adds `/` itself when every segment is `**`.
 */
function regexLike(a: Segment[]): Nfa {
  const b = new NfaBuilder();
  const s = b.state();
  let q = s;
  for (const seg of a) {
    if (seg.kind === "globstar") {
      const head = b.state();
      b.epsilon(q, head);
      const inner = b.state();
      b.edge(head, 0x2f, 0x2f, inner);
      b.edges(inner, NOT_SLASH, inner);
      b.epsilon(inner, head);
      q = head;
    } else {
      const n = b.state();
      b.edge(q, 0x2f, 0x2f, n);
      q = addTokens(b, n, seg.tokens, true);
    }
  }
  b.accepting(q);
  return b.build(s);
}

function alternativeNfa(a: Segment[]): Nfa {
  const inner = a.length === 0 ? EMPTY : product(regexLike(a), NORMAL_NONROOT);
  if (!inner) throw new RangeError("path pattern too large to compile");
  return a.every((s) => s.kind === "globstar") ? union([inner, literals(["/"])]) : inner;
}
