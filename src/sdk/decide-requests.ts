import { deny, strictest, type Decision } from "../engine/decision.js";
import { APPROVAL_ID, APPROVAL_STATUSES } from "../approval/state-store.js";
import type { SafeClawGate } from "./gate.js";

/**
 * The one decision for the requests a tool call maps to, as every agent
 * wrapper takes it (Vercel toolApproval, the Agents SDK tool, the Claude
 * Agent SDK, the hook, the MCP proxy). The gate is any object with
 * `checkBatch`, an application's own among them, so its answer is checked
 * before it is combined: one decision per request, each a real decision
 * (`strictest` skips an effect it does not know, and would read a missing
 * one as nothing to worry about). A gate that throws, answers too few or
 * garbage, or a mapping that maps the call to nothing, is a deny.
 */
const EFFECTS = new Set(["allow", "deny", "require_approval"]);

export function isDecision(v: unknown): v is Decision {
  if (v === null || typeof v !== "object") return false;
  const d = v as Record<string, unknown>;
  return (
    typeof d.decision === "string" &&
    EFFECTS.has(d.decision) &&
    d.allowed === (d.decision === "allow") &&
    typeof d.reason === "string" &&
    (d.approval === undefined || isApprovalRef(d.approval))
  );
}

const STATUSES = new Set<string>(APPROVAL_STATUSES);
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/;

/**
 * A decision's `approval` is passed on (the messages the model and the
 * approver read quote its id and expiry), so it must be what the API sends:
 * an approval id, a known status, an ISO time, a short approver name. A
 * decision with anything else there is not one we trust.
 */
function isApprovalRef(v: unknown): boolean {
  if (v === null || typeof v !== "object" || Array.isArray(v)) return false;
  const a = v as Record<string, unknown>;
  return (
    typeof a.id === "string" &&
    APPROVAL_ID.test(a.id) &&
    typeof a.status === "string" &&
    STATUSES.has(a.status) &&
    typeof a.expiresAt === "string" &&
    ISO_TIME.test(a.expiresAt) &&
    (a.decidedBy === undefined || (typeof a.decidedBy === "string" && a.decidedBy.length <= 256))
  );
}

export function combineDecisions(requests: readonly object[], decisions: unknown): Decision {
  if (requests.length === 0) return deny("internal_error", "the tool call maps to no action to check, so nothing decides it; denied");
  if (!Array.isArray(decisions) || decisions.length !== requests.length)
    return deny(
      "bad_answer",
      `the gate answered ${Array.isArray(decisions) ? decisions.length : "no list of"} decisions for ${requests.length} requests; denied`,
    );
  if (!decisions.every(isDecision)) return deny("bad_answer", "the gate answered something that is not a decision; denied");
  return strictest(decisions);
}

export async function decideRequests(gate: SafeClawGate, requests: readonly object[]): Promise<Decision> {
  if (!Array.isArray(requests)) return deny("internal_error", "the tool's mapping did not return a list of requests; denied");
  let decisions: unknown;
  try {
    decisions = requests.length === 0 ? [] : await gate.checkBatch(requests);
  } catch (e) {
    return deny("gate_unavailable", `safeclaw gate failed; denied: ${(e as Error)?.message ?? e}`);
  }
  return combineDecisions(requests, decisions);
}
