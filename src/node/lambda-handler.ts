import { handle } from "hono/aws-lambda";
import type { AuditLog } from "../audit/audit-log.js";
import { auditedCheckAll } from "../audit/audited-check.js";
import { createEngine, type Engine } from "../engine/engine.js";
import type { Decision } from "../engine/decision.js";
import { createApp } from "../http/create-app.js";
import { loadBundle } from "../policy/bundle.js";
import { auditLogFromConfig } from "./audit-config.js";

/**
 * One Lambda handler for API Gateway REST (v1) and HTTP API (v2) events,
 * Function URLs and ALB (through Hono's Lambda adapter), and for direct
 * invocations from an agent's code: `{ action, ... }`, an array of them, or
 * `{ requests: [...] }`. A direct event is recognised before the HTTP adapter
 * sees it. The audit batch is flushed before the handler returns.
 */
export interface LambdaContextLike {
  awsRequestId?: string;
  logStreamName?: string;
}

interface Ready {
  engine: Engine;
  audit: AuditLog | undefined;
  http: (event: never, ctx?: never) => Promise<unknown>;
}

export const MAX_DIRECT_BATCH = 100;

export function isDirectEvent(event: unknown): boolean {
  if (Array.isArray(event)) return true;
  if (event === null || typeof event !== "object") return false;
  const e = event as Record<string, unknown>;
  if ("requestContext" in e || "httpMethod" in e || "routeKey" in e || "rawPath" in e) return false;
  return typeof e.action === "string" || Array.isArray(e.requests);
}

export function createLambdaHandler(opts: { bundle: unknown; env: Record<string, string | undefined>; log?: (m: string) => void }) {
  const env = opts.env;
  const log = opts.log ?? ((m: string) => console.error(m));
  let ready: Promise<Ready> | undefined;
  const init = async (): Promise<Ready> => {
    const { policy, builtAt } = await loadBundle(opts.bundle);
    const audit = await auditLogFromConfig({
      env,
      policy,
      instance: { runtime: "lambda", ...(env.AWS_LAMBDA_FUNCTION_NAME ? { function: env.AWS_LAMBDA_FUNCTION_NAME } : {}), ...(env.AWS_REGION ? { region: env.AWS_REGION } : {}), ...(env.AWS_LAMBDA_LOG_STREAM_NAME ? { logStream: env.AWS_LAMBDA_LOG_STREAM_NAME } : {}) },
      // One chain per execution environment: the log stream names it.
      chainParts: [env.AWS_REGION ?? "lambda", env.AWS_LAMBDA_FUNCTION_NAME ?? "", (env.AWS_LAMBDA_LOG_STREAM_NAME ?? "").slice(-32)],
      log,
      fallbackSink: "stdout",
    });
    const engine = createEngine(policy);
    const tokens = (env.SAFECLAW_API_TOKENS ?? "").split(",").map((t) => t.trim()).filter(Boolean);
    const app = createApp({
      engine,
      policy: { digest: policy.digest, rules: policy.rules.length, defaultAction: policy.ir.defaultAction, sources: policy.ir.sources, ...(builtAt ? { builtAt } : {}) },
      ...(audit ? { audit } : {}),
      ...(tokens.length ? { tokens } : {}),
      flushEachRequest: true,
      log,
    });
    return { engine, audit, http: handle(app) as Ready["http"] };
  };

  return async (event: unknown, context?: LambdaContextLike): Promise<unknown> => {
    const r = await (ready ??= init());
    if (!isDirectEvent(event)) return r.http(event as never, context as never);
    const many = Array.isArray(event) ? event : (event as { requests?: unknown[] }).requests;
    const requests = many ?? [event];
    if (requests.length > MAX_DIRECT_BATCH) {
      // Same bound as the HTTP batch: a refusal for each, recorded, never a partial answer.
      const reason = `a direct invocation holds at most ${MAX_DIRECT_BATCH} requests, got ${requests.length}`;
      const refusal = (): Decision => ({ decision: "deny", allowed: false, rule: null, reason: `refused: ${reason}`, policy: r.engine.policy.digest, error: "batch_too_large" });
      if (r.audit) {
        r.audit.record({ type: "decision", decision: "deny", rule: null, reason: `refused: ${reason}`, policy: r.engine.policy.digest, error: "batch_too_large", ...(context?.awsRequestId ? { id: context.awsRequestId } : {}) });
        await r.audit.flush();
      }
      return many ? requests.map(refusal) : refusal();
    }
    const requestId = context?.awsRequestId;
    const decisions: Decision[] = r.audit
      ? await auditedCheckAll(r.engine, r.audit, requests, requestId ? { requestId } : {})
      : requests.map((q) => r.engine.check(q));
    return many ? decisions : decisions[0];
  };
}
