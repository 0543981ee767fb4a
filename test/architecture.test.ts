import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, normalize, relative } from "node:path";
import { describe, expect, it } from "vitest";

/**
 * The layout is part of the design: each folder is one concern, and
 * dependencies point one way (lower layers never import higher ones). A
 * folder's layer is its rank below; importing a folder of the same or a
 * higher rank fails here, and so does any folder-level cycle.
 */
const ROOT = new URL("../", import.meta.url).pathname;
const SRC = join(ROOT, "src");

const LAYERS: Record<string, number> = {
  crypto: 0, // hashing and canonical JSON
  net: 0, // host names and IP addresses
  match: 1, // pattern compilers (globs, hosts, paths, regexes)
  policy: 2, // text -> validated IR
  shell: 2, // shell command lines -> what they run
  request: 3, // requests -> normalized subjects
  engine: 4, // compile, index, evaluate, bundles
  audit: 5, // records, chain, sinks, verify
  approval: 5.5, // approvals, grants and the state store they share with rate limits
  http: 6, // the Hono app
  runtime: 7, // configuration shared by every runtime
  "runtime/workers": 8,
  "runtime/node": 8,
  "runtime/lambda": 9, // Lambda is a Node runtime
  sdk: 10, // agent gates (the file-backed one reads files through runtime/node)
  cli: 11,
  "(entry)": 12, // src/index.ts, src/node.ts, src/lambda.ts, src/workers.ts
};

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? sourceFiles(p) : p.endsWith(".ts") ? [p] : [];
  });
}

function folderOf(file: string): string {
  const parts = relative(SRC, file).split("/");
  if (parts.length === 1) return "(entry)";
  if (parts[0] === "runtime" && parts.length > 2) return `runtime/${parts[1]}`;
  return parts[0]!;
}

const IMPORT = /(?:^|\n)\s*(?:import|export)\b[^"'`;]*?from\s*["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/g;

function importsOf(file: string): string[] {
  const text = readFileSync(file, "utf8");
  return [...text.matchAll(IMPORT)].map((m) => (m[1] ?? m[2])!);
}

/** folder -> folders it imports, with one example file each */
function folderGraph(): Map<string, Map<string, string>> {
  const g = new Map<string, Map<string, string>>();
  for (const f of sourceFiles(SRC)) {
    const from = folderOf(f);
    for (const spec of importsOf(f)) {
      if (!spec.startsWith(".")) continue;
      const to = folderOf(normalize(join(dirname(f), spec)));
      if (to === from) continue;
      if (!g.has(from)) g.set(from, new Map());
      if (!g.get(from)!.has(to)) g.get(from)!.set(to, relative(ROOT, f));
    }
  }
  return g;
}

function cycles(g: Map<string, Map<string, string>>): string[][] {
  const out: string[][] = [];
  const state = new Map<string, "open" | "done">();
  const stack: string[] = [];
  const visit = (n: string) => {
    state.set(n, "open");
    stack.push(n);
    for (const m of g.get(n)?.keys() ?? []) {
      if (state.get(m) === "open") out.push([...stack.slice(stack.indexOf(m)), m]);
      else if (!state.has(m)) visit(m);
    }
    stack.pop();
    state.set(n, "done");
  };
  for (const n of g.keys()) if (!state.has(n)) visit(n);
  return out;
}

describe("architecture", () => {
  const graph = folderGraph();

  it("has no folder-level import cycle in src/", () => {
    expect(cycles(graph)).toEqual([]);
  });

  it("the cycle check finds a cycle when there is one", () => {
    const g = new Map([
      ["a", new Map([["b", "x"]])],
      ["b", new Map([["a", "y"]])],
    ]);
    expect(cycles(g)).toEqual([["a", "b", "a"]]);
  });

  it("every folder of src/ has a layer, and imports only lower layers", () => {
    const folders = new Set(sourceFiles(SRC).map(folderOf));
    expect([...folders].filter((f) => LAYERS[f] === undefined)).toEqual([]);
    const upward: string[] = [];
    for (const [from, tos] of graph) {
      for (const [to, example] of tos) if (LAYERS[to]! >= LAYERS[from]!) upward.push(`${from} -> ${to} (${example})`);
    }
    expect(upward).toEqual([]);
  });

  it("adapters import only the package's public entries (and the build's policy bundle), so they can be copied", () => {
    const exports = Object.keys(JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).exports as Record<string, unknown>).map((k) =>
      k.replace(/^\./, "safeclaw-edge"),
    );
    const bad: string[] = [];
    for (const f of sourceFiles(join(ROOT, "adapters"))) {
      for (const spec of importsOf(f)) {
        const ok = exports.includes(spec) || spec.endsWith("/build/policy-bundle.js");
        if (!ok) bad.push(`${relative(ROOT, f)}: ${spec}`);
      }
    }
    expect(bad).toEqual([]);
  });
});
