// One engine on one table, in its own process (run by test/bench/tables.mjs, or by
// hand): node --expose-gc test/bench/table-run.mjs <table> <rules> <engine> <out.json>
// engine: safeclaw | floor | cedar | cedar-1 | casbin-cjs | casbin-esm.
//
// safeclaw runs first and writes the reference decisions (<out dir>/<table>-<rules>.ref.json);
// every other engine must return the same answer on every request it is given (the
// run stops at the first disagreement). Timing: a warm-up on the first requests of the
// stream, then each remaining request timed alone (performance.now around one call),
// then the same requests again in one loop (batch: elapsed / count). Slow engines stop
// timing at a budget (BENCH_BUDGET_S, the batch half of it) and decide the rest of the
// stream untimed, for agreement, within BENCH_AGREE_S; the counts are reported.
import { readFileSync, writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { dirname, join } from "node:path";
import { performance } from "node:perf_hooks";
import { createEngine, loadPolicy, normalizeRequest } from "/work/wt/pre14/dist/index.js";
import { makeTable, keyedFloor } from "../../build/bench-lib/tables.js"; // built from tables.ts by run.sh
import { casbinEngine, cedarEngine, peerView, allSubjects as all } from "./peer-engines.mjs";

const [tableName, rulesArg, engineName, out] = process.argv.slice(2);
if (!out) throw new Error("usage: table-run.mjs <table> <rules> <engine> <out.json>");
const N = Number(rulesArg);
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 10_000);
const BUDGET_MS = Number(process.env.BENCH_BUDGET_S ?? 15) * 1000;
const AGREE_MS = Number(process.env.BENCH_AGREE_S ?? 10) * 1000;
// Not for Cedar: a forced gc() with the wasm module loaded aborts V8 (Node 20, "unreachable code" in the deoptimizer).
const gc = (process.argv[4] ?? "").startsWith("cedar") ? () => {} : (globalThis.gc ?? (() => {}));

const table = makeTable(tableName, N, tableName === "worst" ? Number(process.env.BENCH_WORST_REQUESTS ?? 200) : REQUESTS);
const requests = table.requests;
const WARMUP = Math.min(Number(process.env.BENCH_WARMUP ?? 500), Math.floor(requests.length / 10));
const refFile = join(dirname(out), `${tableName}-${N}.ref.json`);

async function build(name) {
  if (name === "safeclaw") {
    const l = await loadPolicy([{ name: `${tableName}-${N}.yaml`, text: table.yaml }]);
    if (!l.ok) throw new Error(JSON.stringify(l.errors.slice(0, 3)));
    const e = createEngine(l.policy);
    return (req) => e.check(req).allowed;
  }
  if (name === "floor") {
    if (tableName !== "keyed") throw new Error("the floor is written for the keyed table only");
    const f = keyedFloor(N);
    return all((s) => f(s.action, s.value));
  }
  if (name === "cedar") return all(cedarEngine(table));
  if (name === "cedar-1") return all(cedarEngine(table, `one-${process.pid}`, 1));
  if (name === "casbin-cjs") return all(await casbinEngine(table, "cjs"));
  if (name === "casbin-esm") return all(await casbinEngine(table, "esm"));
  throw new Error(`unknown engine ${name}`);
}

const quantile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)];
function stats(samples) {
  const s = Float64Array.from(samples).sort();
  let sum = 0;
  for (const x of s) sum += x;
  const us = (ms) => +(ms * 1000).toFixed(3);
  return {
    count: s.length,
    p50: us(quantile(s, 0.5)),
    p99: us(quantile(s, 0.99)),
    p999: us(quantile(s, 0.999)),
    max: us(s[s.length - 1]),
    mean: us(sum / s.length),
  };
}

/** The cost of the timer itself: two back-to-back performance.now() calls. */
function timerOverhead() {
  const d = new Float64Array(200_000);
  for (let i = 0; i < d.length; i++) {
    const a = performance.now();
    d[i] = performance.now() - a;
  }
  return stats(d);
}

const load0 = loadavg()[0];
const t0 = performance.now();
const decide = await build(engineName);
const buildMs = performance.now() - t0;
const isRef = engineName === "safeclaw";
const probe = engineName === "cedar-1"; // Cedar with the first policy only: its answers differ by design
let ref;
if (!isRef) ref = JSON.parse(readFileSync(refFile, "utf8"));

