import { readdirSync, readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { HARNESS_DIR } from "./paths.js";
import type { DivergenceKind } from "./property.js";

/**
 * Counterexamples on disk. `regressions/*.json`: one per case the fuzzer
 * found (or a person added); `known-divergences.json`: one minimal example
 * per class that today's parser gets wrong. `diverges: true` says the case is
 * a divergence today; the parser rewrite flips it to false when it fixes it,
 * and the bounded test then holds the case to the property.
 */
export interface CaseFile {
  id: string;
  class: string;
  line: string;
  shell: string;
  kind: DivergenceKind;
  /** what the shell ran (or opened) */
  shellRan: string;
  /** the subjects the engine checked when it was found */
  engineChecked: string[];
  diverges: boolean;
  /** seed lines that show the same class (kept out of the property block while it diverges) */
  seeds?: string[];
  found?: string;
}

export const REGRESSIONS_DIR = (): string => join(HARNESS_DIR(), "regressions");
export const KNOWN_FILE = (): string => join(HARNESS_DIR(), "known-divergences.json");

export function readRegressions(): CaseFile[] {
  let names: string[] = [];
  try {
    names = readdirSync(REGRESSIONS_DIR())
      .filter((n) => n.endsWith(".json"))
      .sort();
  } catch {
    return [];
  }
  return names.map((n) => JSON.parse(readFileSync(join(REGRESSIONS_DIR(), n), "utf8")) as CaseFile);
}

export function readKnown(): CaseFile[] {
  try {
    return JSON.parse(readFileSync(KNOWN_FILE(), "utf8")) as CaseFile[];
  } catch {
    return [];
  }
}

export function writeRegression(c: Omit<CaseFile, "id">): string {
  mkdirSync(REGRESSIONS_DIR(), { recursive: true });
  const id = `${c.class.replace(/[^A-Za-z0-9]+/g, "-").replace(/^-|-$/g, "")}-${createHash("sha256").update(c.line).digest("hex").slice(0, 8)}`;
  const file = join(REGRESSIONS_DIR(), `${id}.json`);
  writeFileSync(file, JSON.stringify({ id, ...c }, null, 2) + "\n");
  return file;
}
