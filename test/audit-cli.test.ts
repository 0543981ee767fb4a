import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { AuditLog } from "../src/audit/audit-log.js";
import { FileSink, lastChainHead } from "../src/runtime/node/file-sink.js";
import { FIXTURES } from "./helpers.js";

const BIN = new URL("../bin/safeclaw.js", import.meta.url).pathname;
const POLICY = join(FIXTURES, "seeds/fly.yaml");

function run(args: string[], opts: { input?: string; env?: Record<string, string> } = {}) {
  const env = { ...process.env, ...opts.env };
  delete env.SAFECLAW_AUDIT_SINK;
  Object.assign(env, opts.env);
  const r = spawnSync(process.execPath, [BIN, ...args], { input: opts.input ?? "", encoding: "utf8", timeout: 30_000, env });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const REQUESTS = [
  '{"action":"file.read","path":"/app/a"}',
  '{"action":"network.request","url":"http://0xa9fea9fe/"}',
  "not json",
  '{"action":"env.read","key":"FLY_API_TOKEN"}',
].join("\n");

describe("audit through the CLI", () => {
  it("check --audit <file> records every decision (bad lines too); restarts chain onto the previous head; verify says intact", () => {
    const dir = mkdtempSync(join(tmpdir(), "safeclaw-audit-"));
    const file = join(dir, "audit.log");
    expect(run(["check", "-p", POLICY, "--audit", file], { input: REQUESTS }).code).toBe(0);
    expect(run(["check", "-p", POLICY, "--audit", file, "-r", '{"action":"file.read","path":"/app/b"}']).code).toBe(0);
    const records = readFileSync(file, "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l))
      .filter((r) => r.type !== "checkpoint");
    expect(records.filter((r) => r.type === "decision").map((r) => r.decision)).toEqual(["allow", "deny", "deny", "deny", "allow"]);
    const starts = records.filter((r) => r.type === "chain-start");
    expect(starts[1].previous).toEqual({ chain: starts[0].chain, seq: 5, hash: records[4].hash });
    const v = run(["audit", "verify", file]);
    expect(v.code).toBe(0);
    expect(v.stdout).toContain("intact: 2 chains, 7 records");
  });

  it("verify names the line of an edit and exits 1", () => {
    const dir = mkdtempSync(join(tmpdir(), "safeclaw-audit-"));
    const file = join(dir, "audit.log");
    run(["check", "-p", POLICY, "--audit", file], { input: REQUESTS });
    const lines = readFileSync(file, "utf8").split("\n");
    const i = lines.findIndex((l) => l.includes('"path":"/app/a"'));
    lines[i] = lines[i]!.replace('"decision":"allow"', '"decision":"deny"');
    writeFileSync(file, lines.join("\n"));
    const v = run(["audit", "verify", file]);
    expect(v.code).toBe(1);
    expect(v.stderr).toContain(`BROKEN: edited: chain`);
    expect(v.stderr).toContain(`${file}:${i + 1}`);
  });

  it("signed checkpoints: keygen, sign through the env, verify with the public key", () => {
    const keys = Object.fromEntries(
      run(["audit", "keygen"])
        .stdout.trim()
        .split("\n")
        .map((l) => l.split(/=(.*)/s).slice(0, 2)),
    );
    const dir = mkdtempSync(join(tmpdir(), "safeclaw-audit-"));
    const file = join(dir, "audit.log");
    run(["check", "-p", POLICY], { input: REQUESTS, env: { SAFECLAW_AUDIT_SINK: file, SAFECLAW_AUDIT_SIGNING_KEY: keys.SAFECLAW_AUDIT_SIGNING_KEY } });
    const ok = run(["audit", "verify", file, "--public-key", keys.SAFECLAW_AUDIT_PUBLIC_KEY]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain("every checkpoint signature valid");
    const other = run(["audit", "keygen"]).stdout.match(/PUBLIC_KEY=(.*)/)![1]!;
    expect(run(["audit", "verify", file, "--public-key", other])).toMatchObject({ code: 1, stderr: expect.stringContaining("bad-signature") });
  });

  it("stdout sink, wrapped by a log drain, verifies from stdin; OCSF lines verify too", () => {
    // `check` keeps stdout for its decisions: a stdout sink writes to stderr there
    const out = run(["check", "-p", POLICY, "--audit", "stdout"], { input: REQUESTS }).stderr.trim().split("\n");
    const drained = out.map((l) => JSON.stringify({ message: l, fly: { region: "iad" } })).join("\n");
    expect(run(["audit", "verify", "-"], { input: drained })).toMatchObject({ code: 0, stdout: expect.stringContaining("intact: 1 chain, 5 records") });
    const ocsf = run(["check", "-p", POLICY, "--audit", "stdout"], { input: REQUESTS, env: { SAFECLAW_AUDIT_FORMAT: "ocsf" } })
      .stderr.trim()
      .split("\n");
    const denied = ocsf.map((l) => JSON.parse(l)).find((o) => o.class_uid === 6003 && o.action_id === 2);
    expect(denied).toMatchObject({
      class_uid: 6003,
      category_uid: 6,
      type_uid: 600399,
      action_id: 2,
      disposition_id: 2,
      authorizations: [{ decision: "deny" }],
    });
    expect(run(["audit", "verify", "-"], { input: ocsf.join("\n") })).toMatchObject({ code: 0 });
  });

  it("export filters and formats", () => {
    const dir = mkdtempSync(join(tmpdir(), "safeclaw-audit-"));
    const file = join(dir, "audit.log");
    run(["check", "-p", POLICY, "--audit", file], { input: REQUESTS });
    const json = JSON.parse(run(["audit", "export", file, "--filter", "action=network.request", "--format", "json", "--since", "24h"]).stdout);
    expect(json).toHaveLength(1);
    expect(json[0]).toMatchObject({ action: "network.request", decision: "deny", reason: "Block instance metadata access" });
    const csv = run(["audit", "export", file, "--filter", "decision=deny", "--format", "csv"]).stdout.trim().split("\n");
    expect(csv[0]).toBe("time,chain,seq,type,action,decision,rule,agent,target,reason,policy,hash");
    expect(csv).toHaveLength(4);
    expect(run(["audit", "export", file, "--since", "2999-01-01T00:00:00Z", "--format", "ndjson"]).stdout).toBe("");
    expect(run(["audit", "export", file, "--filter", "bogus=1"]).code).toBe(64);
  });
});

describe("file sink", () => {
  it("rotation continues the chain across files, and verify reads them in order", async () => {
    const dir = mkdtempSync(join(tmpdir(), "safeclaw-rot-"));
    const path = join(dir, "audit.log");
    const log = new AuditLog({ sink: new FileSink(path, { maxBytes: 1500 }), chainId: "rot", policy: "sha256:x" });
    for (let i = 0; i < 20; i++) {
      log.record({ type: "decision", decision: "deny", rule: null, reason: `r${i}`, policy: "sha256:x" });
      await log.flush();
    }
    expect(readdirSync(dir).length).toBeGreaterThan(3);
    expect(await lastChainHead(path)).toMatchObject({ chain: "rot", seq: 21 });
    expect(run(["audit", "verify", path])).toMatchObject({ code: 0, stdout: expect.stringContaining("21 records") });
    // Deleting a rotated file in the middle is a gap, not a quiet shortening.
    const rotated = readdirSync(dir)
      .filter((n) => n !== "audit.log")
      .sort();
    const { rmSync } = await import("node:fs");
    rmSync(join(dir, rotated[1]!));
    expect(run(["audit", "verify", path])).toMatchObject({ code: 1, stderr: expect.stringContaining("missing") });
  });

  it("a crash between records and flush leaves an intact trail of what was flushed", async () => {
    const dir = mkdtempSync(join(tmpdir(), "safeclaw-crash-"));
    const path = join(dir, "audit.log");
    const log = new AuditLog({ sink: new FileSink(path), chainId: "crash", policy: "sha256:x" });
    log.record({ type: "decision", decision: "allow", rule: "r", reason: "flushed", policy: "sha256:x" });
    await log.flush();
    log.record({ type: "decision", decision: "allow", rule: "r", reason: "never flushed", policy: "sha256:x" });
    // the process dies here: the second record was never durable, so (deny mode) its request was never answered
    const v = run(["audit", "verify", path]);
    expect(v.code).toBe(0);
    expect(v.stdout).toContain("2 records");
    // and the next process names where the previous one stopped
    expect(await lastChainHead(path)).toMatchObject({ chain: "crash", seq: 2 });
  });
});
