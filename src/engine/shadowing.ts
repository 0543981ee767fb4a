import { affix, includes, intersection, product, type Nfa } from "../match/automaton.js";
import type { PatternOptions } from "../match/compiled-pattern.js";
import { ACTION_SCHEMA } from "../policy/action-schema.js";
import type { Condition, FieldTest, Scalar } from "../policy/ir.js";
import { normalizeRequest } from "../request/normalize-request.js";
import type { Subject } from "../request/subject.js";
import { actionPatternMatches } from "./action-pattern.js";
import type { CompiledPolicy, CompiledRule } from "./compile.js";
import { compileFieldTest, type FieldMatcher } from "./compile-test.js";
import { SEVERITY } from "./decision.js";

/**
 * Shadowing: first match decides, so a deny (or require_approval) placed after
 * a weaker rule that matches some of the same requests does not decide those
 * requests. For each such pair (earlier weaker rule E, later stricter rule L):
 *
 * - L never decides when every request L matches, E matches too (L ⊆ E)
 *   (for requests whose values are known; a command word known only at run
 *   time may-matches L without must-matching E, and then L still counts);
 * - L decides less than it looks when some request matches both and E is not
 *   simply an exception carved out of L (E ⊄ L: an allow of `/app/public/**`
 *   before a deny of `/app/**` is deliberate, an allow of `/app/**` before a
 *   deny of `**\/.env` is the trap: `/app/.env` is allowed).
 *
 * Exactness: each rule is read as one set per field (the conjunction of its
 * conditions on that field). Path, command and other string patterns, `eq`,
 * `in`, `startsWith`, `endsWith`, `contains` and lists of them are automata
 * (match/automaton.ts), so overlap and inclusion are computed exactly;
 * hosts and env keys given as literals are finite sets, tested exactly.
 *
 * Conservative direction: a warning is only ever given with proof. An overlap
 * is reported with a witness request that both rules' real matchers accept
 * (so `not:`, `matches:` and every other condition are honoured); "never
 * decides" only when inclusion is proven on every condition of E. Where the
 * automata cannot tell (host patterns with wildcards, regexes, negations, an
 * automaton past its size budget), nothing is said: a false alarm would teach
 * people to ignore the warnings and make `--strict` unusable, and the
 * analysis never changes a decision either way.
 */
export interface Shadowing {
  kind: "never" | "partly";
  later: CompiledRule;
  earlier: CompiledRule;
  /** a request both rules match, for the message (partly) */
  example?: Record<string, unknown>;
}

/** How many rule pairs are examined at most; past it, the analysis says it stopped. */
export const MAX_PAIRS = 20_000;

export function findShadowing(policy: CompiledPolicy): { found: Shadowing[]; stoppedAfter?: number } {
  const opts: PatternOptions = { cwd: policy.ir.cwd, caseInsensitive: policy.caseInsensitivePaths };
  const views = policy.rules.map((r) => ruleView(r, opts));
  const found: Shadowing[] = [];
  let pairs = 0;
  for (let j = 0; j < views.length; j++) {
    const later = views[j]!;
    if (later.rule.effect === "allow") continue;
    for (let i = 0; i < j; i++) {
      const earlier = views[i]!;
      if (SEVERITY[earlier.rule.effect] >= SEVERITY[later.rule.effect]) continue;
      const actions = commonActions(earlier.rule.actions, later.rule.actions);
      if (actions.length === 0 || disjointByKeys(earlier, later)) continue;
      if (++pairs > MAX_PAIRS) return { found, stoppedAfter: MAX_PAIRS };
      if (covers(earlier, later)) {
        found.push({ kind: "never", later: later.rule, earlier: earlier.rule });
        break; // it never decides: nothing later can make that worse
      }
      const example = witness(earlier, later, actions, policy.requestOptions);
      if (example && !covers(later, earlier)) found.push({ kind: "partly", later: later.rule, earlier: earlier.rule, example });
    }
  }
  return { found };
}

/**
 * A rule as per-field sets: its conditions in disjunctive form (a rule-level
 * `any:` is one alternative per branch), each alternative the conjunction of
 * its field conditions, compiled. `not:` cannot be read as a set here: it
 * makes the rule `opaque` (never proven to cover anything), and a witness
 * still has to pass it, since witnesses are checked with the real matchers.
 */
interface RuleView {
  rule: CompiledRule;
  alternatives: Alternative[];
  opaque: boolean;
  timed: boolean;
}

type Alternative = Map<string, Array<{ test: FieldTest; m: FieldMatcher }>>;

const MAX_ALTERNATIVES = 16;

