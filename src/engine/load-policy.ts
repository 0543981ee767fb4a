import type { PolicyError } from "../policy/errors.js";
import { parsePolicy, type PolicySource } from "../policy/parse-policy.js";
import { policyDigest } from "../policy/digest.js";
import { compilePolicy, type CompiledPolicy } from "./compile.js";

export type LoadResult = { ok: true; policy: CompiledPolicy; warnings: PolicyError[] } | { ok: false; errors: PolicyError[]; warnings: PolicyError[] };

/** Parses, validates and compiles policy files into one policy ready to evaluate. */
export async function loadPolicy(sources: readonly PolicySource[]): Promise<LoadResult> {
  const p = parsePolicy(sources);
  if (!p.ok) return p;
  return { ok: true, policy: compilePolicy(p.ir, await policyDigest(p.ir)), warnings: p.warnings };
}
