import type { AuditRecord, DecisionRecord } from "./record.js";

/**
 * OCSF 1.3 API Activity (class 6003) with the Security Control profile, for
 * SIEMs that ingest OCSF. The original record rides in `unmapped.safeclaw`,
 * so the OCSF stream verifies exactly like the native one.
 */
const ACTION_ID = { allow: 1, deny: 2, require_approval: 99 } as const;
const DISPOSITION_ID = { allow: 1, deny: 2, require_approval: 99 } as const;

export function toOcsf(r: AuditRecord): Record<string, unknown> {
  const base = {
    class_uid: 6003,
    class_name: "API Activity",
    category_uid: 6,
    category_name: "Application Activity",
    activity_id: 99,
    type_uid: 600399,
    time: Date.parse(r.time),
    metadata: {
      version: "1.3.0",
      product: { name: "SafeClaw Edge", vendor_name: "SafeClaw" },
      profiles: ["security_control"],
      uid: `${r.chain}:${r.seq}`,
      log_name: r.chain,
    },
    unmapped: { safeclaw: r },
  };
  if (r.type !== "decision") {
    return { ...base, activity_name: r.type, severity_id: r.type === "notice" ? 4 : 1, status_id: 1, message: r.type === "notice" ? r.message : `audit chain ${r.chain} started`, api: { operation: r.type } };
  }
  const d: DecisionRecord = r;
  return {
    ...base,
    activity_name: d.action ?? "unknown",
    severity_id: d.decision === "allow" ? 1 : 3,
    status_id: d.error ? 2 : 1,
    action_id: ACTION_ID[d.decision],
    action: d.decision === "allow" ? "Allowed" : d.decision === "deny" ? "Denied" : "Other",
    disposition_id: DISPOSITION_ID[d.decision],
    disposition: d.decision === "allow" ? "Allowed" : d.decision === "deny" ? "Blocked" : "Other",
    message: d.reason,
    api: { operation: d.action ?? "unknown", ...(d.id ? { request: { uid: d.id } } : {}) },
    actor: { user: { uid: d.agent ?? "unknown", name: d.agent ?? "unknown" } },
    resources: d.target ? [{ type: d.action ?? "unknown", name: d.target.command ?? d.target.url ?? d.target.host ?? d.target.path ?? d.target.key ?? d.target.tool, data: d.target }] : [],
    authorizations: [{ decision: d.decision, policy: { uid: d.rule ?? "default", name: d.rule ?? "default", version: d.policy, desc: d.reason } }],
  };
}
