import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, realpathSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { CallToolResultSchema, JSONRPCMessageSchema } from "@modelcontextprotocol/sdk/types.js";
import { describe, expect, it } from "vitest";

/**
 * The proxy between the real MCP TypeScript SDK client and the real
 * reference filesystem server, both as the processes they are in use: the
 * client spawns `safeclaw mcp-proxy` over stdio, which spawns
 * `mcp-server-filesystem` on a temporary directory. The server is started
 * through `sh -c 'echo $$ >pidfile; exec ...'`, so the test knows its pid
 * (exec keeps it) and can check that nothing is left running at the end.
 */
const BIN = new URL("../bin/safeclaw.js", import.meta.url).pathname;
const FS_SERVER = createRequire(import.meta.url).resolve("@modelcontextprotocol/server-filesystem/dist/index.js");

function workspace() {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), "safeclaw-mcp-real-")));
  writeFileSync(join(dir, "README.md"), "hello from the workspace\n");
  writeFileSync(join(dir, ".env"), "TOKEN=do-not-leak\n");
  const policy = join(dir, "..", `${dir.split("/").pop()}.policy.yaml`);
  writeFileSync(
    policy,
    `rules:\n- {id: env, action: file.*, path: '**/.env', effect: deny, reason: secrets live in .env}\n- {id: fs, action: mcp.call, server: filesystem, effect: allow}\n- {id: ws, action: file.read, path: '${dir}/**', effect: allow}\n`,
  );
  const pidFile = join(dir, "..", `${dir.split("/").pop()}.server.pid`);
  const proxyArgs = (...extra: string[]) => [
    BIN,
    "mcp-proxy",
    "--policy",
    policy,
    "--server",
    "filesystem",
    ...extra,
    "--",
    "sh",
    "-c",
    `echo $$ > '${pidFile}'; exec '${process.execPath}' '${FS_SERVER}' '${dir}'`,
  ];
  return { dir, proxyArgs, serverPid: () => Number(readFileSync(pidFile, "utf8").trim()) };
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

const textOf = (r: object) => ((r as { content: unknown }).content as { type: string; text: string }[]).map((c) => c.text).join("");

