import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { AuditLog } from "../src/audit/audit-log.js";
import { Chain } from "../src/audit/chain.js";
import { verifyLines } from "../src/audit/verify.js";
import { s3Lines } from "../src/runtime/node/s3-read.js";
import { S3Sink } from "../src/runtime/node/s3-sink.js";
import { deadEndpoint, MOTO_AVAILABLE, useMoto } from "./moto.js";

/** `safeclaw audit verify` as a real process: 0 intact, 1 broken, 2 could not verify, never a crash. */
const BIN = new URL("../bin/safeclaw.js", import.meta.url).pathname;

function run(args: string[], opts: { input?: string; env?: Record<string, string> } = {}) {
  const env: Record<string, string | undefined> = { ...process.env };
  delete env.SAFECLAW_AUDIT_SINK;
  delete env.SAFECLAW_AUDIT_PUBLIC_KEY;
  Object.assign(env, opts.env);
  const r = spawnSync(process.execPath, [BIN, ...args], { input: opts.input ?? "", encoding: "utf8", timeout: 60_000, env, maxBuffer: 1 << 26 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The same, without blocking this process (which serves the dead endpoint). */
function runAsync(args: string[], env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, ...env }, stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    p.stderr.on("data", (d) => (stderr += d));
    p.on("close", (code) => resolve({ code, stderr }));
  });
}

function chainLines(id: string, records: number, batch: number, previous?: { chain: string; seq: number; hash: string }): string[] {
  const chain = new Chain(id, () => Date.parse("2026-12-02T13:00:00Z"));
  const out = [JSON.stringify(chain.append({ type: "chain-start", instance: {}, policy: "sha256:x", ...(previous ? { previous } : {}) }))];
  for (let i = 1; i < records; i++) {
    const r = chain.append({ type: "decision", decision: "deny", rule: null, reason: `r${i}`, policy: "sha256:x" });
    out.push(JSON.stringify(r));
    if (i % batch === 0 || i === records - 1) out.push(JSON.stringify({ v: 1, type: "checkpoint", chain: id, seq: r.seq, head: r.hash, time: r.time }));
  }
  return out;
}

const headOf = (lines: string[]) => {
  const r = JSON.parse(lines.filter((l) => !l.includes('"checkpoint"')).pop()!);
  return { chain: r.chain, seq: r.seq, hash: r.hash };
};

function file(name: string, text: string): string {
  const path = join(mkdtempSync(join(tmpdir(), "safeclaw-verify-")), name);
  writeFileSync(path, text);
  return path;
}

const earlier = chainLines("earlier", 12, 5);
const later = chainLines("later", 4, 5, headOf(earlier));

