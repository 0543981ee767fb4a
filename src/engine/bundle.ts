import { compilePolicy, type CompiledPolicy } from "./compile.js";
import type { PolicyIR } from "../policy/ir.js";
import { policyDigest } from "../policy/digest.js";

/**
 * A policy compiled into the build: what the adapters import, so no file
 * system is needed at run time and every region runs byte-identical rules.
 * The digest is recomputed when the bundle is loaded and covers everything in
 * `ir` but file names and source positions (policy/digest.ts): a bundle edited
 * after the build in anything that decides or audits is refused, not served.
 * `builtAt` and `sources` are informational and not covered.
 */
export const BUNDLE_FORMAT = "safeclaw-policy-bundle/2";
/** Format 1 digests left out the `audit:` block; such bundles are refused with a request to rebuild. */
const OLDER_FORMATS = ["safeclaw-policy-bundle/1"];

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
  if (b && typeof b === "object" && OLDER_FORMATS.includes(String(b.format))) {
    throw new Error(`policy bundle format \`${b.format}\` was built by an older safeclaw; rebuild it with \`safeclaw build\``);
  }
  if (
    !b ||
    typeof b !== "object" ||
    b.format !== BUNDLE_FORMAT ||
    !b.ir ||
    typeof b.ir !== "object" ||
    !Array.isArray(b.ir.rules) ||
    typeof b.digest !== "string"
  ) {
    throw new Error(`not a ${BUNDLE_FORMAT} policy bundle`);
  }
  const digest = await policyDigest(b.ir);
  if (digest !== b.digest) throw new Error(`policy bundle digest mismatch: built as ${b.digest}, contents hash to ${digest}; rebuild it`);
  return { policy: compilePolicy(b.ir, digest), builtAt: b.builtAt ?? "" };
}
