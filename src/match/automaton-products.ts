import { AUTOMATON_BUDGET, charge, type Nfa } from "./automaton.js";

/**
 * Products of automata: the intersection as an automaton, a shared string
 * (may-match), a string of one the other lacks (not must-match). Each is
 * bounded by a budget (`undefined` past it) and charges the work meter.
 */
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
