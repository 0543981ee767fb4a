import type { Effect } from "../policy/ir.js";
import { workMeter, WorkLimitExceeded } from "../match/automaton.js";
import { foldCase } from "../match/fold.js";
import { concreteText, isConcrete, templateSource, type Template } from "../match/template.js";
import { normalizeRequest } from "../request/normalize-request.js";
import { controlReason, isNormalPath, normalizePath } from "../request/normalize-path.js";
import type { CompiledPolicy, CompiledRule } from "./compile.js";
import { deny, SEVERITY, type Decision, type DecisionErrorCode, type ExplainEntry } from "./decision.js";
import type { RateLimitStore } from "./rate-limit.js";
import { describeSubject, type Subject } from "../request/subject.js";
import { looseArguments } from "./argument-paths.js";
import { windowsQuirk } from "./path-quirks.js";

export interface EvaluateOptions {
  nowMs: number;
  rateLimits?: RateLimitStore;
  explain?: boolean;
}

interface Outcome {
  effect: Effect;
  rule: CompiledRule | undefined;
  reason: string;
  error?: DecisionErrorCode;
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
    return deny(n.code, reason, {
      policy: policy.digest,
      ...(n.field !== undefined ? { field: n.field } : {}),
      ...(n.action !== undefined ? { action: n.action } : {}),
    });
  }
  return decideSubjects(policy, n.request.action, n.request.subjects, opts);
}

/** Decides normalized subjects (exported for tests that build subjects by hand, e.g. with templates). */
export function decideSubjects(policy: CompiledPolicy, action: string, subjects: readonly Subject[], opts: EvaluateOptions): Decision {
  const explain: ExplainEntry[] | undefined = opts.explain ? [] : undefined;
  let worst: Outcome | undefined;
  let worstSubject: Subject | undefined;
  for (const subject of subjects) {
    const o = decideSubject(policy, subject, opts, explain);
    if (!worst || outranks(o, worst)) {
      worst = o;
      worstSubject = subject;
    }
    if (worst.effect === "deny" && (worst.rule || worst.error) && !explain) break;
  }
  const o = worst ?? { effect: policy.ir.defaultAction, rule: undefined, reason: `nothing to check; the policy default is ${policy.ir.defaultAction}` };
  // When a command line splits into several parts, say which part decided.
  const reason = subjects.length > 1 && o.effect !== "allow" ? `${o.reason} (${describeSubject(worstSubject!)})` : o.reason;
  const d: Decision = { decision: o.effect, allowed: o.effect === "allow", rule: o.rule?.id ?? null, reason, policy: policy.digest, action };
  if (o.error !== undefined) d.error = o.error;
  if (explain) d.explain = explain;
  return d;
}

/** The stricter outcome decides; at equal strictness a rule that said so explains more than the default. */
function outranks(a: Outcome, b: Outcome): boolean {
  const d = SEVERITY[a.effect] - SEVERITY[b.effect];
  return d > 0 || (d === 0 && a.rule !== undefined && b.rule === undefined && b.error === undefined);
}

function decideSubject(policy: CompiledPolicy, raw: Subject, opts: EvaluateOptions, explain: ExplainEntry[] | undefined): Outcome {
  // A free-form value a rule reads as a path, with no single reading (relative, `\`, `%2e`, a list): decided as a set, like a template.
  const loose = policy.argumentPaths.length > 0 ? looseArguments(raw, policy.argumentPaths, policy.caseInsensitivePaths) : undefined;
  if (raw.templates === undefined && loose === undefined && !policy.caseInsensitivePaths && !explain) return decideConcrete(policy, raw, opts); // the common case, as it is
  const c = comparable(policy, raw);
  if (!("subject" in c)) {
    explain?.push({ subject: describeSubject(raw), rules: [], decision: "deny", rule: null });
    return c;
  }
  const s = c.subject;
  const asSet = s.templates !== undefined || loose !== undefined;
  const o = asSet ? decideTemplated(policy, s, opts, loose) : decideConcrete(policy, s, opts);
  if (explain) explain.push(asSet ? explainTemplated(policy, s, o, opts.nowMs) : explainSubject(policy, s, o, opts.nowMs));
  return o;
}

/** The default's part in a decision: none for a file a command only may touch (`possible`). */
function noRule(policy: CompiledPolicy, s: Subject, what: string): Outcome {
  if (s.possible) return { effect: "allow", rule: undefined, reason: `${what}; a file the command may touch is decided by rules only` };
  const def = policy.ir.defaultAction;
  return { effect: def, rule: undefined, reason: `${what}; the policy default is ${def}` };
}

