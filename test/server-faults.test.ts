import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { verifyLines } from "../src/audit/verify.js";
import { readS3Lines } from "../src/runtime/node/s3-read.js";
import { asLines } from "./audit-helpers.js";
import { deadEndpoint, MOTO_AVAILABLE, portFromOutput, useMoto } from "./moto.js";

/**
 * The Node server as a real process under faults: clients that dribble, a
 * sink that is down at SIGTERM, a restart after a spill, a 401 flood.
 */
const BIN = new URL("../bin/safeclaw.js", import.meta.url).pathname;
const POLICY = new URL("../examples/safeclaw.config.yaml", import.meta.url).pathname;
const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill("SIGKILL");
});

/** Short waits so a test's shutdown takes about a second; the audit deadline well inside it. */
const QUICK = { SAFECLAW_SHUTDOWN_WAIT_MS: "1000", SAFECLAW_AUDIT_TIMEOUT_MS: "300" };
/** against moto: the first write loads the AWS SDK and may take a while on a shared machine */
const MOTO_QUICK = { SAFECLAW_SHUTDOWN_WAIT_MS: "2000", SAFECLAW_AUDIT_TIMEOUT_MS: "10000" };
const S3_CREDS = { AWS_REGION: "us-east-1", AWS_ACCESS_KEY_ID: "test", AWS_SECRET_ACCESS_KEY: "test" };