// Inputs: safeclaw takes the raw request; a peer its subjects (made before timing).
const inputs = [];
const skipped = {};
const keep = [];
for (let i = 0; i < requests.length; i++) {
  if (isRef) {
    inputs.push(requests[i]);
    keep.push(i);
    continue;
  }
  const v = peerView(table, normalizeRequest, requests[i]);
  if (v.skip) {
    skipped[v.skip] = (skipped[v.skip] ?? 0) + 1;
    continue;
  }
  inputs.push(v.subjects);
  keep.push(i);
}

const decisions = isRef ? new Array(requests.length) : null;
let agree = 0;
const check = (k, allowed) => {
  const i = keep[k];
  if (isRef) decisions[i] = allowed;
  else if (!probe) {
    if (ref.decisions[i] !== allowed)
      throw new Error(
        `${engineName} disagrees with safeclaw on ${tableName}-${N} request ${i}: ${JSON.stringify(requests[i]).slice(0, 300)}: safeclaw ${ref.decisions[i]}, ${engineName} ${allowed}`,
      );
    agree++;
  }
};

const overhead = timerOverhead();
// warm-up (JIT), answers checked like the rest
// (at most a tenth of the budget: a slow peer at 10,000 rules gets fewer)
let warm = 0;
const w0 = performance.now();
while (warm < Math.min(WARMUP, inputs.length) && (warm < 5 || performance.now() - w0 < BUDGET_MS / 10)) {
  check(warm, decide(inputs[warm]));
  warm++;
}
gc();
const samples = [];
const start = performance.now();
let k = warm;
for (; k < inputs.length; k++) {
  const a = performance.now();
  const allowed = decide(inputs[k]);
  const b = performance.now();
  samples.push(b - a);
  check(k, allowed);
  if (b - start > BUDGET_MS) {
    k++;
    break;
  }
}
const timedEnd = k;
// the rest of the stream untimed, for agreement only, within its own budget
const a0 = performance.now();
// (safeclaw, the reference, always decides the whole stream)
for (; k < inputs.length && (isRef || performance.now() - a0 < AGREE_MS); k++) check(k, decide(inputs[k]));
const covered = k;
gc();
// batch: the same timed requests again, in one loop; time checked every 64 calls
let batchCount = 0;
let sink = 0;
const bs = performance.now();
for (let j = warm; j < timedEnd; j++) {
  if (decide(inputs[j])) sink++;
  batchCount++;
  if ((batchCount & 63) === 0 && performance.now() - bs > BUDGET_MS / 2) break;
}
const batchMs = performance.now() - bs;

const result = {
  table: tableName,
  tableRules: table.n,
  requests: requests.length,
  engine: engineName,
  node: process.version,
  buildMs: +buildMs.toFixed(1),
  given: inputs.length,
  skipped,
  decided: covered,
  timed: timedEnd - warm,
  agree: isRef || probe ? null : agree,
  allowed: isRef ? decisions.filter(Boolean).length : undefined,
  warmup: warm,
  perCall: stats(samples),
  batch: { count: batchCount, meanUs: +((batchMs / Math.max(1, batchCount)) * 1000).toFixed(3), allowedInBatch: sink },
  timerOverheadUs: { p50: overhead.p50, mean: overhead.mean },
  budgetS: BUDGET_MS / 1000,
  agreeS: AGREE_MS / 1000,
  loadavg1: { start: +load0.toFixed(2), end: +loadavg()[0].toFixed(2) },
};
if (isRef) writeFileSync(refFile, JSON.stringify({ table: tableName, rules: N, decisions }));
writeFileSync(out, JSON.stringify(result, null, 1));
const p = result.perCall;
console.log(
  `${tableName}-${N} ${engineName}: ${covered} decided` +
    (result.agree !== null ? `, ${agree} agree` : "") +
    (Object.keys(skipped).length ? ` (left out: ${JSON.stringify(skipped)})` : "") +
    ` | per call p50 ${p.p50} p99 ${p.p99} p99.9 ${p.p999} max ${p.max} µs (${p.count} samples) | batch ${result.batch.meanUs} µs (${batchCount}) | timer ${overhead.p50} µs`,
);
