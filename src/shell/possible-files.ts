import { template, type TemplatePart } from "../match/template.js";
import { type Field, suffixesAfter, templateText } from "./fields.js";

/**
 * The parts of a word that may name a file for a program the engine does
 * not model: the word, and what follows `=`, `:` or `@` in it (`if=.env`,
 * `HEAD:.env`, `@.env`), or an attached option value (`-f.env`). Glob
 * characters in them, even quoted, are holes of any text: such programs may
 * expand patterns themselves (`git log -- '*.env'`, `zip x '*.env'`), and
 * their `*` may cross directories.
 */
export function pathCandidates(f: Field): Field[] {
  return rawCandidates(f).map(ownGlobs);
}

function ownGlobs(f: Field): Field {
  if (!f.path.some((p) => typeof p === "string" && /[*?[]/.test(p))) return f;
  const parts: TemplatePart[] = [];
  for (const p of f.path) {
    if (typeof p !== "string") {
      parts.push(p);
      continue;
    }
    for (const piece of p.split(/([*?]+|\[[^\]]*\]?)/)) {
      if (piece === "") continue;
      parts.push(/^[*?[]/.test(piece) ? { hole: "any", source: piece } : piece);
    }
  }
  const t = template(parts);
  return { t, path: t, split: f.split, vanish: false, src: f.src };
}

function rawCandidates(f: Field): Field[] {
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
