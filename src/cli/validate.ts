import { formatPolicyError } from "../policy/errors.js";
import { policyTraps } from "../engine/policy-traps.js";
import { CliExit, EXIT, loadPolicyOrExit } from "./load-or-exit.js";
import type { Io } from "./io.js";

export const VALIDATE_HELP = `usage: safeclaw validate [--strict] [<file|dir>...]

Checks policy files and prints every problem as file:line:col.
With no argument, validates the policy found in the current directory:
safeclaw.config.yaml, safeclaw.policy.yaml, safeclaw.yaml, safeclaw.config.json,
else .safeclaw/policies/*, else the *.yaml/*.yml/*.json files that look like a
policy (a top-level rules, defaultAction, audit or cwd key or a misspelling of
one, version: 1, or a ConfigMap); package.json, lock files and tsconfig*.json
are never read.

Besides errors it warns about policy traps: a deny or require_approval rule
that an earlier allow (or a weaker earlier rule) shadows, wholly or in part,
an allow broader than it reads (no condition at all, \`path: "**"\`,
\`command: "*"\`, \`host: "*"\`), and a \`key\` condition no variable name can meet.
  --strict   warnings are errors (exit 1)

exit: 0 valid, 1 invalid (or any warning with --strict)`;

export async function validateCommand(paths: string[], io: Io, opts: { strict?: boolean } = {}): Promise<number> {
  const { policy, warnings } = await loadPolicyOrExit(paths, io.stderr);
  const traps = policyTraps(policy);
  for (const w of traps) io.stderr(formatPolicyError(w));
  const n = policy.rules.length;
  const count = warnings.length + traps.length;
  if (opts.strict && count > 0) throw new CliExit(EXIT.invalid, `safeclaw: ${count} warning${count === 1 ? "" : "s"}, which --strict makes errors`);
  io.stdout(
    `ok: ${n} rule${n === 1 ? "" : "s"} from ${policy.ir.sources.join(", ")}; default ${policy.ir.defaultAction}; ${policy.digest}${count > 0 ? `; ${count} warning${count === 1 ? "" : "s"}` : ""}`,
  );
  return 0;
}
