import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { accepts } from "../src/match/automaton.js";
import { compilePathPattern } from "../src/match/path-glob.js";

// Path globs are matched segment by segment (match/path-segments.ts), not by
// running their automaton; the automaton (which answers for run-time values)
// is the reference here, on normalized paths over a small alphabet so that
// near-misses and repeated segments are common.
describe("the segment matcher agrees with the pattern's automaton", () => {
  const seg = fc.constantFrom("a", "b", "ab", "*", "**", "?", "a*", "*b", "*a*", "[ab]", "[!a]*", "{a,b}", "{a,**}", "a?b", "é", "😀?");
  const pathSeg = fc.constantFrom("a", "b", "ab", "ba", "aab", "é", "😀x", ".a", "a.b");
  const path = fc.array(pathSeg, { maxLength: 8 }).map((x) => "/" + x.join("/"));
  it("on generated patterns (several `**`, pieces repeated, classes, astral characters) and paths", () => {
    fc.assert(
      fc.property(fc.array(seg, { minLength: 1, maxLength: 7 }), fc.boolean(), fc.array(path, { minLength: 25, maxLength: 25 }), (segs, ci, paths) => {
        const r = compilePathPattern("/" + segs.join("/"), undefined, { caseInsensitive: ci });
        if (!r.ok) return;
        for (const p of paths) expect(r.matcher.test(p), `/${segs.join("/")} ~ ${p}`).toBe(accepts(r.matcher.nfa, p));
      }),
      { numRuns: 3000 },
    );
  });
  it("shapes that outgrew the old 32-state DFA still answer exactly", () => {
    const long = "/d/*" + "a?".repeat(40) + "b*";
    const r = compilePathPattern(long);
    if (!r.ok) throw new Error(r.reason);
    expect(r.matcher.test("/d/" + "ax".repeat(40) + "b")).toBe(true);
    expect(r.matcher.test("/d/" + "a".repeat(200))).toBe(false);
    const deep = compilePathPattern("/**/" + "a/".repeat(30) + "b/**");
    if (!deep.ok) throw new Error(deep.reason);
    expect(deep.matcher.test("/" + "a/".repeat(60) + "b/c")).toBe(true);
    expect(deep.matcher.test("/" + "a/".repeat(60) + "c")).toBe(false);
    expect(deep.matcher.test("/" + "a/".repeat(29) + "b")).toBe(false);
  });
});
