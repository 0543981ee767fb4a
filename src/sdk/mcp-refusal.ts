import type { Decision } from "../engine/decision.js";
import { denialMessage } from "./gate.js";

/**
 * How the proxy answers a message it refused, in place of the server.
 *
 * A refused `tools/call` is by default a tool result with `isError: true`
 * and the reason as text (MCP tools spec: tool errors are results the model
 * reads, protocol errors are for malformed requests). A JSON-RPC error
 * would reach the client's code instead of the model, and with a code a
 * client knows (the TypeScript SDK's -32001 is `RequestTimeout`) it would
 * retry. `denyAs: "error"` keeps the JSON-RPC error form for clients that
 * want it; every other refused method (resources/read, prompts/get, ...)
 * has no result form and always gets the error.
 */
export type McpDenyForm = "result" | "error";

export interface McpGateOptions {
  /** how a refused `tools/call` is answered: a `CallToolResult` with `isError: true` (default) or a JSON-RPC error */
  denyAs?: McpDenyForm;
}

/**
 * -32003: in JSON-RPC's implementation-defined server-error range
 * (-32000..-32099) and used by none of the TypeScript SDK's `ErrorCode`
 * (-32000 ConnectionClosed, -32001 RequestTimeout, -32042
 * UrlElicitationRequired) nor by the MCP spec (-32002 resource not found),
 * so no client reads a policy refusal as a timeout or a missing resource.
 */
export const MCP_DENIED_CODE = -32003;

/** JSON-RPC 2.0 "Invalid Request": the message is not one. */
export const JSONRPC_INVALID_REQUEST = -32600;

/** Where the proxy's answer to a refusal carries the decision for programs (the text is for the model). */
export const MCP_DECISION_META = "safeclaw/decision";

type Answer = Record<string, unknown>;

const decisionData = (d: Decision) => ({
  decision: d.decision,
  rule: d.rule,
  reason: d.reason,
  ...(d.error !== undefined ? { error: d.error } : {}),
  // the approval a require_approval created, for a client that shows approvers or waits for one (the text says it to the model)
  ...(d.approval !== undefined ? { approval: d.approval } : {}),
});

/**
 * The answer to a refused request `m` (an object with a `method`, or not).
 * A request without `id` still gets an answer with `id: null`, as JSON-RPC
 * answers a request it could not read; a caller that must not answer a
 * notification drops it.
 */
export function refusalAnswer(m: Record<string, unknown> | undefined, decision: Decision, opts: McpGateOptions = {}): Answer {
  const hasId = m !== undefined && Object.hasOwn(m, "id");
  const id = hasId ? m.id : null;
  const message = denialMessage(decision);
  // A request that is not one (invalid_request) is a protocol error whatever its method says.
  if (hasId && m.method === "tools/call" && decision.error !== "invalid_request" && (opts.denyAs ?? "result") === "result") {
    return {
      jsonrpc: "2.0",
      id,
      result: { content: [{ type: "text", text: message }], isError: true, _meta: { [MCP_DECISION_META]: decisionData(decision) } },
    };
  }
  const code = m === undefined || decision.error === "invalid_request" ? JSONRPC_INVALID_REQUEST : MCP_DENIED_CODE;
  return { jsonrpc: "2.0", id, error: { code, message, data: decisionData(decision) } };
}
