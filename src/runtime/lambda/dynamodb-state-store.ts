import type { DynamoDBClient, DynamoDBClientConfig } from "@aws-sdk/client-dynamodb";
import {
  afterCursor,
  awaitingUse,
  effectiveStatus,
  listOrder,
  pageOf,
  StateUnavailableError,
  type ApprovalChange,
  type ApprovalQuery,
  type ApprovalStatus,
  type StateStore,
  type StoredApproval,
} from "../../approval/state-store.js";
import type { RateLimit } from "../../policy/ir.js";
import {
  APPROVAL_PREFIX,
  approvalFrom,
  approvalItem,
  changeAttributes,
  keys,
  N,
  name,
  num,
  packTimes,
  S,
  str,
  ttlOf,
  unpackTimes,
  type Item,
} from "./dynamodb-items.js";

/**
 * The StateStore of the Lambda runtime: one DynamoDB table shared by every
 * execution environment of every function pointed at it (layout in
 * dynamodb-items.ts). Every write that decides something is a conditional
 * PutItem or UpdateItem; nothing is read, changed and written back without a
 * condition on what was read. Transactions are not used: each decision is on
 * one item. Any SDK or network error becomes a StateUnavailableError naming
 * the table and the operation (the caller denies). The client fails fast
 * (1 s request timeout, 2 attempts): a decision waiting on a dead endpoint
 * is worse than a deny. The SDK is loaded on first use, so a function that
 * never reaches the store does not pay for loading it.
 */
export interface DynamoDbStateStoreOptions {
  table: string;
  /** a ready client; otherwise one is made from `config` (plus the fail-fast defaults) on first use */
  client?: DynamoDBClient;
  config?: DynamoDBClientConfig;
  /** how long past its expiry an approval stays readable before TTL may delete it; default 30 days */
  retentionMs?: number;
  /** conditional writes tried per rate-limit hit before giving up with StateUnavailableError; default 16 */
  hitAttempts?: number;
}

type Sdk = typeof import("@aws-sdk/client-dynamodb");
let sdk: Promise<Sdk> | undefined;
const loadSdk = (): Promise<Sdk> => (sdk ??= import("@aws-sdk/client-dynamodb"));

/** A conditional write whose condition did not hold. */
const CONFLICT = Symbol("conflict");

const CREATE_ATTEMPTS = 8;
const DAY_MS = 86_400_000;

interface Condition {
  expr: string;
  values?: Item;
}

export class DynamoDbStateStore implements StateStore {
  readonly kind = "dynamodb";
  readonly table: string;
  private clientP: Promise<DynamoDBClient> | undefined;
  private readonly retentionMs: number;
  private readonly hitAttempts: number;

  constructor(private readonly opts: DynamoDbStateStoreOptions) {
    this.table = opts.table;
    this.retentionMs = opts.retentionMs ?? 30 * DAY_MS;
    this.hitAttempts = opts.hitAttempts ?? 16;
    if (opts.client) this.clientP = Promise.resolve(opts.client);
  }

