import { AuditOverflowError, type AuditLog } from "../audit/audit-log.js";
import { cap } from "../audit/cap.js";
import type { ApprovalEvent, ApprovalRecord, RecordBody } from "../audit/record.js";
import { redact } from "../audit/redact.js";
import type { SigningKey } from "../audit/signing.js";
import type { Decision, DecisionErrorCode } from "../engine/decision.js";
import { approvalRef, approvalView, iso, type ApprovalView } from "./approval-view.js";
import { grantKeys, signGrant, verifyGrant } from "./grant.js";
import { requestHash, requestIdentity } from "./request-hash.js";
import { APPROVAL_ID, effectiveStatus, newApprovalId, StateUnavailableError, type ApprovalQuery, type StateStore, type StoredApproval } from "./state-store.js";

/**
 * The human approval round trip. A `require_approval` decision becomes a
 * pending approval (one per request: asking again while it waits returns the
 * same id); an approver decides it once; the agent's retry naming it is
 * allowed once. A grant (approval/grant.ts) carries the same approval to
 * deployments that do not share this store.
 *
 * Nothing here can turn a deny into an allow: the engine decides the retry
 * first, and only a `require_approval` answer is looked at. Every step is an
 * audit record in the chain of the decision around it.
 */
export interface ApprovalSettings {
  /** how long a pending approval waits for an approver (SAFECLAW_APPROVAL_TTL) */
  pendingTtlMs: number;
  /** how long an approved one may be used, and its grant is valid, from the moment of approval (SAFECLAW_APPROVAL_USE_TTL) */
  useTtlMs: number;
  /** signs grants (SAFECLAW_APPROVAL_SIGNING_KEY); without it approvals work by id only */
  signingKey?: SigningKey;
  /** besides the signing key's own, the keys whose grants are accepted (SAFECLAW_APPROVAL_PUBLIC_KEYS) */
  publicKeys: readonly Uint8Array[];
}

export const DEFAULT_APPROVAL_SETTINGS: ApprovalSettings = { pendingTtlMs: 3_600_000, useTtlMs: 600_000, publicKeys: [] };

export interface ApprovalServiceDeps {
  state: StateStore;
  settings?: ApprovalSettings;
  audit?: AuditLog;
  clock?: () => number;
  /** told of each new approval (the webhook); must not throw or block */
  onCreated?: (view: ApprovalView) => void;
  newId?: () => string;
}

/** What the retry named: an approval id, or a grant. */
export interface NamedApproval {
  approval?: string;
  grant?: string;
}

export type DecideResult =
  | { ok: true; approval: StoredApproval }
  | {
      ok: false;
      status: 404 | 409 | 503;
      code: "not_found" | "already_decided" | "expired" | "state_unavailable" | "audit_unavailable";
      message: string;
      approval?: StoredApproval;
    };

export class ApprovalService {
  readonly state: StateStore;
  readonly settings: ApprovalSettings;
  private readonly audit: AuditLog | undefined;
  private readonly clock: () => number;
  private readonly onCreated: ((view: ApprovalView) => void) | undefined;
  private readonly newId: () => string;
  private readonly keys: ReadonlyMap<string, Uint8Array>;

  constructor(deps: ApprovalServiceDeps) {
    this.state = deps.state;
    this.settings = deps.settings ?? DEFAULT_APPROVAL_SETTINGS;
    this.audit = deps.audit;
    this.clock = deps.clock ?? Date.now;
    this.onCreated = deps.onCreated;
    this.newId = deps.newId ?? newApprovalId;
    this.keys = grantKeys(this.settings.signingKey, this.settings.publicKeys);
  }

  /**
   * The answer to a request the policy answered `require_approval` (`d`):
   * `request` is the request as decided (agent as the token proves it), with
   * what the retry named taken out into `named`.
   */
  async settle(d: Decision, request: Record<string, unknown>, named: NamedApproval): Promise<Decision> {
    const now = this.clock();
    const hash = requestHash(request, d.rule);
    const agent = typeof request.agent === "string" ? request.agent : undefined;
    try {
      if (named.approval !== undefined) return await this.useApproval(d, named.approval, hash, agent, now);
      if (named.grant !== undefined) return await this.useGrant(d, named.grant, hash, now);
      return await this.ask(d, request, hash, agent, now);
    } catch (e) {
      if (!(e instanceof StateUnavailableError)) throw e;
      return refused(d, "state_unavailable", `denied: the approval store could not answer (${e.message}); the policy said require_approval`);
    }
  }

  /** One approval, with an expiry that passed written (and recorded) as it is read. */
  async get(id: string): Promise<StoredApproval | undefined> {
    const a = await this.state.getApproval(id);
    return a && (await this.expireIfDue(a, this.clock()));
  }