async function serve(env: Record<string, string>) {
  const child = spawn(process.execPath, [BIN, "serve", "--policy", POLICY, "--port", "0"], {
    env: { ...process.env, SAFECLAW_AUDIT_SINK: "", SAFECLAW_API_TOKENS: "", SAFECLAW_AUDIT_SPILL: "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push(child);
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d) => (stdout += d));
  child.stderr.on("data", (d) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  const port = await portFromOutput(child, /serving .* on http:\/\/127\.0\.0\.1:(\d+)/, "safeclaw serve");
  const stop = async () => {
    child.kill("SIGTERM");
    return exited;
  };
  return { url: `http://127.0.0.1:${port}`, port, stop, out: () => stdout, err: () => stderr };
}

const check = (url: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${url}/v1/check`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) });

const auditRecords = (text: string) =>
  text
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((r) => r.v === 1 && r.type !== "checkpoint");

/** A raw socket that sends `head`, then one more byte of `drip` every 100 ms until the server closes it. */
function dribble(port: number, head: string, drip: string): Promise<{ ms: number; sent: number; answer: string }> {
  return new Promise((resolve) => {
    const s = connect(port, "127.0.0.1");
    const t0 = Date.now();
    let answer = "";
    let sent = 0;
    s.on("data", (d) => (answer += d));
    s.on("error", () => undefined); // a reset is a close too
    s.write(head);
    const timer = setInterval(() => {
      if (!s.destroyed && s.writable) s.write(drip, () => undefined);
      sent++;
    }, 100);
    s.on("close", () => {
      clearInterval(timer);
      resolve({ ms: Date.now() - t0, sent, answer });
    });
  });
}

describe("HTTP timeouts: a client that dribbles is cut off at the configured time", () => {
  it.each([
    [
      "the body (headers sent, then a byte at a time)",
      "POST /v1/check HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{",
      " ",
    ],
    ["the headers (slowloris)", "POST /v1/check HTTP/1.1\r\nHost: x\r\n", "X-Slow: 1\r\n"],
  ])("%s", async (what, head, drip) => {
    const s = await serve({ SAFECLAW_HTTP_HEADERS_TIMEOUT_MS: "400", SAFECLAW_HTTP_REQUEST_TIMEOUT_MS: "1200", ...QUICK });
    const r = await dribble(s.port, head, drip);
    // Node's defaults would hold this socket for 60 s (headers) or 300 s (request); generous bounds, not a speed claim.
    expect(r.ms).toBeLessThan(20_000);
    expect(r.sent).toBeGreaterThan(0); // it was dribbling, not refused outright
    expect(r.answer).toMatch(/^HTTP\/1\.1 408/);
    expect(await s.stop()).toBe(0);
    if (what.startsWith("the body")) {
      // the handler saw the body stop arriving: a recorded refusal, not an unrecorded 500
      expect(auditRecords(s.out()).find((x) => x.type === "decision")).toMatchObject({ decision: "deny", error: "body_incomplete" });
      expect(s.err()).not.toContain("internal error");
    }
    expect(verifyLines(asLines(s.out().trim().split("\n"))).ok).toBe(true);
  });

  it.each([
    [{ SAFECLAW_HTTP_REQUEST_TIMEOUT_MS: "soon" }, "SAFECLAW_HTTP_REQUEST_TIMEOUT_MS `soon` is not an integer from 100 to 3600000"],
    [{ SAFECLAW_HTTP_HEADERS_TIMEOUT_MS: "0" }, "SAFECLAW_HTTP_HEADERS_TIMEOUT_MS `0` is not an integer from 100"],
    [{ SAFECLAW_HTTP_HEADERS_TIMEOUT_MS: "20000", SAFECLAW_HTTP_REQUEST_TIMEOUT_MS: "10000" }, "is longer than SAFECLAW_HTTP_REQUEST_TIMEOUT_MS"],
    [{ SAFECLAW_SHUTDOWN_WAIT_MS: "-1" }, "SAFECLAW_SHUTDOWN_WAIT_MS `-1` is not an integer"],
    [{ SAFECLAW_CLIENT_IP_HEADER: "x forwarded" }, "SAFECLAW_CLIENT_IP_HEADER `x forwarded` is not a header name"],
  ])("a bad setting stops the server at start, naming it: %j", (env, message) => {
    const r = spawnSync(process.execPath, [BIN, "serve", "--policy", POLICY, "--port", "0"], {
      encoding: "utf8",
      env: { ...process.env, ...env },
      timeout: 20_000,
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(message);
  });
});

describe("SIGTERM with the S3 sink down: bounded wait, spill, non-zero exit, named at the next start", () => {
  it("spills to stderr and SAFECLAW_AUDIT_SPILL, exits 1 saying what and where; the spill verifies; the restart's notice names it", async () => {
    const dead = await deadEndpoint();
    const spill = join(mkdtempSync(join(tmpdir(), "safeclaw-spill-")), "undelivered.jsonl");
    try {
      const s = await serve({ SAFECLAW_AUDIT_SINK: "s3://audit-trail/srv", AWS_ENDPOINT_URL: dead.url, ...S3_CREDS, ...QUICK, SAFECLAW_AUDIT_SPILL: spill });
      const answers = [];
      for (let i = 0; i < 3; i++) answers.push(await (await check(s.url, { action: "file.read", path: `/app/${i}` })).json());
      // fail closed while the sink is down, and each answer says its record is not durable
      expect(answers.every((a) => a.decision === "deny" && a.error === "audit_unavailable" && a.audit.durable === false)).toBe(true);
      const chain = answers[0].audit.chain as string;
      expect(await s.stop()).toBe(1);

      const err = s.err();
      expect(err).toContain(`4 audit records of chain ${chain} (seq 1-4) could not be delivered to the s3 sink`);
      expect(err).toContain(`appended to ${spill} (fsynced)`);
      expect(err).toMatch(/exiting 1: 4 audit records were not delivered/);
      // stderr carries the records and a checkpoint as NDJSON among the log lines: `audit verify -` reads it as is
      const fromStderr = spawnSync(process.execPath, [BIN, "audit", "verify", "-"], { input: err, encoding: "utf8" });
      expect(fromStderr.stdout).toContain("intact: 1 chain, 4 records");
      const fromFile = spawnSync(process.execPath, [BIN, "audit", "verify", spill], { encoding: "utf8" });
      expect(fromFile.status).toBe(0);
      expect(fromFile.stdout).toContain("intact: 1 chain, 4 records");
      expect(auditRecords(readFileSync(spill, "utf8")).map((r) => r.seq)).toEqual([1, 2, 3, 4]);

      // the next start (stdout sink now) names the spill in its own chain
      const next = await serve({ SAFECLAW_AUDIT_SINK: "stdout", ...QUICK, SAFECLAW_AUDIT_SPILL: spill });
      expect(await next.stop()).toBe(0);
      const [start, notice] = auditRecords(next.out());
      expect(start).toMatchObject({ type: "chain-start", seq: 1 });
      expect(notice).toMatchObject({ type: "notice", notice: "undelivered-at-shutdown", seq: 2, file: spill, count: 4, seqs: [1, 4] });
      expect(notice!.message).toContain(chain);
    } finally {
      await dead.close();
    }
  });
});

describe("a signal right after start", () => {
  // Found by CI: SIGTERM sent the moment "serving on <url>" appeared killed the server (no handler yet) in 34 of
  // 40 tries, so a supervisor that stops a just-started server lost its trail. The signal is now held until the
  // shutdown handlers are in place.
  it("SIGTERM as soon as the server says it is serving: exit 0 and the trail flushed, every time (10 tries)", async () => {
    for (let i = 0; i < 10; i++) {
      const s = await serve({ SAFECLAW_AUDIT_SINK: "stdout", ...QUICK });
      expect(await s.stop()).toBe(0);
      expect(
        verifyLines(
          asLines(
            s
              .out()
              .split("\n")
              .filter((l) => l.startsWith("{")),
          ),
        ),
      ).toMatchObject({ ok: true, chains: [{ records: 1 }] });
    }
  });
});

// Skipped only when moto_server is absent outside CI (test/moto.ts warns loudly; under CI=true it fails instead).
describe.skipIf(!MOTO_AVAILABLE)("SIGTERM with a real S3 sink (moto_server)", () => {
  const moto = useMoto(["audit-trail"]);

  it("healthy sink: exit 0, nothing spilled, the trail in S3 complete", async () => {
    const spill = join(mkdtempSync(join(tmpdir(), "safeclaw-spill-")), "undelivered.jsonl");
    const s = await serve({ SAFECLAW_AUDIT_SINK: "s3://audit-trail/healthy", ...moto.env(), ...MOTO_QUICK, SAFECLAW_AUDIT_SPILL: spill });
    for (let i = 0; i < 3; i++) {
      const d = await (await check(s.url, { action: "file.read", path: `/app/${i}` })).json();
      expect(d, d.reason).toMatchObject({ decision: "allow" });
    }
    expect(await s.stop()).toBe(0);
    expect(existsSync(spill)).toBe(false);
    expect(auditRecords(s.err())).toEqual([]);
    const r = verifyLines(await readS3Lines("audit-trail", "healthy", moto.env()));
    expect(r.ok).toBe(true);
    expect(r.chains[0]).toMatchObject({ records: 4 });
  });

  it("the sink dies mid-run: the spill holds only the undelivered tail, which verifies as a segment (--last)", async () => {
    const spill = join(mkdtempSync(join(tmpdir(), "safeclaw-spill-")), "undelivered.jsonl");
    const s = await serve({ SAFECLAW_AUDIT_SINK: "s3://audit-trail/dies", ...moto.env(), ...MOTO_QUICK, SAFECLAW_AUDIT_SPILL: spill });
    let delivered: Awaited<ReturnType<typeof readS3Lines>>;
    try {
      for (let i = 0; i < 2; i++) await check(s.url, { action: "file.read", path: `/app/${i}` });
      delivered = await readS3Lines("audit-trail", "dies", moto.env()); // read now: moto forgets its buckets when it stops
      await moto.stop();
      for (let i = 0; i < 2; i++) await check(s.url, { action: "file.read", path: `/app/late-${i}` });
      expect(await s.stop()).toBe(1);
    } finally {
      await moto.start();
      await moto.createBucket("audit-trail");
    }
    const spilled = auditRecords(readFileSync(spill, "utf8"));
    expect(spilled.map((r) => r.seq)).toEqual([4, 5]);
    // a segment: its first record links to one in S3, so verify it as the chain's tail
    const alone = spawnSync(process.execPath, [BIN, "audit", "verify", spill], { encoding: "utf8" });
    expect(alone.stdout + alone.stderr).toContain("chain starts at seq 4: records 1-3 are missing");
    const tail = spawnSync(process.execPath, [BIN, "audit", "verify", spill, "--last", "1000000"], { encoding: "utf8" });
    expect(tail.stdout).toContain("intact");
    // and the S3 part plus the spill is the whole chain
    const all = [...delivered, ...asLines(readFileSync(spill, "utf8").trim().split("\n"))];
    const whole = verifyLines(all);
    expect(whole.ok).toBe(true);
    expect(whole.chains[0]).toMatchObject({ firstSeq: 1, lastSeq: 5 });
  });
});

describe("401 flood against the real server", () => {
  it("records 10 per source (the socket's address; X-Forwarded-For is ignored), the rest in a notice at shutdown", async () => {
    const s = await serve({ SAFECLAW_AUDIT_SINK: "stdout", SAFECLAW_API_TOKENS: "ci-bot:good-token", ...QUICK });
    for (let i = 0; i < 30; i++) {
      const r = await check(s.url, { action: "file.read", path: "/app/x" }, { authorization: "Bearer nope", "x-forwarded-for": `198.51.100.${i}` });
      expect(r.status).toBe(401);
    }
    expect(await s.stop()).toBe(0);
    const recs = auditRecords(s.out());
    const unauthorized = recs.filter((r) => r.error === "unauthorized");
    expect(unauthorized).toHaveLength(10);
    expect(unauthorized.every((r) => String(r.reason).includes("source 127.0.0.1"))).toBe(true);
    expect(recs.find((r) => r.type === "notice")).toMatchObject({ notice: "unauthorized-aggregated", count: 20 });
    expect(verifyLines(asLines(s.out().trim().split("\n"))).ok).toBe(true);
  });
});
