import { MAX_CODE_POINT } from "./automaton.js";
import { classHas, type Token } from "./glob-tokens.js";

/**
 * A glob alternative (lit / `?` / class / `*` tokens) matched without
 * backtracking. The `*`s cut it into segments of fixed length in code points;
 * the first segment must sit at the start, the last at the end, and each middle
 * one is placed at its leftmost occurrence after the previous one. Leftmost is
 * always right: an occurrence that ends earlier leaves every later segment at
 * least as much room, so if any placement matches, the greedy one does.
 *
 * A middle segment is found with a bit-parallel scan (shift-and): one bit per
 * segment position, W = ceil(length / 32) words of state, one step per input
 * code point (a mask per code point: a table for ASCII, a binary search over
 * the segment's range boundaries above). Middle scans resume where the last
 * one stopped, so the work per string is O(input x (W + log segment)) plus
 * O(pattern) for the anchored ends, whatever the pattern's shape: no star is
 * retried and there is no pattern x input product. While no partial match is
 * alive the scan jumps with `indexOf` to the next occurrence of the segment's
 * longest literal run (at most 32 code points, and no stretch searched twice),
 * so the usual case runs at `indexOf` speed. Characters are code points (`?` is one code point,
 * surrogate pairs are never split).
 */
export function starSegmentsMatcher(tokens: readonly Token[]): (s: string) => boolean {
  const segs: Position[][] = [[]];
  for (const tok of tokens) {
    if (tok.t === "star") segs.push([]);
    else if (tok.t === "lit") for (const ch of tok.s) segs[segs.length - 1]!.push({ t: "lit", c: ch.codePointAt(0)! });
    else segs[segs.length - 1]!.push(tok);
  }
  if (segs.length === 1) {
    const only = segs[0]!;
    return (s) => matchAt(only, s, 0) === s.length;
  }
  const first = segs[0]!;
  const last = segs[segs.length - 1]!;
  const middle = segs
    .slice(1, -1)
    .filter((g) => g.length > 0)
    .map(scanner);
  return (s) => {
    let pos = matchAt(first, s, 0);
    if (pos < 0) return false;
    for (const find of middle) {
      pos = find(s, pos);
      if (pos < 0) return false;
    }
    const start = backCodePoints(s, s.length, last.length);
    return start >= pos && matchAt(last, s, start) === s.length;
  };
}

/** One code point of a segment. */
type Position = { t: "lit"; c: number } | Exclude<Token, { t: "lit" } | { t: "star" }>;

function holds(p: Position, c: number): boolean {
  return p.t === "lit" ? p.c === c : p.t === "one" || classHas(p, c);
}

/** Matches the segment at `i`; the index after it, or -1. O(segment). */
function matchAt(seg: readonly Position[], s: string, i: number): number {
  for (const p of seg) {
    if (i >= s.length) return -1;
    const c = s.codePointAt(i)!;
    if (!holds(p, c)) return -1;
    i += c > 0xffff ? 2 : 1;
  }
  return i;
}

/** The index `n` code points before `end`, or -1 when there are fewer. */
function backCodePoints(s: string, end: number, n: number): number {
  let i = end;
  for (let k = 0; k < n; k++) {
    if (i <= 0) return -1;
    const lo = s.charCodeAt(i - 1);
    i -= isLow(lo) && i >= 2 && isHigh(s.charCodeAt(i - 2)) ? 2 : 1;
  }
  return i;
}

const ANCHOR_MAX = 32;
const isHigh = (u: number) => u >= 0xd800 && u <= 0xdbff;
const isLow = (u: number) => u >= 0xdc00 && u <= 0xdfff;

/**
 * The shift-and scanner of one segment: `find(s, from)` is the index just after
 * the leftmost occurrence starting at or after `from` (a code point boundary), or -1.
 */
