#!/usr/bin/env bash
# Before and after on one machine in one run: the safeclaw engine of an older commit (default
# 3d20d63, the last before issue 14) and of this checkout, on the same generated tables and
# requests (test/bench/tables.ts), interleaved table by table, each in a fresh process.
# Results: build/before-after/{old,new}/<table>-<rules>.json; a summary table on stdout.
# Usage: bash test/bench/before-after.sh [old-rev]   (needs node_modules; ~10 min on 2 cores)
set -euo pipefail
cd "$(dirname "$0")/../.."
OLD=${1:-3d20d63}
WT=/tmp/safeclaw-before-$OLD
if [ ! -f "$WT/dist/index.js" ]; then
  git worktree add -f "$WT" "$OLD" >/dev/null
  ln -sfn "$PWD/node_modules" "$WT/node_modules"
  (cd "$WT" && npm run build --silent)
fi
npm run build --silent
mkdir -p build/bench-lib build/before-after/old build/before-after/new
npx esbuild test/bench/policy-gen.ts --format=esm --outfile=build/bench-lib/policy-gen.js --log-level=warning
npx esbuild test/bench/tables.ts --format=esm --outfile=build/bench-lib/tables.js --log-level=warning
# the same runner, importing the old build
sed "s#\"../../dist/index.js\"#\"$WT/dist/index.js\"#" test/bench/table-run.mjs > test/bench/.table-run-old.mjs
trap 'rm -f test/bench/.table-run-old.mjs' EXIT
for t in "keyed 10" "keyed 1000" "unkeyed 1000" "unkeyed 10000" "shared-key 1000" "worst 100"; do
  set -- $t
  for side in new old; do
    script=test/bench/table-run.mjs
    [ "$side" = old ] && script=test/bench/.table-run-old.mjs
    BENCH_BUDGET_S=${BENCH_BUDGET_S:-10} BENCH_AGREE_S=${BENCH_AGREE_S:-5} node --expose-gc "$script" "$1" "$2" safeclaw "build/before-after/$side/$1-$2.json" > "build/before-after/$side/$1-$2.log" 2>&1
  done
done
node -e '
const fs = require("fs");
const f = (x) => (x >= 1000 ? (x / 1000).toFixed(2) + " ms" : x.toFixed(2) + " µs");
console.log("| table | rules | p50 before | p50 after | p99 before | p99 after | max before | max after | allowed (before = after) |");
console.log("|---|---:|---:|---:|---:|---:|---:|---:|---|");
for (const t of ["keyed-10", "keyed-1000", "unkeyed-1000", "unkeyed-10000", "shared-key-1000", "worst-100"]) {
  const [o, n] = ["old", "new"].map((s) => JSON.parse(fs.readFileSync(`build/before-after/${s}/${t}.json`, "utf8")));
  console.log(`| ${o.table} | ${o.tableRules} | ${f(o.perCall.p50)} | ${f(n.perCall.p50)} | ${f(o.perCall.p99)} | ${f(n.perCall.p99)} | ${f(o.perCall.max)} | ${f(n.perCall.max)} | ${o.allowed} = ${n.allowed} ${o.allowed === n.allowed ? "" : "(DIFFER)"} |`);
}'
