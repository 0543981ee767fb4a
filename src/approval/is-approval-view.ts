import type { ApprovalView } from "./approval-view.js";
import { APPROVAL_STATUSES } from "./state-store.js";

const STATUSES = new Set<string>(APPROVAL_STATUSES);

/**
 * True when `v` has the fields a client of the approvals API relies on (the
 * CLI, the SDK's waitForApproval): an answer of another shape is not one it
 * acts on.
 */
export function isApprovalView(v: unknown): v is ApprovalView {
  if (v === null || typeof v !== "object" || Array.isArray(v)) return false;
  const a = v as Record<string, unknown>;
  return (
    typeof a.id === "string" &&
    typeof a.status === "string" &&
    STATUSES.has(a.status) &&
    a.request !== null &&
    typeof a.request === "object" &&
    typeof a.reason === "string" &&
    typeof a.expiresAt === "string" &&
    typeof a.createdAt === "string" &&
    (a.rule === null || typeof a.rule === "string")
  );
}
