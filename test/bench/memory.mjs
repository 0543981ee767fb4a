// Heap used by a compiled 10,000-rule policy (run with --expose-gc).
import { writeFileSync } from "node:fs";
import { createEngine, loadPolicy } from "../../dist/index.js";
import { generatePolicy, generateRequests } from "../../build/bench-lib/policy-gen.js"; // built from policy-gen.ts by run.sh

const settle = () => {
  for (let i = 0; i < 3; i++) globalThis.gc();
  return process.memoryUsage().heapUsed;
};
const text = generatePolicy(10_000);
const before = settle();
const r = await loadPolicy([{ name: "gen-10000.yaml", text }]);
if (!r.ok) throw new Error("policy");
const engine = createEngine(r.policy);
for (const q of generateRequests(10_000)) engine.check(q); // builds the per-action indexes too
const after = settle();
const mb = (after - before) / 1024 / 1024;
console.log(`\nMemory: compiled 10,000-rule policy with its indexes: ${mb.toFixed(1)} MiB of heap`);
writeFileSync(
  new URL("../../build/bench-memory.json", import.meta.url),
  JSON.stringify({ rules: 10_000, heapMiB: +mb.toFixed(2), keep: engine.policy.rules.length }, null, 2),
);
