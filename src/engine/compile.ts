import { actionPatternMatches } from "./action-pattern.js";
import type { PatternOptions } from "../match/compiled-pattern.js";
import type { Effect, PolicyIR, RateLimit, RuleIR } from "../policy/ir.js";
import { scheduleOpen } from "./schedule-open.js";
import { allOf, lazyCondition, type LazyCondition, type SubjectTest } from "./compile-test.js";
import { RuleBucket, type IndexedRule } from "./rule-index.js";
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
  const byPattern = rulesByActionPattern(rules);
  const buckets = new Map<string, RuleBucket>();
  const build = (action: string) => new RuleBucket(rules, membersOf(byPattern, action), opts);
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

/** Each distinct action pattern of the policy and the rules naming it, in order. */
function rulesByActionPattern(rules: readonly CompiledRule[]): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const r of rules) {
    for (const p of r.actions) {
      let list = out.get(p);
      if (!list) out.set(p, (list = []));
      if (list[list.length - 1] !== r.index) list.push(r.index);
    }
  }
  return out;
}

/** The rules, in order, whose action patterns cover `action`: a merge of the lists of the patterns that do. */
function membersOf(byPattern: ReadonlyMap<string, readonly number[]>, action: string): readonly number[] {
  const lists: Array<readonly number[]> = [];
  for (const [p, list] of byPattern) if (actionPatternMatches(p, action)) lists.push(list);
  if (lists.length === 1) return lists[0]!;
  const all = lists.flat().sort((a, b) => a - b);
  return all.filter((x, k) => k === 0 || all[k - 1] !== x);
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
    this.done = true;
    const all = allOf(this.conditions.map((c) => c.compiled()));
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
