import { canonicalJson } from "../crypto/canonical-json.js";
import type { AuditRecord, Checkpoint, DecisionRecord } from "./record.js";

/**
 * OCSF 1.4.0 API Activity (class 6003) with the Security Control profile, for
 * SIEMs that ingest OCSF. 1.4.0 is the first release whose 6003 carries that
 * profile (action, disposition, authorizations); later 1.x releases only add, so
 * their readers accept it too. Every line of the trail maps to one event:
 * decisions, chain starts, notices and checkpoints, so one stream holds the
 * whole trail. The original record (or checkpoint) rides in `unmapped.safeclaw`,
 * so the OCSF stream verifies, signatures included, exactly like the native one.
 */
export const OCSF_VERSION = "1.4.0";

export const OCSF_PRODUCT_NAME = "SafeClaw Edge";
const PRODUCT = { name: OCSF_PRODUCT_NAME, vendor_name: "SafeClaw" };
/** The engine itself, as actor and source of its own records (chain start, notice, checkpoint). */
const ENGINE = "SafeClaw Edge";

// 6003 activities. Actions that are no create/read/update/delete are 99 with the action as activity_name.
const ACTIVITY: Record<string, { id: number; name: string }> = {
  "file.read": { id: 2, name: "Read" },
  "env.read": { id: 2, name: "Read" },
  // A write may create the file or replace it; the request does not say which, and Update covers both.
  "file.write": { id: 3, name: "Update" },
  "file.delete": { id: 4, name: "Delete" },
};

// "Other" (99) carries the source value in the caption attribute, as OCSF asks.
const CONTROL = {
  allow: { action_id: 1, action: "Allowed", disposition_id: 1, disposition: "Allowed", severity_id: 1 },
  deny: { action_id: 2, action: "Denied", disposition_id: 2, disposition: "Blocked", severity_id: 3 },
  require_approval: { action_id: 99, action: "require_approval", disposition_id: 99, disposition: "require_approval", severity_id: 3 },
} as const;

export function toOcsf(r: AuditRecord | Checkpoint): Record<string, unknown> {
  if (r.type === "decision") return decisionEvent(r);
  const engineActivity = { id: 99, name: r.type };
  const message =
    r.type === "notice"
      ? r.message
      : r.type === "approval"
        ? `approval ${r.approval} ${r.event}${r.by !== undefined ? ` by ${r.by}` : ""}: ${r.reason}`
        : r.type === "chain-start"
          ? `audit chain ${r.chain} started`
          : `checkpoint of chain ${r.chain} at seq ${r.seq}${r.sig !== undefined ? ", signed" : ""}`;
  return {
    ...classification(engineActivity),
    ...common(r, r.type === "checkpoint" ? `${r.chain}:checkpoint:${r.seq}` : `${r.chain}:${r.seq}`),
    severity_id: r.type === "notice" ? 4 : 1,
    status_id: 1,
    message,
    api: { operation: r.type === "notice" ? `notice.${r.notice}` : r.type === "approval" ? `approval.${r.event}` : r.type },
    actor: { app_name: ENGINE, app_uid: r.chain },
    src_endpoint: { name: ENGINE, uid: r.chain },
    unmapped: { safeclaw: r },
  };
}

function decisionEvent(d: DecisionRecord): Record<string, unknown> {
  const action = d.action ?? "unknown";
  const activity = ACTIVITY[action] ?? { id: 99, name: action };
  const { severity_id, ...control } = CONTROL[d.decision];
  // The request's agent is who acted and where it came from; records do not carry the caller's address.
  const agent = d.agent !== undefined ? { uid: d.agent, name: d.agent } : { name: "unknown", type_id: 0 };
  const resourceName = d.target && (d.target.command ?? d.target.url ?? d.target.host ?? d.target.path ?? d.target.key ?? d.target.tool);
  const port = d.target?.port;
  return {
    ...classification(activity),
    ...common(d, `${d.chain}:${d.seq}`),
    severity_id,
    status_id: d.error ? 2 : 1,
    ...(d.error ? { status_detail: d.error } : {}),
    ...control,
    message: d.reason,
    api: { operation: action, ...(d.id ? { request: { uid: d.id } } : {}) },
    actor: { user: agent },
    src_endpoint: { name: agent.name },
    ...(d.target?.host !== undefined
      ? { dst_endpoint: { hostname: d.target.host, ...(Number.isInteger(port) && port! >= 0 && port! <= 65535 ? { port } : {}) } }
      : {}),
    ...(resourceName !== undefined ? { resources: [{ type: action, name: resourceName, data: d.target }] } : {}),
    authorizations: [{ decision: d.decision, policy: { uid: d.rule ?? "default", name: d.rule ?? "default", version: d.policy, desc: d.reason } }],
    unmapped: { safeclaw: d },
  };
}

function classification(activity: { id: number; name: string }) {
  return {
    class_uid: 6003,
    class_name: "API Activity",
    category_uid: 6,
    category_name: "Application Activity",
    activity_id: activity.id,
    activity_name: activity.name,
    type_uid: 600300 + activity.id,
    type_name: `API Activity: ${activity.id === 99 ? "Other" : activity.name}`,
  };
}

function common(r: { chain: string; seq: number; time: string }, uid: string) {
  return {
    time: Date.parse(r.time),
    metadata: { version: OCSF_VERSION, product: PRODUCT, profiles: ["security_control"], uid, log_name: r.chain, sequence: r.seq },
  };
}

/**
 * Whether an OCSF event says what the record it carries says. Verification
 * checks the chain through `unmapped.safeclaw`; a SIEM reads the OCSF fields.
 * An event whose fields were edited (a deny turned into an allow) keeps a valid
 * chain, so this re-derives the event from the record and compares.
 */
export function ocsfAgreesWithRecord(event: unknown): boolean {
  if (event === null || typeof event !== "object") return false;
  const r = (event as { unmapped?: { safeclaw?: unknown } }).unmapped?.safeclaw;
  if (r === null || typeof r !== "object") return false;
  try {
    return canonicalJson(toOcsf(r as AuditRecord | Checkpoint)) === canonicalJson(event);
  } catch {
    return false;
  }
}
