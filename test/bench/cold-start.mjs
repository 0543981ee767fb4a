// Cold start and peak RSS (issue 14 items 3 and 5), measured only: for the keyed and
// unkeyed tables at 1,000 and 10,000 rules, from YAML (loadPolicy) and from the
// bundle `safeclaw build` writes (loadBundle), each in fresh processes. A process
// times the module import, the load (file read + parse + compile + createEngine),
// and the first decision on every action (file, network, shell, env), then reports
// its peak RSS (getrusage maxRSS), its RSS after the import, and its heap after gc
// (the steady heap). Prints a table and writes build/bench-cold.json.
//
// Knobs: BENCH_COLD_RUNS (fresh processes per case, default 5),
// BENCH_COLD_SIZES (default 1000,10000), BENCH_COLD_TABLES (default keyed,unkeyed).
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { makeTable } from "../../build/bench-lib/tables.js"; // built from tables.ts by run.sh

const root = new URL("../../", import.meta.url).pathname;
const dir = join(root, "build/bench-cold");
mkdirSync(dir, { recursive: true });
const RUNS = Number(process.env.BENCH_COLD_RUNS ?? 5);
const SIZES = (process.env.BENCH_COLD_SIZES ?? "1000,10000").split(",").map(Number);
const TABLES = (process.env.BENCH_COLD_TABLES ?? "keyed,unkeyed").split(",");

// The child: everything it measures happens in a process that has done nothing else.
const CHILD = `
import { readFileSync } from "node:fs";
const [mode, file] = process.argv.slice(1);
const t0 = performance.now();
const m = await import(${JSON.stringify("file://" + join(root, "dist/index.js"))});
const t1 = performance.now();
const rssAfterImport = process.memoryUsage().rss;
const text = readFileSync(file, "utf8");
let engine;
if (mode === "yaml") {
  const l = await m.loadPolicy([{ name: "cold.yaml", text }]);
  if (!l.ok) throw new Error("policy invalid");
  engine = m.createEngine(l.policy);
} else {
  const b = await m.loadBundle(JSON.parse(text));
  engine = m.createEngine(b.policy);
}
const t2 = performance.now();
const first = [
  { action: "file.read", path: "/srv/app0/x" },
  { action: "network.request", url: "https://api1.example.com/x" },
  { action: "shell.execute", command: "tool3 plan" },
  { action: "env.read", key: "SECRET_4" },
].map((r) => engine.check(r).decision);
const t3 = performance.now();
const peak = process.resourceUsage().maxRSS * 1024;
for (let i = 0; i < 3; i++) globalThis.gc();
const mu = process.memoryUsage();
console.log(JSON.stringify({ importMs: t1 - t0, loadMs: t2 - t1, firstMs: t3 - t2, totalMs: t3 - t0, peakRss: peak, rssAfterImport, steadyHeap: mu.heapUsed, rss: mu.rss, first }));
`;

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const summary = (xs) => ({ median: +median(xs).toFixed(1), min: +Math.min(...xs).toFixed(1), max: +Math.max(...xs).toFixed(1) });
const MiB = (b) => +(b / 1024 / 1024).toFixed(1);

const cases = [];
for (const name of TABLES) {
  for (const n of SIZES) {
    const t = makeTable(name, n, 10);
    const yaml = join(dir, `${name}-${n}.yaml`);
    writeFileSync(yaml, t.yaml);
    const out = join(dir, `${name}-${n}`);
    execFileSync(process.execPath, [join(root, "bin/safeclaw.js"), "build", "--policy", yaml, "--out", out], { stdio: "ignore" });
    for (const mode of ["yaml", "bundle"]) {
      const file = mode === "yaml" ? yaml : join(out, "policy-bundle.json");
      const runs = [];
      for (let i = 0; i < RUNS; i++) {
        const r = spawnSync(process.execPath, ["--expose-gc", "--input-type=module", "-e", CHILD, mode, file], { encoding: "utf8" });
        if (r.status !== 0) throw new Error(`${name}-${n} ${mode}: ${r.stderr}`);
        runs.push(JSON.parse(r.stdout.trim().split("\n").pop()));
      }
      const c = {
        table: name,
        rules: t.n,
        mode,
        runs: RUNS,
        importMs: summary(runs.map((x) => x.importMs)),
        loadMs: summary(runs.map((x) => x.loadMs)),
        firstDecisionsMs: summary(runs.map((x) => x.firstMs)),
        totalMs: summary(runs.map((x) => x.totalMs)),
        peakRssMiB: MiB(median(runs.map((x) => x.peakRss))),
        rssAfterImportMiB: MiB(median(runs.map((x) => x.rssAfterImport))),
        steadyHeapMiB: MiB(median(runs.map((x) => x.steadyHeap))),
        fileKiB: Math.round(statSync(file).size / 1024),
      };
      cases.push(c);
      console.log(
        `${name} ${c.rules} rules, ${mode}: load ${c.loadMs.median} ms (min ${c.loadMs.min}, max ${c.loadMs.max}) + first decision on each action ${c.firstDecisionsMs.median} ms; import ${c.importMs.median} ms; peak RSS ${c.peakRssMiB} MiB (after import ${c.rssAfterImportMiB}), steady heap ${c.steadyHeapMiB} MiB; ${RUNS} fresh processes`,
      );
    }
  }
}
writeFileSync(join(root, "build/bench-cold.json"), JSON.stringify({ date: new Date().toISOString(), node: process.version, cases }, null, 1));
