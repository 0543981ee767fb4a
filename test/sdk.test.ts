import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { createServer, type Server } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { anthropicToolCalls, createSafeClawGate, decideToolCall, Gate, mapToolCall, openAIToolCalls, type SafeClawGate } from "../src/index.js";
import { startServer, type RunningServer } from "../src/runtime/node/server.js";
import { deadEndpoint, listenOnFreePort } from "./moto.js";

const POLICY = `
cwd: /repo
rules:
  - id: no-dotenv
    action: file.*
    path: "**/.env"
    effect: deny
    reason: "Secrets live in .env"
  - id: read-repo
    action: file.read
    path: "/repo/**"
    effect: allow
  - id: write-src
    action: file.write
    path: "/repo/src/**"
    effect: allow
  - id: tools
    action: shell.execute
    command: ["cat *", "grep *", "ls*", "npm test"]
    effect: allow
  - id: fs-mcp
    action: mcp.call
    server: filesystem
    effect: allow
  - id: docs
    action: network.request
    host: docs.example.com
    effect: allow
  - id: prod
    action: shell.execute
    command: "kubectl *"
    effect: require_approval
`;

const gate = () => createSafeClawGate({ policy: [{ name: "p.yaml", text: POLICY }] });
const CTX = { cwd: "/repo", agent: "test" };

describe("Claude Code tool mappings", () => {
  it.each([
    ["Bash", { command: "ls -la" }, [{ action: "shell.execute", command: "ls -la", cwd: "/repo" }]],
    ["Read", { file_path: "/repo/a.ts" }, [{ action: "file.read", path: "/repo/a.ts", cwd: "/repo" }]],
    ["Grep", { pattern: "TODO", path: "/repo/src" }, [{ action: "file.read", path: "/repo/src", cwd: "/repo", recursive: true }]],
    ["Grep", { pattern: "**/*.env" }, [{ action: "file.read", path: "/repo", cwd: "/repo", recursive: true }]],
    ["Grep", { pattern: "TODO", glob: "*.ts", output_mode: "content" }, [{ action: "file.read", path: "/repo", cwd: "/repo", recursive: true, names: "*.ts" }]],
    ["Glob", { pattern: "**/*.ts" }, [{ action: "file.read", path: "/repo", cwd: "/repo" }]],
    ["Write", { file_path: "/repo/src/x.ts", content: "x" }, [{ action: "file.write", path: "/repo/src/x.ts", cwd: "/repo" }]],
    ["Edit", { file_path: "/repo/src/x.ts", old_string: "a", new_string: "b" }, [{ action: "file.write", path: "/repo/src/x.ts", cwd: "/repo" }]],
    ["MultiEdit", { file_path: "/repo/src/x.ts", edits: [] }, [{ action: "file.write", path: "/repo/src/x.ts", cwd: "/repo" }]],
    ["NotebookEdit", { notebook_path: "/repo/n.ipynb", new_source: "" }, [{ action: "file.write", path: "/repo/n.ipynb", cwd: "/repo" }]],
    ["WebFetch", { url: "https://docs.example.com/a", prompt: "p" }, [{ action: "network.request", url: "https://docs.example.com/a", method: "GET" }]],
    ["WebSearch", { query: "hono" }, [{ action: "network.request", host: "web-search.invalid", method: "GET", context: { query: "hono" } }]],
    ["mcp__github__get_issue", { n: 1 }, [{ action: "mcp.call", server: "github", tool: "get_issue", arguments: { n: 1 } }]],
    ["TodoWrite", { todos: [] }, [{ action: "tool.call", context: { tool: "TodoWrite" } }]],
  ])("%s %j", (name, input, want) => {
    expect(mapToolCall(name, input, { cwd: "/repo" })).toEqual(want);
  });

  it("an MCP filesystem read is also a file read", () => {
    expect(mapToolCall("mcp__filesystem__read_file", { path: "/repo/.env" })).toEqual([
      { action: "mcp.call", server: "filesystem", tool: "read_file", arguments: { path: "/repo/.env" } },
      { action: "file.read", path: "/repo/.env" },
    ]);
  });
});

