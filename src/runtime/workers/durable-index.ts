import {
  afterCursor,
  approvalSize,
  awaitingUse,
  effectiveStatus,
  listOrder,
  pageOf,
  type ApprovalQuery,
  type StoredApproval,
} from "../../approval/state-store.js";
import type { Revised } from "./durable-approval.js";
import { callObject, type DurableNamespaceGetter, type DurableStorageLike } from "./durable-rpc.js";

/**
 * The index of approvals (the object named `approvals`): creates them, so
 * that one request waiting for approval has one approval however many
 * isolates ask at once, and lists them. It holds a copy of each approval;
 * the approval's own object is the authority on its status and sends every
 * change here before answering (see durable-approval.ts), so a listing is as
 * fresh as the last transition that answered.
 *
 * Creating writes the approval's own object first and the index second: an
 * approval is listed only once it can be read and decided. While one create
 * for a request hash is under way (awaiting that object), others for the same
 * hash wait for it and get its approval, not a second one.
 */
const PREFIX = "a:";
/** Bounded like the in-process store; decided and expired ones leave the index first (their own objects keep them). */
const MAX_APPROVALS = 10_000;
/** and by the size of the copies, well inside an object's 128 MB: a flood of large requests fails closed instead of exhausting it */
const MAX_APPROVAL_BYTES = 32 * 1024 * 1024;
const DELETE_BATCH = 128;

export class ApprovalIndex {
  private loaded: Promise<void> | undefined;
  private readonly copies = new Map<string, Revised>();
  /** requestHash -> id of the approval pending for it */
  private readonly pending = new Map<string, string>();
  private readonly creating = new Map<string, Promise<StoredApproval>>();
  /** the approximate size of the copies (their JSON) */
  private bytes = 0;

  constructor(
    private readonly storage: DurableStorageLike,
    private readonly namespace: DurableNamespaceGetter,
  ) {}

  private load(): Promise<void> {
    return (this.loaded ??= this.storage.list<Revised>({ prefix: PREFIX }).then((all) => {
      for (const r of all.values()) this.remember(r);
    }));
  }

  async create(a: StoredApproval, nowMs: number): Promise<{ created: boolean; approval: StoredApproval }> {
    await this.load();
    const under = this.creating.get(a.requestHash);
    if (under) return { created: false, approval: await under };
    const pointed = this.pending.get(a.requestHash);
    const current = pointed === undefined ? undefined : this.copies.get(pointed);
    if (current && awaitingUse(effectiveStatus(current.a, nowMs))) return { created: false, approval: current.a };
    const making = this.make({ ...a, status: "pending" }, nowMs);
    this.creating.set(a.requestHash, making);
    try {
      return { created: true, approval: await making };
    } finally {
      this.creating.delete(a.requestHash);
    }
  }

  private async make(a: StoredApproval, nowMs: number): Promise<StoredApproval> {
    const size = approvalSize(a);
    if (this.copies.size >= MAX_APPROVALS || this.bytes + size > MAX_APPROVAL_BYTES) await this.evict(nowMs, size);
    const stored = (await callObject(this.namespace(), `approval:${a.id}`, "approval/init", a, "createApproval")) as StoredApproval;
    const rec: Revised = { a: stored, rev: 0 };
    this.remember(rec);
    this.pending.set(stored.requestHash, stored.id); // the newest for its hash, whatever an older one's createdAt says
    await this.storage.put(PREFIX + stored.id, rec);
    return stored;
  }

  /** A change from an approval's own object; an older or unknown copy changes nothing. */
  async update(rec: Revised): Promise<null> {
    await this.load();
    const cur = this.copies.get(rec.a.id);
    if (!cur || cur.rev >= rec.rev) return null;
    this.remember(rec);
    await this.storage.put(PREFIX + rec.a.id, rec);
    return null;
  }

  async list(q: ApprovalQuery, nowMs: number): Promise<{ approvals: StoredApproval[]; next?: string }> {
    await this.load();
    const cursor = q.cursor;
    const all = [...this.copies.values()]
      .map((r) => r.a)
      .filter((a) => (q.status === undefined || effectiveStatus(a, nowMs) === q.status) && (cursor === undefined || afterCursor(a, cursor)))
      .sort(listOrder);
    return pageOf(all, q.limit);
  }

  private remember(rec: Revised): void {
    const a = rec.a;
    const old = this.copies.get(a.id);
    if (old) this.bytes -= approvalSize(old.a);
    this.bytes += approvalSize(a);
    this.copies.set(a.id, rec);
    if (awaitingUse(a.status)) {
      // Loading lists keys in id order, not age: of two pending for one hash (the older one expired), the newer one waits.
      const other = this.copies.get(this.pending.get(a.requestHash) ?? "");
      if (!other || !awaitingUse(other.a.status) || other.a.createdAt <= a.createdAt) this.pending.set(a.requestHash, a.id);
    } else if (this.pending.get(a.requestHash) === a.id) this.pending.delete(a.requestHash);
  }

  /** Makes room as the in-process store does: pending and approved ones are never dropped for a new one. */
  private async evict(nowMs: number, incoming: number): Promise<void> {
    const done = [...this.copies.values()].map((r) => r.a).filter((a) => !["pending", "approved"].includes(effectiveStatus(a, nowMs)));
    done.sort((x, y) => x.createdAt - y.createdAt);
    const gone = done.slice(0, Math.max(1, done.length >> 1));
    for (const a of gone) {
      this.copies.delete(a.id);
      this.bytes -= approvalSize(a);
      if (this.pending.get(a.requestHash) === a.id) this.pending.delete(a.requestHash);
    }
    for (let i = 0; i < gone.length; i += DELETE_BATCH) await this.storage.delete(gone.slice(i, i + DELETE_BATCH).map((a) => PREFIX + a.id));
    if (this.copies.size >= MAX_APPROVALS || this.bytes + incoming > MAX_APPROVAL_BYTES) {
      throw new Error(
        `the approvals pending or approved hold ${MAX_APPROVALS} approvals or ${MAX_APPROVAL_BYTES >> 20} MiB; decide some before asking for more`,
      );
    }
  }
}
