import { Hono, type Context } from "hono";
import { AuditOverflowError, type AuditLog } from "../audit/audit-log.js";
import { auditedCheck, auditedCheckAll } from "../audit/audited-check.js";
import { deny, statusOf, type Decision, type DecisionErrorCode } from "../engine/decision.js";
import type { Engine } from "../engine/engine.js";
import { bearerAuthorized } from "./bearer.js";
import { readJsonBody } from "./read-body.js";

/**
 * The decision API as one Hono app over Web-standard Request/Response: the
 * same app runs on Lambda, Fly (Node) and Workers; adapters only pass in what
 * their platform provides.
 */
export interface PolicyInfo {
  digest: string;
  rules: number;
  defaultAction: string;
  sources: string[];
  builtAt?: string;
}

export interface AppDeps {
  engine: Engine;
  policy: PolicyInfo;
  audit?: AuditLog;
  /** bearer tokens accepted on /v1/*; none means no authentication (a loopback sidecar) */
  tokens?: readonly string[];
  /** flush the audit batch before answering (Lambda, Workers); the Node server batches instead */
  flushEachRequest?: boolean;
  maxBodyBytes?: number;
  maxBatch?: number;
  newId?: () => string;
  log?: (message: string) => void;
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export function createApp(deps: AppDeps): Hono {
  const app = new Hono();
  const maxBody = deps.maxBodyBytes ?? 64 * 1024;
  const maxBatch = deps.maxBatch ?? 100;
  const newId = deps.newId ?? (() => crypto.randomUUID());
  const log = deps.log ?? ((m: string) => console.error(m));

  // Headers are set before the handler builds its response: editing a finished
  // response's headers costs the Node adapter its fast path.
  app.use("*", async (c, next) => {
    const given = c.req.header("x-request-id");
    const id = given && REQUEST_ID.test(given) ? given : newId();
    c.set("requestId" as never, id as never);
    c.header("x-request-id", id);
    c.header("x-safeclaw-policy", deps.policy.digest);
    c.header("cache-control", "no-store");
    await next();
  });

  app.get("/health", (c) => c.json({ status: "ok" }));

  app.get("/ready", (c) => {
    const failing = deps.audit?.failing;
    if (failing) return c.json({ status: "not ready", policy: deps.policy.digest, audit: `failing: ${failing}` }, 503);
    return c.json({ status: "ready", policy: deps.policy.digest, audit: deps.audit ? "ok" : "off" });
  });

  app.use("/v1/*", async (c, next) => {
    if (deps.tokens && deps.tokens.length > 0 && !(await bearerAuthorized(c.req.header("authorization"), deps.tokens))) {
      c.header("www-authenticate", 'Bearer realm="safeclaw"');
      return error(c, 401, "unauthorized", "missing or invalid bearer token");
    }
    await next();
  });

  app.get("/v1/policy", (c) => c.json(deps.policy));

  const decide = async (request: unknown, requestId: string, explain: boolean): Promise<Decision> => {
    if (!deps.audit) return deps.engine.check(request, { explain });
    return auditedCheck(deps.engine, deps.audit, request, { explain, requestId, flush: deps.flushEachRequest === true });
  };

  app.post("/v1/check", async (c) => {
    const id = c.get("requestId" as never) as string;
    const body = await readJsonBody(c.req.raw, maxBody);
    if (!body.ok) return refuse(c, body.code, body.message, id);
    const d = await decide(body.value, id, c.req.query("explain") === "true");
    // The hot route answers with plain-object headers: the Node adapter writes those without building a Headers object.
    return new Response(JSON.stringify(d), {
      status: statusOf(d.error), // 200 for what a policy (or an uncertainty) decided, else the error's own
      headers: { "content-type": "application/json", "x-request-id": id, "x-safeclaw-policy": deps.policy.digest, "cache-control": "no-store" },
    });
  });

  app.post("/v1/check/batch", async (c) => {
    const id = c.get("requestId" as never) as string;
    const body = await readJsonBody(c.req.raw, maxBody * 4);
    if (!body.ok) return refuse(c, body.code, body.message, id);
    const items = Array.isArray(body.value) ? body.value : (body.value as { requests?: unknown })?.requests;
    if (!Array.isArray(items)) return refuse(c, "bad_shape", "body must be a JSON array of requests (or {\"requests\": [...]})", id, "body");
    if (items.length > maxBatch) return refuse(c, "batch_too_large", `a batch holds at most ${maxBatch} requests, got ${items.length}`, id, "body");
    const explain = c.req.query("explain") === "true";
    const decisions = deps.audit
      ? await auditedCheckAll(deps.engine, deps.audit, items, { explain, requestId: id })
      : items.map((r) => deps.engine.check(r, { explain }));
    return c.json({ decisions });
  });

  // Known paths answer 405 for other methods; everything else is a JSON 404.
  for (const [path, allow] of [["/health", "GET"], ["/ready", "GET"], ["/v1/policy", "GET"], ["/v1/check", "POST"], ["/v1/check/batch", "POST"]] as const) {
    app.all(path, (c) => {
      c.header("allow", allow);
      return error(c, 405, "method_not_allowed", `${c.req.method} is not allowed on ${path}; use ${allow}`);
    });
  }
  app.notFound((c) => error(c, 404, "not_found", `no route for ${c.req.method} ${new URL(c.req.url).pathname}`));

  // Fail closed: an unexpected error is a deny, logged, never an allow.
  app.onError((e, c) => {
    log(`safeclaw: internal error on ${c.req.method} ${c.req.path}: ${e?.stack ?? e}`);
    return c.json(deny("internal_error", "internal error; denied", { policy: deps.policy.digest }), 500);
  });

  return app;

  /** A request refused before the engine saw it: a JSON 4xx, and still a deny in the audit trail. */
  async function refuse(c: Context, code: RefusalCode, message: string, requestId: string, field?: string) {
    const d = deny(code, `refused: ${message}`, { policy: deps.policy.digest, ...(field ? { field } : {}) });
    if (deps.audit) {
      try {
        const rec = deps.audit.record({ type: "decision", id: requestId, decision: "deny", rule: null, reason: d.reason, policy: d.policy, error: code });
        d.audit = { chain: deps.audit.chainId, seq: rec.seq };
        if (deps.flushEachRequest) await deps.audit.flush();
      } catch (e) {
        // queue full: the refusal is still a refusal; the trail counts it in a notice
        if (!(e instanceof AuditOverflowError)) throw e;
      }
    }
    return c.json(d, statusOf(code) as RefusalStatus);
  }
}

type RefusalCode = Extract<DecisionErrorCode, "bad_json" | "bad_encoding" | "bad_shape" | "body_too_large" | "batch_too_large" | "unsupported_media_type">;
type RefusalStatus = 400 | 413 | 415;

function error(c: Context, status: 401 | 404 | 405, code: string, message: string) {
  return c.json({ error: { code, message } }, status);
}
