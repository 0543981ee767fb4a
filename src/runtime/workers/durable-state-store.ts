import {
  afterCursor,
  APPROVAL_ID,
  type ApprovalChange,
  type ApprovalQuery,
  type ApprovalStatus,
  type StateStore,
  type StoredApproval,
} from "../../approval/state-store.js";
import type { RateLimit } from "../../policy/ir.js";
import { callChecked, type DurableObjectNamespaceLike } from "./durable-rpc.js";

/**
 * The StateStore of a Worker, shared by every isolate in every colo: each
 * rate-limit bucket, single-use mark and approval is its own Durable Object
 * (SafeClawState, durable-state.ts), and one more object indexes the
 * approvals for creating and listing them. Each object runs one event at a
 * time, which is what makes the limits exact and the transitions
 * compare-and-set. Any failure to get an answer is a StateUnavailableError
 * naming the operation (durable-rpc.ts).
 */
const INDEX = "approvals";

export class DurableObjectStateStore implements StateStore {
  readonly kind = "durable-objects";

  constructor(private readonly ns: DurableObjectNamespaceLike) {}

  createApproval(a: StoredApproval, nowMs: number): Promise<{ created: boolean; approval: StoredApproval }> {
    return callChecked(this.ns, INDEX, "index/create", { approval: a, nowMs }, "createApproval", isCreated);
  }

  async getApproval(id: string): Promise<StoredApproval | undefined> {
    if (!APPROVAL_ID.test(id)) return undefined; // no object is made for a name that cannot be an approval
    const a = await callChecked(this.ns, `approval:${id}`, "approval/get", {}, "getApproval", (r): r is StoredApproval | null => r === null || isApproval(r));
    return a ?? undefined;
  }

  listApprovals(q: ApprovalQuery, nowMs: number): Promise<{ approvals: StoredApproval[]; next?: string }> {
    // A malformed cursor is the caller's TypeError (a 400), found here rather than as an object's 500.
    if (q.cursor !== undefined) afterCursor({ createdAt: 0, id: "" } as StoredApproval, q.cursor);
    return callChecked(this.ns, INDEX, "index/list", { query: q, nowMs }, "listApprovals", isPage);
  }

  async transition(id: string, from: ApprovalStatus, change: ApprovalChange): Promise<{ ok: boolean; approval: StoredApproval | undefined }> {
    if (!APPROVAL_ID.test(id)) return { ok: false, approval: undefined };
    const r = await callChecked(this.ns, `approval:${id}`, "approval/transition", { from, change }, "transition", isTransitioned);
    return { ok: r.ok, approval: r.approval };
  }

  markOnce(key: string, expiresMs: number, nowMs: number): Promise<boolean> {
    return callChecked(this.ns, `once:${key}`, "once/mark", { expiresMs, nowMs }, "markOnce", isBoolean);
  }

  hit(bucket: string, limit: RateLimit, nowMs: number): Promise<boolean> {
    return callChecked(this.ns, `rate:${bucket}`, "rate/hit", { limit, nowMs }, "hit", isBoolean);
  }
}

const isBoolean = (r: unknown): r is boolean => typeof r === "boolean";

function isApproval(r: unknown): r is StoredApproval {
  const a = r as StoredApproval;
  return typeof r === "object" && r !== null && typeof a.id === "string" && typeof a.status === "string" && typeof a.createdAt === "number";
}

function isCreated(r: unknown): r is { created: boolean; approval: StoredApproval } {
  const c = r as { created: unknown; approval: unknown };
  return typeof r === "object" && r !== null && typeof c.created === "boolean" && isApproval(c.approval);
}

function isPage(r: unknown): r is { approvals: StoredApproval[]; next?: string } {
  const p = r as { approvals: unknown; next?: unknown };
  return (
    typeof r === "object" && r !== null && Array.isArray(p.approvals) && p.approvals.every(isApproval) && (p.next === undefined || typeof p.next === "string")
  );
}

function isTransitioned(r: unknown): r is { ok: boolean; approval?: StoredApproval } {
  const t = r as { ok: unknown; approval?: unknown };
  return typeof r === "object" && r !== null && typeof t.ok === "boolean" && (t.approval === undefined || isApproval(t.approval));
}
