import { loadPolicyOrExit } from "./load-or-exit.js";
import type { Io } from "./io.js";

export const VALIDATE_HELP = `usage: safeclaw validate [<file|dir>...]

Checks policy files and prints every problem as file:line:col.
With no argument, validates the policy found in the current directory:
safeclaw.config.yaml, safeclaw.policy.yaml, safeclaw.yaml, safeclaw.config.json,
else .safeclaw/policies/*, else the *.yaml/*.yml/*.json files that look like a
policy (a top-level rules, defaultAction, audit or cwd key or a misspelling of
one, version: 1, or a ConfigMap); package.json, lock files and tsconfig*.json
are never read.

exit: 0 valid, 1 invalid`;

export async function validateCommand(paths: string[], io: Io): Promise<number> {
  const { policy } = await loadPolicyOrExit(paths, io.stderr);
  const n = policy.rules.length;
  io.stdout(`ok: ${n} rule${n === 1 ? "" : "s"} from ${policy.ir.sources.join(", ")}; default ${policy.ir.defaultAction}; ${policy.digest}`);
  return 0;
}
