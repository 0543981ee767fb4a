import type { RateLimit } from "../policy/ir.js";

/**
 * The state a decision can depend on beyond the policy: pending and decided
 * approvals, single-use marks for grants, and rate-limit counters. One
 * interface, so that the round trip and the limits mean the same on every
 * runtime; what changes is how far the state is shared:
 * - memory (Node server, and the fallback everywhere): per process;
 * - DynamoDB (Lambda): every environment of every function sharing the table;
 * - Durable Objects (Workers): every isolate in every colo of the account.
 *
 * Every write that decides something is conditional (compare-and-set), never
 * a read-modify-write: two instances racing to use one approval, or to take
 * the 60th slot of a limit, cannot both win. A store that cannot answer throws
 * (a `StateUnavailableError`); callers turn that into a deny, never an allow.
 */
export type ApprovalStatus = "pending" | "approved" | "rejected" | "expired" | "used";

export const APPROVAL_STATUSES: readonly ApprovalStatus[] = ["pending", "approved", "rejected", "expired", "used"];

export interface StoredApproval {
  /** `apr_` + 26 base32 characters (random) */
  id: string;
  /** as stored; a `pending` one past `expiresAt` reads as `expired` (see effectiveStatus) */
  status: ApprovalStatus;
  /** the request as it was decided: `id`, `approval` and `grant` removed, `agent` as the token proves it */
  request: Record<string, unknown>;
  /** sha256 hex of the canonical JSON of the request's identity (see request-hash.ts) */
  requestHash: string;
  agent?: string;
  action?: string;
  /** the rule that asked for approval, and its reason */
  rule: string | null;
  reason: string;
  /** digest of the policy that asked */
  policy: string;
  /** epoch milliseconds */
  createdAt: number;
  expiresAt: number;
  decidedBy?: string;
  decidedAt?: number;
  /** what the approver said */
  decisionReason?: string;
  usedAt?: number;
}

/** What a transition changes; `status` always (an approval's `expiresAt` is moved when it is approved: the time it may be used in). */
export type ApprovalChange = Pick<StoredApproval, "status"> &
  Partial<Pick<StoredApproval, "decidedBy" | "decidedAt" | "decisionReason" | "usedAt" | "expiresAt">>;

export interface ApprovalQuery {
  /** by effective status (an expired pending one is `expired`) */
  status?: ApprovalStatus;
  /** 1-100 */
  limit: number;
  /** the `next` of the page before */
  cursor?: string;
}

export interface StateStore {
  /** what the store is (memory, dynamodb, durable-objects), for /ready and the docs */
  readonly kind: string;
  /**
   * Stores `a` (status pending) unless an approval for the same requestHash is
   * still pending, or approved and not yet used, and unexpired at nowMs: then
   * that one is returned and nothing is written (`created: false`). Repeating
   * a request while it waits does not flood approvers, and the identical
   * request after an approval finds it (integrations that cannot name the
   * approval, such as the Claude Code hook, retry exactly so).
   */
  createApproval(a: StoredApproval, nowMs: number): Promise<{ created: boolean; approval: StoredApproval }>;
  getApproval(id: string): Promise<StoredApproval | undefined>;
  /** newest first (createdAt, then id), filtered by effective status at nowMs */
  listApprovals(q: ApprovalQuery, nowMs: number): Promise<{ approvals: StoredApproval[]; next?: string }>;
  /**
   * Atomically: if the stored status is `from`, applies `change` and returns
   * `{ ok: true }` with the new approval; otherwise changes nothing and returns
   * `{ ok: false }` with the current one (undefined when there is none).
   */
  transition(id: string, from: ApprovalStatus, change: ApprovalChange): Promise<{ ok: boolean; approval: StoredApproval | undefined }>;
  /** Marks `key` as used until expiresMs; false when it is already marked (a grant used twice). */
  markOnce(key: string, expiresMs: number, nowMs: number): Promise<boolean>;
  /**
   * Records one hit of `bucket` at nowMs when fewer than `limit.maxRequests`
   * hits fall in (nowMs - windowMs, nowMs], and says whether it did: the same
   * sliding window as the in-process limiter, exact across every instance
   * that shares the store.
   */
  hit(bucket: string, limit: RateLimit, nowMs: number): Promise<boolean>;
}

/** The store could not be reached or answered nonsense: whatever needed it is denied (`state_unavailable`). */
export class StateUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "StateUnavailableError";
  }
}

/**
 * The status a reader sees: a pending approval past its expiry (nobody
 * decided in time), or an approved one past it (not used in time), is
 * expired, whether or not that was written yet.
 */
export function effectiveStatus(a: Pick<StoredApproval, "status" | "expiresAt">, nowMs: number): ApprovalStatus {
  return (a.status === "pending" || a.status === "approved") && a.expiresAt <= nowMs ? "expired" : a.status;
}

/** Approval ids: a prefix and 26 characters of Crockford base32 (130 random bits, no ambiguous letters). */
export const APPROVAL_ID = /^apr_[0-9a-hjkmnp-tv-z]{26}$/;

const BASE32 = "0123456789abcdefghjkmnpqrstvwxyz";

export function newApprovalId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(26));
  let s = "apr_";
  for (const b of bytes) s += BASE32[b & 31];
  return s;
}

/** The order of listings: newest first, ties by id; a cursor is the last item's `createdAt:id`. */
export function listOrder(a: StoredApproval, b: StoredApproval): number {
  return b.createdAt - a.createdAt || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);
}

export function cursorOf(a: StoredApproval): string {
  return `${a.createdAt}:${a.id}`;
}

/** True when `a` comes after the cursor in listOrder; a malformed cursor is a StateUnavailableError-free TypeError the API turns into a 400. */
export function afterCursor(a: StoredApproval, cursor: string): boolean {
  const m = /^(\d{1,16}):(apr_[0-9a-z]{26})$/.exec(cursor);
  if (!m) throw new TypeError("cursor is not one this API returned");
  const at = Number(m[1]);
  return a.createdAt < at || (a.createdAt === at && a.id < m[2]!);
}

/** One page of a listing already filtered and in listOrder: at most `limit`, and the cursor to the rest. */
export function pageOf(sorted: readonly StoredApproval[], limit: number): { approvals: StoredApproval[]; next?: string } {
  const page = sorted.slice(0, limit);
  return sorted.length > limit ? { approvals: page, next: cursorOf(page[page.length - 1]!) } : { approvals: page };
}

/** Pending, or approved and not yet used: what asking for the same request again is answered with (createApproval). */
export function awaitingUse(status: ApprovalStatus): boolean {
  return status === "pending" || status === "approved";
}

/** What an approval costs to hold, about: its JSON (the request is nearly all of it), for the stores' size bounds. */
export function approvalSize(a: StoredApproval): number {
  return JSON.stringify(a).length;
}
