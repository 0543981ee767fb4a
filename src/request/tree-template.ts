import { expandBraces } from "../match/brace-expand.js";
import { template, type Template } from "../match/template.js";

/**
 * The files a recursive request reaches below a directory, as path templates
 * (see match/template.ts): `dir/` followed by a `below` hole (the names a walk
 * finds), which a deny on anything below may-match and an allow of the whole
 * tree (`dir/**`) must-match,
 * the same tree `grep -r`/`rg` give on the shell side (path-template.ts
 * `underPath`).
 *
 * A name glob (`names`, Grep's `glob`) narrows the tree to `dir/`, any text,
 * then the glob's literal ending: `*.ts` → `dir/**.ts`, `.env` → `dir/**.env`.
 * That is a superset of the files the glob selects whichever way a tool reads
 * it, so nothing a search could read is left out:
 * - ripgrep matches a glob without `/` against each file's name, at any depth,
 *   and only files (a matching directory does not let in what is below it);
 * - the glob is split at blanks and at commas outside braces, and braces are
 *   expanded, since a tool may pass `*.ts *.tsx` or `*.ts,*.tsx` as several globs;
 *   a shorter ending is a larger set, so splitting only ever widens;
 * - any piece the narrowing cannot read safely gives the whole tree: a `/`
 *   (anchored globs), a leading `!` (an exclusion lets everything else in), a
 *   `\` escape, a brace left over, or too many alternatives.
 * Ripgrep's globs are case-sensitive (unless asked otherwise); under
 * `paths.caseInsensitive` the engine folds these templates like any path.
 */
export function treeTemplates(dir: string, names?: string): Template[] {
  const under = dir.endsWith("/") ? dir : `${dir}/`;
  const whole = [template([under, { hole: "below", source: "**" }])];
  if (names === undefined) return whole;
  const endings = nameEndings(names);
  if (endings === undefined) return whole;
  return [...endings].map(([ending, shown]) => template([under, { hole: "below", source: `**/${shown}` }, ending]));
}

const META = /[*?[\]]/g;

/** The literal endings of a name glob's alternatives (with the part before each, for reasons), or undefined for "any name". */
function nameEndings(names: string): Map<string, string> | undefined {
  const out = new Map<string, string>();
  for (const piece of splitPieces(names)) {
    let alternatives: string[];
    try {
      alternatives = expandBraces(piece);
    } catch {
      return undefined; // too many alternatives to list: the whole tree
    }
    for (let alt of alternatives) {
      while (alt.startsWith("**/")) alt = alt.slice(3); // `**/x` is `x` at any depth
      if (/[/\\{}]/.test(alt) || alt.startsWith("!")) return undefined;
      let cut = 0;
      for (const m of alt.matchAll(META)) cut = m.index + 1;
      const ending = alt.slice(cut);
      if (ending === "") return undefined; // `*`, `x*`: any name
      if (!out.has(ending)) out.set(ending, alt.slice(0, cut));
    }
  }
  return out.size > 0 ? out : undefined;
}

/** Splits at blanks, and at commas outside braces. */
function splitPieces(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = "";
  for (const c of s) {
    if (c === "{") depth++;
    else if (c === "}" && depth > 0) depth--;
    if (/\s/.test(c) || (c === "," && depth === 0)) {
      if (cur !== "") out.push(cur);
      cur = "";
      continue;
    }
    cur += c;
  }
  if (cur !== "") out.push(cur);
  return out;
}
