import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { AuditLog, type AuditLogOptions } from "../src/audit/audit-log.js";
import { auditedCheck } from "../src/audit/audited-check.js";
import { batchLines } from "../src/audit/lines.js";
import { ObjectStoreSink, type ObjectStore } from "../src/audit/object-sink.js";
import type { AuditBatch, AuditSink, SinkWriteOptions } from "../src/audit/sink.js";
import { verifyLines } from "../src/audit/verify.js";
import type { Decision } from "../src/engine/decision.js";
import { asLines } from "./audit-helpers.js";
import { engineFromText } from "./helpers.js";

/**
 * Attacks on audit delivery (issue 13), in process, under fake timers: every
 * sink and store here is scripted call by call, and time only moves when the
 * test moves it, so the bounds below are exact, not timings on a shared machine.
 * The guarantees attacked: no `allow` unless its record is durable; nothing lost
 * or twice in the trail, and every request answered while its record was not
 * durable is named by a notice; no wedge once the sink is healthy; bounded
 * memory, sink calls and close(); an object store shared with a foreign writer.
 */

const POLICY = "rules:\n- {id: read-app, action: file.read, path: '/app/**', effect: allow}";
const decision = (reason: string) => ({ type: "decision" as const, decision: "allow" as const, rule: "r", reason, policy: "sha256:x" });

beforeEach(() => {
  vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "setImmediate", "clearImmediate", "Date"] });
});
afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});
const advance = (ms: number) => vi.advanceTimersByTimeAsync(ms);

/** A promise watched without awaiting it: under fake timers, awaiting one that waits on a timer would hang the test. */
function track<T>(p: Promise<T>): { settled: boolean; value?: T; error?: unknown } {
  const t: { settled: boolean; value?: T; error?: unknown } = { settled: false };
  p.then(
    (value) => Object.assign(t, { settled: true, value }),
    (error: unknown) => Object.assign(t, { settled: true, error }),
  );
  return t;
}

/**
 * How one sink call behaves:
 * - ok: lands, resolves; plain: lands and returns a non-promise (a synchronous sink)
 * - reject: nothing lands; lose: lands, then rejects (the answer was lost)
 * - hang: nothing lands; rejects when aborted
 * - throw-sync: throws before returning a promise
 * - lands-on-abort: lands when aborted, then resolves (a success after the deadline)
 * - late-ok / late-lose / late-reject: ignores the abort; after `lateMs` lands and
 *   resolves / lands and rejects / rejects
 * - forever: ignores the abort and never settles
 */
type Step = "ok" | "plain" | "reject" | "lose" | "hang" | "throw-sync" | "lands-on-abort" | "late-ok" | "late-lose" | "late-reject" | "forever";

/**
 * A sink that lands each batch at most once by its first seq (as an object
 * store with If-None-Match does) and records what the writer must never do:
 * two calls running at once for one batch, or two different batches at one seq.
 */
class ScriptedSink implements AuditSink {
  readonly name = "scripted";
  readonly landed = new Map<number, string>();
  readonly violations: string[] = [];
  calls = 0;
  next: () => Step = () => "ok";
  lateMs = 50;
  private running = new Set<AuditBatch>();

