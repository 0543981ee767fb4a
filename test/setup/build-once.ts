import { spawnSync } from "node:child_process";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

/**
 * Global setup of the `e2e` project: compiles dist/ (what bin/safeclaw.js,
 * the examples and the package exports run) and writes build/policy-bundle.json
 * from the example policy (what the Lambda, Fly and Worker builds import), once
 * per run, so no end-to-end test runs against a stale build.
 */
const ROOT = fileURLToPath(new URL("../../", import.meta.url));

function run(what: string, args: string[]): void {
  const r = spawnSync(process.execPath, args, { cwd: ROOT, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`${what} failed (exit ${r.status}):\n${r.stdout}${r.stderr}`);
}

export default function setup(): void {
  const started = Date.now();
  run("tsc -p tsconfig.build.json", [createRequire(import.meta.url).resolve("typescript/bin/tsc"), "-p", "tsconfig.build.json"]);
  run("safeclaw build", ["bin/safeclaw.js", "build", "--policy", "examples/safeclaw.config.yaml", "--out", "build"]);
  console.log(`e2e setup: built dist/ and build/policy-bundle.json in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}
