import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const BIN = new URL("../bin/safeclaw.js", import.meta.url).pathname;
const FAKE = new URL("./fixtures/fake-mcp-server.mjs", import.meta.url).pathname;

describe("safeclaw mcp-proxy", () => {
  it("forwards everything but refused tools/call, which it answers itself", () => {
    const dir = mkdtempSync(join(tmpdir(), "safeclaw-mcp-"));
    const policy = join(dir, "p.yaml");
    writeFileSync(policy, "rules:\n- {id: env, action: file.*, path: '**/.env', effect: deny, reason: secrets}\n- {id: fs, action: mcp.call, server: filesystem, tool: 'read_*', effect: allow}\n- {id: app, action: file.read, path: '/app/**', effect: allow}\n");
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
    const r = spawnSync(process.execPath, [BIN, "mcp-proxy", "--policy", policy, "--server", "filesystem", "--", process.execPath, FAKE], { input, encoding: "utf8", timeout: 20_000, env: { ...process.env, SAFECLAW_AUDIT_SINK: auditFile } });
    expect(r.status, r.stderr).toBe(0);
    const out = new Map(r.stdout.trim().split("\n").map((l) => JSON.parse(l)).map((m) => [m.id, m]));
    expect(out.get(1).result.received).toBe("initialize");
    expect(out.get(2).result.received).toBe("tools/list");
    expect(out.get(3).result).toEqual({ received: "tools/call", params: { name: "read_file", arguments: { path: "/app/README.md" } } });
    expect(out.get(4)).toMatchObject({ error: { code: -32001, data: { decision: "deny", rule: "env" } } });
    expect(out.get(5)).toMatchObject({ error: { code: -32001, data: { decision: "deny", rule: null } } });
    expect(out.size).toBe(5);
    expect(r.stderr).toContain("not JSON");
    // Each tools/call is recorded as every action it implies (the mcp.call and its file action), and the trail verifies.
    const decisions = readFileSync(auditFile, "utf8").trim().split("\n").map((l) => JSON.parse(l)).filter((x) => x.type === "decision");
    expect(decisions.map((d) => `${d.action} ${d.decision}`)).toEqual(["mcp.call allow", "file.read allow", "mcp.call allow", "file.read deny", "mcp.call deny", "file.write deny"]);
    expect(spawnSync(process.execPath, [BIN, "audit", "verify", auditFile], { encoding: "utf8" }).status).toBe(0);
  });

  it("refuses to start without a server name or command", () => {
    expect(spawnSync(process.execPath, [BIN, "mcp-proxy", "--policy", "x"], { encoding: "utf8" }).status).toBe(64);
    expect(spawnSync(process.execPath, [BIN, "mcp-proxy", "--policy", "x", "--", "cat"], { encoding: "utf8" }).status).toBe(64);
  });
});
