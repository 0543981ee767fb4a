import { difference, intersection } from "./automaton-products.js";
import type { CompiledPattern } from "./compiled-pattern.js";

/**
 * How two compiled patterns of the same field relate, for policy analysis
 * (an allow that shadows a later deny): by their automata, so exactly as the
 * matcher reads them. Path automata hold only normalized paths, so a witness
 * is a path a request could carry. `undefined`: the patterns have no
 * automaton (hosts) or are too large to compare; treat as "could not tell".
 */

/** A value both patterns match, or null when there is none. */
export function overlapWitness(a: CompiledPattern, b: CompiledPattern): string | null | undefined {
  if (!a.nfa || !b.nfa) return undefined;
  return intersection(a.nfa, b.nfa);
}

/** A value `inner` matches and `outer` does not, or null when `outer` covers all of `inner`. */
export function uncoveredWitness(outer: CompiledPattern, inner: CompiledPattern): string | null | undefined {
  if (!outer.nfa || !inner.nfa) return undefined;
  return difference(inner.nfa, outer.nfa);
}
