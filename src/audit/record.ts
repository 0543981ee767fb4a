import type { Decision } from "../engine/decision.js";
import { auditTargetFields } from "../policy/action-schema.js";
import { cap } from "./cap.js";
import { redact } from "./redact.js";

/**
 * Audit wire types, versioned (`v: 1`). Every record sits in a chain: `seq`
 * counts from 1 without gaps, `prev` is the previous record's `hash` (64 zeros
 * for seq 1), and `hash` is the SHA-256 of the record's RFC 8785 canonical JSON
 * without `hash`. Checkpoints are not in the chain; they vouch for its head.
 */
export const GENESIS_PREV = "0".repeat(64);

export interface ChainLink {
  v: 1;
  chain: string;
  seq: number;
  time: string;
  prev: string;
  hash: string;
}

/** What was asked, as the agent sent it, redacted and capped. */
export interface AuditTarget {
  path?: string;
  cwd?: string;
  url?: string;
  host?: string;
  port?: number;
  method?: string;
  command?: string;
  key?: string;
  server?: string;
  tool?: string;
}

/** The request `context` keys an audit record keeps: ids only, never free-form data (that may hold secrets). */
export const AUDIT_CONTEXT_KEYS = ["session_id", "tool_use_id"] as const;
export type AuditContext = Partial<Record<(typeof AUDIT_CONTEXT_KEYS)[number], string>>;

export interface DecisionRecord extends ChainLink {
  type: "decision";
  id?: string;
  action?: string;
  target?: AuditTarget;
  agent?: string;
  /** correlation ids from the request's context (a Claude Code session and tool use): which transcript line this was, not who asked */
  context?: AuditContext;
  decision: Decision["decision"];
  rule: string | null;
  reason: string;
  policy: string;
  error?: string;
}

/** First record of every chain: who writes it, under which policy, after which chain. */
export interface StartRecord extends ChainLink {
  type: "chain-start";
  instance: Record<string, string>;
  policy: string;
  previous?: { chain: string; seq: number; hash: string };
}

/**
 * Says in the trail what could not be in it, or what happened to it:
 * - `audit-write-failed`: one per sink outage, written when the sink recovers (records
 *   `seqs` were not durable when decided; `count` failed attempts; `since`/`until` the outage)
 * - `requests-refused-unrecorded`: `count` requests denied without a record (queue full)
 * - `torn-tail-quarantined`: a partial batch found at start-up was moved aside (`file`,
 *   `bytes` [start, end) of the original file, `movedTo`)
 * - `undelivered-at-shutdown`: written by the next start when a spill file holds records
 *   an earlier process could not deliver
 * - `unauthorized-aggregated`: `count` 401s between `since` and `until` past the number
 *   recorded one by one (per source and in all, per minute); the message names the sources
 */
export type NoticeKind = "audit-write-failed" | "requests-refused-unrecorded" | "torn-tail-quarantined" | "undelivered-at-shutdown" | "unauthorized-aggregated";

export interface NoticeRecord extends ChainLink {
  type: "notice";
  notice: NoticeKind;
  message: string;
  /** the records concerned, when they exist */
  seqs?: [number, number];
  count?: number;
  since?: string;
  until?: string;
  file?: string;
  bytes?: [number, number];
  movedTo?: string;
}

/**
 * A step of a human approval, in the same chain as the decisions around it:
 * `created` (a require_approval decision asked for one), `approved` or
 * `rejected` (by whom, why), `used` (the retry it allowed, through the
 * approval or a grant), `expired` (nobody decided, or nobody used it, in
 * time), and `refused` (an approvals API call that was turned down: unknown
 * or malformed id, a second decision, a caller who may not decide).
 */
export type ApprovalEvent = "created" | "approved" | "rejected" | "used" | "expired" | "refused";

export interface ApprovalRecord extends ChainLink {
  type: "approval";
  event: ApprovalEvent;
  /** the approval id (as given, capped, for `refused`) */
  approval: string;
  agent?: string;
  action?: string;
  rule?: string | null;
  /** sha256 of the request's identity (approval/request-hash.ts): which request it is about */
  requestHash?: string;
  /** the approver (approved, rejected, and the approval behind a used grant) */
  by?: string;
  reason: string;
  /** how a `used` approval arrived: by id against the store, or as a signed grant */
  via?: "approval" | "grant";
  policy: string;
}

export type AuditRecord = DecisionRecord | StartRecord | NoticeRecord | ApprovalRecord;

export interface Checkpoint {
  v: 1;
  type: "checkpoint";
  chain: string;
  seq: number;
  head: string;
  time: string;
  /** id of the signing key (first 16 hex of SHA-256 of the public key) */
  key?: string;
  /** base64 Ed25519 signature over the canonical JSON without `sig` */
  sig?: string;
}

export type RecordBody<T extends AuditRecord = AuditRecord> = T extends AuditRecord ? Omit<T, keyof ChainLink> : never;

// From the action schema: every field an action's audit record keeps (port is the one number).
const TARGET_FIELDS = auditTargetFields().filter((f) => f !== "port") as Array<Exclude<keyof AuditTarget, "port">>;

/** The audit body of one decision. Env values are never in a request, so never here. */
export function decisionBody(request: unknown, d: Decision, requestId?: string): RecordBody<DecisionRecord> {
  const body: RecordBody<DecisionRecord> = { type: "decision", decision: d.decision, rule: d.rule, reason: cap(redact(d.reason)), policy: d.policy };
  if (requestId !== undefined) body.id = cap(requestId, 128);
  if (d.action !== undefined) body.action = d.action;
  if (d.error !== undefined) body.error = cap(redact(d.error));
  if (request !== null && typeof request === "object" && !Array.isArray(request)) {
    const r = request as Record<string, unknown>;
    if (body.action === undefined && typeof r.action === "string") body.action = cap(r.action, 128);
    if (body.id === undefined && typeof r.id === "string") body.id = cap(r.id, 128);
    if (typeof r.agent === "string") body.agent = cap(r.agent, 256);
    const ctx = r.context !== null && typeof r.context === "object" && !Array.isArray(r.context) ? (r.context as Record<string, unknown>) : {};
    const context: AuditContext = {};
    for (const k of AUDIT_CONTEXT_KEYS) if (typeof ctx[k] === "string") context[k] = cap(redact(ctx[k]), 256);
    if (Object.keys(context).length > 0) body.context = context;
    const target: AuditTarget = {};
    for (const f of TARGET_FIELDS) {
      const v = r[f];
      if (typeof v === "string") target[f] = cap(redact(v));
    }
    if (typeof r.port === "number" && Number.isFinite(r.port)) target.port = r.port; // Infinity has no JSON: never let it break the record
    if (Object.keys(target).length > 0) body.target = target;
  }
  return body;
}