describe("audit verify exit codes through the CLI", () => {
  it.each<[string, number, () => string[], RegExp]>([
    ["an intact trail of two chains", 0, () => [file("a.jsonl", [...earlier, ...later].join("\n") + "\n")], /intact: 2 chains, 16 records/],
    [
      "an edited record",
      1,
      () => [file("a.jsonl", [...earlier, ...later].join("\n").replace('"reason":"r3"', '"reason":"R3"'))],
      /BROKEN: edited: chain earlier seq 4 at .*a\.jsonl:4/,
    ],
    [
      "the earlier chain deleted",
      1,
      () => [file("a.jsonl", later.join("\n"))],
      /BROKEN: missing-chain: chain earlier seq 12 .*which is not in .*a\.jsonl: it was deleted, or give --allow-missing-previous/,
    ],
    [
      "the earlier chain deleted, verifying a slice",
      0,
      () => [file("a.jsonl", later.join("\n")), "--allow-missing-previous"],
      /note: missing-previous: .*intact: 1 chain/s,
    ],
    [
      "a torn last line",
      0,
      () => [file("a.jsonl", [...earlier.slice(0, -2), earlier[earlier.length - 2]!.slice(0, 70)].join("\n"))],
      /note: torn-tail: torn tail of chain earlier.*after its last complete record, seq 11.*\(at .*a\.jsonl:14 \(byte \d+\)\).*intact: 1 chain, 11 records, 1 torn tail/s,
    ],
    [
      "a torn line with the next process's chain-start glued on",
      0,
      () => [
        file(
          "a.jsonl",
          [...earlier.slice(0, -2), earlier[earlier.length - 2]!.slice(0, 70) + chainLines("later", 4, 5, headOf(earlier.slice(0, -2))).join("\n")].join("\n"),
        ),
      ],
      /intact: 2 chains, 15 records, 1 torn tail/,
    ],
    [
      "acknowledged records deleted behind a torn line (their checkpoint left)",
      1,
      () => [file("a.jsonl", [...earlier.slice(0, 8), earlier[8]!.slice(0, 70), ...earlier.slice(-1)].join("\n"))],
      /BROKEN: truncated/,
    ],
    ["no such file", 2, () => ["/no/such/dir/audit.jsonl"], /could not verify .*no such file or directory/],
    ["a file without one audit record", 2, () => [file("a.log", 'hello\n{"level":"info"}\n')], /could not verify .*no audit records/],
    ["an empty directory", 2, () => [mkdtempSync(join(tmpdir(), "safeclaw-empty-"))], /could not verify .*holds no files/],
    ["a line longer than any audit line", 2, () => [file("a.jsonl", "x".repeat(70 * 1024 * 1024))], /could not verify .*longer than/],
    [
      "a trail needing a look back past the window: a checkpoint moved far from its batch",
      2,
      () => {
        const long = chainLines("w", 5000, 10000);
        const early = JSON.parse(long[3]!);
        return [
          file("a.jsonl", [...long, JSON.stringify({ v: 1, type: "checkpoint", chain: "w", seq: early.seq, head: early.hash, time: early.time })].join("\n")),
        ];
      },
      /COULD NOT VERIFY: chain w seq 4/,
    ],
  ])("%s: exit %i", (_case, code, args, out) => {
    const r = run(["audit", "verify", ...args()]);
    expect({ code: r.code, out: r.stdout + r.stderr }).toMatchObject({ code, out: expect.stringMatching(out) });
    expect(r.stderr).not.toMatch(/at .*\.js:\d+:\d+|RangeError|TypeError/); // a message, never a stack
  });

  it("past the old reader's limit (~125k lines, a spread that overflowed the stack): 130k lines from a file and from stdin", () => {
    const big = chainLines("big", 65_001, 1).join("\n") + "\n";
    expect(big.split("\n").length).toBeGreaterThan(130_000);
    expect(run(["audit", "verify", file("big.jsonl", big)])).toMatchObject({ code: 0, stdout: expect.stringContaining("intact: 1 chain, 65001 records") });
    expect(run(["audit", "verify", "-"], { input: big })).toMatchObject({ code: 0, stdout: expect.stringContaining("intact: 1 chain, 65001 records") });
  }, 60_000);

  it("a file's quarantined torn tail is named, not read", () => {
    const path = file("audit.jsonl", earlier.join("\n") + "\n");
    writeFileSync(`${path}.torn-20261202T013000123Z`, '{"type":"decision","v":1,"cha');
    const r = run(["audit", "verify", path]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/note: .*audit\.jsonl\.torn-20261202T013000123Z: a quarantined torn tail .*skipped/);
  });

  it("--hour is for S3 sources, and takes an hour or a day", () => {
    expect(run(["audit", "verify", file("a.jsonl", earlier.join("\n")), "--hour", "2026/12/02/13"])).toMatchObject({
      code: 64,
      stderr: expect.stringMatching(/not an s3:\/\/ location/),
    });
    expect(run(["audit", "verify", "s3://b/p", "--hour", "yesterday"])).toMatchObject({ code: 64, stderr: expect.stringMatching(/give YYYY\/MM\/DD\/HH/) });
  });

  it("an S3 endpoint that is down: exit 2 naming the listing that failed", async () => {
    const dead = await deadEndpoint();
    try {
      const env = { AWS_ENDPOINT_URL: dead.url, AWS_REGION: "us-east-1", AWS_ACCESS_KEY_ID: "x", AWS_SECRET_ACCESS_KEY: "x" };
      const r = await runAsync(["audit", "verify", "s3://trail/p"], env);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/could not verify s3:\/\/trail\/p: listing s3:\/\/trail\/p\/ failed/);
    } finally {
      await dead.close();
    }
  });
});

