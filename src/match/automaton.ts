/**
 * Finite automata over Unicode code points: the one reading of a pattern that
 * concrete matching, the rule index and run-time values (templates) share.
 * A pattern compiles to an automaton once; then
 *
 * - `accepts(a, s)` is the pattern's answer for one string,
 * - `intersects(t, a)` says whether some string of a set `t` matches (may),
 * - `includes(t, a)` says whether every string of `t` matches (must)
 *   (both in automaton-products.ts). Concrete path matching runs without
 *   an automaton (path-segments.ts); the automaton is the reference it is tested against.
 *
 * Automata are epsilon-free; an edge covers a closed range of code points.
 * The products are bounded by a work budget: past it the answer is
 * `undefined` ("could not tell"), and callers turn that into the strict
 * reading (may-match true, must-match false), never into an allow.
 */
export interface Nfa {
  readonly start: number;
  /** per state, outgoing edges as flat triples: lo, hi, to, lo, hi, to, ... */
  readonly edges: readonly (readonly number[])[];
  readonly accept: readonly boolean[];
}

export const MAX_CODE_POINT = 0x10ffff;
const SLASH = 0x2f;

/** Product states a single `intersects`/`includes`/`product` may visit before it gives up. */
export const AUTOMATON_BUDGET = 20_000;

/**
 * Work (automaton states built or visited) shared by everything one decision
 * computes: the evaluator sets a limit for a subject with run-time values, and
 * going past it throws `WorkLimitExceeded`, which the evaluator turns into an
 * uncertain deny. Outside a decision there is no limit.
 */
export const workMeter = { spent: 0, limit: Infinity };

export class WorkLimitExceeded extends Error {}

/** Charges `n` units of work to the meter (throws past its limit). */
export function charge(n: number): void {
  workMeter.spent += n;
  if (workMeter.spent > workMeter.limit) throw new WorkLimitExceeded(`more than ${workMeter.limit} automaton states`);
}

/** An automaton under construction, with epsilon moves; `build` removes them. */
export class NfaBuilder {
  private readonly out: number[][] = [];
  private readonly eps: number[][] = [];
  private readonly acc: boolean[] = [];

  state(): number {
    this.out.push([]);
    this.eps.push([]);
    this.acc.push(false);
    return this.out.length - 1;
  }
  edge(from: number, lo: number, hi: number, to: number): void {
    this.out[from]!.push(lo, hi, to);
  }
  /** one edge per range pair of `ranges` (lo, hi, lo, hi, ...) */
  edges(from: number, ranges: readonly number[], to: number): void {
    for (let k = 0; k < ranges.length; k += 2) this.edge(from, ranges[k]!, ranges[k + 1]!, to);
  }
  epsilon(from: number, to: number): void {
    this.eps[from]!.push(to);
  }
  accepting(q: number): void {
    this.acc[q] = true;
  }
  /** the literal text `s` from `from`; returns the state after it */
  literal(from: number, s: string): number {
    let q = from;
    for (const ch of s) {
      const c = ch.codePointAt(0)!;
      const n = this.state();
      this.edge(q, c, c, n);
      q = n;
    }
    return q;
  }

  build(start: number): Nfa {
    const n = this.out.length;
    charge(n);
    const closure: number[][] = [];
    for (let q = 0; q < n; q++) {
      if (this.eps[q]!.length === 0) {
        closure.push([q]);
        continue;
      }
      const seen = new Set<number>([q]);
      const stack = [q];
      while (stack.length > 0) {
        for (const r of this.eps[stack.pop()!]!) {
          if (seen.has(r)) continue;
          seen.add(r);
          stack.push(r);
        }
      }
      closure.push([...seen]);
    }
    const edges: number[][] = [];
    const accept: boolean[] = [];
    for (let q = 0; q < n; q++) {
      const e: number[] = [];
      let a = false;
      for (const r of closure[q]!) {
        e.push(...this.out[r]!);
        a ||= this.acc[r]!;
      }
      edges.push(e);
      accept.push(a);
    }
    return trim({ start, edges, accept });
  }
}

/** Keeps only states reachable from the start that can still reach an accepting state, renumbered. */
export function trim(a: Nfa): Nfa {
  const n = a.edges.length;
  const reach = new Uint8Array(n);
  const stack = [a.start];
  reach[a.start] = 1;
  while (stack.length > 0) {
    const e = a.edges[stack.pop()!]!;
    for (let k = 2; k < e.length; k += 3) {
      if (reach[e[k]!]) continue;
      reach[e[k]!] = 1;
      stack.push(e[k]!);
    }
  }
  const preds: number[][] = Array.from({ length: n }, () => []);
  for (let q = 0; q < n; q++) {
    const e = a.edges[q]!;
    for (let k = 2; k < e.length; k += 3) preds[e[k]!]!.push(q);
  }
  const live = new Uint8Array(n);
  for (let q = 0; q < n; q++) {
    if (!a.accept[q] || !reach[q]) continue;
    live[q] = 1;
    stack.push(q);
  }
  while (stack.length > 0) {
    for (const p of preds[stack.pop()!]!) {
      if (!reach[p] || live[p]) continue;
      live[p] = 1;
      stack.push(p);
    }
  }
  const id = new Int32Array(n).fill(-1);
  let next = 0;
  id[a.start] = next++;
  for (let q = 0; q < n; q++) if (q !== a.start && live[q]) id[q] = next++;
  const edges: number[][] = Array.from({ length: next }, () => []);
  const accept: boolean[] = new Array<boolean>(next).fill(false);
  for (let q = 0; q < n; q++) {
    if (id[q]! < 0) continue;
    accept[id[q]!] = a.accept[q]! && live[q] === 1;
    const e = a.edges[q]!;
    const out = edges[id[q]!]!;
    if (!live[q]) continue;
    for (let k = 0; k < e.length; k += 3) if (live[e[k + 2]!]) out.push(e[k]!, e[k + 1]!, id[e[k + 2]!]!);
  }
  return { start: 0, edges, accept };
}

