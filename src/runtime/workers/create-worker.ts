import { AuditLog } from "../../audit/audit-log.js";
import { makeChainId } from "../../audit/audited-check.js";
import { FetchS3Sink } from "./fetch-s3-sink.js";
import { createLineSink } from "../../audit/line-sink.js";
import type { AuditSink } from "../../audit/sink.js";
import { deny } from "../../engine/decision.js";
import { Gatekeeper } from "../../approval/gatekeeper.js";
import type { DurableObjectNamespaceLike } from "./durable-rpc.js";
import { stateStoreForWorker } from "./state-store-for-worker.js";
import type { StateStore } from "../../approval/state-store.js";
import { approvalConfig, approvalWebhook } from "../approval-settings.js";
import type { ApprovalWebhook } from "../../approval/webhook.js";
import { createApp } from "../../http/create-app.js";
import { loadBundle } from "../../engine/bundle.js";
import { ConfigError, policyInfo, runtimeConfig, type AuditConfig } from "../runtime-config.js";
import { R2Sink, type R2BucketLike } from "./r2-sink.js";

/**
 * The Cloudflare Worker: the same app, the policy compiled into the script,
 * one audit chain per isolate. With `onAuditFailure: deny` each answer waits
 * for its batch (fail closed); with `allow` the batch is written in
 * `waitUntil` after the answer. Configuration comes from bindings (vars,
 * secrets, an R2 bucket).
 */
export interface WorkerEnv {
  SAFECLAW_AUDIT_SINK?: string;
  SAFECLAW_AUDIT_FORMAT?: string;
  SAFECLAW_ON_AUDIT_FAILURE?: string;
  SAFECLAW_AUDIT_SIGNING_KEY?: string;
  SAFECLAW_AUDIT_TIMEOUT_MS?: string;
  SAFECLAW_AUDIT_QUEUE_RECORDS?: string;
  SAFECLAW_AUDIT_QUEUE_BYTES?: string;
  SAFECLAW_AUDIT_RETRY_MAX_MS?: string;
  SAFECLAW_API_TOKENS?: string;
  SAFECLAW_APPROVER_TOKENS?: string;
  SAFECLAW_APPROVAL_TTL?: string;
  SAFECLAW_APPROVAL_USE_TTL?: string;
  SAFECLAW_APPROVAL_SIGNING_KEY?: string;
  SAFECLAW_APPROVAL_PUBLIC_KEYS?: string;
  SAFECLAW_APPROVAL_WEBHOOK?: string;
  SAFECLAW_APPROVAL_WEBHOOK_SECRET?: string;
  AUDIT_BUCKET?: R2BucketLike;
  /** the SafeClawState Durable Object namespace: approvals and rate limits shared by every isolate (else per isolate) */
  SAFECLAW_STATE?: DurableObjectNamespaceLike;
  AWS_ACCESS_KEY_ID?: string;
  AWS_SECRET_ACCESS_KEY?: string;
  AWS_REGION?: string;
  AWS_ENDPOINT_URL?: string;
}

export interface ExecutionContextLike {
  waitUntil(p: Promise<unknown>): void;
}

interface Ready {
  fetch: (req: Request) => Response | Promise<Response>;
  audit: AuditLog;
  webhook: ApprovalWebhook | undefined;
}

function sinkFor(env: WorkerEnv, config: AuditConfig): AuditSink {
  const { sink: spec, format } = config;
  switch (spec.kind) {
    case "stdout":
      return createLineSink((line) => console.log(line), format);
    case "r2":
      if (!env.AUDIT_BUCKET) throw new ConfigError("AUDIT_BUCKET", "SAFECLAW_AUDIT_SINK is r2 but there is no AUDIT_BUCKET binding");
      return new R2Sink(env.AUDIT_BUCKET, spec.prefix, format, (m) => console.error(m));
    case "s3":
      if (!env.AWS_ACCESS_KEY_ID || !env.AWS_SECRET_ACCESS_KEY)
        throw new ConfigError("AWS_ACCESS_KEY_ID", "the s3 audit sink needs AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY secrets");
      return new FetchS3Sink({
        bucket: spec.bucket,
        prefix: spec.prefix,
        accessKeyId: env.AWS_ACCESS_KEY_ID,
        secretAccessKey: env.AWS_SECRET_ACCESS_KEY,
        ...(env.AWS_REGION ? { region: env.AWS_REGION } : {}),
        ...(env.AWS_ENDPOINT_URL ? { endpoint: env.AWS_ENDPOINT_URL } : {}),
        format,
        log: (m) => console.error(m),
      });
    case "file":
      throw new ConfigError("SAFECLAW_AUDIT_SINK", "a Worker has no file system: use stdout, r2 or s3:// for SAFECLAW_AUDIT_SINK");
  }
}

/** `state`: where approvals and rate limits are kept, from the Worker's bindings; default: the SAFECLAW_STATE Durable Objects, else memory (per isolate). */
export function createWorker(bundle: unknown, opts: { state?: (env: WorkerEnv) => StateStore } = {}) {
  let ready: Promise<Ready> | undefined;
  const init = async (env: WorkerEnv, colo: string | undefined): Promise<Ready> => {
    const { policy, builtAt } = await loadBundle(bundle);
    const config = runtimeConfig(env as Record<string, unknown>, policy, { fallbackSink: "stdout" });
    const auditConfig = config.audit!; // a fallback sink is given, so there is always one
    const audit = new AuditLog({
      sink: sinkFor(env, auditConfig),
      chainId: makeChainId(["worker", colo, crypto.randomUUID().slice(0, 8)], Date.now()),
      policy: policy.digest,
      onAuditFailure: auditConfig.onAuditFailure,
      instance: { runtime: "workers", ...(colo ? { colo } : {}) },
      log: (m) => console.error(m),
      ...auditConfig.delivery,
      ...(auditConfig.signingKey ? { signingKey: auditConfig.signingKey } : {}),
    });
    const approvals = approvalConfig(env as Record<string, unknown>, config.tokens);
    const state = (opts.state ?? stateStoreForWorker)(env);
    const webhook = approvalWebhook(approvals, (m) => console.error(m));
    const app = createApp({
      engine: new Gatekeeper(policy, { state, settings: approvals.settings, audit, ...(webhook ? { onCreated: (v) => void webhook.notify(v) } : {}) }),
      ...(approvals.approvers.length > 0 ? { approvers: approvals.approvers } : {}),
      policy: policyInfo(policy, builtAt),
      audit,
      ...(config.tokens.length ? { tokens: config.tokens } : {}),
      flushEachRequest: auditConfig.onAuditFailure === "deny",
      // Cloudflare sets it on every request, replacing whatever the client sent
      clientAddress: (c) => c.req.header("cf-connecting-ip"),
    });
    return { fetch: (req) => app.fetch(req), audit, webhook };
  };

  return {
    async fetch(request: Request, env: WorkerEnv, ctx: ExecutionContextLike): Promise<Response> {
      let r: Ready;
      try {
        r = await (ready ??= init(env, (request as Request & { cf?: { colo?: string } }).cf?.colo));
      } catch (e) {
        ready = undefined;
        console.error(`safeclaw: cannot start: ${(e as Error).message}`);
        return Response.json(deny("misconfigured", `safeclaw is misconfigured; denied: ${(e as Error).message}`), { status: 500 });
      }
      const res = await r.fetch(request);
      ctx.waitUntil(r.audit.flush()); // `allow` mode writes here; in `deny` mode the batch is already out
      if (r.webhook?.busy) ctx.waitUntil(r.webhook.idle()); // a new approval's announcement, after the answer
      return res;
    },
  };
}
