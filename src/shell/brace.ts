import type { Part, Word } from "./ast.js";
import { MAX_BRACE_WORDS } from "./limits.js";

/**
 * Brace expansion as bash and zsh do it (`{a,b}`, `x{,.bak}`, `{1..5}`,
 * `{a..e}`, `{1..9..2}`, nested), bounded. It is deterministic, so the
 * engine expands it and checks the words that result; dash does not expand
 * braces at all, so the caller checks the unexpanded word as well.
 * Only unquoted `{`, `,`, `}` and `..` are structure; anything else is text.
 * Forms the shells expand differently (`{1..a}`, `{a..Z}`) are refused.
 */
export class BraceError extends Error {}

type Atom = { ch: string } | { part: Part };

/** The words a word becomes, or undefined when it has no brace expansion. */
export function expandBraces(w: Word): Part[][] | undefined {
  if (!w.parts.some((p) => p.k === "lit" && !p.quoted && p.text.includes("{"))) return undefined;
  let opens = 0;
  for (const p of w.parts) if (p.k === "lit" && !p.quoted) for (let i = p.text.indexOf("{"); i >= 0; i = p.text.indexOf("{", i + 1)) opens++;
  if (opens > 256) throw new BraceError("more than 256 `{` in one word; quote them");
  const plain = w.parts.map((p) => (p.k === "lit" && !p.quoted ? p.text : "\u0000")).join("");
  if (plain.includes("{}") && /[,}]|\.\./.test(plain.replace("{}", ""))) {
    // bash reads `_{},}` as a brace expansion of `}` and nothing; zsh refuses it
    throw new BraceError("`{}` next to another brace or comma is expanded differently by bash and zsh; quote the `{}`");
  }
  const atoms: Atom[] = [];
  for (const p of w.parts) {
    if (p.k === "lit" && !p.quoted) for (const ch of p.text) atoms.push({ ch });
    else atoms.push({ part: p });
  }
  const budget = { words: 0 };
  const out = expand(atoms, budget);
  if (out.length === 1 && out[0]!.length === atoms.length && out[0]!.every((a, i) => a === atoms[i])) return undefined;
  for (const word of out) rescanSafe(word);
  return out.map(toParts);
}

/**
 * bash expands braces on the text and only then reads `$` in the result, so a
 * word the braces joined can hold a parameter the engine did not parse:
 * `{$AWS,}_SECRET_ACCESS_KEY` is `$AWS_SECRET_ACCESS_KEY` and `{$,x}HOME` is
 * `$HOME` to bash (zsh expands parameters first). Such joins are refused.
 */