describe("one resource model across tools", async () => {
  const g = gate();
  it.each([
    ["Read", { file_path: "/repo/.env" }],
    ["Read", { file_path: ".env" }],
    ["Bash", { command: "cat .env" }],
    ["Bash", { command: "grep KEY .env" }],
    ["Bash", { command: "cat src/../.env" }],
    ["mcp__filesystem__read_file", { path: "/repo/.env" }],
    ["mcp__filesystem__read_multiple_files", { paths: ["/repo/README.md", "/repo/.env"] }],
    ["Write", { file_path: "/repo/src/.env", content: "x" }],
  ])("%s %j is stopped by the .env rule", async (name, input) => {
    const d = await decideToolCall(g, { id: "t", name, input }, undefined, CTX);
    expect(d).toMatchObject({ decision: "deny", rule: "no-dotenv" });
  });
  it.each([
    ["Read", { file_path: "/repo/README.md" }, "allow"],
    ["Bash", { command: "cat README.md" }, "allow"],
    ["mcp__filesystem__read_file", { path: "/repo/README.md" }, "allow"],
    ["Bash", { command: "kubectl apply -f x.yaml" }, "require_approval"],
    ["SomeNewTool", {}, "deny"],
  ])("%s %j → %s", async (name, input, want) => {
    expect((await decideToolCall(g, { id: "t", name, input }, undefined, CTX)).decision).toBe(want);
  });
});

describe("guard and wrapTool", () => {
  it("runs the tool only when allowed, and tells the model not to retry otherwise", async () => {
    const g = gate();
    let ran = 0;
    const read = g.wrapTool(
      "Read",
      undefined,
      (input: { file_path: string }) => {
        ran++;
        return `contents of ${input.file_path}`;
      },
      CTX,
    );
    expect(await read({ file_path: "/repo/README.md" })).toBe("contents of /repo/README.md");
    const refused = await read({ file_path: "/repo/.env" });
    expect(refused).toMatch(/^SafeClaw denied this action \(rule no-dotenv\): Secrets live in \.env\. It was not run\. Do not retry/);
    expect(ran).toBe(1);
    const ask = await g.guard({ action: "shell.execute", command: "kubectl delete ns x", cwd: "/repo" }, () => "ran");
    expect(ask).toMatchObject({ allowed: false, decision: { decision: "require_approval" }, message: expect.stringMatching(/needs human approval/) });
  });

  it("a user-defined tool with its own mapping", async () => {
    const g = gate();
    const fetchDoc = g.wrapTool(
      "fetch_doc",
      (i) => [{ action: "network.request", url: String(i.url) }],
      async (i: { url: string }) => `doc ${i.url}`,
    );
    expect(await fetchDoc({ url: "https://docs.example.com/x" })).toBe("doc https://docs.example.com/x");
    expect(await fetchDoc({ url: "https://docs.example.com@evil.com/x" })).toMatch(/^SafeClaw denied/);
  });

  it("an invalid policy makes the gate deny everything, with the reason", async () => {
    const g = createSafeClawGate({ policy: [{ name: "bad.yaml", text: "rules:\n- action: file.read\n  effect: alow" }] });
    expect(await g.check({ action: "file.read", path: "/x" })).toMatchObject({
      decision: "deny",
      error: "gate_unavailable",
      reason: expect.stringContaining("alow"),
    });
  });
});

describe("LLM tool calls", () => {
  it("Anthropic tool_use blocks", async () => {
    const calls = anthropicToolCalls([
      { type: "text", text: "Let me look." },
      { type: "tool_use", id: "toolu_1", name: "Bash", input: { command: "cat .env" } },
    ]);
    expect(calls).toEqual([{ id: "toolu_1", name: "Bash", input: { command: "cat .env" } }]);
    expect((await decideToolCall(gate(), calls[0]!, undefined, CTX)).decision).toBe("deny");
  });

  it("OpenAI tool_calls and Responses function_call items; malformed JSON is a deny", async () => {
    const calls = openAIToolCalls([
      { id: "call_1", type: "function", function: { name: "Read", arguments: '{"file_path":"/repo/README.md"}' } },
      { id: "call_2", type: "function", function: { name: "Read", arguments: '{"file_path": "/repo/REA' } },
      { type: "function_call", call_id: "call_3", name: "Bash", arguments: '{"command":"grep KEY .env"}' },
    ]);
    const ds = await Promise.all(calls.map((c) => decideToolCall(gate(), c, undefined, CTX)));
    expect(ds.map((d) => d.decision)).toEqual(["allow", "deny", "deny"]);
    expect(ds[1]).toMatchObject({ error: "malformed_tool_call" });
  });
});

