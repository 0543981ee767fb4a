// Runs a TypeScript entry of the harness (fuzz.ts) with Node: esbuild bundles it
// to one ESM file next to it (npm packages stay external), then Node runs it.
import { build } from "esbuild";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";

const [entry, ...args] = process.argv.slice(2);
if (!entry) {
  console.error("usage: node test/shell-diff/run-ts.mjs <entry.ts> [args...]");
  process.exit(2);
}
const out = mkdtempSync(join(resolve(entry, ".."), ".build-"));
const file = join(out, "entry.mjs");
try {
  await build({
    entryPoints: [entry],
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    packages: "external",
    outfile: file,
    logLevel: "error",
  });
  process.argv = [process.argv[0], file, ...args];
  const mod = await import(pathToFileURL(file).href);
  if (typeof mod.main === "function") process.exitCode = await mod.main(args);
} finally {
  rmSync(out, { recursive: true, force: true });
}
