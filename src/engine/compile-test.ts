import { affix, containing, literals, union, type Nfa } from "../match/automaton.js";
import { compilePattern, type IndexKey, type PatternOptions } from "../match/compiled-pattern.js";
import { foldCase } from "../match/fold.js";
import { pathTemplateNfa } from "../match/path-template.js";
import { compileRegex } from "../match/regex.js";
import { conditionFactors } from "./condition-factors.js";
import { CASELESS_FIELDS, caseFold, normalizeOperand } from "./operands.js";
import type { Template } from "../match/template.js";
import { mayMatch, mustMatch, templateNfa } from "../match/template-nfa.js";
import type { Condition, FieldTest, Scalar } from "../policy/ir.js";
import { normalizePath } from "../request/normalize-path.js";
import { globShape, isFreeFormField, isPathOperand } from "../match/path-shaped.js";
import { fieldGetter, type Subject } from "../request/subject.js";
import { readAsPath } from "./argument-paths.js";

/**
 * Turns validated conditions into matchers, once, at load. Operands are
 * normalized like request values (a host in `in:` is punycoded and its IPv4
 * spelling canonicalized; a path in `eq:` is resolved, and folded in a
 * case-insensitive policy), so a policy and a request that mean the same
 * thing compare equal.
 *
 * Each matcher answers three questions: `test` for a value known exactly,
 * and, for a value only partly known before a command runs (a template, see
 * match/template.ts), `may` (some value it stands for passes) and `must`
 * (every value passes). Where a test cannot be computed exactly for a
 * template (`matches`, hosts), `may` is true and `must` false; `not` swaps
 * them, so every answer errs toward the stricter decision.
 */
export type ValueTest = (v: unknown) => boolean;
export type SubjectTest = (s: Subject) => boolean;

/** The fields a template can stand for. */
export type TemplatedField = "command" | "path" | "key" | "url";

export interface FieldMatcher {
  test: ValueTest;
  may(t: Template): boolean;
  must(t: Template): boolean;
  /**
   * For a value known exactly but read several ways (a free-form value read as
   * a path: engine/argument-paths.ts): some reading passes / every reading
   * does. Absent: `test` answers both.
   */
  mayValue?: ValueTest | undefined;
  mustValue?: ValueTest | undefined;
  /** what `nfa` is a language of: request text (undefined), or resolved paths read off free-form text; sets of different domains are not compared */
  domain?: "path" | "mixed" | undefined;
  /** every value passing lies under one of these (for the index); undefined when no literal key bounds them */
  keys?: readonly IndexKey[] | undefined;
  /** a glob's factors, as its compiled pattern states them (the index reads conditions' factors: condition-factors.ts) */
  factors?: readonly string[] | undefined;
  /** the values passing, as an automaton, when known */
  nfa?: Nfa | undefined;
}

export interface ConditionMatcher {
  test: SubjectTest;
  may: SubjectTest;
  must: SubjectTest;
  /** the field this condition bounds, and the keys it bounds it by */
  index?: { field: string; keys: readonly IndexKey[] } | undefined;
  /** the field this condition bounds, and literal text one of which every passing value contains (condition-factors.ts) */
  factors?: { field: string; factors: readonly string[] } | undefined;
}

export function templateOf(s: Subject, field: string): Template | undefined {
  const t = s.templates;
  return t === undefined
    ? undefined
    : field === "command"
      ? t.command
      : field === "path"
        ? t.path
        : field === "key"
          ? t.key
          : field === "url"
            ? t.url
            : undefined;
}

export function compileConditions(conditions: readonly Condition[], opts: PatternOptions): ConditionMatcher {
  return allOf(conditions.map((c) => compileCondition(c, opts)));
}

/** All of several matchers. */
export function allOf(parts: readonly ConditionMatcher[]): ConditionMatcher {
  if (parts.length === 0) return { test: () => true, may: () => true, must: () => true };
  if (parts.length === 1) return parts[0]!;
  const tests = parts.map((p) => p.test);
  return {
    test: (s) => {
      for (const t of tests) if (!t(s)) return false;
      return true;
    },
    may: (s) => parts.every((p) => p.may(s)),
    must: (s) => parts.every((p) => p.must(s)),
  };
}

