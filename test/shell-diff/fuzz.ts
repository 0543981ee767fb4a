import fc from "fast-check";
import { execFileSync } from "node:child_process";
import { cpus } from "node:os";
import { readKnown, readRegressions, writeRegression } from "./corpus.js";
import { lineArb, mutationArb } from "./generators.js";
import { Harness } from "./harness.js";
import { GATING, signature, type Divergence } from "./property.js";
import { features } from "./features.js";
import { allSeeds } from "./seeds.js";
import { shrink } from "./shrink.js";
import { SHELL_NAMES } from "./shims.js";

/**
 * `npm run fuzz:shell -- --minutes N [--workers K] [--seed S]`: runs the
 * seeds once, then generated and mutated lines until time is up, K lines at
 * a time (each in bash, dash and zsh at once). Each divergence class not
 * seen before (not in known-divergences.json, not in regressions/) is
 * shrunk and written to regressions/ as a case file.
 */
export async function main(args: string[]): Promise<number> {
  const opt = (name: string, dflt: number) => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 ? Number(args[i + 1]) : dflt;
  };
  const minutes = opt("minutes", 1);
  const workers = opt("workers", Math.max(1, cpus().length));
  const seed = opt("seed", Date.now() % 1_000_000);
  const deadline = Date.now() + minutes * 60_000;
  const h = new Harness(workers * SHELL_NAMES.length);
  await h.init();
  const versions = shellVersions();
  console.log(`shell-diff fuzz: ${minutes} min, ${workers} workers, seed ${seed}; ${versions}`);

  const seeds = allSeeds();
  const known = new Set([...readKnown(), ...readRegressions()].map((c) => c.class));
  const refusedReasons = new Map<string, number>();
  const found = new Map<string, number>();
  const count = { generated: 0, oracleRejected: 0, engineRefused: 0, divergentLines: 0, divergences: 0, reported: 0, inconclusive: 0, written: 0 };
  const executed: Record<string, number> = Object.fromEntries(SHELL_NAMES.map((s) => [s, 0]));
  const full = lineArb("full", 3);
  const mutated = mutationArb(seeds.map((s) => s.line));
  const agreeing = lineArb("agreeing", 2);
  const buffer = seeds.map((s) => s.line).reverse();
  let batch = 0;
  const next = (): string => {
    if (buffer.length === 0) {
      const s = seed + batch++;
      buffer.push(
        ...fc.sample(full, { seed: s, numRuns: 25 }),
        ...fc.sample(mutated, { seed: s, numRuns: 15 }),
        ...fc.sample(agreeing, { seed: s, numRuns: 10 }),
      );
    }
    return buffer.pop()!;
  };
  const shrinking = new Set<string>();

  const worker = async () => {
    while (Date.now() < deadline) {
      const line = next();
      count.generated++;
      const r = await h.check(line);
      if (!r.oracle.bash.ok && !r.oracle.posix.ok) count.oracleRejected++;
      if (r.engine.refused) {
        const why = r.engine.reason.replace(/`[^`]*`/g, "`…`").slice(0, 80);
        refusedReasons.set(why, (refusedReasons.get(why) ?? 0) + 1);
        count.engineRefused++;
        continue;
      }
      for (const v of r.views) executed[v.shell]!++;
      count.inconclusive += r.verdict.inconclusive.length ? 1 : 0;
      const gating = r.verdict.divergences.filter((d) => GATING.has(d.kind));
      count.reported += r.verdict.divergences.length - gating.length;
      if (gating.length) count.divergentLines++;
      count.divergences += gating.length;
      for (const d of gating) {
        const rough = `${signature(d)}:${features(line).join(",")}`;
        if (known.has(rough) || shrinking.has(rough) || d.shell === "engine") continue;
        shrinking.add(rough);
        const small = await shrink(h, line, d.shell, d);
        const cls = `${signature(small.divergence)}:${features(small.line).join(",")}`;
        found.set(cls, (found.get(cls) ?? 0) + 1);
        if (known.has(cls)) continue;
        const again = await h.check(small.line);
        const file = writeRegression({
          class: cls,
          line: small.line,
          shell: d.shell,
          kind: d.kind,
          shellRan: small.divergence.shellDid,
          engineChecked: again.engine.refused
            ? []
            : [
                ...again.engine.commands,
                ...again.engine.reads.map((p) => `read ${p}`),
                ...again.engine.writes.map((p) => `write ${p}`),
                ...again.engine.deletes.map((p) => `delete ${p}`),
              ],
          diverges: true,
          found: `fuzz seed ${seed}, from ${JSON.stringify(line).slice(0, 300)}`,
        });
        known.add(cls);
        count.written++;
        console.log(`new ${cls} [${d.shell}]: ${JSON.stringify(small.line)} → ${file}`);
      }
    }
  };
  const progress = setInterval(() => console.log(summary(count, executed, found)), 30_000);
  try {
    await Promise.all(Array.from({ length: workers }, worker));
  } finally {
    clearInterval(progress);
    h.dispose();
  }
  console.log(summary(count, executed, found));
  console.log(
    "engine refusals (top):\n" +
      [...refusedReasons]
        .sort((a, b) => b[1] - a[1])
        .slice(0, 12)
        .map(([k, n]) => `  ${n} ${k}`)
        .join("\n"),
  );
  console.log(
    "divergence classes (count):\n" +
      [...found]
        .sort((a, b) => b[1] - a[1])
        .map(([k, n]) => `  ${k} ${n}`)
        .join("\n"),
  );
  return 0;
}

function summary(count: Record<string, number>, executed: Record<string, number>, found: Map<string, number>): string {
  return `lines ${count.generated} | oracle-rejected ${count.oracleRejected} | engine-refused ${count.engineRefused} | executed ${Object.entries(executed)
    .map(([k, v]) => `${k} ${v}`)
    .join(
      ", ",
    )} | divergent lines ${count.divergentLines}, divergences ${count.divergences} in ${found.size} classes, reported-only ${count.reported}, inconclusive ${count.inconclusive} | new case files ${count.written}`;
}

export function shellVersions(): string {
  const v = (cmd: string, args: string[]) => {
    try {
      return execFileSync(cmd, args, { encoding: "utf8" }).split("\n")[0]!.trim();
    } catch {
      return "?";
    }
  };
  const dash = v("dpkg-query", ["-W", "-f=${Version}", "dash"]);
  return `bash: ${v("bash", ["--version"])}; dash: ${dash}; zsh: ${v("zsh", ["--version"])}`;
}

export type { Divergence };
