import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { classifyMcpMessage } from "../src/sdk/mcp-methods.js";
import { MCP_DENIED_CODE } from "../src/sdk/mcp-refusal.js";
import { fileUriPaths } from "../src/sdk/resource-uri.js";

const BIN = new URL("../bin/safeclaw.js", import.meta.url).pathname;
const FAKE = new URL("./fixtures/fake-mcp-server.mjs", import.meta.url).pathname;

describe("safeclaw mcp-proxy", () => {
  it("forwards everything but refused tools/call, which it answers itself with an isError tool result", () => {
    const dir = mkdtempSync(join(tmpdir(), "safeclaw-mcp-"));
    const policy = join(dir, "p.yaml");
    writeFileSync(
      policy,
      "rules:\n- {id: env, action: file.*, path: '**/.env', effect: deny, reason: secrets}\n- {id: fs, action: mcp.call, server: filesystem, tool: 'read_*', effect: allow}\n- {id: app, action: file.read, path: '/app/**', effect: allow}\n",
    );
    const messages = [
      { jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "test", version: "1" } } },
      { jsonrpc: "2.0", method: "notifications/initialized" },
      { jsonrpc: "2.0", id: 2, method: "tools/list" },
      { jsonrpc: "2.0", id: 3, method: "tools/call", params: { name: "read_file", arguments: { path: "/app/README.md" } } },
      { jsonrpc: "2.0", id: 4, method: "tools/call", params: { name: "read_file", arguments: { path: "/app/.env" } } },
      { jsonrpc: "2.0", id: 5, method: "tools/call", params: { name: "write_file", arguments: { path: "/app/x", content: "y" } } },
    ];
    const input = messages.map((m) => JSON.stringify(m)).join("\n") + "\nnot json\n";
    const auditFile = join(dir, "audit.log");
    const r = spawnSync(process.execPath, [BIN, "mcp-proxy", "--policy", policy, "--server", "filesystem", "--", process.execPath, FAKE], {
      input,
      encoding: "utf8",
      timeout: 20_000,
      env: { ...process.env, SAFECLAW_AUDIT_SINK: auditFile },
    });
    expect(r.status, r.stderr).toBe(0);
    const out = new Map(
      r.stdout
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l))
        .map((m) => [m.id, m]),
    );
    expect(out.get(1).result.received).toBe("initialize");
    expect(out.get(2).result.received).toBe("tools/list");
    expect(out.get(3).result).toEqual({ received: "tools/call", params: { name: "read_file", arguments: { path: "/app/README.md" } } });
    // A refused tools/call is a tool result the model reads (MCP tools spec), with the decision in _meta for programs.
    expect(out.get(4).result).toMatchObject({
      isError: true,
      content: [{ type: "text", text: expect.stringMatching(/^SafeClaw denied this action \(rule env\): secrets/) }],
      _meta: { "safeclaw/decision": { decision: "deny", rule: "env" } },
    });
    expect(out.get(5).result).toMatchObject({ isError: true, _meta: { "safeclaw/decision": { decision: "deny", rule: null } } });
    expect(out.size).toBe(5);
    expect(r.stderr).toContain("not JSON");
    // Each tools/call is recorded as every action it implies (the mcp.call and its file action), and the trail verifies.
    const decisions = readFileSync(auditFile, "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l))
      .filter((x) => x.type === "decision");
    expect(decisions.map((d) => `${d.action} ${d.decision}`)).toEqual([
      "mcp.call allow",
      "file.read allow",
      "mcp.call allow",
      "file.read deny",
      "mcp.call deny",
      "file.write deny",
    ]);
    expect(spawnSync(process.execPath, [BIN, "audit", "verify", auditFile], { encoding: "utf8" }).status).toBe(0);
  });

  it("refuses to start without a server name or command", () => {
    expect(spawnSync(process.execPath, [BIN, "mcp-proxy", "--policy", "x"], { encoding: "utf8" }).status).toBe(64);
    expect(spawnSync(process.execPath, [BIN, "mcp-proxy", "--policy", "x", "--", "cat"], { encoding: "utf8" }).status).toBe(64);
  });
});

