import type { DecisionErrorCode } from "../engine/decision.js";
import { fileUriPaths } from "./resource-uri.js";
import { fileAction, mcpRequests, withCtx, type ActionRequest, type MappingContext } from "./tool-mapping.js";

/**
 * What a message from an MCP client asks the server to do, for the proxy to
 * gate it (MCP 2025-11-25, client → server). Every method is classified; one
 * that is not is refused, never forwarded on trust:
 *
 * - nothing to check: the handshake (`initialize`, `ping`), listings
 *   (`tools/list`, `resources/list`, `resources/templates/list`,
 *   `prompts/list`, `tasks/list`), `logging/setLevel`,
 *   `resources/unsubscribe`, `tasks/get`/`tasks/result`/`tasks/cancel` (they
 *   concern tasks that a gated request created), notifications
 *   (`notifications/*`, no answer, nothing run on the client's behalf) and
 *   responses to the server's own requests (roots, sampling, elicitation);
 * - `tools/call`: `mcp.call` with the tool's name and arguments, plus the file
 *   actions of the filesystem server's tools;
 * - `resources/read`, `resources/subscribe`: `mcp.call` with the method as the
 *   tool name and `{uri}` as arguments, plus for a `file://` URI a
 *   `file.read` of its path, as a filesystem tool reading it would be;
 * - `prompts/get`: `mcp.call` tool `prompts/get`, arguments `{name, arguments}`;
 * - `completion/complete`: `mcp.call` tool `completion/complete`, arguments
 *   the request's `params` (completions can list names a server knows).
 */
export type McpMethodCheck =
  { kind: "pass" } | { kind: "check"; requests: ActionRequest[] } | { kind: "refuse"; code: DecisionErrorCode; reason: string; field?: string };

const PASS = new Set([
  "initialize",
  "ping",
  "tools/list",
  "resources/list",
  "resources/templates/list",
  "prompts/list",
  "logging/setLevel",
  "resources/unsubscribe",
  "tasks/list",
  "tasks/get",
  "tasks/result",
  "tasks/cancel",
]);

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);

export function classifyMcpMessage(server: string, m: Record<string, unknown>, ctx: MappingContext = {}): McpMethodCheck {
  if (!Object.hasOwn(m, "method")) {
    // A response to the server's own request (roots/list, sampling, elicitation): it runs nothing.
    if (Object.hasOwn(m, "id") && (Object.hasOwn(m, "result") || Object.hasOwn(m, "error"))) return { kind: "pass" };
    return { kind: "refuse", code: "invalid_request", reason: "not a JSON-RPC request, notification or response (no `method`, and no `result` or `error`)" };
  }
  const method = m.method;
  if (typeof method !== "string") return { kind: "refuse", code: "invalid_request", reason: "`method` must be a string", field: "method" };
  if (PASS.has(method) || method.startsWith("notifications/")) return { kind: "pass" };
  const params = m.params;
  switch (method) {
    case "tools/call": {
      const p = isObject(params) ? params : {};
      const args = p.arguments ?? {};
      if (typeof p.name !== "string" || !isObject(args))
        return { kind: "refuse", code: "malformed_tool_call", reason: "tools/call without a tool name or with non-object arguments" };
      return { kind: "check", requests: mcpRequests(server, p.name, args, ctx) };
    }
    case "resources/read":
    case "resources/subscribe": {
      const uri = isObject(params) ? params.uri : undefined;
      if (typeof uri !== "string") return { kind: "refuse", code: "invalid_request", reason: `${method} needs \`params.uri\`, a string`, field: "params.uri" };
      const files = fileUriPaths(uri);
      if (!files.ok) return { kind: "refuse", code: files.code, reason: files.reason, field: "params.uri" };
      return {
        kind: "check",
        requests: [
          withCtx({ action: "mcp.call", server, tool: method, arguments: { uri } }, ctx, false),
          ...files.paths.map((p) => fileAction("file.read", p, ctx)),
        ],
      };
    }
    case "prompts/get": {
      const p = isObject(params) ? params : {};
      const args = p.arguments ?? {};
      if (typeof p.name !== "string" || !isObject(args))
        return { kind: "refuse", code: "invalid_request", reason: "prompts/get needs `params.name`, a string, and object `params.arguments`", field: "params" };
      return { kind: "check", requests: [withCtx({ action: "mcp.call", server, tool: method, arguments: { name: p.name, arguments: args } }, ctx, false)] };
    }
    case "completion/complete": {
      if (!isObject(params)) return { kind: "refuse", code: "invalid_request", reason: "completion/complete needs object `params`", field: "params" };
      return { kind: "check", requests: [withCtx({ action: "mcp.call", server, tool: method, arguments: params }, ctx, false)] };
    }
    default:
      return {
        kind: "refuse",
        code: "uncertain",
        reason: `uncertain: the proxy does not know what the MCP method \`${method.slice(0, 200)}\` asks the server to do, so it is not forwarded (known: tools/call, resources/read, resources/subscribe, prompts/get, completion/complete, listings, ping, notifications)`,
        field: "method",
      };
  }
}