// Skipped only when moto_server is absent outside CI (test/moto.ts warns loudly; under CI=true it fails instead).
describe.skipIf(!MOTO_AVAILABLE)("S3 read page by page (moto_server)", () => {
  const moto = useMoto(["verify-trail"]);
  const HOURS = ["2026-12-02T12:10:00Z", "2026-12-02T13:05:00Z", "2026-12-02T13:40:00Z", "2026-12-03T01:00:00Z"];

  async function writeTrail(prefix: string) {
    for (const chainId of ["lambda-a", "lambda-b"]) {
      let now = 0;
      const log = new AuditLog({ sink: new S3Sink({ bucket: "verify-trail", prefix, env: moto.env() }), chainId, policy: "sha256:x", clock: () => now });
      for (const h of HOURS) {
        now = Date.parse(h);
        log.record({ type: "decision", decision: "deny", rule: null, reason: `${chainId} ${h}`, policy: "sha256:x" });
        expect(await log.flush()).toBe(true);
      }
    }
  }

  it("a listing of several pages (MaxKeys 3 for 8 objects) reads every object, in key order, and the trail verifies", async () => {
    await writeTrail("paged");
    const lines = [];
    for await (const l of s3Lines("verify-trail", "paged", moto.env(), { pageSize: 3 })) lines.push(l);
    const objects = new Set(lines.map((l) => l.where.replace(/:\d+$/, "")));
    expect(objects.size).toBe(8);
    expect([...objects]).toEqual([...objects].sort());
    const r = verifyLines(lines);
    expect(r.problem).toBeUndefined();
    expect(r.chains.map((c) => [c.chain, c.records])).toEqual([
      ["lambda-a", 5],
      ["lambda-b", 5],
    ]);
  });

  it("through the CLI: the whole prefix is intact; --hour reads one hour (a slice), a day reads that day", async () => {
    await writeTrail("cli");
    const whole = run(["audit", "verify", "s3://verify-trail/cli"], { env: moto.env() });
    expect(whole).toMatchObject({ code: 0, stdout: expect.stringContaining("intact: 2 chains, 10 records") });
    const hour = run(["audit", "verify", "s3://verify-trail/cli", "--hour", "2026/12/02/13"], { env: moto.env() });
    expect(hour).toMatchObject({ code: 0, stdout: expect.stringContaining("intact: 2 chains, 4 records") });
    expect(hour.stdout).toMatch(/chain lambda-a: 2 records \(seq 3-4\)/);
    const day = run(["audit", "verify", "s3://verify-trail/cli", "--hour", "2026-12-02"], { env: moto.env() });
    expect(day).toMatchObject({ code: 0, stdout: expect.stringContaining("intact: 2 chains, 8 records") });
    // without --hour, a prefix that starts mid-chain is a gap, not a slice
    expect(run(["audit", "verify", "s3://verify-trail/cli/2026/12/02/13"], { env: moto.env() })).toMatchObject({
      code: 1,
      stderr: expect.stringMatching(/missing/),
    });
    expect(run(["audit", "verify", "s3://verify-trail/cli", "--hour", "2027/01/01"], { env: moto.env() })).toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/no audit records/),
    });
    expect(run(["audit", "verify", "s3://no-such-bucket/cli"], { env: moto.env() })).toMatchObject({ code: 2, stderr: expect.stringMatching(/NoSuchBucket/) });
  });
});
