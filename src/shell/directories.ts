import type { Base } from "./effects.js";

/**
 * The directories relative paths may be relative to, as a small set: `cd x;
 * cat a` reads `a` or `x/a` (cd may fail). More than four, or any unknown
 * one, is "unknown" (which covers every other).
 */
const MAX_BASES = 4;

export function baseKey(b: Base): string {
  return b.kind === "dir" ? `d${b.dir}` : b.kind;
}

export function union(a: readonly Base[], b: readonly Base[]): Base[] {
  if (a === b) return a as Base[];
  const out = [...a];
  for (const x of b) if (!out.some((y) => baseKey(y) === baseKey(x))) out.push(x);
  return limitBases(out);
}

export function limitBases(bs: Base[]): Base[] {
  // an unknown directory already covers every other one
  if (bs.length > MAX_BASES || (bs.length > 1 && bs.some((b) => b.kind === "unknown"))) return [{ kind: "unknown" }];
  return bs;
}

export function sameBases(a: readonly Base[], b: readonly Base[]): boolean {
  return a.length === b.length && a.every((x) => b.some((y) => baseKey(x) === baseKey(y)));
}
