import { actionPatternMatches } from "./action-pattern.js";
import type { PatternOptions } from "../match/compiled-pattern.js";
import type { Effect, PolicyIR, RateLimit, RuleIR } from "../policy/ir.js";
import { scheduleOpen } from "./schedule-open.js";
import { allOf, lazyCondition, type LazyCondition, type SubjectTest } from "./compile-test.js";
import { RuleBucket, sharedIndex, type IndexedRule, type SharedIndex } from "./rule-index.js";
import type { Subject } from "../request/subject.js";
import type { RequestOptions } from "../request/normalize-request.js";
import { requestOptionsOf } from "./request-options.js";
import { argumentPathFields, argumentPathGetters, type ArgumentPathField } from "./argument-paths.js";

/**
 * A policy compiled once and evaluated many times. Loading only reads the
 * rules; each rule's conditions compile on first use (compile-test.ts:
 * `lazyCondition`), and each action's rule bucket on its first request, so a
 * cold start pays for what its first decisions touch, not for the whole table.
 */
export interface CompiledRule extends IndexedRule {
  id: string;
  effect: Effect;
  reason?: string;
  actions: readonly string[];
  rateLimit?: RateLimit;
  ir: RuleIR;
  /** conditions only (no schedule), for explanations */
  test: SubjectTest;
  /** for a subject with run-time values: some value it stands for matches / every value does (schedule included) */
  may(s: Subject, nowMs: number): boolean;
  must(s: Subject, nowMs: number): boolean;
  /** each condition on its own, to say which one failed */
  parts: ReadonlyArray<{ label: string; test: SubjectTest }>;
  activeAt(nowMs: number): boolean;
}

export interface CompiledPolicy {
  readonly ir: PolicyIR;
  readonly digest: string;
  readonly rules: readonly CompiledRule[];
  /** what request normalization needs from the policy (its cwd, how to read shell commands) */
  readonly requestOptions: RequestOptions;
  /** how paths are compared: `paths: { caseInsensitive }` (default false: Linux) */
  readonly caseInsensitivePaths: boolean;
  /** the `context.*` / `arguments.*` fields some rule tests as a path (see argument-paths.ts) */
  readonly argumentPaths: readonly ArgumentPathField[];
  bucket(action: string): RuleBucket;
}

// Custom action names come from requests; caching a bucket per name must not
// let a caller grow memory without bound.
const MAX_CACHED_BUCKETS = 4096;

export function compilePolicy(ir: PolicyIR, digest: string): CompiledPolicy {
  const opts: PatternOptions = { cwd: ir.cwd, caseInsensitive: ir.paths?.caseInsensitive === true };
  const rules: CompiledRule[] = ir.rules.map((r, index) => compileRule(r, index, opts));
  const buckets = new Map<string, RuleBucket>();
  const patterns = actionPatterns(rules);
  // Action names the same patterns cover share one bucket (and its lists): custom names a caller
  // invents mostly select the same `*` rules, and must not each build their own.
  const bySignature = new Map<string, RuleBucket>();
  // Built with the first bucket: where every rule is filed, and the factor automata, for the whole policy.
  let shared: SharedIndex | undefined;
  const build = (action: string) => {
    const { signature, members } = patterns.select(action);
    let b = bySignature.get(signature);
    if (!b) {
      b = new RuleBucket(rules, members(), (shared ??= sharedIndex(rules)), opts);
      if (bySignature.size < MAX_CACHED_BUCKETS) bySignature.set(signature, b);
    }
    return b;
  };
  return {
    ir,
    digest,
    rules,
    requestOptions: requestOptionsOf(ir),
    caseInsensitivePaths: opts.caseInsensitive === true,
    argumentPaths: argumentPathGetters(argumentPathFields(ir.rules)),
    bucket(action) {
      let b = buckets.get(action);
      if (!b) {
        b = build(action);
        if (buckets.size < MAX_CACHED_BUCKETS) buckets.set(action, b);
      }
      return b;
    },
  };
}

/**
 * The policy's action patterns, and which rules name each. Exact names are a
 * map lookup and only the wildcard patterns (`*`, `file.*`) are tested, so an
 * action name no cache holds (past MAX_CACHED_BUCKETS invented names) costs
 * the number of wildcard patterns, not the number of rules.
 */
