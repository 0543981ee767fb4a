import { expandBraces } from "./brace-expand.js";

/**
 * Glob for strings that are not file paths (commands, env keys, agent ids, URLs):
 * `*` spans any run of characters including spaces and slashes, `?` one character,
 * `[a-z]` / `[!a-z]` a class, `{a,b}` alternatives, `\` escapes. Matching is the
 * classic star-backtracking walk: O(pattern x input) in the worst case, never
 * exponential, so a policy cannot be turned into a denial of service.
 */
export interface StringMatcher {
  test(s: string): boolean;
  /** per brace alternative: its leading literal text and whether it is all literal (for indexing) */
  readonly alternatives: ReadonlyArray<{ prefix: string; exact: boolean }>;
}

type Token =
  | { t: "lit"; s: string }
  | { t: "one" }
  | { t: "star" }
  | { t: "cls"; negate: boolean; ranges: number[] };

export const GLOB_META = /[*?[\]{}\\]/;

export function compileWildcard(pattern: string, opts: { caseInsensitive?: boolean } = {}): StringMatcher {
  const ci = opts.caseInsensitive === true;
  const alts = expandBraces(ci ? pattern.toLowerCase() : pattern).map(tokenize);
  const tests = alts.map(compileAlternative);
  const alternatives = alts.map((tokens) => {
    const first = tokens[0];
    const prefix = first?.t === "lit" ? first.s : "";
    return { prefix, exact: tokens.length === 0 || (tokens.length === 1 && first?.t === "lit") };
  });
  const one = tests.length === 1 ? tests[0]! : undefined;
  const testFn = one
    ? ci
      ? (s: string) => one(s.toLowerCase())
      : one
    : (s: string) => {
        const v = ci ? s.toLowerCase() : s;
        for (const f of tests) if (f(v)) return true;
        return false;
      };
  return { test: testFn, alternatives };
}

function compileAlternative(tokens: Token[]): (s: string) => boolean {
  // Fast paths for the shapes policies are made of.
  if (tokens.length === 0) return (s) => s.length === 0;
  const [a, b, c] = tokens;
  if (tokens.length === 1 && a!.t === "lit") return (s) => s === a!.s;
  if (tokens.length === 1 && a!.t === "star") return () => true;
  if (tokens.length === 2 && a!.t === "lit" && b!.t === "star") return (s) => s.startsWith(a!.s);
  if (tokens.length === 2 && a!.t === "star" && b!.t === "lit") return (s) => s.endsWith(b!.s);
  if (tokens.length === 3 && a!.t === "star" && b!.t === "lit" && c!.t === "star") return (s) => s.includes(b!.s);
  return (s) => matchTokens(tokens, s);
}

function tokenize(p: string): Token[] {
  const out: Token[] = [];
  let lit = "";
  const flush = () => {
    if (lit) out.push({ t: "lit", s: lit });
    lit = "";
  };
  for (let i = 0; i < p.length; i++) {
    const ch = p[i]!;
    if (ch === "\\" && i + 1 < p.length) {
      lit += p[++i];
    } else if (ch === "*") {
      flush();
      if (out[out.length - 1]?.t !== "star") out.push({ t: "star" });
    } else if (ch === "?") {
      flush();
      out.push({ t: "one" });
    } else if (ch === "[") {
      const cls = parseClass(p, i);
      if (!cls) {
        lit += ch;
        continue;
      }
      flush();
      out.push(cls.token);
      i = cls.end;
    } else {
      lit += ch;
    }
  }
  flush();
  return out;
}

function parseClass(p: string, open: number): { token: Token; end: number } | undefined {
  let i = open + 1;
  let negate = false;
  if (p[i] === "!" || p[i] === "^") {
    negate = true;
    i++;
  }
  const ranges: number[] = [];
  let first = true;
  for (; i < p.length; i++) {
    let ch = p[i]!;
    if (ch === "]" && !first) return { token: { t: "cls", negate, ranges }, end: i };
    first = false;
    if (ch === "\\" && i + 1 < p.length) ch = p[++i]!;
    let hi = ch;
    if (p[i + 1] === "-" && p[i + 2] !== undefined && p[i + 2] !== "]") {
      hi = p[i + 2] === "\\" && p[i + 3] !== undefined ? p[i + 3]! : p[i + 2]!;
      i += p[i + 2] === "\\" ? 3 : 2;
    }
    ranges.push(ch.charCodeAt(0), hi.charCodeAt(0));
  }
  return undefined; // unterminated: `[` is a literal
}

function classHas(tok: { negate: boolean; ranges: number[] }, code: number): boolean {
  let hit = false;
  for (let k = 0; k < tok.ranges.length; k += 2) {
    if (code >= tok.ranges[k]! && code <= tok.ranges[k + 1]!) {
      hit = true;
      break;
    }
  }
  return hit !== tok.negate;
}

function matchTokens(tokens: Token[], s: string): boolean {
  let ti = 0;
  let si = 0;
  let starTi = -1;
  let starSi = 0;
  while (ti < tokens.length || si < s.length) {
    if (ti < tokens.length) {
      const tok = tokens[ti]!;
      if (tok.t === "star") {
        starTi = ti++;
        starSi = si;
        continue;
      }
      if (tok.t === "lit") {
        if (s.startsWith(tok.s, si)) {
          si += tok.s.length;
          ti++;
          continue;
        }
      } else if (si < s.length && (tok.t === "one" || classHas(tok, s.charCodeAt(si)))) {
        si++;
        ti++;
        continue;
      }
    }
    if (starTi >= 0 && starSi < s.length) {
      si = ++starSi;
      ti = starTi + 1;
      continue;
    }
    return false;
  }
  return true;
}
