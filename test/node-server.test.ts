import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { verifyLines } from "../src/audit/verify.js";
import { asLines } from "./audit-helpers.js";
import { portFromOutput } from "./moto.js";

const BIN = new URL("../bin/safeclaw.js", import.meta.url).pathname;
const ROOT = new URL("../", import.meta.url).pathname;
const EXAMPLE = join(ROOT, "examples/safeclaw.config.yaml");
// \`npm start\` as npm runs it (sh -c with the package's start script); \`exec\` so SIGTERM reaches the server, not a shell.
const NPM_START: [string, string[]] = ["sh", ["-c", `exec ${JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).scripts.start}`]];
const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill("SIGKILL");
});

const SERVING = /serving .* on http:\/\/127\.0\.0\.1:(\d+)/;

/** Starts `safeclaw serve` on port 0 (or the given command line, e.g. npm's start script) and reads its port from its log. */
async function startServer(
  args: string[],
  env: Record<string, string> = {},
  command: [string, string[]] = [process.execPath, [BIN, "serve", "--port", "0", ...args]],
  cwd = ROOT,
) {
  const child = spawn(command[0], command[1], { cwd, env: { ...process.env, SAFECLAW_AUDIT_SINK: "", ...env }, stdio: ["ignore", "pipe", "pipe"] });
  children.push(child);
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d) => (stdout += d));
  child.stderr.on("data", (d) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  const port = await portFromOutput(child, SERVING, "safeclaw serve");
  return { url: `http://127.0.0.1:${port}`, child, exited, out: () => stdout, err: () => stderr };
}

