/**
 * Finite automata over Unicode code points: the one reading of a pattern that
 * concrete matching, the rule index and run-time values (templates) share.
 * A pattern compiles to an automaton once; then
 *
 * - `accepts(a, s)` is the pattern's answer for one string,
 * - `intersects(t, a)` says whether some string of a set `t` matches (may),
 * - `includes(t, a)` says whether every string of `t` matches (must).
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
export function chargeStates(n: number): void {
  charge(n);
}

function charge(n: number): void {
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
        for (const r of this.eps[stack.pop()!]!) if (!seen.has(r)) seen.add(r), stack.push(r);
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
    for (let k = 2; k < e.length; k += 3) if (!reach[e[k]!]) (reach[e[k]!] = 1), stack.push(e[k]!);
  }
  const preds: number[][] = Array.from({ length: n }, () => []);
  for (let q = 0; q < n; q++) {
    const e = a.edges[q]!;
    for (let k = 2; k < e.length; k += 3) preds[e[k]!]!.push(q);
  }
  const live = new Uint8Array(n);
  for (let q = 0; q < n; q++) if (a.accept[q] && reach[q]) (live[q] = 1), stack.push(q);
  while (stack.length > 0) for (const p of preds[stack.pop()!]!) if (reach[p] && !live[p]) (live[p] = 1), stack.push(p);
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

/** The product automaton (strings both accept); undefined past the budget. */
export function product(a: Nfa, b: Nfa, budget = AUTOMATON_BUDGET): Nfa | undefined {
  const ids = new Map<number, number>();
  const pairs: Array<[number, number]> = [];
  const edges: number[][] = [];
  const accept: boolean[] = [];
  const nb = b.edges.length;
  const idOf = (qa: number, qb: number): number => {
    const key = qa * nb + qb;
    let id = ids.get(key);
    if (id === undefined) {
      id = pairs.length;
      ids.set(key, id);
      pairs.push([qa, qb]);
      edges.push([]);
      accept.push(a.accept[qa]! && b.accept[qb]!);
    }
    return id;
  };
  idOf(a.start, b.start);
  for (let i = 0; i < pairs.length; i++) {
    if (pairs.length > budget) return undefined;
    charge(1);
    const [qa, qb] = pairs[i]!;
    const ea = a.edges[qa]!;
    const eb = b.edges[qb]!;
    for (let x = 0; x < ea.length; x += 3) {
      for (let y = 0; y < eb.length; y += 3) {
        const lo = Math.max(ea[x]!, eb[y]!);
        const hi = Math.min(ea[x + 1]!, eb[y + 1]!);
        if (lo <= hi) {
          const to = idOf(ea[x + 2]!, eb[y + 2]!);
          edges[i]!.push(lo, hi, to);
        }
      }
    }
  }
  return { start: 0, edges, accept }; // states that cannot reach acceptance stay: harmless, and trimming costs more than it saves
}

/**
 * Some string accepted by both: a witness, or `null` when there is none, or
 * `undefined` past the budget.
 */
export function intersection(a: Nfa, b: Nfa, budget = AUTOMATON_BUDGET): string | null | undefined {
  const nb = b.edges.length;
  const start = a.start * nb + b.start;
  const parent = new Map<number, { from: number; c: number } | null>([[start, null]]);
  const queue = [start];
  for (let i = 0; i < queue.length; i++) {
    if (parent.size > budget) return undefined;
    charge(1);
    const key = queue[i]!;
    const qa = Math.floor(key / nb);
    const qb = key % nb;
    if (a.accept[qa] && b.accept[qb]) {
      const cps: number[] = [];
      for (let p = parent.get(key); p; p = parent.get(p.from)) cps.push(p.c);
      return String.fromCodePoint(...cps.reverse());
    }
    const ea = a.edges[qa]!;
    const eb = b.edges[qb]!;
    for (let x = 0; x < ea.length; x += 3) {
      for (let y = 0; y < eb.length; y += 3) {
        const lo = Math.max(ea[x]!, eb[y]!);
        if (lo > Math.min(ea[x + 1]!, eb[y + 1]!)) continue;
        const to = ea[x + 2]! * nb + eb[y + 2]!;
        if (!parent.has(to)) {
          parent.set(to, { from: key, c: lo });
          queue.push(to);
        }
      }
    }
  }
  return null;
}

/** Do `a` and `b` share a string? `undefined` when the budget ran out. */
export function intersects(a: Nfa, b: Nfa, budget = AUTOMATON_BUDGET): boolean | undefined {
  const w = intersection(a, b, budget);
  return w === undefined ? undefined : w !== null;
}

/**
 * A string `a` accepts and `b` does not (a counterexample to `a ⊆ b`), or
 * `null` when `a ⊆ b`, or `undefined` past the budget. `b` is determinized
 * on the fly, so only the subsets `a` actually drives it into are built.
 */
