import { ANY, charge, NOT_SLASH, type Nfa } from "./automaton.js";
import { includes, intersects } from "./automaton-products.js";
import type { Template } from "./template.js";

/**
 * A template as an automaton: its literal text, with a hole as a loop over any
 * character (`any`, `below`) or any character but `/` (`segment`, `name`). Built once per
 * template (templates are immutable; the cache holds them weakly).
 */
const cache = new WeakMap<Template, Nfa>();

export function templateNfa(t: Template): Nfa {
  let a = cache.get(t);
  if (!a) {
    a = buildTemplateNfa(t);
    cache.set(t, a);
  }
  return a;
}

/**
 * Built directly without epsilon moves: a hole is a loop on the state where
 * it starts (adjacent holes share it), so the automaton has one state per
 * literal code point plus one.
 */
export function buildTemplateNfa(t: Template): Nfa {
  const edges: number[][] = [[]];
  for (const part of t) {
    let q = edges.length - 1;
    if (typeof part === "string") {
      for (const ch of part) {
        const c = ch.codePointAt(0)!;
        edges.push([]);
        edges[q]!.push(c, c, q + 1);
        q++;
      }
    } else {
      const ranges = part.hole === "any" || part.hole === "below" ? ANY : NOT_SLASH;
      for (let k = 0; k < ranges.length; k += 2) edges[q]!.push(ranges[k]!, ranges[k + 1]!, q);
    }
  }
  charge(edges.length);
  const accept = edges.map((_, k) => k === edges.length - 1);
  return { start: 0, edges, accept };
}

// Answers per (set, pattern) pair, for sets that recur (the "any path" set).
const answers = new WeakMap<Nfa, WeakMap<Nfa, { may?: boolean; must?: boolean }>>();

function memo(lang: Nfa, pattern: Nfa): { may?: boolean; must?: boolean } {
  let m = answers.get(lang);
  if (!m) answers.set(lang, (m = new WeakMap()));
  let r = m.get(pattern);
  if (!r) m.set(pattern, (r = {}));
  return r;
}

/** Some string of `lang` is in `pattern`. When the automata are too large to tell: true (the strict reading for a deny). */
export function mayMatch(lang: Nfa, pattern: Nfa): boolean {
  const r = memo(lang, pattern);
  return (r.may ??= intersects(lang, pattern) !== false);
}

/** Every string of `lang` is in `pattern`. When the automata are too large to tell: false (the strict reading for an allow). */
export function mustMatch(lang: Nfa, pattern: Nfa): boolean {
  const r = memo(lang, pattern);
  return (r.must ??= includes(lang, pattern) === true);
}