export function compileCondition(c: Condition, opts: PatternOptions): ConditionMatcher {
  switch (c.kind) {
    case "field": {
      const get = getterOf(c.field);
      const field = c.field;
      const m = compileFieldTest(c.test, field, opts);
      const test = m.test;
      const mayValue = m.mayValue ?? test;
      const mustValue = m.mustValue ?? test;
      // The sampling wrapper answers templates only: made when the first one comes.
      let sampled: FieldMatcher | undefined;
      const forTemplates = () => (sampled ??= withSample(field, m, opts));
      return {
        test: (s) => test(get(s)),
        may: (s) => {
          const t = templateOf(s, field);
          return t ? forTemplates().may(t) : mayValue(get(s));
        },
        must: (s) => {
          const t = templateOf(s, field);
          return t ? forTemplates().must(t) : mustValue(get(s));
        },
        index: m.keys ? { field, keys: m.keys } : undefined,
        // A glob's compiled pattern has its factors already; anything else is read off the IR.
        factors: c.test.op === "glob" && m.factors ? { field, factors: m.factors } : conditionFactors(c, opts),
      };
    }
    case "all":
      return compileConditions(c.conditions, opts);
    case "any": {
      const parts = c.conditions.map((x) => compileCondition(x, opts));
      return { test: (s) => parts.some((p) => p.test(s)), may: (s) => parts.some((p) => p.may(s)), must: (s) => parts.some((p) => p.must(s)) };
    }
    case "not": {
      const p = compileCondition(c.condition, opts);
      return { test: (s) => !p.test(s), may: (s) => !p.must(s), must: (s) => !p.may(s) };
    }
  }
}

// One getter per field name, shared by every condition on it (a policy has few field names and many rules).
const getters = new Map<string, (s: Subject) => unknown>();
const MAX_GETTERS = 1024;
function getterOf(field: string): (s: Subject) => unknown {
  let g = getters.get(field);
  if (!g) {
    g = fieldGetter(field);
    if (getters.size < MAX_GETTERS) getters.set(field, g);
  }
  return g;
}

/**
 * A condition compiled on first use, so loading a policy compiles nothing but
 * what its first decisions touch. The first call of `test`, `may` or `must`
 * compiles the whole condition (every pattern and regex in it) and puts the
 * compiled functions in place of the forwarding ones. An operand that cannot
 * compile (validation refuses it; only a bundle edited by hand and re-digested
 * can carry one) throws there, inside evaluation, which denies: never a match
 * read as no match.
 *
 * `index` is what the rule index files the rule by: it compiles the condition
 * only on the fields whose matchers can give keys (see `exactKeys`, the
 * `keys` of compiled patterns and free-form fields read as paths); every
 * other condition has none, so the answer is known without compiling.
 */
export interface LazyCondition extends ConditionMatcher {
  /** the condition compiled now (once) */
  compiled(): ConditionMatcher;
}

export function lazyCondition(c: Condition, opts: PatternOptions): LazyCondition {
  return new Lazy(c, opts);
}

// A class, not an object literal with a getter: V8 keeps such literals as dictionaries (~450 bytes more each).
// Forwarding methods on the prototype, compiled functions as own properties once compiled (as LazyRule, compile.ts).
// A field added to ConditionMatcher for the rule index must be forwarded here too (and `keyable` widened
// if it can exist on more fields), or the index sees it missing on every rule that has not compiled yet.
class Lazy implements LazyCondition {
  private m: ConditionMatcher | undefined;
  private f: ConditionMatcher["factors"] | null = undefined;

  constructor(
    private readonly c: Condition,
    private readonly opts: PatternOptions,
  ) {}

  test(s: Subject): boolean {
    return this.compiled().test(s);
  }

  may(s: Subject): boolean {
    return this.compiled().may(s);
  }

  must(s: Subject): boolean {
    return this.compiled().must(s);
  }

  get index(): ConditionMatcher["index"] {
    return keyable(this.c) ? this.compiled().index : undefined;
  }

  /**
   * Where the keys need the condition compiled, from the compiled condition; otherwise read
   * off the IR (condition-factors.ts), so indexing compiles nothing the keys do not need.
   */
  get factors(): ConditionMatcher["factors"] {
    if (this.f === undefined) this.f = (keyable(this.c) ? this.compiled().factors : conditionFactors(this.c, this.opts)) ?? null;
    return this.f ?? undefined;
  }

  compiled(): ConditionMatcher {
    if (this.m === undefined) {
      const m = compileCondition(this.c, this.opts);
      this.m = m;
      this.test = m.test;
      this.may = m.may;
      this.must = m.must;
    }
    return this.m;
  }
}

