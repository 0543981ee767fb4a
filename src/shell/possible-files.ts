import { type Field, suffixesAfter, templateText } from "./fields.js";

/**
 * The parts of a word that may name a file for a program the engine does
 * not model: the word, and what follows `=`, `:` or `@` in it (`if=.env`,
 * `HEAD:.env`, `@.env`), or an attached option value (`-f.env`).
 */
export function pathCandidates(f: Field): Field[] {
  const out: Field[] = [];
  const text = templateText(f.path);
  if (!text.startsWith("-")) out.push(f);
  for (const sep of ["=", ":", "@"]) out.push(...suffixesAfter(f, sep));
  if (/^-[A-Za-z0-9]./.test(text) && typeof f.path[0] === "string") {
    const rest = f.path[0].slice(2);
    const t = [rest, ...f.path.slice(1)].filter((p) => p !== "");
    if (t.length > 0) out.push({ t, path: t, split: f.split, vanish: false, src: f.src });
  }
  return out;
}
