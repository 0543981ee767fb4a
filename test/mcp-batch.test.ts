import { CallToolResultSchema, JSONRPCMessageSchema } from "@modelcontextprotocol/sdk/types.js";
import { describe, expect, it } from "vitest";
import { createSafeClawGate } from "../src/sdk/gate.js";
import { gateMcpMessage, MCP_DENIED_CODE } from "../src/sdk/mcp.js";
import { McpBatchJoin } from "../src/sdk/mcp-batch-join.js";

const gate = createSafeClawGate({
  policy: [
    {
      name: "p.yaml",
      text: "rules:\n- {id: env, action: file.*, path: '**/.env', effect: deny, reason: secrets}\n- {id: gh, action: mcp.call, server: gh, tool: 'list_*', effect: allow}\n- {id: fs, action: mcp.call, server: gh, tool: read_file, effect: allow}\n- {id: app, action: file.read, path: '/app/**', effect: allow}\n",
    },
  ],
});
const call = (id: unknown, name: string, args: Record<string, unknown> = {}) => ({
  jsonrpc: "2.0",
  ...(id !== undefined ? { id } : {}),
  method: "tools/call",
  params: { name, arguments: args },
});
const ENV = { path: "/app/.env" };

describe("a JSON-RPC batch is gated element by element", () => {
  it.each([
    // [attack or case, batch, forwarded element ids (or "as is"), ids the proxy answers]
    ["all allowed: forwarded unchanged", [call(1, "list_repos"), { jsonrpc: "2.0", method: "notifications/x" }], "as is", []],
    ["a refused call hidden in a batch of one", [call(2, "delete_repo")], [], [2]],
    ["a refused call after an allowed one", [call(3, "list_repos"), call(4, "delete_repo")], [3], [4]],
    ["a .env read behind a ping", [{ jsonrpc: "2.0", id: 5, method: "ping" }, call(6, "read_file", ENV)], [5], [6]],
    [
      "a resource read of .env in a batch",
      [{ jsonrpc: "2.0", id: 7, method: "resources/read", params: { uri: "file:///app/.env" } }, call(8, "list_x")],
      [8],
      [7],
    ],
    ["a refused notification: not forwarded, not answered", [call(undefined, "delete_repo"), call(9, "list_x")], [9], []],
    ["an element that is not an object", [7, call(10, "list_x")], [10], [null]],
    ["an unknown method", [{ jsonrpc: "2.0", id: 11, method: "admin/exec" }, call(12, "list_x")], [12], [11]],
    ["two requests with one id, one refused: nothing forwarded", [call(13, "list_x"), call(13, "delete_repo")], [], [13, 13]],
    [
      "an element without jsonrpc 2.0 (a server's own guess what it is)",
      [{ id: 16, method: "tools/call", params: { name: "list_x" } }, call(17, "list_x")],
      [17],
      [16],
    ],
    ["a batch inside a batch", [[call(14, "delete_repo")], call(15, "list_x")], [], [null, 15]],
    [
      "a listing whose METHOD is tools/call to a Go server (case-insensitive keys), in a batch",
      [{ jsonrpc: "2.0", id: 18, method: "tools/list", METHOD: "tools/call", params: { name: "delete_repo" } }, call(19, "list_x")],
      [19],
      [18],
    ],
    ["a call whose params carry name and Name, in a batch", [{ ...call(20, "list_x"), params: { name: "list_x", Name: "delete_repo" } }], [], [20]],
  ])("%s", async (_name, batch, forwarded, answered) => {
    const v = await gateMcpMessage(gate, "gh", batch);
    if (forwarded === "as is") return expect(v).toEqual({ forward: true });
    expect(v.forward).toBe(false);
    if (v.forward) return;
    expect(v.batch!.forward.map((m) => (m as { id?: unknown }).id)).toEqual(forwarded);
    expect(v.batch!.answers.map((a) => a.id)).toEqual(answered);
    for (const a of v.batch!.answers) expect(JSONRPCMessageSchema.safeParse(a).success || a.id === null, JSON.stringify(a)).toBe(true);
  });

  it("an empty batch is one Invalid Request error, not an array (JSON-RPC 2.0 §6)", async () => {
    const v = await gateMcpMessage(gate, "gh", []);
    expect(v).toMatchObject({ forward: false, response: { id: null, error: { code: -32600 } } });
    expect(v.forward === false && v.batch).toBeUndefined();
  });

  it("a refused tools/call is a CallToolResult by the SDK's schema; --deny-as error gives the JSON-RPC error", async () => {
    const v = await gateMcpMessage(gate, "gh", [call(1, "read_file", ENV)]);
    const answer = !v.forward ? v.batch!.answers[0]! : undefined;
    expect(CallToolResultSchema.parse(answer!.result)).toMatchObject({ isError: true, content: [{ type: "text", text: expect.stringContaining("rule env") }] });
    const e = await gateMcpMessage(gate, "gh", [call(1, "read_file", ENV)], { denyAs: "error" });
    expect(!e.forward && e.batch!.answers[0]).toMatchObject({ id: 1, error: { code: MCP_DENIED_CODE, data: { rule: "env" } } });
    expect(MCP_DENIED_CODE).not.toBe(-32001); // the TypeScript SDK's ErrorCode.RequestTimeout, which clients retry
  });
});

describe("the proxy joins the server's answers with its own, in the client's order", () => {
  it("holds the refusals until the server has answered, then sends one array in the client's order", async () => {
    const v = await gateMcpMessage(gate, "gh", [call("r", "delete_repo"), call(1, "list_a"), { jsonrpc: "2.0", method: "notifications/x" }, call(2, "list_b")]);
    const join = new McpBatchJoin();
    expect(v.forward).toBe(false);
    if (v.forward) return;
    expect(join.add(v.batch!)).toBeUndefined();
    expect(join.fromServer({ jsonrpc: "2.0", method: "notifications/message", params: {} })).toEqual({ pass: true });
    expect(join.fromServer({ jsonrpc: "2.0", id: 99, result: {} })).toEqual({ pass: true }); // not one the batch waits for
    expect(join.fromServer({ jsonrpc: "2.0", id: 2, result: { b: 1 } })).toEqual({ pass: false });
    const done = join.fromServer({ jsonrpc: "2.0", id: 1, result: { a: 1 } });
    expect(done.pass === false && done.send!.map((m) => m.id)).toEqual(["r", 1, 2]);
    expect(join.flush()).toEqual([]);
  });

  it("a batch the server owes nothing for is answered at once; one it never answers is flushed when it ends", async () => {
    const join = new McpBatchJoin();
    const allRefused = await gateMcpMessage(gate, "gh", [call(1, "delete_repo"), call(undefined, "list_x")]);
    expect(!allRefused.forward && join.add(allRefused.batch!)?.map((m) => m.id)).toEqual([1]);
    const waiting = await gateMcpMessage(gate, "gh", [call(2, "delete_repo"), call(3, "list_x")]);
    expect(!waiting.forward && join.add(waiting.batch!)).toBeUndefined();
    expect(join.flush().map((a) => a.map((m) => m.id))).toEqual([[2]]);
  });
});
