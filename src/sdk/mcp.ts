import { deny, type Decision } from "../engine/decision.js";
import { decideRequests } from "./decide-requests.js";
import { gateMcpBatch, type McpBatchSplit } from "./mcp-batch.js";
import { classifyMcpMessage } from "./mcp-methods.js";
import { mcpKeySpellingProblem } from "./mcp-key-spellings.js";
import { refusalAnswer, type McpGateOptions } from "./mcp-refusal.js";
import type { SafeClawGate } from "./gate.js";
import type { MappingContext } from "./tool-mapping.js";

export { MCP_DENIED_CODE, MCP_DECISION_META, type McpDenyForm, type McpGateOptions } from "./mcp-refusal.js";
export type { McpBatchSplit } from "./mcp-batch.js";

/**
 * Gating an MCP server: every message from the client is classified
 * (mcp-methods.ts) and decided before it is forwarded: calls, resource reads
 * and prompts as `mcp.call` (plus the file actions they imply), listings and
 * notifications passed, anything else refused. A refused message is
 * answered in place (mcp-refusal.ts): a refused `tools/call` as a tool
 * result with `isError: true`, anything else as a JSON-RPC error.
 */
export type McpVerdict =
  | { forward: true; decision?: Decision }
  | {
      forward: false;
      decision: Decision;
      /** the answer to send the client instead (for a batch: a summary; send `batch.answers` merged with the server's answers) */
      response: Record<string, unknown>;
      /** for a JSON-RPC batch with something refused in it: what to forward and what to answer (mcp-batch.ts) */
      batch?: McpBatchSplit;
    };

export interface McpMessageOptions extends McpGateOptions {
  ctx?: MappingContext;
}

export async function gateMcpMessage(
  gate: SafeClawGate,
  server: string,
  message: unknown,
  ctxOrOptions: MappingContext | McpMessageOptions = {},
): Promise<McpVerdict> {
  const opts = toOptions(ctxOrOptions);
  if (Array.isArray(message)) return gateMcpBatch(message, (m) => gateMcpMessage(gate, server, m, opts), opts);
  if (message === null || typeof message !== "object") {
    const decision = deny("invalid_request", "a JSON-RPC message is an object (or a batch of them)");
    return { forward: false, decision, response: refusalAnswer(undefined, decision, opts) };
  }
  const m = message as Record<string, unknown>;
  // Not JSON-RPC 2.0: what a server makes of it is its own guess, so it is not forwarded.
  if (m.jsonrpc !== "2.0") {
    const decision = deny("invalid_request", 'a JSON-RPC 2.0 message has `"jsonrpc": "2.0"`', { field: "jsonrpc" });
    return { forward: false, decision, response: refusalAnswer(m, decision, opts) };
  }
  // A key the server may read as another one (`METHOD`, `paramſ`, `method\u0000`): decided on ours, run on its reading.
  const spelling = mcpKeySpellingProblem(m);
  if (spelling) {
    const decision = deny("invalid_request", spelling.reason, { field: spelling.field });
    return { forward: false, decision, response: refusalAnswer(m, decision, opts) };
  }
  const check = classifyMcpMessage(server, m, opts.ctx ?? {});
  if (check.kind === "pass") return { forward: true };
  const decision: Decision =
    check.kind === "refuse"
      ? deny(check.code, check.reason, check.field !== undefined ? { field: check.field } : {})
      : await decideRequests(gate, check.requests);
  if (decision.allowed) return { forward: true, decision };
  return { forward: false, decision, response: refusalAnswer(m, decision, opts) };
}

// The third argument was the mapping context alone; it is still accepted as one.
function toOptions(v: MappingContext | McpMessageOptions): McpMessageOptions {
  if ("ctx" in v || "denyAs" in v) return v;
  return { ctx: v as MappingContext };
}