  /**
   * The pointer `pending#<requestHash>` is the commit point: whoever writes it
   * (absent, expired, or still naming an approval it saw decided) created the
   * approval. It carries a copy of the approval, so a loser that reads it
   * before the winner has written `approval#<id>` writes that item itself
   * (idempotent: same content, only if absent) instead of handing out an id
   * nobody stored. Of N racing creators exactly one pointer write succeeds.
   */
  async createApproval(a: StoredApproval, nowMs: number): Promise<{ created: boolean; approval: StoredApproval }> {
    const op = "createApproval";
    const stored: StoredApproval = structuredClone({ ...a, status: "pending" });
    const pointer: Item = {
      pk: S(keys.pending(a.requestHash)),
      approvalId: S(stored.id),
      data: S(JSON.stringify(stored)),
      pexp: N(stored.expiresAt),
      ttl: ttlOf(stored.expiresAt),
    };
    let replacing: string | undefined;
    for (let attempt = 0; attempt < CREATE_ATTEMPTS; attempt++) {
      const cond: Condition =
        replacing === undefined
          ? { expr: "attribute_not_exists(#pk) OR #pexp <= :now", values: { ":now": N(nowMs) } }
          : { expr: "#approvalId = :prev", values: { ":prev": S(replacing) } };
      if (await this.put(op, pointer, cond)) {
        await this.materialize(op, stored);
        return { created: true, approval: structuredClone(stored) };
      }
      const ptr = await this.get(op, keys.pending(a.requestHash));
      if (!ptr) {
        replacing = undefined;
        continue;
      }
      const id = str(ptr, "approvalId");
      if (id === stored.id) {
        // Our own write, whose answer was lost and retried by the SDK (the retry met its own condition): we created it.
        await this.materialize(op, stored);
        return { created: true, approval: structuredClone(stored) };
      }
      if (num(ptr, "pexp") > nowMs) {
        let current = await this.get(op, keys.approval(id));
        if (!current) {
          await this.materialize(op, approvalFrom(ptr));
          current = await this.get(op, keys.approval(id));
        }
        const cur = current && approvalFrom(current);
        if (cur && awaitingUse(effectiveStatus(cur, nowMs))) return { created: false, approval: cur };
      }
      // Expired or decided (both final): replace the pointer only while it still names that one.
      replacing = id;
    }
    throw new StateUnavailableError(`DynamoDB table ${this.table}: ${op} still conflicted after ${CREATE_ATTEMPTS} attempts`);
  }

  async getApproval(id: string): Promise<StoredApproval | undefined> {
    const item = await this.get("getApproval", keys.approval(id));
    return item && approvalFrom(item);
  }

  /**
   * Cost: a Scan of the whole table (every item kind; the filter is applied
   * after the read, so read capacity is paid for all of it) on every call,
   * then a sort in memory. Fine for the approvals of a team; the production
   * path for large tables is a GSI keyed by a constant partition and
   * `createdAt`, queried newest first with the cursor as the start key.
   */
  async listApprovals(q: ApprovalQuery, nowMs: number): Promise<{ approvals: StoredApproval[]; next?: string }> {
    const cursor = q.cursor;
    // A malformed cursor is the caller's TypeError (a 400), before any read.
    if (cursor !== undefined) afterCursor({ createdAt: 0, id: "" } as StoredApproval, cursor);
    const names: Record<string, string> = { "#pk": "pk" };
    const values: Item = { ":prefix": S(APPROVAL_PREFIX) };
    let filter = "begins_with(#pk, :prefix)";
    if (q.status !== undefined) {
      Object.assign(names, { "#status": "status", "#expiresAt": "expiresAt" });
      values[":now"] = N(nowMs);
      if (q.status === "pending") {
        filter += " AND #status = :pending AND #expiresAt > :now";
        values[":pending"] = S("pending");
      } else if (q.status === "expired") {
        filter += " AND (#status = :expired OR ((#status = :pending OR #status = :approved) AND #expiresAt <= :now))";
        values[":expired"] = S("expired");
        values[":pending"] = S("pending");
        values[":approved"] = S("approved");
      } else {
        filter += " AND #status = :status";
        values[":status"] = S(q.status);
        delete values[":now"];
        delete names["#expiresAt"];
      }
    }
    const found: StoredApproval[] = [];
    let start: Item | undefined;
    do {
      const page = await this.call("listApprovals", (c, s) =>
        c.send(
          new s.ScanCommand({
            TableName: this.table,
            ConsistentRead: true,
            FilterExpression: filter,
            ExpressionAttributeNames: names,
            ExpressionAttributeValues: values,
            ...(start ? { ExclusiveStartKey: start } : {}),
          }),
        ),
      );
      if (page === CONFLICT) throw new StateUnavailableError(`DynamoDB table ${this.table}: listApprovals: a Scan reported a conditional failure`);
      for (const item of page.Items ?? []) found.push(approvalFrom(item));
      start = page.LastEvaluatedKey;
    } while (start);
    const all = found
      .filter((a) => (q.status === undefined || effectiveStatus(a, nowMs) === q.status) && (cursor === undefined || afterCursor(a, cursor)))
      .sort(listOrder);
    return pageOf(all, q.limit);
  }

