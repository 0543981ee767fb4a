import { hash } from "node:crypto";
import { hostname } from "node:os";
import { AuditLog } from "../../audit/audit-log.js";
import { makeChainId } from "../../audit/audited-check.js";
import type { CompiledPolicy } from "../../engine/compile.js";
import { runtimeConfig, type AuditConfig } from "../runtime-config.js";
import { createSink } from "./create-sink.js";
import { recoverAuditFile } from "./audit-recovery.js";
import { lastChainHead } from "./file-sink.js";
import { spillNotices } from "./shutdown-spill.js";

/**
 * Builds the audit writer for a Node process from, in order of precedence, an
 * explicit sink (`--audit`), the environment (SAFECLAW_AUDIT_SINK,
 * SAFECLAW_AUDIT_FORMAT, SAFECLAW_ON_AUDIT_FAILURE, SAFECLAW_AUDIT_SIGNING_KEY,
 * SAFECLAW_AUDIT_MAX_BYTES)
 * and the policy's `audit:` block. Undefined when no sink is configured.
 */
export interface NodeAuditOptions {
  env: Record<string, string | undefined>;
  policy: CompiledPolicy;
  instance: Record<string, string>;
  chainParts: string[];
  log: (message: string) => void;
  autoFlushMs?: number;
  groupCommit?: boolean;
  /** where a `stdout` sink writes (stderr when stdout carries answers) */
  stdoutStream?: "stdout" | "stderr";
  /** the server's shutdown spill file (SAFECLAW_AUDIT_SPILL): when not empty, the new chain names it in a notice */
  spill?: string;
}

export async function auditLogFromConfig(opts: NodeAuditOptions & { sink?: string; fallbackSink?: string }): Promise<AuditLog | undefined> {
  const config = runtimeConfig(opts.env, opts.policy, {
    ...(opts.sink !== undefined ? { sink: opts.sink } : {}),
    ...(opts.fallbackSink !== undefined ? { fallbackSink: opts.fallbackSink } : {}),
  }).audit;
  return config ? createNodeAuditLog(config, opts) : undefined;
}

/** The audit writer of a Node process (server, Lambda, CLI): its sink, chain id and previous chain head. */
export async function createNodeAuditLog(config: AuditConfig, opts: NodeAuditOptions): Promise<AuditLog> {
  const { env, policy } = opts;
  const spec = config.sink;
  const now = Date.now();
  // Before anything appends to the file: a batch a crash or a full disk cut short is moved aside, and the new chain says so.
  const recovered = spec.kind === "file" ? await recoverAuditFile(spec.path) : undefined;
  if (recovered?.notice) opts.log(`safeclaw audit: ${recovered.notice.message}`);
  if (recovered?.warning) opts.log(`safeclaw audit: ${recovered.warning}`);
  const options: ConstructorParameters<typeof AuditLog>[0] = {
    sink: await createSink(spec, {
      format: config.format,
      env,
      log: opts.log,
      ...(config.maxBytes !== undefined ? { maxBytes: config.maxBytes } : {}),
      ...(opts.stdoutStream ? { stdoutStream: opts.stdoutStream } : {}),
    }),
    chainId: makeChainId([...opts.chainParts, hostname(), String(process.pid)], now),
    policy: policy.digest,
    onAuditFailure: config.onAuditFailure,
    log: opts.log,
    instance: opts.instance,
    sha256: nodeSha256,
    ...config.delivery,
  };
  if (opts.autoFlushMs !== undefined) options.autoFlushMs = opts.autoFlushMs;
  if (opts.groupCommit) {
    options.groupCommit = true;
    options.defer = (fn) => void setImmediate(fn);
  }
  if (config.signingKey) options.signingKey = config.signingKey;
  if (recovered?.notice) options.notices = [recovered.notice];
  if (spec.kind === "file") {
    const previous = await lastChainHead(spec.path);
    if (previous) options.previous = previous;
  }
  if (opts.spill) {
    const spilled = await spillNotices(opts.spill);
    if (spilled.length > 0) options.notices = [...(options.notices ?? []), ...spilled];
  }
  return new AuditLog(options);
}

/**
 * node:crypto's SHA-256 of the string's UTF-8 bytes (lone surrogates as U+FFFD,
 * as TextEncoder writes them): the chain's hash, native. The one-shot
 * `crypto.hash` costs about half of a createHash object.
 */
export function nodeSha256(text: string): string {
  return hash("sha256", text, "hex");
}
