import { deny, type Decision } from "../engine/decision.js";
import { decideRequests } from "./decide-requests.js";
import { denialMessage, type SafeClawGate } from "./gate.js";
import { CLAUDE_CODE_TOOLS, mapToolCall, withCtx, type MappingContext, type ToolMapping } from "./tool-mapping.js";
import { OPENAI_BUILTIN_TOOLS, openAIToolCalls } from "./openai-tool-calls.js";

/**
 * Tool calls as the model APIs deliver them, to a decision and, for a refused
 * call, the tool result the model should read instead of the tool's output.
 */
export interface ToolCall {
  id: string;
  name: string;
  /** the parsed input, or the reason it could not be parsed */
  input: unknown;
  malformed?: string;
  /** an item the client would run that this code does not know (or cannot read): always a deny, with this reason */
  unsupported?: string;
  /** a tool the API defines itself (`local_shell_call`, `apply_patch_call`, ...): decided by OPENAI_BUILTIN_TOOLS, never by a caller's mapping of the same name */
  builtin?: string;
  /** a custom tool's free-text input (the input is `{input: text}`) */
  text?: true;
}

/** Anthropic Messages API: the `tool_use` blocks of an assistant message. */
export function anthropicToolCalls(content: unknown): ToolCall[] {
  if (!Array.isArray(content)) return [];
  return content
    .filter((b): b is { type: "tool_use"; id: string; name: string; input: unknown } => b?.type === "tool_use" && typeof b.name === "string")
    .map((b) => ({ id: String(b.id), name: b.name, input: b.input }));
}

/** Decides one tool call: malformed arguments are a deny without asking the policy. */
export async function decideToolCall(gate: SafeClawGate, call: ToolCall, mappings?: Record<string, ToolMapping>, ctx: MappingContext = {}): Promise<Decision> {
  if (call.unsupported !== undefined) return deny("unsupported_tool_call", `tool call \`${call.name}\` is refused: ${call.unsupported}`);
  if (call.builtin !== undefined) {
    const m = Object.hasOwn(OPENAI_BUILTIN_TOOLS, call.builtin) ? OPENAI_BUILTIN_TOOLS[call.builtin] : undefined;
    if (!m || call.malformed !== undefined)
      return deny("malformed_tool_call", `tool call \`${call.name}\` cannot be read (${call.malformed ?? "no built-in mapping"})`);
    return decideRequests(gate, m(call.input as Record<string, unknown>, ctx));
  }
  if (call.malformed !== undefined) {
    return deny("malformed_tool_call", `tool call \`${call.name}\` has malformed arguments (${call.malformed})`);
  }
  // A custom tool without a mapping is a `tool.call` whose context carries its text, for rules to test.
  if (call.text && !Object.hasOwn(mappings ?? CLAUDE_CODE_TOOLS, call.name)) {
    return decideRequests(gate, [withCtx({ action: "tool.call", context: { tool: call.name, input: (call.input as { input: string }).input } }, ctx, false)]);
  }
  const requests = mapToolCall(call.name, call.input, ctx, mappings);
  return decideRequests(gate, requests);
}

export { denialMessage, openAIToolCalls };
