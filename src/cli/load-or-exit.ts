import { formatPolicyError } from "../policy/errors.js";
import { loadPolicy, type LoadResult } from "../engine/load-policy.js";
import { PolicyFilesError, readPolicySources } from "../runtime/node/policy-files.js";

export const EXIT = { ok: 0, invalid: 1, usage: 64, denied: 2, approval: 3 } as const;

export class CliExit extends Error {
  constructor(
    readonly code: number,
    message = "",
  ) {
    super(message);
  }
}

/** Loads the policy at `targets` (or the current directory), or exits 1 with every error. */
export async function loadPolicyOrExit(targets: readonly string[], stderr: (s: string) => void): Promise<Extract<LoadResult, { ok: true }>> {
  let result: LoadResult;
  try {
    result = await loadPolicy(readPolicySources(targets.length > 0 ? targets : ["."], process.cwd(), (note) => stderr(`safeclaw: ${note}`)));
  } catch (e) {
    if (e instanceof PolicyFilesError) throw new CliExit(EXIT.invalid, `safeclaw: ${e.message}`);
    throw e;
  }
  for (const w of result.warnings) stderr(formatPolicyError(w));
  if (!result.ok) {
    for (const e of result.errors) stderr(formatPolicyError(e));
    throw new CliExit(EXIT.invalid, `safeclaw: policy is invalid (${result.errors.length} error${result.errors.length === 1 ? "" : "s"}); nothing was decided`);
  }
  return result;
}
