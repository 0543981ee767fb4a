import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { build } from "esbuild";
import { Miniflare } from "miniflare";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { FaultProxy, type FaultRule } from "./fault-proxy.js";
import { readTrail, violations, type Answer, type Trail } from "./fault-trail.js";
import { MOTO_AVAILABLE, portFromOutput, useMoto } from "./moto.js";

/**
 * The audit trail under real faults, with real parts: moto_server behind a
 * TCP fault proxy (test/fault-proxy.ts), and in front of it the Node server
 * as a process, the Lambda handler (dist/) and the Worker in workerd. Each
 * scenario injects one fault, then checks what the answers and the trail
 * read back from moto must show (test/fault-trail.ts `violations`): no allow
 * without its record in S3, every answer in the trail or named by an outage
 * notice, a trail that verifies. Deadlines are small (500 ms) and the retry
 * backoff is capped at 200 ms (SAFECLAW_AUDIT_RETRY_MAX_MS) so an outage ends
 * quickly once S3 is back. Elapsed times are bounded only generously (10 s),
 * against a hang, never as a speed claim.
 */
const ROOT = new URL("../", import.meta.url).pathname;
const BUNDLE_FILE = join(ROOT, "build/policy-bundle.json"); // written by the e2e global setup
const BUCKET = "faults";
const DEADLINE_MS = 500;
const DELIVERY = { SAFECLAW_AUDIT_TIMEOUT_MS: String(DEADLINE_MS), SAFECLAW_AUDIT_RETRY_MAX_MS: "200", SAFECLAW_ON_AUDIT_FAILURE: "deny" };
const CREDENTIALS = { AWS_REGION: "us-east-1", AWS_ACCESS_KEY_ID: "test", AWS_SECRET_ACCESS_KEY: "test" };
const ALLOWED = (i: number | string) => ({ action: "file.read", path: `/app/${i}` });
/** against a hang, not a speed claim (the machine is shared) */
const ANSWER_BOUND_MS = 10_000;
const NO_ANSWER = new RegExp(`no answer within ${DEADLINE_MS} ms`);

/** the part of an object's key that names the batch starting at this record */
const batchOf = (a: Answer) => `${a.audit!.chain}/${String(a.audit!.seq).padStart(12, "0")}.jsonl`;