  /** One UpdateItem conditioned on the status it names; the loser reads what won (consistently). */
  async transition(id: string, from: ApprovalStatus, change: ApprovalChange): Promise<{ ok: boolean; approval: StoredApproval | undefined }> {
    const op = "transition";
    const set = changeAttributes(change);
    const names: Record<string, string> = { "#status": "status" };
    const values: Item = { ":from": S(from) };
    const parts: string[] = [];
    for (const [k, v] of Object.entries(set)) {
      names[`#${k}`] = k;
      values[`:${k}`] = v;
      parts.push(`#${k} = :${k}`);
    }
    const r = await this.call(op, (c, s) =>
      c.send(
        new s.UpdateItemCommand({
          TableName: this.table,
          Key: { pk: S(keys.approval(id)) },
          UpdateExpression: `SET ${parts.join(", ")}`,
          ConditionExpression: "#status = :from",
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ReturnValues: "ALL_NEW",
        }),
      ),
    );
    if (r === CONFLICT) return { ok: false, approval: await this.getApproval(id) };
    const approval = approvalFrom(r.Attributes ?? {});
    // Approved: the pointer must find it until its use window ends (the identical retry uses it), not only until the pending one did.
    if (change.status === "approved" && change.expiresAt !== undefined) await this.extendPointer(approval, change.expiresAt);
    return { ok: true, approval };
  }

  /** Moves the pending pointer's expiry to `expiresMs` while it still names `a` (else another approval owns the request now). */
  private async extendPointer(a: StoredApproval, expiresMs: number): Promise<void> {
    await this.call("transition", (c, s) =>
      c.send(
        new s.UpdateItemCommand({
          TableName: this.table,
          Key: { pk: S(keys.pending(a.requestHash)) },
          UpdateExpression: "SET #pexp = :pexp, #ttl = :ttl",
          ConditionExpression: "#approvalId = :id",
          ExpressionAttributeNames: { "#pexp": "pexp", "#ttl": "ttl", "#approvalId": "approvalId" },
          ExpressionAttributeValues: { ":pexp": N(expiresMs), ":ttl": ttlOf(expiresMs), ":id": S(a.id) },
        }),
      ),
    );
  }

  async markOnce(key: string, expiresMs: number, nowMs: number): Promise<boolean> {
    const item: Item = { pk: S(keys.once(key)), name: name(key), expiresMs: N(expiresMs), ttl: ttlOf(expiresMs) };
    return this.put("markOnce", item, { expr: "attribute_not_exists(#pk) OR #expiresMs <= :now", values: { ":now": N(nowMs) } });
  }

