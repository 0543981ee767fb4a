import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { AuditLog } from "../src/audit/audit-log.js";
import { createLineSink } from "../src/audit/line-sink.js";
import { createApp } from "../src/http/create-app.js";
import { ConfigError, parseTokens } from "../src/runtime/runtime-config.js";
import { engineFromText } from "./helpers.js";
import { portFromOutput } from "./moto.js";

/** Identity from bearer tokens: a caller is who its token says, not who its body claims. */
const POLICY = `rules:
  - id: ci-reads
    action: file.read
    agent: "ci-*"
    path: "/app/**"
    effect: allow
    rateLimit: { maxRequests: 3, window: "1 minute", per: agent }
  - id: reviewer-reads
    action: file.read
    agent: reviewer
    path: "/app/docs/**"
    effect: allow
`;

describe("SAFECLAW_API_TOKENS", () => {
  it.each([
    [
      "ci-bot:token1,reviewer:token2",
      [
        { agent: "ci-bot", token: "token1" },
        { agent: "reviewer", token: "token2" },
      ],
    ],
    ["abc123", [{ token: "abc123" }]],
    [" abc123 , , ci-bot:t2 ,", [{ token: "abc123" }, { agent: "ci-bot", token: "t2" }]],
    ["svc:tok:with:colons", [{ agent: "svc", token: "tok:with:colons" }]],
    ["team/ci.bot@x:t", [{ agent: "team/ci.bot@x", token: "t" }]],
    ["", []],
  ])("%j", (raw, want) => {
    expect(parseTokens(raw)).toEqual(want);
  });

  it.each([
    [":token", /agent name/],
    ["ci-*:token", /agent name/], // a pattern is not a name
    ["ci bot:token", /whitespace|agent name/],
    ["ci-bot:", /token after `ci-bot:` is empty/],
    ["ci-bot:tok\u0000en", /control/],
    ["a:dup-tok,b:dup-tok", /listed twice/],
    ["dup-tok,dup-tok", /listed twice/],
  ])("refuses %j with a ConfigError that never shows the token", (raw, message) => {
    let err: unknown;
    try {
      parseTokens(raw);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toMatch(message);
    if (raw.includes("dup-tok")) expect((err as Error).message).not.toContain("dup-tok");
  });
});

async function setup(tokens: ReturnType<typeof parseTokens> | string[]) {
  const engine = await engineFromText(POLICY);
  const lines: string[] = [];
  const audit = new AuditLog({ sink: createLineSink((l) => void lines.push(l)), chainId: "id", policy: engine.policy.digest, log: () => undefined });
  const app = createApp({
    engine,
    audit,
    flushEachRequest: true,
    tokens,
    policy: { digest: engine.policy.digest, rules: 2, defaultAction: "deny", sources: ["p.yaml"] },
    log: () => undefined,
  });
  const post = async (token: string, body: unknown, path = "/v1/check") => {
    const res = await app.request(path, {
      method: "POST",
      body: JSON.stringify(body),
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    });
    return { status: res.status, body: await res.json() };
  };
  const records = () => lines.map((l) => JSON.parse(l)).filter((r) => r.type === "decision");
  return { post, records };
}

describe("a named token is the request's agent", () => {
  const tokens = parseTokens("ci-bot:tok-ci,reviewer:tok-rev,tok-plain");

  it("no agent in the body: the token's name is used, and audited", async () => {
    const { post, records } = await setup(tokens);
    expect(await post("tok-ci", { action: "file.read", path: "/app/x" })).toMatchObject({ status: 200, body: { decision: "allow", rule: "ci-reads" } });
    expect(await post("tok-rev", { action: "file.read", path: "/app/x" })).toMatchObject({ status: 200, body: { decision: "deny", rule: null } });
    expect(records().map((r) => r.agent)).toEqual(["ci-bot", "reviewer"]);
  });

  it("the same agent in the body is fine", async () => {
    const { post } = await setup(tokens);
    expect(await post("tok-rev", { action: "file.read", path: "/app/docs/a", agent: "reviewer" })).toMatchObject({
      status: 200,
      body: { decision: "allow", rule: "reviewer-reads" },
    });
  });

  it.each([
    ["borrowing ci-bot's rules", { action: "file.read", path: "/app/x", agent: "ci-bot" }],
    ["a name the pattern ci-* matches", { action: "file.read", path: "/app/x", agent: "ci-anything" }],
    ["an empty agent", { action: "file.read", path: "/app/x", agent: "" }],
    ["a non-string agent", { action: "file.read", path: "/app/x", agent: ["ci-bot"] }],
    ["a case variant", { action: "file.read", path: "/app/x", agent: "Reviewer" }],
  ])("claiming another agent is a 403 agent_mismatch, audited under the token's name: %s", async (_n, body) => {
    const { post, records } = await setup(tokens);
    const r = await post("tok-rev", body);
    expect(r).toMatchObject({ status: 403, body: { decision: "deny", allowed: false, error: "agent_mismatch", field: "agent" } });
    expect(r.body.reason).toContain("the bearer token is agent `reviewer`");
    expect(records()).toEqual([expect.objectContaining({ decision: "deny", error: "agent_mismatch", agent: "reviewer", target: { path: "/app/x" } })]);
  });

  it("a batch with any item claiming another agent is refused whole; a clean batch gets the name on every item", async () => {
    const { post } = await setup(tokens);
    const bad = await post(
      "tok-rev",
      [
        { action: "file.read", path: "/app/docs/a" },
        { action: "file.read", path: "/app/x", agent: "ci-bot" },
      ],
      "/v1/check/batch",
    );
    expect(bad).toMatchObject({ status: 403, body: { error: "agent_mismatch", field: "[1].agent" } });
    const ok = await post(
      "tok-ci",
      {
        requests: [
          { action: "file.read", path: "/app/a" },
          { action: "file.read", path: "/app/b", agent: "ci-bot" },
        ],
      },
      "/v1/check/batch",
    );
    expect(ok.status).toBe(200);
    expect(ok.body.decisions.map((d: { rule: string }) => d.rule)).toEqual(["ci-reads", "ci-reads"]);
  });

  it("a plain token's agent is self-asserted, but never the name of a named token", async () => {
    const { post } = await setup(tokens);
    // `ci-bot` is whoever holds ci-bot's token: a token without a name cannot claim it
    expect(await post("tok-plain", { action: "file.read", path: "/app/x", agent: "ci-bot" })).toMatchObject({
      status: 403,
      body: { error: "agent_mismatch", field: "agent" },
    });
    expect(await post("tok-plain", { action: "file.read", path: "/app/x", agent: "ci-other" })).toMatchObject({ status: 200 });
    // plain strings (the library API before names) are plain tokens
    const legacy = await setup(["tok-plain"]);
    expect(await legacy.post("tok-plain", { action: "file.read", path: "/app/x", agent: "ci-bot" })).toMatchObject({
      status: 200,
      body: { decision: "allow" },
    });
  });

  it("per-agent rate limits key on the token's identity: a fresh name in the body does not reset them", async () => {
    const { post } = await setup(parseTokens("ci-bot:tok-ci,ci-two:tok-two"));
    const read = (token: string, agent?: string) => post(token, { action: "file.read", path: "/app/x", ...(agent !== undefined ? { agent } : {}) });
    for (let i = 0; i < 3; i++) expect((await read("tok-ci")).body.decision).toBe("allow");
    expect((await read("tok-ci")).body).toMatchObject({ decision: "deny", reason: expect.stringContaining("rate limit") });
    // the old trick: a new agent name, a new budget; now a 403
    expect((await read("tok-ci", "ci-bot-2")).status).toBe(403);
    expect((await read("tok-ci", "ci-bot")).body.decision).toBe("deny");
    // another token is another identity, with its own budget
    expect((await read("tok-two")).body).toMatchObject({ decision: "allow", rule: "ci-reads" });
  });

  it("wrong and missing tokens are 401 whatever the body says", async () => {
    const { post } = await setup(tokens);
    expect((await post("tok-ci-", { action: "file.read", path: "/app/x", agent: "ci-bot" })).status).toBe(401);
    expect((await post("ci-bot:tok-ci", { action: "file.read", path: "/app/x" })).status).toBe(401);
    expect((await post("ci-bot", { action: "file.read", path: "/app/x" })).status).toBe(401);
  });
});

const BIN = new URL("../bin/safeclaw.js", import.meta.url).pathname;
const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill("SIGKILL");
});