// Skipped only when moto_server is absent outside CI (test/moto.ts warns loudly; under CI=true it fails instead).
describe.skipIf(!MOTO_AVAILABLE)("audit delivery under real faults (moto_server behind a fault proxy)", () => {
  const moto = useMoto([BUCKET]);
  let proxy: FaultProxy;
  beforeAll(async () => {
    proxy = await FaultProxy.start(Number(new URL(moto.endpoint).port));
  });
  afterAll(async () => proxy?.close());
  afterEach(() => {
    proxy.pass();
    expect(proxy.errors).toEqual([]); // nothing the proxy could not handle
  });

  /** the trail under a prefix, read from moto directly, once it holds `until` */
  const trailOnceIt = async (prefix: string, until: (t: Trail) => boolean): Promise<Trail> => {
    let trail: Trail | undefined;
    await vi.waitFor(
      async () => {
        trail = await readTrail(BUCKET, prefix, moto.env());
        if (!until(trail)) throw new Error(`the trail under ${prefix} does not hold what is awaited yet: ${JSON.stringify(trail.records.slice(-3))}`);
      },
      { timeout: 15_000, interval: 100 },
    );
    return trail!;
  };
  const hasOutageNotice = (t: Trail) => t.records.some((r) => r.notice === "audit-write-failed");
  const recordOf = (t: Trail, a: Answer) => t.records.find((r) => r.chain === a.audit!.chain && r.seq === a.audit!.seq);

  /**
   * What both edge runtimes go through, in one run: an allow, a lost answer (denied; the
   * retry gets 412 and reads back), an allow, a black hole (denied within the deadline),
   * an allow again; the invariants on the trail read back from moto after each part.
   * `healed` is what the runtime needs once the proxy passes again (the Worker: /ready polls).
   */
  const lostThenBlackHoled = async (
    prefix: string,
    ask: (request: unknown) => Promise<Answer & { ms: number }>,
    answers: Answer[],
    healed: () => Promise<unknown> = async () => undefined,
  ) => {
    expect(await ask(ALLOWED("a"))).toMatchObject({ decision: "allow" });

    proxy.set({ mode: "drop-response", methods: ["PUT"], times: 3 });
    const lost = await ask(ALLOWED("lost"));
    expect(lost).toMatchObject({ decision: "deny", error: "audit_unavailable" });
    proxy.pass();
    await healed();
    await trailOnceIt(prefix, (t) => !!recordOf(t, lost) && hasOutageNotice(t));
    expect(
      proxy
        .requestsTo("PUT", batchOf(lost))
        .filter((r) => r.fault === "pass")
        .map((r) => r.status),
    ).toEqual([412]);
    expect(await ask(ALLOWED("after-lost"))).toMatchObject({ decision: "allow" });
    expect(violations(await readTrail(BUCKET, prefix, moto.env()), answers)).toEqual([]);

    proxy.set({ mode: "black-hole" });
    const holed = await ask(ALLOWED("holed"));
    expect(holed).toMatchObject({ decision: "deny", error: "audit_unavailable" });
    expect(holed.reason).toMatch(NO_ANSWER);
    expect(holed.ms).toBeLessThan(ANSWER_BOUND_MS);
    proxy.pass();
    await healed();
    const trail = await trailOnceIt(prefix, (t) => !!recordOf(t, holed) && t.records.filter((r) => r.notice === "audit-write-failed").length === 2);
    expect(violations(trail, answers)).toEqual([]);
    expect(await ask(ALLOWED("back"))).toMatchObject({ decision: "allow" });
    expect(violations(await readTrail(BUCKET, prefix, moto.env()), answers)).toEqual([]);
  };

  describe("the Node server as a real process", () => {
    const children: ChildProcess[] = [];
    afterEach(() => {
      for (const c of children.splice(0)) if (c.exitCode === null) c.kill("SIGKILL");
    });

    /** `safeclaw serve` auditing to s3://faults/<prefix> through the proxy; every answer it gives is kept in `answers` */
    async function serve(prefix: string, deadlineMs = DEADLINE_MS) {
      const env: Record<string, string | undefined> = { ...process.env };
      for (const k of Object.keys(env)) if (k.startsWith("AWS_") || k.startsWith("SAFECLAW_")) delete env[k];
      Object.assign(env, CREDENTIALS, DELIVERY, {
        SAFECLAW_AUDIT_TIMEOUT_MS: String(deadlineMs),
        SAFECLAW_AUDIT_SINK: `s3://${BUCKET}/${prefix}`,
        AWS_ENDPOINT_URL: proxy.endpoint,
      });
      const child = spawn(process.execPath, [join(ROOT, "bin/safeclaw.js"), "serve", "--bundle", BUNDLE_FILE, "--port", "0"], {
        env,
        stdio: ["ignore", "pipe", "pipe"],
      });
      children.push(child);
      let stderr = "";
      child.stdout.resume();
      child.stderr.on("data", (d) => (stderr += d));
      const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
      const url = `http://127.0.0.1:${await portFromOutput(child, /serving .* on http:\/\/127\.0\.0\.1:(\d+)/, "safeclaw serve")}`;
      const answers: Answer[] = [];
      const check = async (request: unknown): Promise<Answer & { ms: number }> => {
        const started = Date.now();
        const r = await fetch(`${url}/v1/check`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify(request),
          signal: AbortSignal.timeout(ANSWER_BOUND_MS),
        });
        const a = (await r.json()) as Answer;
        answers.push(a);
        return { ...a, ms: Date.now() - started };
      };
      const ready = async () => {
        const r = await fetch(`${url}/ready`, { signal: AbortSignal.timeout(ANSWER_BOUND_MS) });
        return { status: r.status, body: (await r.json()) as { status: string; audit: string } };
      };
      /** polls /ready only (no decision traffic) until it is 200 again */
      const readyAgain = () => vi.waitFor(async () => expect((await ready()).status).toBe(200), { timeout: 15_000, interval: 50 });
      const stop = async () => {
        child.kill("SIGTERM");
        expect(await exited).toBe(0);
      };
      return { check, ready, readyAgain, answers, stop, stderr: () => stderr };
    }

    it("a cold server's first write does not spend its deadline loading the AWS SDK: against a healthy S3 the first request is allowed", async () => {
      // Loading @aws-sdk/client-s3 takes 0.2-1 s on a busy machine; it used to happen inside the first write, so a
      // cold server (or Lambda) with a deadline under that denied its first requests and logged an outage S3 never had.
      const s = await serve("node-cold");
      const first = await Promise.all([s.check(ALLOWED("first")), s.check(ALLOWED("second"))]);
      expect(first).toMatchObject([{ decision: "allow" }, { decision: "allow" }]);
      const trail = await readTrail(BUCKET, "node-cold", moto.env());
      expect(violations(trail, s.answers)).toEqual([]);
      expect(hasOutageNotice(trail)).toBe(false);
      await s.stop();
    });

    it("a lost S3 answer (stored, answer never arrived): the retry puts the same bytes at the same key, gets 412, reads back the identical object, and delivery goes on", async () => {
      // No deadline is met here (the proxy drops answers at once): a roomy one keeps a busy machine from adding a timeout.
      const s = await serve("node-lost", 4 * DEADLINE_MS);
      expect(await s.check(ALLOWED("a"))).toMatchObject({ decision: "allow" });

      // Lost once: the sink's own next attempt meets 412, reads back, and the request is allowed.
      proxy.set({ mode: "drop-response", methods: ["PUT"], times: 1 });
      const b = await s.check(ALLOWED("b"));
      expect(b).toMatchObject({ decision: "allow" });
      expect(proxy.requestsTo("PUT", batchOf(b)).map((r) => [r.fault, r.status])).toEqual([
        ["drop-response", 200],
        ["pass", 412],
      ]);
      expect(proxy.requestsTo("GET", batchOf(b)).map((r) => r.status)).toEqual([206]); // a ranged read-back: only as many bytes as our batch has, plus one

      // Lost on every attempt of one write: the request is denied, and the background retry delivers it with no traffic.
      proxy.set({ mode: "drop-response", methods: ["PUT"], times: 3 });
      const c = await s.check(ALLOWED("c"));
      expect(c).toMatchObject({ decision: "deny", error: "audit_unavailable" });
      await s.readyAgain();
      expect(proxy.requestsTo("PUT", batchOf(c))[0]).toMatchObject({ fault: "drop-response", status: 200 }); // S3 stored it the first time
      expect(
        proxy
          .requestsTo("PUT", batchOf(c))
          .filter((r) => r.fault === "pass")
          .map((r) => r.status),
      ).toEqual([412]);
      expect(proxy.requestsTo("GET", batchOf(c)).map((r) => r.status)).toEqual([206]);

      const later = [await s.check(ALLOWED("d")), await s.check(ALLOWED("e"))];
      expect(later.map((a) => a.decision)).toEqual(["allow", "allow"]);
      const trail = await trailOnceIt("node-lost", (t) => hasOutageNotice(t) && !!recordOf(t, later[1]!));
      expect(violations(trail, s.answers)).toEqual([]);
      // c's batch is one object, written once; what came after is in later objects.
      expect(trail.keys.filter((k) => k.endsWith(batchOf(c)))).toHaveLength(1);
      for (const a of later) expect(recordOf(trail, a)!.where).not.toContain(batchOf(c));
      expect(trail.records.find((r) => r.notice === "audit-write-failed")).toMatchObject({ seqs: [c.audit!.seq, c.audit!.seq] });
      await s.stop();
    });

    // Found here: after a 412 the read-back GET was tried once and any failure of it was reported as a missing
    // s3:GetObject, so a reset read-back denied a request a second GET would have allowed and sent the operator to
    // IAM. Now a failed GET is one failed attempt like a failed PUT; only a 401/403 is missing read access.
    it("a lost answer whose read-back GET is reset once: the sink's next attempt reads it back (not a missing s3:GetObject)", async () => {
      const s = await serve("node-readback", 4 * DEADLINE_MS);
      expect(await s.check(ALLOWED("a"))).toMatchObject({ decision: "allow" });
      proxy.set({ mode: "drop-response", methods: ["PUT"], times: 1 }, { mode: "reset", methods: ["GET"], times: 1 });
      const b = await s.check(ALLOWED("b"));
      expect(proxy.requestsTo("GET", batchOf(b)).map((r) => r.fault)).toContain("reset"); // the fault did happen
      try {
        expect(s.stderr()).not.toMatch(/s3:GetObject/);
        expect(b).toMatchObject({ decision: "allow" });
      } finally {
        await s.readyAgain();
        expect(violations(await trailOnceIt("node-readback", (t) => !!recordOf(t, b)), s.answers)).toEqual([]);
        await s.stop();
      }
    });

    const OUTAGES: Array<{ fault: string; rule: FaultRule; reason: RegExp; stored: boolean }> = [
      { fault: "a black-holed S3 (accepts, reads, never answers)", rule: { mode: "black-hole" }, reason: NO_ANSWER, stored: false },
      { fault: "reset connections", rule: { mode: "reset" }, reason: /ECONNRESET|socket hang up/, stored: false },
      {
        fault: "answers slower than the deadline (S3 stores the batch, its answer comes too late)",
        rule: { mode: "slow", delayMs: 3 * DEADLINE_MS },
        reason: NO_ANSWER,
        stored: true,
      },
    ];

    it.each(OUTAGES)(
      "$fault: every request answered (denied) within the deadline, /ready 503, then 200 by itself when S3 is back, the queued records in S3",
      async ({ rule, reason, stored }) => {
        const prefix = `node-${rule.mode}`;
        const s = await serve(prefix);
        expect(await s.check(ALLOWED("before"))).toMatchObject({ decision: "allow" });
        proxy.set(rule);
        const during = await Promise.all([s.check(ALLOWED("x")), s.check(ALLOWED("y"))]);
        for (const a of during) {
          expect(a).toMatchObject({ decision: "deny", error: "audit_unavailable" });
          expect(a.reason).toMatch(reason);
          expect(a.ms).toBeLessThan(ANSWER_BOUND_MS);
        }
        const ready = await s.ready();
        expect(ready.status).toBe(503);
        expect(ready.body.audit).toMatch(/^failing: s3: /);
        // Still failing: a later request is denied too, its record queued for the retry.
        expect(await s.check(ALLOWED("z"))).toMatchObject({ decision: "deny", error: "audit_unavailable" });
        if (stored) expect(proxy.requestsTo("PUT", batchOf(during[0])).some((r) => r.status === 200)).toBe(true);

        proxy.pass();
        await s.readyAgain();
        const trail = await trailOnceIt(prefix, hasOutageNotice);
        expect(violations(trail, s.answers)).toEqual([]);
        for (const a of s.answers) expect(recordOf(trail, a)).toBeDefined(); // the queued records are in S3 now
        expect(s.stderr()).toMatch(/writing records .* failed .*retried in the background/);
        expect(s.stderr()).toMatch(/sink is writing again after \d+ failed attempts/);
        await s.stop();
      },
    );

    it("answers slower than usual but within the deadline: allowed, never failing", async () => {
      const s = await serve("node-slow-ok");
      expect(await s.check(ALLOWED("warm"))).toMatchObject({ decision: "allow" });
      proxy.set({ mode: "slow", delayMs: DEADLINE_MS / 5 });
      const answers = [];
      for (let i = 0; i < 3; i++) answers.push(await s.check(ALLOWED(i)));
      expect(answers.map((a) => a.decision)).toEqual(["allow", "allow", "allow"]);
      expect((await s.ready()).status).toBe(200);
      expect(proxy.requests.filter((r) => r.fault === "slow").length).toBeGreaterThanOrEqual(3);
      proxy.pass();
      const trail = await readTrail(BUCKET, "node-slow-ok", moto.env());
      expect(violations(trail, s.answers)).toEqual([]);
      expect(hasOutageNotice(trail)).toBe(false);
      await s.stop();
    });
  });

  describe("the Lambda handler (dist/, in process)", () => {
    it("a lost answer and a black hole: each invocation returns a deny within the deadline (not a Lambda timeout), then delivers and allows again", async () => {
      const { createLambdaHandler } = await import("../dist/lambda.js");
      const logged: string[] = [];
      const handler = createLambdaHandler({
        bundle: JSON.parse(readFileSync(BUNDLE_FILE, "utf8")),
        env: {
          ...CREDENTIALS,
          ...DELIVERY,
          SAFECLAW_AUDIT_SINK: `s3://${BUCKET}/lambda`,
          AWS_ENDPOINT_URL: proxy.endpoint,
          AWS_LAMBDA_FUNCTION_NAME: "faults",
        },
        log: (m) => logged.push(m),
      });
      const answers: Answer[] = [];
      let n = 0;
      const invoke = async (request: unknown) => {
        const started = Date.now();
        const a = (await handler(request, { awsRequestId: `req-${++n}` })) as Answer;
        answers.push(a);
        return { ...a, ms: Date.now() - started };
      };
      // In process the background retry runs between invocations (a frozen Lambda would retry on the next one).
      await lostThenBlackHoled("lambda", invoke, answers);
    });
  });

  describe("the Worker in workerd (Miniflare), fetch-S3 sink through the proxy", () => {
    let mf: Miniflare | undefined;
    afterAll(async () => mf?.dispose());

    it("a lost answer and a black hole: denied within the deadline, /ready back to 200 when polled, the records in S3, allowing again", async () => {
      // The deployed entry (adapters/workers/worker.ts) bundled as wrangler would, without wrangler's start-up cost.
      const out = await build({
        entryPoints: [join(ROOT, "adapters/workers/worker.ts")],
        bundle: true,
        format: "esm",
        platform: "neutral",
        mainFields: ["module", "main"],
        conditions: ["workerd", "worker", "browser"],
        write: false,
        logLevel: "silent",
      });
      mf = new Miniflare({
        modules: true,
        script: out.outputFiles[0]!.text,
        compatibilityDate: "2024-09-23",
        bindings: { ...CREDENTIALS, ...DELIVERY, SAFECLAW_AUDIT_SINK: `s3://${BUCKET}/worker`, AWS_ENDPOINT_URL: proxy.endpoint },
      });
      const answers: Answer[] = [];
      const check = async (request: unknown) => {
        const started = Date.now();
        const r = await mf!.dispatchFetch("http://safeclaw.test/v1/check", {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify(request),
        });
        const a = (await r.json()) as Answer;
        answers.push(a);
        return { ...a, ms: Date.now() - started };
      };
      /**
       * GET /ready only, no decision traffic. workerd runs no timer of a request that has ended, so
       * the background retry does not fire between requests; the Worker's every request (this one
       * too) runs a due retry in waitUntil, so /ready turns 200 on a later poll.
       */
      const readyAgain = () =>
        vi.waitFor(async () => expect((await mf!.dispatchFetch("http://safeclaw.test/ready")).status).toBe(200), { timeout: 15_000, interval: 100 });
      await lostThenBlackHoled("worker", check, answers, readyAgain);
    });
  });
});
