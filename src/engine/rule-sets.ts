import type { Nfa } from "../match/automaton.js";
import { includes, product } from "../match/automaton-products.js";
import type { PatternOptions } from "../match/compiled-pattern.js";
import type { Condition, FieldTest, Scalar } from "../policy/ir.js";
import type { CompiledRule } from "./compile.js";
import { compileFieldTest, type FieldMatcher } from "./compile-test.js";

/**
 * A rule as per-field sets: its conditions in disjunctive form (a rule-level
 * `any:` is one alternative per branch), each alternative the conjunction of
 * its field conditions, compiled. `not:` cannot be read as a set here: it
 * makes the rule `opaque` (never proven to cover anything), and a witness
 * still has to pass it, since witnesses are checked with the real matchers.
 */
export interface RuleView {
  rule: CompiledRule;
  alternatives: Alternative[];
  opaque: boolean;
  timed: boolean;
}

export type Alternative = Map<string, Array<{ test: FieldTest; m: FieldMatcher }>>;

const MAX_ALTERNATIVES = 16;

export function ruleView(rule: CompiledRule, opts: PatternOptions): RuleView {
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
export function covers(outer: RuleView, inner: RuleView): boolean {
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
  // A test on a free-form value read as a path and one on the value as sent see different things: never compared.
  if (!sameDomain([...conds.map((c) => c.m), m])) return false;
  const finite = finiteValues(conds);
  if (finite) return finite.every((v) => m.test(v));
  if (!m.nfa) return false;
  const lang = conjunction(conds.map((c) => c.m));
  return lang !== undefined && includes(lang, m.nfa) === true;
}

/** The intersection automaton of several field matchers, or undefined when one has none or it is too big. */
export function conjunction(ms: readonly FieldMatcher[]): Nfa | undefined {
  if (!sameDomain(ms)) return undefined;
  let acc: Nfa | undefined;
  for (const m of ms) {
    if (!m.nfa) return undefined;
    acc = acc === undefined ? m.nfa : product(acc, m.nfa);
    if (!acc) return undefined;
  }
  return acc;
}

function sameDomain(ms: readonly FieldMatcher[]): boolean {
  return ms.every((m) => m.domain !== "mixed" && m.domain === ms[0]?.domain);
}

/** The exact values of a field when some condition pins them to a finite list (literal hosts, env keys, `eq`, `in`). */
export function finiteValues(conds: ReadonlyArray<{ test: FieldTest; m: FieldMatcher }>): Scalar[] | undefined {
  for (const { test, m } of conds) {
    let values: Scalar[] | undefined;
    if (m.keys && m.keys.every((k) => k.kind === "host" || k.kind === "key")) values = m.keys.map((k) => k.value);
    else if (test.op === "eq") values = [test.value];
    else if (test.op === "in") values = test.values;
    if (values) return values.filter((v) => conds.every((c) => c.m.test(v)));
  }
  return undefined;
}

/** Does action pattern `outer` cover every action `inner` matches? */
function actionCovers(outer: string, inner: string): boolean {
  if (outer === "*") return true;
  if (outer.endsWith(".*")) return inner !== "*" && inner.startsWith(outer.slice(0, -1));
  return outer === inner;
}

/** A cheap first look: literal keys on one field that cannot meet (two different env keys, unrelated path bases), in every pair of branches. */
export function disjointByKeys(a: RuleView, b: RuleView): boolean {
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
  // host keys (see match/compiled-pattern.ts): an exact host, a suffix (`*.x` has suffix `x`), a first label (`smtp.*`)
  if (k.kind === "host" && l.kind === "suffix") return k.value.endsWith("." + l.value);
  if (k.kind === "suffix" && l.kind === "host") return l.value.endsWith("." + k.value);
  if (k.kind === "host" && l.kind === "label") return k.value.startsWith(l.value + ".");
  if (k.kind === "label" && l.kind === "host") return l.value.startsWith(k.value + ".");
  if (k.kind === "suffix" && l.kind === "suffix") return k.value === l.value || k.value.endsWith("." + l.value) || l.value.endsWith("." + k.value);
  if (k.kind === "path" && l.kind === "path") return under(k.value, l.value) || under(l.value, k.value);
  if (k.kind === "word" && l.kind === "word") return k.value === l.value;
  return true;
}

function under(path: string, dir: string): boolean {
  return dir === "/" || path === dir || path.startsWith(dir.endsWith("/") ? dir : dir + "/");
}
