import type { AuditLog } from "../audit/audit-log.js";
import { auditedCheckAll } from "../audit/audited-check.js";
import { deny, type Decision } from "../engine/decision.js";
import { combineDecisions } from "./decide-requests.js";
import { approvalNote } from "./approval-message.js";
import { createEngine, type Engine } from "../engine/engine.js";
import type { CompiledPolicy } from "../engine/compile.js";
import { loadBundle } from "../engine/bundle.js";
import { formatPolicyError } from "../policy/errors.js";
import { loadPolicy } from "../engine/load-policy.js";
import type { PolicySource } from "../policy/parse-policy.js";
import { mapToolCall, type ActionRequest, type MappingContext, type ToolMapping } from "./tool-mapping.js";

/**
 * The gate an agent holds: in process (`createSafeClawGate`) or remote
 * (`new Gate`), same methods. Every failure path is a deny with a reason.
 */
export interface SafeClawGate {
  check(request: object): Promise<Decision>;
  checkBatch(requests: readonly object[]): Promise<Decision[]>;
  /** Runs `fn` only when every request is allowed; otherwise returns the combined decision. */
  guard<T>(requests: object | readonly object[], fn: () => T | Promise<T>): Promise<GuardResult<T>>;
  /** Wraps a tool so it runs only when allowed and answers the model with a readable denial otherwise. */
  wrapTool<I, O>(
    name: string,
    mapping: ToolMapping | undefined,
    execute: (input: I) => O | Promise<O>,
    ctx?: MappingContext,
  ): (input: I) => Promise<O | string>;
}

export type GuardResult<T> =
  { allowed: true; value: T; decisions: Decision[] } | { allowed: false; decision: Decision; decisions: Decision[]; message: string };

/**
 * What the model reads when a tool call is refused: the reason, and not to try the same again.
 * A require_approval that names a server-side approval says how it is approved and retried (approval-message.ts).
 */
export function denialMessage(d: Decision): string {
  const rule = d.rule ? ` (rule ${d.rule})` : "";
  if (d.error === "malformed_tool_call") {
    return `SafeClaw refused this tool call: ${d.reason}. It was not run. Send the call again with valid JSON arguments.`;
  }
  if (d.decision === "require_approval") {
    if (d.approval) return `SafeClaw: this action needs human approval${rule}: ${d.reason}. It was not run.${approvalNote(d, "agent")}`;
    return `SafeClaw: this action needs human approval${rule}: ${d.reason}. It was not run. Ask the user to approve it; do not retry it on your own.`;
  }
  return `SafeClaw denied this action${rule}: ${d.reason}. It was not run.${approvalNote(d, "agent")} Do not retry the same action or a rephrasing of it; choose another approach or ask the user.`;
}

/** Adds guard/wrapTool on top of check/checkBatch. */
export function withGuards(base: Pick<SafeClawGate, "check" | "checkBatch">): SafeClawGate {
  const gate: SafeClawGate = {
    ...base,
    async guard(requests, fn) {
      const list = Array.isArray(requests) ? (requests as object[]) : [requests as object];
      // An empty guard decides nothing, so nothing runs; a gate that throws, or answers other than one decision per request, is a deny too.
      let decisions: Decision[] = [];
      let worst: Decision;
      if (list.length === 0) worst = deny("internal_error", "no action to check");
      else {
        try {
          decisions = await base.checkBatch(list);
          worst = combineDecisions(list, decisions);
        } catch (e) {
          worst = deny("gate_unavailable", `safeclaw gate failed; denied: ${(e as Error)?.message ?? e}`);
        }
      }
      if (worst.decision !== "allow")
        return { allowed: false, decision: worst, decisions: Array.isArray(decisions) ? decisions : [], message: denialMessage(worst) };
      return { allowed: true, value: await fn(), decisions };
    },
    wrapTool(name, mapping, execute, ctx = {}) {
      return async (input) => {
        const requests: ActionRequest[] = mapping ? mapping(input as Record<string, unknown>, ctx) : mapToolCall(name, input, ctx);
        const r = await gate.guard(requests, () => execute(input));
        return r.allowed ? r.value : r.message;
      };
    },
  };
  return gate;
}

export interface LocalGateOptions {
  /** a build-time bundle (preferred on Lambda and Workers) */
  bundle?: unknown;
  /** policy files' text, or an already compiled policy */
  policy?: readonly PolicySource[] | CompiledPolicy;
  audit?: AuditLog;
  clock?: () => number;
}

/** In process, no network: the Lambda-agent case. */
export function createSafeClawGate(opts: LocalGateOptions): SafeClawGate {
  let ready: Promise<Engine> | undefined;
  const init = async (): Promise<Engine> => {
    let policy: CompiledPolicy;
    if (opts.bundle !== undefined) policy = (await loadBundle(opts.bundle)).policy;
    else if (opts.policy && !Array.isArray(opts.policy)) policy = opts.policy as CompiledPolicy;
    else {
      const r = await loadPolicy((opts.policy as readonly PolicySource[] | undefined) ?? []);
      if (!r.ok) throw new Error(`policy is invalid:\n${r.errors.map(formatPolicyError).join("\n")}`);
      policy = r.policy;
    }
    return createEngine(policy, opts.clock ? { clock: opts.clock } : {});
  };
  const engine = () => (ready ??= init());
  const fail = (e: unknown): Decision => deny("gate_unavailable", `safeclaw gate unavailable; denied: ${(e as Error)?.message ?? e}`);
  const checkBatch = async (requests: readonly object[]): Promise<Decision[]> => {
    let e: Engine;
    try {
      e = await engine();
    } catch (err) {
      return requests.map(() => fail(err));
    }
    if (opts.audit) return auditedCheckAll(e, opts.audit, requests);
    return requests.map((r) => e.check(r));
  };
  return withGuards({ checkBatch, check: async (r) => (await checkBatch([r]))[0]! });
}
