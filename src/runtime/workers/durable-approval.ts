import type { ApprovalChange, ApprovalStatus, StoredApproval } from "../../approval/state-store.js";
import { callObject, type DurableNamespaceGetter, type DurableStorageLike } from "./durable-rpc.js";

/**
 * One approval (`approval:<id>`), the authority on its status. A transition
 * is a compare-and-set done with no await between the check and the change,
 * so of racing deciders or users exactly one wins. Each change bumps `rev`
 * and is sent to the index (`approvals`) before the answer, so a listing made
 * after a transition answered shows it; the index keeps only a copy with a
 * higher `rev` than the one it has, so copies sent out of order cannot undo a
 * later change. When the index cannot be reached the change stands (it was
 * written first), the caller gets an error (state unavailable: a use is then
 * denied, a decision is answered 503 and its retry sees it taken), and an
 * alarm keeps sending the copy until the index has it.
 */
export interface Revised {
  a: StoredApproval;
  rev: number;
}

const KEY = "approval";
const DIRTY = "index-behind";
const RETRY_MS = 5_000;

export class ApprovalObject {
  private loaded: Promise<{ rec?: Revised }> | undefined;

  constructor(
    private readonly storage: DurableStorageLike,
    private readonly namespace: DurableNamespaceGetter,
  ) {}

  private load(): Promise<{ rec?: Revised }> {
    return (this.loaded ??= this.storage.get<Revised>(KEY).then((rec) => (rec ? { rec } : {})));
  }

  /** Written by the index when it creates the approval; a repeat (the index retrying) keeps what is there. */
  async init(a: StoredApproval): Promise<StoredApproval> {
    const box = await this.load();
    if (box.rec) return box.rec.a;
    box.rec = { a, rev: 0 };
    await this.storage.put(KEY, box.rec);
    return a;
  }

  async get(): Promise<StoredApproval | null> {
    return (await this.load()).rec?.a ?? null;
  }

  async transition(from: ApprovalStatus, change: ApprovalChange): Promise<{ ok: boolean; approval?: StoredApproval }> {
    const box = await this.load();
    const cur = box.rec;
    if (!cur || cur.a.status !== from) return cur ? { ok: false, approval: cur.a } : { ok: false };
    const next: Revised = { a: { ...cur.a, ...change }, rev: cur.rev + 1 };
    box.rec = next; // taken: a racing transition from `from` now fails
    await Promise.all([this.storage.put(KEY, next), this.storage.put(DIRTY, true)]);
    await this.sendToIndex(next); // throws when the index is down; the alarm retries
    return { ok: true, approval: next.a };
  }

  /** The alarm: sends the newest copy again while the index is behind. */
  async repair(): Promise<void> {
    const box = await this.load();
    if (box.rec && (await this.storage.get<boolean>(DIRTY))) await this.sendToIndex(box.rec);
  }

  private async sendToIndex(rec: Revised): Promise<void> {
    try {
      await callObject(this.namespace(), "approvals", "index/update", rec, "transition");
    } catch (e) {
      await this.storage.setAlarm(Date.now() + RETRY_MS);
      throw e;
    }
    // Only the copy that is still the newest clears the flag; an older one's answer does not.
    const box = await this.load();
    if (box.rec?.rev === rec.rev) await this.storage.delete([DIRTY]);
  }
}
