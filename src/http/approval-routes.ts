import type { Context, Hono } from "hono";
import type { ApprovalService } from "../approval/approval-service.js";
import { APPROVAL_ID, APPROVAL_STATUSES, StateUnavailableError, type ApprovalStatus, type StoredApproval } from "../approval/state-store.js";
import type { BearerCheck } from "./bearer.js";
import { readJsonBody } from "./read-body.js";

/**
 * The approvals API. Approvers and agents are different principals: an
 * approver token (SAFECLAW_APPROVER_TOKENS) lists and decides; an agent token
 * may only read its own approvals (to poll for the answer and fetch the
 * grant). Nobody decides without an approver token, also on a loopback
 * sidecar that needs no token for /v1/check: otherwise the agent could
 * approve itself. Every refusal is an `approval` record with event `refused`.
 */
export type Principal = { role: "approver"; name: string | undefined } | { role: "agent"; agent: string | undefined };

export interface ApprovalRouteDeps {
  approvals: ApprovalService;
  approverAuth: BearerCheck | undefined;
  /** agent names a named token stands for: a token without a name may not read their approvals */
  owned: ReadonlySet<string>;
  policy: string;
  /** the request id (the caller's or a fresh one) and the common headers */
  begin(c: Context): string;
  stamp(c: Context, id: string): void;
  /** the agent bearer check of /v1: the agent, or the 401 answer (recorded) */
  bearer(c: Context, id: string): Promise<{ agent: string | undefined } | Response>;
  /** after an approval's records: flush where each request is flushed (Lambda, Workers) */
  settle(): Promise<void>;
}

const MAX_DECISION_BODY = 16 * 1024;
const MAX_REASON = 2000;
const BY = /^[^\u0000-\u001f\u007f]{1,128}$/;

export function approvalRoutes(app: Hono, deps: ApprovalRouteDeps): void {
  const { approvals } = deps;

  const principal = async (c: Context, id: string): Promise<Principal | Response> => {
    if (deps.approverAuth) {
      const a = deps.approverAuth(c.req.header("authorization"));
      if (a.ok) return { role: "approver", name: a.agent };
    }
    const who = await deps.bearer(c, id);
    return who instanceof Response ? who : { role: "agent", agent: who.agent };
  };

  /** A JSON 4xx/5xx of the approvals API, recorded as a refused approval step. */
  const refuse = async (c: Context, status: 400 | 403 | 404 | 409 | 503, code: string, message: string, about: string, who: Principal, extra: object = {}) => {
    approvals.recordRefusal(about, `${code}: ${message}`, who.role === "approver" ? (who.name ?? "unnamed approver") : undefined, deps.policy);
    await deps.settle();
    return c.json({ error: { code, message, ...("field" in extra ? { field: (extra as { field: string }).field } : {}) }, ...withoutField(extra) }, status);
  };

  const unavailable = (c: Context, e: unknown, who: Principal, about: string) => {
    if (!(e instanceof StateUnavailableError)) throw e;
    return refuse(c, 503, "state_unavailable", `the approval store could not answer: ${e.message}`, about, who);
  };

  app.get("/v1/approvals", async (c) => {
    const id = deps.begin(c);
    const who = await principal(c, id);
    if (who instanceof Response) return who;
    deps.stamp(c, id);
    if (who.role !== "approver") return refuse(c, 403, "forbidden", "listing approvals needs an approver token (SAFECLAW_APPROVER_TOKENS)", "(list)", who);
    const status = c.req.query("status");
    if (status !== undefined && !APPROVAL_STATUSES.includes(status as ApprovalStatus)) {
      return refuse(c, 400, "invalid_request", `status must be one of ${APPROVAL_STATUSES.join(", ")}`, "(list)", who, { field: "status" });
    }
    const rawLimit = c.req.query("limit");
    const limit = rawLimit === undefined ? 50 : /^\d{1,3}$/.test(rawLimit) ? Number(rawLimit) : NaN;
    if (!(limit >= 1 && limit <= 100))
      return refuse(c, 400, "invalid_request", "limit must be a whole number from 1 to 100", "(list)", who, { field: "limit" });
    const cursor = c.req.query("cursor");
    try {
      const page = await approvals.list({ limit, ...(status ? { status: status as ApprovalStatus } : {}), ...(cursor !== undefined ? { cursor } : {}) });
      await deps.settle();
      return c.json({ approvals: page.approvals.map((a) => approvals.view(a)), ...(page.next ? { next: page.next } : {}) });
    } catch (e) {
      if (e instanceof TypeError && cursor !== undefined)
        return refuse(c, 400, "invalid_request", "cursor is not one this API returned", "(list)", who, { field: "cursor" });
      return unavailable(c, e, who, "(list)");
    }
  });

  app.get("/v1/approvals/:id", async (c) => {
    const id = deps.begin(c);
    const who = await principal(c, id);
    if (who instanceof Response) return who;
    deps.stamp(c, id);
    const approvalId = c.req.param("id");
    if (!APPROVAL_ID.test(approvalId)) return refuse(c, 400, "bad_id", "not an approval id (apr_ and 26 letters or digits)", approvalId, who, { field: "id" });
    let a: StoredApproval | undefined;
    try {
      a = await approvals.get(approvalId);
    } catch (e) {
      return unavailable(c, e, who, approvalId);
    }
    // An agent sees its own approvals only; another's is "not found", not "forbidden" (ids are not confirmed to strangers).
    // A token without a name sees self-asserted agents' approvals, never those of an agent a named token is (nor their grants).
    const foreign = who.role === "agent" && (who.agent !== undefined ? a?.agent !== who.agent : a?.agent !== undefined && deps.owned.has(a.agent));
    if (!a || foreign) {
      return refuse(c, 404, "not_found", `no approval ${approvalId}`, approvalId, who);
    }
    await deps.settle();
    return c.json(approvals.view(a));
  });

  app.post("/v1/approvals/:id", async (c) => {
    const id = deps.begin(c);
    const who = await principal(c, id);
    if (who instanceof Response) return who;
    deps.stamp(c, id);
    const approvalId = c.req.param("id");
    if (who.role !== "approver")
      return refuse(
        c,
        403,
        "forbidden",
        "deciding an approval needs an approver token (SAFECLAW_APPROVER_TOKENS); agent tokens cannot approve",
        approvalId,
        who,
      );
    if (!APPROVAL_ID.test(approvalId)) return refuse(c, 400, "bad_id", "not an approval id (apr_ and 26 letters or digits)", approvalId, who, { field: "id" });
    const body = await readJsonBody(c.req.raw, MAX_DECISION_BODY);
    if (!body.ok) return refuse(c, 400, body.code, body.message, approvalId, who, body.field ? { field: body.field } : {});
    const input = decisionInput(body.value, who.name);
    if ("problem" in input) return refuse(c, input.status, input.code, input.problem, approvalId, who, { field: input.field });
    const r = await approvals.decide(approvalId, input);
    if (!r.ok) return refuse(c, r.status, r.code, r.message, approvalId, who, r.approval ? { approval: approvals.view(r.approval) } : {});
    await deps.settle();
    return c.json(approvals.view(r.approval));
  });
}

