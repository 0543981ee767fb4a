import { expandBraces } from "./brace-expand.js";
import { foldCase } from "./fold.js";
import { tokenize, type Token } from "./glob-tokens.js";

/**
 * Path pattern text → segments (see path-glob.ts for the language): brace
 * expansion, anchoring of relative alternatives, the trailing-slash reading,
 * the refusals with their fixes, and the case-insensitive form of a pattern.
 */
export type Segment = { kind: "globstar" } | { kind: "seg"; tokens: Token[] };

/** The first extglob opener (`+(` and friends) outside escapes and classes. */
export function extglob(p: string): string | undefined {
  let inClass = false;
  let classStart = -1;
  for (let i = 0; i < p.length; i++) {
    const c = p[i]!;
    if (c === "\\") {
      i++;
      continue;
    }
    if (inClass) {
      if (c === "]" && i > classStart + 1 && !(i === classStart + 2 && "!^".includes(p[classStart + 1]!))) inClass = false;
      continue;
    }
    if (c === "[") {
      inClass = true;
      classStart = i;
    } else if ("?*+@!".includes(c) && p[i + 1] === "(") return c + "(";
  }
  return undefined;
}

export type Parsed = { ok: true; alts: Segment[][]; floating: boolean } | { ok: false; reason: string };

export function parse(pattern: string, cwd: string | undefined): Parsed {
  let raw: string[];
  try {
    raw = expandBraces(pattern);
  } catch (e) {
    return { ok: false, reason: (e as Error).message };
  }
  const alts: Segment[][] = [];
  let floating = false;
  for (let alt of raw) {
    if (alt.length === 0) return { ok: false, reason: `path pattern \`${pattern}\` has an empty alternative` };
    if (/\{-?\w+\.\.-?\w+\}/.test(alt)) {
      return { ok: false, reason: `brace ranges such as \`{1..3}\` are not supported in path patterns; list the alternatives: \`{1,2,3}\`` };
    }
    if (alt.length > 1 && alt.endsWith("/")) alt += "**";
    const pieces = splitSegments(alt);
    if (!Array.isArray(pieces)) return { ok: false, reason: pieces.error };
    let split = pieces;
    if (alt === "/") split = [];
    else if (alt.startsWith("/"))
      split.shift(); // the empty text before the leading `/`
    else if (split[0] !== "**" || alt.startsWith("./")) {
      if (split[0] === ".") split.shift();
      if (split.length === 0)
        return { ok: false, reason: `path pattern \`${pattern}\` names no file; write \`./**\` for everything under the working directory` };
      if (cwd === undefined) {
        floating = true;
        split = ["**", ...split];
      } else split = [...(splitSegments(escapeGlob(cwd)) as string[]).filter((x) => x !== ""), ...split];
    }
    const segments: Segment[] = [];
    for (const text of split) {
      if (text === "**") {
        if (segments[segments.length - 1]?.kind !== "globstar") segments.push({ kind: "globstar" });
        continue;
      }
      if (text === "")
        return { ok: false, reason: `path pattern \`${pattern}\` contains an empty segment (\`//\`), which never matches a normalized path; write one \`/\`` };
      const t = tokenize(text, { strict: true });
      if (!t.ok) return { ok: false, reason: `invalid path pattern \`${pattern}\`: ${t.reason}` };
      const lit = t.tokens.length === 1 && t.tokens[0]!.t === "lit" ? t.tokens[0]!.s : undefined;
      if (lit === "." || lit === "..") {
        return { ok: false, reason: `path pattern \`${pattern}\` contains \`.\` or \`..\` segments, which never match a normalized path` };
      }
      segments.push({ kind: "seg", tokens: t.tokens });
    }
    alts.push(segments);
  }
  return { ok: true, alts, floating };
}

/**
 * Splits on unescaped `/` (escapes stay in the pieces for the tokenizer; `\/`
 * separates too, since no segment holds a `/`). A `/` inside `[...]` is an error.
 */
