import { writeFileSync } from "node:fs";
import { createHash } from "node:crypto";
import { boundedLines, gating, knownCases } from "./bounded.js";
import { KNOWN_FILE, type CaseFile } from "./corpus.js";
import { features } from "./features.js";
import { Harness } from "./harness.js";
import { signature } from "./property.js";
import { shrink } from "./shrink.js";
import type { ShellName } from "./shims.js";

/**
 * `node test/shell-diff/run-ts.mjs test/shell-diff/update-known.ts`: runs the
 * bounded corpus against today's parser and rewrites known-divergences.json:
 * every line that diverges is attached (as `seeds`) to a known class with
 * the same shell and kind:command, or shrunk into a new class. Run it after
 * a parser change, then review the diff: a class that no longer diverges
 * has no seeds left and should get `diverges: false`.
 */
export async function main(): Promise<number> {
  const h = new Harness(6);
  await h.init();
  const entries = knownCases()
    .filter((c) => c.diverges)
    .map((c) => ({ ...c, seeds: [] as string[] }));
  const lines = boundedLines(false);
  let diverging = 0;
  try {
    const results = await Promise.all(lines.map((l) => h.check(l)));
    for (const r of results) {
      const g = gating(r).filter((d) => d.shell !== "engine");
      if (!g.length) continue;
      diverging++;
      let e = entries.find((x) => g.some((d) => d.shell === x.shell && signature(d) === x.class.split(":").slice(0, 2).join(":")));
      if (!e) {
        const d = g[0]!;
        const small = await shrink(h, r.line, d.shell as ShellName, d);
        const cls = `${signature(small.divergence)}:${features(small.line).join(",")}`;
        const again = await h.check(small.line);
        e = {
          id: `${cls.replace(/[^A-Za-z0-9]+/g, "-").replace(/^-|-$/g, "")}-${createHash("sha256").update(small.line).digest("hex").slice(0, 8)}`,
          class: cls,
          line: small.line,
          shell: d.shell,
          kind: small.divergence.kind,
          shellRan: small.divergence.shellDid,
          engineChecked: again.engine.refused
            ? []
            : [...again.engine.commands, ...again.engine.reads.map((p) => `read ${p}`), ...again.engine.writes.map((p) => `write ${p}`)],
          diverges: true,
          seeds: [],
          found: `update-known from ${JSON.stringify(r.line).slice(0, 200)}`,
        } satisfies CaseFile;
        entries.push(e);
      }
      if (r.line !== e.line) e.seeds.push(r.line);
    }
  } finally {
    h.dispose();
  }
  writeFileSync(KNOWN_FILE(), JSON.stringify(entries, null, 2) + "\n");
  console.log(`${lines.length} lines, ${diverging} diverge today, ${entries.length} known classes → ${KNOWN_FILE()}`);
  return 0;
}