/** The automaton accepting nothing. */
export const EMPTY: Nfa = { start: 0, edges: [[]], accept: [false] };

/** Exactly the strings of `words`. */
export function literals(words: readonly string[]): Nfa {
  const b = new NfaBuilder();
  const s = b.state();
  for (const w of words) b.accepting(b.literal(s, w));
  return b.build(s);
}

/** Strings made of `prefix`, anything, `suffix` (`contains` when both are the same needle around). */
export function affix(prefix: string, middle: "any" | "none", suffix: string): Nfa {
  const b = new NfaBuilder();
  const s = b.state();
  let q = b.literal(s, prefix);
  if (middle === "any") {
    const loop = b.state();
    b.epsilon(q, loop);
    b.edge(loop, 0, MAX_CODE_POINT, loop);
    q = loop;
  }
  b.accepting(b.literal(q, suffix));
  return b.build(s);
}

/** Any string that contains `needle`. */
export function containing(needle: string): Nfa {
  const b = new NfaBuilder();
  const s = b.state();
  b.edge(s, 0, MAX_CODE_POINT, s);
  const e = b.literal(s, needle);
  b.edge(e, 0, MAX_CODE_POINT, e);
  b.accepting(e);
  return b.build(s);
}

/** The union of several automata. */
export function union(parts: readonly Nfa[]): Nfa {
  if (parts.length === 1) return parts[0]!;
  const edges: number[][] = [[]];
  const accept: boolean[] = [false];
  for (const p of parts) {
    const base = edges.length;
    for (let q = 0; q < p.edges.length; q++) {
      const e = p.edges[q]!;
      const out: number[] = [];
      for (let k = 0; k < e.length; k += 3) out.push(e[k]!, e[k + 1]!, e[k + 2]! + base);
      edges.push(out);
      accept.push(p.accept[q]!);
    }
    const se = edges[base + p.start]!;
    edges[0]!.push(...se);
    accept[0] ||= p.accept[p.start]!;
  }
  return { start: 0, edges, accept };
}

/** Does `a` accept `s`? Linear in `s` times the automaton's size. */
export function accepts(a: Nfa, s: string): boolean {
  let cur = [a.start];
  const mark = new Int32Array(a.edges.length).fill(-1);
  let step = 0;
  for (let i = 0; i < s.length; step++) {
    const c = s.codePointAt(i)!;
    i += c > 0xffff ? 2 : 1;
    const next: number[] = [];
    for (const q of cur) {
      const e = a.edges[q]!;
      for (let k = 0; k < e.length; k += 3) {
        const to = e[k + 2]!;
        if (c >= e[k]! && c <= e[k + 1]! && mark[to] !== step) {
          mark[to] = step;
          next.push(to);
        }
      }
    }
    if (next.length === 0) return false;
    cur = next;
  }
  for (const q of cur) if (a.accept[q]) return true;
  return false;
}

/** Ranges (lo, hi pairs) of every code point except those in `ranges` (sorted, non-overlapping after merge). */
export function complement(ranges: readonly number[]): number[] {
  const pairs: Array<[number, number]> = [];
  for (let k = 0; k < ranges.length; k += 2) pairs.push([ranges[k]!, ranges[k + 1]!]);
  pairs.sort((x, y) => x[0] - y[0]);
  const out: number[] = [];
  let next = 0;
  for (const [lo, hi] of pairs) {
    if (lo > next) out.push(next, lo - 1);
    next = Math.max(next, hi + 1);
  }
  if (next <= MAX_CODE_POINT) out.push(next, MAX_CODE_POINT);
  return out;
}

/** `ranges` without `/` (path globs never match a `/` inside a segment). */
export function withoutSlash(ranges: readonly number[]): number[] {
  const out: number[] = [];
  for (let k = 0; k < ranges.length; k += 2) {
    const lo = ranges[k]!;
    const hi = ranges[k + 1]!;
    if (hi < SLASH || lo > SLASH) out.push(lo, hi);
    else {
      if (lo < SLASH) out.push(lo, SLASH - 1);
      if (hi > SLASH) out.push(SLASH + 1, hi);
    }
  }
  return out;
}

export const ANY: readonly number[] = [0, MAX_CODE_POINT];
export const NOT_SLASH: readonly number[] = withoutSlash(ANY);
