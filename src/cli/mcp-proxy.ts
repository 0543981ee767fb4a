import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { parseArgs } from "node:util";
import type { SafeClawGate } from "../sdk/gate.js";
import { gateMcpMessage } from "../sdk/mcp.js";
import { Gate } from "../sdk/remote-gate.js";
import type { AuditLog } from "../audit/audit-log.js";
import { stdioGateFromFiles } from "../sdk/file-gate.js";
import type { Io } from "./io.js";
import { CliExit, EXIT } from "./load-or-exit.js";
import { parseStrictJson } from "../request/strict-json.js";
import { jsonLines } from "./check.js";
import { ConfigError, parseAgentName } from "../runtime/runtime-config.js";
import { hookGuardSource } from "../sdk/hook-guard.js";

export const MCP_PROXY_HELP = `usage: safeclaw mcp-proxy (--policy <p> | --endpoint <url> [--token <t>]) --server <name> [--agent <name>] -- <command> [args...]

Runs an MCP server over stdio and sits between it and the client. Every
client message is decided before it is forwarded unchanged: tools/call as
mcp.call (server, tool), plus the file actions of filesystem tools;
resources/read and resources/subscribe as mcp.call with tool
"resources/read" / "resources/subscribe" and arguments {uri}, plus a
file.read of a file:// URI's path; prompts/get and completion/complete as
mcp.call with the method as the tool. initialize, ping, the */list
listings, logging/setLevel, resources/unsubscribe, tasks/*, notifications
and responses pass; any other method is refused. A refused message is
answered with a JSON-RPC error and never reaches the server. A line that is
not JSON is not forwarded. The policy files the proxy loaded, its audit
file and Claude Code's settings cannot be written or deleted through it. Requests carry agent <name> from --agent,
else SAFECLAW_AGENT, else none.`;

export async function mcpProxyCommand(args: string[], io: Io, env: Record<string, string | undefined>): Promise<number> {
  const dash = args.indexOf("--");
  if (dash < 0 || dash === args.length - 1) throw new CliExit(EXIT.usage, `safeclaw mcp-proxy: give the server command after --\n\n${MCP_PROXY_HELP}`);
  let values: Record<string, unknown>;
  try {
    values = parseArgs({ args: args.slice(0, dash), options: { policy: { type: "string", multiple: true }, endpoint: { type: "string" }, token: { type: "string" }, server: { type: "string" }, agent: { type: "string" } }, strict: true }).values;
  } catch (e) {
    throw new CliExit(EXIT.usage, `safeclaw mcp-proxy: ${(e as Error).message}`);
  }
  const server = values.server as string | undefined;
  if (!server) throw new CliExit(EXIT.usage, "safeclaw mcp-proxy: --server <name> is required (it is what policies match on)");
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
    const guard = (auditFile: string | undefined) => hookGuardSource({ policies, cwd: io.cwd, ...(env.HOME ? { home: env.HOME } : {}), ...(env.CLAUDE_CONFIG_DIR ? { claudeConfigDir: env.CLAUDE_CONFIG_DIR } : {}), ...(auditFile ? { auditFile } : {}) });
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
  const child = spawn(cmd!, cmdArgs, { stdio: ["pipe", "pipe", "inherit"] });
  const exited = new Promise<number>((resolve) => {
    child.on("exit", (code) => resolve(code ?? 1));
    child.on("error", (e) => {
      io.stderr(`safeclaw mcp-proxy: cannot start \`${cmd}\`: ${e.message}`);
      resolve(1);
    });
  });
  // Server → client: passed through untouched.
  createInterface({ input: child.stdout, crlfDelay: Infinity }).on("line", (line) => io.stdout(line));
  // Client → server: decided in order, one message at a time, so responses keep their order.
  if (io.stdin) {
    for await (const line of jsonLines(io.stdin)) {
      if (line.trim() === "") continue;
      const parsed = parseStrictJson(line);
      if (!parsed.ok && parsed.problem === "syntax") {
        io.stderr("safeclaw mcp-proxy: dropped a line that is not JSON");
        continue;
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
        io.stdout(JSON.stringify({ jsonrpc: "2.0", id, error: { code: -32600, message: `refused by safeclaw: ${parsed.message}` } }));
        continue;
      }
      const message: unknown = parsed.value;
      const verdict = await gateMcpMessage(gate, server, message, agent !== undefined ? { agent } : {});
      if (verdict.forward) child.stdin.write(line + "\n");
      else io.stdout(JSON.stringify(verdict.batchResponse ?? verdict.response));
    }
  }
  child.stdin.end();
  const code = await exited;
  await audit?.close();
  return code;
}
