import { expandBraces } from "./brace-expand.js";

/**
 * Free-form request data (`context.*`, `arguments.*`) is any JSON, so a
 * condition on it says by its own shape whether it means a file path: a glob
 * whose every `{a,b}` alternative starts with `/` or `**\/`, or an operand
 * (`eq`, `in`, `startsWith`, ...) that starts with `/`. Such a test is read as
 * a path test, against the value resolved as a path (engine/argument-paths.ts),
 * because the tool that receives `/srv/../etc/passwd` or `//etc/passwd` opens
 * `/etc/passwd`. Every other test compares the value as sent.
 */
export function isFreeFormField(field: string): boolean {
  return field.startsWith("context.") || field.startsWith("arguments.");
}

export type GlobShape = "path" | "text" | "mixed";

const PATH_START = /^(\/|\*\*\/)/;

/** How a glob on a free-form field is read; `mixed` when some alternatives are paths and some are not (refused: the reader could not tell). */
export function globShape(pattern: string): GlobShape {
  let alts: string[];
  try {
    alts = expandBraces(pattern);
  } catch {
    alts = [pattern]; // too many alternatives: the pattern is refused when compiled anyway
  }
  const paths = alts.filter((a) => PATH_START.test(a)).length;
  return paths === 0 ? "text" : paths === alts.length ? "path" : "mixed";
}

/** An operand written as an absolute path. */
export function isPathOperand(v: unknown): v is string {
  return typeof v === "string" && v.startsWith("/");
}