/**
 * A field matcher whose automaton is read through `automaton` (built on first
 * use by whoever owns it). A class for the same reason as `Lazy`: one per
 * pattern in the policy.
 */
class WithNfa implements FieldMatcher {
  constructor(
    readonly test: ValueTest,
    readonly may: (t: Template) => boolean,
    readonly must: (t: Template) => boolean,
    readonly keys: readonly IndexKey[] | undefined,
    private readonly automaton: () => Nfa | undefined,
    readonly mayValue: ValueTest | undefined = undefined,
    readonly mustValue: ValueTest | undefined = undefined,
    readonly domain: FieldMatcher["domain"] = undefined,
  ) {}

  get nfa(): Nfa | undefined {
    return this.automaton();
  }
}

/** Can the compiled condition have an `index`? A field one on a keyable field, or an `all:` of one such (allOf returns its only part). */
function keyable(c: Condition): boolean {
  if (c.kind === "field") return mayHaveKeys(c.field);
  return c.kind === "all" && c.conditions.length === 1 && keyable(c.conditions[0]!);
}

/** The fields a compiled field test can give index keys for (compileFieldTest: `keys`). */
export function mayHaveKeys(field: string): boolean {
  return field === "path" || field === "host" || field === "key" || field === "command" || isFreeFormField(field);
}

/**
 * One value of a template, its holes left empty, tried with the plain test
 * before any automaton: it is one of the values, so if it passes the test
 * may-matches, and if it fails the test cannot must-match. Most templates are
 * settled here.
 */
const samples = { text: new WeakMap<Template, string>(), path: new WeakMap<Template, string | null>(), folded: new WeakMap<Template, string | null>() };

function withSample(field: string, m: FieldMatcher, opts: PatternOptions): FieldMatcher {
  const text = (t: Template): string => {
    let v = samples.text.get(t);
    if (v === undefined) samples.text.set(t, (v = t.map((p) => (typeof p === "string" ? p : "")).join("")));
    return v;
  };
  const cache = opts.caseInsensitive ? samples.folded : samples.path;
  const sample = (t: Template): string | undefined => {
    if (field !== "path") return text(t);
    let v = cache.get(t);
    if (v === undefined) {
      const p = normalizePath(text(t));
      cache.set(t, (v = p.ok ? (opts.caseInsensitive ? foldCase(p.path) : p.path) : null));
    }
    return v ?? undefined;
  };
  // Not `{ ...m }`: spreading would read `m.nfa`, which builds the automaton, for every pattern.
  return new WithNfa(
    m.test,
    (t) => {
      const v = sample(t);
      return (v !== undefined && m.test(v)) || m.may(t);
    },
    (t) => {
      const v = sample(t);
      return (v === undefined || m.test(v)) && m.must(t);
    },
    m.keys,
    () => m.nfa,
    m.mayValue,
    m.mustValue,
    m.domain,
  );
}

const isStr = (v: unknown): v is string => typeof v === "string";

/** The key of one exact value, for the index. */
function exactKey(field: string, v: Scalar): IndexKey | undefined {
  if (typeof v !== "string") return undefined;
  switch (field) {
    case "key":
      return { kind: "key", value: v };
    case "host":
      return { kind: "host", value: v };
    case "command":
      return { kind: "word", value: v.split(" ")[0]! };
    case "path":
      return v.startsWith("/") ? { kind: "path", value: v } : undefined;
    default:
      return undefined;
  }
}

function exactKeys(field: string, values: readonly Scalar[]): IndexKey[] | undefined {
  const out: IndexKey[] = [];
  for (const v of values) {
    const k = exactKey(field, v);
    if (!k) return undefined;
    out.push(k);
  }
  return out;
}

/** A field test that is a set of strings (an automaton, built on first use: only templates and analyses need it). */
function bySet(field: string, test: ValueTest, build: () => Nfa, opts: PatternOptions, keys?: IndexKey[]): FieldMatcher {
  const lang = languageOf(field, opts);
  let nfa: Nfa | undefined;
  const set = () => (nfa ??= build());
  return new WithNfa(
    test,
    (t) => mayMatch(lang(t), set()),
    (t) => mustMatch(lang(t), set()),
    keys,
    set,
  );
}

