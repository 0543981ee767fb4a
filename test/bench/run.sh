#!/usr/bin/env bash
# npm run bench: every figure of BENCHMARKS.md's generated block comes from here. It
# writes JSON under build/ only (the git tree stays as it was); `npm run bench:report`
# then renders build/*.json into BENCHMARKS.md. Default run: about 15 minutes on the
# shared 2-core machine; knobs in the header of each script (tables.mjs, cold-start.mjs).
set -euo pipefail
cd "$(dirname "$0")/../.."
npm run build --silent
npm run build:bundle --silent
mkdir -p build/bench-lib
# the generators, for the plain-node scripts (vitest benches import the .ts)
npx esbuild test/bench/policy-gen.ts --format=esm --outfile=build/bench-lib/policy-gen.js --log-level=warning
npx esbuild test/bench/tables.ts --format=esm --outfile=build/bench-lib/tables.js --log-level=warning
npx vitest bench --run test/bench/engine.bench.ts test/bench/audit.bench.ts --outputJson build/bench-engine.json
node test/bench/tables.mjs
node test/bench/cold-start.mjs
node test/bench/http-load.mjs
node test/bench/edge.mjs
node --expose-gc test/bench/memory.mjs
echo "results in build/; npm run bench:report writes them into BENCHMARKS.md"
