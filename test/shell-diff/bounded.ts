import fc from "fast-check";
import { readKnown, readRegressions, type CaseFile } from "./corpus.js";
import { lineArb } from "./generators.js";
import { GATING, type Divergence } from "./property.js";
import type { CaseResult } from "./harness.js";
import { allSeeds } from "./seeds.js";

/**
 * What the bounded run in `npm test` checks: the seed corpus (all but the
 * Oils inputs, of which the first OILS_SEEDS), GENERATED lines from a fixed
 * seed, and every regression case. PARSER_FIXED (in shell-diff.test.ts)
 * switches the generator from the subset the current parser agrees on to the
 * whole grammar.
 */
export const GENERATED = 80;
export const OILS_SEEDS = 30;
export const SEED = 424242;

export function boundedLines(parserFixed: boolean): string[] {
  const seeds = allSeeds();
  const oils = seeds.filter((s) => s.source.startsWith("oils")).slice(0, OILS_SEEDS);
  const corpus = [...seeds.filter((s) => !s.source.startsWith("oils")), ...oils].map((s) => s.line);
  const generated = fc.sample(lineArb(parserFixed ? "full" : "agreeing", 2), { seed: SEED, numRuns: GENERATED });
  return [...new Set([...corpus, ...generated])];
}

/** known-divergences.json and regressions/, one entry per id (the curated list wins). */
export function knownCases(): CaseFile[] {
  const byId = new Map<string, CaseFile>();
  for (const c of [...readRegressions(), ...readKnown()]) byId.set(c.id, c);
  return [...byId.values()];
}

export const gating = (r: CaseResult): Divergence[] => r.verdict.divergences.filter((d) => GATING.has(d.kind));