describe("MCP: the real SDK client → safeclaw mcp-proxy → the real filesystem server", () => {
  it("initialize, tools/list, an allowed read, a refused read of .env the client sees as an isError result, and nothing left running", async () => {
    const w = workspace();
    const transport = new StdioClientTransport({ command: process.execPath, args: w.proxyArgs(), stderr: "pipe" });
    let stderr = "";
    transport.stderr?.on("data", (c: Buffer) => (stderr += c.toString()));
    const client = new Client({ name: "safeclaw-test", version: "1.0.0" });
    await client.connect(transport);
    expect(client.getServerVersion()?.name).toBe("secure-filesystem-server");
    const tools = (await client.listTools()).tools.map((t) => t.name);
    expect(tools).toEqual(expect.arrayContaining(["read_text_file", "write_file", "list_directory"]));

    const allowed = await client.callTool({ name: "read_text_file", arguments: { path: join(w.dir, "README.md") } });
    expect(allowed.isError ?? false).toBe(false);
    expect(textOf(allowed)).toContain("hello from the workspace");

    const refused = await client.callTool({ name: "read_text_file", arguments: { path: join(w.dir, ".env") } });
    expect(refused.isError).toBe(true);
    expect(textOf(refused)).toMatch(/^SafeClaw denied this action \(rule env\): secrets live in \.env\. It was not run\./);
    expect(textOf(refused)).not.toContain("do-not-leak");
    // A write the policy does not allow: refused by default, the file is not written.
    const write = await client.callTool({ name: "write_file", arguments: { path: join(w.dir, "new.txt"), content: "x" } });
    expect(write.isError).toBe(true);
    expect(() => readFileSync(join(w.dir, "new.txt"))).toThrow();

    const proxyPid = transport.pid!;
    const serverPid = w.serverPid();
    expect(alive(serverPid)).toBe(true);
    await client.close();
    await until(() => !alive(proxyPid) && !alive(serverPid));
    expect(stderr).toContain("Secure MCP Filesystem Server running on stdio"); // the server's stderr reached the client through the proxy
  });

  it("a batch over a raw pipe: the allowed elements run, the refused one is answered, one array comes back in the client's order", async () => {
    const w = workspace();
    const p = startRaw(w.proxyArgs());
    await p.request({
      jsonrpc: "2.0",
      id: 1,
      method: "initialize",
      params: { protocolVersion: "2025-03-26", capabilities: {}, clientInfo: { name: "raw", version: "1" } },
    });
    p.send({ jsonrpc: "2.0", method: "notifications/initialized" });
    const batch = [
      { jsonrpc: "2.0", id: "a", method: "tools/call", params: { name: "read_text_file", arguments: { path: join(w.dir, ".env") } } },
      { jsonrpc: "2.0", id: 10, method: "tools/call", params: { name: "read_text_file", arguments: { path: join(w.dir, "README.md") } } },
      { jsonrpc: "2.0", method: "notifications/progress", params: { progressToken: "t", progress: 1 } },
      { jsonrpc: "2.0", id: 11, method: "ping" },
      { jsonrpc: "2.0", id: 12, method: "admin/exec", params: { command: "id" } },
    ];
    p.send(batch);
    const got = (await p.next((m) => Array.isArray(m))) as { id: unknown; result?: Record<string, unknown>; error?: { code: number } }[];
    expect(got.map((m) => m.id)).toEqual(["a", 10, 11, 12]);
    expect(got[0]!.result).toMatchObject({ isError: true, _meta: { "safeclaw/decision": { rule: "env" } } });
    expect(textOf(got[1]!.result!)).toContain("hello from the workspace");
    expect(got[2]!.result).toEqual({});
    expect(got[3]!.error).toMatchObject({ code: -32003 });
    // Every answer is a message the SDK reads; the refusal is a CallToolResult by the SDK's own schema.
    for (const m of got) expect(JSONRPCMessageSchema.safeParse(m).success, JSON.stringify(m)).toBe(true);
    expect(CallToolResultSchema.safeParse(got[0]!.result).success).toBe(true);
    expect(JSON.stringify(got)).not.toContain("do-not-leak");

    // A batch with nothing refused is forwarded as it is; this server (SDK 1.32, MCP 2025-06-18) drops arrays
    // unanswered, which is why a split batch goes to it one message at a time.
    p.send([{ jsonrpc: "2.0", id: 20, method: "ping" }]);
    expect(await p.request({ jsonrpc: "2.0", id: 21, method: "ping" })).toMatchObject({ id: 21, result: {} });
    expect(p.seen.some((m) => JSON.stringify(m).includes('"id":20'))).toBe(false);

    const serverPid = w.serverPid();
    p.proc.stdin.end();
    expect(await p.exitCode).toBe(0);
    await until(() => !alive(serverPid));
  });
});

// Polls a condition the test waits for (a process ending); no time is asserted.
async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setTimeout(r, 50));
  expect(cond()).toBe(true);
}

function startRaw(args: string[]) {
  const proc = spawn(process.execPath, args, { stdio: ["pipe", "pipe", "pipe"] });
  const seen: unknown[] = [];
  const waiters: { pred: (m: unknown) => boolean; resolve: (m: unknown) => void }[] = [];
  createInterface({ input: proc.stdout }).on("line", (line) => {
    const m: unknown = JSON.parse(line);
    seen.push(m);
    const i = waiters.findIndex((w) => w.pred(m));
    if (i >= 0) waiters.splice(i, 1)[0]!.resolve(m);
  });
  proc.stderr.resume();
  const exitCode = new Promise<number | null>((r) => proc.on("exit", (c) => r(c)));
  const send = (m: unknown) => proc.stdin.write(JSON.stringify(m) + "\n");
  const next = (pred: (m: unknown) => boolean) => new Promise<unknown>((resolve) => waiters.push({ pred, resolve }));
  const request = (m: Record<string, unknown> & { id: unknown }) => {
    const answer = next((x) => !Array.isArray(x) && (x as { id?: unknown }).id === m.id);
    send(m);
    return answer;
  };
  return { proc, seen, send, next, request, exitCode };
}
