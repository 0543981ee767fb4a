import { ANY, EMPTY, lazyDfa, literals, NfaBuilder, NOT_SLASH, product, union, type Nfa } from "./automaton.js";
import { expandBraces } from "./brace-expand.js";
import { foldCase } from "./fold.js";
import { addTokens, tokenize, type Token } from "./glob-tokens.js";

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
 * `**\/*.ext`) have direct tests; the rest runs the pattern's automaton as a
 * lazily built DFA, linear in the path whatever the pattern (no backtracking).
 */
export interface PathMatcher {
  test(path: string): boolean;
  /** literal directories every match lies under, one per alternative, for indexing (undefined when one has none) */
  bases: string[] | undefined;
  /** some alternative is relative and there is no cwd to anchor it */
  floating: boolean;
  /** the normalized absolute paths the pattern matches */
  readonly nfa: Nfa;
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

type Segment = { kind: "globstar" } | { kind: "seg"; tokens: Token[] };

const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

export function compilePathPattern(pattern: string, cwd?: string, opts: PathPatternOptions = {}): PathPatternResult {
  const ci = opts.caseInsensitive === true;
  if (pattern.length === 0) return { ok: false, reason: "path pattern is empty" };
  if (pattern.startsWith("!")) return { ok: false, reason: `negated path pattern \`${pattern}\`: use \`not:\` instead` };
  const bad = CONTROL.exec(pattern);
  if (bad) return { ok: false, reason: `path pattern \`${JSON.stringify(pattern).slice(1, -1)}\` contains the control character U+${hex(bad[0])}; paths with control characters are refused as uncertain, so it could never match` };
  if (LONE_SURROGATE.test(pattern)) return { ok: false, reason: "path pattern contains a lone UTF-16 surrogate, which no file name can hold" };
  const ext = extglob(pattern);
  if (ext) return { ok: false, reason: `\`${ext}\` in \`${pattern}\` is extglob syntax, which path patterns do not support (tools read it differently); use \`{a,b}\` alternatives, or write \`\\(\` for a literal parenthesis` };

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
    (c) => `\`${c}\` is a character class matching one character (${describeClass(c)}); to match a directory or file named \`${c}\`, write \`${c.replace(/[[\]]/g, "\\$&")}\``,
  );
  return { ok: true, matcher: matcher(alts, parsed.floating, warnings) };
}

function hex(ch: string): string {
  return ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0");
}

/** The first extglob opener (`+(` and friends) outside escapes and classes. */
function extglob(p: string): string | undefined {
  let inClass = false;
  let classStart = -1;
  for (let i = 0; i < p.length; i++) {
    const c = p[i]!;
    if (c === "\\") {
      i++;
      continue;
    }
    if (inClass) {
      if (c === "]" && i > classStart + 1 && !(i === classStart + 2 && "!^".includes(p[classStart + 1]!))) inClass = false;
      continue;
    }
    if (c === "[") {
      inClass = true;
      classStart = i;
    } else if ("?*+@!".includes(c) && p[i + 1] === "(") return c + "(";
  }
  return undefined;
}

type Parsed = { ok: true; alts: Segment[][]; floating: boolean } | { ok: false; reason: string };

