import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** The checkout this harness is in (found upwards, so the harness also runs bundled by run-ts.mjs). */
export function repoRoot(): string {
  let d = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(d, "package.json")) || !existsSync(join(d, "test"))) {
    const up = dirname(d);
    if (up === d) throw new Error("shell-diff: cannot find the repository root");
    d = up;
  }
  return d;
}

export const HARNESS_DIR = (): string => join(repoRoot(), "test", "shell-diff");
