import { deny, type Decision } from "../engine/decision.js";
import { decideRequests } from "./decide-requests.js";
import { denialMessage, type SafeClawGate } from "./gate.js";
import { withEventContext } from "./claude-code-context.js";
import { approvalNote } from "./approval-message.js";
import { CLAUDE_CODE_TOOLS, mapToolCall, type MappingContext, type ToolMapping } from "./tool-mapping.js";

/**
 * The Claude Agent SDK's two permission doors, built from a gate: `canUseTool`
 * (asked when a tool call needs permission) and a `PreToolUse` hook for the
 * `hooks` option (asked before every tool call, whatever the permission mode).
 * The SDK's tools are Claude Code's, so the calls map through CLAUDE_CODE_TOOLS.
 *
 * The types below are the SDK's shapes written out, so this file does not make
 * `@anthropic-ai/claude-agent-sdk` a dependency of the package;
 * test/sdk-claude-agent.test.ts assigns these functions to the SDK's own
 * `CanUseTool` and `HookCallbackMatcher` types, so a change there fails the type check.
 */
export type ClaudeAgentPermissionResult =
  { behavior: "allow"; updatedInput: Record<string, unknown> } | { behavior: "deny"; message: string; interrupt?: boolean };

export interface ClaudeAgentApprovalRequest {
  toolName: string;
  input: Record<string, unknown>;
  decision: Decision;
  signal?: AbortSignal;
}

export interface ClaudeAgentGateOptions {
  cwd?: string;
  agent?: string;
  /** mappings for tools beyond Claude Code's (your SDK MCP tools are `mcp__<server>__<tool>` and map to mcp.call already) */
  mappings?: Record<string, ToolMapping>;
  /** asked on require_approval; only `true` allows. Without it, require_approval is a deny saying approval is needed. */
  ask?: (request: ClaudeAgentApprovalRequest) => boolean | Promise<boolean>;
}

async function decide(
  gate: SafeClawGate,
  toolName: string,
  input: unknown,
  opts: ClaudeAgentGateOptions,
  ids: { session_id?: unknown; tool_use_id?: unknown },
): Promise<Decision> {
  try {
    const ctx: MappingContext = { ...(opts.cwd !== undefined ? { cwd: opts.cwd } : {}), ...(opts.agent !== undefined ? { agent: opts.agent } : {}) };
    const requests = withEventContext(mapToolCall(toolName, input, ctx, opts.mappings ? { ...CLAUDE_CODE_TOOLS, ...opts.mappings } : undefined), ids);
    return await decideRequests(gate, requests);
  } catch (e) {
    return deny("gate_unavailable", `safeclaw could not decide \`${toolName}\`: ${(e as Error)?.message ?? e}`);
  }
}

/** A `canUseTool` callback: allow → allow with the input unchanged; deny → deny with the reason the model reads; require_approval → `ask`, else deny. */
export function claudeAgentCanUseTool(gate: SafeClawGate, opts: ClaudeAgentGateOptions = {}) {
  return async (
    toolName: string,
    input: Record<string, unknown>,
    options: { signal: AbortSignal; toolUseID?: string },
  ): Promise<ClaudeAgentPermissionResult> => {
    const d = await decide(gate, toolName, input, opts, { tool_use_id: options?.toolUseID });
    if (d.decision === "allow") return { behavior: "allow", updatedInput: input };
    if (d.decision === "require_approval" && opts.ask) {
      let approved = false;
      try {
        approved = (await opts.ask({ toolName, input, decision: d, ...(options?.signal ? { signal: options.signal } : {}) })) === true;
      } catch {
        approved = false; // an approver that fails has not approved
      }
      if (approved) return { behavior: "allow", updatedInput: input };
      return {
        behavior: "deny",
        message: `SafeClaw: approval for this action was not given${d.rule ? ` (rule ${d.rule})` : ""}: ${d.reason}. It was not run.${approvalNote(d, "agent")}`,
      };
    }
    return { behavior: "deny", message: denialMessage(d) };
  };
}

export type ClaudeAgentHookOutput =
  | { hookSpecificOutput: { hookEventName: "PreToolUse"; permissionDecision: "allow" | "deny" | "ask"; permissionDecisionReason: string } }
  | { decision: "block"; reason: string };

const TO_CLAUDE = { allow: "allow", deny: "deny", require_approval: "ask" } as const;

/**
 * A hook matcher for `options.hooks.PreToolUse`: every tool call is decided
 * (require_approval → `ask`, the SDK's own prompt or `canUseTool`). Registered
 * under another event it blocks, saying so. `onFailure: "block"`: should the
 * callback ever throw, the SDK blocks the call instead of running it.
 */
export function claudeAgentPreToolUseHook(gate: SafeClawGate, opts: Omit<ClaudeAgentGateOptions, "ask"> = {}) {
  const callback = async (
    input: { hook_event_name: string; tool_name?: unknown; tool_input?: unknown; session_id?: unknown; cwd?: unknown },
    toolUseID: string | undefined,
  ): Promise<ClaudeAgentHookOutput> => {
    if (input?.hook_event_name !== "PreToolUse" || typeof input.tool_name !== "string") {
      return {
        decision: "block",
        reason: `SafeClaw's PreToolUse hook was called for ${JSON.stringify(input?.hook_event_name)}; register it under hooks.PreToolUse. Blocked.`,
      };
    }
    const cwd = opts.cwd ?? (typeof input.cwd === "string" ? input.cwd : undefined);
    const d = await decide(
      gate,
      input.tool_name,
      input.tool_input,
      { ...opts, ...(cwd !== undefined ? { cwd } : {}) },
      { session_id: input.session_id, tool_use_id: toolUseID },
    );
    // allow and ask reasons are shown to the user, a deny's to the model (which should not retry).
    const rule = d.rule ? ` (rule ${d.rule})` : "";
    const reason =
      d.decision === "allow"
        ? `SafeClaw: allowed${d.rule ? ` by ${d.rule}` : ""}`
        : d.decision === "require_approval"
          ? `SafeClaw asks for approval${rule}: ${d.reason}${approvalNote(d, "user") && `.${approvalNote(d, "user")}`}`
          : denialMessage(d);
    return { hookSpecificOutput: { hookEventName: "PreToolUse", permissionDecision: TO_CLAUDE[d.decision], permissionDecisionReason: reason } };
  };
  return { hooks: [callback], onFailure: "block" as const };
}