function actionPatterns(rules: readonly CompiledRule[]) {
  const ids = new Map<string, number>();
  const lists: number[][] = [];
  for (const r of rules)
    for (const p of r.actions) {
      let id = ids.get(p);
      if (id === undefined) {
        ids.set(p, (id = lists.length));
        lists.push([]);
      }
      const list = lists[id]!;
      if (list[list.length - 1] !== r.index) list.push(r.index);
    }
  const wild = [...ids].filter(([p]) => p === "*" || p.endsWith(".*"));
  return {
    /** which patterns cover `action` (as text, the bucket's cache key), and its rules in order */
    select(action: string): { signature: string; members: () => number[] } {
      const hit: number[] = [];
      const exact = ids.get(action);
      if (exact !== undefined && !(action === "*" || action.endsWith(".*"))) hit.push(exact);
      for (const [p, id] of wild) if (actionPatternMatches(p, action)) hit.push(id);
      hit.sort((a, b) => a - b);
      return {
        signature: hit.join(","),
        members: () => {
          if (hit.length === 1) return [...lists[hit[0]!]!];
          const all = hit.flatMap((id) => lists[id]!).sort((a, b) => a - b);
          return all.filter((x, k) => k === 0 || all[k - 1] !== x);
        },
      };
    },
  };
}

/**
 * A rule whose matching functions compile on first call: the prototype's
 * forwarding methods compile the rule's conditions and give the instance the
 * compiled functions as its own, so later calls go straight to them. Nothing
 * per rule but the object until then (a class, not an object literal: V8
 * keeps a literal with a getter as a dictionary, ~450 bytes more per rule).
 * Callers call these as methods (`rule.matches(s, now)`), as they always did.
 */
class LazyRule implements CompiledRule {
  readonly id: string;
  readonly effect: Effect;
  readonly actions: readonly string[];
  readonly activeAt: (nowMs: number) => boolean;
  reason?: string;
  rateLimit?: RateLimit;
  private done = false;
  private timed: boolean;
  private ownParts: CompiledRule["parts"] | undefined;

  constructor(
    readonly ir: RuleIR,
    readonly index: number,
    readonly conditions: readonly LazyCondition[],
  ) {
    this.id = ir.id;
    this.effect = ir.effect;
    this.actions = ir.actions;
    const expires = ir.expiresAt === undefined ? Infinity : Date.parse(ir.expiresAt);
    const schedule = ir.schedule;
    this.timed = schedule !== undefined || expires !== Infinity;
    this.activeAt = this.timed ? (now: number) => now < expires && (schedule === undefined || scheduleOpen(schedule, now)) : () => true;
    if (ir.reason !== undefined) this.reason = ir.reason;
    if (ir.rateLimit !== undefined) this.rateLimit = ir.rateLimit;
  }

  test(s: Subject): boolean {
    return this.compiled().test(s);
  }

  may(s: Subject, now: number): boolean {
    return this.compiled().may(s, now);
  }

  must(s: Subject, now: number): boolean {
    return this.compiled().must(s, now);
  }

  matches(s: Subject, now: number): boolean {
    return this.compiled().matches(s, now);
  }

  get parts(): CompiledRule["parts"] {
    return (this.ownParts ??= this.ir.when.map((c, k) => ({ label: c.kind === "field" ? c.field : c.kind, test: this.conditions[k]!.compiled().test })));
  }

  private compiled(): this {
    if (this.done) return this;
    // Compiled before `done` is set: a condition that cannot compile throws on every call (a deny), not once.
    const all = allOf(this.conditions.map((c) => c.compiled()));
    this.done = true;
    const test = all.test;
    const activeAt = this.activeAt;
    this.test = test;
    this.may = (s, now) => activeAt(now) && all.may(s);
    this.must = (s, now) => activeAt(now) && all.must(s);
    this.matches = this.timed ? (s, now) => test(s) && activeAt(now) : test;
    return this;
  }
}

function compileRule(r: RuleIR, index: number, opts: PatternOptions): CompiledRule {
  return new LazyRule(
    r,
    index,
    r.when.map((c) => lazyCondition(c, opts)),
  );
}
