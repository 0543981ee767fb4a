import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { verifyLines } from "../src/audit/verify.js";
import { asLines } from "./audit-helpers.js";
import { freePort } from "./moto.js";

const BIN = new URL("../bin/safeclaw.js", import.meta.url).pathname;
const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill("SIGKILL");
});

async function startServer(args: string[], env: Record<string, string> = {}) {
  const port = await freePort();
  const child = spawn(process.execPath, [BIN, "serve", "--port", String(port), ...args], { env: { ...process.env, SAFECLAW_AUDIT_SINK: "", ...env }, stdio: ["ignore", "pipe", "pipe"] });
  children.push(child);
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (d) => (stdout += d));
  child.stderr!.on("data", (d) => (stderr += d));
  const deadline = Date.now() + 20_000;
  while (!stderr.includes("serving")) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`server did not start: ${stderr}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return { url: `http://127.0.0.1:${port}`, child, exited, out: () => stdout, err: () => stderr };
}

const check = (url: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${url}/v1/check`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) });

describe("the Node server as a real process", () => {
  it("npm start's defaults: example policy, loopback, audit to stdout; SIGTERM flushes a trail that verifies", async () => {
    const s = await startServer([]);
    const answers = await Promise.all(
      Array.from({ length: 40 }, (_, i) => check(s.url, i % 2 ? { action: "file.read", path: `/app/${i}` } : { action: "network.request", url: "http://0xa9fea9fe/" }).then((r) => r.json())),
    );
    expect(answers.filter((a) => a.decision === "allow")).toHaveLength(20);
    expect(new Set(answers.map((a) => a.policy)).size).toBe(1);
    s.child.kill("SIGTERM");
    expect(await s.exited).toBe(0);
    const lines = s.out().trim().split("\n");
    const report = verifyLines(asLines(lines));
    expect(report.ok).toBe(true);
    expect(report.chains[0]!.records).toBe(41); // chain-start + 40 decisions
    expect(s.err()).toContain("SIGTERM");
  });

  it("a file audit sink is complete after SIGTERM, and a restart chains onto it", async () => {
    const dir = mkdtempSync(join(tmpdir(), "safeclaw-srv-"));
    const file = join(dir, "audit.log");
    for (let round = 0; round < 2; round++) {
      const s = await startServer(["--audit", file], { FLY_REGION: "iad", FLY_MACHINE_ID: "m123" });
      for (let i = 0; i < 5; i++) await check(s.url, { action: "file.read", path: `/app/${i}` });
      s.child.kill("SIGTERM");
      expect(await s.exited).toBe(0);
    }
    const records = readFileSync(file, "utf8").trim().split("\n").map((l) => JSON.parse(l)).filter((r) => r.type !== "checkpoint");
    const starts = records.filter((r) => r.type === "chain-start");
    expect(starts[0].instance).toEqual({ runtime: "node", region: "iad", machine: "m123" });
    expect(starts[0].chain).toMatch(/^iad-m123-/);
    expect(starts[1].previous).toMatchObject({ chain: starts[0].chain, seq: 6 });
    const v = spawnSync(process.execPath, [BIN, "audit", "verify", file], { encoding: "utf8" });
    expect(v.stdout).toContain("intact: 2 chains, 12 records");
  });

  it("with tokens it requires them; without tokens it refuses to listen beyond loopback", async () => {
    const s = await startServer([], { SAFECLAW_API_TOKENS: "abc123,def456" });
    expect((await check(s.url, { action: "file.read", path: "/app/x" })).status).toBe(401);
    expect((await check(s.url, { action: "file.read", path: "/app/x" }, { authorization: "Bearer def456" })).status).toBe(200);
    const r = spawnSync(process.execPath, [BIN, "serve", "--host", "0.0.0.0", "--port", "0"], { encoding: "utf8", env: { ...process.env, SAFECLAW_API_TOKENS: "" }, timeout: 20_000 });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("refusing to listen on 0.0.0.0 without SAFECLAW_API_TOKENS");
  });

  it("serves a build-time bundle, and refuses a tampered one", async () => {
    const dir = mkdtempSync(join(tmpdir(), "safeclaw-bundle-"));
    const policy = new URL("../examples/safeclaw.config.yaml", import.meta.url).pathname;
    const b1 = spawnSync(process.execPath, [BIN, "build", "--policy", policy, "--out", join(dir, "a")], { encoding: "utf8" });
    const b2 = spawnSync(process.execPath, [BIN, "build", "--policy", policy, "--out", join(dir, "b")], { encoding: "utf8" });
    expect(b1.status).toBe(0);
    const a = JSON.parse(readFileSync(join(dir, "a/policy-bundle.json"), "utf8"));
    const b = JSON.parse(readFileSync(join(dir, "b/policy-bundle.json"), "utf8"));
    expect(a.digest).toBe(b.digest);
    const s = await startServer(["--bundle", join(dir, "a/policy-bundle.json")]);
    const info = await (await fetch(`${s.url}/v1/policy`)).json();
    expect(info).toMatchObject({ digest: a.digest, rules: 9, builtAt: a.builtAt });
    a.ir.rules[0].effect = "deny";
    const { writeFileSync } = await import("node:fs");
    writeFileSync(join(dir, "tampered.json"), JSON.stringify(a));
    const r = spawnSync(process.execPath, [BIN, "serve", "--bundle", join(dir, "tampered.json"), "--port", "0"], { encoding: "utf8", timeout: 20_000 });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("digest mismatch");
  });
});