type DecisionInput = { decision: "approve" | "reject"; by: string; reason?: string } | { problem: string; field: string; status: 400 | 403; code: string };

/** `{decision, by?, reason?}`; a named approver token decides as its name (a body naming someone else is refused). */
function decisionInput(v: unknown, name: string | undefined): DecisionInput {
  const bad = (problem: string, field: string): DecisionInput => ({ problem, field, status: 400, code: "invalid_request" });
  if (v === null || typeof v !== "object" || Array.isArray(v))
    return bad('body must be a JSON object: {"decision": "approve" | "reject", "by": "...", "reason": "..."}', "body");
  const o = v as Record<string, unknown>;
  for (const k of Object.keys(o))
    if (k !== "decision" && k !== "by" && k !== "reason") return bad(`unknown field \`${k.slice(0, 64)}\` (fields: decision, by, reason)`, k.slice(0, 64));
  if (o.decision !== "approve" && o.decision !== "reject") return bad('decision must be "approve" or "reject"', "decision");
  if (o.by !== undefined && (typeof o.by !== "string" || !BY.test(o.by))) return bad("by must be 1-128 characters without control characters", "by");
  if (o.reason !== undefined && (typeof o.reason !== "string" || o.reason.length > MAX_REASON))
    return bad(`reason must be a string of at most ${MAX_REASON} characters`, "reason");
  if (name !== undefined && o.by !== undefined && o.by !== name) {
    return {
      problem: `by is \`${o.by}\` but the approver token is \`${name}\`; omit by or send ${name}'s own`,
      field: "by",
      status: 403,
      code: "approver_mismatch",
    };
  }
  const out: { decision: "approve" | "reject"; by: string; reason?: string } = {
    decision: o.decision,
    by: name ?? o.by ?? "unnamed approver",
  };
  if (typeof o.reason === "string") out.reason = o.reason;
  return out;
}

function withoutField(extra: object): object {
  const { field: _f, ...rest } = extra as { field?: string };
  return rest;
}
