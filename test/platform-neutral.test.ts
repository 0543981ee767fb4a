import { builtinModules } from "node:module";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { runInNewContext } from "node:vm";
import { build } from "esbuild";
import { describe, expect, it } from "vitest";

const ROOT = new URL("../", import.meta.url).pathname;
// Node-only parts live in these folders and are imported only by the CLI, the Node entries and the adapters.
const NODE_ONLY = /^src\/(runtime\/node|cli)\//;

function coreFiles(dir = join(ROOT, "src")): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    if (statSync(p).isDirectory()) return coreFiles(p);
    const rel = p.slice(ROOT.length);
    return p.endsWith(".ts") && !NODE_ONLY.test(rel) ? [rel] : [];
  });
}

describe("the engine is platform-neutral", () => {
  it("bundles for --platform=neutral with no Node built-in reachable", async () => {
    const builtins = new Set([...builtinModules, ...builtinModules.map((m) => `node:${m}`)]);
    const reached: string[] = [];
    const result = await build({
      entryPoints: [join(ROOT, "src/index.ts")],
      bundle: true,
      platform: "neutral",
      mainFields: ["module", "main"],
      format: "iife",
      globalName: "SafeClaw",
      write: false,
      logLevel: "silent",
      plugins: [
        {
          name: "no-node-builtins",
          setup(b) {
            b.onResolve({ filter: /.*/ }, (args) => {
              if (builtins.has(args.path) || args.path.startsWith("node:")) {
                reached.push(`${args.path} (from ${args.importer.slice(ROOT.length)})`);
                return { path: args.path, external: true };
              }
              return undefined;
            });
          },
        },
      ],
    });
    expect(reached).toEqual([]);
    const code = result.outputFiles[0]!.text;

    // Run the bundle where only Web-standard globals exist: no process, require, Buffer or fs.
    const sandbox: Record<string, unknown> = {
      URL,
      TextEncoder,
      TextDecoder,
      crypto: globalThis.crypto,
      Intl,
      console,
      atob,
      btoa,
      setTimeout,
      clearTimeout,
      AbortController,
      AbortSignal,
      queueMicrotask,
    };
    runInNewContext(code, sandbox);
    const api = sandbox.SafeClaw as typeof import("../src/index.js");
    const r = await api.loadPolicy([{ name: "p.yaml", text: "rules:\n- {action: network.request, host: '*.internal', effect: allow}" }]);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const e = api.createEngine(r.policy);
    expect(e.check({ action: "network.request", url: "https://db.internal/x" }).decision).toBe("allow");
    expect(e.check({ action: "network.request", url: "http://0xa9fea9fe/" }).decision).toBe("deny");
    expect(e.check({ action: "shell.execute", command: "ls && rm -rf /" }).decision).toBe("deny");

    // The audit chain, signatures and verification run there too.
    const lines: string[] = [];
    const key = api.parseSigningKey(api.generateSigningKey().secret);
    const log = new api.AuditLog({ sink: api.createLineSink((l) => void lines.push(l)), chainId: "neutral", policy: r.policy.digest, signingKey: key });
    const d = await api.auditedCheck(e, log, { action: "network.request", url: "https://db.internal/?token=s3cr3t" }, { flush: true });
    expect(d.decision).toBe("allow");
    expect(lines.join()).not.toContain("s3cr3t");
    expect(
      api.verifyLines(
        lines.map((text, i) => ({ text, where: String(i) })),
        { publicKey: key.publicKey },
      ).ok,
    ).toBe(true);
  });

  it.each(coreFiles())("%s uses no node:, fs, process, eval or new Function", (file) => {
    const text = readFileSync(join(ROOT, file), "utf8").replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, "");
    // `node:` with its module name (`"node:fs"`), and the bare names of the usual built-ins
    expect(text).not.toMatch(/(from\s+|import\s*\(\s*)["'](node:[\w/]+|fs|fs\/promises|path|os|child_process|crypto|url|util)["']/);
    expect(text).not.toMatch(/(?<!["'.])\bprocess\.(env|argv|exit|cwd|platform|std\w+|on|nextTick|version|hrtime)\b/);
    expect(text).not.toMatch(/\beval\s*\(/);
    expect(text).not.toMatch(/new\s+Function\s*\(/);
    expect(text).not.toMatch(/\brequire\s*\(/);
  });
});
