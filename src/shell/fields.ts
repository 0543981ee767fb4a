import { template, type Hole, type Template, type TemplatePart } from "../match/template.js";

/**
 * A word after expansion, as the engine knows it before the command runs:
 * literal text with holes where the shell substitutes something at run time.
 * It has two readings because a glob means different things in each: as
 * text (a command's words, joined) a glob is a hole of any text, since it may
 * become several words; as a path each glob character is a hole inside one
 * path segment.
 */
export interface Field {
  /** the word as text */
  t: Template;
  /** the word as a file path */
  path: Template;
  /** an unquoted expansion or a glob: the shell may make several words of it */
  split: boolean;
  /**
   * split only by globbing (no unquoted expansion): every word it becomes
   * matches the glob, so starts with the field's literal head (`src/*.ts` never
   * becomes an option or `--`)
   */
  globOnly?: true;
  /** it may become no word at all (`$X` unquoted and empty) */
  vanish: boolean;
  /** `<(...)`: a pipe to a command, not a file */
  procsub?: boolean;
  /** the current directory, not written on the line (`ls` lists `.`) */
  implicit?: boolean;
  /** as written, for reasons */
  src: string;
  /** the exact text, when the field has no hole (a cache: most words are plain) */
  text?: string;
}

export function literalField(text: string): Field {
  const t = text === "" ? [] : [text];
  return { t, path: t, split: false, vanish: false, src: text, text };
}

export function anyHole(source: string): Hole {
  return { hole: "any", source };
}

/** `.` that a program uses when no file is named (`ls`, `grep -r`, `find`). */
export function cwdField(): Field {
  return { ...literalField("."), implicit: true };
}

/** A word nothing is known about (a file name read from stdin, a run-time argument). */
export function unknownField(what: string): Field {
  const source = `{${what}}`;
  const t = [anyHole(source)];
  return { t, path: t, split: true, vanish: true, src: source };
}

/** The literal text the word starts with ("" when it starts with a hole). */
export function fieldHead(f: Field): string {
  const first = f.t[0];
  return typeof first === "string" ? first : "";
}

export function isConcreteField(f: Field): boolean {
  if (f.text !== undefined) return true;
  return f.t.every((p) => typeof p === "string") && f.path.every((p) => typeof p === "string");
}

/** The exact text of a concrete field. */
export function fieldText(f: Field): string {
  if (f.text !== undefined) return f.text;
  let s = "";
  for (const p of f.t) s += typeof p === "string" ? p : p.source;
  return s;
}

export function isEmptyField(f: Field): boolean {
  return f.t.length === 0;
}

/** The field without the first `n` characters of its leading literal (`-ofile` → `file`). */
export function sliceField(f: Field, n: number): Field {
  const cut = (t: Template): Template => {
    const first = t[0];
    if (typeof first !== "string") return t;
    return template([first.slice(n), ...t.slice(1)]);
  };
  const out: Field = { t: cut(f.t), path: cut(f.path), split: f.split, vanish: false, src: f.src.slice(Math.min(n, f.src.length)) };
  if (f.text !== undefined) out.text = f.text.slice(n);
  return out;
}

/**
 * The pieces of a field after each literal occurrence of `sep` (for
 * `if=.env`, `HEAD:.env`, `@.env`): every suffix that starts right after
 * a separator.
 */
export function suffixesAfter(f: Field, sep: string): Field[] {
  const out: Field[] = [];
  f.path.forEach((p, k) => {
    if (typeof p !== "string") return;
    let at = p.indexOf(sep);
    while (at >= 0) {
      const rest = template([p.slice(at + sep.length), ...f.path.slice(k + 1)]);
      if (rest.length > 0) out.push({ t: rest, path: rest, split: f.split, vanish: false, src: f.src });
      at = p.indexOf(sep, at + 1);
    }
  });
  return out;
}

/**
 * A command's words joined by one space, as rules see it. A word that may
 * vanish takes the space next to it into its hole, so that `cat $X` stands
 * for `cat` as well as `cat a b`, and `$X rm -rf /` for `rm -rf /`.
 */
export function joinFields(fields: readonly Field[]): Template {
  if (fields.every((f) => f.text !== undefined)) {
    const text = fields.map((f) => f.text).join(" ");
    return text === "" ? [] : [text];
  }
  const parts: TemplatePart[] = [];
  let allVanished = true; // every word so far may vanish: no space is certain yet
  fields.forEach((f, j) => {
    if (j > 0 && !f.vanish && !allVanished) parts.push(" ");
    const first = f.t[0];
    if (j > 0 && f.vanish && first !== undefined && typeof first !== "string") {
      // the hole takes the space before it: show it in its source
      parts.push({ ...first, source: " " + first.source }, ...f.t.slice(1));
    } else parts.push(...f.t);
    allVanished &&= f.vanish;
  });
  return template(parts);
}

export function templateText(t: Template): string {
  return t.map((p) => (typeof p === "string" ? p : p.source)).join("");
}
