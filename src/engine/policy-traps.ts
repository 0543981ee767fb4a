import { isBuiltinAction } from "../policy/action-schema.js";
import type { PolicyError } from "../policy/errors.js";
import type { RuleIR } from "../policy/ir.js";
import type { CompiledPolicy } from "./compile.js";

/**
 * Policy traps: rules that validate and still do not do what they look like
 * they do. Found after compilation, reported as warnings (errors with
 * `safeclaw validate --strict`), never changing what the policy decides:
 *
 * - an allow that is broader than it reads: no condition at all on a built-in
 *   action, or a resource pattern that matches every value (`path: "**"`,
 *   `command: "*"`, `host: "*"`, `url: "*"`);
 * - a deny or require_approval that an earlier, weaker rule shadows (see
 *   shadowing.ts): wholly (it never decides) or in part (some of what it
 *   matches is decided by the earlier rule).
 */
export function policyTraps(policy: CompiledPolicy): PolicyError[] {
  const out: PolicyError[] = [];
  for (const r of policy.ir.rules) out.push(...broadAllow(r));
  return out.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : a.line - b.line || a.column - b.column));
}

function warning(r: RuleIR, code: PolicyError["code"], message: string, help: string): PolicyError {
  return { code, message, help, file: r.source.file, line: r.source.line, column: r.source.column, severity: "warning" };
}

function broadAllow(r: RuleIR): PolicyError[] {
  if (r.effect !== "allow") return [];
  const builtins = r.actions.filter((a) => a === "*" || a.endsWith(".*") || isBuiltinAction(a));
  if (builtins.length === 0) return []; // a custom action allowed outright is what it says
  if (r.when.length === 0) {
    return [warning(r, "broad_allow", `rule \`${r.id}\` allows every \`${builtins.join(", ")}\` request: it has no condition at all`, "add a condition on what it may touch (`path:`, `command:`, `host:`, `key:`, `server:`/`tool:`), or make it `require_approval`")];
  }
  return [];
}
