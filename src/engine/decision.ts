import type { Effect } from "../policy/ir.js";

/** The answer to one request. `allowed` is true only for `allow`. */
export interface Decision {
  /** the request's own `id`, echoed where answers are matched to requests by it (`safeclaw check`) */
  id?: string;
  decision: Effect;
  allowed: boolean;
  /** id of the rule that decided, null when the default or an error did */
  rule: string | null;
  reason: string;
  /** sha256 digest of the normalized policy that decided */
  policy: string;
  action?: string;
  /** present when no rule decided because something went wrong: what, as a stable code */
  error?: DecisionErrorCode;
  /** the request field the error is about, when there is one */
  field?: string;
  explain?: ExplainEntry[];
  /**
   * where this decision sits in the audit trail, when it is recorded; `durable: false` when
   * the answer was given while its record was not yet durable (queued for retry, else spilled at shutdown)
   */
  audit?: { chain: string; seq: number; durable?: false };
  /**
   * the human approval this decision is about: the one a `require_approval`
   * created (or found pending for the same request), or the one a retry named
   */
  approval?: ApprovalRef;
}

/** An approval as a decision names it; the approvals API has the rest (`GET /v1/approvals/{id}`). */
export interface ApprovalRef {
  id: string;
  status: "pending" | "approved" | "rejected" | "expired" | "used";
  /** ISO 8601 */
  expiresAt: string;
  /** who approved or rejected it */
  decidedBy?: string;
}

export interface ExplainEntry {
  /** which part of the request: the action, a command of a command line, a file it redirects to */
  subject: string;
  rules: Array<{ rule: string; matched: boolean; why: string }>;
  decision: Effect;
  rule: string | null;
}

/**
 * Why a decision is a deny that no rule made, and the HTTP status that goes with
 * it. One table, so that the status of an answer is derived from its code and
 * never from the wording of a message.
 */
export const DECISION_ERRORS = {
  /** the request is not one the engine understands (wrong shape, bad field); `field` says which */
  invalid_request: 400,
  /** understood, but what it would do cannot be known exactly (a shell or URL construct read differently by different consumers) */
  uncertain: 200,
  /** the policy allowed or asked, but the audit record could not be made durable */
  audit_unavailable: 200,
  /** a bug: evaluation failed; never an allow */
  internal_error: 500,
  /** the runtime's configuration is unusable (bad sink, missing binding) */
  misconfigured: 500,
  /** HTTP refusals before the engine saw the request */
  bad_json: 400,
  bad_encoding: 400,
  bad_shape: 400,
  body_too_large: 413,
  batch_too_large: 413,
  unsupported_media_type: 415,
  /** the body did not arrive whole: the client closed the connection, or the server's request timeout passed */
  body_incomplete: 408,
  /** the body's `agent` is not the agent its bearer token names (HTTP, before the engine) */
  agent_mismatch: 403,
  /** a rule needs shared state (a store-backed rate limit, an approval) and the store could not answer: denied (fail closed) */
  state_unavailable: 200,
  /** the request names an approval that cannot allow it: unknown, for another request or agent, expired, already used */
  approval_invalid: 200,
  /** the request carries a grant that cannot allow it: bad signature or key, expired, for another request, already used */
  grant_invalid: 200,
  /** SDK gates: no policy to decide with, or the decision service could not be reached or answered nonsense */
  gate_unavailable: 503,
  no_endpoint: 503,
  unreachable: 503,
  bad_answer: 502,
  /** an LLM tool call whose arguments are not valid JSON / not an object */
  malformed_tool_call: 400,
  /** an LLM output item the client would run that the SDK code does not know (a new tool type): refused, never skipped */
  unsupported_tool_call: 400,
} as const satisfies Record<string, number>;

export type DecisionErrorCode = keyof typeof DECISION_ERRORS;

export function statusOf(code: DecisionErrorCode | undefined): number {
  return code === undefined ? 200 : DECISION_ERRORS[code];
}

/** A deny that no rule made. `policy` is the digest of the policy in force, or "" when there is none. */
export function deny(code: DecisionErrorCode, reason: string, opts: { policy?: string; field?: string; action?: string } = {}): Decision {
  const d: Decision = { decision: "deny", allowed: false, rule: null, reason, policy: opts.policy ?? "", error: code };
  if (opts.action !== undefined) d.action = opts.action;
  if (opts.field !== undefined) d.field = opts.field;
  return d;
}

/** deny beats require_approval beats allow when several subjects or decisions combine into one answer. */
export const SEVERITY: Record<Effect, number> = { allow: 0, require_approval: 1, deny: 2 };

/** The strictest of several decisions; the first of equals. */
export function strictest(decisions: readonly Decision[]): Decision {
  let worst = decisions[0]!;
  for (const d of decisions) if (SEVERITY[d.decision] > SEVERITY[worst.decision]) worst = d;
  return worst;
}
