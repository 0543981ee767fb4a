import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { expandBraces } from "../src/match/brace-expand.js";
import { classHas, tokenize, type Token } from "../src/match/glob-tokens.js";
import { compileWildcard } from "../src/match/wildcard.js";

/**
 * Issue 14: the string wildcard matcher no longer backtracks (star-segments.ts).
 * The reference below is the matcher it replaced, kept verbatim: the star
 * backtracking walk over code points, O(pattern x input), whose answers were
 * right but slow. The new matcher must give the same answer on every pattern
 * and input, case-sensitive and case-insensitive, astral code points included.
 */
function backtrackingMatch(tokens: readonly Token[], s: string): boolean {
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
      } else if (si < s.length) {
        const c = s.codePointAt(si)!;
        if (tok.t === "one" || classHas(tok, c)) {
          si += c > 0xffff ? 2 : 1;
          ti++;
          continue;
        }
      }
    }
    if (starTi >= 0 && starSi < s.length) {
      const c = s.codePointAt(starSi)!;
      starSi += c > 0xffff ? 2 : 1;
      si = starSi;
      ti = starTi + 1;
      continue;
    }
    return false;
  }
  return true;
}

function reference(pattern: string, s: string, ci: boolean): boolean {
  const v = ci ? s.toLowerCase() : s;
  return expandBraces(ci ? pattern.toLowerCase() : pattern).some((alt) => {
    const r = tokenize(alt, { strict: false });
    if (!r.ok) throw new Error(r.reason);
    return backtrackingMatch(r.tokens, v);
  });
}

// Small alphabets so that matches happen; astral code points (😀 is two UTF-16 units)
// in literals, classes and inputs; long pieces so segments pass 32 positions (two words).
const patternPiece = fc.constantFrom(
  "a",
  "b",
  "A",
  "B",
  "é",
  "É",
  "😀",
  "😁",
  "ab",
  "*",
  "*",
  "?",
  "?",
  "[ab]",
  "[!a]",
  "[a-c]",
  "[😀-😂]",
  "[!😀]",
  "[]a]",
  "[A-B]",
  "\\*",
  "\\?",
  "[",
  "{a,b}",
  "{,😀}",
  "{a*,?b}",
  "a?".repeat(17),
  "a".repeat(34),
  "?a".repeat(20) + "b",
);
const inputPiece = fc.constantFrom("a", "a", "b", "A", "B", "c", "é", "ê", "É", "😀", "😁", "😂", "*", "?", " ", "]", "a".repeat(20), "ab".repeat(9));
const pattern = fc.array(patternPiece, { maxLength: 7 }).map((p) => p.join(""));
const input = fc.array(inputPiece, { maxLength: 14 }).map((p) => p.join(""));
/** an input made from the pattern itself (meta characters replaced), so long patterns match too */
const nearInput = (p: string) => fc.array(inputPiece, { maxLength: 3 }).map((extra) => p.replace(/[*?[\]{}\\,!]/g, "a") + extra.join(""));

describe("the linear wildcard matcher agrees with the backtracking one it replaced", () => {
  for (const ci of [false, true]) {
    it(`on generated patterns and inputs (${ci ? "case-insensitive" : "case-sensitive"})`, () => {
      const seen = { match: 0, miss: 0 };
      fc.assert(
        fc.property(
          pattern.chain((p) => fc.tuple(fc.constant(p), fc.oneof(input, nearInput(p)))),
          ([p, s]) => {
            const want = reference(p, s, ci);
            seen[want ? "match" : "miss"]++;
            expect(compileWildcard(p, { caseInsensitive: ci }).test(s)).toBe(want);
          },
        ),
        { numRuns: 4000 },
      );
      // the generators must exercise both answers, or the agreement says nothing
      expect(seen.match).toBeGreaterThan(200);
      expect(seen.miss).toBeGreaterThan(200);
    });
  }

  const A = "a".repeat(60_000);
  it.each([
    ["the issue's shape, no match: the last segment is anchored at the end", "*a*a*a*a*a*a*a*a*b7", A, false],
    ["the issue's shape, matching at the very end", "*a*a*a*a*a*a*a*a*b7", A + "b7", true],
    ["a middle segment that never completes", "*a*a*a*a*b7*", A, false],
    ["a middle segment found only at the end", "*a*a*a*a*b7*", A + "b7", true],
    ["`?`s across a long input", "*?*?*?*?*?*?*?*?b*", A + "b", true],
    ["classes that always partly match", "*[ab]*[ab]*[ab]*c*", "ab".repeat(30_000), false],
    ["a long near-miss literal", "*" + "a".repeat(200) + "b*", A, false],
    ["a long near-miss literal that finally matches", "*" + "a".repeat(200) + "b*", A + "b", true],
    ["a 201-position mixed segment (seven words)", "*" + "a?".repeat(100) + "[bc]*", A, false],
    ["a 201-position mixed segment that matches", "*" + "a?".repeat(100) + "[bc]*", A + "c", true],
    ["`?` takes a whole astral code point", "x?y", "x😀y", true],
    ["`?` never takes half a surrogate pair", "x??y", "x😀y", false],
    ["an astral middle segment", "*😀?😀*", "a😀b😀c", true],
    ["an astral class range in a middle segment", "*a[😀-😂]b*", "za😁bz", true],
    ["the last segment does not overlap the middle one", "*ab*ba", "aba", false],
    ["the first segment is anchored at the start", "ab*", "xab", false],
    ["a non-ASCII literal is not its neighbouring code point", "*é?😀*", "ê😀😀", false],
    ["an astral literal is not its neighbouring code point", "*😀?é*", "😁aé", false],
    ["case-insensitive input", "*A*B*", "xaxbx", true],
  ])("%s", (_name, p, s, want) => {
    const ci = _name === "case-insensitive input";
    expect(compileWildcard(p, { caseInsensitive: ci }).test(s)).toBe(want);
    if (s.length < 1000) expect(reference(p, s, ci)).toBe(want);
  });
});
