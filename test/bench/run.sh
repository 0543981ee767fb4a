#!/usr/bin/env bash
# npm run bench: every figure in BENCHMARKS.md comes from here (JSON in build/bench-*.json).
set -euo pipefail
cd "$(dirname "$0")/../.."
npm run build --silent
npm run build:bundle --silent
npx esbuild test/bench/policy-gen.ts --format=esm --outfile=test/bench/policy-gen.mjs --log-level=warning
npx vitest bench --run test/bench/engine.bench.ts test/bench/audit.bench.ts --outputJson build/bench-engine.json
# One process per size: Cedar's wasm build does not survive several preparsed policy sets in one vitest worker.
for n in 10 100 1000 10000; do
  BENCH_SIZES=$n npx vitest bench --run test/bench/peers.bench.ts --outputJson "build/bench-peers-$n.json"
done
node test/bench/http-load.mjs
node test/bench/edge.mjs
node --expose-gc test/bench/memory.mjs
node test/bench/report.mjs
