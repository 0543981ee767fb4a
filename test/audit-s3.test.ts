import { describe, expect, it, vi } from "vitest";
import { ListObjectsV2Command } from "@aws-sdk/client-s3";
import { AuditLog } from "../src/audit/audit-log.js";
import { auditedCheck } from "../src/audit/audited-check.js";
import { verifyLines } from "../src/audit/verify.js";
import { readS3Lines, S3Sink, s3ClientFromEnv } from "../src/runtime/node/s3-sink.js";
import { engineFromText } from "./helpers.js";
import { MOTO_AVAILABLE, useMoto } from "./moto.js";

const POLICY = "rules:\n- {id: read-app, action: file.read, path: '/app/**', effect: allow}";

// Skipped only when moto_server is absent outside CI (test/moto.ts warns loudly; under CI=true it fails instead).
describe.skipIf(!MOTO_AVAILABLE)("S3 sink against a real S3-compatible server (moto_server)", () => {
  const moto = useMoto(["audit"]);

  const listKeys = async (prefix: string) => {
    const r = await (await s3ClientFromEnv(moto.env())).send(new ListObjectsV2Command({ Bucket: "audit", Prefix: prefix }));
    return (r.Contents ?? []).map((o) => o.Key!).sort();
  };

  it("writes one object per batch under a time/chain/seq key, and the objects verify", async () => {
    const engine = await engineFromText(POLICY);
    const log = new AuditLog({
      sink: new S3Sink({ bucket: "audit", prefix: "trail/a", env: moto.env() }),
      chainId: "lambda-1",
      policy: engine.policy.digest,
      clock: () => Date.parse("2026-11-23T10:15:00Z"),
    });
    await auditedCheck(engine, log, { action: "file.read", path: "/app/x" }, { flush: true });
    await auditedCheck(engine, log, { action: "file.read", path: "/etc/x" }, { flush: true });
    expect(await listKeys("trail/a/")).toEqual(["trail/a/2026/11/23/10/lambda-1/000000000001.jsonl", "trail/a/2026/11/23/10/lambda-1/000000000003.jsonl"]);
    const lines = await readS3Lines("audit", "trail/a", moto.env());
    const r = verifyLines(lines);
    expect(r.ok).toBe(true);
    expect(r.chains[0]).toMatchObject({ records: 3, checkpoints: 2 });
  });

  it("never overwrites a batch: a second writer on the same key keeps its batch beside the first (.conflict-), and verify shows both", async () => {
    const logged: string[] = [];
    const mk = (reason: string) => {
      const log = new AuditLog({
        sink: new S3Sink({ bucket: "audit", prefix: "trail/b", env: moto.env(), attempts: 1, log: (m) => logged.push(m) }),
        chainId: "same-chain",
        policy: "sha256:x",
        clock: () => Date.parse("2026-11-23T11:00:00Z"),
      });
      log.record({ type: "decision", decision: "deny", rule: null, reason, policy: "sha256:x" });
      return log;
    };
    expect(await mk("first").flush()).toBe(true);
    expect(await mk("second").flush()).toBe(true);
    expect(logged.join("\n")).toMatch(/already exists with other content.*not overwriting it.*\.conflict-[0-9a-f]{16}\.jsonl/);
    const lines = await readS3Lines("audit", "trail/b", moto.env());
    expect(lines.find((l) => l.text.includes('"reason":"first"'))!.where).toMatch(/000000000001\.jsonl:2$/);
    expect(lines.find((l) => l.text.includes('"reason":"second"'))!.where).toMatch(/000000000001\.conflict-[0-9a-f]{16}\.jsonl:2$/);
    expect(verifyLines(lines)).toMatchObject({ ok: false, problem: { kind: "duplicated", seq: 1 } }); // both chain starts are identical (same id, same clock)
  });

  it("two writers with their own chains never collide", async () => {
    const logs = ["w1", "w2"].map(
      (c) => new AuditLog({ sink: new S3Sink({ bucket: "audit", prefix: "trail/c", env: moto.env() }), chainId: c, policy: "sha256:x" }),
    );
    await Promise.all(
      logs.map(async (log) => {
        for (let i = 0; i < 5; i++) {
          log.record({ type: "decision", decision: "deny", rule: null, reason: String(i), policy: "sha256:x" });
          await log.flush();
        }
      }),
    );
    const r = verifyLines(await readS3Lines("audit", "trail/c", moto.env()));
    expect(r.ok).toBe(true);
    expect(r.chains.map((c) => [c.chain, c.records])).toEqual([
      ["w1", 6],
      ["w2", 6],
    ]);
  });

  it("S3 down: deny mode denies; allow mode allows; both catch up with a notice once S3 is back", async () => {
    const engine = await engineFromText(POLICY);
    const logs = (["deny", "allow"] as const).map(
      (mode) =>
        new AuditLog({
          sink: new S3Sink({ bucket: "audit", prefix: `trail/down-${mode}`, env: moto.env(), attempts: 2 }),
          chainId: `down-${mode}`,
          policy: engine.policy.digest,
          onAuditFailure: mode,
          log: () => undefined,
        }),
    );
    await moto.stop();
    const [denied, allowed] = await Promise.all(logs.map((log) => auditedCheck(engine, log, { action: "file.read", path: "/app/x" }, { flush: true })));
    expect(denied).toMatchObject({ decision: "deny", error: "audit_unavailable" });
    expect(allowed).toMatchObject({ decision: "allow" });
    await moto.start(); // a fresh, empty server on the same port
    await moto.createBucket("audit");
    for (const [i, log] of logs.entries()) {
      // No traffic: the background retry delivers the queued batch by itself and readiness comes back.
      await vi.waitFor(() => expect(log.failing).toBeUndefined(), { timeout: 20_000, interval: 50 });
      expect(await log.flush()).toBe(true);
      const lines = await readS3Lines("audit", `trail/down-${["deny", "allow"][i]}`, moto.env());
      expect(verifyLines(lines).ok).toBe(true);
      expect(lines.map((l) => l.text).join()).toContain('"notice":"audit-write-failed"');
    }
  }, 60_000);
});