  /**
   * Exact sliding window: the item holds the hit times still in the window
   * and a version. Read consistently; if there is room, write the window with
   * this hit, conditioned on the version read; on a conflict, back off
   * (jittered) and start over. Each conflict means another hit was recorded
   * in between, so a burst no larger than the limit always settles within
   * `hitAttempts`; beyond that the hit fails as StateUnavailableError (denied).
   * A hit refused for a full window writes nothing. Every admitted hit costs a
   * consistent read plus a write of the whole window (8 bytes per hit in it).
   */
  async hit(bucket: string, limit: RateLimit, nowMs: number): Promise<boolean> {
    const op = "hit";
    const pk = keys.rate(bucket);
    for (let attempt = 0; attempt < this.hitAttempts; attempt++) {
      if (attempt > 0) await sleep(Math.random() * Math.min(100, 4 * 2 ** attempt));
      const item = await this.get(op, pk);
      const version = item ? num(item, "ver") : 0;
      const times = item ? unpackTimes(item).filter((t) => t > nowMs - limit.windowMs) : [];
      if (times.length >= limit.maxRequests) return false;
      times.push(nowMs);
      times.sort((x, y) => x - y); // instances' clocks differ a little; keep the window ordered
      const next: Item = { pk: S(pk), name: name(bucket), hits: packTimes(times), ver: N(version + 1), ttl: ttlOf(times[times.length - 1]! + limit.windowMs) };
      const cond: Condition = item ? { expr: "#ver = :ver", values: { ":ver": N(version) } } : { expr: "attribute_not_exists(#pk)" };
      if (await this.put(op, next, cond)) return true;
    }
    throw new StateUnavailableError(`DynamoDB table ${this.table}: ${op} on a rate limit still conflicted after ${this.hitAttempts} attempts`);
  }

  /** Writes an approval item unless it exists (a second writer has the same content, or a transition already happened). */
  private async materialize(op: string, a: StoredApproval): Promise<void> {
    await this.put(op, approvalItem(a, this.retentionMs), { expr: "attribute_not_exists(#pk)" });
  }

  private async get(op: string, pk: string): Promise<Item | undefined> {
    const r = await this.call(op, (c, s) => c.send(new s.GetItemCommand({ TableName: this.table, Key: { pk: S(pk) }, ConsistentRead: true })));
    return r === CONFLICT ? undefined : r.Item;
  }

  /** A conditional PutItem: false when the condition did not hold. Names in the condition are written `#attr`. */
  private async put(op: string, item: Item, cond: Condition): Promise<boolean> {
    const names: Record<string, string> = {};
    for (const m of cond.expr.matchAll(/#(\w+)/g)) names[m[0]] = m[1]!;
    const r = await this.call(op, (c, s) =>
      c.send(
        new s.PutItemCommand({
          TableName: this.table,
          Item: item,
          ConditionExpression: cond.expr,
          // DynamoDB refuses an empty or unused name or value map; moto is laxer, so this is kept exact by construction.
          ...(Object.keys(names).length ? { ExpressionAttributeNames: names } : {}),
          ...(cond.values ? { ExpressionAttributeValues: cond.values } : {}),
        }),
      ),
    );
    return r !== CONFLICT;
  }

  private async call<R>(op: string, run: (client: DynamoDBClient, s: Sdk) => Promise<R>): Promise<R | typeof CONFLICT> {
    try {
      const [client, s] = await Promise.all([this.client(), loadSdk()]);
      return await run(client, s);
    } catch (e) {
      if ((e as Error | undefined)?.name === "ConditionalCheckFailedException") return CONFLICT;
      if (e instanceof StateUnavailableError) throw e;
      throw new StateUnavailableError(`DynamoDB table ${this.table}: ${op} failed: ${describe(e)}`);
    }
  }

  private client(): Promise<DynamoDBClient> {
    return (this.clientP ??= loadSdk().then((s) => new s.DynamoDBClient(failFast(this.opts.config ?? {}))));
  }
}

/** Defaults that make a dead or black-holed endpoint an error within about two seconds. */
function failFast(config: DynamoDBClientConfig): DynamoDBClientConfig {
  return { maxAttempts: 2, requestHandler: { requestTimeout: 1000, connectionTimeout: 1000, throwOnRequestTimeout: true }, ...config };
}

/** The error's name and message, cut short; an access key id, should a message hold one, is blanked. */
function describe(e: unknown): string {
  const err = e as { name?: string; message?: string } | undefined;
  const text = `${err?.name ?? "Error"}: ${err?.message ?? String(e)}`.replace(/\b(AKIA|ASIA)[A-Z0-9]{12,}\b/g, "$1…");
  return text.length > 300 ? text.slice(0, 300) + "…" : text;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
