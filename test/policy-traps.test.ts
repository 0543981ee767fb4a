import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { INIT_TEMPLATE } from "../src/cli/init-template.js";
import { policyTraps } from "../src/engine/policy-traps.js";
import { loadPolicy } from "../src/index.js";
import { portFromOutput } from "./moto.js";

/** Policy traps: rules that validate but do not do what they read as doing. */
async function traps(text: string) {
  const r = await loadPolicy([{ name: "p.yaml", text }]);
  if (!r.ok) throw new Error(r.errors.map((e) => e.message).join("\n"));
  return policyTraps(r.policy);
}

const rules = (...lines: string[]) => `rules:\n${lines.map((l) => `  - ${l}`).join("\n")}\n`;

describe("shadowing: a deny or require_approval behind a weaker earlier rule", () => {
  it.each([
    // [attack / mistake, policy, rule warned about, kind, example that gets through]
    [
      "allow /app/** before deny **/.env lets /app/.env through",
      rules("{id: read-app, action: file.read, path: '/app/**', effect: allow}", "{id: no-dotenv, action: file.*, path: '**/.env', effect: deny}"),
      "no-dotenv",
      "does not decide",
      '"path":"/app/.env"',
    ],
    [
      "a deny inside an allowed directory never decides",
      rules("{id: app, action: file.read, path: '/app/**', effect: allow}", "{id: secrets, action: file.read, path: '/app/secrets/**', effect: deny}"),
      "secrets",
      "never decides",
      undefined,
    ],
    [
      "allow file.* before deny file.delete of the same tree",
      rules("{id: tmp, action: 'file.*', path: '/tmp/**', effect: allow}", "{id: nodel, action: file.delete, path: '/tmp/keep/**', effect: deny}"),
      "nodel",
      "never decides",
      undefined,
    ],
    [
      "allow terraform * before deny terraform destroy*",
      rules(
        "{id: tf, action: shell.execute, command: 'terraform *', effect: allow}",
        "{id: destroy, action: shell.execute, command: 'terraform destroy*', effect: deny}",
      ),
      "destroy",
      "never decides",
      undefined,
    ],
    [
      "allow git* before deny git push --force*",
      rules(
        "{id: git, action: shell.execute, command: 'git*', effect: allow}",
        "{id: force, action: shell.execute, command: '{git push --force*,git push -f*}', effect: deny}",
      ),
      "force",
      "never decides",
      undefined,
    ],
    [
      "require_approval before a deny weakens it",
      rules(
        "{id: ask, action: shell.execute, command: 'kubectl *', effect: require_approval}",
        "{id: nodelete, action: shell.execute, command: 'kubectl delete *', effect: deny}",
      ),
      "nodelete",
      "never decides",
      undefined,
    ],
    [
      "an allowed host list before a deny of one of them",
      rules(
        "{id: llm, action: network.request, host: {in: [api.openai.com, 169.254.169.254]}, effect: allow}",
        "{id: md, action: network.request, host: '169.254.169.254', effect: deny}",
      ),
      "md",
      "never decides",
      undefined,
    ],
    [
      "allow AWS_* before deny of the secret key",
      rules("{id: aws, action: env.read, key: 'AWS_*', effect: allow}", "{id: secret, action: env.read, key: AWS_SECRET_ACCESS_KEY, effect: deny}"),
      "secret",
      "never decides",
      undefined,
    ],
    [
      "allow every command before a deny",
      rules("{id: all, action: shell.execute, command: '*', effect: allow}", "{id: rm, action: shell.execute, command: 'rm *', effect: deny}"),
      "rm",
      "never decides",
      undefined,
    ],
    [
      "allow for ci agents before a deny for everyone",
      rules("{id: ci, action: file.read, agent: 'ci-*', path: '/repo/**', effect: allow}", "{id: keys, action: file.read, path: '**/*.pem', effect: deny}"),
      "keys",
      "does not decide",
      '"agent":"ci-',
    ],
    [
      "a scheduled allow shadows during its schedule only",
      rules(
        "{id: day, action: file.read, path: '/app/**', effect: allow, schedule: {hours: '09:00-17:00'}}",
        "{id: sec, action: file.read, path: '/app/secrets/**', effect: deny}",
      ),
      "sec",
      "does not decide",
      '"path":"/app/secrets',
    ],
    [
      "allow with a url glob before a deny on the metadata path",
      rules(
        "{id: web, action: network.request, url: 'http://*', effect: allow}",
        "{id: md, action: network.request, url: 'http://169.254.169.254/*', effect: deny}",
      ),
      "md",
      "never decides",
      undefined,
    ],
    [
      "allow of an MCP server before a deny of one tool",
      rules("{id: gh, action: mcp.call, server: github, effect: allow}", "{id: del, action: mcp.call, server: github, tool: 'delete_*', effect: deny}"),
      "del",
      "never decides",
      undefined,
    ],
    [
      "rule-level any: in the allow",
      rules(
        "{id: a, action: file.read, any: [{path: '/app/**'}, {path: '/srv/**'}], effect: allow}",
        "{id: d, action: file.read, path: '**/.env', effect: deny}",
      ),
      "d",
      "does not decide",
      '"path":"/',
    ],
    [
      "a URL allow before a metadata deny: the example is a real URL",
      rules("{id: web, action: network.request, url: 'http*', effect: allow}", "{id: md, action: network.request, url: '*169.254.169.254*', effect: deny}"),
      "md",
      "does not decide",
      '"url":"http://169.254.169.254/latest/meta-data/"',
    ],
    [
      "a method-limited allow before a host deny",
      rules(
        "{id: get, action: network.request, method: GET, host: '*.example.com', effect: allow}",
        "{id: evil, action: network.request, host: 'evil.example.com', effect: deny}",
      ),
      "evil",
      "does not decide",
      '"method":"GET"',
    ],
    [
      "catch-all allow before a catch-all deny",
      rules("{id: all, action: '*', effect: allow}", "{id: none, action: '*', effect: deny}"),
      "none",
      "never decides",
      undefined,
    ],
  ])("%s", async (_name, text, rule, kind, example) => {
    const w = (await traps(text)).filter((x) => x.code === "shadowed_rule");
    expect(w).toHaveLength(1);
    expect(w[0]!.message).toContain(`rule \`${rule}\``);
    expect(w[0]!.message).toContain(kind);
    if (example) expect(w[0]!.message).toContain(example);
    expect(w[0]!.severity).toBe("warning");
  });

  it("case-insensitive paths: allow /app/** before deny **/.env lets /app/.ENV through", async () => {
    const w = await traps(
      "paths: {caseInsensitive: true}\n" +
        rules("{id: a, action: file.read, path: '/app/**', effect: allow}", "{id: d, action: file.read, path: '**/.env', effect: deny}"),
    );
    expect(w.map((x) => x.message).join("\n")).toMatch(/rule `d` \(deny\) does not decide/);
  });

  it.each([
    [
      "deny first, then allow (the right order)",
      rules("{id: d, action: file.*, path: '**/.env', effect: deny}", "{id: a, action: file.read, path: '/app/**', effect: allow}"),
    ],
    [
      "an exception allowed before a broader deny (carve-out)",
      rules("{id: pub, action: file.read, path: '/srv/public/**', effect: allow}", "{id: srv, action: file.read, path: '/srv/**', effect: deny}"),
    ],
    [
      "terraform plan* before terraform * (carve-out)",
      rules(
        "{id: plan, action: shell.execute, command: 'terraform plan*', effect: allow}",
        "{id: tf, action: shell.execute, command: 'terraform *', effect: deny}",
      ),
    ],
    ["a specific allow before a catch-all deny", rules("{id: a, action: file.read, path: '/app/**', effect: allow}", "{id: rest, action: '*', effect: deny}")],
    ["disjoint directories", rules("{id: a, action: file.read, path: '/app/**', effect: allow}", "{id: d, action: file.read, path: '/etc/**', effect: deny}")],
    [
      "disjoint hosts: *.internal and the metadata IP",
      rules("{id: a, action: network.request, host: '*.internal', effect: allow}", "{id: d, action: network.request, host: '169.254.169.254', effect: deny}"),
    ],
    ["different actions", rules("{id: a, action: file.read, path: '/app/**', effect: allow}", "{id: d, action: file.write, path: '/app/**', effect: deny}")],
    ["different env keys", rules("{id: a, action: env.read, key: HOME, effect: allow}", "{id: d, action: env.read, key: AWS_SECRET_ACCESS_KEY, effect: deny}")],
    [
      "the allow itself excludes the overlap with not:",
      rules("{id: a, action: file.read, path: '/app/**', not: {path: '**/.env'}, effect: allow}", "{id: d, action: file.read, path: '**/.env', effect: deny}"),
    ],
    [
      "an earlier deny before a later require_approval is not weaker",
      rules("{id: d, action: shell.execute, command: 'rm *', effect: deny}", "{id: ask, action: shell.execute, command: 'rm -i *', effect: require_approval}"),
    ],
    [
      "different agents",
      rules(
        "{id: a, action: file.read, agent: ci-bot, path: '/app/**', effect: allow}",
        "{id: d, action: file.read, agent: reviewer, path: '/app/**', effect: deny}",
      ),
    ],
  ])("no warning: %s", async (_name, text) => {
    expect((await traps(text)).filter((x) => x.code === "shadowed_rule")).toEqual([]);
  });

  it("points at the later rule's file:line:col, and says where the earlier one is", async () => {
    const [w] = await traps(
      rules("{id: read-app, action: file.read, path: '/app/**', effect: allow}", "{id: no-dotenv, action: file.read, path: '**/.env', effect: deny}"),
    );
    expect(w).toMatchObject({ file: "p.yaml", line: 3, column: 5, code: "shadowed_rule" });
    expect(w!.message).toContain("p.yaml:2");
    expect(w!.help).toContain("move `no-dotenv` above `read-app`");
  });

  it("every partly-shadowed example really is decided by the earlier rule", async () => {
    const text = rules(
      "{id: read-app, action: file.read, path: '/app/**', effect: allow}",
      "{id: no-dotenv, action: file.*, path: '**/.env', effect: deny}",
      "{id: ci, action: shell.execute, agent: 'ci-*', command: 'make *', effect: allow}",
      "{id: rm, action: shell.execute, command: '* clean*', effect: deny}",
    );
    const r = await loadPolicy([{ name: "p.yaml", text }]);
    if (!r.ok) throw new Error("policy");
    const { createEngine } = await import("../src/index.js");
    const engine = createEngine(r.policy);
    const partly = policyTraps(r.policy).filter((w) => w.message.includes("does not decide"));
    expect(partly.length).toBe(2);
    for (const w of partly) {
      const example = JSON.parse(w.message.slice(w.message.indexOf("e.g. ") + 5));
      const earlier = /the earlier rule `([^`]+)`/.exec(w.message)![1];
      expect(engine.check(example)).toMatchObject({ decision: "allow", rule: earlier });
    }
  });
});

describe("allows broader than they read", () => {
  it.each([
    ["path: '**'", "{id: a, action: file.read, path: '**', effect: allow}", "every path"],
    ["path: '/**'", "{id: a, action: file.write, path: '/**', effect: allow}", "every path"],
    ["path: '**/*'", "{id: a, action: file.read, path: '**/*', effect: allow}", "every path"],
    ["path: '*' with no cwd floats to every depth", "{id: a, action: file.read, path: '*', effect: allow}", "every path"],
    ["command: '*'", "{id: a, action: shell.execute, command: '*', effect: allow}", "every command"],
    ["host: '*'", "{id: a, action: network.request, host: '*', effect: allow}", "every host"],
    ["url: '*'", "{id: a, action: network.request, url: '*', effect: allow}", "every URL"],
    ["key: '*'", "{id: a, action: env.read, key: '*', effect: allow}", "every environment variable"],
    ["a list with '**' in it", "{id: a, action: file.read, path: ['/app/**', '**'], effect: allow}", "every path"],
    ["no condition on a built-in action", "{id: a, action: file.read, effect: allow}", "no condition at all"],
    ["no condition on every action", "{id: a, action: '*', effect: allow}", "no condition at all"],
    ["no condition on a namespace", "{id: a, action: 'mcp.*', effect: allow}", "no condition at all"],
    ["agent-only condition still allows every path", "{id: a, action: file.read, agent: ci-bot, path: '**', effect: allow}", "every path"],
  ])("warns: %s", async (_n, rule, what) => {
    const w = (await traps(rules(rule))).filter((x) => x.code === "broad_allow");
    expect(w).toHaveLength(1);
    expect(w[0]!.message).toContain(what);
  });

  it.each([
    ["a directory", "{id: a, action: file.read, path: '/app/**', effect: allow}"],
    ["a custom action allowed outright", "{id: a, action: payments.refund, effect: allow}"],
    ["a host list", "{id: a, action: network.request, host: {in: [api.openai.com]}, effect: allow}"],
    ["a deny of everything", "{id: a, action: file.read, path: '**', effect: deny}"],
    ["host *.example.com", "{id: a, action: network.request, host: '*.example.com', effect: allow}"],
    ["command 'git status*'", "{id: a, action: shell.execute, command: 'git status*', effect: allow}"],
  ])("does not warn: %s", async (_n, rule) => {
    expect((await traps(rules(rule))).filter((x) => x.code === "broad_allow")).toEqual([]);
  });
});

describe("env key conditions no request can meet", () => {
  it.each([
    ["a space", "AWS SECRET_ACCESS_KEY"],
    ["a shell expansion", "$AWS_SECRET_ACCESS_KEY"],
    ["an `=`", "AWS_SECRET_ACCESS_KEY=*"],
    ["a leading digit", "1PASSWORD*"],
  ])("a deny on a key with %s never matches, and says so", async (_n, key) => {
    const w = await traps(rules(`{id: d, action: env.read, key: ${JSON.stringify(key)}, effect: deny}`));
    expect(w).toEqual([expect.objectContaining({ code: "never_matches", message: expect.stringContaining("rule `d` never matches") })]);
  });
  it.each([["AWS_*"], ["*"], ["*_TOKEN"], ["http_proxy"]])("%s can match a name: no warning", async (key) => {
    expect((await traps(rules(`{id: d, action: env.read, key: ${JSON.stringify(key)}, effect: deny}`))).filter((w) => w.code === "never_matches")).toEqual([]);
  });
});

/** Every example rule of the init template, uncommented as written. */
function uncomment(template: string): string {
  return template.replace(/^(\s*)# (- |  [a-zA-Z])/gm, "$1$2").replace(/^  # (?=\s)/gm, "  ");
}

const BIN = new URL("../bin/safeclaw.js", import.meta.url).pathname;
function cli(args: string[], input = "") {
  const env = { ...process.env };
  delete env.SAFECLAW_AUDIT_SINK;
  return spawnSync(process.execPath, [BIN, ...args], { input, encoding: "utf8", env, timeout: 20_000 });
}

describe("the init template", () => {
  it("uncommented, it validates with zero warnings (validate --strict passes)", async () => {
    const text = uncomment(INIT_TEMPLATE);
    expect(text).toContain("- id: no-dotenv");
    const r = await loadPolicy([{ name: "safeclaw.config.yaml", text }]);
    expect(r.ok && r.policy.rules.length).toBe(11); // 10 examples and the Claude Code internal-tools rule
    expect(r.warnings).toEqual([]);
    expect(policyTraps((r as { policy: Parameters<typeof policyTraps>[0] }).policy)).toEqual([]);
    const dir = mkdtempSync(join(tmpdir(), "safeclaw-init-strict-"));
    writeFileSync(join(dir, "safeclaw.config.yaml"), text);
    const v = cli(["validate", "--strict", dir]);
    expect({ code: v.status, stderr: v.stderr }).toEqual({ code: 0, stderr: "" });
    // and it decides as it reads: /app/.env is denied, /app/src is readable
    const d = cli(["check", "--policy", dir], '{"id":"1","action":"file.read","path":"/app/.env"}\n{"id":"2","action":"file.read","path":"/app/src/a.ts"}\n');
    expect(
      d.stdout
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l).decision),
    ).toEqual(["deny", "allow"]);
  });

  it("in the old order (read-app above no-dotenv) validate warns, --strict fails, and /app/.env is indeed allowed", () => {
    const text = uncomment(INIT_TEMPLATE);
    const readApp = text.slice(text.indexOf("  - id: read-app"), text.indexOf("  - id: write-tmp"));
    const noDotenv = text.slice(text.indexOf("  - id: no-dotenv"), text.indexOf("  - id: read-app"));
    const old = text.replace(noDotenv + readApp, readApp + noDotenv);
    const dir = mkdtempSync(join(tmpdir(), "safeclaw-init-old-"));
    writeFileSync(join(dir, "safeclaw.config.yaml"), old);
    const v = cli(["validate", dir]);
    expect(v.status).toBe(0);
    expect(v.stderr).toMatch(
      /safeclaw\.config\.yaml:\d+:\d+: warning\[shadowed_rule\]: rule `no-dotenv` \(deny\) does not decide everything it matches: the earlier rule `read-app`.*"path":"\/app\/\.env"/,
    );
    expect(v.stdout).toContain("1 warning");
    const strict = cli(["validate", "--strict", dir]);
    expect(strict.status).toBe(1);
    expect(strict.stderr).toContain("--strict");
    expect(JSON.parse(cli(["check", "--policy", dir, "--request", '{"action":"file.read","path":"/app/.env"}']).stdout)).toMatchObject({
      decision: "allow",
      rule: "read-app",
    });
  });
});

const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill("SIGKILL");
});

describe("the server says the warnings at start", () => {
  it("logs each trap once and serves the policy as written", async () => {
    const dir = mkdtempSync(join(tmpdir(), "safeclaw-srv-traps-"));
    writeFileSync(
      join(dir, "p.yaml"),
      rules("{id: read-app, action: file.read, path: '/app/**', effect: allow}", "{id: no-dotenv, action: file.read, path: '**/.env', effect: deny}"),
    );
    const child = spawn(process.execPath, [BIN, "serve", "--policy", join(dir, "p.yaml"), "--port", "0"], {
      env: { ...process.env, SAFECLAW_AUDIT_SINK: join(dir, "a.log") },
      stdio: ["ignore", "pipe", "pipe"],
    });
    children.push(child);
    let stderr = "";
    child.stderr.on("data", (d) => (stderr += d));
    const port = await portFromOutput(child, /serving .* on http:\/\/127\.0\.0\.1:(\d+)/, "safeclaw serve");
    expect(stderr).toMatch(/safeclaw: policy warning: \S*p\.yaml:3:5: warning\[shadowed_rule\]: rule `no-dotenv`/);
    const res = await fetch(`http://127.0.0.1:${port}/v1/check`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: '{"action":"file.read","path":"/app/.env"}',
    });
    expect(await res.json()).toMatchObject({ decision: "allow", rule: "read-app" });
  });
});
