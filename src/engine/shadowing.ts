import { affix } from "../match/automaton.js";
import { intersection } from "../match/automaton-products.js";
import type { PatternOptions } from "../match/compiled-pattern.js";
import { ACTION_SCHEMA } from "../policy/action-schema.js";
import type { FieldTest, Scalar } from "../policy/ir.js";
import { normalizeRequest } from "../request/normalize-request.js";
import type { Subject } from "../request/subject.js";
import { actionPatternMatches } from "./action-pattern.js";
import type { CompiledPolicy, CompiledRule } from "./compile.js";
import type { FieldMatcher } from "./compile-test.js";
import { SEVERITY } from "./decision.js";
import { conjunction, covers, disjointByKeys, finiteValues, ruleView, type RuleView } from "./rule-sets.js";
import { KeyedCandidates } from "./shadow-candidates.js";

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

/** How many rule pairs are examined closely at most, and looked at at all; past either, the analysis says it stopped. */
export const MAX_PAIRS = 20_000;
export const MAX_LOOKS = 5_000_000;

/** `scan: true` looks at every earlier rule sharing an action, as the key lookup must be equivalent to (for tests). */
export function findShadowing(policy: CompiledPolicy, o: { scan?: boolean } = {}): { found: Shadowing[]; stoppedAfter?: number } {
  const opts: PatternOptions = { cwd: policy.ir.cwd, caseInsensitive: policy.caseInsensitivePaths };
  const views = policy.rules.map((r) => ruleView(r, opts));
  // Concrete actions once per rule: built-ins, named custom actions, a stand-in per wildcard.
  const universe = actionUniverse(policy.rules.flatMap((r) => r.actions));
  const acts = policy.rules.map((r) => new Set(universe.filter((c) => r.actions.some((p) => actionPatternMatches(p, c)))));
  const byAction = new Map<string, number[]>();
  acts.forEach((set, i) => set.forEach((a) => (byAction.get(a) ?? byAction.set(a, []).get(a)!).push(i)));
  const found: Shadowing[] = [];
  let pairs = 0;
  let looks = 0;
  // Per action, the earlier rules whose keys can meet a later rule's (shadow-candidates.ts): the rest are disjoint by keys.
  const keyed = new Map<string, KeyedCandidates>();
  const candidatesFor = (a: string, later: RuleView): number[] => {
    const members = byAction.get(a)!;
    if (o.scan) return members;
    let k = keyed.get(a);
    if (!k) keyed.set(a, (k = new KeyedCandidates(views, members)));
    return k.of(later) ?? members;
  };
  for (let j = 0; j < views.length; j++) {
    const later = views[j]!;
    if (later.rule.effect === "allow") continue;
    // only earlier rules that share an action (and may meet it by keys), in policy order
    const lists = [...acts[j]!].map((a) => candidatesFor(a, later));
    const earlierOnes = lists.length === 1 ? lists[0]! : [...new Set(lists.flat())].sort((x, y) => x - y);
    for (const i of earlierOnes) {
      if (i >= j) break;
      if (++looks > MAX_LOOKS) return { found, stoppedAfter: looks - 1 };
      const earlier = views[i]!;
      if (SEVERITY[earlier.rule.effect] >= SEVERITY[later.rule.effect]) continue;
      const actions = [...acts[j]!].filter((a) => acts[i]!.has(a));
      if (disjointByKeys(earlier, later)) continue;
      if (++pairs > MAX_PAIRS) return { found, stoppedAfter: looks };
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
          if (n.ok && n.request.subjects.some((s) => decidedByEarlier(a.rule, b.rule, s))) return request;
        }
      }
    }
  }
  return undefined;
}

const MAX_COMBINATIONS = 32;

/**
 * Does the earlier rule decide a subject the later one matches? For a known
 * subject, both match it. A host-form request stands for every URL on its
 * host (request/host-form-url.ts): the earlier rule must match all of them,
 * and the later one some. Run-time values of a command are never examples.
 */
function decidedByEarlier(earlier: CompiledRule, later: CompiledRule, s: Subject): boolean {
  if (s.possible) return false;
  const t = s.templates;
  if (!t) return earlier.test(s) && later.test(s);
  if (t.command !== undefined || t.path !== undefined || t.key !== undefined) return false;
  return earlier.conditions.every((c) => c.must(s)) && later.conditions.every((c) => c.may(s));
}

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

/** Concrete actions that stand for every action the patterns can name: built-ins, named custom ones, one per wildcard. */
function actionUniverse(patterns: readonly string[]): string[] {
  const candidates = new Set<string>(Object.keys(ACTION_SCHEMA));
  for (const p of patterns) {
    if (p === "*") candidates.add("custom.action");
    else if (p.endsWith(".*")) candidates.add(p.slice(0, -1) + "x");
    else candidates.add(p);
  }
  return [...candidates];
}
