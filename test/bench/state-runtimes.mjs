// What a store-backed rate limit adds to a decision, on each runtime, in one run: the same
// allowed request with and without a `rateLimit` on its rule, through
//   - Node: the Gatekeeper the Node server uses, state in memory (per machine);
//   - Lambda: the handler (direct invocations, audit to a file), state in DynamoDB on a local
//     moto_server, and in memory (no SAFECLAW_STATE_TABLE) for comparison;
//   - Worker: the Worker in workerd (Miniflare dispatchFetch), state in the SAFECLAW_STATE
//     Durable Objects, and in memory (no binding) for comparison.
// Each call is timed alone after a warm-up; the two requests alternate so drift hits both.
// moto_server and Miniflare on loopback are stand-ins: their latency is not DynamoDB's or
// Cloudflare's (a network round trip inside the region, and the service, on top). What the
// table shows is the cost of the round trips the store makes, relative to the same runtime.
//
// Command: npm run build && node test/bench/state-runtimes.mjs   (knob: BENCH_STATE_CALLS, default 1000)
import { startMoto } from "./moto-process.mjs";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CreateTableCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { build } from "esbuild";
import { Miniflare } from "miniflare";

const root = new URL("../../", import.meta.url).pathname;
const { loadPolicy } = await import(root + "dist/engine/load-policy.js");
const { makeBundle } = await import(root + "dist/engine/bundle.js");
const { Gatekeeper } = await import(root + "dist/approval/gatekeeper.js");
const { MemoryStateStore } = await import(root + "dist/approval/memory-state-store.js");
const { createLambdaHandler } = await import(root + "dist/runtime/lambda/create-lambda-handler.js");

const CALLS = Number(process.env.BENCH_STATE_CALLS ?? 1000);
const WARMUP = 100;
const POLICY = `version: 1
defaultAction: deny
rules:
- {id: plain, action: network.request, host: api.openai.com, effect: allow}
- id: limited
  action: network.request
  host: api.anthropic.com
  effect: allow
  rateLimit: {maxRequests: 100000000, window: 1 minute, per: agent}
`;
const PLAIN = { action: "network.request", url: "https://api.openai.com/v1/x", agent: "bench" };
const LIMITED = { action: "network.request", url: "https://api.anthropic.com/v1/x", agent: "bench" };

const loaded = await loadPolicy([{ name: "bench.yaml", text: POLICY }]);
if (!loaded.ok) throw new Error("bench policy invalid");
const bundle = await makeBundle(loaded.policy.ir, new Date().toISOString());

/** Times `call(request)` for both requests alternately; returns sorted µs per request kind. */
async function timePair(call) {
  for (let i = 0; i < WARMUP; i++) {
    await call(PLAIN);
    await call(LIMITED);
  }
  const plain = new Float64Array(CALLS);
  const limited = new Float64Array(CALLS);
  for (let i = 0; i < CALLS; i++) {
    let t = performance.now();
    const a = await call(PLAIN);
    plain[i] = (performance.now() - t) * 1000;
    t = performance.now();
    const b = await call(LIMITED);
    limited[i] = (performance.now() - t) * 1000;
    if (a !== "allow" || b !== "allow") throw new Error(`expected allow/allow, got ${a}/${b}`);
  }
  return { plain: plain.sort(), limited: limited.sort() };
}

const pct = (s, p) => s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
const fmt = (us) => (us >= 1000 ? `${(us / 1000).toFixed(2)} ms` : `${us.toFixed(1)} µs`);

const rows = [];
const dir = mkdtempSync(join(tmpdir(), "safeclaw-state-bench-"));

// Node: the Node server's Gatekeeper over its memory store.
{
  const gate = new Gatekeeper(loaded.policy, { state: new MemoryStateStore() });
  rows.push(["Node (Gatekeeper)", "memory", await timePair(async (r) => (await gate.check(r)).decision)]);
}

// Lambda: direct invocations, audit to a file.
const { proc, endpoint } = await startMoto();
try {
  const aws = { AWS_ACCESS_KEY_ID: "test", AWS_SECRET_ACCESS_KEY: "test", AWS_REGION: "us-east-1", AWS_ENDPOINT_URL: endpoint };
  const TableName = `bench-runtimes-${process.pid}`;
  await new DynamoDBClient({ region: "us-east-1", endpoint, credentials: { accessKeyId: "test", secretAccessKey: "test" } }).send(
    new CreateTableCommand({
      TableName,
      BillingMode: "PAY_PER_REQUEST",
      AttributeDefinitions: [{ AttributeName: "pk", AttributeType: "S" }],
      KeySchema: [{ AttributeName: "pk", KeyType: "HASH" }],
    }),
  );
  for (const [store, extra] of [
    ["memory", {}],
    ["DynamoDB (moto)", { SAFECLAW_STATE_TABLE: TableName }],
  ]) {
    const h = createLambdaHandler({ bundle, env: { ...aws, ...extra, SAFECLAW_AUDIT_SINK: join(dir, `lambda-${rows.length}.log`) }, log: () => undefined });
    rows.push(["Lambda (handler)", store, await timePair(async (r) => (await h(r)).decision)]);
  }
} finally {
  proc.kill("SIGTERM");
}

// Worker: the approvals fixture entry with this bundle, in workerd.
{
  const out = await build({
    entryPoints: [join(root, "test/fixtures/approvals-worker.ts")],
    bundle: true,
    format: "esm",
    platform: "neutral",
    mainFields: ["module", "main"],
    conditions: ["workerd", "worker", "browser"],
    define: { __APPROVALS_BUNDLE__: JSON.stringify(bundle) },
    write: false,
    logLevel: "silent",
  });
  const script = out.outputFiles[0].text;
  const bindings = { SAFECLAW_AUDIT_SINK: "r2://bench" };
  const mf = new Miniflare({
    workers: [
      {
        name: "do",
        modules: true,
        script,
        compatibilityDate: "2024-09-23",
        bindings,
        r2Buckets: ["AUDIT_BUCKET"],
        durableObjects: { SAFECLAW_STATE: "SafeClawState" },
      },
      { name: "mem", modules: true, script, compatibilityDate: "2024-09-23", bindings, r2Buckets: ["AUDIT_BUCKET"] },
    ],
  });
  try {
    for (const [name, store] of [
      ["mem", "memory (per isolate)"],
      ["do", "Durable Objects"],
    ]) {
      const w = await mf.getWorker(name);
      const call = async (r) =>
        (
          await (
            await w.fetch("http://safeclaw.test/v1/check", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(r) })
          ).json()
        ).decision;
      rows.push(["Worker (workerd)", store, await timePair(call)]);
    }
  } finally {
    await mf.dispose();
  }
}

console.log(`\nAdded latency of a store-backed rate limit, ${CALLS} calls of each request after ${WARMUP} warm-up (Node ${process.version})\n`);
console.log("| runtime | state | p50 without limit | p50 with limit | added at p50 | p99 without | p99 with |");
console.log("|---|---|---:|---:|---:|---:|---:|");
for (const [rt, store, { plain, limited }] of rows) {
  console.log(
    `| ${rt} | ${store} | ${fmt(pct(plain, 50))} | ${fmt(pct(limited, 50))} | ${fmt(pct(limited, 50) - pct(plain, 50))} | ${fmt(pct(plain, 99))} | ${fmt(pct(limited, 99))} |`,
  );
}
console.log(`\nCommand: npm run build && node test/bench/state-runtimes.mjs (BENCH_STATE_CALLS=${CALLS})`);
