import { ANY, complement, NOT_SLASH, withoutSlash, type NfaBuilder } from "./automaton.js";

/**
 * The pieces of one glob alternative (after brace expansion), read once and
 * shared by every consumer of the pattern: the concrete matcher, the index
 * (literal prefixes) and the automaton (run-time values). Characters are
 * Unicode code points: `?` is one code point, and a class range `[à-ö]` is a
 * range of code points, whatever their UTF-16 length.
 */
export type Token =
  | { t: "lit"; s: string }
  | { t: "one" }
  | { t: "star" }
  /** ranges: code point pairs lo, hi; `negate` inverts the set */
  | { t: "cls"; negate: boolean; ranges: number[]; source: string };

export interface TokenizeOptions {
  /**
   * Paths: an unterminated `[`, a trailing `\`, a POSIX class `[[:alpha:]]` and a
   * `/` inside a class are errors (each with the fix); strings: they are literal
   * text, as they always were for command patterns.
   */
  strict: boolean;
}

export type TokenizeResult = { ok: true; tokens: Token[] } | { ok: false; reason: string };

export function tokenize(p: string, opts: TokenizeOptions): TokenizeResult {
  const out: Token[] = [];
  let lit = "";
  const flush = () => {
    if (lit) out.push({ t: "lit", s: lit });
    lit = "";
  };
  for (let i = 0; i < p.length;) {
    const c = p.codePointAt(i)!;
    const ch = String.fromCodePoint(c);
    if (ch === "\\") {
      if (i + 1 >= p.length) {
        if (opts.strict) return { ok: false, reason: "the pattern ends with `\\`; write `\\\\` for a literal backslash" };
        lit += ch;
        i++;
        continue;
      }
      const n = p.codePointAt(i + 1)!;
      lit += String.fromCodePoint(n);
      i += 1 + (n > 0xffff ? 2 : 1);
    } else if (ch === "*") {
      flush();
      if (out[out.length - 1]?.t !== "star") out.push({ t: "star" });
      i++;
    } else if (ch === "?") {
      flush();
      out.push({ t: "one" });
      i++;
    } else if (ch === "[") {
      const cls = parseClass(p, i, opts);
      if (!cls.ok) return cls;
      if (cls.token === undefined) {
        lit += ch;
        i++;
        continue;
      }
      flush();
      out.push(cls.token);
      i = cls.end + 1;
    } else {
      lit += ch;
      i += ch.length;
    }
  }
  flush();
  return { ok: true, tokens: out };
}

type ClassResult = { ok: true; token: Extract<Token, { t: "cls" }> | undefined; end: number } | { ok: false; reason: string };

function parseClass(p: string, open: number, opts: TokenizeOptions): ClassResult {
  let i = open + 1;
  let negate = false;
  if (p[i] === "!" || p[i] === "^") {
    negate = true;
    i++;
  }
  const ranges: number[] = [];
  let first = true;
  const next = (): number | undefined => {
    if (i >= p.length) return undefined;
    let c = p.codePointAt(i)!;
    if (c === 0x5c && i + 1 < p.length) {
      i++;
      c = p.codePointAt(i)!;
    }
    i += c > 0xffff ? 2 : 1;
    return c;
  };
  while (i < p.length) {
    if (p[i] === "]" && !first) {
      const source = p.slice(open, i + 1);
      if (opts.strict && ranges.some((_, k) => k % 2 === 0 && ranges[k]! <= 0x2f && ranges[k + 1]! >= 0x2f)) {
        return {
          ok: false,
          reason: `the class \`${source}\` contains \`/\`, which a class never matches (a class stands for one character within a path segment)`,
        };
      }
      return { ok: true, token: { t: "cls", negate, ranges, source }, end: i };
    }
    if (opts.strict && p.startsWith("[:", i)) {
      return { ok: false, reason: "POSIX character classes (`[[:alpha:]]`) are not supported in path patterns; write ranges such as `[a-zA-Z]`" };
    }
    first = false;
    const lo = next()!;
    let hi = lo;
    if (p[i] === "-" && i + 1 < p.length && p[i + 1] !== "]") {
      i++;
      hi = next()!;
      if (hi < lo) {
        if (opts.strict) return { ok: false, reason: `the class range \`${String.fromCodePoint(lo)}-${String.fromCodePoint(hi)}\` is reversed` };
        hi = lo - 1; // an empty range: matches nothing, as a reversed range does in bash
      }
    }
    if (hi >= lo) ranges.push(lo, hi);
  }
  if (opts.strict) return { ok: false, reason: `unterminated \`[\` in \`${p}\`; write \`\\[\` for a literal bracket` };
  return { ok: true, token: undefined, end: open }; // unterminated: `[` is a literal
}

/** Does a class token hold code point `c`? */
export function classHas(tok: { negate: boolean; ranges: readonly number[] }, c: number): boolean {
  let hit = false;
  for (let k = 0; k < tok.ranges.length; k += 2) {
    if (c >= tok.ranges[k]! && c <= tok.ranges[k + 1]!) {
      hit = true;
      break;
    }
  }
  return hit !== tok.negate;
}

/**
 * Adds the tokens to an automaton from state `from`; returns the end state.
 * `inSegment`: wildcards and classes never match `/` (path segments).
 */
export function addTokens(b: NfaBuilder, from: number, tokens: readonly Token[], inSegment: boolean): number {
  const anyChar = inSegment ? NOT_SLASH : ANY;
  let q = from;
  for (const tok of tokens) {
    switch (tok.t) {
      case "lit":
        q = b.literal(q, tok.s);
        break;
      case "one": {
        const n = b.state();
        b.edges(q, anyChar, n);
        q = n;
        break;
      }
      case "star": {
        const n = b.state();
        b.epsilon(q, n);
        b.edges(n, anyChar, n);
        q = n;
        break;
      }
      case "cls": {
        const n = b.state();
        const set = tok.negate ? complement(tok.ranges) : tok.ranges;
        b.edges(q, inSegment ? withoutSlash(set) : set, n);
        q = n;
        break;
      }
    }
  }
  return q;
}
