import type { OnAuditFailure } from "../audit/audit-log.js";
import type { AuditFormat } from "../audit/lines.js";
import { parseSigningKey, type SigningKey } from "../audit/signing.js";
import { parseSinkSpec, type SinkSpec } from "../audit/sink-spec.js";
import type { CompiledPolicy } from "../engine/compile.js";
import type { PolicyInfo } from "../http/create-app.js";

/**
 * The configuration every runtime shares (Node server, Lambda, Worker, CLI),
 * parsed and validated in one place so that a setting means the same thing,
 * and a bad one fails with the same message, wherever it is read. Precedence:
 * an explicit sink (`--audit`), then the environment (or Worker bindings),
 * then the policy's `audit:` block, then the runtime's fallback.
 */
export interface RuntimeConfig {
  /** bearer tokens accepted on /v1/*; empty means no authentication */
  tokens: string[];
  audit: AuditConfig | undefined;
}

export interface AuditConfig {
  sink: SinkSpec;
  format: AuditFormat;
  onAuditFailure: OnAuditFailure;
  signingKey?: SigningKey;
}

/** A setting that cannot be used: the runtime refuses to start (or answers every request with a deny). */
export class ConfigError extends Error {
  constructor(
    readonly setting: string,
    message: string,
  ) {
    super(message);
    this.name = "ConfigError";
  }
}

export interface RuntimeConfigOptions {
  /** an explicit sink, e.g. `--audit` on the command line */
  sink?: string;
  /** the sink when neither the caller, the environment nor the policy names one; none means audit off */
  fallbackSink?: string;
}

export function runtimeConfig(env: Record<string, unknown>, policy: CompiledPolicy, opts: RuntimeConfigOptions = {}): RuntimeConfig {
  return { tokens: parseTokens(text(env, "SAFECLAW_API_TOKENS")), audit: auditConfig(env, policy, opts) };
}

/** `SAFECLAW_API_TOKENS`: comma-separated; blanks around and between tokens are ignored. */
export function parseTokens(raw: string | undefined): string[] {
  return (raw ?? "")
    .split(",")
    .map((t) => t.trim())
    .filter(Boolean);
}

function auditConfig(env: Record<string, unknown>, policy: CompiledPolicy, opts: RuntimeConfigOptions): AuditConfig | undefined {
  const fromPolicy = policy.ir.audit;
  const explicit = opts.sink ?? text(env, "SAFECLAW_AUDIT_SINK");
  let sink: SinkSpec | undefined;
  if (explicit !== undefined && explicit !== "") sink = sinkSpec("SAFECLAW_AUDIT_SINK", explicit);
  else if (fromPolicy?.sink === "stdout") sink = { kind: "stdout" };
  else if (fromPolicy?.sink === "file") {
    if (!fromPolicy.path) throw new ConfigError("audit.path", "policy `audit.sink: file` needs `audit.path`");
    sink = { kind: "file", path: fromPolicy.path };
  } else if (fromPolicy?.sink === "s3") {
    if (!fromPolicy.url) throw new ConfigError("audit.url", "policy `audit.sink: s3` needs `audit.url: s3://bucket/prefix`");
    sink = sinkSpec("audit.url", fromPolicy.url);
  }
  if (!sink && opts.fallbackSink) sink = sinkSpec("fallback sink", opts.fallbackSink);
  if (!sink) return undefined;

  const format = text(env, "SAFECLAW_AUDIT_FORMAT") ?? fromPolicy?.format ?? "json";
  if (format !== "json" && format !== "ndjson" && format !== "ocsf") {
    throw new ConfigError("SAFECLAW_AUDIT_FORMAT", `SAFECLAW_AUDIT_FORMAT \`${format}\` is not json, ndjson or ocsf`);
  }
  const failure = text(env, "SAFECLAW_ON_AUDIT_FAILURE") ?? fromPolicy?.onAuditFailure ?? "deny";
  if (failure !== "deny" && failure !== "allow") {
    throw new ConfigError("SAFECLAW_ON_AUDIT_FAILURE", `SAFECLAW_ON_AUDIT_FAILURE \`${failure}\` is not deny or allow`);
  }
  const config: AuditConfig = { sink, format: format === "ocsf" ? "ocsf" : "json", onAuditFailure: failure };
  const key = text(env, "SAFECLAW_AUDIT_SIGNING_KEY");
  if (key) {
    try {
      config.signingKey = parseSigningKey(key);
    } catch (e) {
      throw new ConfigError("SAFECLAW_AUDIT_SIGNING_KEY", `SAFECLAW_AUDIT_SIGNING_KEY: ${(e as Error).message}`);
    }
  }
  return config;
}

function sinkSpec(setting: string, raw: string): SinkSpec {
  try {
    return parseSinkSpec(raw);
  } catch (e) {
    throw new ConfigError(setting, `${setting}: ${(e as Error).message}`);
  }
}

/** Worker bindings can hold objects (an R2 bucket); settings are the string ones. */
function text(env: Record<string, unknown>, name: string): string | undefined {
  const v = env[name];
  return typeof v === "string" ? v : undefined;
}

/** What `GET /v1/policy` tells about the policy being served (never its rules' contents). */
export function policyInfo(policy: CompiledPolicy, builtAt?: string): PolicyInfo {
  const info: PolicyInfo = { digest: policy.digest, rules: policy.rules.length, defaultAction: policy.ir.defaultAction, sources: policy.ir.sources };
  if (builtAt) info.builtAt = builtAt;
  return info;
}
