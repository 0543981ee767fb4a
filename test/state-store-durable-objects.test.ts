import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Miniflare } from "miniflare";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newApprovalId, StateUnavailableError, type StateStore } from "../src/approval/state-store.js";
import { approval, floodUntilRefused, stateStoreContract } from "./state-store-contract.js";
import { workerScript } from "./worker-script.js";

/**
 * The Durable Objects store running where it runs in production: inside
 * workerd (Miniflare), the store and the SafeClawState objects both. A test
 * Worker (test/fixtures/durable-state-worker.ts) exposes each StateStore
 * method over fetch; the store here forwards each call to it, so the
 * contract suite, its races included, runs against the real objects.
 */
const COMPAT = "2024-09-23";
let script = "";

beforeAll(async () => {
  script = await workerScript("test/fixtures/durable-state-worker.ts");
});

const OBJECTS = { SAFECLAW_STATE: "SafeClawState", THROWS: "ThrowingState", FAILS: "FailingState", GARBAGE: "GarbageState" };

type Fetch = (url: string, init: { method: string; body: string }) => Promise<{ json(): Promise<unknown> }>;
interface Answer {
  kind: string;
  result?: unknown;
  error?: { name: string; message: string };
}

const callVia = (fetcher: Fetch) => async (binding: string, method: string, args: unknown[]) =>
  (await (await fetcher(`http://state.test/${binding}/${method}`, { method: "POST", body: JSON.stringify(args) })).json()) as Answer;

const mfFetch =
  (mf: Miniflare): Fetch =>
  (u, i) =>
    mf.dispatchFetch(u, i);

/** A StateStore whose every call runs inside workerd on the store made from `binding`. */
function remoteStore(call: ReturnType<typeof callVia>, binding = "SAFECLAW_STATE"): StateStore {
  const run = async (method: string, ...args: unknown[]): Promise<any> => {
    const r = await call(binding, method, args);
    if (r.error) throw r.error.name === "StateUnavailableError" ? new StateUnavailableError(r.error.message) : new Error(`${r.error.name}: ${r.error.message}`);
    return r.result;
  };
  return {
    kind: "durable-objects (through the test Worker)",
    createApproval: (a, now) => run("createApproval", a, now),
    getApproval: async (id) => (await run("getApproval", id)) ?? undefined,
    listApprovals: (q, now) => run("listApprovals", q, now),
    transition: (id, from, change) => run("transition", id, from, change),
    markOnce: (key, exp, now) => run("markOnce", key, exp, now),
    hit: (bucket, limit, now) => run("hit", bucket, limit, now),
  };
}

// A fresh workerd for each contract case (the cases share request hashes and list everything); the one before is disposed.
let current: Miniflare | undefined;
afterAll(async () => current?.dispose());

stateStoreContract("durable objects (workerd)", async () => {
  await current?.dispose();
  current = new Miniflare({ modules: true, script, compatibilityDate: COMPAT, durableObjects: OBJECTS });
  return remoteStore(callVia(mfFetch(current)));
});

