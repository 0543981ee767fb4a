import type { Nfa } from "./automaton.js";
import { compileHostPattern } from "./host-pattern.js";
import { compilePathPattern } from "./path-glob.js";
import { foldTemplate, pathTemplateNfa, templateDirectory } from "./path-template.js";
import { isConcrete, type Template, type TemplateTest } from "./template.js";
import { mayMatch, mustMatch, templateNfa } from "./template-nfa.js";
import { globShape, isFreeFormField } from "./path-shaped.js";
import { normalizeUrlPattern } from "./url-pattern.js";
import { compileWildcard } from "./wildcard.js";

/**
 * One compiled form per pattern, shared by policy validation (its errors and
 * warnings), the rule index (its keys) and evaluation (its matcher and its
 * answers for run-time values), so the three read a pattern the same way.
 * Results are memoized by field, options and pattern text in a bounded cache:
 * validating and then compiling a policy compiles each pattern once.
 */
export interface PatternOptions {
  /** the policy's `cwd`, which anchors relative path patterns */
  cwd?: string | undefined;
  /** `paths: { caseInsensitive: true }`: path patterns and paths are folded (see fold.ts) */
  caseInsensitive?: boolean | undefined;
}

/** A literal key under which every value a pattern matches is found (see engine/rule-index.ts). */
export type IndexKey = { kind: "key" | "host" | "suffix" | "label" | "word" | "path"; value: string };

export interface CompiledPattern extends TemplateTest {
  /** the pattern's answer for a normalized request value (a folded path in a case-insensitive policy) */
  test(v: unknown): boolean;
  /** every matching value is found under one of these keys; undefined when no literal key bounds them */
  readonly keys: readonly IndexKey[] | undefined;
  /** every matching value is a string containing one of these (for the index when no key bounds the pattern); undefined when none is known */
  readonly factors: readonly string[] | undefined;
  /** the values the pattern matches, as an automaton (paths and strings; hosts have none) */
  readonly nfa: Nfa | undefined;
  /** a relative path pattern with no `cwd` to anchor it */
  readonly floating: boolean;
  readonly warnings: readonly string[];
}

export type CompilePatternResult = { ok: true; pattern: CompiledPattern } | { ok: false; reason: string };

export const MAX_CACHED_PATTERNS = 8192;
const cache = new Map<string, CompilePatternResult>();

export function compilePattern(field: string, pattern: string, opts: PatternOptions = {}): CompilePatternResult {
  const path = field === "path";
  const folds = path || isFreeFormField(field);
  const key = `${field}\u0000${path ? (opts.cwd ?? "") : ""}\u0000${folds && opts.caseInsensitive ? 1 : 0}\u0000${pattern}`;
  let r = cache.get(key);
  if (r) return r;
  r = compile(field, pattern, opts);
  if (cache.size >= MAX_CACHED_PATTERNS) cache.delete(cache.keys().next().value!);
  cache.set(key, r);
  return r;
}

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const isStr = (v: unknown): v is string => typeof v === "string";
const NO_WARNINGS: readonly string[] = [];

function compile(field: string, pattern: string, opts: PatternOptions): CompilePatternResult {
  if (LONE_SURROGATE.test(pattern)) return { ok: false, reason: "the pattern contains a lone UTF-16 surrogate, which no request value can match as written" };
  try {
    if (field === "path") return pathPattern(pattern, opts);
    if (field === "host") return hostPattern(pattern);
    if (isFreeFormField(field)) {
      // A path-shaped glob on free-form data is a path pattern, matched against the value resolved as a path (see path-shaped.ts).
      const shape = globShape(pattern);
      if (shape === "path") return pathPattern(pattern, { caseInsensitive: opts.caseInsensitive });
      if (shape === "mixed")
        return {
          ok: false,
          reason: `\`${pattern}\` mixes path alternatives (starting with \`/\` or \`**/\`, matched as paths) with others (matched as text); write them as a list of separate patterns`,
        };
    }
    return stringPattern(field, field === "url" ? normalizeUrlPattern(pattern) : pattern);
  } catch (e) {
    return { ok: false, reason: (e as Error).message };
  }
}

function pathPattern(pattern: string, opts: PatternOptions): CompilePatternResult {
  const ci = opts.caseInsensitive === true;
  const r = compilePathPattern(pattern, opts.cwd, { caseInsensitive: ci });
  if (!r.ok) return r;
  const m = r.matcher;
  return {
    ok: true,
    pattern: new Pattern(
      (v) => isStr(v) && m.test(v),
      m.bases?.map((value) => ({ kind: "path", value })),
      m.factors,
      m,
      m.floating,
      m.warnings,
      (t) => mayMatch(pathTemplateNfa(t, { caseInsensitive: ci }), m.nfa),
      // Every value lies under the template's fixed directory: inside a subtree the pattern covers, it must match.
      (t) =>
        (m.subtrees.length > 0 && within(templateDirectory(ci ? foldTemplate(t) : t), m.subtrees)) ||
        mustMatch(pathTemplateNfa(t, { caseInsensitive: ci }), m.nfa),
    ),
  };
}

