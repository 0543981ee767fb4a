import type { Decision } from "../engine/decision.js";
import { clip, visible } from "../approval/target-summary.js";

/**
 * What a refusal says about the approval it is about (a decision's
 * `approval`), in the words of whoever reads it:
 * - "agent": the model or program that asked. A pending approval: its id,
 *   until when it waits, how an approver approves it, and that the same
 *   request sent again once approved is allowed (once): as it was, or with
 *   `"approval": "<id>"` where the caller can add a field. Until then
 *   retrying only asks again.
 * - "user": the person a host asks (Claude Code's "ask"): the id, the
 *   expiry and the approver's command; the retry is not theirs to make.
 * A decided one (rejected, expired, used): its id, status and who decided.
 * Empty when the decision names no approval (a local gate, a server without
 * approvals), so callers can always append it.
 */
export function approvalNote(d: Pick<Decision, "approval">, reader: "agent" | "user"): string {
  const a = d.approval;
  if (!a) return "";
  if (a.status === "pending") {
    const approve = `an approver approves it with \`safeclaw approvals approve ${a.id}\` (or POST /v1/approvals/${a.id} with {"decision":"approve"})`;
    if (reader === "user") return ` Approval ${a.id} is pending until ${a.expiresAt}: ${approve}.`;
    return (
      ` Approval ${a.id} is pending until ${a.expiresAt}; ${approve}.` +
      ` Once it is approved, retry exactly the same request (allowed once; a caller that sends JSON may add "approval": "${a.id}"); until then do not retry it.`
    );
  }
  const by = a.decidedBy ? ` by ${clip(visible(a.decidedBy), 64)}` : "";
  return ` Approval ${a.id} is ${a.status}${by}.`;
}