describe("the remote Gate", () => {
  let server: RunningServer;
  const odd: Server[] = [];
  const oddServer = async (handler: Parameters<typeof createServer>[1]) => {
    const s = createServer(handler);
    odd.push(s);
    return `http://127.0.0.1:${await listenOnFreePort(s)}`;
  };
  beforeAll(async () => {
    server = await startServer({
      env: { SAFECLAW_API_TOKENS: "sidecar-token" },
      policyPath: new URL("../examples/safeclaw.config.yaml", import.meta.url).pathname,
      port: 0,
      audit: "stdout",
      log: () => undefined,
    });
  });
  afterAll(async () => {
    await server.close();
    for (const s of odd) {
      s.closeAllConnections();
      s.close();
    }
  });

  it("asks a real server (the Kubernetes sidecar case)", async () => {
    const g: SafeClawGate = new Gate({ endpoint: server.url, token: "sidecar-token" });
    expect(await g.check({ action: "file.read", path: "/app/x" })).toMatchObject({ decision: "allow", allowed: true });
    const ds = await g.checkBatch([
      { action: "file.read", path: "/app/x" },
      { action: "network.request", url: "http://0xa9fea9fe/" },
    ]);
    expect(ds.map((d) => d.decision)).toEqual(["allow", "deny"]);
    expect(await g.check({ action: "file.read", path: 5 })).toMatchObject({ decision: "deny", allowed: false });
    expect(await new Gate({ endpoint: server.url, token: "wrong" }).check({ action: "file.read", path: "/app/x" })).toMatchObject({
      decision: "deny",
      reason: expect.stringContaining("401"),
    });
  });

  it.each([
    ["hangs", (_req: unknown, _res: unknown) => undefined, /no answer within/],
    ["answers 500", (_req: unknown, res: { writeHead(n: number): void; end(s: string): void }) => (res.writeHead(500), res.end("oops")), /HTTP 500/],
    [
      "answers garbage",
      (_req: unknown, res: { writeHead(n: number, h: object): void; end(s: string): void }) => (
        res.writeHead(200, { "content-type": "application/json" }),
        res.end("<html>")
      ),
      /not JSON/,
    ],
    [
      "answers an allow that is not a decision",
      (_req: unknown, res: { writeHead(n: number, h: object): void; end(s: string): void }) => (
        res.writeHead(200, { "content-type": "application/json" }),
        res.end('{"allowed":true}')
      ),
      /not a decision/,
    ],
    [
      "answers allowed:true with deny",
      (_req: unknown, res: { writeHead(n: number, h: object): void; end(s: string): void }) => (
        res.writeHead(200, { "content-type": "application/json" }),
        res.end('{"decision":"deny","allowed":true,"reason":"x"}')
      ),
      /not a decision/,
    ],
  ])("fails closed when the server %s", async (_what, handler, reason) => {
    const url = await oddServer(handler);
    const d = await new Gate({ endpoint: url, timeoutMs: 300, retries: 1 }).check({ action: "file.read", path: "/app/x" });
    expect(d).toMatchObject({ decision: "deny", allowed: false });
    expect(d.reason).toMatch(reason);
  });

  it("fails closed when the server cannot be reached, after retrying", async () => {
    const down = await deadEndpoint();
    const d = await new Gate({ endpoint: down.url, retries: 2 }).check({ action: "file.read", path: "/app/x" });
    await down.close();
    expect(d).toMatchObject({ decision: "deny", error: "unreachable" });
  });
});

describe("safeclaw hook claude-code", () => {
  const BIN = new URL("../bin/safeclaw.js", import.meta.url).pathname;
  const policyFile = (() => {
    const dir = mkdtempSync(tmpdir() + "/safeclaw-hook-");
    writeFileSync(dir + "/safeclaw.config.yaml", POLICY);
    return dir + "/safeclaw.config.yaml";
  })();
  const hook = (event: unknown, args = ["--policy", policyFile]) => {
    const r = spawnSync(process.execPath, [BIN, "hook", "claude-code", ...args], {
      input: typeof event === "string" ? event : JSON.stringify(event),
      encoding: "utf8",
      env: { ...process.env, SAFECLAW_AUDIT_SINK: "" },
    });
    expect(r.status).toBe(0);
    return JSON.parse(r.stdout).hookSpecificOutput;
  };
  const event = (tool_name: string, tool_input: unknown) => ({
    session_id: "abc123",
    transcript_path: "/home/u/.claude/projects/x/abc123.jsonl",
    cwd: "/repo",
    permission_mode: "default",
    hook_event_name: "PreToolUse",
    tool_name,
    tool_input,
    tool_use_id: "toolu_01",
  });

  it.each([
    [event("Bash", { command: "npm test", description: "Run tests" }), "allow"],
    [event("Bash", { command: "cat .env", description: "Show env" }), "deny"],
    [event("Read", { file_path: "/repo/.env" }), "deny"],
    [event("Read", { file_path: "/repo/src/index.ts" }), "allow"],
    [event("Write", { file_path: "/repo/src/new.ts", content: "x" }), "allow"],
    [event("Edit", { file_path: "/etc/hosts", old_string: "a", new_string: "b" }), "deny"],
    [event("Bash", { command: "kubectl rollout restart deploy/web" }), "ask"],
    [event("mcp__filesystem__read_file", { path: "/repo/.env" }), "deny"],
    [event("WebFetch", { url: "https://docs.example.com/guide", prompt: "summarize" }), "allow"],
    ["not json", "deny"],
    [{ hook_event_name: "PreToolUse" }, "deny"],
  ])("%j → %s", (ev, want) => {
    const out = hook(ev);
    expect(out.hookEventName).toBe("PreToolUse");
    expect(out.permissionDecision).toBe(want);
    expect(typeof out.permissionDecisionReason).toBe("string");
  });

  it("without a policy or endpoint it denies", () => {
    expect(hook(event("Bash", { command: "ls" }), []).permissionDecision).toBe("deny");
  });
});