function ruleView(rule: CompiledRule, opts: PatternOptions): RuleView {
  let opaque = false;
  const cache = new Map<Condition, FieldMatcher>();
  const matcher = (c: Extract<Condition, { kind: "field" }>) => {
    let m = cache.get(c);
    if (!m) cache.set(c, (m = compileFieldTest(c.test, c.field, opts)));
    return m;
  };
  // Each alternative as a list of field conditions; the product of `any:` branches, bounded.
  const expand = (conds: readonly Condition[]): Array<Array<Extract<Condition, { kind: "field" }>>> => {
    let alts: Array<Array<Extract<Condition, { kind: "field" }>>> = [[]];
    for (const c of conds) {
      if (c.kind === "field") alts = alts.map((a) => [...a, c]);
      else if (c.kind === "all") {
        const inner = expand(c.conditions);
        alts = alts.flatMap((a) => inner.map((i) => [...a, ...i]));
      } else if (c.kind === "any") {
        const branches = c.conditions.flatMap((b) => expand([b]));
        alts = alts.flatMap((a) => branches.map((b) => [...a, ...b]));
      } else opaque = true;
      if (alts.length > MAX_ALTERNATIVES) {
        opaque = true;
        return [[]];
      }
    }
    return alts;
  };
  const alternatives = expand(rule.ir.when).map((list) => {
    const alt: Alternative = new Map();
    for (const c of list) {
      let l = alt.get(c.field);
      if (!l) alt.set(c.field, (l = []));
      l.push({ test: c.test, m: matcher(c) });
    }
    return alt;
  });
  return { rule, alternatives, opaque, timed: rule.ir.schedule !== undefined || rule.ir.expiresAt !== undefined };
}

/** Does `outer` match every request `inner` matches? Only ever true with proof. */
function covers(outer: RuleView, inner: RuleView): boolean {
  if (outer.opaque || outer.timed) return false;
  if (!inner.rule.actions.every((p) => outer.rule.actions.some((q) => actionCovers(q, p)))) return false;
  // every branch of inner lies inside some branch of outer (a `not:` in inner only makes it smaller)
  return inner.alternatives.every((i) => outer.alternatives.some((o) => alternativeCovers(o, i)));
}

function alternativeCovers(outer: Alternative, inner: Alternative): boolean {
  for (const [field, conds] of outer) {
    const own = inner.get(field);
    if (!own) return false; // inner says nothing about the field, outer narrows it
    for (const c of conds) if (!fieldIncluded(own, c.m)) return false;
  }
  return true;
}

/** Are the values passing every one of `conds` all accepted by `m`? */
function fieldIncluded(conds: ReadonlyArray<{ test: FieldTest; m: FieldMatcher }>, m: FieldMatcher): boolean {
  const finite = finiteValues(conds);
  if (finite) return finite.every((v) => m.test(v));
  if (!m.nfa) return false;
  const lang = conjunction(conds.map((c) => c.m));
  return lang !== undefined && includes(lang, m.nfa) === true;
}

/** The intersection automaton of several field matchers, or undefined when one has none or it is too big. */
function conjunction(ms: readonly FieldMatcher[]): Nfa | undefined {
  let acc: Nfa | undefined;
  for (const m of ms) {
    if (!m.nfa) return undefined;
    acc = acc === undefined ? m.nfa : product(acc, m.nfa);
    if (!acc) return undefined;
  }
  return acc;
}

/** The exact values of a field when some condition pins them to a finite list (literal hosts, env keys, `eq`, `in`). */
function finiteValues(conds: ReadonlyArray<{ test: FieldTest; m: FieldMatcher }>): Scalar[] | undefined {
  for (const { test, m } of conds) {
    let values: Scalar[] | undefined;
    if (m.keys && m.keys.every((k) => k.kind === "host" || k.kind === "key")) values = m.keys.map((k) => k.value);
    else if (test.op === "eq") values = [test.value];
    else if (test.op === "in") values = test.values;
    if (values) return values.filter((v) => conds.every((c) => c.m.test(v)));
  }
  return undefined;
}

/**
 * A request both rules match, built field by field, then checked the way a
 * real one is: normalized like a request (so `http://` or `/a/../b` never
 * stand as examples) and tested with both rules' real matchers.
 */
function witness(a: RuleView, b: RuleView, actions: readonly string[], requestOptions: { cwd?: string }): Record<string, unknown> | undefined {
  for (const x of a.alternatives) {
    for (const y of b.alternatives) {
      const fields = [...new Set([...x.keys(), ...y.keys()])];
      const choices = fields.map((f) => candidatesFor(f, [...(x.get(f) ?? []), ...(y.get(f) ?? [])]));
      if (choices.some((c) => c.length === 0)) continue;
      // every combination of candidates, a bounded number of them
      let combos: unknown[][] = [[]];
      for (const c of choices) combos = combos.flatMap((prefix) => c.map((v) => [...prefix, v])).slice(0, MAX_COMBINATIONS);
      for (const combo of combos) {
        const values = new Map(fields.map((f, i) => [f, combo[i]] as const));
        for (const action of actions) {
          const request = requestOf(subjectFor(action, values));
          const n = normalizeRequest(request, requestOptions);
          if (n.ok && n.request.subjects.some((s) => !s.possible && !s.templates && a.rule.test(s) && b.rule.test(s))) return request;
        }
      }
    }
  }
  return undefined;
}