/** The strings a template of `field` stands for. */
function languageOf(field: string, opts: PatternOptions): (t: Template) => Nfa {
  if (field === "path") {
    const o = { caseInsensitive: opts.caseInsensitive === true };
    return (t) => pathTemplateNfa(t, o);
  }
  return templateNfa;
}

export function compileFieldTest(t: FieldTest, field: string, opts: PatternOptions): FieldMatcher {
  if (isFreeFormField(field)) {
    const m = pathTestOnFreeForm(t, field, opts);
    if (m) return m;
  }
  switch (t.op) {
    case "glob": {
      const r = compilePattern(field, t.pattern, opts);
      // Validation reports bad patterns; a policy that skipped it (a hand-edited bundle) is refused, never read as "no match".
      if (!r.ok) throw new Error(`invalid pattern \`${t.pattern}\` for \`${field}\`: ${r.reason}`);
      return r.pattern; // its automaton is built on first use: only templates and analyses need it
    }
    case "eq": {
      const want = normalizeOperand(field, t.value, opts);
      const test: ValueTest = (v) => v === want;
      return typeof want === "string"
        ? bySet(field, test, () => literals([want]), opts, exactKeys(field, [want]))
        : { test, may: () => false, must: () => false };
    }
    case "in": {
      const values = t.values.map((x) => normalizeOperand(field, x, opts));
      const set = new Set(values);
      const strings = values.filter(isStr);
      return bySet(
        field,
        (v) => set.has(v as Scalar),
        () => literals(strings),
        opts,
        exactKeys(field, values),
      );
    }
    case "neq":
    case "notIn": {
      const inner = compileFieldTest(t.op === "neq" ? { op: "eq", value: t.value } : { op: "in", values: (t as { values: Scalar[] }).values }, field, opts);
      return { test: (v) => !inner.test(v), may: (x) => !inner.must(x), must: (x) => !inner.may(x), ...negatedValues(inner) };
    }
    case "startsWith": {
      const x = caseFold(field, t.value, opts);
      return bySet(
        field,
        (v) => isStr(v) && v.startsWith(x),
        () => affix(x, "any", ""),
        opts,
      );
    }
    case "endsWith": {
      // `.internal.` ends the same hosts as `.internal`: request hosts have no trailing dot.
      const x = field === "host" ? caseFold(field, t.value, opts).replace(/\.+$/, "") : caseFold(field, t.value, opts);
      return bySet(
        field,
        (v) => isStr(v) && v.endsWith(x),
        () => affix("", "any", x),
        opts,
      );
    }
    case "contains": {
      const x = caseFold(field, t.value, opts);
      return bySet(
        field,
        (v) => isStr(v) && v.includes(x),
        () => containing(x),
        opts,
      );
    }
    case "matches": {
      // Hosts are lower-case, methods upper-case and folded paths lower-case by the time a
      // regex sees them: `^METADATA\.` or `^post$` must still match what they name.
      const ci = CASELESS_FIELDS.has(field) || (field === "path" && opts.caseInsensitive === true);
      // Compiled on the first value it tests (RE2 compiles cost ~0.1 ms each): a value that is
      // absent fails the test whatever the regex says. One that cannot compile throws there.
      let test: ((s: string) => boolean) | undefined;
      const regex = () => {
        if (test === undefined) {
          const r = compileRegex(t.regex, { caseInsensitive: ci });
          if (!r.ok) throw new Error(r.reason);
          test = r.test;
        }
        return test;
      };
      // RE2 has no automaton we can intersect here: a template may match, and need not.
      return { test: (v) => (isStr(v) || typeof v === "number") && regex()(String(v)), may: () => true, must: () => false };
    }
    case "exists":
      // A `url` template is a host-form request's (it sent no URL; see request/host-form-url.ts): `exists` says what was sent.
      if (field === "url")
        return t.value
          ? { test: (v) => v !== undefined, may: () => false, must: () => false }
          : { test: (v) => v === undefined, may: () => true, must: () => true };
      return t.value
        ? { test: (v) => v !== undefined, may: () => true, must: () => true }
        : { test: (v) => v === undefined, may: () => false, must: () => false };
    case "all": {
      const parts = t.tests.map((x) => compileFieldTest(x, field, opts));
      let keys: readonly IndexKey[] | undefined;
      for (const p of parts) if (p.keys && !keys) keys = p.keys;
      return {
        test: (v) => parts.every((p) => p.test(v)),
        may: (x) => parts.every((p) => p.may(x)),
        must: (x) => parts.every((p) => p.must(x)),
        keys,
        ...combinedValues(parts, "every"),
      };
    }
    case "any": {
      const parts = t.tests.map((x) => compileFieldTest(x, field, opts));
      const keys = parts.every((p) => p.keys) ? parts.flatMap((p) => p.keys!) : undefined;
      // A list of patterns is one set: every value of a template may be covered
      // by the union without any one pattern covering them all.
      let whole: Nfa | null | undefined;
      const unionOf = () => {
        if (whole === undefined) {
          const nfas = parts.map((p) => p.nfa);
          whole = nfas.length > 0 && nfas.every((n) => n !== undefined) ? union(nfas) : null;
        }
        return whole;
      };
      const lang = languageOf(field, opts);
      const values = combinedValues(parts, "some");
      return new WithNfa(
        (v) => parts.some((p) => p.test(v)),
        (x) => parts.some((p) => p.may(x)),
        (x) => {
          const u = unionOf();
          return u ? mustMatch(lang(x), u) : parts.some((p) => p.must(x));
        },
        keys,
        () => unionOf() ?? undefined,
        values.mayValue,
        values.mustValue,
        values.domain,
      );
    }
    case "not": {
      const p = compileFieldTest(t.test, field, opts);
      return { test: (v) => !p.test(v), may: (x) => !p.must(x), must: (x) => !p.may(x), ...negatedValues(p) };
    }
  }
}

