import { createServer, type Socket } from "node:net";
import { CreateTableCommand, DynamoDBClient, PutItemCommand, ScanCommand, UpdateTimeToLiveCommand } from "@aws-sdk/client-dynamodb";
import { describe, expect, it } from "vitest";
import { StateUnavailableError, type StateStore } from "../src/approval/state-store.js";
import { DynamoDbStateStore } from "../src/runtime/lambda/dynamodb-state-store.js";
import { dynamoDbConfig, stateStoreFor } from "../src/runtime/lambda/lambda-state.js";
import { approval, stateStoreContract } from "./state-store-contract.js";
import { deadEndpoint, listenOnFreePort, MOTO_AVAILABLE, useMoto } from "./moto.js";

const T0 = 1_700_000_000_000;
const LIMIT = { maxRequests: 7, windowMs: 60_000, per: "rule" as const };

/** Every method of a store, called once each, as a list of named thunks. */
function everyMethod(s: StateStore): Array<[string, () => Promise<unknown>]> {
  const a = approval();
  return [
    ["createApproval", () => s.createApproval(a, T0)],
    ["getApproval", () => s.getApproval(a.id)],
    ["listApprovals", () => s.listApprovals({ limit: 10 }, T0)],
    ["transition", () => s.transition(a.id, "pending", { status: "approved" })],
    ["markOnce", () => s.markOnce("grant:x", T0 + 1000, T0)],
    ["hit", () => s.hit("rule-a", LIMIT, T0)],
  ];
}

/** Each method fails with a StateUnavailableError naming the table and the operation, within `withinMs`. */
async function expectEachUnavailable(s: StateStore, table: string, withinMs: number, secret: string): Promise<number[]> {
  const took: number[] = [];
  for (const [op, call] of everyMethod(s)) {
    const t = performance.now();
    const e = await call().then(
      () => undefined,
      (err: unknown) => err,
    );
    took.push(performance.now() - t);
    expect(e, op).toBeInstanceOf(StateUnavailableError);
    expect((e as Error).message, op).toContain(`DynamoDB table ${table}: ${op}`);
    expect((e as Error).message, op).not.toContain(secret);
    expect(took[took.length - 1], op).toBeLessThan(withinMs);
  }
  return took;
}

