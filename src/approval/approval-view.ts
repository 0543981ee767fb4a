import type { ApprovalRef } from "../engine/decision.js";
import { effectiveStatus, type ApprovalStatus, type StoredApproval } from "./state-store.js";

/** An approval as the API shows it (`GET /v1/approvals/{id}`): times in ISO 8601, the grant while it is approved. */
export interface ApprovalView {
  id: string;
  status: ApprovalStatus;
  request: Record<string, unknown>;
  rule: string | null;
  reason: string;
  agent?: string;
  action?: string;
  policy: string;
  createdAt: string;
  expiresAt: string;
  decidedBy?: string;
  decidedAt?: string;
  decisionReason?: string;
  usedAt?: string;
  /** a signed grant for this request, usable in any region until expiresAt (only while approved, where a signing key is set) */
  grant?: string;
}

export function approvalView(a: StoredApproval, nowMs: number, grant?: string): ApprovalView {
  const v: ApprovalView = {
    id: a.id,
    status: effectiveStatus(a, nowMs),
    request: a.request,
    rule: a.rule,
    reason: a.reason,
    policy: a.policy,
    createdAt: iso(a.createdAt),
    expiresAt: iso(a.expiresAt),
  };
  if (a.agent !== undefined) v.agent = a.agent;
  if (a.action !== undefined) v.action = a.action;
  if (a.decidedBy !== undefined) v.decidedBy = a.decidedBy;
  if (a.decidedAt !== undefined) v.decidedAt = iso(a.decidedAt);
  if (a.decisionReason !== undefined) v.decisionReason = a.decisionReason;
  if (a.usedAt !== undefined) v.usedAt = iso(a.usedAt);
  if (grant !== undefined && v.status === "approved") v.grant = grant;
  return v;
}

export function approvalRef(a: StoredApproval, nowMs: number): ApprovalRef {
  const r: ApprovalRef = { id: a.id, status: effectiveStatus(a, nowMs), expiresAt: iso(a.expiresAt) };
  if (a.decidedBy !== undefined) r.decidedBy = a.decidedBy;
  return r;
}

export function iso(ms: number): string {
  return new Date(ms).toISOString();
}