export function difference(a: Nfa, b: Nfa, budget = AUTOMATON_BUDGET): string | null | undefined {
  interface Node {
    qa: number;
    set: number[];
    from: number;
    c: number;
  }
  const nodes: Node[] = [{ qa: a.start, set: [b.start], from: -1, c: 0 }];
  const seen = new Set<string>([`${a.start}|${b.start}`]);
  for (let i = 0; i < nodes.length; i++) {
    if (nodes.length > budget) return undefined;
    charge(1);
    const { qa, set } = nodes[i]!;
    if (a.accept[qa] && !set.some((q) => b.accept[q])) {
      const cps: number[] = [];
      for (let k = i; nodes[k]!.from >= 0; k = nodes[k]!.from) cps.push(nodes[k]!.c);
      return String.fromCodePoint(...cps.reverse());
    }
    const ea = a.edges[qa]!;
    for (let x = 0; x < ea.length; x += 3) {
      const lo = ea[x]!;
      const hi = ea[x + 1]!;
      // Split [lo, hi] where any edge of the subset starts or ends, so that each
      // piece drives the subset to one successor subset.
      const cuts = [lo, hi + 1];
      for (const q of set) {
        const e = b.edges[q]!;
        for (let y = 0; y < e.length; y += 3) {
          if (e[y]! > lo && e[y]! <= hi) cuts.push(e[y]!);
          if (e[y + 1]! + 1 > lo && e[y + 1]! + 1 <= hi) cuts.push(e[y + 1]! + 1);
        }
      }
      cuts.sort((p, q) => p - q);
      for (let k = 0; k + 1 < cuts.length; k++) {
        const c = cuts[k]!;
        if (c === cuts[k + 1]) continue;
        const next = new Set<number>();
        for (const q of set) {
          const e = b.edges[q]!;
          for (let y = 0; y < e.length; y += 3) if (c >= e[y]! && c <= e[y + 1]!) next.add(e[y + 2]!);
        }
        const sorted = [...next].sort((p, q) => p - q);
        const key = `${ea[x + 2]}|${sorted.join(",")}`;
        if (seen.has(key)) continue;
        seen.add(key);
        nodes.push({ qa: ea[x + 2]!, set: sorted, from: i, c });
      }
    }
  }
  return null;
}

/** Is every string of `a` accepted by `b`? `undefined` when the budget ran out. */
export function includes(a: Nfa, b: Nfa, budget = AUTOMATON_BUDGET): boolean | undefined {
  const w = difference(a, b, budget);
  return w === undefined ? undefined : w === null;
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

/**
 * A deterministic matcher built from an automaton as strings are matched:
 * each set of automaton states met becomes one DFA state, with a table for
 * ASCII and a map for other code points. Bounded (a few KB per pattern): past
 * `MAX_DFA_STATES` sets it simulates the automaton directly (same answers,
 * slower).
 */
export const MAX_DFA_STATES = 32;

interface DfaState {
  set: number[];
  accept: boolean;
  ascii: Int16Array; // -1 not yet computed, -2 dead
  other: Map<number, number>;
}

export function lazyDfa(a: Nfa): (s: string) => boolean {
  const states: DfaState[] = [];
  const ids = new Map<string, number>();
  const intern = (set: number[]): number => {
    if (set.length === 0) return -2;
    const key = set.join(",");
    let id = ids.get(key);
    if (id === undefined) {
      if (states.length >= MAX_DFA_STATES) return -3;
      id = states.length;
      ids.set(key, id);
      states.push({ set, accept: set.some((q) => a.accept[q]), ascii: new Int16Array(128).fill(-1), other: new Map() });
    }
    return id;
  };
  const step = (d: DfaState, c: number): number => {
    const next = new Set<number>();
    for (const q of d.set) {
      const e = a.edges[q]!;
      for (let k = 0; k < e.length; k += 3) if (c >= e[k]! && c <= e[k + 1]!) next.add(e[k + 2]!);
    }
    return intern([...next].sort((x, y) => x - y));
  };
  const start = intern([a.start]);
  return (s) => {
    let cur = start;
    for (let i = 0; i < s.length; ) {
      if (cur < 0) return false;
      const c = s.codePointAt(i)!;
      i += c > 0xffff ? 2 : 1;
      const d = states[cur]!;
      let n = c < 128 ? d.ascii[c]! : (d.other.get(c) ?? -1);
      if (n === -1) {
        n = step(d, c);
        if (n === -3) return accepts(a, s); // too many states: simulate instead
        if (c < 128) d.ascii[c] = n;
        else if (d.other.size < 64) d.other.set(c, n);
      }
      cur = n;
    }
    return cur >= 0 && states[cur]!.accept;
  };
}
