import { describe, expect, it, vi } from "vitest";
import { AuditLog, AuditOverflowError } from "../src/audit/audit-log.js";
import { ObjectStoreSink, ReadDeniedError, type ObjectStore } from "../src/audit/object-sink.js";
import type { AuditBatch, AuditSink } from "../src/audit/sink.js";
import { verifyLines } from "../src/audit/verify.js";
import { asLines } from "./audit-helpers.js";

/**
 * Delivery under faults, in process: an object store in a Map whose faults are
 * switched per call (the same faults the e2e tests inject with a TCP proxy in
 * front of moto_server). What must hold: a batch, once sealed, is immutable, so
 * a lost answer never wedges the sink; every call has a deadline; a failing
 * sink costs requests nothing per record; recovery needs no traffic.
 */
type Fault = "none" | "lose-answer" | "refuse" | "hang";

class MapStore implements ObjectStore {
  readonly name = "s3";
  readonly objects = new Map<string, string>();
  fault: Fault = "none";
  puts = 0;
  gets = 0;
  readable = true;

  locate(key: string) {
    return `s3://test/${key}`;
  }

  async putIfAbsent(key: string, body: string, signal?: AbortSignal): Promise<"created" | "exists"> {
    this.puts++;
    if (this.fault === "refuse") throw new Error("connect ECONNREFUSED");
    if (this.fault === "hang") return new Promise((_, reject) => signal?.addEventListener("abort", () => reject(signal.reason as Error)));
    if (this.objects.has(key)) return "exists";
    this.objects.set(key, body);
    if (this.fault === "lose-answer") throw new Error("socket hang up"); // stored, but the answer never arrived
    return "created";
  }

  async get(key: string): Promise<string | undefined> {
    this.gets++;
    if (!this.readable) throw new ReadDeniedError("AccessDenied");
    return this.objects.get(key);
  }

  /** every object's lines in key order, as a verifier reads a prefix */
  lines(): string[] {
    return [...this.objects.keys()].sort().flatMap((k) => this.objects.get(k)!.trim().split("\n"));
  }
}

const decision = (reason: string) => ({ type: "decision" as const, decision: "allow" as const, rule: "r", reason, policy: "sha256:x" });

function setup(opts: Partial<ConstructorParameters<typeof AuditLog>[0]> = {}) {
  const store = new MapStore();
  const logged: string[] = [];
  const log = new AuditLog({
    sink: new ObjectStoreSink(store, { prefix: "p", attempts: 1, log: (m) => logged.push(m) }),
    chainId: "c",
    policy: "sha256:x",
    retryMinMs: 10,
    retryMaxMs: 40,
    writeTimeoutMs: 200,
    log: (m) => logged.push(m),
    ...opts,
  });
  return { store, log, logged };
}

describe("a lost S3 answer does not wedge the sink", () => {
  it("the retry sends the same bytes to the same key: the 412 reads back identical and counts as success; later records go in the next batch", async () => {
    const { store, log } = setup();
    log.record(decision("a"));
    store.fault = "lose-answer";
    expect(await log.flush()).toBe(false); // the object is in S3, but the writer cannot know
    store.fault = "none";
    for (let i = 0; i < 5; i++) log.record(decision(`later-${i}`));
    await vi.waitFor(() => expect(log.failing).toBeUndefined(), { timeout: 5_000 });
    expect(await log.flush()).toBe(true);
    expect(store.gets).toBe(1); // the one read-back that proved the lost write landed
    const keys = [...store.objects.keys()].sort();
    expect(keys[0]).toMatch(/\/c\/000000000001\.jsonl$/); // the first batch, written once
    expect(keys.some((k) => k.includes("conflict"))).toBe(false);
    const report = verifyLines(asLines(store.lines()));
    expect(report.ok).toBe(true);
    expect(report.chains[0]!.records).toBe(8); // start, a, 5 later, the outage notice
    expect(
      store
        .lines()
        .map((l) => JSON.parse(l))
        .find((r) => r.type === "notice"),
    ).toMatchObject({ notice: "audit-write-failed", count: 1 });
  });

  it("without read access (no s3:GetObject) a 412 cannot be told from a foreign object: the batch stays failed and says what permission is missing", async () => {
    const { store, log } = setup();
    log.record(decision("a"));
    store.fault = "lose-answer";
    await log.flush();
    store.fault = "none";
    store.readable = false;
    await new Promise((r) => setTimeout(r, 100));
    expect(log.failing).toMatch(/cannot be read back.*s3:GetObject/);
    store.readable = true;
    await vi.waitFor(() => expect(log.failing).toBeUndefined(), { timeout: 5_000 });
    expect(verifyLines(asLines(store.lines())).ok).toBe(true);
  });

  it("a foreign object at our key is never overwritten: ours goes beside it, loudly, and delivery goes on", async () => {
    const { store, log, logged } = setup();
    log.record(decision("a"));
    const key = "p/" + new Date().toISOString().slice(0, 13).replace(/[-T]/g, "/") + "/c/000000000001.jsonl";
    store.objects.set(key, "forged\n");
    expect(await log.flush()).toBe(true);
    expect(store.objects.get(key)).toBe("forged\n");
    expect(logged.join("\n")).toMatch(/already exists with other content.*\.conflict-/);
    expect([...store.objects.keys()].filter((k) => k.includes(".conflict-")).length).toBe(1);
  });
});

