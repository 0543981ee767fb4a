import type { Token } from "./glob-tokens.js";
import type { Segment } from "./path-parse.js";

/**
 * Required literal text of a glob: a string every value the glob matches
 * contains (a "factor"), taken from the same tokens the matcher runs, so the
 * two cannot disagree. The rule index files a rule no literal key bounds under
 * its factors (engine/factor-lists.ts). Longer is more selective.
 */

/** The longest literal piece of one string-glob alternative, or undefined when it has none. */
export function tokenFactor(tokens: readonly Token[]): string | undefined {
  let best: string | undefined;
  for (const t of tokens) if (t.t === "lit" && t.s.length > (best?.length ?? 0)) best = t.s;
  return best;
}

/**
 * The longest required text of one path alternative. A segment is preceded by
 * `/` in every path it matches (paths are absolute and normalized), so a
 * literal at the start of a segment brings its `/`, and a segment that is all
 * literal and followed by another segment brings the `/` after it too.
 */
export function pathFactor(alt: readonly Segment[]): string | undefined {
  let best: string | undefined;
  const offer = (s: string) => {
    if (s.length > (best?.length ?? 0)) best = s;
  };
  alt.forEach((seg, k) => {
    if (seg.kind !== "seg") return;
    seg.tokens.forEach((t, j) => {
      if (t.t !== "lit") return;
      if (j > 0) return offer(t.s);
      const whole = seg.tokens.length === 1;
      offer(whole && alt[k + 1]?.kind === "seg" ? `/${t.s}/` : `/${t.s}`);
    });
  });
  return best;
}

/** One factor per alternative, or undefined when some alternative has none (it could match without any literal). */
export function allFactors<T>(alts: readonly T[], factor: (a: T) => string | undefined): string[] | undefined {
  const out: string[] = [];
  for (const a of alts) {
    const f = factor(a);
    if (f === undefined || f === "") return undefined;
    out.push(f);
  }
  return out.length > 0 ? out : undefined;
}
