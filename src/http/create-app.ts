import { Hono, type Context } from "hono";
import { AuditOverflowError, type AuditLog } from "../audit/audit-log.js";
import { auditedCheck, auditedCheckAll, decideEach } from "../audit/audited-check.js";
import { decisionBody, type RecordBody } from "../audit/record.js";
import { deny, statusOf, type Decision, type DecisionErrorCode } from "../engine/decision.js";
import type { Engine } from "../engine/engine.js";
import { Gatekeeper } from "../approval/gatekeeper.js";
import { approvalRoutes } from "./approval-routes.js";
import { bearerCheck, type ApiToken } from "./bearer.js";
import { readJsonBody } from "./read-body.js";
import { UnauthorizedTally, type TallyOptions } from "./unauthorized-tally.js";

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
  /** a Gatekeeper adds store-backed rate limits and the approval round trip (and the /v1/approvals API) */
  engine: Engine | Gatekeeper;
  policy: PolicyInfo;
  audit?: AuditLog;
  /**
   * bearer tokens accepted on /v1/*; none means no authentication (a loopback
   * sidecar). A token that names an agent makes that name the `agent` of every
   * request it sends (a body claiming another agent is refused with 403).
   */
  tokens?: readonly (string | ApiToken)[];
  /** approver tokens (SAFECLAW_APPROVER_TOKENS): the only callers who may list and decide approvals */
  approvers?: readonly ApiToken[];
  /** flush the audit batch before answering (Lambda, Workers); the Node server batches instead */
  flushEachRequest?: boolean;
  maxBodyBytes?: number;
  maxBatch?: number;
  newId?: () => string;
  log?: (message: string) => void;
  /**
   * The client's address as the platform vouches for it (Node: the socket's
   * peer; Lambda: requestContext; Workers: cf-connecting-ip), never a header a
   * client sets unless the deployment says a proxy sets it. 401s are recorded
   * per source; undefined: every caller is one source, "unknown".
   */
  clientAddress?: (c: Context) => string | undefined;
  /** how 401s reach the trail (default: 10 per source and 100 in all per minute, the rest in a notice); shutdown flushes it */
  unauthorized?: UnauthorizedTally;
}

