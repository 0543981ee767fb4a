import { createInterface } from "node:readline";
import { parseArgs } from "node:util";
import type { SafeClawGate } from "../sdk/gate.js";
import { gateMcpMessage, type McpDenyForm } from "../sdk/mcp.js";
import { McpBatchJoin } from "../sdk/mcp-batch-join.js";
import { startMcpChild } from "./mcp-child.js";
import { Gate } from "../sdk/remote-gate.js";
import type { AuditLog } from "../audit/audit-log.js";
import { stdioGateFromFiles } from "../sdk/file-gate.js";
import type { Io } from "./io.js";
import { CliExit, EXIT } from "./load-or-exit.js";
import { parseStrictJson } from "../request/strict-json.js";
import { jsonLines } from "./check.js";
import { ConfigError, parseAgentName } from "../runtime/runtime-config.js";
import { hookGuardSource } from "../runtime/node/hook-guard.js";

export const MCP_PROXY_HELP = `usage: safeclaw mcp-proxy (--policy <p> | --endpoint <url> [--token <t>]) --server <name> [--agent <name>] [--deny-as result|error] [--grace-ms <ms>] -- <command> [args...]

Runs an MCP server over stdio and sits between it and the client. Every
client message is decided before it is forwarded unchanged: tools/call as
mcp.call (server, tool), plus the file actions of filesystem tools;
resources/read and resources/subscribe as mcp.call with tool
"resources/read" / "resources/subscribe" and arguments {uri}, plus a
file.read of a file:// URI's path; prompts/get and completion/complete as
mcp.call with the method as the tool. initialize, ping, the */list
listings, logging/setLevel, resources/unsubscribe, tasks/*, notifications
and responses pass; any other method is refused. A refused message never
reaches the server: a refused tools/call is answered with a tool result
{content: [{type: "text", text: <reason>}], isError: true}, or with
--deny-as error a JSON-RPC error (code -32003, as every other refused
method is). A JSON-RPC batch is gated element by element: all allowed, it
is forwarded as is; otherwise the allowed elements are forwarded one by
one and the client gets one array with the server's answers and the
proxy's, in its order. A line that is not JSON is not forwarded. The
policy files the proxy loaded, its audit file and Claude Code's settings
cannot be written or deleted through it.
Requests carry agent <name> from --agent, else SAFECLAW_AGENT, else none.

SIGINT, SIGTERM and SIGHUP are passed on to the server (SIGKILL follows
if it is still running --grace-ms later). When the client
closes stdin, the server's stdin is closed; if it has not exited after
--grace-ms (default 2000) it gets SIGTERM, then SIGKILL. The proxy exits
with the server's exit code (128 + the signal's number when one ended it).`;