function decideConcrete(policy: CompiledPolicy, s: Subject, opts: EvaluateOptions): Outcome {
  const i = policy.bucket(s.action).firstMatch(s, opts.nowMs);
  if (i < 0) return noRule(policy, s, "no rule matched");
  return applyRule(policy.rules[i]!, s, opts, undefined);
}

/** A rule's contribution: its effect, unless its rate limit is used up. */
function applyRule(rule: CompiledRule, s: Subject, opts: EvaluateOptions, reason: string | undefined): Outcome {
  if (rule.rateLimit && opts.rateLimits) {
    const bucket = rule.rateLimit.per === "rule" ? rule.id : `${rule.id}\u0000${s.agent ?? ""}`;
    if (!opts.rateLimits.hit(bucket, rule.rateLimit, opts.nowMs)) {
      return { effect: "deny", rule, reason: `rate limit of rule ${rule.id} exceeded (${rule.rateLimit.maxRequests} per ${rule.rateLimit.windowMs / 1000}s)` };
    }
  }
  return { effect: rule.effect, rule, reason: reason ?? rule.reason ?? `rule ${rule.id} (${rule.effect})` };
}

/**
 * A subject with run-time values stands for a set of subjects. Walking its
 * rules in order, a rule that may match some of them contributes its effect,
 * and the first rule that matches all of them ends the walk (every value has
 * been decided by then); if none does, the default contributes too. The
 * strictest contribution decides. Each value's own first-match decision is
 * among the contributions, so the answer is never more permissive than any
 * value's; for a subject without holes it is exactly first-match.
 */
export const TEMPLATE_WORK_LIMIT = 50_000;

function decideTemplated(policy: CompiledPolicy, s: Subject, opts: EvaluateOptions, loose: string | undefined): Outcome {
  const contributions: CompiledRule[] = [];
  let stopped = false;
  workMeter.spent = 0;
  workMeter.limit = TEMPLATE_WORK_LIMIT;
  try {
    for (const i of policy.bucket(s.action).candidates(s)) {
      const r = policy.rules[i]!;
      if (!r.may(s, opts.nowMs)) continue;
      contributions.push(r);
      // A deny decides whatever follows (nothing is stricter); so does a rule every value matches.
      if (r.effect === "deny") {
        stopped = r.must(s, opts.nowMs);
        break;
      }
      if (r.must(s, opts.nowMs)) {
        stopped = true;
        break;
      }
    }
  } catch (e) {
    if (!(e instanceof WorkLimitExceeded)) throw e;
    return uncertain(`uncertain: ${partlyKnown(s, loose).what} too costly to check against this policy (${e.message}); write the value out`);
  } finally {
    workMeter.limit = Infinity;
  }
  // The strictest contribution; at equal strictness the earliest rule, and a rule before the default.
  // The words for the reasons, built only when a reason needs them.
  let words: ReturnType<typeof partlyKnown> | undefined;
  const known = () => (words ??= partlyKnown(s, loose));
  let worst: Outcome | undefined;
  for (const r of contributions) {
    if (worst && SEVERITY[r.effect] <= SEVERITY[worst.effect]) continue;
    const last = stopped && r === contributions[contributions.length - 1];
    worst = {
      effect: r.effect,
      rule: r,
      reason: last ? (r.reason ?? `rule ${r.id} (${r.effect})`) : `${r.reason ?? `rule ${r.id} (${r.effect})`}: ${known().some}`,
    };
  }
  if (!stopped) {
    const def = noRule(policy, s, `no rule matches ${known().every}`);
    if (!worst || SEVERITY[def.effect] > SEVERITY[worst.effect]) worst = def;
  }
  const o = worst!;
  // Rate limits count where an allow or an approval is the answer, on every rule that took part in it.
  if (o.effect !== "deny") {
    for (const r of contributions) {
      if (!r.rateLimit) continue;
      const limited = applyRule(r, s, opts, o.reason);
      if (limited.effect === "deny") return limited;
    }
  }
  return o;
}

/**
 * What a subject decided as a set stands for, in the words of a reason: its
 * run-time values (shell), the URLs of a host-form request, the paths of a
 * free-form value read as a path (`loose`, from argument-paths.ts).
 */