describe("the Node server as a process, with named tokens", () => {
  it("serves identities from SAFECLAW_API_TOKENS; a bad entry stops it with a message", async () => {
    const dir = mkdtempSync(join(tmpdir(), "safeclaw-id-"));
    writeFileSync(join(dir, "p.yaml"), POLICY);
    const child = spawn(process.execPath, [BIN, "serve", "--policy", join(dir, "p.yaml"), "--port", "0"], {
      env: { ...process.env, SAFECLAW_AUDIT_SINK: join(dir, "audit.log"), SAFECLAW_API_TOKENS: "ci-bot:tok-ci,reviewer:tok-rev" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    children.push(child);
    let stderr = "";
    child.stderr.on("data", (d) => (stderr += d));
    const port = await portFromOutput(child, /serving .* on http:\/\/127\.0\.0\.1:(\d+)/, "safeclaw serve");
    const url = `http://127.0.0.1:${port}/v1/check`;
    const ask = async (token: string, body: unknown) => {
      const res = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
        body: JSON.stringify(body),
      });
      return { status: res.status, body: await res.json() };
    };
    expect(await ask("tok-ci", { action: "file.read", path: "/app/x" })).toMatchObject({ status: 200, body: { decision: "allow", rule: "ci-reads" } });
    expect(await ask("tok-rev", { action: "file.read", path: "/app/x" })).toMatchObject({ status: 200, body: { decision: "deny" } });
    expect(await ask("tok-rev", { action: "file.read", path: "/app/x", agent: "ci-bot" })).toMatchObject({ status: 403, body: { error: "agent_mismatch" } });
    child.kill("SIGTERM");

    const bad = spawnSync(process.execPath, [BIN, "serve", "--policy", join(dir, "p.yaml"), "--port", "0"], {
      encoding: "utf8",
      env: { ...process.env, SAFECLAW_API_TOKENS: "ci bot:secret-one" },
      timeout: 20_000,
    });
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain("SAFECLAW_API_TOKENS entry 1");
    expect(bad.stderr).not.toContain("secret-one");
    expect(bad.stderr).not.toContain("unexpected error");
  });
});

describe("the hook and the MCP proxy name their agent from their own configuration", () => {
  const dir = mkdtempSync(join(tmpdir(), "safeclaw-agent-"));
  const policy = join(dir, "p.yaml");
  writeFileSync(
    policy,
    "rules:\n- {id: ci, action: file.read, agent: 'ci-*', path: '/app/**', effect: allow}\n- {id: mcp-ci, action: mcp.call, agent: 'ci-*', effect: allow}\n",
  );
  const recorded = (file: string) =>
    readFileSync(file, "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l))
      .filter((r) => r.type === "decision")
      .map((r) => r.agent ?? null);
  const hook = (args: string[], env: Record<string, string> = {}) => {
    const audit = join(dir, `hook-${Math.random().toString(36).slice(2)}.log`);
    const event = {
      session_id: "ci-session-looks-like-ci",
      cwd: "/app",
      hook_event_name: "PreToolUse",
      tool_name: "Read",
      tool_input: { file_path: "/app/x" },
    };
    const r = spawnSync(process.execPath, [BIN, "hook", "claude-code", "--policy", policy, ...args], {
      input: JSON.stringify(event),
      encoding: "utf8",
      env: { ...process.env, SAFECLAW_AUDIT_SINK: audit, SAFECLAW_AGENT: "", ...env },
    });
    return { decision: JSON.parse(r.stdout).hookSpecificOutput.permissionDecision, agents: recorded(audit) };
  };

  it.each([
    ["default: claude-code, never the session id", [], {}, "deny", ["claude-code"]],
    ["--agent", ["--agent", "ci-bot"], {}, "allow", ["ci-bot"]],
    ["SAFECLAW_AGENT", [], { SAFECLAW_AGENT: "ci-env" }, "allow", ["ci-env"]],
    ["--agent wins over SAFECLAW_AGENT", ["--agent", "reviewer"], { SAFECLAW_AGENT: "ci-env" }, "deny", ["reviewer"]],
  ])("hook: %s", (_n, args, env, decision, agents) => {
    expect(hook(args, env as Record<string, string>)).toEqual({ decision, agents });
  });

  it("hook: a pattern or control character as --agent is a deny, not an agent", () => {
    for (const bad of ["ci-*", "ci\nbot", ""]) {
      const r = spawnSync(process.execPath, [BIN, "hook", "claude-code", "--policy", policy, "--agent", bad], {
        input: "{}",
        encoding: "utf8",
        env: { ...process.env, SAFECLAW_AUDIT_SINK: "" },
      });
      expect(JSON.parse(r.stdout).hookSpecificOutput).toMatchObject({
        permissionDecision: "deny",
        permissionDecisionReason: expect.stringContaining("agent name"),
      });
    }
  });

  it("mcp-proxy: --agent names every request; without it, none", () => {
    const FAKE = new URL("./fixtures/fake-mcp-server.mjs", import.meta.url).pathname;
    const call = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "search", arguments: {} } }) + "\n";
    const run = (args: string[]) => {
      const audit = join(dir, `mcp-${Math.random().toString(36).slice(2)}.log`);
      const r = spawnSync(process.execPath, [BIN, "mcp-proxy", "--policy", policy, "--server", "github", ...args, "--", process.execPath, FAKE], {
        input: call,
        encoding: "utf8",
        timeout: 20_000,
        env: { ...process.env, SAFECLAW_AUDIT_SINK: audit, SAFECLAW_AGENT: "" },
      });
      const answer = JSON.parse(r.stdout.trim());
      return { allowed: !answer.error && answer.result?.isError !== true, agents: recorded(audit) }; // a refused tools/call is an isError tool result
    };
    expect(run(["--agent", "ci-bot"])).toEqual({ allowed: true, agents: ["ci-bot"] });
    expect(run([])).toEqual({ allowed: false, agents: [null] });
    expect(
      spawnSync(process.execPath, [BIN, "mcp-proxy", "--policy", policy, "--server", "github", "--agent", "a b", "--", "cat"], { encoding: "utf8" }).status,
    ).toBe(64);
  });
});

