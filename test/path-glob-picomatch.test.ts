import fc from "fast-check";
import picomatch from "picomatch";
import { describe, expect, it } from "vitest";
import { compilePattern } from "../src/match/compiled-pattern.js";

/**
 * Path globs are read by the project's own parser (one parse feeds the matcher,
 * the rule index and the automata for run-time values). On the glob syntax the
 * two share, it must read patterns as picomatch, the reference glob library,
 * does, with `dot: true` (dotfiles match). Deliberate differences, outside this
 * test's grammar or handled below: `**` as the last segment also matches the
 * directory itself (`/app/**` covers `/app`, as the README says), `[!x]` is a
 * negated class as in every shell (picomatch reads it as literal text), and
 * parentheses are plain characters (picomatch reads them as regex groups).
 */
const segmentChar = fc.constantFrom("a", "b", "c", ".", "-", "_");
const literal = fc
  .array(segmentChar, { minLength: 1, maxLength: 3 })
  .map((c) => c.join(""))
  .filter((s) => s !== "." && s !== "..");
const token = fc.oneof(
  { weight: 4, arbitrary: literal },
  { weight: 2, arbitrary: fc.constant("*") },
  { weight: 1, arbitrary: fc.constant("?") },
  { weight: 1, arbitrary: fc.constantFrom("[a-b]", "[^a]", "[.c]") },
  { weight: 1, arbitrary: fc.tuple(literal, literal).map(([x, y]) => `{${x},${y}}`) },
);
const segment = fc.oneof(
  { weight: 5, arbitrary: fc.array(token, { minLength: 1, maxLength: 3 }).map((t) => t.join("")) },
  { weight: 1, arbitrary: fc.constant("**") },
);
// a segment made only of dots would be `.`/`..`, which both refuse or never match a normalized path
const pattern = fc
  .array(segment, { minLength: 1, maxLength: 4 })
  .map((s) => "/" + s.join("/"))
  .filter((p) => !/\/\.+(\/|$)/.test(p.replace(/[*?[\]{}]/g, "x")));
const path = fc.array(literal, { minLength: 1, maxLength: 5 }).map((s) => "/" + s.join("/"));

/** The pattern with some of its `**` segments taken out (each may match nothing). */
function zeroSegmentReadings(p: string): string[] {
  const segs = p.slice(1).split("/");
  const stars = segs.flatMap((x, i) => (x === "**" ? [i] : []));
  const out: string[] = [];
  for (let mask = 1; mask < 1 << stars.length; mask++) {
    const drop = new Set(stars.filter((_, k) => mask & (1 << k)));
    const kept = segs.filter((_, i) => !drop.has(i));
    if (kept.length > 0) out.push("/" + kept.join("/"));
  }
  return out;
}

describe("path globs read as picomatch reads them, on the syntax both share", () => {
  it("agree on generated patterns and normalized paths", () => {
    fc.assert(
      fc.property(pattern, fc.array(path, { minLength: 1, maxLength: 8 }), (p, paths) => {
        const ours = compilePattern("path", p);
        if (!ours.ok) return; // refused patterns (empty segments and the like) are not compared
        const ref = picomatch(p, { dot: true });
        for (const s of paths) {
          // a `**` segment matches zero segments wherever it stands (ours, by design:
          // `/x/**` covers `/x`); picomatch does so only in some positions
          const want = ref(s) || zeroSegmentReadings(p).some((q) => picomatch(q, { dot: true })(s));
          expect([p, s, ours.pattern.test(s)]).toEqual([p, s, want]);
        }
      }),
      { numRuns: 2000, seed: 20261201 },
    );
  });

  it.each([
    ["/app/**", "/app/src/a.ts", true],
    ["**/.env", "/srv/app/.env", true],
    ["/app/*.ts", "/app/.hidden.ts", true],
    ["/a/{b,c}/*", "/a/c/x", true],
    ["/a/*", "/a/b/c", false],
  ])("%s on %s: %s, as picomatch", (p, s, want) => {
    const ours = compilePattern("path", p);
    expect(ours.ok && ours.pattern.test(s)).toBe(want);
    expect(picomatch(p, { dot: true })(s)).toBe(want);
  });
});
