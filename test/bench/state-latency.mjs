// Per-hit latency of a rate limit: MemoryStateStore.hit against DynamoDbStateStore.hit
// over a local moto_server, in the same run. Not part of `npm test`; measured only.
// Every hit is timed alone (performance.now() around one awaited call), after a warm-up.
// Rows: memory; DynamoDB admitted (a consistent GetItem plus a conditional PutItem);
// DynamoDB refused (window full: the GetItem only).
//
// moto_server on loopback is a Python process on this machine: its latency is neither
// DynamoDB's (a network round trip inside a region, plus the service) nor a bound on it.
// What this shows is what the store adds per hit on top of its two (or one) requests.
//
// Command: npm run build && node test/bench/state-latency.mjs   (knob: BENCH_STATE_HITS, default 2000)
import { startMoto } from "./moto-process.mjs";
import { CreateTableCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb";

const root = new URL("../../", import.meta.url).pathname;
const { MemoryStateStore } = await import(root + "dist/approval/memory-state-store.js");
const { DynamoDbStateStore } = await import(root + "dist/runtime/lambda/dynamodb-state-store.js");

const HITS = Number(process.env.BENCH_STATE_HITS ?? 2000);
const WARMUP = 200;
const T0 = Date.now();

/** Times `n` calls of `call(i)` one at a time, after `WARMUP` untimed ones; microseconds. */
async function timeEach(n, call) {
  for (let i = 0; i < WARMUP; i++) await call(-1 - i);
  const us = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await call(i);
    us[i] = (performance.now() - t) * 1000;
  }
  return us.sort();
}

const pct = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
const fmt = (us) => (us >= 1000 ? `${(us / 1000).toFixed(2)} ms` : `${us.toFixed(1)} µs`);

const { proc, endpoint } = await startMoto();
try {
  const config = { region: "us-east-1", endpoint, credentials: { accessKeyId: "test", secretAccessKey: "test" } };
  const TableName = `bench-state-${process.pid}`;
  await new DynamoDBClient(config).send(
    new CreateTableCommand({
      TableName,
      BillingMode: "PAY_PER_REQUEST",
      AttributeDefinitions: [{ AttributeName: "pk", AttributeType: "S" }],
      KeySchema: [{ AttributeName: "pk", KeyType: "HASH" }],
    }),
  );
  const memory = new MemoryStateStore();
  const dynamo = new DynamoDbStateStore({ table: TableName, config });
  // 20 agents under one rule; the admitting limit never fills, the refusing one is full after one hit.
  const open = { maxRequests: 1_000_000, windowMs: 60_000, per: "agent" };
  const full = { maxRequests: 1, windowMs: 3_600_000, per: "rule" };
  const bucket = (i) => `bench-rule\u0000agent-${(i + 1000) % 20}`;
  const rows = [];
  const check = (ok, want, what) => {
    if (ok !== want) throw new Error(`${what}: hit answered ${ok}, expected ${want}`);
  };
  rows.push(["memory, admitted", await timeEach(HITS, async (i) => check(await memory.hit(bucket(i), open, T0 + i), true, "memory"))]);
  rows.push([
    "DynamoDB (moto), admitted: GetItem + conditional PutItem",
    await timeEach(HITS, async (i) => check(await dynamo.hit(bucket(i), open, T0 + i), true, "dynamo")),
  ]);
  await dynamo.hit("bench-full", full, T0);
  rows.push([
    "DynamoDB (moto), refused (window full): GetItem",
    await timeEach(HITS, async (i) => check(await dynamo.hit("bench-full", full, T0 + 1), false, "dynamo full")),
  ]);

  console.log(`\nRate-limit hit latency, ${HITS} timed hits each after ${WARMUP} warm-up, one at a time (Node ${process.version})\n`);
  console.log("| store | p50 | p99 | max |");
  console.log("|---|---|---|---|");
  for (const [name, us] of rows) console.log(`| ${name} | ${fmt(pct(us, 50))} | ${fmt(pct(us, 99))} | ${fmt(us[us.length - 1])} |`);
  console.log(`\nCommand: npm run build && node test/bench/state-latency.mjs (BENCH_STATE_HITS=${HITS})`);
  console.log("moto_server on loopback is not DynamoDB: real latency is a network round trip per request inside the region, plus the service.");
} finally {
  proc.kill("SIGTERM");
}
