import type { Decision } from "../engine/decision.js";
import { AuditOverflowError, type AuditLog } from "./audit-log.js";
import { decisionBody } from "./record.js";

/** What decides: the engine (synchronous), or a Gatekeeper (asynchronous where a decision needs the state store). */
export interface Checker {
  check(request: unknown, opts?: { explain?: boolean }): Decision | Promise<Decision>;
}

/**
 * Decide and record. With `onAuditFailure: deny` (the default) a decision whose
 * record cannot be made durable is turned into a deny: an action nobody can
 * account for afterwards does not happen. With `allow` the decision stands and
 * the record stays queued for retry. A full queue always denies.
 */
export async function auditedCheck(
  engine: Checker,
  log: AuditLog,
  request: unknown,
  opts: { explain?: boolean; requestId?: string; flush?: boolean } = {},
): Promise<Decision> {
  const d0 = engine.check(request, { explain: opts.explain === true });
  const pending = recordDecided(d0 instanceof Promise ? await d0 : d0, log, request, opts);
  if (opts.flush) await log.flush();
  return settleDecision(pending, log);
}

/** Decides many requests, writes them as one batch, then settles each (one object per Lambda invocation). */
export async function auditedCheckAll(
  engine: Checker,
  log: AuditLog,
  requests: readonly unknown[],
  opts: { explain?: boolean; requestId?: string } = {},
): Promise<Decision[]> {
  const decided = await decideEach(engine, requests, opts.explain === true);
  const pending = requests.map((r, i) => recordDecided(decided[i]!, log, r, { ...opts, ...(opts.requestId ? { requestId: `${opts.requestId}#${i}` } : {}) }));
  await log.flush();
  return Promise.all(pending.map((p) => settleDecision(p, log)));
}

/**
 * Decides requests one after another, in order (an approval asked twice in
 * one batch is the same approval; a Gatekeeper may answer asynchronously),
 * without recording them.
 */
export async function decideEach(engine: Checker, requests: readonly unknown[], explain = false): Promise<Decision[]> {
  const out: Decision[] = [];
  for (const r of requests) {
    const d = engine.check(r, { explain });
    out.push(d instanceof Promise ? await d : d);
  }
  return out;
}

export interface PendingDecision {
  decision: Decision;
  /** undefined when the record could not even be queued */
  durable?: Promise<void>;
  refusal?: string;
}

/** Puts a decision in the trail (queued; `durable` says when it is written). */
export function recordDecided(d: Decision, log: AuditLog, request: unknown, opts: { requestId?: string } = {}): PendingDecision {
  try {
    const rec = log.record(decisionBody(request, d, opts.requestId));
    d.audit = { chain: log.chainId, seq: rec.seq };
    return { decision: d, durable: rec.durable };
  } catch (e) {
    if (!(e instanceof AuditOverflowError)) throw e;
    return { decision: d, refusal: e.message };
  }
}

export async function settleDecision(p: PendingDecision, log: AuditLog): Promise<Decision> {
  if (p.refusal !== undefined || !p.durable) return unaccounted(p.decision, p.refusal ?? "not recorded");
  if (log.onAuditFailure === "deny") {
    try {
      await p.durable;
    } catch (e) {
      // The record stays queued (retried, else spilled at shutdown): the answer says it is not durable yet.
      if (p.decision.audit) p.decision.audit = { ...p.decision.audit, durable: false };
      return unaccounted(p.decision, (e as Error).message);
    }
  }
  return p.decision;
}

function unaccounted(d: Decision, why: string): Decision {
  if (d.decision === "deny") return d;
  return {
    ...d,
    decision: "deny",
    allowed: false,
    rule: null,
    reason: `denied because the audit trail is unavailable (${why}); the policy said ${d.decision}`,
    error: "audit_unavailable",
  };
}

/** A chain id: where and when this writer started, in characters safe for file and object names. */
export function makeChainId(parts: readonly (string | undefined)[], startMs: number): string {
  const stamp = new Date(startMs).toISOString().replace(/[-:.]/g, "");
  return [...parts.filter((p): p is string => !!p), stamp]
    .join("-")
    .replace(/[^A-Za-z0-9._-]/g, "_")
    .slice(0, 200);
}
