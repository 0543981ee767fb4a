import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

/**
 * Packaging and defaults, through the CLI as a user runs it (bin/safeclaw.js
 * over dist/): the version, the license and package contents, policy
 * discovery in a Node project, and the audit commands reading the configured
 * sink when no source is given.
 */
const ROOT = new URL("../", import.meta.url).pathname;
const BIN = join(ROOT, "bin/safeclaw.js");
const PKG = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8"));

function run(args: string[], opts: { cwd?: string; input?: string; env?: Record<string, string> } = {}) {
  const env: Record<string, string | undefined> = { ...process.env, SAFECLAW_AUDIT_SINK: undefined, SAFECLAW_POLICY: undefined, ...opts.env };
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: opts.cwd ?? ROOT, input: opts.input ?? "", encoding: "utf8", timeout: 30_000, env: env });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function dirWith(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "safeclaw-pkg-"));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

const NODE_PROJECT = {
  "package.json": '{"name": "agent", "version": "2.3.4"}',
  "package-lock.json": '{"lockfileVersion": 3}',
  "tsconfig.json": '{"compilerOptions": {}}',
};

describe("the package", () => {
  it.each([["--version"], ["-V"]])("safeclaw %s prints the package version", (flag) => {
    expect(run([flag])).toEqual({ code: 0, stdout: `${PKG.version}\n`, stderr: "" });
  });

  it("says it needs Node 22 or later, and ships an MIT LICENSE for SafeClaw Edge contributors", () => {
    expect(PKG.engines).toEqual({ node: ">=22" });
    expect(PKG.license).toBe("MIT");
    const license = readFileSync(join(ROOT, "LICENSE"), "utf8");
    expect(license).toMatch(/^MIT License\n\nCopyright \(c\) 2026 SafeClaw Edge contributors\n/);
  });

  it("packs what a user runs (dist/, bin/, examples, LICENSE), not the tests or build output", () => {
    const r = spawnSync("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], { cwd: ROOT, encoding: "utf8", timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    const files: string[] = JSON.parse(r.stdout)[0].files.map((f: { path: string }) => f.path);
    for (const f of [
      "LICENSE",
      "README.md",
      "package.json",
      "bin/safeclaw.js",
      "dist/cli/run.js",
      "dist/index.js",
      "dist/index.d.ts",
      "examples/safeclaw.config.yaml",
    ])
      expect(files).toContain(f);
    expect(files.filter((f) => /^(test|build|node_modules|adapters|infra)\//.test(f))).toEqual([]);
  });
});

describe("policy discovery from the CLI, in a Node project", () => {
  it("serve takes --policy or --bundle, not both", () => {
    expect(run(["serve", "--policy", "examples/safeclaw.config.yaml", "--bundle", "build/policy-bundle.json", "--port", "0"])).toMatchObject({
      code: 64,
      stderr: expect.stringContaining("give --policy or --bundle, not both"),
    });
  });

  it("validate with no argument never reads package.json or tsconfig as a policy, and says what it looked for", () => {
    const r = run(["validate"], { cwd: dirWith(NODE_PROJECT) });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain("no policy found");
    expect(r.stderr).toContain(
      "ignored package-lock.json (a package, lock or tool config file), package.json (a package, lock or tool config file), tsconfig.json",
    );
    expect(r.stderr).toContain("safeclaw init");
  });

  it("check with no --policy finds the policy file next to them and notes what it ignored", () => {
    const dir = dirWith({ ...NODE_PROJECT, "agent-policy.yaml": "rules:\n- id: read-app\n  action: file.read\n  path: /app/**\n  effect: allow\n" });
    const r = run(["check", "-r", '{"action":"file.read","path":"/app/x"}'], { cwd: dir });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ decision: "allow", rule: "read-app" });
    expect(r.stderr).toContain("safeclaw: ignored package.json: a package, lock or tool config file");
  });
});

describe("audit verify / export without a source read the configured sink", () => {
  const REQUESTS = [
    '{"action":"file.read","path":"/app/a"}',
    '{"action":"network.request","url":"http://0xa9fea9fe/"}',
    '{"action":"network.request","url":"https://api.openai.com/v1/chat"}',
  ].join("\n");
  const POLICY =
    "audit: {sink: file, path: trail/audit.log}\nrules:\n- {id: read-app, action: file.read, path: /app/**, effect: allow}\n- {id: openai, action: network.request, host: api.openai.com, effect: allow}\n";

  it("the product page's commands work next to a policy whose audit: block names a file", () => {
    const dir = dirWith({ "safeclaw.config.yaml": POLICY });
    mkdirSync(join(dir, "trail"));
    expect(run(["check"], { cwd: dir, input: REQUESTS }).code).toBe(0);
    const exported = run(["audit", "export", "--filter", "action=network.request", "--format", "json", "--since", "24h"], { cwd: dir });
    expect(exported.code).toBe(0);
    expect(exported.stderr).toContain("reading trail/audit.log (the audit: block of safeclaw.config.yaml)");
    const records = JSON.parse(exported.stdout);
    expect(records.map((r: { action: string; decision: string }) => [r.action, r.decision])).toEqual([
      ["network.request", "deny"],
      ["network.request", "allow"],
    ]);
    const verified = run(["audit", "verify", "--last", "2"], { cwd: dir });
    expect(verified.code).toBe(0);
    expect(verified.stdout).toContain("intact: 1 chain");
  });

  it("SAFECLAW_AUDIT_SINK wins over the policy's audit: block, as it does for the writer", () => {
    const trail = dirWith({ "safeclaw.config.yaml": POLICY.replace("trail/audit.log", "audit.log") });
    expect(run(["check"], { cwd: trail, input: REQUESTS }).code).toBe(0);
    const elsewhere = dirWith({ ...NODE_PROJECT, "safeclaw.config.yaml": POLICY.replace("trail/audit.log", "no-such.log") });
    for (const cwd of [elsewhere, dirWith(NODE_PROJECT)]) {
      const v = run(["audit", "verify"], { cwd, env: { SAFECLAW_AUDIT_SINK: join(trail, "audit.log") } });
      expect(v.code).toBe(0);
      expect(v.stderr).toContain("(SAFECLAW_AUDIT_SINK)");
      expect(v.stdout).toContain("intact: 1 chain, 4 records");
    }
  });

  it.each<[string, Record<string, string>, Record<string, string>, RegExp]>([
    [
      "no policy and no SAFECLAW_AUDIT_SINK",
      NODE_PROJECT,
      {},
      /SAFECLAW_AUDIT_SINK is not set and there is no policy at .*give the source \(a file, a directory, s3:\/\/bucket\/prefix, or - for stdin/,
    ],
    ["a policy without an audit: block", { "safeclaw.yaml": "rules: []\n" }, {}, /the policy \(safeclaw.yaml\) has no `audit:` block/],
    [
      "a stdout sink, whose trail is in the log stream",
      { "safeclaw.yaml": "audit: {sink: stdout}\nrules: []\n" },
      {},
      /stdout.*pipe that in with `-` \(e\.g\. `fly logs \| safeclaw audit verify -`\)/,
    ],
    ["an R2 binding, which only a Worker can read", NODE_PROJECT, { SAFECLAW_AUDIT_SINK: "r2://trail" }, /R2 binding, which only the Worker can read/],
  ])("with %s it exits 64 and says exactly what it needs", (_note, files, env, message) => {
    for (const command of ["verify", "export"]) {
      const r = run(["audit", command], { cwd: dirWith(files), env });
      expect(r.code).toBe(64);
      expect(r.stderr).toMatch(message);
      expect(r.stdout).toBe("");
    }
  });
});
