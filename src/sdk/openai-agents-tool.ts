import { deny, type Decision } from "../engine/decision.js";
import { decideRequests } from "./decide-requests.js";
import { denialMessage, type SafeClawGate } from "./gate.js";
import { type MappingContext, type ToolMapping } from "./tool-mapping.js";

/**
 * OpenAI Agents SDK: gate a `tool()` definition. Pass the options you would
 * give `tool()` through `gatedAgentsTool(gate, options, mapping)` and hand the
 * result to `tool()`:
 *
 * - `needsApproval` asks the policy: `require_approval` pauses the run with the
 *   SDK's own approval item (`result.interruptions`, `state.approve/reject`);
 *   a `needsApproval` of your own still applies (either one asks).
 * - `execute` decides again when the call runs: allow runs your function;
 *   require_approval runs it only when the run context says this call was
 *   approved; deny (or an unapproved call) returns the denial text as the tool
 *   output, which the model reads, and your function is not called.
 *
 * The SDK's types are not imported here (so `@openai/agents` is not a
 * dependency of the package); test/sdk-openai-agents.test.ts passes the result
 * to the SDK's real `tool()` and runs it with the SDK's ScriptedModel.
 */
type RunContextLike = { isToolApproved?: (approval: { toolName: string; callId: string }) => boolean | undefined } | undefined;
type DetailsLike = { toolCall?: { callId?: string } } | undefined;

export interface AgentsToolOptionsLike {
  name: string;
  execute: (input: never, context?: never, details?: never) => unknown;
  needsApproval?: boolean | ((runContext: never, input: never, callId?: string) => Promise<boolean>);
}

export function gatedAgentsTool<T extends AgentsToolOptionsLike>(gate: SafeClawGate, options: T, mapping: ToolMapping, ctx: MappingContext = {}): T {
  const decide = async (input: unknown): Promise<Decision> => {
    try {
      const args = input !== null && typeof input === "object" && !Array.isArray(input) ? (input as Record<string, unknown>) : { input };
      return await decideRequests(gate, mapping(args, ctx));
    } catch (e) {
      return deny("gate_unavailable", `safeclaw could not decide \`${options.name}\`: ${(e as Error)?.message ?? e}`);
    }
  };
  const own = options.needsApproval;
  const execute = options.execute as (input: unknown, context?: unknown, details?: unknown) => unknown;
  const gated = {
    ...options,
    needsApproval: async (runContext: unknown, input: unknown, callId?: string): Promise<boolean> => {
      const mine =
        typeof own === "function" ? await (own as (r: unknown, i: unknown, c?: string) => Promise<boolean>)(runContext, input, callId) : own === true;
      return mine || (await decide(input)).decision === "require_approval";
    },
    execute: async (input: unknown, context?: unknown, details?: unknown): Promise<unknown> => {
      const d = await decide(input);
      if (d.decision === "allow") return execute(input, context, details);
      if (d.decision === "require_approval") {
        const callId = (details as DetailsLike)?.toolCall?.callId;
        const approved = callId !== undefined && (context as RunContextLike)?.isToolApproved?.({ toolName: options.name, callId }) === true;
        if (approved) return execute(input, context, details);
      }
      return denialMessage(d);
    },
  };
  return gated;
}