  write(batch: AuditBatch, opts: SinkWriteOptions = {}): Promise<void> {
    this.calls++;
    const step = this.next();
    if (this.running.has(batch)) this.violations.push(`batch ${batch.firstSeq} written while an earlier call for it is still running`);
    const land = () => {
      const text = batchLines(batch).join("\n");
      const had = this.landed.get(batch.firstSeq);
      if (had !== undefined && had !== text) this.violations.push(`two different batches at seq ${batch.firstSeq}`);
      this.landed.set(batch.firstSeq, text);
    };
    if (step === "throw-sync") throw new Error("sink threw synchronously");
    if (step === "plain") {
      land();
      return undefined as unknown as Promise<void>;
    }
    this.running.add(batch);
    const done = <T>(p: Promise<T>) => p.finally(() => this.running.delete(batch));
    const signal = opts.signal;
    const onAbort = (fn: () => void) => signal?.addEventListener("abort", fn, { once: true });
    const late = (fn: (resolve: () => void, reject: (e: Error) => void) => void) =>
      new Promise<void>((resolve, reject) => setTimeout(() => fn(resolve, reject), this.lateMs));
    switch (step) {
      case "ok":
        land();
        return done(Promise.resolve());
      case "reject":
        return done(Promise.reject(new Error("ECONNREFUSED")));
      case "lose":
        land();
        return done(Promise.reject(new Error("socket hang up")));
      case "hang":
        return done(new Promise<void>((_, reject) => onAbort(() => reject(signal!.reason as Error))));
      case "lands-on-abort":
        return done(
          new Promise<void>((resolve) =>
            onAbort(() => {
              land();
              resolve();
            }),
          ),
        );
      case "late-ok":
        return done(late((resolve) => (land(), resolve())));
      case "late-lose":
        return done(late((_, reject) => (land(), reject(new Error("socket hang up, late")))));
      case "late-reject":
        return done(late((_, reject) => reject(new Error("HTTP 503, late"))));
      case "forever":
        return done(new Promise<void>(() => undefined));
    }
  }

  /** the trail as a reader sees it: objects in seq order */
  lines(): string[] {
    return [...this.landed.entries()].sort((a, b) => a[0] - b[0]).flatMap(([, t]) => t.split("\n"));
  }

  records(): Array<Record<string, unknown> & { seq: number; type: string }> {
    return this.lines()
      .map((l) => JSON.parse(l))
      .filter((r) => r.type !== "checkpoint");
  }

  /** is record `seq` in a batch that has landed? */
  has(seq: number): boolean {
    return this.records().some((r) => r.seq === seq);
  }
}

function newLog(sink: AuditSink, opts: Partial<AuditLogOptions> = {}): AuditLog {
  return new AuditLog({ sink, chainId: "c", policy: "sha256:x", writeTimeoutMs: 100, retryMinMs: 10, retryMaxMs: 80, ...opts });
}

/** seq ranges the trail's notices say were not durable when their requests were answered */
const noticedSeqs = (sink: ScriptedSink) => sink.records().flatMap((r) => (r.type === "notice" && Array.isArray(r.seqs) ? [r.seqs as [number, number]] : []));
const covered = (sink: ScriptedSink, seq: number) => noticedSeqs(sink).some(([a, b]) => a <= seq && seq <= b);

describe("a sink that breaks the promise contract cannot crash or wedge the writer", () => {
  it("a sink that throws synchronously: flush answers false (no rejection), the request is denied, the background retry delivers", async () => {
    const sink = new ScriptedSink();
    const steps: Step[] = ["throw-sync"];
    sink.next = () => steps.shift() ?? "ok";
    const log = newLog(sink);
    const r = log.record(decision("a"));
    await expect(log.flush()).resolves.toBe(false);
    await expect(r.durable).rejects.toThrow(/sink threw synchronously/);
    expect(log.failing).toMatch(/sink threw synchronously/);
    await advance(200);
    expect(log.failing).toBeUndefined();
    expect(log.undeliveredCount).toBe(0);
    expect(verifyLines(asLines(sink.lines())).ok).toBe(true);
    expect(covered(sink, 2)).toBe(true);
  });

  it("a synchronous sink returning no promise: its write counts once and the batch is never written twice", async () => {
    const sink = new ScriptedSink();
    sink.next = () => "plain";
    const log = newLog(sink);
    log.record(decision("a"));
    await expect(log.flush()).resolves.toBe(true);
    log.record(decision("b"));
    await expect(log.flush()).resolves.toBe(true);
    expect(sink.calls).toBe(2);
    expect(sink.records().map((r) => r.seq)).toEqual([1, 2, 3]);
  });

  it("group commit over a synchronously throwing sink: no unhandled rejection, the waiting request is denied, the retry delivers", async () => {
    const engine = await engineFromText(POLICY);
    const sink = new ScriptedSink();
    const steps: Step[] = ["throw-sync"];
    sink.next = () => steps.shift() ?? "ok";
    const unhandled: unknown[] = [];
    const onUnhandled = (e: unknown) => unhandled.push(e);
    process.on("unhandledRejection", onUnhandled);
    try {
      const log = newLog(sink, { groupCommit: true, defer: (fn) => setImmediate(fn) });
      const d = track(auditedCheck(engine, log, { action: "file.read", path: "/app/a" }));
      await advance(1);
      expect(d.value).toMatchObject({ decision: "deny", error: "audit_unavailable" });
      await advance(200);
      expect(log.failing).toBeUndefined();
      expect(sink.has(2)).toBe(true);
    } finally {
      await new Promise((r) => process.nextTick(r));
      process.off("unhandledRejection", onUnhandled);
    }
    expect(unhandled).toEqual([]);
  });
});

