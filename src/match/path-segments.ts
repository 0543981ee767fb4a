import type { Segment } from "./path-parse.js";
import { tokensMatcher } from "./wildcard.js";

/**
 * One path-glob alternative matched segment by segment, without an automaton
 * over characters and without backtracking: the same greedy idea as
 * star-segments.ts, one level up. The `**`s cut the alternative into pieces,
 * each a fixed number of segment globs; the first piece must sit at the start,
 * the last at the end, and each middle one at its leftmost place after the
 * previous one (leftmost leaves every later piece the most room). A middle
 * piece is found with shift-and over the path's segments, one bit per segment
 * glob of the piece; each distinct segment glob is run once per path segment,
 * and each is itself linear (wildcard.ts). So a path costs O(segments x
 * (distinct globs + piece length / 32)) glob runs over short strings, whatever
 * the pattern: there is no DFA to outgrow.
 *
 * Paths are normalized and absolute (no empty, `.` or `..` segment; `/` has
 * no segment), as the rest of path-glob.ts assumes; within a segment `*` and
 * `?` never meet `/`, because a segment holds none.
 */
type SegTest = (segment: string) => boolean;

interface Piece {
  tests: SegTest[];
  /** the distinct tests of the piece, each with the bits of the positions it holds */
  distinct: Array<{ test: SegTest; bits: Int32Array }>;
  words: number;
}

export function segmentsMatcher(alt: readonly Segment[]): (path: string) => boolean {
  const cache = new Map<string, SegTest>();
  const testOf = (s: Extract<Segment, { kind: "seg" }>): SegTest => {
    const key = JSON.stringify(s.tokens);
    let t = cache.get(key);
    if (!t) cache.set(key, (t = tokensMatcher(s.tokens)));
    return t;
  };
  const pieces: SegTest[][] = [[]];
  for (const s of alt) {
    if (s.kind === "globstar") pieces.push([]);
    else pieces[pieces.length - 1]!.push(testOf(s));
  }
  const first = pieces[0]!;
  if (pieces.length === 1)
    return (p) => {
      const segs = segmentsOf(p);
      return segs.length === first.length && matchAt(first, segs, 0);
    };
  const last = pieces[pieces.length - 1]!;
  const middle = pieces
    .slice(1, -1)
    .filter((x) => x.length > 0)
    .map(piece);
  return (p) => {
    const segs = segmentsOf(p);
    if (segs.length < first.length + last.length || !matchAt(first, segs, 0)) return false;
    let pos = first.length;
    for (const m of middle) {
      pos = find(m, segs, pos);
      if (pos < 0) return false;
    }
    const start = segs.length - last.length;
    return start >= pos && matchAt(last, segs, start);
  };
}

function piece(tests: SegTest[]): Piece {
  const words = (tests.length + 31) >>> 5;
  const byTest = new Map<SegTest, Int32Array>();
  tests.forEach((t, j) => {
    let bits = byTest.get(t);
    if (!bits) byTest.set(t, (bits = new Int32Array(words)));
    bits[j >>> 5]! |= 1 << (j & 31);
  });
  return { tests, words, distinct: [...byTest].map(([test, bits]) => ({ test, bits })) };
}

function matchAt(tests: readonly SegTest[], segs: readonly string[], at: number): boolean {
  for (let j = 0; j < tests.length; j++) if (!tests[j]!(segs[at + j]!)) return false;
  return true;
}

/** The index just after the leftmost occurrence of the piece at or after `from`, or -1. */
function find(m: Piece, segs: readonly string[], from: number): number {
  const W = m.words;
  const k = m.tests.length;
  const topWord = W - 1;
  const topBit = 1 << ((k - 1) & 31);
  const state = new Int32Array(W);
  const mask = new Int32Array(W);
  for (let i = from; i < segs.length; i++) {
    mask.fill(0);
    for (const d of m.distinct) if (d.test(segs[i]!)) for (let w = 0; w < W; w++) mask[w]! |= d.bits[w]!;
    let carry = 1;
    for (let w = 0; w < W; w++) {
      const old = state[w]!;
      state[w] = ((old << 1) | carry) & mask[w]!;
      carry = old >>> 31;
    }
    if ((state[topWord]! & topBit) !== 0) return i + 1;
  }
  return -1;
}

// The segments of the last path split: every rule of a decision tests the same path.
let lastPath: string | undefined;
let lastSegs: string[] = [];

function segmentsOf(p: string): string[] {
  if (p !== lastPath) {
    lastSegs = p === "/" ? [] : p.slice(1).split("/");
    lastPath = p;
  }
  return lastSegs;
}