describe("the MCP proxy reads messages strictly", () => {
  it("a tools/call with a duplicated key is answered as an invalid request and never reaches the server", () => {
    const dir = mkdtempSync(join(tmpdir(), "safeclaw-mcp-dup-"));
    const policy = join(dir, "p.yaml");
    writeFileSync(
      policy,
      "rules:\n- {id: env, action: file.*, path: '**/.env', effect: deny}\n- {id: fs, action: mcp.call, server: filesystem, effect: allow}\n- {id: app, action: file.read, path: '/app/**', effect: allow}\n",
    );
    const FAKE = new URL("./fixtures/fake-mcp-server.mjs", import.meta.url).pathname;
    // first-wins servers (cJSON) would read /app/.env; JSON.parse reads /app/ok
    const dup = '{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"read_file","arguments":{"path":"/app/.env","path":"/app/ok"}}}';
    const withCr = '{"jsonrpc":"2.0","id":8,\r"method":"tools/call","params":{"name":"read_file","arguments":{"path":"/app/ok"}}}';
    const r = spawnSync(process.execPath, [BIN, "mcp-proxy", "--policy", policy, "--server", "filesystem", "--", process.execPath, FAKE], {
      input: dup + "\n" + withCr + "\n",
      encoding: "utf8",
      timeout: 20_000,
      env: { ...process.env, SAFECLAW_AUDIT_SINK: join(dir, "a.log") },
    });
    const out = r.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(out.find((m) => m.id === 7)).toMatchObject({ error: { code: -32600, message: expect.stringContaining("duplicate key `params.arguments.path`") } });
    expect(out.find((m) => m.id === 7)?.result).toBeUndefined();
    // a CR inside a message is whitespace: the proxy reads it whole (not two broken lines it would drop)
    // and forwards it; this stand-in server splits lines at CR itself, so only the proxy's side is checked
    expect(r.stderr).not.toContain("dropped a line");
  });
});