describe("every client message is classified before it reaches the server", () => {
  it.each([
    // [method, params, what is checked (or pass / refuse)]
    ["initialize", { protocolVersion: "2025-11-25" }, "pass"],
    ["ping", undefined, "pass"],
    ["tools/list", undefined, "pass"],
    ["resources/list", undefined, "pass"],
    ["resources/templates/list", undefined, "pass"],
    ["prompts/list", undefined, "pass"],
    ["tasks/list", undefined, "pass"],
    ["tasks/result", { taskId: "t" }, "pass"],
    ["logging/setLevel", { level: "info" }, "pass"],
    ["resources/unsubscribe", { uri: "file:///app/.env" }, "pass"],
    ["notifications/initialized", undefined, "pass"],
    ["notifications/roots/list_changed", undefined, "pass"],
    ["tools/call", { name: "read_file", arguments: { path: "/app/a" } }, ["mcp.call fs read_file", "file.read /app/a"]],
    ["resources/read", { uri: "github://o/r" }, ["mcp.call fs resources/read"]],
    ["resources/read", { uri: "file:///app/a.md" }, ["mcp.call fs resources/read", "file.read /app/a.md"]],
    ["resources/read", { uri: "file:///app/%2eenv" }, ["mcp.call fs resources/read", "file.read /app/%2eenv", "file.read /app/.env"]],
    ["resources/subscribe", { uri: "file://localhost/app/a" }, ["mcp.call fs resources/subscribe", "file.read /app/a"]],
    ["prompts/get", { name: "review", arguments: { pr: "1" } }, ["mcp.call fs prompts/get"]],
    ["completion/complete", { ref: { type: "ref/prompt", name: "review" }, argument: { name: "pr", value: "1" } }, ["mcp.call fs completion/complete"]],
    ["tools/call", { arguments: {} }, "refuse malformed_tool_call"],
    ["resources/read", {}, "refuse invalid_request"],
    ["resources/read", { uri: "file://host/app/a" }, "refuse uncertain"],
    ["prompts/get", { name: 7 }, "refuse invalid_request"],
    ["completion/complete", undefined, "refuse invalid_request"],
    ["sampling/createMessage", {}, "refuse uncertain"],
    ["admin/exec", {}, "refuse uncertain"],
    ["Tools/Call", { name: "x" }, "refuse uncertain"],
  ])("%s %j → %j", (method, params, want) => {
    const c = classifyMcpMessage("fs", { jsonrpc: "2.0", id: 1, method, ...(params !== undefined ? { params } : {}) });
    const got =
      c.kind === "pass"
        ? "pass"
        : c.kind === "refuse"
          ? `refuse ${c.code}`
          : c.requests.map((r) => `${r.action} ${r.action === "mcp.call" ? `${r.server} ${r.tool}` : r.path}`);
    expect(got).toEqual(want);
  });

  it("a response to the server's own request passes; a message that is neither is refused", () => {
    expect(classifyMcpMessage("fs", { jsonrpc: "2.0", id: "s1", result: { roots: [] } }).kind).toBe("pass");
    expect(classifyMcpMessage("fs", { jsonrpc: "2.0", id: "s2", error: { code: 1, message: "no" } }).kind).toBe("pass");
    expect(classifyMcpMessage("fs", { jsonrpc: "2.0", id: 3 })).toMatchObject({ kind: "refuse", code: "invalid_request" });
    expect(classifyMcpMessage("fs", { jsonrpc: "2.0", id: 4, method: 5 })).toMatchObject({ kind: "refuse", field: "method" });
  });

  it.each([
    ["file:///app/a", ["/app/a"]],
    ["FILE:///app/a", ["/app/a"]],
    ["file://LocalHost/app/a", ["/app/a"]],
    ["file:///app/my%20notes.md", ["/app/my%20notes.md", "/app/my notes.md"]],
    ["file:///app/secrets%2Fk", ["/app/secrets%2Fk", "/app/secrets/k"]],
    ["https://example.com/x", []],
    ["note://a/b", []],
    ["file://share/app/a", "uncertain"],
    ["file:/app/a", "uncertain"],
    ["file:app/a", "uncertain"],
    ["file://", "uncertain"],
    ["file:///app/a?x", "uncertain"],
    ["file:///app/a#x", "uncertain"],
    ["file:///app\\..\\.env", "uncertain"],
    ["file:///app/%E0%A4%A", "uncertain"],
    ["file:///app/a b", "uncertain"],
    [" file:///app/.env", "uncertain"],
    ["file:///app/\t.env", "uncertain"],
    ["/app/.env", "invalid_request"],
    ["", "invalid_request"],
  ])("resource URI %j → %j", (uri, want) => {
    const r = fileUriPaths(uri);
    expect(r.ok ? r.paths : r.code).toEqual(want);
  });

  it("the real proxy answers a refused resources/read, prompts/get or unknown method itself, and forwards the rest", () => {
    const dir = mkdtempSync(join(tmpdir(), "safeclaw-mcp-"));
    const policy = join(dir, "p.yaml");
    writeFileSync(
      policy,
      "rules:\n- {id: env, action: file.*, path: '**/.env', effect: deny, reason: secrets}\n- {id: app, action: file.read, path: '/app/**', effect: allow}\n- {id: no-prompts, action: mcp.call, server: docs, tool: 'prompts/*', effect: deny}\n- {id: docs, action: mcp.call, server: docs, effect: allow}\n",
    );
    const messages = [
      { jsonrpc: "2.0", id: 1, method: "resources/read", params: { uri: "file:///app/guide.md" } },
      { jsonrpc: "2.0", id: 2, method: "resources/read", params: { uri: "file:///app/%2Eenv" } },
      { jsonrpc: "2.0", id: 3, method: "prompts/get", params: { name: "review" } },
      { jsonrpc: "2.0", id: 4, method: "admin/exec", params: { command: "id" } },
      { jsonrpc: "2.0", id: 5, method: "resources/list" },
      { jsonrpc: "2.0", id: "srv-1", result: { roots: [] } },
    ];
    const auditFile = join(dir, "audit.log");
    const r = spawnSync(process.execPath, [BIN, "mcp-proxy", "--policy", policy, "--server", "docs", "--", process.execPath, FAKE], {
      input: messages.map((m) => JSON.stringify(m)).join("\n") + "\n",
      encoding: "utf8",
      timeout: 20_000,
      env: { ...process.env, SAFECLAW_AUDIT_SINK: auditFile },
    });
    expect(r.status, r.stderr).toBe(0);
    const out = new Map(
      r.stdout
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l))
        .map((m) => [m.id, m]),
    );
    expect(out.get(1).result).toEqual({ received: "resources/read", params: { uri: "file:///app/guide.md" } });
    expect(out.get(2)).toMatchObject({ error: { code: MCP_DENIED_CODE, data: { decision: "deny", rule: "env" } } });
    expect(out.get(3)).toMatchObject({ error: { code: MCP_DENIED_CODE, data: { decision: "deny", rule: "no-prompts" } } });
    expect(out.get(4)).toMatchObject({
      error: { code: MCP_DENIED_CODE, data: { decision: "deny", rule: null, reason: expect.stringMatching(/^uncertain: .*admin\/exec/) } },
    });
    expect(out.get(5).result.received).toBe("resources/list");
    // The response reached the server (the stand-in echoes anything with an id, responses included).
    expect(out.get("srv-1").result).toEqual({ params: null });
    expect(out.size).toBe(6);
    const decisions = readFileSync(auditFile, "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l))
      .filter((x) => x.type === "decision");
    expect(decisions.map((d) => `${d.action} ${d.target?.tool ?? d.target?.path} ${d.decision}`)).toEqual([
      "mcp.call resources/read allow",
      "file.read /app/guide.md allow",
      "mcp.call resources/read allow",
      "file.read /app/%2Eenv allow",
      "file.read /app/.env deny",
      "mcp.call prompts/get deny",
    ]);
  });
});
