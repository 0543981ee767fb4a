import { deny, strictest, type Decision } from "../engine/decision.js";
import { denialMessage, type SafeClawGate } from "./gate.js";
import { classifyMcpMessage } from "./mcp-methods.js";
import type { MappingContext } from "./tool-mapping.js";

/**
 * Gating an MCP server: every message from the client is classified
 * (mcp-methods.ts) and decided before it is forwarded: calls, resource reads
 * and prompts as `mcp.call` (plus the file actions they imply), listings and
 * notifications passed, anything else refused. A refused message is answered
 * in place with a JSON-RPC error whose message the model can read.
 */
export type McpVerdict =
  | { forward: true; decision?: Decision }
  | {
      forward: false;
      decision: Decision;
      response: Record<string, unknown>;
      /** for a refused JSON-RPC batch: the answers to send instead of `response`, one per request in it */
      batchResponse?: Record<string, unknown>[];
    };

/** -32001: an implementation-defined server error code, used for a policy refusal. */
export const MCP_DENIED_CODE = -32001;

export async function gateMcpMessage(gate: SafeClawGate, server: string, message: unknown, ctx: MappingContext = {}): Promise<McpVerdict> {
  if (Array.isArray(message)) return gateBatch(gate, server, message, ctx);
  if (message === null || typeof message !== "object") {
    const decision = deny("invalid_request", "a JSON-RPC message is an object (or a batch of them)");
    return { forward: false, decision, response: { jsonrpc: "2.0", id: null, error: { code: -32600, message: denialMessage(decision) } } };
  }
  const m = message as Record<string, unknown>;
  const check = classifyMcpMessage(server, m, ctx);
  if (check.kind === "pass") return { forward: true };
  const decision: Decision =
    check.kind === "refuse" ? deny(check.code, check.reason, check.field !== undefined ? { field: check.field } : {}) : strictest(await gate.checkBatch(check.requests));
  if (decision.allowed) return { forward: true, decision };
  return {
    forward: false,
    decision,
    response: { jsonrpc: "2.0", id: Object.hasOwn(m, "id") ? m.id : null, error: { code: MCP_DENIED_CODE, message: denialMessage(decision), data: { decision: decision.decision, rule: decision.rule, reason: decision.reason } } },
  };
}

/**
 * A JSON-RPC batch (an array of messages, which MCP 2025-03-26 allows) is
 * gated message by message: forwarded only when every one in it is
 * allowed; otherwise none of it is, and each request in it is answered (the
 * refused calls with their refusal, the others with a request to resend
 * them on their own), so nothing a server would run slips through in a list.
 */
async function gateBatch(gate: SafeClawGate, server: string, batch: unknown[], ctx: MappingContext): Promise<McpVerdict> {
  const verdicts = await Promise.all(batch.map((m) => (Array.isArray(m) ? Promise.resolve(nestedBatch()) : gateMcpMessage(gate, server, m, ctx))));
  const refused = verdicts.filter((v): v is Extract<McpVerdict, { forward: false }> => !v.forward);
  if (refused.length === 0) return { forward: true };
  const decision = strictest(refused.map((v) => v.decision));
  const responses = batch.flatMap((m, i): Record<string, unknown>[] => {
    const v = verdicts[i]!;
    if (!v.forward) return v.batchResponse ?? [v.response];
    const id = m !== null && typeof m === "object" && Object.hasOwn(m, "id") ? (m as { id: unknown }).id : undefined;
    if (id === undefined) return []; // a notification gets no answer
    return [{ jsonrpc: "2.0", id, error: { code: MCP_DENIED_CODE, message: "SafeClaw refused the batch this request came in, because another call in it was refused. It was not run. Send it again on its own." } }];
  });
  return { forward: false, decision, response: { jsonrpc: "2.0", id: null, error: { code: MCP_DENIED_CODE, message: denialMessage(decision) } }, batchResponse: responses };
}

function nestedBatch(): McpVerdict {
  const decision = deny("malformed_tool_call", "a JSON-RPC batch inside a batch is not a message");
  return { forward: false, decision, response: { jsonrpc: "2.0", id: null, error: { code: -32600, message: denialMessage(decision) } } };
}
