import { compilePolicy, type CompiledPolicy } from "./compile.js";
import type { PolicyIR } from "../policy/ir.js";
import { policyDigest } from "../policy/digest.js";

/**
 * A policy compiled into the build: what the adapters import, so no file
 * system is needed at run time and every region runs byte-identical rules.
 * The digest is recomputed when the bundle is loaded: a bundle edited after
 * the build is refused, not served.
 */
export const BUNDLE_FORMAT = "safeclaw-policy-bundle/1";

export interface PolicyBundle {
  format: typeof BUNDLE_FORMAT;
  digest: string;
  builtAt: string;
  sources: string[];
  ir: PolicyIR;
}

export async function makeBundle(ir: PolicyIR, builtAt: string): Promise<PolicyBundle> {
  return { format: BUNDLE_FORMAT, digest: await policyDigest(ir), builtAt, sources: ir.sources, ir };
}

export async function loadBundle(bundle: unknown): Promise<{ policy: CompiledPolicy; builtAt: string }> {
  const b = bundle as Partial<PolicyBundle> | null;
  if (!b || typeof b !== "object" || b.format !== BUNDLE_FORMAT || !b.ir || typeof b.digest !== "string") {
    throw new Error(`not a ${BUNDLE_FORMAT} policy bundle`);
  }
  const digest = await policyDigest(b.ir);
  if (digest !== b.digest) throw new Error(`policy bundle digest mismatch: built as ${b.digest}, contents hash to ${digest}; rebuild it`);
  return { policy: compilePolicy(b.ir, digest), builtAt: b.builtAt ?? "" };
}
