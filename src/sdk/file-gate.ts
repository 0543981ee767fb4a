import type { AuditLog } from "../audit/audit-log.js";
import { deny } from "../engine/decision.js";
import { createSafeClawGate as createFromSources, withGuards, type SafeClawGate } from "./gate.js";
import { formatPolicyError } from "../policy/errors.js";
import { loadPolicy } from "../engine/load-policy.js";
import { auditLogFromConfig } from "../runtime/node/audit-config.js";
import { readPolicySources } from "../runtime/node/policy-files.js";
import { runtimeConfig } from "../runtime/runtime-config.js";
import type { PolicySource } from "../policy/parse-policy.js";

/**
 * `createSafeClawGate({ policy: "./safeclaw.config.yaml" })`, as the product
 * pages show it: the policy read from files (Node, Lambda). Anything wrong with
 * the files makes every check a deny that says why.
 */
export function createSafeClawGate(opts: { policy?: string | string[]; bundle?: unknown; audit?: AuditLog; clock?: () => number }): SafeClawGate {
  if (opts.bundle !== undefined)
    return createFromSources({ bundle: opts.bundle, ...(opts.audit ? { audit: opts.audit } : {}), ...(opts.clock ? { clock: opts.clock } : {}) });
  const paths = opts.policy === undefined ? ["."] : Array.isArray(opts.policy) ? opts.policy : [opts.policy];
  let sources;
  try {
    sources = readPolicySources(paths);
  } catch (e) {
    // No policy to read: every check is a deny that names the problem.
    const d = deny("gate_unavailable", `safeclaw gate unavailable; denied: ${(e as Error).message}`);
    return withGuards({ check: async () => ({ ...d }), checkBatch: async (rs) => rs.map(() => ({ ...d })) });
  }
  return createFromSources({ policy: sources, ...(opts.audit ? { audit: opts.audit } : {}), ...(opts.clock ? { clock: opts.clock } : {}) });
}

/**
 * A gate over policy files that records its decisions, for tools whose stdout is
 * a protocol channel (the Claude Code hook, the MCP proxy): the audit trail must
 * go to a file or S3, never stdout. Audit is on when configured (environment or
 * the policy's `audit:` block), off otherwise.
 */
export type StdioGate =
  { ok: true; gate: SafeClawGate; audit?: AuditLog } | { ok: false; problem: "invalid-policy"; errors: string[] } | { ok: false; problem: "stdout-audit" };

export async function stdioGateFromFiles(
  paths: readonly string[],
  opts: {
    env: Record<string, string | undefined>;
    instance: Record<string, string>;
    chainParts: string[];
    log: (m: string) => void;
    /** rules read before the policy files, given the file audit sink's path (the hook's guard of its own files) */
    guard?: (auditFile: string | undefined) => PolicySource;
  },
): Promise<StdioGate> {
  const sources = readPolicySources(paths);
  let loaded = await loadPolicy(sources);
  if (!loaded.ok) return { ok: false, problem: "invalid-policy", errors: loaded.errors.map(formatPolicyError) };
  if (opts.guard) {
    const sink = runtimeConfig(opts.env, loaded.policy).audit?.sink;
    loaded = await loadPolicy([opts.guard(sink?.kind === "file" ? sink.path : undefined), ...sources]);
    if (!loaded.ok) return { ok: false, problem: "invalid-policy", errors: loaded.errors.map(formatPolicyError) };
  }
  // The sink as the audit writer will resolve it (`-` is stdout too, and an empty
  // SAFECLAW_AUDIT_SINK falls through to the policy's): audit lines on stdout would
  // corrupt the answer, and a hook answer Claude Code cannot parse is no deny at all.
  if (runtimeConfig(opts.env, loaded.policy).audit?.sink.kind === "stdout") return { ok: false, problem: "stdout-audit" };
  const audit = await auditLogFromConfig({ env: opts.env, policy: loaded.policy, instance: opts.instance, chainParts: opts.chainParts, log: opts.log });
  return { ok: true, gate: createFromSources({ policy: loaded.policy, ...(audit ? { audit } : {}) }), ...(audit ? { audit } : {}) };
}