describe("the Durable Objects store in workerd", () => {
  it("the index holds at most 32 MiB of pending approvals: past it a new one fails closed (state unavailable), the object keeps answering", async () => {
    const mf = new Miniflare({ modules: true, script, compatibilityDate: COMPAT, durableObjects: OBJECTS });
    try {
      const s = remoteStore(callVia(mfFetch(mf)));
      const T = 1_700_000_000_000;
      const { made, refused } = await floodUntilRefused(s);
      expect(refused).toBeInstanceOf(StateUnavailableError);
      expect(made).toBeGreaterThan(500);
      expect(made).toBeLessThan(600);
      expect(await s.hit("still-answering", { maxRequests: 1, windowMs: 60_000, per: "rule" }, T)).toBe(true);
      expect((await s.listApprovals({ limit: 1 }, T)).approvals).toHaveLength(1);
    } finally {
      await mf.dispose();
    }
  }, 120_000);

  it("is what stateStoreForWorker makes with a SAFECLAW_STATE binding; without one it is memory (per isolate)", async () => {
    const mf = new Miniflare({ modules: true, script, compatibilityDate: COMPAT, durableObjects: OBJECTS });
    try {
      const call = callVia(mfFetch(mf));
      const limit = { maxRequests: 1, windowMs: 60_000, per: "rule" };
      expect(await call("SAFECLAW_STATE", "hit", ["r", limit, Date.now()])).toEqual({ kind: "durable-objects", result: true });
      expect(await call("none", "hit", ["r", limit, Date.now()])).toEqual({ kind: "memory", result: true });
    } finally {
      await mf.dispose();
    }
  });

  it("two Worker scripts sharing one namespace: 30 racing hits with maxRequests 7 admit exactly 7; an approval made in one is decided in the other", async () => {
    const shared = { SAFECLAW_STATE: { className: "SafeClawState", scriptName: "state" } };
    const mf = new Miniflare({
      workers: [
        { name: "state", modules: true, script, compatibilityDate: COMPAT, durableObjects: { SAFECLAW_STATE: "SafeClawState" } },
        { name: "a", modules: true, script, compatibilityDate: COMPAT, durableObjects: shared },
        { name: "b", modules: true, script, compatibilityDate: COMPAT, durableObjects: shared },
      ],
    });
    try {
      const [a, b] = await Promise.all(
        ["a", "b"].map(async (n) => {
          const w = (await mf.getWorker(n)) as unknown as { fetch: Fetch };
          return callVia((u, i) => w.fetch(u, i));
        }),
      );
      const limit = { maxRequests: 7, windowMs: 60_000, per: "agent" };
      const now = Date.now();
      const answers = await Promise.all(
        Array.from({ length: 30 }, (_, i) => (i % 2 ? a! : b!)("SAFECLAW_STATE", "hit", ["rule-x\u0000ci-bot", limit, now + i])),
      );
      expect(answers.every((r) => r.kind === "durable-objects" && typeof r.result === "boolean")).toBe(true);
      expect(answers.filter((r) => r.result === true)).toHaveLength(7);
      // each script sent 15; per-script counts would have admitted up to 14. Both now see the bucket full.
      for (const call of [a!, b!]) expect(await call("SAFECLAW_STATE", "hit", ["rule-x\u0000ci-bot", limit, now + 31])).toMatchObject({ result: false });

      const inA = remoteStore(a!);
      const inB = remoteStore(b!);
      const made = (await inA.createApproval(approval({ requestHash: "e".repeat(64), createdAt: now, expiresAt: now + 60_000 }), now)).approval;
      expect((await inB.createApproval(approval({ requestHash: "e".repeat(64), createdAt: now, expiresAt: now + 60_000 }), now)).approval.id).toBe(made.id);
      expect((await inB.transition(made.id, "pending", { status: "approved", decidedBy: "alice", decidedAt: now + 1 })).ok).toBe(true);
      expect((await inA.getApproval(made.id))!.status).toBe("approved");
      expect((await inA.listApprovals({ status: "approved", limit: 10 }, now + 2)).approvals.map((x) => x.id)).toEqual([made.id]);
      expect(await inA.markOnce("grant:" + made.id, now + 60_000, now)).toBe(true);
      expect(await inB.markOnce("grant:" + made.id, now + 60_000, now)).toBe(false);
    } finally {
      await mf.dispose();
    }
  });

  it("keeps counts, marks and approvals in storage: a fresh workerd on the same storage carries on", async () => {
    const persist = mkdtempSync(join(tmpdir(), "safeclaw-do-"));
    const start = () => new Miniflare({ modules: true, script, compatibilityDate: COMPAT, durableObjects: OBJECTS, durableObjectsPersist: persist });
    const limit = { maxRequests: 5, windowMs: 60_000, per: "rule" as const };
    const now = Date.now();
    let mf = start();
    try {
      let s = remoteStore(callVia(mfFetch(mf)));
      for (let i = 0; i < 3; i++) expect(await s.hit("rule-p", limit, now + i)).toBe(true);
      expect(await s.markOnce("grant:p", now + 60_000, now)).toBe(true);
      const made = (await s.createApproval(approval({ requestHash: "f".repeat(64), createdAt: now, expiresAt: now + 60_000 }), now)).approval;
      // For each of these hashes an expired approval and the newer one waiting; storage lists them by id, not age.
      const hashes = ["1", "2", "3", "4", "5", "6"].map((c) => c.repeat(64));
      const waiting: string[] = [];
      for (const h of hashes) {
        await s.createApproval(approval({ requestHash: h, createdAt: now, expiresAt: now + 5 }), now);
        waiting.push((await s.createApproval(approval({ requestHash: h, createdAt: now + 6, expiresAt: now + 60_000 }), now + 6)).approval.id);
      }
      await mf.dispose();
      mf = start();
      s = remoteStore(callVia(mfFetch(mf)));
      expect(await s.hit("rule-p", limit, now + 10)).toBe(true);
      expect(await s.hit("rule-p", limit, now + 11)).toBe(true);
      expect(await s.hit("rule-p", limit, now + 12)).toBe(false);
      expect(await s.markOnce("grant:p", now + 60_000, now + 13)).toBe(false);
      expect((await s.getApproval(made.id))?.status).toBe("pending");
      expect((await s.createApproval(approval({ requestHash: "f".repeat(64), createdAt: now + 14 }), now + 14)).approval.id).toBe(made.id);
      expect((await s.listApprovals({ status: "pending", limit: 10 }, now + 15)).approvals.map((x) => x.id)).toEqual(
        [...waiting].sort().reverse().concat(made.id),
      );
      for (const [i, h] of hashes.entries())
        expect((await s.createApproval(approval({ requestHash: h, createdAt: now + 16 }), now + 16)).approval.id).toBe(waiting[i]);
    } finally {
      await mf.dispose();
      rmSync(persist, { recursive: true, force: true });
    }
  });

  it("an object that throws, answers an error status or answers something not JSON: every operation fails with StateUnavailableError naming it", async () => {
    const mf = new Miniflare({ modules: true, script, compatibilityDate: COMPAT, durableObjects: OBJECTS });
    try {
      const call = callVia(mfFetch(mf));
      const id = newApprovalId();
      const calls: Array<[string, unknown[]]> = [
        ["createApproval", [approval(), Date.now()]],
        ["getApproval", [id]],
        ["listApprovals", [{ limit: 10 }, Date.now()]],
        ["transition", [id, "approved", { status: "used", usedAt: Date.now() }]],
        ["markOnce", ["grant:" + id, Date.now() + 1000, Date.now()]],
        ["hit", ["rule-a", { maxRequests: 5, windowMs: 1000, per: "rule" }, Date.now()]],
      ];
      for (const [binding, says] of [
        ["THROWS", /could not be reached \(.*this object is broken/],
        ["FAILS", /answered 503 overloaded/],
        ["GARBAGE", /not the JSON asked for/],
      ] as const) {
        for (const [method, args] of calls) {
          const r = await call(binding, method, args);
          expect(r.result, `${binding} ${method}`).toBeUndefined();
          expect(r.error?.name, `${binding} ${method}`).toBe("StateUnavailableError");
          expect(r.error?.message).toContain(`durable objects: ${method} failed`);
          expect(r.error?.message).toMatch(says);
        }
      }
    } finally {
      await mf.dispose();
    }
  });

  it("objects bound under another name cannot reach the index: creating an approval fails closed, a malformed cursor is the caller's TypeError", async () => {
    const mf = new Miniflare({ modules: true, script, compatibilityDate: COMPAT, durableObjects: { ELSEWHERE: "SafeClawState" } });
    try {
      const r = await callVia(mfFetch(mf))("ELSEWHERE", "createApproval", [approval(), Date.now()]);
      expect(r.error?.name).toBe("StateUnavailableError");
      expect(r.error?.message).toMatch(/createApproval failed: the approvals object answered 500 .*no SAFECLAW_STATE binding/);
      const bad = await callVia(mfFetch(mf))("ELSEWHERE", "listApprovals", [{ limit: 5, cursor: "nonsense" }, Date.now()]);
      expect(bad.error).toEqual({ name: "TypeError", message: "cursor is not one this API returned" });
    } finally {
      await mf.dispose();
    }
  });
});
