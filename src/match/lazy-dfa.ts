import { accepts, type Nfa } from "./automaton.js";

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
    for (let i = 0; i < s.length;) {
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