  async list(q: ApprovalQuery): Promise<{ approvals: StoredApproval[]; next?: string }> {
    const now = this.clock();
    const page = await this.state.listApprovals(q, now);
    const approvals: StoredApproval[] = [];
    for (const a of page.approvals) approvals.push(await this.expireIfDue(a, now));
    return page.next === undefined ? { approvals } : { approvals, next: page.next };
  }

  /** An approver's decision: once, while pending and unexpired. */
  async decide(id: string, input: { decision: "approve" | "reject"; by: string; reason?: string }): Promise<DecideResult> {
    const now = this.clock();
    let a: StoredApproval | undefined;
    try {
      a = await this.get(id);
      if (!a) return { ok: false, status: 404, code: "not_found", message: `no approval ${id}` };
      if (effectiveStatus(a, now) === "expired") {
        return { ok: false, status: 409, code: "expired", message: `approval ${id} expired at ${iso(a.expiresAt)} before it was decided`, approval: a };
      }
      if (a.status !== "pending") return { ok: false, status: 409, code: "already_decided", message: alreadyDecided(a), approval: a };
      const change =
        input.decision === "approve"
          ? { status: "approved" as const, decidedBy: input.by, decidedAt: now, expiresAt: now + this.settings.useTtlMs }
          : { status: "rejected" as const, decidedBy: input.by, decidedAt: now };
      // Recorded before it takes effect: a decision the trail cannot hold (queue full) is not made at all.
      const event = input.decision === "approve" ? "approved" : "rejected";
      if (!this.record(event, a, input.reason ?? `${input.decision}d`, { by: input.by })) {
        return {
          ok: false,
          status: 503,
          code: "audit_unavailable",
          message: "the audit trail cannot take the decision's record now (queue full); nothing was decided, try again",
        };
      }
      const t = await this.state.transition(id, "pending", input.reason !== undefined ? { ...change, decisionReason: input.reason } : change);
      if (!t.ok || !t.approval) {
        const current = t.approval;
        this.record("refused", a, `the ${event} record before this one did not take effect: ${current ? alreadyDecided(current) : "the approval is gone"}`, {
          by: input.by,
        });
        return {
          ok: false,
          status: 409,
          code: "already_decided",
          message: current ? alreadyDecided(current) : `approval ${id} is gone`,
          ...(current ? { approval: current } : {}),
        };
      }
      return { ok: true, approval: t.approval };
    } catch (e) {
      if (!(e instanceof StateUnavailableError)) throw e;
      return { ok: false, status: 503, code: "state_unavailable", message: `the approval store could not answer: ${e.message}` };
    }
  }

  /** The API's view, with a grant while it is approved (when grants are signed here). */
  view(a: StoredApproval): ApprovalView {
    const now = this.clock();
    const key = this.settings.signingKey;
    const grant =
      key && a.status === "approved" && effectiveStatus(a, now) === "approved"
        ? signGrant({ id: a.id, h: a.requestHash, r: a.rule, by: a.decidedBy ?? "", exp: a.expiresAt }, key)
        : undefined;
    return approvalView(a, now, grant);
  }

  /** Records an approvals API call that was turned down. */
  recordRefusal(id: string, reason: string, by: string | undefined, policy: string): void {
    this.put({
      type: "approval",
      event: "refused",
      approval: cap(redact(id), 128),
      reason: cap(redact(reason)),
      policy,
      ...(by !== undefined ? { by: cap(by, 128) } : {}),
    });
  }

  private async ask(d: Decision, request: Record<string, unknown>, hash: string, agent: string | undefined, now: number): Promise<Decision> {
    const stored: StoredApproval = {
      id: this.newId(),
      status: "pending",
      request: withoutTransport(request),
      requestHash: hash,
      rule: d.rule,
      reason: d.reason,
      policy: d.policy,
      createdAt: now,
      expiresAt: now + this.settings.pendingTtlMs,
    };
    if (agent !== undefined) stored.agent = agent;
    if (d.action !== undefined) stored.action = d.action;
    const r = await this.state.createApproval(stored, now);
    // The identical request after its approval (an integration that cannot name it, such as the Claude Code hook): used as if named.
    if (!r.created && effectiveStatus(r.approval, now) === "approved") return this.consume(d, r.approval, now);
    if (r.created) {
      this.record("created", r.approval, d.reason);
      this.onCreated?.(this.view(r.approval));
    }
    return { ...d, reason: `${d.reason} (approval ${r.approval.id} is pending until ${iso(r.approval.expiresAt)})`, approval: approvalRef(r.approval, now) };
  }

