import { hostname } from "node:os";
import { AuditLog, type OnAuditFailure } from "../audit/audit-log.js";
import { makeChainId } from "../audit/audited-check.js";
import type { AuditFormat } from "../audit/lines.js";
import { parseSigningKey } from "../audit/signing.js";
import type { CompiledPolicy } from "../engine/compile.js";
import { createSink, parseSinkSpec, type SinkSpec } from "./audit-sink-spec.js";
import { lastChainHead } from "./file-sink.js";

/**
 * Builds the audit writer for a Node process from, in order of precedence, an
 * explicit sink (`--audit`), the environment (SAFECLAW_AUDIT_SINK,
 * SAFECLAW_AUDIT_FORMAT, SAFECLAW_ON_AUDIT_FAILURE, SAFECLAW_AUDIT_SIGNING_KEY)
 * and the policy's `audit:` block. Undefined when no sink is configured.
 */
export async function auditLogFromConfig(opts: {
  sink?: string;
  env: Record<string, string | undefined>;
  policy: CompiledPolicy;
  instance: Record<string, string>;
  chainParts: string[];
  log: (message: string) => void;
  autoFlushMs?: number;
  groupCommit?: boolean;
  /** sink to use when neither the caller, the environment nor the policy names one */
  fallbackSink?: string;
}): Promise<AuditLog | undefined> {
  const { env, policy } = opts;
  const fromPolicy = policy.ir.audit;
  let spec: SinkSpec | undefined;
  const raw = opts.sink ?? env.SAFECLAW_AUDIT_SINK;
  if (raw !== undefined && raw !== "") spec = parseSinkSpec(raw);
  else if (fromPolicy?.sink === "stdout") spec = { kind: "stdout" };
  else if (fromPolicy?.sink === "file") {
    if (!fromPolicy.path) throw new Error("policy `audit.sink: file` needs `audit.path`");
    spec = { kind: "file", path: fromPolicy.path };
  } else if (fromPolicy?.sink === "s3") {
    if (!fromPolicy.url) throw new Error("policy `audit.sink: s3` needs `audit.url: s3://bucket/prefix`");
    spec = parseSinkSpec(fromPolicy.url);
  }
  if (!spec && opts.fallbackSink) spec = parseSinkSpec(opts.fallbackSink);
  if (!spec) return undefined;

  const formatRaw = env.SAFECLAW_AUDIT_FORMAT ?? fromPolicy?.format ?? "json";
  if (!["json", "ndjson", "ocsf"].includes(formatRaw)) throw new Error(`SAFECLAW_AUDIT_FORMAT \`${formatRaw}\` is not json, ndjson or ocsf`);
  const format: AuditFormat = formatRaw === "ocsf" ? "ocsf" : "json";
  const failureRaw = env.SAFECLAW_ON_AUDIT_FAILURE ?? fromPolicy?.onAuditFailure ?? "deny";
  if (failureRaw !== "deny" && failureRaw !== "allow") throw new Error(`SAFECLAW_ON_AUDIT_FAILURE \`${failureRaw}\` is not deny or allow`);
  const onAuditFailure: OnAuditFailure = failureRaw;

  const now = Date.now();
  const options: ConstructorParameters<typeof AuditLog>[0] = {
    sink: await createSink(spec, { format, env }),
    chainId: makeChainId([...opts.chainParts, hostname(), String(process.pid)], now),
    policy: policy.digest,
    onAuditFailure,
    log: opts.log,
    instance: opts.instance,
  };
  if (opts.autoFlushMs !== undefined) options.autoFlushMs = opts.autoFlushMs;
  if (opts.groupCommit) {
    options.groupCommit = true;
    options.defer = (fn) => void setImmediate(fn);
  }
  if (env.SAFECLAW_AUDIT_SIGNING_KEY) options.signingKey = parseSigningKey(env.SAFECLAW_AUDIT_SIGNING_KEY);
  if (spec.kind === "file") {
    const previous = await lastChainHead(spec.path);
    if (previous) options.previous = previous;
  }
  return new AuditLog(options);
}
