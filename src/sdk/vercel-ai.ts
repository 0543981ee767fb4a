import type { Decision } from "../engine/decision.js";
import { denialMessage, type SafeClawGate } from "./gate.js";
import { decideToolCall } from "./llm-tool-calls.js";
import type { MappingContext, ToolMapping } from "./tool-mapping.js";

/**
 * The Vercel AI SDK (v7) `toolApproval` option of `generateText`,
 * `streamText` and `ToolLoopAgent`, built from a gate: the SDK asks it
 * about each tool call before running it, and the answer is the decision:
 *
 * - allow → `{type: "approved"}`: the tool runs;
 * - deny → `{type: "denied", reason}`: the tool does not run, and the model
 *   reads the reason (the SDK sends it as an `execution-denied` tool result);
 * - require_approval → `{type: "user-approval", reason}`: the SDK stops the
 *   loop with a `tool-approval-request` for the application to show a human.
 *
 * `not-applicable` ("this tool needs no approval") is never returned: a
 * deny-by-default gate has an answer for every call, and a tool that
 * should run unasked is one the policy allows.
 *
 * The tool's name and parsed input go through the same mapping as every
 * other agent's (tool-mapping.ts): `mappings` says which actions an
 * application's tools take (`readFile: (i) => [{action: "file.read",
 * path: i.path}]`); a tool without a mapping is a `tool.call` of its name,
 * which a default policy denies. The SDK has parsed the input against the
 * tool's schema before asking, so what is decided is what runs.
 *
 * Typed structurally, so the core does not depend on the `ai` package; the
 * tests assign it to `toolApproval` of the real package, so a change of the
 * SDK's types fails the build.
 */
export type VercelToolApprovalStatus = { type: "approved"; reason?: string } | { type: "denied"; reason: string } | { type: "user-approval"; reason: string };

/** What the SDK passes a generic `toolApproval` function (the fields used). */
export interface VercelToolApprovalRequest {
  toolCall: { toolCallId: string; toolName: string; input: unknown };
}

export interface VercelToolApprovalOptions {
  /** which actions each of the application's tools takes; tools without one are `tool.call` */
  mappings?: Record<string, ToolMapping>;
  /** agent name and working directory the requests carry */
  ctx?: MappingContext;
  /** called with each decision, e.g. to log it next to the tool call id */
  onDecision?: (decision: Decision, call: VercelToolApprovalRequest["toolCall"]) => void;
}

export function safeClawToolApproval(
  gate: SafeClawGate,
  opts: VercelToolApprovalOptions = {},
): (request: VercelToolApprovalRequest) => Promise<VercelToolApprovalStatus> {
  return async ({ toolCall }) => {
    const decision = await decideToolCall(gate, { id: toolCall.toolCallId, name: toolCall.toolName, input: toolCall.input }, opts.mappings, opts.ctx ?? {});
    opts.onDecision?.(decision, toolCall);
    return approvalStatus(decision);
  };
}

export function approvalStatus(d: Decision): VercelToolApprovalStatus {
  if (d.decision === "allow" && d.allowed) return d.rule ? { type: "approved", reason: `SafeClaw allowed it (rule ${d.rule})` } : { type: "approved" };
  if (d.decision === "require_approval") return { type: "user-approval", reason: denialMessage(d) };
  return { type: "denied", reason: denialMessage(d) };
}
