import { parseStrictJson } from "../request/strict-json.js";
import { argvCommandLine } from "./argv-command-line.js";
import type { ToolCall } from "./llm-tool-calls.js";
import { fileAction, mcpRequests, withCtx, type ToolMapping } from "./tool-mapping.js";

/**
 * OpenAI output to tool calls: Chat Completions `tool_calls` (`function`,
 * `custom`) and Responses API `output` items. Every item the client would
 * execute becomes a call; an item of a type this code does not know is a call
 * that is always denied (`unsupported_tool_call`), never skipped: a new kind
 * of client-side tool in a later API version must not run ungated.
 *
 * The id of each call is the one its result must carry: Chat `tool_calls[].id`,
 * Responses `call_id` (a `function_call_output` with the item id `fc_...` is
 * rejected by the API), and for `mcp_approval_request` the item id, which the
 * `mcp_approval_response` names.
 */

/**
 * Responses output item types and who acts on them. `client`: the caller runs
 * it, so it is gated; `server`: OpenAI runs it (hosted tools; a `program` runs
 * in OpenAI's sandbox and the function calls it makes arrive as `function_call`
 * items, gated like any other) or it is not a call (messages, reasoning, the
 * outputs the client itself sent back). test/sdk-openai.test.ts checks this
 * table against the `openai` package's `ResponseOutputItem` union.
 */
export const OPENAI_RESPONSE_ITEM_TYPES = {
  function_call: "client",
  custom_tool_call: "client",
  local_shell_call: "client",
  shell_call: "client",
  apply_patch_call: "client",
  computer_call: "client",
  mcp_approval_request: "client",
  tool_search_call: "client", // only with `execution: "client"`; a server-side search is skipped
  message: "server",
  reasoning: "server",
  file_search_call: "server",
  web_search_call: "server",
  image_generation_call: "server",
  code_interpreter_call: "server",
  mcp_call: "server",
  mcp_list_tools: "server",
  compaction: "server",
  additional_tools: "server",
  program: "server",
  program_output: "server",
  tool_search_output: "server",
  function_call_output: "server",
  custom_tool_call_output: "server",
  computer_call_output: "server",
  local_shell_call_output: "server",
  shell_call_output: "server",
  apply_patch_call_output: "server",
  mcp_approval_response: "server",
} as const satisfies Record<string, "client" | "server">;

type Item = Record<string, unknown>;
const isObject = (v: unknown): v is Item => v !== null && typeof v === "object" && !Array.isArray(v);

/** The actions of the tools OpenAI defines itself, by item type; the input is what the parser below keeps of the item. */
export const OPENAI_BUILTIN_TOOLS: Record<string, ToolMapping> = {
  // The client execs argv (no shell); quoted, the engine reads the same argv (see argv-command-line.ts).
  local_shell_call: (i, ctx) => [withCtx({ action: "shell.execute", command: i.command, ...(typeof i.cwd === "string" ? { cwd: i.cwd } : {}) }, ctx)],
  // The shell tool's commands are shell text, each run by the client's shell.
  shell_call: (i, ctx) =>
    (Array.isArray(i.commands) && i.commands.length > 0 ? i.commands : [undefined]).map((command) => withCtx({ action: "shell.execute", command }, ctx)),
  apply_patch_call: (i, ctx) => [fileAction(i.type === "delete_file" ? "file.delete" : "file.write", i.path, ctx)],
  computer_call: (i, ctx) => [withCtx({ action: "tool.call", context: { tool: "computer", actions: i.actions } }, ctx, false)],
  mcp_approval_request: (i, ctx) => mcpRequests(String(i.server), String(i.tool), isObject(i.arguments) ? i.arguments : {}, ctx),
  tool_search_call: (_i, ctx) => [withCtx({ action: "tool.call", context: { tool: "tool_search" } }, ctx, false)],
};

export function openAIToolCalls(items: unknown): ToolCall[] {
  if (!Array.isArray(items)) return [];
  const out: ToolCall[] = [];
  for (const it of items) {
    const call = toolCallOf(it);
    if (call) out.push(call);
  }
  return out;
}

const unsupported = (id: string, name: string, why: string): ToolCall => ({ id, name, input: undefined, unsupported: why });

