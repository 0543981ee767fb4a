// Edge figures: Worker and Lambda bundle sizes (raw, gzip), Lambda cold start
// (fresh process: import the handler + first decision), Worker first-request
// latency in Miniflare (workerd). Medians of several fresh starts.
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { Miniflare } from "miniflare";

const root = new URL("../../", import.meta.url).pathname;
const size = (file) => {
  const b = readFileSync(file);
  return { raw: b.length, gzip: gzipSync(b).length };
};
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

execFileSync(process.execPath, [join(root, "adapters/lambda/build.mjs")]);
const out = mkdtempSync(join(tmpdir(), "safeclaw-edge-"));
execFileSync(
  process.execPath,
  [join(root, "node_modules/wrangler/bin/wrangler.js"), "deploy", "--dry-run", "--outdir", out, "-c", join(root, "adapters/workers/wrangler.toml")],
  { stdio: "ignore", env: { ...process.env, CI: "true", WRANGLER_SEND_METRICS: "false" } },
);

const lambdaFile = join(root, "build/lambda/index.mjs");
const cold = [];
for (let i = 0; i < 7; i++) {
  const script = `const t0 = performance.now(); const m = await import(${JSON.stringify("file://" + lambdaFile)}); await m.handler({ action: "file.read", path: "/app/x" }); console.log(performance.now() - t0);`;
  const r = spawnSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8", env: { ...process.env, SAFECLAW_AUDIT_SINK: "stdout" } });
  cold.push(Number(r.stdout.trim().split("\n").pop()));
}

const firsts = [];
for (let i = 0; i < 5; i++) {
  const mf = new Miniflare({
    modules: true,
    modulesRoot: out,
    scriptPath: join(out, "worker.js"),
    compatibilityDate: "2024-09-23",
    bindings: { SAFECLAW_AUDIT_SINK: "stdout" },
  });
  await mf.ready;
  const t0 = performance.now();
  const res = await mf.dispatchFetch("http://safeclaw.test/v1/check", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ action: "file.read", path: "/app/x" }),
  });
  await res.text();
  firsts.push(performance.now() - t0);
  await mf.dispose();
}

const result = {
  date: new Date().toISOString(),
  worker: size(join(out, "worker.js")),
  lambda: size(lambdaFile),
  lambdaColdStartMs: { median: +median(cold).toFixed(1), min: +Math.min(...cold).toFixed(1), max: +Math.max(...cold).toFixed(1), runs: cold.length },
  workerFirstRequestMs: { median: +median(firsts).toFixed(1), min: +Math.min(...firsts).toFixed(1), max: +Math.max(...firsts).toFixed(1), runs: firsts.length },
};
console.log("\nEdge:");
console.log(`| Worker bundle | ${(result.worker.raw / 1024).toFixed(1)} KiB raw | ${(result.worker.gzip / 1024).toFixed(1)} KiB gzip |`);
console.log(`| Lambda bundle | ${(result.lambda.raw / 1024).toFixed(1)} KiB raw | ${(result.lambda.gzip / 1024).toFixed(1)} KiB gzip |`);
console.log(
  `| Lambda cold start (import + first decision) | median ${result.lambdaColdStartMs.median} ms | min ${result.lambdaColdStartMs.min}, max ${result.lambdaColdStartMs.max} (${cold.length} fresh processes) |`,
);
console.log(
  `| Worker first request in Miniflare | median ${result.workerFirstRequestMs.median} ms | min ${result.workerFirstRequestMs.min}, max ${result.workerFirstRequestMs.max} (${firsts.length} fresh runtimes) |`,
);
mkdirSync(join(root, "build"), { recursive: true });
writeFileSync(join(root, "build/bench-edge.json"), JSON.stringify(result, null, 2));
