import { join } from "node:path";
import { build } from "esbuild";

/**
 * A test Worker from a fixture entry, bundled as wrangler bundles for
 * workerd (ESM, the worker conditions, no Node built-ins), for Miniflare's
 * `script`. `define` injects build-time constants (a policy bundle).
 */
const ROOT = new URL("../", import.meta.url).pathname;

export async function workerScript(entry: string, define: Record<string, string> = {}): Promise<string> {
  const out = await build({
    entryPoints: [join(ROOT, entry)],
    bundle: true,
    format: "esm",
    platform: "neutral",
    mainFields: ["module", "main"],
    conditions: ["workerd", "worker", "browser"],
    define,
    write: false,
    logLevel: "silent",
  });
  return out.outputFiles[0]!.text;
}
