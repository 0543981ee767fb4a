import type { OnAuditFailure } from "../audit/audit-log.js";
import type { AuditFormat } from "../audit/lines.js";
import { parseSigningKey, type SigningKey } from "../audit/signing.js";
import { parseSinkSpec, type SinkSpec } from "../audit/sink-spec.js";
import type { CompiledPolicy } from "../engine/compile.js";
import { MIN_AUDIT_MAX_BYTES } from "../policy/ir.js";
import type { ApiToken } from "../http/bearer.js";
import type { PolicyInfo } from "../http/create-app.js";

/**
 * The configuration every runtime shares (Node server, Lambda, Worker, CLI),
 * parsed and validated in one place so that a setting means the same thing,
 * and a bad one fails with the same message, wherever it is read. Precedence:
 * an explicit sink (`--audit`), then the environment (or Worker bindings),
 * then the policy's `audit:` block, then the runtime's fallback.
 */
export interface RuntimeConfig {
  /** bearer tokens accepted on /v1/*, each with the agent it names (if any); empty means no authentication */
  tokens: ApiToken[];
  audit: AuditConfig | undefined;
}

export interface AuditConfig {
  sink: SinkSpec;
  format: AuditFormat;
  onAuditFailure: OnAuditFailure;
  signingKey?: SigningKey;
  /** the file sink's rotation size (SAFECLAW_AUDIT_MAX_BYTES, else the policy's `audit.maxBytes`); no rotation when absent */
  maxBytes?: number;
  /** delivery bounds: sink call deadline, queue bound in records and bytes, retry backoff cap (AuditLog options of the same names) */
  delivery: AuditDelivery;
}

export interface AuditDelivery {
  writeTimeoutMs?: number;
  maxPending?: number;
  maxPendingBytes?: number;
  retryMaxMs?: number;
}

/**
 * SAFECLAW_AUDIT_TIMEOUT_MS, SAFECLAW_AUDIT_QUEUE_RECORDS, SAFECLAW_AUDIT_QUEUE_BYTES,
 * SAFECLAW_AUDIT_RETRY_MAX_MS (the cap of the background retry's backoff, so an outage
 * is noticed over sooner after the sink is back): positive integers.
 */
const DELIVERY_SETTINGS = [
  ["SAFECLAW_AUDIT_TIMEOUT_MS", "writeTimeoutMs", 1, 600_000],
  ["SAFECLAW_AUDIT_QUEUE_RECORDS", "maxPending", 1, 10_000_000],
  ["SAFECLAW_AUDIT_QUEUE_BYTES", "maxPendingBytes", 1024, 4 * 1024 ** 3],
  ["SAFECLAW_AUDIT_RETRY_MAX_MS", "retryMaxMs", 1, 600_000],
] as const;

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

/**
 * `SAFECLAW_API_TOKENS`: comma-separated entries, blanks around them ignored.
 * An entry is `name:token` (the token stands for agent `name`) or a bare
 * `token` (it authenticates; the request's own `agent` stands). The name ends
 * at the first `:`, so a token containing `:` must be given with a name. A
 * malformed entry is a ConfigError that never shows the token itself.
 */
export function parseTokens(raw: string | undefined, setting = "SAFECLAW_API_TOKENS"): ApiToken[] {
  const out: ApiToken[] = [];
  const seen = new Set<string>();
  const entries = (raw ?? "").split(",").map((t) => t.trim());
  entries.forEach((entry, i) => {
    if (entry === "") return;
    const where = `${setting} entry ${i + 1}`;
    const colon = entry.indexOf(":");
    const t: ApiToken = colon < 0 ? { token: entry } : { agent: entry.slice(0, colon), token: entry.slice(colon + 1) };
    if (t.agent !== undefined && !AGENT_NAME.test(t.agent)) {
      throw new ConfigError(setting, `${where}: agent name \`${t.agent.slice(0, 64)}\` must be 1-128 letters, digits or \`._@/-\` (the form is name:token)`);
    }
    if (t.token === "") throw new ConfigError(setting, `${where}: the token after \`${t.agent}:\` is empty`);
    if (/[\s\u0000-\u001f\u007f]/.test(t.token)) throw new ConfigError(setting, `${where}: the token contains whitespace or control characters`);
    // One token, two identities would make the caller's identity depend on list order.
    if (seen.has(t.token)) throw new ConfigError(setting, `${where}: the same token is listed twice`);
    seen.add(t.token);
    out.push(t);
  });
  return out;
}

/** What a token (or a hook's, a proxy's configuration) may name: the characters of an agent id, no pattern characters. */
const AGENT_NAME = /^[A-Za-z0-9][A-Za-z0-9._@/-]{0,127}$/;

/** An agent name from configuration (`--agent`, SAFECLAW_AGENT), checked like a token's name. */
export function parseAgentName(raw: string, setting: string): string {
  if (!AGENT_NAME.test(raw)) throw new ConfigError(setting, `${setting}: agent name \`${raw.slice(0, 64)}\` must be 1-128 letters, digits or \`._@/-\``);
  return raw;
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
  const config: AuditConfig = { sink, format: format === "ocsf" ? "ocsf" : "json", onAuditFailure: failure, delivery: auditDelivery(env) };
  const maxBytes = text(env, "SAFECLAW_AUDIT_MAX_BYTES");
  if (maxBytes !== undefined && maxBytes !== "") config.maxBytes = parseMaxBytes(maxBytes, "SAFECLAW_AUDIT_MAX_BYTES");
  else if (fromPolicy?.maxBytes !== undefined) config.maxBytes = fromPolicy.maxBytes;
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

/** A rotation size from the environment or a flag: decimal digits, at least MIN_AUDIT_MAX_BYTES, as the policy's `audit.maxBytes`. */
export function parseMaxBytes(raw: string, setting: string): number {
  const n = /^\d{1,16}$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(n) || n < MIN_AUDIT_MAX_BYTES) {
    throw new ConfigError(
      setting,
      `${setting} \`${raw.slice(0, 64)}\` is not a whole number of bytes of at least ${MIN_AUDIT_MAX_BYTES} (e.g. 10485760 for 10 MiB)`,
    );
  }
  return n;
}

function auditDelivery(env: Record<string, unknown>): AuditDelivery {
  const delivery: AuditDelivery = {};
  for (const [name, key, min, max] of DELIVERY_SETTINGS) {
    const raw = text(env, name);
    if (raw === undefined || raw === "") continue;
    const n = Number(raw);
    if (!/^[0-9]+$/.test(raw.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
      throw new ConfigError(name, `${name} \`${raw.slice(0, 32)}\` is not an integer from ${min} to ${max}`);
    }
    delivery[key] = n;
  }
  return delivery;
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
