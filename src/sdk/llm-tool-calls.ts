import { deny, strictest, type Decision } from "../engine/decision.js";
import { denialMessage, type SafeClawGate } from "./gate.js";
import { mapToolCall, type MappingContext, type ToolMapping } from "./tool-mapping.js";
import { parseStrictJson } from "../request/strict-json.js";

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
}

/** Anthropic Messages API: the `tool_use` blocks of an assistant message. */
export function anthropicToolCalls(content: unknown): ToolCall[] {
  if (!Array.isArray(content)) return [];
  return content
    .filter((b): b is { type: "tool_use"; id: string; name: string; input: unknown } => b?.type === "tool_use" && typeof b.name === "string")
    .map((b) => ({ id: String(b.id), name: b.name, input: b.input }));
}

/** OpenAI Chat Completions `tool_calls` and Responses API `function_call` items; arguments are a JSON string. */
export function openAIToolCalls(items: unknown): ToolCall[] {
  if (!Array.isArray(items)) return [];
  const out: ToolCall[] = [];
  for (const it of items) {
    const fn = it?.type === "function" ? it.function : it?.type === "function_call" ? it : undefined;
    if (!fn || typeof fn.name !== "string") continue;
    const id = String(it.id ?? it.call_id ?? "");
    if (typeof fn.arguments !== "string") {
      out.push({ id, name: fn.name, input: fn.arguments });
      continue;
    }
    // The model writes this text: a duplicated key (`"path"` twice) is one path to us and maybe
    // another to the code that runs the tool, so it is malformed, like text that is not JSON.
    const parsed = parseStrictJson(fn.arguments);
    if (parsed.ok) out.push({ id, name: fn.name, input: parsed.value });
    else out.push({ id, name: fn.name, input: undefined, malformed: parsed.problem === "syntax" ? `arguments are ${parsed.message}` : `arguments have more than one reading: ${parsed.message}` });
  }
  return out;
}

/** Decides one tool call: malformed arguments are a deny without asking the policy. */
export async function decideToolCall(gate: SafeClawGate, call: ToolCall, mappings?: Record<string, ToolMapping>, ctx: MappingContext = {}): Promise<Decision> {
  if (call.malformed !== undefined) {
    return deny("malformed_tool_call", `tool call \`${call.name}\` has malformed arguments (${call.malformed})`);
  }
  const requests = mapToolCall(call.name, call.input, ctx, mappings);
  return strictest(await gate.checkBatch(requests));
}

export { denialMessage };