function scanner(seg: readonly Position[]): (s: string, from: number) => number {
  const m = seg.length;
  const W = (m + 31) >>> 5;
  // Masks: bit j of a code point's mask says position j accepts it. The code point
  // line is cut where any position's answer can change; each piece has one mask.
  const cuts = new Set<number>([0, 128]);
  for (const p of seg) {
    if (p.t === "lit") cuts.add(p.c).add(p.c + 1);
    else if (p.t === "cls") for (let k = 0; k < p.ranges.length; k += 2) cuts.add(p.ranges[k]!).add(p.ranges[k + 1]! + 1);
  }
  const starts = [...cuts].filter((c) => c <= MAX_CODE_POINT).sort((a, b) => a - b);
  // One table: ASCII code points first (direct), then one mask per piece above.
  const masks = new Int32Array((128 + starts.length) * W);
  const fill = (at: number, c: number) => {
    for (let j = 0; j < m; j++) if (holds(seg[j]!, c)) masks[at + (j >>> 5)]! |= 1 << (j & 31);
  };
  for (let c = 0; c < 128; c++) fill(c * W, c);
  starts.forEach((c, k) => fill((128 + k) * W, c));
  let lastC = -1;
  let lastAt = 0;
  const maskAt = (c: number): number => {
    // c >= 128 here
    if (c === lastC) return lastAt;
    let lo = 0;
    let hi = starts.length - 1; // starts[lo] <= c always (starts[0] = 0)
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (starts[mid]! <= c) lo = mid;
      else hi = mid - 1;
    }
    lastC = c;
    return (lastAt = (128 + lo) * W);
  };
  const anchor = longestLiteralRun(seg);
  const topWord = W - 1;
  const topBit = 1 << ((m - 1) & 31);
  const state = new Int32Array(W);
  return (s, from) => {
    // locals, not closure slots, in the hot loop
    const st = state;
    const mk = masks;
    st.fill(0);
    let d0 = 0;
    let alive = false;
    let i = from;
    let next = -1; // the anchor's first occurrence at or after the last search's start
    while (i < s.length) {
      if (!alive && anchor) {
        // No partial match alive: an occurrence starting at or after `i` holds the anchor
        // `offset` code points in, so it starts no earlier than the anchor's next
        // occurrence minus that. Searches and back-steps cover disjoint stretches.
        if (next < i) {
          next = s.indexOf(anchor.text, i);
          if (next < 0) return -1;
          let start = next;
          for (let k = 0; k < anchor.offset && start > i; k++) start -= start >= 2 && isLow(s.charCodeAt(start - 1)) && isHigh(s.charCodeAt(start - 2)) ? 2 : 1;
          if (start > i) i = start;
        }
      }
      let at: number;
      const u = s.charCodeAt(i);
      if (u < 128) {
        at = u * W;
        i++;
      } else {
        const c = s.codePointAt(i)!;
        i += c > 0xffff ? 2 : 1;
        at = maskAt(c);
      }
      if (W === 1) {
        // the common case, kept in one register
        d0 = ((d0 << 1) | 1) & mk[at]!;
        if ((d0 & topBit) !== 0) return i;
        alive = d0 !== 0;
        continue;
      }
      let carry = 1;
      let any = 0;
      for (let w = 0; w < W; w++) {
        const old = st[w]!;
        const moved = ((old << 1) | carry) & mk[at + w]!;
        carry = old >>> 31;
        st[w] = moved;
        any |= moved;
      }
      if ((st[topWord]! & topBit) !== 0) return i;
      alive = any !== 0;
    }
    return -1;
  };
}

/**
 * The segment's longest run of literal positions (at most ANCHOR_MAX code points, so even a
 * naive `indexOf` stays O(input x ANCHOR_MAX)) whose text cannot start inside a surrogate
 * pair, with its offset in code points.
 */
function longestLiteralRun(seg: readonly Position[]): { text: string; offset: number } | undefined {
  let best: { text: string; offset: number } | undefined;
  for (let j = 0; j < seg.length;) {
    if (seg[j]!.t !== "lit") {
      j++;
      continue;
    }
    let k = j;
    let text = "";
    for (; k < seg.length && seg[k]!.t === "lit" && k - j < ANCHOR_MAX; k++) text += String.fromCodePoint((seg[k] as { c: number }).c);
    const lead = text.charCodeAt(0);
    if (!(lead >= 0xdc00 && lead <= 0xdfff) && (!best || text.length > best.text.length)) best = { text, offset: j };
    j = k;
  }
  return best;
}