/** A tally of 401s whose notices go into `audit` (a full queue is counted by the log's own notice). */
export function unauthorizedTally(audit: AuditLog, opts: TallyOptions = {}): UnauthorizedTally {
  return new UnauthorizedTally((notice) => {
    try {
      audit.record(notice);
    } catch (e) {
      if (!(e instanceof AuditOverflowError)) throw e;
    }
  }, opts);
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;
/** Who a caller is when no tokens are configured: nobody in particular (the body's `agent` stands). */
const ANYONE: { agent: string | undefined } = Object.freeze({ agent: undefined });

export function createApp(deps: AppDeps): Hono {
  const app = new Hono();
  const maxBody = deps.maxBodyBytes ?? 64 * 1024;
  const maxBatch = deps.maxBatch ?? 100;
  const newId = deps.newId ?? (() => crypto.randomUUID());
  const log = deps.log ?? ((m: string) => console.error(m));
  const auth = deps.tokens && deps.tokens.length > 0 ? bearerCheck(deps.tokens) : undefined;
  // Names that belong to a token: a token without a name (self-asserted agents) may not claim them.
  const owned: ReadonlySet<string> = new Set((deps.tokens ?? []).flatMap((t) => (typeof t !== "string" && t.agent !== undefined ? [t.agent] : [])));
  const tally = deps.unauthorized ?? (deps.audit && auth ? unauthorizedTally(deps.audit) : undefined);

  /*
   * One handler per route and no middleware: Hono runs a route that matches a
   * single handler directly, without composing middleware (a promise per
   * layer), and the hot route /v1/check answers with plain-object headers the
   * Node adapter writes without building a Headers object. Every answer still
   * carries the request id, the policy digest and no-store, and everything
   * under /v1 (known path or not) is behind the bearer check: `begin` and
   * `stamp` below, `bearer` for /v1, the not-found handler for the rest.
   */
  /** The caller's request id when well-formed, else a fresh one; kept on the context for the error handler. */
  const begin = (c: Context): string => {
    const given = c.req.header("x-request-id");
    const id = given && REQUEST_ID.test(given) ? given : newId();
    c.set("requestId" as never, id as never);
    return id;
  };
  /** The common headers of an answer built with c.json (set before it is built: editing a finished response costs the adapter its fast path). */
  const stamp = (c: Context, id: string): void => {
    c.header("x-request-id", id);
    c.header("x-safeclaw-policy", deps.policy.digest);
    c.header("cache-control", "no-store");
  };

  /**
   * The bearer check of /v1: `{ agent }` (the identity the token names, if
   * any) when the caller may go on, else the 401 answer, recorded per source.
   */
  const bearer = async (c: Context, id: string): Promise<{ agent: string | undefined } | Response> => {
    if (!auth) return { agent: undefined };
    const who = auth(c.req.header("authorization"));
    if (who.ok) return { agent: who.agent };
    stamp(c, id);
    c.header("www-authenticate", 'Bearer realm="safeclaw"');
    const source = (deps.clientAddress?.(c) || "unknown").slice(0, 64);
    if (tally?.admit(source)) {
      await recordAnswer({
        type: "decision",
        id,
        decision: "deny",
        rule: null,
        reason: `unauthorized: missing or invalid bearer token (source ${source})`,
        policy: deps.policy.digest,
        error: "unauthorized",
      });
    }
    return error(c, 401, "unauthorized", "missing or invalid bearer token");
  };

  app.get("/health", (c) => {
    stamp(c, begin(c));
    return c.json({ status: "ok" });
  });

  app.get("/ready", (c) => {
    stamp(c, begin(c));
    const failing = deps.audit?.failing;
    if (failing) return c.json({ status: "not ready", policy: deps.policy.digest, audit: `failing: ${failing}` }, 503);
    return c.json({ status: "ready", policy: deps.policy.digest, audit: deps.audit ? "ok" : "off" });
  });

  app.get("/v1/policy", async (c) => {
    const id = begin(c);
    const who = await bearer(c, id);
    if (who instanceof Response) return who;
    stamp(c, id);
    return c.json(deps.policy);
  });

  const decide = async (request: unknown, requestId: string, explain: boolean): Promise<Decision> => {
    if (!deps.audit) return deps.engine.check(request, { explain });
    return auditedCheck(deps.engine, deps.audit, request, { explain, requestId, flush: deps.flushEachRequest === true });
  };

  if (deps.engine instanceof Gatekeeper) {
    approvalRoutes(app, {
      approvals: deps.engine.approvals,
      approverAuth: deps.approvers && deps.approvers.length > 0 ? bearerCheck(deps.approvers) : undefined,
      owned,
      policy: deps.policy.digest,
      begin,
      stamp,
      bearer,
      settle: async () => {
        if (deps.audit && deps.flushEachRequest) await deps.audit.flush();
      },
    });
  }

  app.post("/v1/check", async (c) => {
    const id = begin(c);
    const who = auth ? await bearer(c, id) : ANYONE; // no await (no extra turn) when there is no bearer check
    if (who instanceof Response) return who;
    const body = await readJsonBody(c.req.raw, maxBody);
    if (!body.ok) return refuse(c, body.code, body.message, id, body.field);
    c.set("asked" as never, body.value as never);
    const agent = who.agent;
    const asked = asAgent(body.value, agent, "", owned);
    // audited under the identity the token proves; the claim is in the reason
    if (!asked.ok) return refuse(c, "agent_mismatch", asked.message, id, "agent", { ...(body.value as object), agent });
    const d = await decide(asked.request, id, c.req.query("explain") === "true");
    return new Response(JSON.stringify(d), {
      status: statusOf(d.error), // 200 for what a policy (or an uncertainty) decided, else the error's own
      headers: { "content-type": "application/json", "x-request-id": id, "x-safeclaw-policy": deps.policy.digest, "cache-control": "no-store" },
    });
  });

  app.post("/v1/check/batch", async (c) => {
    const id = begin(c);
    const who = await bearer(c, id);
    if (who instanceof Response) return who;
    stamp(c, id);
    const body = await readJsonBody(c.req.raw, maxBody * 4);
    if (!body.ok) return refuse(c, body.code, body.message, id, body.field);
    c.set("asked" as never, body.value as never);
    const v = body.value;
    const listed = Array.isArray(v)
      ? v
      : v !== null && typeof v === "object" && Object.hasOwn(v, "requests")
        ? (v as { requests: unknown }).requests
        : undefined;
    if (!Array.isArray(listed)) return refuse(c, "bad_shape", 'body must be a JSON array of requests (or {"requests": [...]})', id, "body");
    if (listed.length > maxBatch) return refuse(c, "batch_too_large", `a batch holds at most ${maxBatch} requests, got ${listed.length}`, id, "body");
    // One token, one identity: a batch in which any item claims another agent is refused whole.
    const agent = who.agent;
    const items: unknown[] = [];
    for (let i = 0; i < listed.length; i++) {
      const a = asAgent(listed[i], agent, `[${i}].`, owned);
      if (!a.ok) return refuse(c, "agent_mismatch", a.message, id, `[${i}].agent`);
      items.push(a.request);
    }
    const explain = c.req.query("explain") === "true";
    const decisions = deps.audit
      ? await auditedCheckAll(deps.engine, deps.audit, items, { explain, requestId: id })
      : await decideEach(deps.engine, items, explain);
    return c.json({ decisions });
  });

  // Known paths answer 405 for other methods (after the bearer check, under /v1); everything else is a JSON 404.
  const allowed: ReadonlyMap<string, string> = new Map([
    ["/health", "GET"],
    ["/ready", "GET"],
    ["/v1/policy", "GET"],
    ["/v1/check", "POST"],
    ["/v1/check/batch", "POST"],
    ["/v1/approvals", "GET"],
  ]);
  app.notFound(async (c) => {
    const id = begin(c);
    const path = c.req.path;
    if (path === "/v1" || path.startsWith("/v1/")) {
      const who = await bearer(c, id);
      if (who instanceof Response) return who;
    }
    stamp(c, id);
    const allow = allowed.get(path) ?? (/^\/v1\/approvals\/[^/]+$/.test(path) ? "GET, POST" : undefined);
    if (allow === undefined) return error(c, 404, "not_found", `no route for ${c.req.method} ${new URL(c.req.url).pathname}`);
    c.header("allow", allow);
    return error(c, 405, "method_not_allowed", `${c.req.method} is not allowed on ${path}; use ${allow}`);
  });

  // Fail closed: an unexpected error is a deny, logged, never an allow, and recorded like any answer.
  app.onError(async (e, c) => {
    log(`safeclaw: internal error on ${c.req.method} ${c.req.path}: ${e?.stack ?? e}`);
    const d = deny("internal_error", "internal error; denied", { policy: deps.policy.digest });
    const id = (c.get("requestId" as never) as string | undefined) ?? begin(c);
    stamp(c, id);
    const asked: unknown = c.get("asked" as never);
    const bare: RecordBody = { type: "decision", id, decision: "deny", rule: null, reason: d.reason, policy: d.policy, error: "internal_error" };
    try {
      // with what was asked when the body was read; bare if that is what broke
      let ref: Decision["audit"];
      try {
        ref = await recordAnswer(asked === undefined ? bare : decisionBody(asked, d, id));
      } catch {
        ref = await recordAnswer(bare);
      }
      if (ref) d.audit = ref;
    } catch (e2) {
      log(`safeclaw: the internal error on ${c.req.method} ${c.req.path} could not be recorded either: ${e2}`);
    }
    return c.json(d, 500);
  });

  return app;

  /**
   * A request refused before the engine saw it: a JSON 4xx, and still a deny in
   * the audit trail (with what was asked, when the body could be read).
   */
  async function refuse(c: Context, code: RefusalCode, message: string, requestId: string, field?: string, request?: unknown) {
    stamp(c, requestId);
    const d = deny(code, `${code === "invalid_request" ? "invalid request" : "refused"}: ${message}`, {
      policy: deps.policy.digest,
      ...(field ? { field } : {}),
    });
    const ref = await recordAnswer(
      request === undefined
        ? { type: "decision", id: requestId, decision: "deny", rule: null, reason: d.reason, policy: d.policy, error: code }
        : decisionBody(request, d, requestId),
    );
    if (ref) d.audit = ref;
    return c.json(d, statusOf(code) as RefusalStatus);
  }

  /**
   * Records an answer that is not an engine decision (a refusal, a 401, a 500)
   * and, like a decision under `onAuditFailure: deny`, waits until the record
   * is durable or the sink is known to be failing; where the audit batch is
   * flushed per request (Lambda, Workers) that flush is awaited in both modes.
   * Returns where the record sits, `durable: false` when the answer goes out
   * before it is durable (queued for retry, else spilled at shutdown); nothing
   * when it could not even be queued (queue full: counted in the log's notice).
   */
  async function recordAnswer(body: RecordBody): Promise<Decision["audit"]> {
    const audit = deps.audit;
    if (!audit) return undefined;
    let rec: ReturnType<AuditLog["record"]>;
    try {
      rec = audit.record(body);
    } catch (e) {
      if (!(e instanceof AuditOverflowError)) throw e;
      return undefined;
    }
    const ref: NonNullable<Decision["audit"]> = { chain: audit.chainId, seq: rec.seq };
    if (deps.flushEachRequest) await audit.flush();
    if (deps.flushEachRequest || audit.onAuditFailure === "deny") {
      try {
        await rec.durable;
      } catch {
        ref.durable = false;
      }
    }
    return ref;
  }
}

type RefusalCode = Extract<
  DecisionErrorCode,
  | "bad_json"
  | "bad_encoding"
  | "bad_shape"
  | "invalid_request"
  | "agent_mismatch"
  | "body_too_large"
  | "batch_too_large"
  | "unsupported_media_type"
  | "body_incomplete"
>;
type RefusalStatus = 400 | 403 | 408 | 413 | 415;

/**
 * The request as the token's identity sends it: with `agent` set to the name
 * the token stands for. A body that names no agent gets it; one that names the
 * same agent is unchanged; one that names another is refused (403), because a
 * caller claiming to be someone its token is not is either misconfigured or
 * trying it on. Anything that is not an object goes on to be refused by the engine.
 */
function asAgent(
  request: unknown,
  agent: string | undefined,
  at: string,
  owned: ReadonlySet<string>,
): { ok: true; request: unknown } | { ok: false; message: string } {
  if (request === null || typeof request !== "object" || Array.isArray(request)) return { ok: true, request };
  if (agent === undefined) {
    // A token without a name asserts its own agent, but not one another token is: `ci-bot` is whoever holds ci-bot's token.
    const claimed = Object.hasOwn(request, "agent") ? (request as { agent: unknown }).agent : undefined;
    if (typeof claimed === "string" && owned.has(claimed)) {
      return {
        ok: false,
        message: `${at}agent is \`${claimed}\`, the identity of another bearer token; this token names no agent: omit \`agent\` or send that agent's token`,
      };
    }
    return { ok: true, request };
  }
  if (!Object.hasOwn(request, "agent")) return { ok: true, request: { ...request, agent } };
  const claimed = (request as { agent: unknown }).agent;
  if (claimed === agent) return { ok: true, request };
  const shown = typeof claimed === "string" ? `\`${JSON.stringify(claimed.slice(0, 128)).slice(1, -1)}\`` : `a ${claimed === null ? "null" : typeof claimed}`;
  return { ok: false, message: `${at}agent is ${shown} but the bearer token is agent \`${agent}\`; omit \`agent\` or send \`${agent}\`` };
}

function error(c: Context, status: 401 | 404 | 405, code: string, message: string) {
  return c.json({ error: { code, message } }, status);
}
