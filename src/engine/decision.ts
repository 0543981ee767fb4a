import type { Effect } from "../policy/ir.js";

/** The answer to one request. `allowed` is true only for `allow`. */
export interface Decision {
  decision: Effect;
  allowed: boolean;
  /** id of the rule that decided, null when the default or an error did */
  rule: string | null;
  reason: string;
  /** sha256 digest of the normalized policy that decided */
  policy: string;
  action?: string;
  /** present when the request itself could not be understood */
  error?: string;
  explain?: ExplainEntry[];
  /** where this decision sits in the audit trail, when it is recorded */
  audit?: { chain: string; seq: number };
}

export interface ExplainEntry {
  /** which part of the request: the action, a command of a command line, a file it redirects to */
  subject: string;
  rules: Array<{ rule: string; matched: boolean; why: string }>;
  decision: Effect;
  rule: string | null;
}

/** deny beats require_approval beats allow when several subjects decide one request. */
export const SEVERITY: Record<Effect, number> = { allow: 0, require_approval: 1, deny: 2 };
