import { spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

/**
 * The proxy's end of a session (MCP stdio shutdown: close the server's
 * stdin, then SIGTERM, then SIGKILL), signals passed on, the exit code the
 * server's, and the client's stderr never held open by what the server left
 * behind. The server is a stand-in (test/fixtures/mcp-lifecycle-server.mjs)
 * whose behaviour each case picks; the proxy is the real CLI process.
 */
const BIN = new URL("../bin/safeclaw.js", import.meta.url).pathname;
const SERVER = new URL("./fixtures/mcp-lifecycle-server.mjs", import.meta.url).pathname;

function policy(): string {
  const p = join(mkdtempSync(join(tmpdir(), "safeclaw-mcp-life-")), "p.yaml");
  writeFileSync(p, "rules:\n- {id: all, action: mcp.call, server: s, effect: allow}\n");
  return p;
}

function startProxy(mode: string) {
  const proc = spawn(process.execPath, [BIN, "mcp-proxy", "--policy", policy(), "--server", "s", "--grace-ms", "300", "--", process.execPath, SERVER, mode], {
    stdio: ["pipe", "pipe", "pipe"],
  });
  let stderr = "";
  let stdout = "";
  proc.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
  proc.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
  // "close": the process has exited and every one of its stdio pipes is closed, the client's view of the end.
  const closed = new Promise<{ code: number | null }>((r) => proc.on("close", (code) => r({ code })));
  const pidOf = async (what: "pid" | "grandchild") => {
    await until(() => new RegExp(`^${what} \\d+$`, "m").test(stderr));
    return Number(new RegExp(`^${what} (\\d+)$`, "m").exec(stderr)![1]);
  };
  return { proc, closed, pidOf, err: () => stderr, out: () => stdout };
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 300 && !cond(); i++) await new Promise((r) => setTimeout(r, 50));
  expect(cond()).toBe(true);
}

describe("safeclaw mcp-proxy ends its server with the session", () => {
  it.each([
    // [server behaviour, exit code the proxy reports, what the server's stderr shows]
    ["polite", 0, undefined],
    ["deaf", 128 + 15, undefined],
    ["stubborn", 128 + 9, "ignoring SIGTERM"],
  ])("client closes stdin, server %s: it is ended (exit %i) and not left running", async (mode, code, trace) => {
    const p = startProxy(mode);
    const pid = await p.pidOf("pid");
    p.proc.stdin.write(JSON.stringify({ jsonrpc: "2.0", id: 1, method: "ping" }) + "\n");
    await until(() => p.out().includes(`"pid":${pid}`));
    p.proc.stdin.end();
    expect((await p.closed).code).toBe(code);
    expect(alive(pid)).toBe(false);
    if (trace) expect(p.err()).toContain(trace);
  });

  it("a grandchild of the server (in its process group) is ended with it", async () => {
    const p = startProxy("grandchild");
    const grandchild = await p.pidOf("grandchild");
    p.proc.stdin.end();
    expect((await p.closed).code).toBe(0);
    await until(() => !alive(grandchild));
  });

  it("a grandchild that left the server's process group and holds its stderr does not hold the client's stderr", async () => {
    const p = startProxy("escapee");
    const grandchild = await p.pidOf("grandchild");
    try {
      p.proc.stdin.end();
      // With the server's stderr inherited, the client's pipe would stay open (and "close" not come) for the grandchild's 60 s.
      expect((await p.closed).code).toBe(0);
      expect(alive(grandchild)).toBe(true); // it is out of the proxy's reach; what matters is that the client is not held
    } finally {
      process.kill(grandchild, "SIGKILL");
    }
  });

  it.each([
    ["SIGINT", 5], // the stand-in's own SIGINT handler exits 5: the signal reached it, and its code is the proxy's
    ["SIGTERM", 128 + 15],
  ] as const)("%s to the proxy reaches the server, whose exit code the proxy reports (%i)", async (sig, code) => {
    const p = startProxy("polite");
    const pid = await p.pidOf("pid");
    p.proc.kill(sig);
    expect((await p.closed).code).toBe(code);
    expect(alive(pid)).toBe(false);
    if (sig === "SIGINT") expect(p.err()).toContain("got SIGINT");
  });

  it("SIGTERM to the proxy, server ignores it: killed after the grace period, the proxy exits 137", async () => {
    const p = startProxy("stubborn");
    const pid = await p.pidOf("pid");
    p.proc.kill("SIGTERM");
    expect((await p.closed).code).toBe(128 + 9);
    expect(p.err()).toContain("ignoring SIGTERM");
    expect(alive(pid)).toBe(false);
  });

  it("a server that exits on its own ends the proxy with its code, though the client's stdin is still open", async () => {
    const p = startProxy("exit3");
    await p.pidOf("pid");
    p.proc.stdin.write(JSON.stringify({ jsonrpc: "2.0", id: 1, method: "ping" }) + "\n");
    expect((await p.closed).code).toBe(3);
    expect(p.proc.stdin.writableEnded).toBe(false);
  });
});