  private async useApproval(d: Decision, id: string, hash: string, agent: string | undefined, now: number): Promise<Decision> {
    if (!APPROVAL_ID.test(id)) {
      return refused(
        d,
        "approval_invalid",
        `denied: \`approval\` \`${show(id)}\` is not an approval id (apr_ and 26 letters or digits, as a require_approval answer names it)`,
      );
    }
    const a = await this.get(id);
    if (!a) {
      return refused(
        d,
        "approval_invalid",
        `denied: approval ${id} is not known to this deployment (approvals are kept where they were made; elsewhere send the approval's \`grant\`)`,
      );
    }
    if (a.agent !== agent) {
      return refused(d, "approval_invalid", `denied: approval ${id} was asked for ${who(a.agent)}, and this request is from ${who(agent)}`);
    }
    if (a.rule !== d.rule) return refused(d, "approval_invalid", ruleMoved(id, a.rule, d.rule));
    if (a.requestHash !== hash) {
      return refused(
        d,
        "approval_invalid",
        `denied: approval ${id} is for a different request (${summary(a.request)}); send exactly the approved request, or send this one without \`approval\` to ask for its own`,
      );
    }
    const ref = approvalRef(a, now);
    switch (effectiveStatus(a, now)) {
      case "pending":
        return { ...d, reason: `${d.reason} (approval ${id} is still pending, until ${iso(a.expiresAt)})`, approval: ref };
      case "rejected":
        return {
          ...d,
          decision: "deny",
          allowed: false,
          reason: `rejected by ${a.decidedBy ?? "an approver"}${a.decisionReason ? `: ${a.decisionReason}` : ""} (approval ${id})`,
          approval: ref,
        };
      case "expired":
        return refused(
          d,
          "approval_invalid",
          `denied: approval ${id} expired at ${iso(a.expiresAt)} before it was ${a.status === "approved" ? "used" : "decided"}; send the request without \`approval\` to ask again`,
          ref,
        );
      case "used":
        return refused(d, "approval_invalid", usedReason(a), ref);
      case "approved":
        return this.consume(d, a, now);
    }
  }

  /** Uses an approved approval for the request it approved (checked by the caller): once. */
  private async consume(d: Decision, a: StoredApproval, now: number): Promise<Decision> {
    const id = a.id;
    if (a.rule !== d.rule) return refused(d, "approval_invalid", ruleMoved(id, a.rule, d.rule));
    const ref = approvalRef(a, now);
    // One use, whichever way it arrives: the grant's mark is taken first, so neither the id nor the grant can be used after the other here.
    if (!(await this.state.markOnce(grantMark(id), a.expiresAt, now))) return refused(d, "approval_invalid", usedReason(a), ref);
    const t = await this.state.transition(id, "approved", { status: "used", usedAt: now });
    if (!t.ok || !t.approval) return refused(d, "approval_invalid", t.approval ? usedReason(t.approval) : `denied: approval ${id} is gone`, ref);
    this.record("used", t.approval, `used by the request it approved`, { via: "approval", by: a.decidedBy });
    return allowedBy(d, t.approval, `approval ${id}`, now);
  }

  private async useGrant(d: Decision, token: string, hash: string, now: number): Promise<Decision> {
    if (this.keys.size === 0) {
      return refused(
        d,
        "grant_invalid",
        "denied: this deployment accepts no grants (neither SAFECLAW_APPROVAL_SIGNING_KEY nor SAFECLAW_APPROVAL_PUBLIC_KEYS is set)",
      );
    }
    const g = verifyGrant(token, this.keys, now);
    if (!g.ok) return refused(d, "grant_invalid", `denied: ${g.problem}`);
    const c = g.claims;
    if (c.r !== d.rule) return refused(d, "grant_invalid", ruleMoved(`(grant) ${show(c.id)}`, c.r, d.rule));
    if (c.h !== hash)
      return refused(d, "grant_invalid", `denied: the grant (approval ${show(c.id)}) is for a different request; send exactly the approved request`);
    if (!(await this.state.markOnce(grantMark(c.id), c.exp, now))) {
      return refused(d, "grant_invalid", `denied: the grant for approval ${show(c.id)} was already used (a grant allows one request)`);
    }
    // Where the approval itself is in this store, it is used up too.
    const local = APPROVAL_ID.test(c.id) ? await this.state.getApproval(c.id) : undefined;
    if (local && local.status === "approved") await this.state.transition(c.id, "approved", { status: "used", usedAt: now });
    else if (local && local.status === "used") return refused(d, "grant_invalid", usedReason(local));
    const body: RecordBody<ApprovalRecord> = {
      type: "approval",
      event: "used",
      approval: cap(c.id, 128),
      requestHash: hash,
      rule: d.rule,
      by: cap(c.by, 128),
      reason: `used by the request it approved (grant signed with key ${c.kid})`,
      via: "grant",
      policy: d.policy,
    };
    if (d.action !== undefined) body.action = d.action;
    this.put(body);
    return {
      ...d,
      decision: "allow",
      allowed: true,
      reason: `approved by ${c.by || "an approver"} (grant for approval ${show(c.id)}); the rule said: ${d.reason}`,
      approval: { id: c.id, status: "used", expiresAt: iso(c.exp), decidedBy: c.by },
    };
  }