function toolCallOf(it: unknown): ToolCall | undefined {
  if (!isObject(it)) return unsupported("", "?", "an item that is not an object");
  const type = typeof it.type === "string" ? it.type : "";
  const callId = typeof it.call_id === "string" ? it.call_id : "";
  switch (type) {
    case "function": // Chat Completions
      return jsonCall(
        String(it.id ?? ""),
        isObject(it.function) ? it.function.name : undefined,
        isObject(it.function) ? it.function.arguments : undefined,
        type,
      );
    case "custom": // Chat Completions custom tool: free text, not JSON
      return textCall(String(it.id ?? ""), isObject(it.custom) ? it.custom.name : undefined, isObject(it.custom) ? it.custom.input : undefined, type);
    case "function_call":
      return jsonCall(callId, qualified(it), it.arguments, type);
    case "custom_tool_call":
      return textCall(callId, qualified(it), it.input, type);
    case "local_shell_call":
      return localShellCall(callId, it.action);
    case "shell_call": {
      const action = isObject(it.action) ? it.action : {};
      const commands = action.commands;
      if (!Array.isArray(commands) || commands.length === 0 || !commands.every((c) => typeof c === "string"))
        return unsupported(callId, type, "shell_call without a list of command strings");
      return { id: callId, name: type, input: { commands }, builtin: type };
    }
    case "apply_patch_call": {
      const op = isObject(it.operation) ? it.operation : {};
      if (!["create_file", "update_file", "delete_file"].includes(String(op.type)) || typeof op.path !== "string")
        return unsupported(callId, type, `apply_patch_call with operation ${JSON.stringify(op.type ?? null)} this code does not know`);
      return { id: callId, name: type, input: { type: op.type, path: op.path }, builtin: type };
    }
    case "computer_call": {
      const list = Array.isArray(it.actions) ? it.actions : isObject(it.action) ? [it.action] : [];
      return { id: callId, name: type, input: { actions: list.map((a) => (isObject(a) ? String(a.type) : "?")) }, builtin: type };
    }
    case "mcp_approval_request": {
      const id = String(it.id ?? "");
      const args = typeof it.arguments === "string" ? parseStrictJson(it.arguments) : undefined;
      if (!args?.ok || !isObject(args.value)) return { id, name: type, input: undefined, malformed: "arguments are not a JSON object" };
      return { id, name: type, input: { server: it.server_label, tool: it.name, arguments: args.value }, builtin: type };
    }
    case "tool_search_call":
      return it.execution === "server" ? undefined : { id: callId, name: type, input: {}, builtin: type };
  }
  if (Object.hasOwn(OPENAI_RESPONSE_ITEM_TYPES, type)) return undefined; // run by OpenAI, or not a call
  return unsupported(
    callId || String(it.id ?? ""),
    type || "?",
    `item type ${JSON.stringify(type)} is not one SafeClaw knows; it may be a tool the client runs, so it is refused`,
  );
}

/** A tool in a namespace is dispatched by both names: `ns.tool` (a self-named namespace is the tool itself). */
function qualified(it: Item): unknown {
  if (typeof it.namespace === "string" && it.namespace !== "" && it.namespace !== it.name && typeof it.name === "string") return `${it.namespace}.${it.name}`;
  return it.name;
}

function jsonCall(id: string, name: unknown, args: unknown, kind: string): ToolCall {
  if (typeof name !== "string") return unsupported(id, "?", `${kind} call without a name`);
  if (typeof args !== "string") return { id, name, input: args };
  // The model writes this text: a duplicated key (`"path"` twice) is one path to us and maybe
  // another to the code that runs the tool, so it is malformed, like text that is not JSON.
  const parsed = parseStrictJson(args);
  if (parsed.ok) return { id, name, input: parsed.value };
  return {
    id,
    name,
    input: undefined,
    malformed: parsed.problem === "syntax" ? `arguments are ${parsed.message}` : `arguments have more than one reading: ${parsed.message}`,
  };
}

/** A custom tool's input is the model's text, decided as `{input: text}` (a mapping for the name reads it there). */
function textCall(id: string, name: unknown, input: unknown, kind: string): ToolCall {
  if (typeof name !== "string") return unsupported(id, "?", `${kind} call without a name`);
  if (typeof input !== "string") return { id, name, input: undefined, malformed: "input is not text" };
  return { id, name, input: { input }, text: true };
}

function localShellCall(id: string, action: unknown): ToolCall {
  const name = "local_shell_call";
  if (!isObject(action) || action.type !== "exec") return unsupported(id, name, "local_shell_call whose action is not `exec`");
  // Running as another user is outside what a policy can see: refused rather than decided as if it were the agent's own.
  if (action.user !== undefined && action.user !== null && action.user !== "")
    return unsupported(id, name, `local_shell_call asks to run as user ${JSON.stringify(action.user)}; drop \`user\` to have it decided`);
  const line = argvCommandLine(action.command, action.env ?? {});
  if (!line.ok) return { id, name, input: undefined, malformed: line.problem };
  const cwd = action.working_directory;
  if (cwd !== undefined && cwd !== null && typeof cwd !== "string") return { id, name, input: undefined, malformed: "working_directory is not a string" };
  return { id, name, input: { command: line.line, ...(typeof cwd === "string" ? { cwd } : {}) }, builtin: name };
}