// Skipped only when moto_server is absent outside CI (test/moto.ts warns loudly; under CI=true it fails instead).
describe.skipIf(!MOTO_AVAILABLE)("DynamoDB state store against moto_server", () => {
  const moto = useMoto([]);
  let tables = 0;
  const admin = () => new DynamoDBClient(dynamoDbConfig(moto.env()));

  /** A table as the SAM template makes it: string key pk, TTL on ttl; a new one for every test. */
  async function freshTable(): Promise<string> {
    const TableName = `safeclaw-state-${process.pid}-${++tables}`;
    const c = admin();
    await c.send(
      new CreateTableCommand({
        TableName,
        BillingMode: "PAY_PER_REQUEST",
        AttributeDefinitions: [{ AttributeName: "pk", AttributeType: "S" }],
        KeySchema: [{ AttributeName: "pk", KeyType: "HASH" }],
      }),
    );
    await c.send(new UpdateTimeToLiveCommand({ TableName, TimeToLiveSpecification: { AttributeName: "ttl", Enabled: true } }));
    return TableName;
  }
  const storeOn = (table: string) => new DynamoDbStateStore({ table, config: dynamoDbConfig(moto.env()) });
  const scan = async (TableName: string) => (await admin().send(new ScanCommand({ TableName, ConsistentRead: true }))).Items ?? [];

  stateStoreContract("dynamodb (moto_server)", async () => storeOn(await freshTable()));

  it("two stores (two clients) racing 30 hits on a limit of 7 admit exactly 7, and then none", async () => {
    const table = await freshTable();
    const [a, b] = [storeOn(table), storeOn(table)];
    const racing = await Promise.all(Array.from({ length: 30 }, (_, i) => (i % 2 ? a : b).hit("rule-x\u0000ci-bot", LIMIT, T0 + (i % 3))));
    expect(racing.filter(Boolean)).toHaveLength(7);
    expect(await a.hit("rule-x\u0000ci-bot", LIMIT, T0 + 10)).toBe(false);
    expect(await b.hit("rule-x\u0000ci-bot", LIMIT, T0 + 10)).toBe(false);
  });

  it("what one store writes, another store on the table sees: approvals, transitions, marks", async () => {
    const table = await freshTable();
    const [a, b] = [storeOn(table), storeOn(table)];
    const made = (await a.createApproval(approval(), T0)).approval;
    expect(await b.createApproval(approval(), T0)).toEqual({ created: false, approval: made });
    expect((await b.transition(made.id, "pending", { status: "approved", decidedBy: "alice", decidedAt: T0 + 1 })).ok).toBe(true);
    expect(await a.getApproval(made.id)).toMatchObject({ status: "approved", decidedBy: "alice" });
    const uses = await Promise.all([a, b, a, b].map((s, i) => s.transition(made.id, "approved", { status: "used", usedAt: T0 + i })));
    expect(uses.filter((u) => u.ok)).toHaveLength(1);
    const marks = await Promise.all([a, b, a, b].map((s) => s.markOnce("grant:g1", T0 + 1000, T0)));
    expect(marks.filter(Boolean)).toHaveLength(1);
  });

  it("a pointer whose approval item was never written (its creator died in between) is completed, not handed out empty", async () => {
    const table = await freshTable();
    const s = storeOn(table);
    const orphan = approval();
    // What a creator writes first (the commit point), and nothing after.
    await admin().send(
      new PutItemCommand({
        TableName: table,
        Item: {
          pk: { S: `pending#${orphan.requestHash}` },
          approvalId: { S: orphan.id },
          data: { S: JSON.stringify(orphan) },
          pexp: { N: String(orphan.expiresAt) },
          ttl: { N: String(Math.ceil(orphan.expiresAt / 1000)) },
        },
      }),
    );
    expect(await s.getApproval(orphan.id)).toBeUndefined();
    const r = await s.createApproval(approval(), T0);
    expect(r).toEqual({ created: false, approval: orphan });
    expect(await s.getApproval(orphan.id)).toEqual(orphan);
  });

  it("sets the TTL attribute on every item it writes, at or after the time the item stops mattering", async () => {
    const table = await freshTable();
    const s = storeOn(table);
    const a = (await s.createApproval(approval({ expiresAt: T0 + 3_600_000 }), T0)).approval;
    await s.transition(a.id, "pending", { status: "approved", decidedBy: "alice", decidedAt: T0 + 5 });
    await s.markOnce("grant:ttl", T0 + 90_500, T0);
    await s.hit("rule-t", LIMIT, T0 + 250);
    const items = await scan(table);
    const ttlOf = (prefix: string) => items.filter((i) => i.pk!.S!.startsWith(prefix)).map((i) => Number(i.ttl?.N));
    expect(items.map((i) => i.pk!.S!.split("#")[0]).sort()).toEqual(["approval", "once", "pending", "rate"]);
    for (const i of items) expect(Number.isInteger(Number(i.ttl?.N)), i.pk!.S).toBe(true);
    expect(ttlOf("approval#")).toEqual([Math.ceil((a.expiresAt + 30 * 86_400_000) / 1000)]);
    expect(ttlOf("pending#")).toEqual([Math.ceil(a.expiresAt / 1000)]);
    expect(ttlOf("once#")).toEqual([Math.ceil((T0 + 90_500) / 1000)]);
    expect(ttlOf("rate#")).toEqual([Math.ceil((T0 + 250 + LIMIT.windowMs) / 1000)]);
  });

  it("an item that holds nonsense, or a table that does not exist, is StateUnavailableError", async () => {
    const table = await freshTable();
    const s = storeOn(table);
    const id = approval().id;
    await admin().send(new PutItemCommand({ TableName: table, Item: { pk: { S: `approval#${id}` }, data: { S: "{not json" }, status: { S: "pending" } } }));
    await expect(s.getApproval(id)).rejects.toThrow(StateUnavailableError);
    await expect(s.listApprovals({ limit: 5 }, T0)).rejects.toThrow(StateUnavailableError);
    const missing = storeOn("no-such-table");
    await expect(missing.getApproval(id)).rejects.toThrow(/DynamoDB table no-such-table: getApproval failed: ResourceNotFoundException/);
    await expect(missing.hit("b", LIMIT, T0)).rejects.toThrow(StateUnavailableError);
  });

  it("a malformed cursor is the caller's TypeError, not an outage", async () => {
    await expect(storeOn(await freshTable()).listApprovals({ limit: 5, cursor: "nope" }, T0)).rejects.toThrow(TypeError);
  });

  it("stateStoreFor: the table from SAFECLAW_STATE_TABLE, the endpoint from AWS_ENDPOINT_URL_DYNAMODB before AWS_ENDPOINT_URL; memory without it", async () => {
    expect(stateStoreFor({}).kind).toBe("memory");
    expect(stateStoreFor({ SAFECLAW_STATE_TABLE: " " }).kind).toBe("memory");
    const table = await freshTable();
    const dead = await deadEndpoint();
    try {
      const s = stateStoreFor({ ...moto.env(), SAFECLAW_STATE_TABLE: table, AWS_ENDPOINT_URL: dead.url, AWS_ENDPOINT_URL_DYNAMODB: moto.endpoint });
      expect(s.kind).toBe("dynamodb");
      const a = (await s.createApproval(approval(), T0)).approval;
      expect(await storeOn(table).getApproval(a.id)).toEqual(a);
      await expect(stateStoreFor({ ...moto.env(), SAFECLAW_STATE_TABLE: table, AWS_ENDPOINT_URL: dead.url }).getApproval(a.id)).rejects.toThrow(
        StateUnavailableError,
      );
    } finally {
      await dead.close();
    }
  });
});

describe("DynamoDB state store with nothing to talk to", () => {
  const SECRET = "wJalrXUtnFEMI-do-not-print-me";
  const store = (endpoint: string) =>
    new DynamoDbStateStore({
      table: "state-t",
      config: { region: "us-east-1", endpoint, credentials: { accessKeyId: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: SECRET } },
    });

  it("an endpoint that drops every connection: every method fails as StateUnavailableError within 2 s", async () => {
    const dead = await deadEndpoint();
    try {
      const took = await expectEachUnavailable(store(dead.url), "state-t", 2000, SECRET);
      console.log(`dead endpoint, ms per method: ${took.map((t) => t.toFixed(0)).join(" ")}`);
    } finally {
      await dead.close();
    }
  });

  it("an endpoint that accepts and never answers: every method fails as StateUnavailableError within ~2 s (1 s per attempt, 2 attempts)", async () => {
    const sockets = new Set<Socket>();
    const silent = createServer((sock) => {
      sockets.add(sock);
      sock.on("close", () => sockets.delete(sock));
    });
    const port = await listenOnFreePort(silent);
    try {
      // 2 x 1 s timeouts plus the SDK's retry delay; the margin is for a loaded machine.
      const took = await expectEachUnavailable(store(`http://127.0.0.1:${port}`), "state-t", 3000, SECRET);
      console.log(`silent endpoint, ms per method: ${took.map((t) => t.toFixed(0)).join(" ")}`);
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => silent.close(() => r()));
    }
  }, 30_000);
});