/**
 * A compiled pattern whose automaton is its matcher's, built on first read of
 * `nfa` (only run-time values and policy analysis need it). A class, so the
 * getter lives on the prototype: V8 keeps an object literal with a getter as a
 * dictionary (~450 bytes more), and there is one of these per pattern.
 */
class Pattern implements CompiledPattern {
  constructor(
    readonly test: (v: unknown) => boolean,
    readonly keys: readonly IndexKey[] | undefined,
    readonly factors: readonly string[] | undefined,
    private readonly source: { readonly nfa: Nfa },
    readonly floating: boolean,
    readonly warnings: readonly string[],
    readonly may: (t: Template) => boolean,
    readonly must: (t: Template) => boolean,
  ) {}

  get nfa(): Nfa {
    return this.source.nfa;
  }
}

/** Is `dir` inside (or equal to) one of `subtrees`? */
function within(dir: readonly string[], subtrees: readonly string[][]): boolean {
  return subtrees.some((b) => b.length <= dir.length && b.every((seg, k) => seg === dir[k]));
}

function hostPattern(pattern: string): CompilePatternResult {
  const r = compileHostPattern(pattern);
  if (!r.ok) return r;
  const m = r.matcher;
  const k = m.key;
  const keys: IndexKey[] | undefined =
    k.kind === "exact"
      ? [{ kind: "host", value: k.host }]
      : k.kind === "suffix"
        ? [{ kind: "suffix", value: k.suffix }]
        : k.kind === "first-label"
          ? [{ kind: "label", value: k.label }]
          : undefined;
  const test = (v: unknown) => isStr(v) && m.test(v);
  return { ok: true, pattern: { test, keys, factors: m.factors, nfa: undefined, floating: false, warnings: [], ...unknownTemplates(test) } };
}

/** Fields no template ever reaches (hosts, ports, methods): exact on a concrete template, the strict reading otherwise. */
function unknownTemplates(test: (v: unknown) => boolean): TemplateTest {
  return {
    may: (t) => (isConcrete(t) ? test(t.join("")) : true),
    must: (t) => (isConcrete(t) ? test(t.join("")) : false),
  };
}

function stringPattern(field: string, pattern: string): CompilePatternResult {
  const ci = field === "method" || field === "scheme";
  const m = compileWildcard(pattern, { caseInsensitive: ci });
  let keys: IndexKey[] | undefined;
  if (field === "key" && m.alternatives.every((a) => a.exact)) keys = m.alternatives.map((a) => ({ kind: "key", value: a.prefix }));
  if (field === "command") {
    // Indexable when every alternative fixes the first word: all literal, or a
    // literal prefix that already contains the space ending the first word.
    keys = [];
    for (const a of m.alternatives) {
      const sp = a.prefix.indexOf(" ");
      if (sp > 0) keys.push({ kind: "word", value: a.prefix.slice(0, sp) });
      else if (a.exact && a.prefix !== "") keys.push({ kind: "word", value: a.prefix });
      else {
        keys = undefined;
        break;
      }
    }
  }
  if (field === "port") {
    const test = (v: unknown) => typeof v === "number" && m.test(String(v));
    return { ok: true, pattern: { test, keys, factors: undefined, nfa: undefined, floating: false, warnings: [], ...unknownTemplates(test) } };
  }
  const test = (v: unknown) => isStr(v) && m.test(v);
  // Case-insensitive fields (methods, schemes) compare lower-cased text: their factors are not text of the value as sent.
  if (ci) return { ok: true, pattern: { test, keys, factors: undefined, nfa: undefined, floating: false, warnings: [], ...unknownTemplates(test) } };
  const prefixes = m.alternatives.map((a) => a.prefix);
  const open = m.alternatives.filter((a) => a.open).map((a) => a.prefix);
  // A template whose leading text no alternative's leading text agrees with cannot match: skip the automata.
  const compatible = (t: Template) => {
    const head = typeof t[0] === "string" ? t[0] : "";
    return prefixes.some((p) => p.startsWith(head) || head.startsWith(p));
  };
  return {
    ok: true,
    pattern: new Pattern(
      test,
      keys,
      m.factors,
      m,
      false,
      NO_WARNINGS,
      (t) => compatible(t) && mayMatch(templateNfa(t), m.nfa),
      // `git *` covers every value of a template whose leading text starts with `git `.
      (t) => compatible(t) && (open.some((p) => typeof t[0] === "string" && t[0].startsWith(p)) || mustMatch(templateNfa(t), m.nfa)),
    ),
  };
}
