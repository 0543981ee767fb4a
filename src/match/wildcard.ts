import { NfaBuilder, union, type Nfa } from "./automaton.js";
import { expandBraces } from "./brace-expand.js";
import { addTokens, tokenize, type Token } from "./glob-tokens.js";
import { allFactors, tokenFactor } from "./literal-factors.js";
import { starSegmentsMatcher } from "./star-segments.js";

/**
 * Glob for strings that are not file paths (commands, env keys, agent ids, URLs):
 * `*` spans any run of characters including spaces and slashes, `?` one character
 * (code point), `[a-z]` / `[!a-z]` a class, `{a,b}` alternatives, `\` escapes.
 * Each brace alternative is matched without backtracking (star-segments.ts:
 * O(input x ceil(longest segment / 32)) per alternative, no pattern x input
 * product), so neither a policy nor a request can be turned into a denial of service.
 * The same tokens build the automaton that answers for run-time values.
 */
export interface StringMatcher {
  test(s: string): boolean;
  /** per brace alternative: its leading literal text, whether it is all literal (for indexing), and whether it is that text then `*` */
  readonly alternatives: ReadonlyArray<{ prefix: string; exact: boolean; open: boolean }>;
  /** text every match contains, one per alternative (literal-factors.ts); undefined when some alternative has none. Lower-cased when case-insensitive. */
  readonly factors: readonly string[] | undefined;
  /** the strings the pattern matches (lower-cased text when case-insensitive) */
  readonly nfa: Nfa;
}

export const GLOB_META = /[*?[\]{}\\]/;

export function compileWildcard(pattern: string, opts: { caseInsensitive?: boolean } = {}): StringMatcher {
  const ci = opts.caseInsensitive === true;
  const alts = expandBraces(ci ? pattern.toLowerCase() : pattern).map((a) => {
    const r = tokenize(a, { strict: false });
    if (!r.ok) throw new Error(r.reason); // non-strict tokenizing never fails
    return r.tokens;
  });
  const tests = alts.map(tokensMatcher);
  const alternatives = alts.map((tokens) => {
    const first = tokens[0];
    const prefix = first?.t === "lit" ? first.s : "";
    const last = tokens[tokens.length - 1];
    const open = last?.t === "star" && (tokens.length === 1 || (tokens.length === 2 && first?.t === "lit"));
    return { prefix, exact: tokens.length === 0 || (tokens.length === 1 && first?.t === "lit"), open };
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
  let nfa: Nfa | undefined;
  return {
    test: testFn,
    alternatives,
    factors: allFactors(alts, tokenFactor),
    // Built on first use: only run-time values and policy analysis need it.
    get nfa() {
      return (nfa ??= union(alts.map(alternativeNfa)));
    },
  };
}

function alternativeNfa(tokens: readonly Token[]): Nfa {
  const b = new NfaBuilder();
  const s = b.state();
  b.accepting(addTokens(b, s, tokens, false));
  return b.build(s);
}

/** One alternative's tokens as a test of a whole string (path-segments.ts tests path segments with it). */
export function tokensMatcher(tokens: readonly Token[]): (s: string) => boolean {
  // Fast paths for the shapes policies are made of.
  if (tokens.length === 0) return (s) => s.length === 0;
  const [a, b, c] = tokens;
  if (tokens.length === 1 && a!.t === "lit") return (s) => s === a!.s;
  if (tokens.length === 1 && a!.t === "star") return () => true;
  if (tokens.length === 2 && a!.t === "lit" && b!.t === "star") return (s) => s.startsWith(a!.s);
  if (tokens.length === 2 && a!.t === "star" && b!.t === "lit") return (s) => s.endsWith(b!.s);
  if (tokens.length === 3 && a!.t === "star" && b!.t === "lit" && c!.t === "star") return (s) => s.includes(b!.s);
  return starSegmentsMatcher(tokens);
}