function partlyKnown(s: Subject, loose: string | undefined): { some: string; every: string; what: string } {
  const t = s.templates;
  const some: string[] = [];
  const every: string[] = [];
  const what: string[] = [];
  const shell = [t?.command, t?.path, t?.key]
    .filter((x): x is Template => x !== undefined)
    .map(templateSource)
    .join(" ");
  if (shell !== "") {
    some.push(`a run-time value of \`${shell}\` could match it`);
    every.push(`every value \`${shell}\` can take`);
    what.push(`\`${shell}\` has run-time values`);
  }
  if (t?.url !== undefined) {
    const origin = templateSource(t.url).replace(/\*$/, "");
    const why = "(a request by `host` names no path: it may carry any URL there; send `url` to have the path checked)";
    some.push(`some URL under \`${origin}\` could match it ${why}`);
    every.push(`every URL under \`${origin}\` ${why}`);
    what.push(`the URLs under \`${origin}\` are`);
  }
  if (loose !== undefined) {
    const fix = "send one absolute path, as the tool will read it";
    some.push(`${loose}, so a path it may name could match it; ${fix}`);
    every.push(`every path the value may name: ${loose}; ${fix}`);
    what.push(`the paths a free-form value may name (${loose}) are`);
  }
  return { some: some.join(", and "), every: every.join(", and "), what: what.join(", and ") };
}

/**
 * The subject as the rules see it: in a case-insensitive policy its path
 * folded; templates without holes replaced by their text. An error when the
 * path cannot be compared safely.
 */
function comparable(policy: CompiledPolicy, s: Subject): { subject: Subject } | Outcome {
  const ci = policy.caseInsensitivePaths;
  let out = s;
  const t = s.templates;
  // Nothing to replace when every template has a hole and there is no path to resolve (a host form's url): the subject as is.
  const replaces = t && (t.path !== undefined || [t.command, t.key, t.url].some((x) => x !== undefined && isConcrete(x)));
  if (t && replaces) {
    const templates: { command?: Template; path?: Template; key?: Template; url?: Template } = {};
    out = { ...s };
    if (t.key !== undefined) {
      if (isConcrete(t.key)) out.key = concreteText(t.key)!;
      else templates.key = t.key;
    }
    if (t.command !== undefined) {
      if (isConcrete(t.command)) out.command = concreteText(t.command)!;
      else templates.command = t.command;
    }
    if (t.url !== undefined) {
      if (isConcrete(t.url)) out.url = concreteText(t.url)!;
      else templates.url = t.url;
    }
    if (t.path !== undefined) {
      const literal = t.path.filter((p): p is string => typeof p === "string").join("");
      const control = controlReason(literal);
      if (control) return uncertain(control);
      if (isConcrete(t.path)) {
        const p = normalizePath(concreteText(t.path)!);
        if (!p.ok) return uncertain(`uncertain: the path \`${templateSource(t.path)}\` cannot be resolved: ${p.reason}`);
        out.path = p.path;
      } else templates.path = t.path;
    }
    if (templates.command !== undefined || templates.path !== undefined || templates.key !== undefined || templates.url !== undefined)
      out.templates = templates;
    else delete out.templates;
  }
  if (ci && out.path !== undefined && !out.templates?.path) {
    const quirk = windowsQuirk(out.path);
    if (quirk) return uncertain(quirk);
    const folded = foldCase(out.path);
    if (!isNormalPath(folded)) return uncertain(`uncertain: the path \`${out.path}\` does not stay a plain path when case-folded`);
    if (folded !== out.path) out = { ...out, path: folded };
  }
  return { subject: out };
}

function uncertain(reason: string): Outcome {
  return { effect: "deny", rule: undefined, reason, error: "uncertain" };
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

function explainTemplated(policy: CompiledPolicy, s: Subject, o: Outcome, nowMs: number): ExplainEntry {
  const rules: ExplainEntry["rules"] = [];
  for (const i of policy.bucket(s.action).members) {
    const r = policy.rules[i]!;
    if (!r.activeAt(nowMs)) rules.push({ rule: r.id, matched: false, why: "not active now (schedule or expiresAt)" });
    else if (r.must(s, nowMs)) {
      rules.push({ rule: r.id, matched: true, why: `matches every value; effect ${r.effect}` });
      break;
    } else if (r.may(s, nowMs)) rules.push({ rule: r.id, matched: true, why: `matches some values; effect ${r.effect} takes part` });
    else rules.push({ rule: r.id, matched: false, why: "no value matches" });
  }
  return { subject: describeSubject(s), rules, decision: o.effect, rule: o.rule?.id ?? null };
}

function failingFields(r: CompiledRule, s: Subject): string[] {
  return r.parts.filter((p) => !p.test(s)).map((p) => `\`${p.label}\``);
}
