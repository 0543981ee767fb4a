import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { constants } from "node:os";

/**
 * The MCP server the proxy runs, and its end. The MCP stdio transport's
 * shutdown: close the server's stdin, wait, then SIGTERM, wait, then
 * SIGKILL. The server runs in its own process group, and signals go to the
 * group, so a launcher (`npx`, a shell script) does not leave its real
 * server behind. Its stderr is copied through a pipe of the proxy's, not
 * inherited: an inherited descriptor held by a server (or a grandchild)
 * that outlives the proxy would keep the client's stderr pipe open, and a
 * client that reads it to the end would hang.
 */
export interface McpChild {
  proc: ChildProcessWithoutNullStreams;
  /** resolves with the exit code to report: the server's, 128 + signal when a signal ended it, 1 when it could not start */
  exited: Promise<number>;
  /** passes a signal on to the server's process group */
  signal(sig: NodeJS.Signals): void;
  /** closes the server's stdin, then escalates to SIGTERM and SIGKILL, `graceMs` apart, until it has exited */
  end(graceMs: number): Promise<number>;
}

export function startMcpChild(cmd: string, args: string[], onError: (message: string) => void, stderr: NodeJS.WritableStream): McpChild {
  const proc = spawn(cmd, args, { stdio: ["pipe", "pipe", "pipe"], detached: true });
  let done = false;
  const exited = new Promise<number>((resolve) => {
    proc.on("exit", (code, sig) => {
      done = true;
      resolve(code ?? 128 + (sig ? (constants.signals[sig] ?? 0) : 0));
    });
    proc.on("error", (e) => {
      done = true;
      onError(`safeclaw mcp-proxy: cannot start \`${cmd}\`: ${e.message}`);
      resolve(1);
    });
  });
  const closed = new Promise<void>((r) => proc.on("close", () => r()));
  proc.stderr.on("data", (chunk: Buffer) => stderr.write(chunk));
  proc.stdin.on("error", () => {}); // a server that exits before reading everything: its exit code tells
  const killGroup = (sig: NodeJS.Signals) => {
    if (proc.pid === undefined) return;
    try {
      process.kill(-proc.pid, sig);
    } catch {
      // the group is gone already
    }
  };
  const signal = (sig: NodeJS.Signals) => {
    if (!done) killGroup(sig);
  };
  const end = async (graceMs: number): Promise<number> => {
    proc.stdin.end();
    for (const sig of [undefined, "SIGTERM", "SIGKILL"] as const) {
      if (sig) signal(sig);
      const timer = new Promise<"late">((r) => setTimeout(r, graceMs, "late").unref());
      if ((await Promise.race([exited, timer])) !== "late") break;
    }
    // Whatever the server's own process did, nothing of its group is left running.
    killGroup("SIGKILL");
    const code = await exited;
    // Its last output is read to the end; a descendant that left the group and still holds the pipes
    // is cut off after the grace period, so it holds neither the proxy nor, through it, the client.
    await Promise.race([closed, new Promise((r) => setTimeout(r, graceMs).unref())]);
    proc.stdout.destroy();
    proc.stderr.destroy();
    return code;
  };
  return { proc, exited, signal, end };
}
