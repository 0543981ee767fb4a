import type { AttributeValue } from "@aws-sdk/client-dynamodb";
import { StateUnavailableError, type ApprovalChange, type StoredApproval } from "../../approval/state-store.js";
import { sha256HexSync } from "../../crypto/sha256.js";

/**
 * How the DynamoDB store lays its state out in one table (string partition
 * key `pk`, TTL attribute `ttl` in epoch seconds, set on every item):
 * - `approval#<id>`: the approval as it was created (`data`, JSON), with the
 *   fields a transition changes (`status`, decidedBy, decidedAt,
 *   decisionReason, usedAt) as attributes of their own, so that a transition
 *   is one conditional UpdateItem and never rewrites the JSON;
 * - `pending#<requestHash>`: which approval waits for that request, with a
 *   copy of it (the commit point of a creation, see the store);
 * - `once#<sha256 of key>`, `rate#<sha256 of bucket>`: single-use marks and
 *   limit windows. Hashed because a bucket holds NUL bytes and any length,
 *   and a partition key is at most 2,048 bytes; `name` keeps the original
 *   (cut at 256 characters) for whoever reads the table.
 */
export type Item = Record<string, AttributeValue>;

/** What a transition may set, stored outside `data`. */
const CHANGING = ["status", "decidedBy", "decidedAt", "decisionReason", "usedAt", "expiresAt"] as const;

export const keys = {
  approval: (id: string) => `approval#${id}`,
  pending: (requestHash: string) => `pending#${requestHash}`,
  once: (key: string) => `once#${sha256HexSync(key)}`,
  rate: (bucket: string) => `rate#${sha256HexSync(bucket)}`,
};

export const APPROVAL_PREFIX = "approval#";

export const S = (s: string): AttributeValue => ({ S: s });
export const N = (n: number): AttributeValue => ({ N: String(n) });
export const name = (s: string): AttributeValue => S(s.length > 256 ? s.slice(0, 256) : s);

/** Epoch seconds at or after `ms`: DynamoDB deletes the item some time after this, never before. */
export const ttlOf = (ms: number): AttributeValue => N(Math.ceil(ms / 1000));

export function num(item: Item, attr: string): number {
  const v = item[attr]?.N;
  const n = v === undefined ? NaN : Number(v);
  if (!Number.isFinite(n)) throw new StateUnavailableError(`the item ${item.pk?.S ?? "?"} has no number in ${attr}`);
  return n;
}

export function str(item: Item, attr: string): string {
  const v = item[attr]?.S;
  if (v === undefined) throw new StateUnavailableError(`the item ${item.pk?.S ?? "?"} has no string in ${attr}`);
  return v;
}

/** The attributes of an approval item; `retentionMs` past its expiry the table may drop it. */
export function approvalItem(a: StoredApproval, retentionMs: number): Item {
  const item: Item = {
    pk: S(keys.approval(a.id)),
    data: S(JSON.stringify(a)),
    createdAt: N(a.createdAt),
    expiresAt: N(a.expiresAt),
    ttl: ttlOf(a.expiresAt + retentionMs),
  };
  Object.assign(item, changeAttributes(a));
  return item;
}

/** The changing fields present in `c`, as attributes. */
export function changeAttributes(c: Partial<ApprovalChange>): Item {
  const out: Item = {};
  for (const k of CHANGING) {
    const v = c[k];
    if (typeof v === "string") out[k] = S(v);
    else if (typeof v === "number") out[k] = N(v);
  }
  return out;
}

/** An approval item back to a StoredApproval: the JSON as created, the changing fields from their attributes. */
export function approvalFrom(item: Item): StoredApproval {
  let a: StoredApproval;
  try {
    a = JSON.parse(str(item, "data")) as StoredApproval;
  } catch (e) {
    if (e instanceof StateUnavailableError) throw e;
    throw new StateUnavailableError(`the item ${item.pk?.S ?? "?"} holds no approval JSON`);
  }
  for (const k of CHANGING) {
    const v = item[k];
    if (v?.S !== undefined) (a as unknown as Record<string, unknown>)[k] = v.S;
    else if (v?.N !== undefined) (a as unknown as Record<string, unknown>)[k] = Number(v.N);
  }
  return a;
}

/** Hit times of a window, packed: 8 bytes a hit (float64), so an item holds ~49,000 of them within DynamoDB's 400 KB. */
export function packTimes(times: readonly number[]): AttributeValue {
  const buf = new Uint8Array(times.length * 8);
  const view = new DataView(buf.buffer);
  times.forEach((t, i) => view.setFloat64(i * 8, t, true));
  return { B: buf };
}

export function unpackTimes(item: Item): number[] {
  const b = item.hits?.B;
  if (!b || b.length % 8 !== 0) throw new StateUnavailableError(`the item ${item.pk?.S ?? "?"} holds no hit times`);
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  return Array.from({ length: b.length / 8 }, (_, i) => view.getFloat64(i * 8, true));
}