describe("a gate that answers garbage, too few decisions, or throws: every agent wrapper denies", async () => {
  const { withGuards } = await import("../src/sdk/gate.js");
  const { safeClawToolApproval } = await import("../src/sdk/vercel-ai.js");
  const { gatedAgentsTool } = await import("../src/sdk/openai-agents-tool.js");
  const { claudeAgentCanUseTool, claudeAgentPreToolUseHook } = await import("../src/sdk/claude-agent-sdk.js");
  const { gateMcpMessage } = await import("../src/sdk/mcp.js");
  const allow = { decision: "allow" as const, allowed: true, rule: "r", reason: "ok", policy: "" };
  const gateOf = (checkBatch: (rs: readonly object[]) => Promise<unknown>): SafeClawGate =>
    withGuards({ checkBatch: checkBatch as SafeClawGate["checkBatch"], check: async () => allow });
  const GATES: [string, SafeClawGate][] = [
    ["one allow for two requests", gateOf(async () => [allow])],
    ["an allow and an effect it does not know", gateOf(async (rs) => rs.map((_, i) => (i === 0 ? allow : { decision: "nope", allowed: false, reason: "" })))],
    ["an allow and an empty object", gateOf(async (rs) => rs.map((_, i) => (i === 0 ? allow : {})))],
    ["a decision, not a list", gateOf(async () => allow)],
    ["a throw", gateOf(async () => Promise.reject(new Error("boom")))],
  ];
  // Monitor with a command and a WebSocket: two requests.
  const input = { command: "rm -rf /", ws: { url: "wss://evil.example/" }, description: "d", timeout_ms: 1 };
  const ran: string[] = [];
  it.each(GATES)("%s", async (_name, gate) => {
    expect((await decideToolCall(gate, { id: "1", name: "Monitor", input })).decision).toBe("deny");
    expect((await safeClawToolApproval(gate)({ toolCall: { toolCallId: "1", toolName: "Monitor", input } })).type).toBe("denied");
    expect((await claudeAgentCanUseTool(gate)("Monitor", input, { signal: new AbortController().signal })).behavior).toBe("deny");
    const hook = claudeAgentPreToolUseHook(gate).hooks[0]!;
    expect(await hook({ hook_event_name: "PreToolUse", tool_name: "Monitor", tool_input: input }, "t1")).toMatchObject({
      hookSpecificOutput: { permissionDecision: "deny" },
    });
    const tool = gatedAgentsTool(gate, { name: "two", execute: () => ran.push("two") }, () => [
      { action: "shell.execute", command: "a" },
      { action: "shell.execute", command: "b" },
    ]);
    expect(await (tool.execute as unknown as (i: unknown) => Promise<unknown>)({})).toMatch(/^SafeClaw denied/);
    expect(
      (
        await gate.guard(
          [
            { action: "file.read", path: "/a" },
            { action: "file.read", path: "/b" },
          ],
          () => ran.push("guard"),
        )
      ).allowed,
    ).toBe(false);
    const mcp = { jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "read_file", arguments: { path: "/repo/.env" } } };
    expect((await gateMcpMessage(gate, "fs", mcp)).forward).toBe(false);
    expect(ran).toEqual([]);
  });

  it("a mapping that maps a call to no action is a deny, not a crash", async () => {
    const gate = gateOf(async (rs) => rs.map(() => allow));
    const tool = gatedAgentsTool(gate, { name: "none", execute: () => ran.push("none") }, () => []);
    expect(await (tool.execute as unknown as (i: unknown) => Promise<unknown>)({})).toMatch(/maps to no action/);
    expect((await safeClawToolApproval(gate, { mappings: { none: () => [] } })({ toolCall: { toolCallId: "1", toolName: "none", input: {} } })).type).toBe(
      "denied",
    );
    expect(ran).toEqual([]);
  });

  it("the remote gate does not take an allow from a 4xx answer", async () => {
    const fetch4xx = (async () => new Response(JSON.stringify(allow), { status: 400 })) as unknown as typeof fetch;
    const remote = new Gate({ endpoint: "http://gate.invalid", fetch: fetch4xx, retries: 0 });
    expect((await remote.check({ action: "file.read", path: "/a" })).decision).toBe("deny");
    expect(
      (
        await remote.checkBatch([
          { action: "file.read", path: "/a" },
          { action: "file.read", path: "/b" },
        ])
      ).map((d) => d.decision),
    ).toEqual(["deny", "deny"]);
  });
});