/**
 * A leaf test written as a path on `context.*` / `arguments.*` (a glob whose
 * alternatives start with `/` or `**\/`, an operand starting with `/`; see
 * match/path-shaped.ts): compiled as on `path` and applied to the value read
 * as a path (engine/argument-paths.ts). Undefined for every other test, which
 * compares the value as sent; an `in` list is split into its path operands and
 * the rest.
 */
function pathTestOnFreeForm(t: FieldTest, field: string, opts: PatternOptions): FieldMatcher | undefined {
  const ci = opts.caseInsensitive === true;
  const asPath = (x: FieldTest) => readAsPath(compileFieldTest(x, "path", { caseInsensitive: ci }), ci);
  switch (t.op) {
    case "glob":
      return globShape(t.pattern) === "path" ? asPath(t) : undefined;
    case "eq":
    case "startsWith":
    case "endsWith":
    case "contains":
      return isPathOperand(t.value) ? asPath(t) : undefined;
    case "in": {
      const paths = t.values.filter(isPathOperand);
      if (paths.length === 0) return undefined;
      const rest = t.values.filter((v) => !isPathOperand(v));
      return rest.length === 0
        ? asPath({ op: "in", values: paths })
        : compileFieldTest(
            {
              op: "any",
              tests: [
                { op: "in", values: paths },
                { op: "in", values: rest },
              ],
            },
            field,
            opts,
          );
    }
    default:
      return undefined;
  }
}

const mayOf = (m: FieldMatcher): ValueTest => m.mayValue ?? m.test;
const mustOf = (m: FieldMatcher): ValueTest => m.mustValue ?? m.test;

/** The value answers of `not` a test: may and must swap. */
function negatedValues(m: FieldMatcher): Pick<FieldMatcher, "mayValue" | "mustValue" | "domain"> {
  if (!m.mayValue && !m.mustValue) return m.domain ? { domain: m.domain } : {};
  const may = mayOf(m);
  const must = mustOf(m);
  return { mayValue: (v) => !must(v), mustValue: (v) => !may(v), domain: m.domain };
}

/** The value answers of all (`every`) or any (`some`) of several tests of one field. */
function combinedValues(parts: readonly FieldMatcher[], how: "every" | "some"): Pick<FieldMatcher, "mayValue" | "mustValue" | "domain"> {
  const domains = new Set(parts.map((p) => p.domain));
  const domain = domains.size === 1 ? parts[0]?.domain : "mixed";
  if (!parts.some((p) => p.mayValue || p.mustValue)) return domain ? { domain } : {};
  const mays = parts.map(mayOf);
  const musts = parts.map(mustOf);
  return how === "every"
    ? { mayValue: (v) => mays.every((f) => f(v)), mustValue: (v) => musts.every((f) => f(v)), domain }
    : { mayValue: (v) => mays.some((f) => f(v)), mustValue: (v) => musts.some((f) => f(v)), domain };
}