function rescanSafe(word: Atom[]): void {
  for (let i = 0; i + 1 < word.length; i++) {
    const a = word[i]!;
    const next = word[i + 1]!;
    if (!("ch" in next)) continue;
    const name = "part" in a && a.part.k === "param" && !a.part.quoted && /^\$[A-Za-z_][A-Za-z0-9_]*$/.test(a.part.src) ? a.part.src : undefined;
    if (name && /[A-Za-z0-9_]/.test(next.ch))
      throw new BraceError(`braces join \`${name}\` to \`${next.ch}\`: bash then reads a longer parameter name than zsh; write \`\${name}\``);
    // a lone `$` is a literal part to the parser (quoted, like `'$'`: which one it was is not kept, so both are refused)
    const dollar = ("ch" in a && a.ch === "$") || ("part" in a && a.part.k === "lit" && a.part.text.endsWith("$"));
    if (dollar && /[A-Za-z0-9_{(@*#?!$-]/.test(next.ch))
      throw new BraceError(`braces join \`$\` to \`${next.ch}\`: bash then reads an expansion the engine did not; quote the \`$\``);
  }
}

function expand(atoms: Atom[], budget: { words: number }): Atom[][] {
  for (let i = 0; i < atoms.length; i++) {
    if (!isCh(atoms[i]!, "{")) continue;
    const found = matchBrace(atoms, i);
    if (!found) continue;
    const { end, commas } = found;
    const inner = atoms.slice(i + 1, end);
    let alternatives: Atom[][];
    if (commas.length > 0) {
      alternatives = [];
      let from = i + 1;
      for (const c of [...commas, end]) {
        alternatives.push(atoms.slice(from, c));
        from = c + 1;
      }
    } else {
      const seq = sequence(inner);
      if (!seq) continue;
      alternatives = seq.map((s) => [...s].map((ch) => ({ ch })));
    }
    const pre = atoms.slice(0, i);
    const post = expand(atoms.slice(end + 1), budget);
    const out: Atom[][] = [];
    for (const alt of alternatives) {
      for (const x of expand(alt, budget)) {
        for (const y of post) {
          if (++budget.words > MAX_BRACE_WORDS) throw new BraceError(`brace expansion makes more than ${MAX_BRACE_WORDS} words; write fewer`);
          out.push([...pre, ...x, ...y]);
        }
      }
    }
    return out;
  }
  return [atoms];
}

function isCh(a: Atom, ch: string): boolean {
  return "ch" in a && a.ch === ch;
}

/** The `}` closing the `{` at `open`, and the top-level commas in between. */
function matchBrace(atoms: Atom[], open: number): { end: number; commas: number[] } | undefined {
  let depth = 0;
  const commas: number[] = [];
  for (let j = open + 1; j < atoms.length; j++) {
    const a = atoms[j]!;
    if (isCh(a, "{")) depth++;
    else if (isCh(a, "}")) {
      if (depth === 0) return { end: j, commas };
      depth--;
    } else if (isCh(a, ",") && depth === 0) commas.push(j);
  }
  return undefined;
}

const MAX_SEQUENCE = 4096;

/** `{1..5}`, `{a..e}`, with an optional step; undefined when it is not one. */
function sequence(inner: Atom[]): string[] | undefined {
  if (!inner.every((a) => "ch" in a)) {
    if (inner.some((a) => isCh(a, "."))) throw new BraceError("a brace sequence with quotes or expansions inside; write the words out");
    return undefined;
  }
  const text = inner.map((a) => a.ch).join("");
  if (!text.includes("..")) return undefined;
  const num = /^(-?\d+)\.\.(-?\d+)(?:\.\.(-?\d+))?$/.exec(text);
  const chr = /^([A-Za-z])\.\.([A-Za-z])(?:\.\.(-?\d+))?$/.exec(text);
  if (!num && !chr) throw new BraceError(`\`{${text}}\` is expanded differently by bash and zsh; write the words out`);
  const stepText = (num ?? chr)![3];
  // zsh and bash treat negative and zero steps differently, and zsh has no letter steps
  if (stepText !== undefined && (!/^[1-9]\d*$/.test(stepText) || chr))
    throw new BraceError(`\`{${text}}\`: bash and zsh disagree on this step; write the words out`);
  const step = stepText === undefined ? 1 : Number(stepText);
  if (num) {
    if (/^-?0\d/.test(num[1]!) || /^-?0\d/.test(num[2]!)) throw new BraceError(`zero-padded brace sequence \`{${text}}\`: write the words out`);
    const a = Number(num[1]);
    const b = Number(num[2]);
    if (!Number.isSafeInteger(a) || !Number.isSafeInteger(b) || Math.abs(b - a) / step > MAX_SEQUENCE)
      throw new BraceError(`brace sequence \`{${text}}\` is too long`);
    const out: string[] = [];
    for (let v = a; a <= b ? v <= b : v >= b; v += a <= b ? step : -step) out.push(String(v));
    return out;
  }
  const a = chr![1]!.charCodeAt(0);
  const b = chr![2]!.charCodeAt(0);
  const sameCase = (x: number, y: number) => x >= 97 === y >= 97;
  if (!sameCase(a, b)) throw new BraceError(`\`{${text}}\` runs through punctuation; write the words out`);
  const out: string[] = [];
  for (let v = a; a <= b ? v <= b : v >= b; v += a <= b ? step : -step) out.push(String.fromCharCode(v));
  return out;
}

function toParts(atoms: Atom[]): Part[] {
  const parts: Part[] = [];
  let lit = "";
  for (const a of atoms) {
    if ("ch" in a) lit += a.ch;
    else {
      if (lit) parts.push({ k: "lit", text: lit, quoted: false });
      lit = "";
      parts.push(a.part);
    }
  }
  if (lit) parts.push({ k: "lit", text: lit, quoted: false });
  return parts;
}