describe("fail closed: an allow is answered only once its record is durable", () => {
  /** seeded, so a failure names the seed that reproduces it */
  function prng(seed: number): () => number {
    let a = seed >>> 0;
    return () => {
      a = (a + 0x6d2b79f5) >>> 0;
      let t = a;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }
  const FAULTS: Step[] = ["ok", "ok", "ok", "reject", "lose", "hang", "throw-sync", "plain", "lands-on-abort", "late-ok", "late-lose", "late-reject"];

  it.each(Array.from({ length: 40 }, (_, i) => 1000 + i))(
    "seed %i: random sink faults under group commit, flushes and waits: no allow before durable; after recovery the trail is whole, once, and its notices name every undurable answer",
    async (seed) => {
      const rnd = prng(seed);
      const engine = await engineFromText(POLICY);
      const sink = new ScriptedSink();
      let healthy = false;
      sink.next = () => (healthy ? "ok" : FAULTS[Math.floor(rnd() * FAULTS.length)]!);
      sink.lateMs = 20 + Math.floor(rnd() * 200);
      // group commit deferred by a macrotask (Node's setImmediate) or by the default microtask
      const defer = rnd() < 0.5 ? { defer: (fn: () => void) => void setImmediate(fn) } : {};
      const log = newLog(sink, { groupCommit: true, ...defer, maxPending: 60, maxBatchRecords: 1 + Math.floor(rnd() * 8) });
      const answered: Array<{ d: Decision; durableThen: boolean }> = [];
      const inflight: Promise<void>[] = [];
      for (let step = 0; step < 80; step++) {
        const what = rnd();
        if (what < 0.6) {
          const p = auditedCheck(engine, log, { action: "file.read", path: `/app/${step}` }, { flush: rnd() < 0.3 }).then((d) => {
            answered.push({ d, durableThen: d.audit ? sink.has(d.audit.seq) : false });
          });
          inflight.push(p);
        } else if (what < 0.7) void log.flush();
        else await advance(Math.floor(rnd() * 150));
      }
      healthy = true;
      await advance(1_000); // no traffic: the background retry alone must finish delivery
      await Promise.all(inflight);

      const where = `seed ${seed}`;
      expect(sink.violations, where).toEqual([]);
      for (const { d, durableThen } of answered)
        if (d.decision === "allow") expect(durableThen, `${where}: allow for seq ${d.audit?.seq} answered before it was durable`).toBe(true);
      expect(log.failing, where).toBeUndefined();
      expect(log.undeliveredCount, where).toBe(0);
      const report = verifyLines(asLines(sink.lines()));
      expect(report.ok, `${where}: ${report.problem?.message}`).toBe(true);
      const seqs = sink.records().map((r) => r.seq);
      expect(seqs, where).toEqual(seqs.map((_, i) => i + 1)); // every record once, in order
      for (const { d } of answered) {
        if (d.error !== "audit_unavailable") continue;
        if (d.audit) expect(covered(sink, d.audit.seq), `${where}: seq ${d.audit.seq} was denied as not durable, and no notice names it`).toBe(true);
      }
      const refused = answered.filter(({ d }) => d.error === "audit_unavailable" && !d.audit).length;
      const counted = sink
        .records()
        .filter((r) => r.notice === "requests-refused-unrecorded")
        .reduce((n, r) => n + (r.count as number), 0);
      expect(counted, `${where}: refusals counted in the trail`).toBe(refused);
    },
  );
});

describe("close() and what it hands back", () => {
  it("close() that gives up on a first, still running write opens an outage: the requests it answered are named by a notice when that write lands", async () => {
    const sink = new ScriptedSink();
    const steps: Step[] = ["late-ok"];
    sink.next = () => steps.shift() ?? "ok";
    sink.lateMs = 150;
    const log = newLog(sink, { writeTimeoutMs: 1_000 });
    const r = log.record(decision("a"));
    void log.flush();
    const closed = log.close({ waitMs: 50 });
    await advance(50);
    await expect(closed).resolves.toBe(false);
    await expect(r.durable).rejects.toThrow(/not durable/);
    await advance(200); // the write lands after close() gave up
    expect(sink.has(2)).toBe(true);
    // The request was denied while its record says allow: the trail must say so (delivered, or in the records still to deliver).
    const notice = [...sink.records(), ...log.undelivered()].find((x) => x.type === "notice");
    expect(notice).toMatchObject({ notice: "audit-write-failed", seqs: [2, 2] });
  });

  it("close() that gives up aborts the write still in flight (else it lands after undelivered() was spilled: the batch twice)", async () => {
    const sink = new ScriptedSink();
    sink.next = () => "hang";
    let signal: AbortSignal | undefined;
    const write = sink.write.bind(sink);
    sink.write = (b, o) => ((signal = o?.signal), write(b, o));
    const log = newLog(sink, { writeTimeoutMs: 5_000 });
    log.record(decision("a"));
    void log.flush();
    const closed = log.close({ waitMs: 100 });
    await advance(100);
    await expect(closed).resolves.toBe(false);
    expect(signal?.aborted).toBe(true);
    expect(log.undelivered().map((x) => x.seq)).toEqual([1, 2]);
  });

  it("the real bound of close(): waitMs, not waitMs plus a deadline, even while an earlier write is past its deadline and a retry is waiting on it", async () => {
    const sink = new ScriptedSink();
    sink.next = () => "late-reject";
    sink.lateMs = 10_000;
    const log = newLog(sink, { writeTimeoutMs: 400 });
    for (let i = 0; i < 5; i++) log.record(decision(String(i)));
    void log.flush();
    await advance(450); // first write past its deadline, still running
    let done = false;
    const started = Date.now();
    void log.close({ waitMs: 300 }).then(() => (done = true));
    await advance(299);
    expect(done).toBe(false);
    await advance(1);
    expect(done).toBe(true);
    expect(Date.now() - started).toBe(300);
  });
});

describe("no wedge: delivery resumes by itself once the sink is healthy", () => {
  it("the background retry comes at least every retryMaxMs (the cap), jitter included", async () => {
    vi.spyOn(Math, "random").mockReturnValue(0.999); // the top of the jitter
    const sink = new ScriptedSink();
    const at: number[] = [];
    sink.next = () => (at.push(Date.now()), "reject");
    const log = newLog(sink, { retryMinMs: 10, retryMaxMs: 80 });
    log.record(decision("a"));
    void log.flush();
    await advance(2_000);
    const gaps = at.slice(1).map((t, i) => t - at[i]!);
    expect(
      gaps.slice(-5).every((g) => g > 0 && g <= 80),
      `gaps between tries: ${gaps.join(", ")}`,
    ).toBe(true);
  });

  // A sink call that ignores its abort and never settles: an idempotent sink (object
  // stores: a repeated write of one batch lands once) is written again after two
  // deadlines spent waiting; any other sink keeps waiting (writing again could put the
  // batch in twice) and denies fast meanwhile, saying why.
  it("an idempotent sink whose call ignores its abort and never settles is written again: delivery resumes", async () => {
    const sink = new ScriptedSink();
    (sink as { idempotent?: boolean }).idempotent = true;
    const steps: Step[] = ["forever"];
    sink.next = () => steps.shift() ?? "ok";
    const log = newLog(sink);
    log.record(decision("a"));
    void log.flush();
    await advance(5_000);
    expect(log.failing).toBeUndefined();
    expect(sink.has(2)).toBe(true);
  });

  it("any other sink whose call never settles is not written again (no duplicate): it stays failing and says the earlier write has not returned", async () => {
    const sink = new ScriptedSink();
    const steps: Step[] = ["forever"];
    sink.next = () => steps.shift() ?? "ok";
    const log = newLog(sink);
    log.record(decision("a"));
    void log.flush();
    await advance(5_000);
    expect(log.failing).toMatch(/an earlier write of records 1-2 has still not returned/);
    expect(sink.violations).toEqual([]);
  });
});

describe("bounded under a failing sink and heavy traffic", () => {
  it("10,000 requests against a refusing sink: queue within maxPending, sink calls follow the backoff, then everything queued is delivered once", async () => {
    const engine = await engineFromText(POLICY);
    const sink = new ScriptedSink();
    let healthy = false;
    sink.next = () => (healthy ? "ok" : "reject");
    const log = newLog(sink, { groupCommit: true, maxPending: 500, retryMinMs: 10, retryMaxMs: 80 });
    const decisions: Promise<Decision>[] = [];
    let maxQueued = 0;
    for (let i = 0; i < 10_000; i++) {
      decisions.push(auditedCheck(engine, log, { action: "file.read", path: `/app/${i}` }));
      maxQueued = Math.max(maxQueued, log.undeliveredCount);
      if (i % 100 === 99) await advance(10); // 1,000 ms of traffic in all
    }
    const ds = await Promise.all(decisions);
    expect(ds.every((d) => d.decision === "deny")).toBe(true);
    expect(maxQueued).toBeLessThanOrEqual(500);
    // 1,000 ms at a backoff that reaches 80 ms: about 20 tries, each one call (group commit adds none)
    expect(sink.calls).toBeLessThanOrEqual(30);
    healthy = true;
    await advance(200);
    expect(log.undeliveredCount).toBe(0);
    expect(verifyLines(asLines(sink.lines())).ok).toBe(true);
    const refused = ds.filter((d) => !d.audit).length;
    expect(sink.records().find((r) => r.notice === "requests-refused-unrecorded")).toMatchObject({ count: refused });
  });
});

/** An object store in a Map, shared with a foreign writer who can PutObject (and overwrite) but not delete. */
class SharedStore implements ObjectStore {
  readonly name = "s3";
  readonly objects = new Map<string, string>();
  puts = 0;
  gets = 0;
  /** the read-back takes this long per MiB (a large object is slow to download) */
  msPerMiB = 0;
  hangGet = false;
  /** the store ignores abort signals (an R2 binding takes none) */
  ignoresAbort = false;
  hangPut = 0;
  /** faults of the next puts, one each: the answer lost after landing (and the object then deleted), refused; a read-back that finds nothing once */
  putFaults: Array<"lose" | "lose-then-deleted" | "refuse"> = [];
  getFaults: Array<"missing"> = [];
  private deleteNext: string | undefined;

  locate(key: string) {
    return `s3://b/${key}`;
  }

  async putIfAbsent(key: string, body: string, signal?: AbortSignal): Promise<"created" | "exists"> {
    this.puts++;
    if (this.hangPut > 0) {
      this.hangPut--;
      return new Promise((_, reject) => {
        if (!this.ignoresAbort) signal?.addEventListener("abort", () => reject(signal.reason as Error));
      });
    }
    if (this.deleteNext !== undefined) this.objects.delete(this.deleteNext);
    this.deleteNext = undefined;
    const fault = this.putFaults.shift();
    if (fault === "refuse") throw new Error("connect ECONNREFUSED");
    if (this.objects.has(key)) return "exists";
    this.objects.set(key, body);
    if (fault === "lose-then-deleted") this.deleteNext = key;
    if (fault?.startsWith("lose")) throw new Error("socket hang up");
    return "created";
  }

  async get(key: string, signal?: AbortSignal, maxBytes?: number): Promise<string | undefined> {
    this.gets++;
    if (this.getFaults.shift() === "missing") return undefined;
    const body = this.objects.get(key);
    if (this.hangGet) return new Promise((_, reject) => signal?.addEventListener("abort", () => reject(signal.reason as Error)));
    const shown = body !== undefined && maxBytes !== undefined ? body.slice(0, maxBytes) : body;
    const ms = ((shown?.length ?? 0) / 2 ** 20) * this.msPerMiB;
    if (ms > 0)
      await new Promise<void>((resolve, reject) => {
        const t = setTimeout(resolve, ms);
        signal?.addEventListener("abort", () => (clearTimeout(t), reject(signal.reason as Error)));
      });
    return shown;
  }

  /** the foreign writer: a plain PutObject, no If-None-Match */
  forge(key: string, body: string) {
    this.objects.set(key, body);
  }

  lines(): string[] {
    return [...this.objects.keys()].sort().flatMap((k) => this.objects.get(k)!.trim().split("\n"));
  }
}

const keyOf = (seq: number) => `p/${new Date().toISOString().slice(0, 13).replace(/[-T]/g, "/")}/c/${String(seq).padStart(12, "0")}.jsonl`;

function objectLog(store: SharedStore, logged: string[] = []) {
  const sink = new ObjectStoreSink(store, { prefix: "p", attempts: 1, log: (m) => logged.push(m) });
  return newLog(sink, { writeTimeoutMs: 200, log: (m) => logged.push(m) });
}

describe("object-store faults: an allow only once the object holds our bytes, and each batch once", () => {
  const CASES: Array<[string, Array<"lose" | "lose-then-deleted" | "refuse">, Array<"missing">]> = [
    ["the answer lost, the retry reads its own bytes back", ["lose"], []],
    ["the answer lost, then the object deleted (a lifecycle rule): the retry writes it again", ["lose-then-deleted"], []],
    ["refused twice, then written", ["refuse", "refuse"], []],
    ["the answer lost, and the read-back finds nothing once (listing lag): put again, read back", ["lose"], ["missing"]],
    ["lost, lost, refused, lost", ["lose", "lose", "refuse", "lose"], []],
  ];
  it.each(CASES)("%s", async (_name, putFaults, getFaults) => {
    const engine = await engineFromText(POLICY);
    const store = new SharedStore();
    const log = newLog(new ObjectStoreSink(store, { prefix: "p", attempts: 3 }), { writeTimeoutMs: 2_000 });
    const answers: Array<{ d: Decision; ours: boolean }> = [];
    store.putFaults = [...putFaults];
    store.getFaults = [...getFaults];
    for (let i = 0; i < 4; i++) {
      const d = track(auditedCheck(engine, log, { action: "file.read", path: `/app/${i}` }, { flush: true }));
      await advance(3_000);
      expect(d.settled).toBe(true);
      const seq = d.value!.audit!.seq;
      answers.push({ d: d.value!, ours: store.lines().some((l) => l.includes(`"seq":${seq},`) && l.includes(`/app/${i}`)) });
    }
    for (const { d, ours } of answers) if (d.decision === "allow") expect(ours).toBe(true);
    expect(answers.filter(({ d }) => d.decision === "allow").length).toBeGreaterThanOrEqual(3); // the sink's own retries absorb these faults
    expect(log.failing).toBeUndefined();
    const report = verifyLines(asLines(store.lines()));
    expect(report.ok, report.problem?.message).toBe(true);
    expect([...store.objects.keys()].some((k) => k.includes(".conflict-"))).toBe(false);
  });
});

describe("an object store shared with a foreign writer (PutObject on the prefix, no delete)", () => {
  it("the foreign writer pre-creates our next key and the `.conflict-` key it can compute from our bytes: ours still lands, delivery does not loop", async () => {
    const store = new SharedStore();
    const logged: string[] = [];
    const log = objectLog(store, logged);
    log.record(decision("a"));
    expect(await log.flush()).toBe(true);
    // The agent sees its decision's chain and seq; it can predict the next key and, knowing the
    // records (it made the request; the bucket is readable), the bytes and their SHA-256.
    for (const seq of [3, 4, 5]) store.forge(keyOf(seq), "forged\n");
    const { sha256HexSync } = await import("../src/crypto/sha256.js");
    const predicted: string[] = [];
    const realPut = store.putIfAbsent.bind(store);
    store.putIfAbsent = async (key, body, signal) => {
      // the attacker's prediction, modelled exactly: the aside name from the SHA-256 of our bytes
      const aside = key.replace(/\.jsonl$/, `.conflict-${sha256HexSync(body).slice(0, 16)}.jsonl`);
      if (!key.includes(".conflict-") && !store.objects.has(aside)) {
        store.forge(aside, "forged too\n");
        predicted.push(aside);
      }
      return realPut(key, body, signal);
    };
    log.record(decision("b"));
    await log.flush();
    await advance(2_000);
    expect(predicted.length).toBeGreaterThan(0);
    expect(log.failing).toBeUndefined();
    expect(store.objects.get(keyOf(3))).toBe("forged\n"); // theirs is never overwritten
    const ours = [...store.objects.entries()].filter(([k, v]) => k.includes(".conflict-") && v.includes('"reason":"b"'));
    expect(ours).toHaveLength(1);
  });

  it("a read-back that hangs counts as a missed deadline (not as a missing s3:GetObject) and the retry recovers", async () => {
    const store = new SharedStore();
    const log = objectLog(store);
    store.forge(keyOf(1), "forged\n");
    store.hangGet = true;
    log.record(decision("a"));
    const flushed = track(log.flush());
    await advance(200);
    expect(flushed.value).toBe(false);
    expect(log.failing).not.toMatch(/s3:GetObject/);
    expect(log.failing).toMatch(/deadline|no answer within/);
    store.hangGet = false;
    await advance(500);
    expect(log.failing).toBeUndefined();
  });

  it("a store that ignores the abort (an R2 binding takes no signal) and one put that never returns: the object sink answers at the deadline and delivery resumes", async () => {
    const store = new SharedStore();
    store.ignoresAbort = true;
    store.hangPut = 1;
    const log = objectLog(store);
    log.record(decision("a"));
    const flushed = track(log.flush());
    await advance(200);
    expect(flushed.value).toBe(false);
    await advance(2_000);
    expect(log.failing).toBeUndefined();
    expect(verifyLines(asLines(store.lines())).ok).toBe(true);
  });

  // Found by this attack: the read-back downloaded the whole foreign object on every retry,
  // so a 64 MiB object at our next key (one plain PutObject) made every attempt miss its
  // deadline. Now the read-back is ranged to our length + 1 byte (S3 `Range`, R2 `range`):
  // a longer object is foreign without reading it all.
  it("a huge foreign object at our next key neither wedges delivery nor is downloaded whole", async () => {
    const store = new SharedStore();
    store.msPerMiB = 10; // 64 MiB take 640 ms: past the 200 ms deadline
    const log = objectLog(store);
    store.forge(keyOf(1), "x".repeat(64 * 2 ** 20));
    log.record(decision("a"));
    void log.flush();
    await advance(3_000);
    expect(log.failing).toBeUndefined();
  });

  // KNOWN LIMITATION (README "Audit trail", Limits): an acknowledged batch overwritten by a
  // plain PutObject with lines that are not audit records leaves a trail that verifies,
  // shorter by the acknowledged tail: verify reads the objects, not their versions. The
  // SAM template closes the door (bucket policy DenyAuditOverwrites: no PutObject under
  // audit/ without If-None-Match; the bucket is versioned with Object Lock); a bucket
  // without that policy is exposed. Reading object versions in `audit verify` would
  // detect it: not done.
  it.fails("an acknowledged last batch overwritten with non-audit lines: verify must not say the trail is intact", async () => {
    const store = new SharedStore();
    const log = objectLog(store);
    log.record(decision("a"));
    expect(await log.flush()).toBe(true);
    log.record(decision("acknowledged"));
    expect(await log.flush()).toBe(true);
    store.forge(keyOf(3), "{}\n");
    expect(verifyLines(asLines(store.lines())).ok).toBe(false);
  });
});