  private async expireIfDue(a: StoredApproval, now: number): Promise<StoredApproval> {
    if (a.status === effectiveStatus(a, now)) return a;
    const t = await this.state.transition(a.id, a.status, { status: "expired" });
    if (t.ok && t.approval) {
      this.record("expired", t.approval, a.status === "approved" ? "approved but not used before it expired" : "not decided before it expired");
      return t.approval;
    }
    return t.approval ?? a;
  }

  /** Queues the step's record; false when the queue is full (counted in the log's own notice). */
  private record(event: ApprovalEvent, a: StoredApproval, reason: string, extra: { by?: string | undefined; via?: "approval" | "grant" } = {}): boolean {
    const body: RecordBody<ApprovalRecord> = {
      type: "approval",
      event,
      approval: a.id,
      requestHash: a.requestHash,
      rule: a.rule,
      reason: cap(redact(reason)),
      policy: a.policy,
    };
    if (a.agent !== undefined) body.agent = cap(a.agent, 256);
    if (a.action !== undefined) body.action = a.action;
    if (extra.by !== undefined) body.by = cap(extra.by, 128);
    if (extra.via !== undefined) body.via = extra.via;
    return this.put(body);
  }

  private put(body: RecordBody<ApprovalRecord>): boolean {
    try {
      this.audit?.record(body);
      return true;
    } catch (e) {
      // A full queue is counted in the log's own notice; a decision recorded after it is refused for the same reason.
      if (!(e instanceof AuditOverflowError)) throw e;
      return false;
    }
  }
}

function allowedBy(d: Decision, a: StoredApproval, via: string, now: number): Decision {
  const why = a.decisionReason ? ` (${a.decisionReason})` : "";
  return {
    ...d,
    decision: "allow",
    allowed: true,
    reason: `approved by ${a.decidedBy ?? "an approver"}${why} through ${via}; the rule said: ${d.reason}`,
    approval: approvalRef(a, now),
  };
}

/** A deny no rule made, about the approval the request named; the rule that asked for it stays named. */
function refused(d: Decision, code: DecisionErrorCode, reason: string, approval?: Decision["approval"]): Decision {
  const out: Decision = { ...d, decision: "deny", allowed: false, reason, error: code };
  if (approval) out.approval = approval;
  else delete out.approval;
  return out;
}

function grantMark(id: string): string {
  return `grant:${id}`;
}

/** Object.fromEntries defines each key as data, so an own `__proto__` stays a field (never a prototype). */
function withoutTransport(request: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(request).filter(([k]) => k !== "id" && k !== "approval" && k !== "grant"));
}

function ruleMoved(id: string, was: string | null, now: string | null): string {
  const name = (r: string | null) => (r === null ? "the default" : `rule ${r}`);
  return `denied: approval ${id} was given where ${name(was)} asked for it, and this request is now asked for by ${name(now)}; send it without \`approval\` to ask under the rule that applies now`;
}

function alreadyDecided(a: StoredApproval): string {
  return `approval ${a.id} was already ${a.status}${a.decidedBy ? ` by ${a.decidedBy}` : ""}${a.decidedAt !== undefined ? ` at ${iso(a.decidedAt)}` : ""}`;
}

function usedReason(a: StoredApproval): string {
  return `denied: approval ${a.id} was already used${a.usedAt !== undefined ? ` at ${iso(a.usedAt)}` : ""} (an approval allows one request); send the request without \`approval\` to ask again`;
}

function who(agent: string | undefined): string {
  return agent === undefined ? "no named agent" : `agent \`${show(agent)}\``;
}

/** What a request is, in a few words, for a reason: its action and main field. */
function summary(r: Record<string, unknown>): string {
  const identity = requestIdentity(r);
  const main = ["command", "path", "url", "host", "key", "tool"].find((k) => typeof identity[k] === "string");
  const action = typeof identity.action === "string" ? identity.action : "a request";
  return main ? `${show(action)} \`${show(String(identity[main]))}\`` : show(action);
}

function show(s: string): string {
  return JSON.stringify(s.length > 96 ? s.slice(0, 96) + "…" : s).slice(1, -1);
}