export async function mcpProxyCommand(args: string[], io: Io, env: Record<string, string | undefined>): Promise<number> {
  const dash = args.indexOf("--");
  if (dash < 0 || dash === args.length - 1) throw new CliExit(EXIT.usage, `safeclaw mcp-proxy: give the server command after --\n\n${MCP_PROXY_HELP}`);
  let values: Record<string, unknown>;
  try {
    values = parseArgs({
      args: args.slice(0, dash),
      options: {
        policy: { type: "string", multiple: true },
        endpoint: { type: "string" },
        token: { type: "string" },
        server: { type: "string" },
        agent: { type: "string" },
        "deny-as": { type: "string" },
        "grace-ms": { type: "string" },
      },
      strict: true,
    }).values;
  } catch (e) {
    throw new CliExit(EXIT.usage, `safeclaw mcp-proxy: ${(e as Error).message}`);
  }
  const server = values.server as string | undefined;
  if (!server) throw new CliExit(EXIT.usage, "safeclaw mcp-proxy: --server <name> is required (it is what policies match on)");
  const denyAs = (values["deny-as"] as string | undefined) ?? "result";
  if (denyAs !== "result" && denyAs !== "error")
    throw new CliExit(
      EXIT.usage,
      `safeclaw mcp-proxy: --deny-as is \`result\` (a tool result with isError, the default) or \`error\` (a JSON-RPC error), not \`${denyAs}\``,
    );
  const graceRaw = (values["grace-ms"] as string | undefined) ?? "2000";
  const graceMs = /^\d{1,7}$/.test(graceRaw) ? Number(graceRaw) : NaN;
  if (Number.isNaN(graceMs)) throw new CliExit(EXIT.usage, `safeclaw mcp-proxy: --grace-ms is a number of milliseconds, not \`${graceRaw}\``);
  const agentRaw = (values.agent as string | undefined) ?? (env.SAFECLAW_AGENT || undefined);
  let agent: string | undefined;
  try {
    agent = agentRaw === undefined ? undefined : parseAgentName(agentRaw, values.agent !== undefined ? "--agent" : "SAFECLAW_AGENT");
  } catch (e) {
    if (e instanceof ConfigError) throw new CliExit(EXIT.usage, `safeclaw mcp-proxy: ${e.message}`);
    throw e;
  }
  let gate: SafeClawGate;
  let audit: AuditLog | undefined;
  const policies = (values.policy as string[] | undefined) ?? [];
  if (policies.length > 0) {
    // A filesystem server's write_file/move_file is a file.write like any: the files the proxy's own
    // enforcement rests on (its policy, its audit file, Claude Code's settings in $HOME) are guarded
    // before the user's rules, as the hook guards them.
    const guard = (auditFile: string | undefined) =>
      hookGuardSource({
        policies,
        cwd: io.cwd,
        ...(env.HOME ? { home: env.HOME } : {}),
        ...(env.CLAUDE_CONFIG_DIR ? { claudeConfigDir: env.CLAUDE_CONFIG_DIR } : {}),
        ...(auditFile ? { auditFile } : {}),
      });
    const g = await stdioGateFromFiles(policies, { env, instance: { runtime: "mcp-proxy", server }, chainParts: ["mcp", server], log: io.stderr, guard });
    if (!g.ok && g.problem === "invalid-policy") throw new CliExit(EXIT.invalid, `safeclaw mcp-proxy: policy is invalid\n${g.errors.join("\n")}`);
    if (!g.ok) throw new CliExit(EXIT.usage, "safeclaw mcp-proxy: stdout carries the MCP protocol; audit to a file or s3:// instead");
    gate = g.gate;
    audit = g.audit;
  } else {
    const endpoint = (values.endpoint as string | undefined) ?? env.SAFECLAW_ENDPOINT;
    if (!endpoint) throw new CliExit(EXIT.usage, "safeclaw mcp-proxy: give --policy or --endpoint");
    const token = (values.token as string | undefined) ?? env.SAFECLAW_TOKEN;
    gate = new Gate({ endpoint, ...(token ? { token } : {}) });
  }

  const [cmd, ...cmdArgs] = args.slice(dash + 1);
  const child = startMcpChild(cmd!, cmdArgs, io.stderr, process.stderr);
  // A signal to the proxy is the client (or a supervisor) ending the session: passed on to the server, whose exit
  // ends the proxy; a server still running --grace-ms later is killed, so the proxy never outlives the request to end.
  const onSignal = (sig: NodeJS.Signals) => {
    child.signal(sig);
    setTimeout(() => child.signal("SIGKILL"), graceMs).unref();
  };
  for (const sig of FORWARDED_SIGNALS) process.on(sig, onSignal);
  const join = new McpBatchJoin();
  // Server → client: passed through untouched, except the answers a split batch waits for.
  createInterface({ input: child.proc.stdout, crlfDelay: Infinity }).on("line", (line) => {
    let message: unknown;
    try {
      message = JSON.parse(line);
    } catch {
      io.stdout(line);
      return;
    }
    const r = join.fromServer(message);
    if (r.pass) io.stdout(line);
    else if (r.send) io.stdout(JSON.stringify(r.send));
  });
  const serverGone = child.exited.then(() => {
    // Nothing will answer what is still forwarded: stop reading the client, so the proxy ends with the server.
    io.stdin?.destroy();
  });
  const ctx = agent !== undefined ? { agent } : {};
  // Client → server: decided in order, one message at a time, so responses keep their order.
  try {
    if (io.stdin)
      for await (const line of jsonLines(io.stdin))
        await relayClientLine(line, { gate, server, ctx, denyAs, join, send: (l) => child.proc.stdin.write(l + "\n"), answer: io.stdout, warn: io.stderr });
  } catch (e) {
    if (!io.stdin?.destroyed) throw e; // the server ended and the client's stdin was closed on purpose
  }
  const code = await child.end(graceMs);
  await serverGone;
  for (const sig of FORWARDED_SIGNALS) process.off(sig, onSignal);
  for (const answers of join.flush()) io.stdout(JSON.stringify(answers));
  await audit?.close();
  return code;
}

const FORWARDED_SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"] as const;

interface Relay {
  gate: SafeClawGate;
  server: string;
  ctx: { agent?: string };
  denyAs: McpDenyForm;
  join: McpBatchJoin;
  send(line: string): void;
  answer(line: string): void;
  warn(line: string): void;
}

async function relayClientLine(line: string, r: Relay): Promise<void> {
  if (line.trim() === "") return;
  const parsed = parseStrictJson(line);
  if (!parsed.ok && parsed.problem === "syntax") {
    r.warn("safeclaw mcp-proxy: dropped a line that is not JSON");
    return;
  }
  if (!parsed.ok) {
    // Forwarded as is, a duplicated key would be decided on our reading and run on the server's
    // (cJSON, for one, takes the first): answered here as an invalid request, never forwarded.
    let id: unknown = null;
    try {
      id = (JSON.parse(line) as { id?: unknown })?.id ?? null;
    } catch {
      // the id is unreadable too: null, as JSON-RPC says
    }
    r.answer(JSON.stringify({ jsonrpc: "2.0", id, error: { code: -32600, message: `refused by safeclaw: ${parsed.message}` } }));
    return;
  }
  const verdict = await gateMcpMessage(r.gate, r.server, parsed.value, { ctx: r.ctx, denyAs: r.denyAs });
  if (verdict.forward) return r.send(line);
  if (!verdict.batch) return r.answer(JSON.stringify(verdict.response));
  // A split batch: the allowed elements one message each (the strict reading re-serialized: what was decided is what is sent).
  const now = r.join.add(verdict.batch);
  for (const m of verdict.batch.forward) r.send(JSON.stringify(m));
  if (now && now.length > 0) r.answer(JSON.stringify(now));
}
