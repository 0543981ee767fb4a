import { Hono } from "hono";
import { handle } from "hono/aws-lambda";
import { AuditOverflowError, type AuditLog } from "../../audit/audit-log.js";
import { auditedCheckAll, decideEach, type Checker } from "../../audit/audited-check.js";
import { loadBundle } from "../../engine/bundle.js";
import { deny, type Decision } from "../../engine/decision.js";
import { Gatekeeper } from "../../approval/gatekeeper.js";
import type { StateStore } from "../../approval/state-store.js";
import { stateStoreFor } from "./lambda-state.js";
import { approvalConfig, approvalWebhook } from "../approval-settings.js";
import type { ApprovalView } from "../../approval/approval-view.js";
import { createApp } from "../../http/create-app.js";
import { createNodeAuditLog } from "../node/audit-config.js";
import { policyInfo, runtimeConfig } from "../runtime-config.js";

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

export interface LambdaHandlerOptions {
  /** the policy bundle compiled into the build (`build/policy-bundle.js`) */
  bundle: unknown;
  env: Record<string, string | undefined>;
  log?: (m: string) => void;
  /** where approvals and rate limits are kept; default: the DynamoDB table SAFECLAW_STATE_TABLE names, else memory (per execution environment) */
  state?: StateStore;
}

type HttpHandler = (event: never, ctx?: never) => Promise<unknown>;

interface Ready {
  engine: Gatekeeper;
  /** what decides direct invocations: the engine, refusing claims of an agent a named token is */
  direct: Checker;
  audit: AuditLog | undefined;
  http: HttpHandler;
  /** the announcements this invocation started (one invocation at a time runs in an environment) */
  announcing: Array<Promise<void>>;
}

/**
 * Lambda freezes the environment when the handler returns, and a webhook
 * call in flight then waits for the next invocation (or is lost with the
 * environment). So an invocation that announced a new approval waits for the
 * announcement, at most this long, before it answers; the answer it delays
 * is a require_approval, which waits for a human anyway.
 */
const NOTIFY_WAIT_MS = 2000;

async function afterNotifications<T>(r: Ready, answer: T): Promise<T> {
  if (r.announcing.length > 0) {
    const mine = r.announcing.splice(0);
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([Promise.all(mine), new Promise<void>((done) => (timer = setTimeout(done, NOTIFY_WAIT_MS)))]);
    clearTimeout(timer);
  }
  return answer;
}

export const MAX_DIRECT_BATCH = 100;

/**
 * HTTP events (API Gateway v1/v2, Function URLs, ALB) carry these; everything
 * else, including `null`, a string or an object without `action`, is a direct
 * invocation, which the engine answers (a malformed one with a recorded deny)
 * instead of the HTTP adapter crashing on it or answering a 404 nobody audits.
 */
export function isDirectEvent(event: unknown): boolean {
  if (event === null || typeof event !== "object" || Array.isArray(event)) return true;
  const e = event as Record<string, unknown>;
  return !("requestContext" in e || "httpMethod" in e || "routeKey" in e || "rawPath" in e);
}

/** The requests of a direct event: a list, `{requests: [...]}`, or one request (a `requests` that is no list is not a batch). */
function directRequests(event: unknown): { many: unknown[] | undefined; requests: unknown[] } {
  const many = Array.isArray(event)
    ? event
    : event !== null && typeof event === "object" && Array.isArray((event as { requests?: unknown }).requests)
      ? (event as { requests: unknown[] }).requests
      : undefined;
  return { many, requests: many ?? [event] };
}

