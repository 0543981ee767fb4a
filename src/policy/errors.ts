/**
 * Policy problems are data, not exceptions: the loader collects every one it
 * finds so a user fixes a file in one pass, and the CLI renders them at the edge.
 */
export type PolicyErrorCode =
  | "yaml_syntax"
  | "not_a_map"
  | "unknown_key"
  | "missing_key"
  | "bad_type"
  | "bad_value"
  | "unknown_action"
  | "unknown_effect"
  | "unknown_operator"
  | "bad_regex"
  | "bad_glob"
  | "duplicate_id"
  | "conflict"
  | "no_policy"
  /** warnings from the policy-trap analysis (engine/policy-traps.ts) */
  | "shadowed_rule"
  | "broad_allow"
  | "never_matches";

export interface PolicyError {
  code: PolicyErrorCode;
  message: string;
  help?: string;
  file: string;
  line: number;
  column: number;
  /** warnings never stop a policy from loading; errors always do */
  severity: "error" | "warning";
}

export function formatPolicyError(e: PolicyError): string {
  const head = `${e.file}:${e.line}:${e.column}: ${e.severity}[${e.code}]: ${e.message}`;
  return e.help ? `${head}\n  help: ${e.help}` : head;
}

export class PolicyLoadError extends Error {
  constructor(readonly errors: PolicyError[]) {
    super(errors.map(formatPolicyError).join("\n"));
    this.name = "PolicyLoadError";
  }
}
