import { describe, expect, it } from "vitest";
import { AuditLog } from "../src/audit/audit-log.js";
import { auditedCheck } from "../src/audit/audited-check.js";
import { cap } from "../src/audit/cap.js";
import { createLineSink } from "../src/audit/line-sink.js";
import { decisionBody } from "../src/audit/record.js";
import { redact } from "../src/audit/redact.js";
import { verifyLines } from "../src/audit/verify.js";
import { asLines, failingSink } from "./audit-helpers.js";
import { engineFromText } from "./helpers.js";

const POLICY = "rules:\n- {id: read-app, action: file.read, path: '/app/**', effect: allow}";

describe("fail closed when the trail cannot be written", () => {
  it("onAuditFailure: deny turns an allow into a deny, keeps the records, and says so in the trail", async () => {
    const engine = await engineFromText(POLICY);
    const state = { fail: true };
    const written: string[] = [];
    const logged: string[] = [];
    const log = new AuditLog({ sink: failingSink(state, written), chainId: "c", policy: engine.policy.digest, log: (m) => logged.push(m), retryMinMs: 0 });
    const d = await auditedCheck(engine, log, { action: "file.read", path: "/app/a" }, { flush: true });
    expect(d).toMatchObject({ decision: "deny", allowed: false, error: "audit_unavailable" });
    expect(d.reason).toMatch(/audit trail is unavailable.*connection refused.*policy said allow/);
    expect(logged[0]).toMatch(/writing records 1-2 failed/);
    expect(written).toEqual([]);

    state.fail = false;
    const ok = await auditedCheck(engine, log, { action: "file.read", path: "/app/b" }, { flush: true });
    expect(ok.decision).toBe("allow");
    const records = written.map((l) => JSON.parse(l)).filter((r) => r.type !== "checkpoint");
    expect(records.map((r) => r.seq)).toEqual([1, 2, 3, 4]);
    expect(records.find((r) => r.type === "notice")).toMatchObject({ notice: "audit-write-failed", seqs: [2, 2], count: 1 });
    expect(records.find((r) => r.type === "notice").message).toMatch(/denied/);
    expect(verifyLines(asLines(written)).ok).toBe(true);
  });

  it("onAuditFailure: allow lets the decision stand, logs loudly, retries", async () => {
    const engine = await engineFromText(POLICY);
    const state = { fail: true };
    const written: string[] = [];
    const logged: string[] = [];
    const log = new AuditLog({
      sink: failingSink(state, written),
      chainId: "c",
      policy: engine.policy.digest,
      onAuditFailure: "allow",
      log: (m) => logged.push(m),
      retryMinMs: 0,
    });
    expect((await auditedCheck(engine, log, { action: "file.read", path: "/app/a" }, { flush: true })).decision).toBe("allow");
    expect(logged.length).toBe(1);
    state.fail = false;
    expect(await log.flush()).toBe(true);
    const records = written.map((l) => JSON.parse(l)).filter((r) => r.type !== "checkpoint");
    expect(records.map((r) => r.type)).toEqual(["chain-start", "decision", "notice"]);
    expect(records[2].message).toMatch(/decisions stood/);
  });

  it("a full queue refuses (denies) new requests and the trail counts them", async () => {
    const engine = await engineFromText(POLICY);
    const state = { fail: true };
    const written: string[] = [];
    const log = new AuditLog({ sink: failingSink(state, written), chainId: "c", policy: engine.policy.digest, onAuditFailure: "allow", maxPending: 3 });
    const ds = [];
    for (let i = 0; i < 5; i++) ds.push(await auditedCheck(engine, log, { action: "file.read", path: "/app/x" }));
    expect(ds.map((d) => d.decision)).toEqual(["allow", "allow", "deny", "deny", "deny"]);
    state.fail = false;
    await log.flush();
    const notice = written.map((l) => JSON.parse(l)).find((r) => r.notice === "requests-refused-unrecorded");
    expect(notice).toMatchObject({ count: 3 });
    expect(verifyLines(asLines(written)).ok).toBe(true);
  });

  it("batches are written in chain order even when flushes overlap", async () => {
    const lines: string[] = [];
    const log = new AuditLog({
      sink: {
        name: "slow",
        write: async (b) => {
          await new Promise((r) => setTimeout(r, b.firstSeq % 3));
          for (const r of b.records) lines.push(JSON.stringify(r));
          lines.push(JSON.stringify(b.checkpoint));
        },
      },
      chainId: "c",
      policy: "sha256:x",
    });
    const flushes = [];
    for (let i = 0; i < 30; i++) {
      log.record({ type: "decision", decision: "deny", rule: null, reason: String(i), policy: "sha256:x" });
      flushes.push(log.flush());
    }
    await Promise.all(flushes);
    expect(verifyLines(asLines(lines)).ok).toBe(true);
  });

  it("autoFlushMs writes without an explicit flush", async () => {
    const lines: string[] = [];
    const log = new AuditLog({ sink: createLineSink((l) => void lines.push(l)), chainId: "c", policy: "sha256:x", autoFlushMs: 5 });
    const { durable } = log.record({ type: "decision", decision: "deny", rule: null, reason: "r", policy: "sha256:x" });
    await durable;
    expect(lines.length).toBe(3);
  });
});

describe("secrets never land in the trail", () => {
  it.each([
    ["curl -H 'Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.abc.def' https://api.x.com", "eyJhbGci"],
    ['curl -H "authorization: token ghp_0123456789abcdefghijklmnopqrstuvwxyz" x', "ghp_0123"],
    ["https://api.x.com/v1?api_key=supersecret123&q=1", "supersecret123"],
    ["https://x.com/cb?access_token=abc.def.ghi", "abc.def.ghi"],
    ["AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE aws s3 ls", "AKIAIOSFODNN7EXAMPLE"],
    ["export OPENAI_API_KEY=sk-proj-abcdefghijklmnopqrstuvwx", "sk-proj-abcdef"],
    ["ANTHROPIC=sk-ant-api03-abcdefghijklmnopqrstuvwxyz0123", "sk-ant-api03"],
    ["mysql --password=hunter2 -u root", "hunter2"],
    ["git clone https://user:p4ssw0rd@github.com/x/y", "p4ssw0rd"],
    ["curl -u x https://hooks.slack.com -d token=xoxb-1234567890-abcdef", "xoxb-1234567890"],
    ["echo '-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA\n-----END RSA PRIVATE KEY-----'", "MIIEpAIBAAKCAQEA"],
  ])("%s", (text, secret) => {
    const r = redact(text);
    expect(r).not.toContain(secret);
    expect(r).toContain("[REDACTED]");
  });

  it("redacts in the record before hashing, and never records env values", () => {
    const body = decisionBody(
      { action: "network.request", url: "https://x.com/?token=abc123secret", agent: "a" },
      { decision: "deny", allowed: false, rule: null, reason: "r", policy: "p", action: "network.request" },
    );
    expect(JSON.stringify(body)).not.toContain("abc123secret");
    const env = decisionBody({ action: "env.read", key: "AWS_SECRET_ACCESS_KEY" }, { decision: "deny", allowed: false, rule: null, reason: "r", policy: "p" });
    expect(env.target).toEqual({ key: "AWS_SECRET_ACCESS_KEY" });
  });

  it("caps long fields with their length and the hash of the whole", () => {
    const long = "x".repeat(10_000);
    const c = cap(long);
    expect(c.length).toBeLessThan(2200);
    expect(c).toMatch(/…\[capped: 10000 chars, sha256:[0-9a-f]{64}\]$/);
    expect(cap("short")).toBe("short");
  });
});