export function createLambdaHandler(opts: LambdaHandlerOptions) {
  const env = opts.env;
  const log = opts.log ?? ((m: string) => console.error(m));
  let ready: Promise<Ready> | undefined;
  const init = async (): Promise<Ready> => {
    const { policy, builtAt } = await loadBundle(opts.bundle);
    const config = runtimeConfig(env, policy, { fallbackSink: "stdout" });
    const instance: Record<string, string> = { runtime: "lambda" };
    if (env.AWS_LAMBDA_FUNCTION_NAME) instance.function = env.AWS_LAMBDA_FUNCTION_NAME;
    if (env.AWS_REGION) instance.region = env.AWS_REGION;
    if (env.AWS_LAMBDA_LOG_STREAM_NAME) instance.logStream = env.AWS_LAMBDA_LOG_STREAM_NAME;
    const audit =
      config.audit &&
      (await createNodeAuditLog(config.audit, {
        env,
        policy,
        instance,
        // One chain per execution environment: the log stream names it.
        chainParts: [env.AWS_REGION ?? "lambda", env.AWS_LAMBDA_FUNCTION_NAME ?? "", (env.AWS_LAMBDA_LOG_STREAM_NAME ?? "").slice(-32)],
        log,
      }));
    const approvals = approvalConfig(env, config.tokens);
    const webhook = approvalWebhook(approvals, log);
    const announcing: Array<Promise<void>> = [];
    const engine = new Gatekeeper(policy, {
      state: opts.state ?? stateStoreFor(env),
      settings: approvals.settings,
      ...(audit ? { audit } : {}),
      ...(webhook ? { onCreated: (v: ApprovalView) => void announcing.push(webhook.notify(v)) } : {}),
    });
    const app = createApp({
      engine,
      ...(approvals.approvers.length > 0 ? { approvers: approvals.approvers } : {}),
      policy: policyInfo(policy, builtAt),
      ...(audit ? { audit } : {}),
      ...(config.tokens.length ? { tokens: config.tokens } : {}),
      flushEachRequest: true,
      // API Gateway and Function URLs say who called; ALB events do not (its x-forwarded-for is not used: a client can start it)
      clientAddress: (c) => {
        const rc = (c.env as { requestContext?: { identity?: { sourceIp?: string }; http?: { sourceIp?: string } } } | undefined)?.requestContext;
        return rc?.identity?.sourceIp ?? rc?.http?.sourceIp;
      },
      log,
    });
    // A direct invocation carries no token (IAM let it in): like a token without a name, it may not claim an agent a named token is.
    const owned = new Set(config.tokens.flatMap((t) => (t.agent !== undefined ? [t.agent] : [])));
    const direct: Checker =
      owned.size === 0
        ? engine
        : {
            check: (q, o) => {
              const claimed = q !== null && typeof q === "object" && Object.hasOwn(q, "agent") ? (q as { agent: unknown }).agent : undefined;
              if (typeof claimed === "string" && owned.has(claimed)) {
                return deny(
                  "agent_mismatch",
                  `refused: agent is \`${claimed}\`, the identity of a bearer token; a direct invocation names no token: call the HTTP API with that agent's token`,
                  { policy: policy.digest, field: "agent" },
                );
              }
              return engine.check(q, o);
            },
          };
    return { engine, direct, audit, http: handle(app), announcing };
  };

  return async (event: unknown, context?: LambdaContextLike): Promise<unknown> => {
    let r: Ready;
    try {
      r = await (ready ??= init());
    } catch (e) {
      // Not cached: a later invocation tries again (a secret that arrives late, a transient S3 error).
      ready = undefined;
      const reason = `safeclaw is misconfigured; denied: ${(e as Error).message}`;
      log(`safeclaw: cannot start: ${(e as Error).message}`);
      return misconfigured(event, context, reason);
    }
    if (!isDirectEvent(event)) return afterNotifications(r, await r.http(event as never, context as never));
    const { many, requests } = directRequests(event);
    const requestId = context?.awsRequestId;
    if (requests.length > MAX_DIRECT_BATCH) {
      // Same bound as the HTTP batch: a refusal for each, recorded, never a partial answer.
      // Only a list can be this long, so the answer is always a list.
      const d = deny("batch_too_large", `refused: a direct invocation holds at most ${MAX_DIRECT_BATCH} requests, got ${requests.length}`, {
        policy: r.engine.policy.digest,
      });
      const ref = await recordRefusal(r.audit, d, requestId);
      if (ref) d.audit = ref;
      return requests.map(() => ({ ...d }));
    }
    const decisions: Decision[] = r.audit
      ? await auditedCheckAll(r.direct, r.audit, requests, requestId ? { requestId } : {})
      : await decideEach(r.direct, requests);
    return afterNotifications(r, many ? decisions : decisions[0]);
  };
}

/** A refusal goes into the trail like any decision, flushed before the answer; a full queue is counted by the log's own notice. */
async function recordRefusal(audit: AuditLog | undefined, d: Decision, requestId: string | undefined): Promise<Decision["audit"]> {
  if (!audit) return undefined;
  let rec: ReturnType<AuditLog["record"]>;
  try {
    rec = audit.record({
      type: "decision",
      decision: "deny",
      rule: null,
      reason: d.reason,
      policy: d.policy,
      error: d.error!,
      ...(requestId ? { id: requestId } : {}),
    });
  } catch (e) {
    if (!(e instanceof AuditOverflowError)) throw e;
    await audit.flush();
    return undefined;
  }
  await audit.flush();
  return rec.durable.then(
    () => ({ chain: audit.chainId, seq: rec.seq }),
    () => ({ chain: audit.chainId, seq: rec.seq, durable: false as const }),
  );
}

/** Every event gets a deny in its own shape while the handler cannot start: a 500 for HTTP events. */
function misconfigured(event: unknown, context: LambdaContextLike | undefined, reason: string): unknown {
  const d = deny("misconfigured", reason);
  if (isDirectEvent(event)) {
    const { many } = directRequests(event);
    return many ? many.map(() => ({ ...d })) : d;
  }
  const app = new Hono();
  app.all("*", (c) => c.json(d, 500));
  return (handle(app) as HttpHandler)(event as never, context as never);
}