const check = (url: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${url}/v1/check`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) });

describe("the Node server as a real process", () => {
  it("npm start's defaults: example policy, loopback, audit to stdout; SIGTERM flushes a trail that verifies", async () => {
    const s = await startServer([], { PORT: "0", SAFECLAW_POLICY: "" }, NPM_START);
    const answers = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        check(s.url, i % 2 ? { action: "file.read", path: `/app/${i}` } : { action: "network.request", url: "http://0xa9fea9fe/" }).then((r) => r.json()),
      ),
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
      const s = await startServer(["--policy", EXAMPLE, "--audit", file], { FLY_REGION: "iad", FLY_MACHINE_ID: "m123" });
      for (let i = 0; i < 5; i++) await check(s.url, { action: "file.read", path: `/app/${i}` });
      s.child.kill("SIGTERM");
      expect(await s.exited).toBe(0);
    }
    const records = readFileSync(file, "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l))
      .filter((r) => r.type !== "checkpoint");
    const starts = records.filter((r) => r.type === "chain-start");
    expect(starts[0].instance).toEqual({ runtime: "node", region: "iad", machine: "m123" });
    expect(starts[0].chain).toMatch(/^iad-m123-/);
    expect(starts[1].previous).toMatchObject({ chain: starts[0].chain, seq: 6 });
    const v = spawnSync(process.execPath, [BIN, "audit", "verify", file], { encoding: "utf8" });
    expect(v.stdout).toContain("intact: 2 chains, 12 records");
  });

  it("with tokens it requires them; without tokens it refuses to listen beyond loopback", async () => {
    const s = await startServer(["--policy", EXAMPLE], { SAFECLAW_API_TOKENS: "abc123,def456" });
    expect((await check(s.url, { action: "file.read", path: "/app/x" })).status).toBe(401);
    expect((await check(s.url, { action: "file.read", path: "/app/x" }, { authorization: "Bearer def456" })).status).toBe(200);
    const r = spawnSync(process.execPath, [BIN, "serve", "--host", "0.0.0.0", "--port", "0"], {
      encoding: "utf8",
      env: { ...process.env, SAFECLAW_API_TOKENS: "" },
      timeout: 20_000,
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("refusing to listen on 0.0.0.0 without SAFECLAW_API_TOKENS");
  });

  it("serves a build-time bundle, and refuses a tampered one", async () => {
    const dir = mkdtempSync(join(tmpdir(), "safeclaw-bundle-"));
    const policy = EXAMPLE;
    const b1 = spawnSync(process.execPath, [BIN, "build", "--policy", policy, "--out", join(dir, "a")], { encoding: "utf8" });
    const b2 = spawnSync(process.execPath, [BIN, "build", "--policy", policy, "--out", join(dir, "b")], { encoding: "utf8" });
    expect(b1.status).toBe(0);
    expect(b2.status).toBe(0);
    const a = JSON.parse(readFileSync(join(dir, "a/policy-bundle.json"), "utf8"));
    const b = JSON.parse(readFileSync(join(dir, "b/policy-bundle.json"), "utf8"));
    expect(a.digest).toBe(b.digest);
    const s = await startServer(["--bundle", join(dir, "a/policy-bundle.json")]);
    const info = await (await fetch(`${s.url}/v1/policy`)).json();
    expect(info).toMatchObject({ digest: a.digest, rules: 9, builtAt: a.builtAt });
    // The policy decoded, edited and written back (format 3 carries it as its canonical JSON text).
    const edited = JSON.parse(a.policy);
    edited.rules[0].effect = "deny";
    a.policy = JSON.stringify(edited);
    writeFileSync(join(dir, "tampered.json"), JSON.stringify(a));
    const r = spawnSync(process.execPath, [BIN, "serve", "--bundle", join(dir, "tampered.json"), "--port", "0"], { encoding: "utf8", timeout: 20_000 });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("digest mismatch");
  });

  it("without --policy it serves the policy of the directory it runs in, unless SAFECLAW_POLICY names another", async () => {
    const dir = mkdtempSync(join(tmpdir(), "safeclaw-discover-"));
    writeFileSync(join(dir, "package.json"), '{"name": "agent", "version": "1.0.0"}');
    writeFileSync(join(dir, "safeclaw.config.yaml"), "rules:\n- id: only-tmp\n  action: file.read\n  path: /tmp/**\n  effect: allow\n");
    const other = join(dir, "other.yaml");
    writeFileSync(other, "rules:\n- id: only-app\n  action: file.read\n  path: /app/**\n  effect: allow\n");
    const serveIn = (env: Record<string, string>) => startServer([], env, [process.execPath, [BIN, "serve", "--port", "0"]], dir);
    const here = await serveIn({ SAFECLAW_POLICY: "" });
    expect(await (await check(here.url, { action: "file.read", path: "/tmp/x" })).json()).toMatchObject({ decision: "allow", rule: "only-tmp" });
    expect(await (await check(here.url, { action: "file.read", path: "/app/x" })).json()).toMatchObject({ decision: "deny" });
    const named = await serveIn({ SAFECLAW_POLICY: other });
    expect(await (await check(named.url, { action: "file.read", path: "/app/x" })).json()).toMatchObject({ decision: "allow", rule: "only-app" });
  });

  it("without --policy in a directory with no policy it refuses to start and says what it looked for", () => {
    const dir = mkdtempSync(join(tmpdir(), "safeclaw-nopolicy-"));
    writeFileSync(join(dir, "package.json"), '{"name": "agent", "version": "1.0.0", "rules": []}');
    writeFileSync(join(dir, "tsconfig.json"), '{"compilerOptions": {}}');
    const r = spawnSync(process.execPath, [BIN, "serve", "--port", "0"], {
      cwd: dir,
      encoding: "utf8",
      timeout: 20_000,
      env: { ...process.env, SAFECLAW_POLICY: "", SAFECLAW_POLICY_BUNDLE: "" },
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("no policy found");
    expect(r.stderr).toContain("safeclaw.config.yaml");
    expect(r.stderr).toContain("ignored package.json");
    expect(r.stderr).not.toContain("unexpected error");
  });
});
