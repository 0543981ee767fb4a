import type { Effect } from "../policy/ir.js";
import { normalizeRequest } from "../request/normalize-request.js";
import type { CompiledPolicy, CompiledRule } from "./compile.js";
import { deny, SEVERITY, type Decision, type ExplainEntry } from "./decision.js";
import type { RateLimitStore } from "./rate-limit.js";
import { describeSubject, type Subject } from "../request/subject.js";

export interface EvaluateOptions {
  nowMs: number;
  rateLimits?: RateLimitStore;
  explain?: boolean;
}

interface Outcome {
  effect: Effect;
  rule: CompiledRule | undefined;
  reason: string;
}

/**
 * Decides one request. Never throws: a request it cannot understand, and any
 * internal failure, is a deny whose reason says why.
 */
export function evaluate(policy: CompiledPolicy, input: unknown, opts: EvaluateOptions): Decision {
  try {
    return decide(policy, input, opts);
  } catch (e) {
    return deny("internal_error", `internal error while evaluating; denied: ${(e as Error)?.message ?? String(e)}`, { policy: policy.digest });
  }
}

function decide(policy: CompiledPolicy, input: unknown, opts: EvaluateOptions): Decision {
  const n = normalizeRequest(input, policy.requestOptions);
  if (!n.ok) {
    const reason = n.code === "uncertain" ? n.reason : `invalid request: ${n.reason}`;
    return deny(n.code, reason, { policy: policy.digest, ...(n.field !== undefined ? { field: n.field } : {}), ...(n.action !== undefined ? { action: n.action } : {}) });
  }
  const { subjects, action } = n.request;
  const uncertain = () => deny("uncertain", n.request.uncertain!, { policy: policy.digest, field: "command", action });
  if (subjects.length === 0 && n.request.uncertain !== undefined) return uncertain();
  const explain: ExplainEntry[] | undefined = opts.explain ? [] : undefined;
  let worst: Outcome | undefined;
  let worstSubject: Subject | undefined;
  for (const subject of subjects) {
    const o = decideSubject(policy, subject, opts);
    if (explain) explain.push(explainSubject(policy, subject, o, opts.nowMs));
    if (!worst || outranks(o, worst)) {
      worst = o;
      worstSubject = subject;
    }
    if (worst.effect === "deny" && worst.rule && !explain) break;
  }
  const o = worst!;
  // a part the engine cannot decide denies the line, unless a rule already denies a part it can
  if (n.request.uncertain !== undefined && !(o.effect === "deny" && o.rule)) return uncertain();
  // When a command line splits into several parts, say which part decided.
  const reason = subjects.length > 1 && o.effect !== "allow" ? `${o.reason} (${describeSubject(worstSubject!)})` : o.reason;
  const d: Decision = { decision: o.effect, allowed: o.effect === "allow", rule: o.rule?.id ?? null, reason, policy: policy.digest, action };
  if (explain) d.explain = explain;
  return d;
}

/** The stricter outcome decides; at equal strictness a rule that said so explains more than the default. */
function outranks(a: Outcome, b: Outcome): boolean {
  const d = SEVERITY[a.effect] - SEVERITY[b.effect];
  return d > 0 || (d === 0 && a.rule !== undefined && b.rule === undefined);
}

function decideSubject(policy: CompiledPolicy, s: Subject, opts: EvaluateOptions): Outcome {
  const i = policy.bucket(s.action).firstMatch(s, opts.nowMs);
  if (i < 0) {
    // A subject the line only may touch (Subject.possible) is decided by rules, never by the default.
    if (s.possible) return { effect: "allow", rule: undefined, reason: "no rule matched a possible effect" };
    const def = policy.ir.defaultAction;
    return { effect: def, rule: undefined, reason: `no rule matched; the policy default is ${def}` };
  }
  const rule = policy.rules[i]!;
  if (rule.rateLimit && opts.rateLimits) {
    const bucket = rule.rateLimit.per === "rule" ? rule.id : `${rule.id}\u0000${s.agent ?? ""}`;
    if (!opts.rateLimits.hit(bucket, rule.rateLimit, opts.nowMs)) {
      return { effect: "deny", rule, reason: `rate limit of rule ${rule.id} exceeded (${rule.rateLimit.maxRequests} per ${rule.rateLimit.windowMs / 1000}s)` };
    }
  }
  return { effect: rule.effect, rule, reason: rule.reason ?? `rule ${rule.id} (${rule.effect})` };
}

/** The slow, complete account: every rule for the action, in order, and why it did or did not match. */
function explainSubject(policy: CompiledPolicy, s: Subject, o: Outcome, nowMs: number): ExplainEntry {
  const rules: ExplainEntry["rules"] = [];
  for (const i of policy.bucket(s.action).members) {
    const r = policy.rules[i]!;
    if (!r.activeAt(nowMs)) rules.push({ rule: r.id, matched: false, why: "not active now (schedule or expiresAt)" });
    else if (r.test(s)) {
      rules.push({ rule: r.id, matched: true, why: `all conditions hold; effect ${r.effect}` });
      break;
    } else rules.push({ rule: r.id, matched: false, why: `condition on ${failingFields(r, s).join(", ")} does not hold` });
  }
  return { subject: describeSubject(s), rules, decision: o.effect, rule: o.rule?.id ?? null };
}

function failingFields(r: CompiledRule, s: Subject): string[] {
  return r.parts.filter((p) => !p.test(s)).map((p) => `\`${p.label}\``);
}
