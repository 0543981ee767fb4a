/**
 * The validated, normalized form of a policy: what the compiler consumes and
 * what the policy digest is computed over. Source positions ride along for
 * explanations but are not part of the digest.
 */
export type Effect = "allow" | "deny" | "require_approval";
export type Scalar = string | number | boolean | null;

export interface SourcePos {
  file: string;
  line: number;
  column: number;
}

export type FieldTest =
  | { op: "glob"; pattern: string }
  | { op: "eq" | "neq"; value: Scalar }
  | { op: "in" | "notIn"; values: Scalar[] }
  | { op: "startsWith" | "endsWith" | "contains"; value: string }
  | { op: "matches"; regex: string }
  | { op: "exists"; value: boolean }
  | { op: "all" | "any"; tests: FieldTest[] }
  | { op: "not"; test: FieldTest };

export type Condition =
  { kind: "field"; field: string; test: FieldTest } | { kind: "all" | "any"; conditions: Condition[] } | { kind: "not"; condition: Condition };

export interface RateLimit {
  maxRequests: number;
  windowMs: number;
  /** whose requests share one budget */
  per: "agent" | "rule";
}

export interface Schedule {
  /** 0 = Sunday ... 6 = Saturday */
  days?: number[];
  /** minutes after midnight, [start, end) ; end < start spans midnight */
  hours?: [number, number];
  timezone: string;
}

export interface RuleIR {
  id: string;
  actions: string[];
  effect: Effect;
  reason?: string;
  /** all must hold */
  when: Condition[];
  rateLimit?: RateLimit;
  schedule?: Schedule;
  expiresAt?: string;
  source: SourcePos;
}

export interface AuditSettings {
  sink?: "stdout" | "file" | "s3";
  path?: string;
  url?: string;
  format?: "json" | "ndjson" | "ocsf";
  onAuditFailure?: "deny" | "allow";
  /** the file sink rotates its file once it reaches this many bytes */
  maxBytes?: number;
}

/** The smallest `maxBytes`: below it nearly every batch would start a new file. */
export const MIN_AUDIT_MAX_BYTES = 4096;

/** How paths are compared (`paths:`); absent means the Linux default, case-sensitive. */
export interface PathSettings {
  /** fold case and Unicode normalization in patterns and paths (macOS, Windows agents) */
  caseInsensitive: boolean;
}

/** How shell command lines are read (README "Shell commands: what the engine understands"). */
export interface ShellSettings {
  /** `NAME=VALUE` wildcard patterns of assignments commands may carry without them being part of the command */
  allowAssignments?: string[];
}

export interface PolicyIR {
  defaultAction: "allow" | "deny";
  cwd?: string;
  paths?: PathSettings;
  /** directories whose programs are the same command as their bare name (default: the system directories) */
  commandPaths?: string[];
  shell?: ShellSettings;
  description?: string;
  rules: RuleIR[];
  audit?: AuditSettings;
  sources: string[];
}
