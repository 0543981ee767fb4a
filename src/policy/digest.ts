import { canonicalJson } from "../crypto/canonical-json.js";
import { sha256Hex } from "../crypto/sha256.js";
import type { PolicyIR } from "./ir.js";

/** The part of a policy that decides: what the digest covers. */
export function decisionView(ir: PolicyIR): unknown {
  return {
    version: 1,
    defaultAction: ir.defaultAction,
    cwd: ir.cwd,
    // only when set, so that policies without them keep their digest
    ...(ir.commandPaths !== undefined ? { commandPaths: ir.commandPaths } : {}),
    ...(ir.shell !== undefined ? { shell: ir.shell } : {}),
    rules: ir.rules.map((r) => ({
      id: r.id,
      actions: r.actions,
      effect: r.effect,
      reason: r.reason,
      when: r.when,
      rateLimit: r.rateLimit,
      schedule: r.schedule,
      expiresAt: r.expiresAt,
    })),
  };
}

export async function policyDigest(ir: PolicyIR): Promise<string> {
  return "sha256:" + (await sha256Hex(canonicalJson(decisionView(ir))));
}
