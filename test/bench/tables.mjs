// The table benchmark (issue 14 item 5): every table of test/bench/tables.ts, every
// engine, each (table, engine) in a fresh process (test/bench/table-run.mjs), safeclaw
// first (its answers are the reference the others must match). Writes
// build/bench-tables.json and prints one line per run.
//
// Knobs: BENCH_TABLES="keyed:10,1000,10000;unkeyed:1000,10000;..." (table:sizes),
// BENCH_REQUESTS (distinct requests per table, default 10000), BENCH_BUDGET_S (time
// budget of one engine's per-call pass, default 15; the batch pass gets half;
// BENCH_AGREE_S, default 10, for deciding the rest of the stream untimed),
// BENCH_LARGE_ENGINES (the engines run at 10,000 rules and more),
// BENCH_WORST_REQUESTS (default 200), BENCH_ENGINES (default all), BENCH_TIMEOUT_S (kill
// an engine's process after this long; default 20 s for the worst-case table).
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync, existsSync, rmSync } from "node:fs";
import { join } from "node:path";

const root = new URL("../../", import.meta.url).pathname;
const dir = join(root, "build/bench-tables");
mkdirSync(dir, { recursive: true });
const BUDGET_S = Number(process.env.BENCH_BUDGET_S ?? 15);
const AGREE_S = Number(process.env.BENCH_AGREE_S ?? 10);
const spec = process.env.BENCH_TABLES ?? "keyed:10,1000,10000;keyed-regex:1000;unkeyed:1000,10000;shared-key:1000;overlap:1000;worst:100";
const engines = (process.env.BENCH_ENGINES ?? "safeclaw,floor,cedar,cedar-1,casbin-cjs,casbin-esm").split(",");
// at 10,000 rules and more, to keep the default run near 15 minutes: Casbin's ESM entry
// is compared with its CJS entry at 1,000 rules (same code, same ratio)
const large = (process.env.BENCH_LARGE_ENGINES ?? "safeclaw,floor,cedar,casbin-cjs").split(",");

const runs = [];
for (const part of spec.split(";").filter(Boolean)) {
  const [table, sizes] = part.split(":");
  for (const n of sizes.split(",").map(Number)) {
    for (const engine of engines.filter((e) => n < 10_000 || large.includes(e))) {
      if (engine === "floor" && table !== "keyed") continue; // the floor is written for the keyed table
      if (engine === "cedar-1" && runs.some((r) => r.table === table && r.engine === "cedar-1")) continue; // once per table
      const out = join(dir, `${table}-${n}-${engine}.json`);
      rmSync(out, { force: true });
      // a hung peer (a backtracking regex on a 64 KB line) is killed: budget, batch, build and load
      const timeoutS = Number(process.env.BENCH_TIMEOUT_S ?? (table === "worst" ? 20 : Math.round(BUDGET_S * 1.5 + AGREE_S + 120)));
      const t0 = Date.now();
      const r = spawnSync(process.execPath, ["--expose-gc", join(root, "test/bench/table-run.mjs"), table, String(n), engine, out], {
        stdio: ["ignore", "inherit", "pipe"],
        encoding: "utf8",
        timeout: timeoutS * 1000,
        env: { ...process.env, BENCH_BUDGET_S: String(BUDGET_S), BENCH_AGREE_S: String(AGREE_S) },
      });
      if (r.error?.code === "ETIMEDOUT" || r.signal === "SIGTERM") {
        console.log(`${table}-${n} ${engine}: killed after ${timeoutS} s (no answer in time)`);
        runs.push({ table, rules: n, engine, timedOut: true, afterS: Math.round((Date.now() - t0) / 1000) });
        if (engine === "safeclaw") break; // no reference: the peers cannot be checked
        continue;
      }
      if (r.status !== 0 || !existsSync(out)) {
        process.stderr.write(r.stderr ?? "");
        throw new Error(
          `${table}-${n} ${engine} failed (exit ${r.status}${r.signal ? `, ${r.signal}` : ""}): its output is above (a disagreement with safeclaw ends a run so)`,
        );
      }
      runs.push({ ...JSON.parse(readFileSync(out, "utf8")), rules: n });
    }
  }
}
writeFileSync(
  join(root, "build/bench-tables.json"),
  JSON.stringify({ date: new Date().toISOString(), node: process.version, budgetS: BUDGET_S, agreeS: AGREE_S, runs }, null, 1),
);
console.log(`\nbuild/bench-tables.json: ${runs.length} runs`);