function splitSegments(p: string): string[] | { error: string } {
  const out: string[] = [];
  let cur = "";
  let classStart = -1;
  for (let i = 0; i < p.length; i++) {
    const c = p[i]!;
    if (c === "\\" && i + 1 < p.length) {
      if (p[i + 1] === "/" && classStart < 0) {
        out.push(cur);
        cur = "";
      } else cur += c + p[i + 1];
      i++;
      continue;
    }
    if (classStart >= 0) {
      if (c === "/") return { error: `\`/\` inside \`[...]\` in \`${p}\`: a class stands for one character within a path segment and never matches \`/\`` };
      const first = i === classStart + 1 || (i === classStart + 2 && "!^".includes(p[classStart + 1]!));
      if (c === "]" && !first) classStart = -1;
      cur += c;
      continue;
    }
    if (c === "[" && p.indexOf("]", i + 2) > 0) classStart = i;
    if (c === "/") {
      out.push(cur);
      cur = "";
    } else cur += c;
  }
  out.push(cur);
  return out;
}

export function escapeGlob(s: string): string {
  return s.replace(/[*?[\]{}\\]/g, "\\$&");
}

/**
 * Case-insensitive patterns: the folded text gives the literals; each class is
 * replaced by the fold of its members (so `[A-Z]` also matches folded `a`..`z`
 * and `[!a]` excludes `A`). Refused when folding changes the pattern's shape
 * or a class holds a character that folds to several.
 */
export function foldClasses(orig: Segment[][], folded: Segment[][]): Segment[][] | string {
  const shape = (alts: Segment[][]) => alts.map((a) => a.map((s) => (s.kind === "globstar" ? "**" : s.tokens.map((t) => t.t).join(","))).join("/")).join("|");
  if (shape(orig) !== shape(folded))
    return "changes its wildcards or classes when case-folded (a letter next to them folds to several characters or composes with an accent); write it with the folded letters";
  const out: Segment[][] = [];
  for (let a = 0; a < orig.length; a++) {
    const segs: Segment[] = [];
    for (let s = 0; s < orig[a]!.length; s++) {
      const o = orig[a]![s]!;
      const f = folded[a]![s]!;
      if (o.kind === "globstar" || f.kind === "globstar") {
        segs.push(f);
        continue;
      }
      const tokens: Token[] = [];
      for (let k = 0; k < f.tokens.length; k++) {
        const ot = o.tokens[k]!;
        if (ot.t !== "cls") {
          tokens.push(f.tokens[k]!);
          continue;
        }
        const ranges: number[] = [];
        for (let r = 0; r < ot.ranges.length; r += 2) {
          const lo = ot.ranges[r]!;
          const hi = ot.ranges[r + 1]!;
          if (hi - lo > 0x3000) return `has the class \`${ot.source}\`, too wide to case-fold; split it into smaller ranges`;
          for (let c = lo; c <= hi; c++) {
            if (c >= 0xd800 && c <= 0xdfff) continue;
            const fc = [...foldCase(String.fromCodePoint(c))];
            if (fc.length !== 1)
              return `has the class \`${ot.source}\`, whose \`${String.fromCodePoint(c)}\` folds to several characters (\`${fc.join("")}\`); write that alternative with braces instead`;
            const v = fc[0]!.codePointAt(0)!;
            ranges.push(v, v);
          }
        }
        tokens.push({ t: "cls", negate: ot.negate, ranges, source: ot.source });
      }
      segs.push({ kind: "seg", tokens });
    }
    out.push(segs);
  }
  return out;
}

/** Classes that look like a literal name (`[slug]`, `[id]`, `[...slug]`, Next.js style), for a warning. */
export function nameLikeClasses(alts: Segment[][]): string[] {
  const out = new Set<string>();
  for (const a of alts) {
    for (const s of a) {
      if (s.kind !== "seg") continue;
      for (const t of s.tokens) if (t.t === "cls" && /^\[(\.\.\.)?[A-Za-z_][A-Za-z0-9_]+\]$/.test(t.source)) out.add(t.source);
    }
  }
  return [...out];
}

export function describeClass(source: string): string {
  const chars = [...new Set(source.slice(1, -1).split(""))];
  return `one of ${chars.map((c) => `\`${c}\``).join(", ")}`;
}