function parse(pattern: string, cwd: string | undefined): Parsed {
  let raw: string[];
  try {
    raw = expandBraces(pattern);
  } catch (e) {
    return { ok: false, reason: (e as Error).message };
  }
  const alts: Segment[][] = [];
  let floating = false;
  for (let alt of raw) {
    if (alt.length === 0) return { ok: false, reason: `path pattern \`${pattern}\` has an empty alternative` };
    if (/\{-?\w+\.\.-?\w+\}/.test(alt)) {
      return { ok: false, reason: `brace ranges such as \`{1..3}\` are not supported in path patterns; list the alternatives: \`{1,2,3}\`` };
    }
    if (alt.length > 1 && alt.endsWith("/")) alt += "**";
    const pieces = splitSegments(alt);
    if (!Array.isArray(pieces)) return { ok: false, reason: pieces.error };
    let split = pieces;
    if (alt === "/") split = [];
    else if (alt.startsWith("/")) split.shift(); // the empty text before the leading `/`
    else if (split[0] !== "**" || alt.startsWith("./")) {
      if (split[0] === ".") split.shift();
      if (split.length === 0) return { ok: false, reason: `path pattern \`${pattern}\` names no file; write \`./**\` for everything under the working directory` };
      if (cwd === undefined) {
        floating = true;
        split = ["**", ...split];
      } else split = [...(splitSegments(escapeGlob(cwd)) as string[]).filter((x) => x !== ""), ...split];
    }
    const segments: Segment[] = [];
    for (const text of split) {
      if (text === "**") {
        if (segments[segments.length - 1]?.kind !== "globstar") segments.push({ kind: "globstar" });
        continue;
      }
      if (text === "") return { ok: false, reason: `path pattern \`${pattern}\` contains an empty segment (\`//\`), which never matches a normalized path; write one \`/\`` };
      const t = tokenize(text, { strict: true });
      if (!t.ok) return { ok: false, reason: `invalid path pattern \`${pattern}\`: ${t.reason}` };
      const lit = t.tokens.length === 1 && t.tokens[0]!.t === "lit" ? t.tokens[0]!.s : undefined;
      if (lit === "." || lit === "..") {
        return { ok: false, reason: `path pattern \`${pattern}\` contains \`.\` or \`..\` segments, which never match a normalized path` };
      }
      segments.push({ kind: "seg", tokens: t.tokens });
    }
    alts.push(segments);
  }
  return { ok: true, alts, floating };
}

/**
 * Splits on unescaped `/` (escapes stay in the pieces for the tokenizer; `\/`
 * separates too, since no segment holds a `/`). A `/` inside `[...]` is an error.
 */
function splitSegments(p: string): string[] | { error: string } {
  const out: string[] = [];
  let cur = "";
  let classStart = -1;
  for (let i = 0; i < p.length; i++) {
    const c = p[i]!;
    if (c === "\\" && i + 1 < p.length) {
      if (p[i + 1] === "/" && classStart < 0) {
        out.push(cur);
        cur = "";
      } else cur += c + p[i + 1];
      i++;
      continue;
    }
    if (classStart >= 0) {
      if (c === "/") return { error: `\`/\` inside \`[...]\` in \`${p}\`: a class stands for one character within a path segment and never matches \`/\`` };
      const first = i === classStart + 1 || (i === classStart + 2 && "!^".includes(p[classStart + 1]!));
      if (c === "]" && !first) classStart = -1;
      cur += c;
      continue;
    }
    if (c === "[" && p.indexOf("]", i + 2) > 0) classStart = i;
    if (c === "/") {
      out.push(cur);
      cur = "";
    } else cur += c;
  }
  out.push(cur);
  return out;
}

export function escapeGlob(s: string): string {
  return s.replace(/[*?[\]{}\\]/g, "\\$&");
}

/**
 * Case-insensitive patterns: the folded text gives the literals; each class is
 * replaced by the fold of its members (so `[A-Z]` also matches folded `a`..`z`
 * and `[!a]` excludes `A`). Refused when folding changes the pattern's shape
 * or a class holds a character that folds to several.
 */
function foldClasses(orig: Segment[][], folded: Segment[][]): Segment[][] | string {
  const shape = (alts: Segment[][]) => alts.map((a) => a.map((s) => (s.kind === "globstar" ? "**" : s.tokens.map((t) => t.t).join(","))).join("/")).join("|");
  if (shape(orig) !== shape(folded)) return "changes its wildcards or classes when case-folded (a letter next to them folds to several characters or composes with an accent); write it with the folded letters";
  const out: Segment[][] = [];
  for (let a = 0; a < orig.length; a++) {
    const segs: Segment[] = [];
    for (let s = 0; s < orig[a]!.length; s++) {
      const o = orig[a]![s]!;
      const f = folded[a]![s]!;
      if (o.kind === "globstar" || f.kind === "globstar") {
        segs.push(f);
        continue;
      }
      const tokens: Token[] = [];
      for (let k = 0; k < f.tokens.length; k++) {
        const ot = o.tokens[k]!;
        if (ot.t !== "cls") {
          tokens.push(f.tokens[k]!);
          continue;
        }
        const ranges: number[] = [];
        for (let r = 0; r < ot.ranges.length; r += 2) {
          const lo = ot.ranges[r]!;
          const hi = ot.ranges[r + 1]!;
          if (hi - lo > 0x3000) return `has the class \`${ot.source}\`, too wide to case-fold; split it into smaller ranges`;
          for (let c = lo; c <= hi; c++) {
            if (c >= 0xd800 && c <= 0xdfff) continue;
            const fc = [...foldCase(String.fromCodePoint(c))];
            if (fc.length !== 1) return `has the class \`${ot.source}\`, whose \`${String.fromCodePoint(c)}\` folds to several characters (\`${fc.join("")}\`); write that alternative with braces instead`;
            const v = fc[0]!.codePointAt(0)!;
            ranges.push(v, v);
          }
        }
        tokens.push({ t: "cls", negate: ot.negate, ranges, source: ot.source });
      }
      segs.push({ kind: "seg", tokens });
    }
    out.push(segs);
  }
  return out;
}