describe("every sink call has a deadline", () => {
  it("a black-holed sink: the request is answered within the deadline (denied), readiness fails, and it recovers by itself", async () => {
    const { store, log } = setup({ writeTimeoutMs: 100 });
    store.fault = "hang";
    const r = log.record(decision("a"));
    const started = Date.now();
    expect(await log.flush()).toBe(false);
    await expect(r.durable).rejects.toThrow(/no answer within 100 ms/);
    expect(Date.now() - started).toBeLessThan(5_000); // bounded by the deadline, not by S3 (generous: shared machine)
    expect(log.failing).toMatch(/no answer within 100 ms/);
    store.fault = "none";
    await vi.waitFor(() => expect(log.failing).toBeUndefined(), { timeout: 5_000 });
    expect(verifyLines(asLines(store.lines())).ok).toBe(true);
  });

  it("a write that lands after its deadline counts: it is not written twice", async () => {
    const lines: string[] = [];
    let release: (() => void) | undefined;
    let calls = 0;
    let running = false;
    const sink: AuditSink = {
      name: "slow",
      write: (b: AuditBatch) => {
        calls++;
        if (running) return Promise.reject(new Error("called again while a write of the batch is still running"));
        const land = () => {
          for (const r of b.records) lines.push(JSON.stringify(r));
          lines.push(JSON.stringify(b.checkpoint));
        };
        if (calls > 1) return Promise.resolve(land());
        running = true;
        return new Promise<void>((resolve) => {
          release = () => {
            land();
            running = false;
            resolve();
          };
        });
      },
    };
    const log = new AuditLog({ sink, chainId: "c", policy: "sha256:x", writeTimeoutMs: 50, retryMinMs: 10, retryMaxMs: 20 });
    log.record(decision("a"));
    expect(await log.flush()).toBe(false);
    await new Promise((r) => setTimeout(r, 120)); // a retry or two come due while the write is still running
    release!();
    await vi.waitFor(() => expect(log.failing).toBeUndefined(), { timeout: 5_000 });
    expect(await log.flush()).toBe(true);
    expect(verifyLines(asLines(lines))).toMatchObject({ ok: true });
    expect(calls).toBeGreaterThanOrEqual(2); // the notice batch after recovery
    expect(lines.map((l) => JSON.parse(l)).filter((r) => r.type !== "checkpoint" && r.seq === 2)).toHaveLength(1);
  });
});

describe("a failing sink fails fast and bounded", () => {
  it("while failing, a request costs no sink call and no re-serialization: 2,000 requests make a handful of retries", async () => {
    const { store, log } = setup({ retryMinMs: 50, retryMaxMs: 50 });
    store.fault = "refuse";
    log.record(decision("first"));
    await log.flush();
    const before = store.puts;
    const answers: boolean[] = [];
    for (let i = 0; i < 2_000; i++) {
      const r = log.record(decision(String(i)));
      answers.push(await log.flush());
      await r.durable.catch(() => undefined);
    }
    expect(answers.every((a) => a === false)).toBe(true);
    expect(store.puts - before).toBeLessThan(200); // retries follow the backoff, not the traffic
    store.fault = "none";
    await vi.waitFor(() => expect(log.undeliveredCount).toBe(0), { timeout: 10_000 });
    const records = store.lines().map((l) => JSON.parse(l));
    const notices = records.filter((r) => r.type === "notice");
    expect(notices).toHaveLength(1); // one per outage, not one per failed flush
    expect(notices[0]).toMatchObject({ notice: "audit-write-failed", seqs: [2, 2002] });
    expect(verifyLines(asLines(store.lines())).ok).toBe(true);
  });

  it("the queue is bounded in bytes too: past it a request is refused at once and counted", async () => {
    const { store, log } = setup({ maxPendingBytes: 20_000 });
    store.fault = "refuse";
    let refused = 0;
    for (let i = 0; i < 200; i++) {
      try {
        log.record(decision("x".repeat(500)));
      } catch (e) {
        expect(e).toBeInstanceOf(AuditOverflowError);
        expect((e as Error).message).toMatch(/20000 bytes unwritten/);
        refused++;
      }
    }
    expect(refused).toBeGreaterThan(150);
    store.fault = "none";
    await log.flush();
    await vi.waitFor(() => expect(log.undeliveredCount).toBe(0), { timeout: 5_000 });
    const notice = store
      .lines()
      .map((l) => JSON.parse(l))
      .find((r) => r.notice === "requests-refused-unrecorded");
    expect(notice).toMatchObject({ count: refused });
  });

  it("close() is bounded: it gives up after waitMs and hands back what it could not deliver, in chain order", async () => {
    const { store, log } = setup({ writeTimeoutMs: 100 });
    store.fault = "hang";
    for (let i = 0; i < 3; i++) log.record(decision(String(i)));
    const started = Date.now();
    expect(await log.close({ waitMs: 300 })).toBe(false);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(log.undelivered().map((r) => r.seq)).toEqual([1, 2, 3, 4]);
  });
});

describe("collaborators that throw cannot wedge the writer", () => {
  it("a log callback that throws: delivery and recovery go on", async () => {
    const { store, log } = setup({
      log: () => {
        throw new Error("log drain gone");
      },
    });
    store.fault = "refuse";
    log.record(decision("a"));
    expect(await log.flush()).toBe(false);
    store.fault = "none";
    await vi.waitFor(() => expect(log.failing).toBeUndefined(), { timeout: 5_000 });
    expect(verifyLines(asLines(store.lines())).ok).toBe(true);
  });

  it("a group-commit defer that throws: the records are still flushed, and later ones too", async () => {
    let calls = 0;
    const { store, log } = setup({
      groupCommit: true,
      defer: () => {
        calls++;
        throw new Error("no scheduler");
      },
    });
    await log.record(decision("a")).durable;
    await log.record(decision("b")).durable;
    expect(calls).toBe(2);
    expect(verifyLines(asLines(store.lines())).chains[0]!.records).toBe(3);
  });
});
