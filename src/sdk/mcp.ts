import { deny, strictest, type Decision } from "../engine/decision.js";
import { denialMessage, type SafeClawGate } from "./gate.js";
import { mcpRequests, type MappingContext } from "./tool-mapping.js";

/**
 * Gating an MCP server: every JSON-RPC `tools/call` is decided before it is
 * forwarded; other messages pass. A refused call is answered in place with a
 * JSON-RPC error whose message the model can read.
 */
export type McpVerdict = { forward: true; decision?: Decision } | { forward: false; decision: Decision; response: Record<string, unknown> };

/** -32001: an implementation-defined server error code, used for a policy refusal. */
export const MCP_DENIED_CODE = -32001;

export async function gateMcpMessage(gate: SafeClawGate, server: string, message: unknown, ctx: MappingContext = {}): Promise<McpVerdict> {
  const m = message as { jsonrpc?: unknown; id?: unknown; method?: unknown; params?: { name?: unknown; arguments?: unknown } } | null;
  if (!m || typeof m !== "object" || m.method !== "tools/call") return { forward: true };
  const name = m.params?.name;
  const args = m.params?.arguments ?? {};
  let decision: Decision;
  if (typeof name !== "string" || args === null || typeof args !== "object" || Array.isArray(args)) {
    decision = deny("malformed_tool_call", "tools/call without a tool name or with non-object arguments");
  } else {
    decision = strictest(await gate.checkBatch(mcpRequests(server, name, args as Record<string, unknown>, ctx)));
  }
  if (decision.allowed) return { forward: true, decision };
  return {
    forward: false,
    decision,
    response: { jsonrpc: "2.0", id: m.id ?? null, error: { code: MCP_DENIED_CODE, message: denialMessage(decision), data: { decision: decision.decision, rule: decision.rule, reason: decision.reason } } },
  };
}
