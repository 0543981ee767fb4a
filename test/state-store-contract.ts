import { describe, expect, it } from "vitest";
import { newApprovalId, type StateStore, type StoredApproval } from "../src/approval/state-store.js";

/**
 * What every StateStore must do, run against each implementation (memory,
 * DynamoDB through moto_server, Durable Objects in workerd): the same cases,
 * so that an approval or a limit means the same on every runtime. The
 * concurrency cases fire the racing calls together; a store that reads then
 * writes without a condition lets two of them win and fails here.
 */
export function approval(over: Partial<StoredApproval> = {}): StoredApproval {
  const createdAt = over.createdAt ?? 1_700_000_000_000;
  return {
    id: newApprovalId(),
    status: "pending",
    request: { action: "shell.execute", command: "terraform apply", agent: "ci-bot", context: { session_id: "s1", deep: { list: [1, "two", null] } } },
    requestHash: "a".repeat(64),
    agent: "ci-bot",
    action: "shell.execute",
    rule: "approve-infra",
    reason: "infrastructure changes need a human",
    policy: "sha256:" + "b".repeat(64),
    createdAt,
    expiresAt: createdAt + 3_600_000,
    ...over,
  };
}

const T0 = 1_700_000_000_000;

export function stateStoreContract(name: string, makeStore: () => Promise<StateStore> | StateStore): void {
  describe(`StateStore contract: ${name}`, () => {
    it("stores an approval as given and reads it back, optional fields absent stay absent", async () => {
      const s = await makeStore();
      const a = approval({ requestHash: "1".repeat(64) });
      const r = await s.createApproval(a, T0);
      expect(r.created).toBe(true);
      expect(r.approval).toEqual(a);
      expect(await s.getApproval(a.id)).toEqual(a);
      expect(Object.hasOwn((await s.getApproval(a.id))!, "decidedBy")).toBe(false);
      expect(await s.getApproval(newApprovalId())).toBeUndefined();
    });

    it("a second request for the same hash while one is pending gets the same approval, even when they race", async () => {
      const s = await makeStore();
      const h = "2".repeat(64);
      const racing = await Promise.all(Array.from({ length: 8 }, () => s.createApproval(approval({ requestHash: h }), T0)));
      expect(racing.filter((r) => r.created)).toHaveLength(1);
      expect(new Set(racing.map((r) => r.approval.id)).size).toBe(1);
      const other = await s.createApproval(approval({ requestHash: "3".repeat(64) }), T0);
      expect(other.created).toBe(true);
      expect(other.approval.id).not.toBe(racing[0]!.approval.id);
    });

    it("an expired or decided approval is not reused: the same request then gets a new one", async () => {
      const s = await makeStore();
      const h = "4".repeat(64);
      const first = (await s.createApproval(approval({ requestHash: h, expiresAt: T0 + 1000 }), T0)).approval;
      const later = await s.createApproval(approval({ requestHash: h, createdAt: T0 + 1000, expiresAt: T0 + 5000 }), T0 + 1000);
      expect(later.created).toBe(true);
      expect(later.approval.id).not.toBe(first.id);
      expect((await s.transition(later.approval.id, "pending", { status: "rejected", decidedBy: "alice", decidedAt: T0 + 1001 })).ok).toBe(true);
      const third = await s.createApproval(approval({ requestHash: h, createdAt: T0 + 1002, expiresAt: T0 + 5000 }), T0 + 1002);
      expect(third.created).toBe(true);
      expect(third.approval.id).not.toBe(later.approval.id);
    });

    it("an approved, unused approval is what the same request finds; once used, the request gets a new one", async () => {
      const s = await makeStore();
      const h = "e".repeat(64);
      const a = (await s.createApproval(approval({ requestHash: h }), T0)).approval;
      await s.transition(a.id, "pending", { status: "approved", decidedBy: "alice", decidedAt: T0 + 1, expiresAt: T0 + 600_000 });
      const again = await s.createApproval(approval({ requestHash: h, createdAt: T0 + 2 }), T0 + 2);
      expect(again).toMatchObject({ created: false, approval: { id: a.id, status: "approved" } });
      await s.transition(a.id, "approved", { status: "used", usedAt: T0 + 3 });
      const fresh = await s.createApproval(approval({ requestHash: h, createdAt: T0 + 4 }), T0 + 4);
      expect(fresh.created).toBe(true);
      expect(fresh.approval.id).not.toBe(a.id);
    });

    it("a transition happens only from the status it names; the loser sees the winner's result", async () => {
      const s = await makeStore();
      const a = (await s.createApproval(approval({ requestHash: "5".repeat(64) }), T0)).approval;
      const ok = await s.transition(a.id, "pending", {
        status: "approved",
        decidedBy: "alice",
        decidedAt: T0 + 5,
        decisionReason: "looks fine",
        expiresAt: T0 + 600_005,
      });
      expect(ok.ok).toBe(true);
      expect(ok.approval).toMatchObject({ status: "approved", decidedBy: "alice", decidedAt: T0 + 5, decisionReason: "looks fine", expiresAt: T0 + 600_005 });
      expect(await s.getApproval(a.id)).toEqual(ok.approval);
      const late = await s.transition(a.id, "pending", { status: "rejected", decidedBy: "bob", decidedAt: T0 + 6 });
      expect(late.ok).toBe(false);
      expect(late.approval).toMatchObject({ status: "approved", decidedBy: "alice" });
      const none = await s.transition(newApprovalId(), "pending", { status: "approved" });
      expect(none).toEqual({ ok: false, approval: undefined });
    });

    it("of many racing uses of one approved approval exactly one wins", async () => {
      const s = await makeStore();
      const a = (await s.createApproval(approval({ requestHash: "6".repeat(64) }), T0)).approval;
      await s.transition(a.id, "pending", { status: "approved", decidedBy: "alice", decidedAt: T0 });
      const uses = await Promise.all(Array.from({ length: 10 }, (_, i) => s.transition(a.id, "approved", { status: "used", usedAt: T0 + i })));
      expect(uses.filter((u) => u.ok)).toHaveLength(1);
      expect((await s.getApproval(a.id))!.status).toBe("used");
    });

    it("lists newest first, by effective status, a page at a time", async () => {
      const s = await makeStore();
      const made: StoredApproval[] = [];
      for (let i = 0; i < 5; i++) {
        made.push(
          (await s.createApproval(approval({ requestHash: String(i).padStart(64, "c"), createdAt: T0 + i * 10, expiresAt: T0 + 10_000 }), T0 + i * 10))
            .approval,
        );
      }
      const expiring = (await s.createApproval(approval({ requestHash: "d".repeat(64), createdAt: T0 + 100, expiresAt: T0 + 200 }), T0 + 100)).approval;
      await s.transition(made[1]!.id, "pending", { status: "approved", decidedBy: "alice", decidedAt: T0 + 150 });
      const now = T0 + 300;
      const p1 = await s.listApprovals({ status: "pending", limit: 2 }, now);
      expect(p1.approvals.map((a) => a.id)).toEqual([made[4]!.id, made[3]!.id]);
      expect(p1.next).toBeTypeOf("string");
      const p2 = await s.listApprovals({ status: "pending", limit: 2, cursor: p1.next! }, now);
      expect(p2.approvals.map((a) => a.id)).toEqual([made[2]!.id, made[0]!.id]);
      expect(p2.next).toBeUndefined();
      expect((await s.listApprovals({ status: "expired", limit: 10 }, now)).approvals.map((a) => a.id)).toEqual([expiring.id]);
      // an approved one not used in time reads as expired too
      expect((await s.listApprovals({ status: "expired", limit: 10 }, T0 + 20_000)).approvals).toHaveLength(6);
      expect((await s.listApprovals({ status: "approved", limit: 10 }, now)).approvals.map((a) => a.id)).toEqual([made[1]!.id]);
      const all = await s.listApprovals({ limit: 100 }, now);
      expect(all.approvals.map((a) => a.id)).toEqual([expiring.id, ...made.map((a) => a.id).reverse()]);
    });

    it("a single-use mark is taken once until it expires, also when the takers race", async () => {
      const s = await makeStore();
      const racing = await Promise.all(Array.from({ length: 10 }, () => s.markOnce("grant:apr_x", T0 + 1000, T0)));
      expect(racing.filter(Boolean)).toHaveLength(1);
      expect(await s.markOnce("grant:apr_x", T0 + 1000, T0 + 999)).toBe(false);
      expect(await s.markOnce("grant:apr_y", T0 + 1000, T0)).toBe(true);
      expect(await s.markOnce("grant:apr_x", T0 + 5000, T0 + 1000)).toBe(true);
    });

    it("a rate limit admits maxRequests hits in a sliding window, exactly, under a race", async () => {
      const s = await makeStore();
      const limit = { maxRequests: 5, windowMs: 1000, per: "agent" as const };
      const racing = await Promise.all(Array.from({ length: 20 }, () => s.hit("rule-a\u0000ci-bot", limit, T0)));
      expect(racing.filter(Boolean)).toHaveLength(5);
      expect(await s.hit("rule-a\u0000other", limit, T0)).toBe(true);
      expect(await s.hit("rule-a\u0000ci-bot", limit, T0 + 999)).toBe(false);
      // the five hits at T0 leave the window (T0+1000-1000, T0+1000] at T0 + 1000
      expect(await s.hit("rule-a\u0000ci-bot", limit, T0 + 1000)).toBe(true);
      const sliding = { maxRequests: 2, windowMs: 1000, per: "rule" as const };
      expect(await s.hit("rule-b", sliding, T0)).toBe(true);
      expect(await s.hit("rule-b", sliding, T0 + 600)).toBe(true);
      expect(await s.hit("rule-b", sliding, T0 + 900)).toBe(false);
      expect(await s.hit("rule-b", sliding, T0 + 1000)).toBe(true); // T0 has left the window, T0+600 has not
      expect(await s.hit("rule-b", sliding, T0 + 1100)).toBe(false);
      expect(await s.hit("rule-b", sliding, T0 + 1601)).toBe(true);
    });
  });
}

/**
 * The size bound of a store that holds approvals in one memory (the
 * in-process store, the Durable Objects index): pending approvals of ~60 KB
 * each until one is refused. 32 MiB holds between 500 and 600 of them.
 */
export async function floodUntilRefused(s: StateStore): Promise<{ made: number; refused: unknown }> {
  const big = "x".repeat(60_000);
  let made = 0;
  for (let i = 0; i < 700; i++) {
    try {
      await s.createApproval(approval({ requestHash: i.toString(16).padStart(64, "0"), request: { action: "shell.execute", command: big } }), T0);
      made++;
    } catch (e) {
      return { made, refused: e };
    }
  }
  return { made, refused: undefined };
}
