import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { createSafeClawGate as gateFromFiles } from "../src/sdk/file-gate.js";
import { gateMcpMessage, MCP_DENIED_CODE } from "../src/sdk/mcp.js";

const EXAMPLES = new URL("../examples/", import.meta.url).pathname;
const gate = () => gateFromFiles({ policy: EXAMPLES + "example-policy.yaml" });

describe("MCP tools/call gating", () => {
  it("forwards allowed calls and other messages; answers refused calls with an isError tool result, or a JSON-RPC error if asked", async () => {
    const g = gateFromFiles({ policy: EXAMPLES + "example-policy.yaml" });
    expect(await gateMcpMessage(g, "filesystem", { jsonrpc: "2.0", id: 1, method: "tools/list" })).toEqual({ forward: true });
    // The example policy has no mcp.call rule, so even a harmless call is refused: deny by default.
    const refused = await gateMcpMessage(g, "filesystem", {
      jsonrpc: "2.0",
      id: 7,
      method: "tools/call",
      params: { name: "read_file", arguments: { path: "/app/.env" } },
    });
    expect(refused.forward).toBe(false);
    if (!refused.forward) {
      expect(refused.response).toMatchObject({
        jsonrpc: "2.0",
        id: 7,
        result: { isError: true, content: [{ type: "text", text: expect.stringMatching(/^SafeClaw denied/) }] },
      });
    }
    const asError = await gateMcpMessage(
      g,
      "filesystem",
      { jsonrpc: "2.0", id: 9, method: "tools/call", params: { name: "read_file", arguments: { path: "/app/.env" } } },
      { denyAs: "error" },
    );
    expect(asError).toMatchObject({
      forward: false,
      response: { jsonrpc: "2.0", id: 9, error: { code: MCP_DENIED_CODE, message: expect.stringMatching(/^SafeClaw denied/), data: { decision: "deny" } } },
    });
    const malformed = await gateMcpMessage(g, "filesystem", { jsonrpc: "2.0", id: 8, method: "tools/call", params: { arguments: {} } });
    expect(malformed.forward).toBe(false);
  });

  it("an allowed MCP server still cannot read a denied file", async () => {
    const { createSafeClawGate } = await import("../src/sdk/gate.js");
    const g = createSafeClawGate({
      policy: [
        {
          name: "p.yaml",
          text: "rules:\n- {id: env, action: file.read, path: '**/.env', effect: deny}\n- {id: fs, action: mcp.call, server: filesystem, effect: allow}\n- {id: app, action: file.read, path: '/app/**', effect: allow}",
        },
      ],
    });
    const ok = await gateMcpMessage(g, "filesystem", {
      jsonrpc: "2.0",
      id: 1,
      method: "tools/call",
      params: { name: "read_file", arguments: { path: "/app/README.md" } },
    });
    expect(ok.forward).toBe(true);
    const no = await gateMcpMessage(g, "filesystem", {
      jsonrpc: "2.0",
      id: 2,
      method: "tools/call",
      params: { name: "read_file", arguments: { path: "/app/.env" } },
    });
    expect(no).toMatchObject({ forward: false, decision: { rule: "env" } });
  });
});

describe("createSafeClawGate({ policy: path }) from the product pages", () => {
  it("reads the file; a missing file denies everything, saying why", async () => {
    expect(await gate().check({ action: "file.read", path: "/app/x" })).toMatchObject({ decision: "allow" });
    const missing = gateFromFiles({ policy: "/nonexistent/safeclaw.config.yaml" });
    expect(await missing.check({ action: "file.read", path: "/app/x" })).toMatchObject({ decision: "deny", reason: expect.stringContaining("no such file") });
  });
});

describe("the offline examples run and gate what they should", () => {
  const run = (name: string) => {
    const r = spawnSync(process.execPath, [EXAMPLES + name], { encoding: "utf8", timeout: 30_000 });
    expect(r.status, r.stderr).toBe(0);
    return r;
  };
  it("Claude Messages loop", () => {
    const out = run("claude-loop.mjs")
      .stdout.trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(out.map((o) => o.is_error)).toEqual([false, false, true, true]);
    expect(out[2].content).toMatch(/rule no-dotenv/);
  });
  it("OpenAI loop", () => {
    const out = run("openai-loop.mjs")
      .stdout.trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(out[0].content).toMatch(/would fetch/);
    expect(out[1].content).toMatch(/valid JSON arguments/);
    expect(out[2].content).toMatch(/rule metadata/);
  });
  it("Lambda agent (in-process gate)", () => {
    const out = run("lambda-agent.mjs")
      .stdout.trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(out.map((o) => o.decision)).toEqual(["allow", "deny"]);
  });
  it("MCP: the real SDK client through safeclaw mcp-proxy to the real filesystem server", () => {
    const out = run("mcp-filesystem.mjs")
      .stdout.trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(out.map((o) => `${o.tool} ${o.isError}`)).toEqual(["read_text_file false", "read_text_file true", "write_file true"]);
    expect(out[0].text).toContain("ship it");
    expect(out[1].text).toMatch(/rule no-dotenv/);
    expect(out[1].text).not.toContain("not-for-the-model");
  });
  it("Vercel AI SDK tool loop with toolApproval", () => {
    const out = run("vercel-ai-agent.mjs")
      .stdout.trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(out.slice(0, 3).map((o) => o.output.type)).toEqual(["text", "execution-denied", "execution-denied"]);
    expect(out[1].output.reason).toMatch(/rule no-dotenv/);
    expect(out[2].output.reason).toMatch(/rule metadata/);
    expect(out[3].text).toMatch(/refused/);
  });
  it("sidecar client (remote Gate)", () => {
    expect(run("sidecar-client.mjs").stderr).toMatch(/file.read done\nSafeClaw denied: Secrets live in .env files/);
  });
});