/** Classes that look like a literal name (`[slug]`, `[id]`, `[...slug]`, Next.js style), for a warning. */
function nameLikeClasses(alts: Segment[][]): string[] {
  const out = new Set<string>();
  for (const a of alts) {
    for (const s of a) {
      if (s.kind !== "seg") continue;
      for (const t of s.tokens) if (t.t === "cls" && /^\[(\.\.\.)?[A-Za-z_][A-Za-z0-9_]+\]$/.test(t.source)) out.add(t.source);
    }
  }
  return [...out];
}

function describeClass(source: string): string {
  const chars = [...new Set(source.slice(1, -1).split(""))];
  return `one of ${chars.map((c) => `\`${c}\``).join(", ")}`;
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
  if (rest.length > 0) {
    const run = lazyDfa(union(rest.map(regexLike)));
    const root = rest.some((a) => a.every((s) => s.kind === "globstar"));
    tests.push((p) => (p === "/" ? root : run(p)));
  }
  const test = tests.length === 1 ? tests[0]! : (p: string) => tests.some((t) => t(p));
  let nfa: Nfa | undefined;
  const subtrees = alts.filter((a) => a.length > 0 && a[a.length - 1]!.kind === "globstar" && a.slice(0, -1).every((x) => literalOf(x) !== undefined)).map((a) => a.slice(0, -1).map((x) => literalOf(x)!));
  return {
    test,
    subtrees,
    bases: bases.length === alts.length ? bases : undefined,
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
  if (rest.length === 1 && r0!.kind === "globstar") return lits.length === 0 ? () => true : (p) => p === base || (p.startsWith(base) && p.charCodeAt(base.length) === 0x2f);
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
  if (r0!.kind === "globstar" && rest.length === 2 && r1!.kind === "seg" && r1!.tokens.length === 2 && r1!.tokens[0]!.t === "star" && r1!.tokens[1]!.t === "lit") {
    // `<base>/**/*.ext`: the last segment ends with `.ext`, below the base.
    const ext = r1!.tokens[1]!.s;
    const dir = lits.length === 0 ? "" : base;
    return (p) => p.endsWith(ext) && p.lastIndexOf("/") <= p.length - ext.length - 1 && (dir === "" || (p.startsWith(dir) && p.charCodeAt(dir.length) === 0x2f));
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

/** Normalized absolute paths other than `/`: one or more `/segment`, no segment empty, `.` or `..`. */
export const NORMAL_NONROOT: Nfa = (() => {
  const b = new NfaBuilder();
  const s0 = b.state();
  const fresh = b.state(); // just after a `/`
  const dot = b.state(); // `.`
  const dots = b.state(); // `..`
  const name = b.state(); // a proper segment so far (accepting)
  const notSlashNotDot = [0, 0x2d, 0x30, ANY[1]!];
  b.edge(s0, 0x2f, 0x2f, fresh);
  b.edges(fresh, notSlashNotDot, name);
  b.edge(fresh, 0x2e, 0x2e, dot);
  b.edges(dot, notSlashNotDot, name);
  b.edge(dot, 0x2e, 0x2e, dots);
  b.edges(dots, NOT_SLASH, name);
  b.edges(name, NOT_SLASH, name);
  b.edge(name, 0x2f, 0x2f, fresh);
  b.accepting(name);
  return b.build(s0);
})();

/** Every normalized absolute path, `/` included. */
export const NORMAL_PATHS: Nfa = union([NORMAL_NONROOT, literals(["/"])]);
