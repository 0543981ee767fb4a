import { MemoryRateLimitStore } from "../engine/rate-limit.js";
import type { RateLimit } from "../policy/ir.js";
import {
  afterCursor,
  approvalSize,
  awaitingUse,
  effectiveStatus,
  listOrder,
  pageOf,
  StateUnavailableError,
  type ApprovalChange,
  type ApprovalQuery,
  type ApprovalStatus,
  type StateStore,
  type StoredApproval,
} from "./state-store.js";

/**
 * The store of one process: approvals, single-use marks and limit counters in
 * memory. Each method's check and write happen in one synchronous step, so
 * concurrent requests in this process cannot interleave inside them. Shared
 * by nothing else: on a fleet each machine has its own approvals and limits
 * (README says so). `snapshot`/`restore` let the Node server keep approvals
 * and marks across restarts in a file.
 */
export interface MemoryStateSnapshot {
  v: 1;
  approvals: StoredApproval[];
  marks: Array<[string, number]>;
}

/** Bounds, so that a flood of distinct requests cannot grow the process without end. */
const MAX_APPROVALS = 10_000;
/** and by the size of what they hold: 10,000 requests of 64 KB would be 640 MB */
const MAX_APPROVAL_BYTES = 32 * 1024 * 1024;
const MAX_MARKS = 100_000;

export class MemoryStateStore implements StateStore {
  readonly kind: string = "memory";
  private readonly approvals = new Map<string, StoredApproval>();
  /** requestHash -> id of the approval pending (or approved and not yet used) for it */
  private readonly pending = new Map<string, string>();
  private readonly marks = new Map<string, number>();
  private readonly limits = new MemoryRateLimitStore();
  /** the approximate size of the approvals held (their JSON), bounded by MAX_APPROVAL_BYTES */
  private bytes = 0;

  /** called after every change (the Node server writes the snapshot to its file) */
  onChange: (() => void) | undefined;

  async createApproval(a: StoredApproval, nowMs: number): Promise<{ created: boolean; approval: StoredApproval }> {
    const pointed = this.pending.get(a.requestHash);
    const current = pointed === undefined ? undefined : this.approvals.get(pointed);
    if (current && awaitingUse(effectiveStatus(current, nowMs))) return { created: false, approval: copy(current) };
    const size = approvalSize(a);
    if (this.approvals.size >= MAX_APPROVALS || this.bytes + size > MAX_APPROVAL_BYTES) this.evict(nowMs, size);
    const stored = copy({ ...a, status: "pending" });
    this.bytes += size;
    this.approvals.set(stored.id, stored);
    this.pending.set(stored.requestHash, stored.id);
    this.changed();
    return { created: true, approval: copy(stored) };
  }

  async getApproval(id: string): Promise<StoredApproval | undefined> {
    const a = this.approvals.get(id);
    return a && copy(a);
  }

  async listApprovals(q: ApprovalQuery, nowMs: number): Promise<{ approvals: StoredApproval[]; next?: string }> {
    const cursor = q.cursor;
    const all = [...this.approvals.values()]
      .filter((a) => (q.status === undefined || effectiveStatus(a, nowMs) === q.status) && (cursor === undefined || afterCursor(a, cursor)))
      .sort(listOrder);
    const page = pageOf(all, q.limit);
    page.approvals = page.approvals.map(copy);
    return page;
  }

  async transition(id: string, from: ApprovalStatus, change: ApprovalChange): Promise<{ ok: boolean; approval: StoredApproval | undefined }> {
    const a = this.approvals.get(id);
    if (!a || a.status !== from) return { ok: false, approval: a && copy(a) };
    Object.assign(a, change);
    if (!awaitingUse(a.status) && this.pending.get(a.requestHash) === id) this.pending.delete(a.requestHash);
    this.changed();
    return { ok: true, approval: copy(a) };
  }

  async markOnce(key: string, expiresMs: number, nowMs: number): Promise<boolean> {
    const until = this.marks.get(key);
    if (until !== undefined && until > nowMs) return false;
    if (this.marks.size >= MAX_MARKS) {
      for (const [k, t] of this.marks) if (t <= nowMs) this.marks.delete(k);
      // Every mark still guards an unexpired grant: forgetting one would let it be used again.
      if (this.marks.size >= MAX_MARKS) return false;
    }
    this.marks.set(key, expiresMs);
    this.changed();
    return true;
  }

  async hit(bucket: string, limit: RateLimit, nowMs: number): Promise<boolean> {
    return this.limits.hit(bucket, limit, nowMs);
  }

  snapshot(): MemoryStateSnapshot {
    return { v: 1, approvals: [...this.approvals.values()].map(copy), marks: [...this.marks] };
  }

  restore(s: MemoryStateSnapshot): void {
    for (const a of s.approvals) {
      this.approvals.set(a.id, copy(a));
      this.bytes += approvalSize(a);
      if (awaitingUse(a.status)) this.pending.set(a.requestHash, a.id);
    }
    for (const [k, t] of s.marks) this.marks.set(k, t);
  }

  /** Makes room: decided and expired approvals go first, oldest first; pending ones are never dropped for a new one. */
  private evict(nowMs: number, incoming: number): void {
    const done = [...this.approvals.values()].filter((a) => effectiveStatus(a, nowMs) !== "pending" && effectiveStatus(a, nowMs) !== "approved");
    done.sort((a, b) => a.createdAt - b.createdAt);
    for (const a of done.slice(0, Math.max(1, done.length >> 1))) {
      this.approvals.delete(a.id);
      this.bytes -= approvalSize(a);
      if (this.pending.get(a.requestHash) === a.id) this.pending.delete(a.requestHash);
    }
    if (this.approvals.size >= MAX_APPROVALS || this.bytes + incoming > MAX_APPROVAL_BYTES) {
      throw new StateUnavailableError(
        `the approvals pending or approved in this process hold ${MAX_APPROVALS} approvals or ${MAX_APPROVAL_BYTES >> 20} MiB; decide some before asking for more`,
      );
    }
  }

  private changed(): void {
    this.onChange?.();
  }
}

function copy(a: StoredApproval): StoredApproval {
  return structuredClone(a);
}
