import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";

/**
 * Which test files are end-to-end: those that run processes (the CLI and
 * server as real processes, moto_server, workerd through Miniflare, shells,
 * esbuild, cfn-lint), found by what they import: node:child_process,
 * miniflare, esbuild or wrangler, directly or through a test helper
 * (test/moto.ts); and those that read the build (a path starting with dist/
 * or build/), which only the e2e project's global setup makes fresh.
 * Everything else is a unit test, and test/setup/no-processes.ts makes a unit
 * test that starts a process fail with a message saying where it belongs, so
 * a misfiled test cannot slow the unit run down unnoticed.
 */
const RUNS_PROCESSES = /["'](node:)?child_process["']|["'](miniflare|esbuild|wrangler)["']/;
const READS_BUILD = /["'`](\.{1,2}\/)*(dist|build)\/[^"'`]*["'`]/;
const RELATIVE_IMPORT = /(?:from|import)\s*\(?\s*["'](\.{1,2}\/[^"']+)\.[mc]?js["']/g;

export function e2eTestFiles(root: string): string[] {
  const testDir = join(root, "test");
  const files = walk(testDir).filter((f) => /\.[mc]?ts$/.test(f) && !f.includes("/bench/"));
  const source = new Map(files.map((f) => [f, readFileSync(f, "utf8")]));
  const spawns = (f: string, seen = new Set<string>()): boolean => {
    if (seen.has(f)) return false;
    seen.add(f);
    const text = source.get(f);
    if (text === undefined) return false;
    if (RUNS_PROCESSES.test(text) || READS_BUILD.test(text)) return true;
    for (const m of text.matchAll(RELATIVE_IMPORT)) {
      const target = resolve(dirname(f), m[1]!);
      const helper = [".ts", ".mts", ".cts"].map((ext) => target + ext).find((p) => source.has(p));
      if (helper && spawns(helper, seen)) return true;
    }
    return false;
  };
  return files
    .filter((f) => /\.test\.[mc]?ts$/.test(f) && spawns(f))
    .map((f) => relative(root, f))
    .sort();
}

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return e.name === "fixtures" || e.name === "node_modules" ? [] : walk(p);
    return [p];
  });
}
