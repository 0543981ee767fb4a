import type { AuditLog } from "../audit/audit-log.js";
import type { Decision } from "../engine/decision.js";
import { createSafeClawGate as createFromSources, withGuards, type SafeClawGate } from "../sdk/gate.js";
import { readPolicySources } from "./policy-files.js";

/**
 * `createSafeClawGate({ policy: "./safeclaw.config.yaml" })`, as the product
 * pages show it: the policy read from files (Node, Lambda). Anything wrong with
 * the files makes every check a deny that says why.
 */
export function createSafeClawGate(opts: { policy?: string | string[]; bundle?: unknown; audit?: AuditLog; clock?: () => number }): SafeClawGate {
  if (opts.bundle !== undefined) return createFromSources({ bundle: opts.bundle, ...(opts.audit ? { audit: opts.audit } : {}), ...(opts.clock ? { clock: opts.clock } : {}) });
  const paths = opts.policy === undefined ? ["."] : Array.isArray(opts.policy) ? opts.policy : [opts.policy];
  let sources;
  try {
    sources = readPolicySources(paths);
  } catch (e) {
    // No policy to read: every check is a deny that names the problem.
    const d: Decision = { decision: "deny", allowed: false, rule: null, reason: `safeclaw gate unavailable; denied: ${(e as Error).message}`, policy: "", error: "gate_unavailable" };
    return withGuards({ check: async () => ({ ...d }), checkBatch: async (rs) => rs.map(() => ({ ...d })) });
  }
  return createFromSources({ policy: sources, ...(opts.audit ? { audit: opts.audit } : {}), ...(opts.clock ? { clock: opts.clock } : {}) });
}