const MAX_COMBINATIONS = 32;

// Values tried when a field's sets give no example of their own (case-insensitive
// fields, hosts, numbers) or give one a request cannot be (a URL glob's `http://`).
const PROBES: Record<string, readonly Scalar[]> = {
  method: ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"],
  scheme: ["https", "http"],
  port: [443, 80, 8080],
  host: ["example.com", "169.254.169.254", "localhost"],
  url: ["https://example.com/", "http://169.254.169.254/latest/meta-data/", "http://localhost/"],
};

/** Example values of one field that pass all of its conditions in both rules: the exact ones first. */
function candidatesFor(field: string, conds: ReadonlyArray<{ test: FieldTest; m: FieldMatcher }>): unknown[] {
  const passes = (v: unknown) => conds.every((c) => c.m.test(v));
  const out: unknown[] = [];
  const finite = finiteValues(conds);
  if (finite) out.push(...finite.slice(0, 4));
  else {
    const lang = conjunction(conds.filter((c) => c.m.nfa).map((c) => c.m));
    if (lang) {
      const w = intersection(lang, ANY_STRING);
      if (typeof w === "string" && passes(w)) out.push(w);
    }
  }
  for (const v of PROBES[field] ?? []) if (passes(v) && !out.includes(v)) out.push(v);
  return out;
}

const ANY_STRING = affix("", "any", "");

/** A subject with the witness values, and plain values for the fields its action needs. */
function subjectFor(action: string, values: Map<string, unknown>): Subject {
  const s: Record<string, unknown> = { action };
  const defaults: Record<string, unknown> = { path: "/x", command: "x", host: "example.com", port: 443, scheme: "https", key: "X", server: "s", tool: "t" };
  const spec = Object.hasOwn(ACTION_SCHEMA, action) ? (ACTION_SCHEMA[action as keyof typeof ACTION_SCHEMA].fields as Record<string, unknown>) : {};
  for (const f of Object.keys(spec)) if (Object.hasOwn(defaults, f)) s[f] = defaults[f];
  // a network request names its target once: by url, or by host (and port, scheme)
  if (action === "network.request" && values.has("url")) for (const f of ["host", "port", "scheme"]) if (!values.has(f)) delete s[f];
  for (const [f, v] of values) {
    const dot = f.indexOf(".");
    if (dot < 0) {
      s[f] = v;
      continue;
    }
    // context.a.b: nested objects
    const [root, ...rest] = f.split(".");
    let o = (s[root!] ??= {}) as Record<string, unknown>;
    for (const k of rest.slice(0, -1)) o = (o[k] ??= {}) as Record<string, unknown>;
    o[rest[rest.length - 1]!] = v;
  }
  return s as unknown as Subject;
}

function requestOf(s: Subject): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(s)) if (v !== undefined) out[k] = v;
  return out;
}

/** Concrete actions (built-in, named, or a stand-in for a wildcard's custom ones) both pattern lists match. */
function commonActions(a: readonly string[], b: readonly string[]): string[] {
  const candidates = new Set<string>(Object.keys(ACTION_SCHEMA));
  for (const p of [...a, ...b]) {
    if (p === "*") candidates.add("custom.action");
    else if (p.endsWith(".*")) candidates.add(p.slice(0, -1) + "x");
    else candidates.add(p);
  }
  return [...candidates].filter((c) => a.some((p) => actionPatternMatches(p, c)) && b.some((p) => actionPatternMatches(p, c)));
}

/** Does action pattern `outer` cover every action `inner` matches? */
function actionCovers(outer: string, inner: string): boolean {
  if (outer === "*") return true;
  if (outer.endsWith(".*")) return inner !== "*" && inner.startsWith(outer.slice(0, -1));
  return outer === inner;
}

/** A cheap first look: literal keys on one field that cannot meet (two different env keys, unrelated path bases), in every pair of branches. */
function disjointByKeys(a: RuleView, b: RuleView): boolean {
  return a.alternatives.every((x) => b.alternatives.every((y) => branchesDisjoint(x, y)));
}

function branchesDisjoint(x: Alternative, y: Alternative): boolean {
  for (const [f, conds] of x) {
    const other = y.get(f);
    if (!other) continue;
    for (const c of conds) {
      for (const d of other) {
        const kx = c.m.keys;
        const ky = d.m.keys;
        if (kx && ky && kx.every((k) => ky.every((l) => !keysMeet(k, l)))) return true;
      }
    }
  }
  return false;
}

function keysMeet(k: { kind: string; value: string }, l: { kind: string; value: string }): boolean {
  if ((k.kind === "key" || k.kind === "host") && k.kind === l.kind) return k.value === l.value;
  if (k.kind === "path" && l.kind === "path") return under(k.value, l.value) || under(l.value, k.value);
  if (k.kind === "word" && l.kind === "word") return k.value === l.value;
  return true;
}

function under(path: string, dir: string): boolean {
  return dir === "/" || path === dir || path.startsWith(dir.endsWith("/") ? dir : dir + "/");
}
