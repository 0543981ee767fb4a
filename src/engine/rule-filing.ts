import type { IndexKey } from "../match/compiled-pattern.js";
import type { ConditionMatcher } from "./compile-test.js";

/**
 * Where the rule index files each rule: under the literal keys of one of its
 * conditions (an env key, a host, a command's first word, a path's literal
 * directory), under the literal text one of its conditions requires (a
 * factor: `.log` of `**\/*.log`, `--force` of `*--force*`, a regex's literal
 * run), or nowhere (`always`, scanned for every request).
 *
 * Any condition the rule cannot match without would do; the choice only
 * decides how many rules a request has to try. The condition chosen is the one
 * whose keys the fewest other rules of the bucket share, so 1,000 rules on one
 * host are told apart by their paths, and `git <w> *` rules by `git <w> `
 * rather than by `git`. A short factor (one or two characters) appears in
 * most values and counts as shared by many rules; a key is preferred to a
 * factor of equal cost because its lookup is cheaper.
 */
export type Filing = { keys: readonly IndexKey[] } | { field: string; factors: readonly string[] };

export const KEYED_FIELDS: ReadonlySet<string> = new Set(["key", "host", "command", "path"]);

interface Rule {
  index: number;
  conditions: readonly ConditionMatcher[];
}

export function chooseFilings(rules: readonly Rule[], members: readonly number[]): Array<Filing | undefined> {
  // Each option with the names of its keys (computed once), and how many options name each.
  const options = members.map((i) => safeOptionsOf(rules[i]!).map((o) => ({ o, names: namesOf(o) })));
  const shared = new Map<string, number>();
  for (const opts of options) for (const { names } of opts) for (const n of names) shared.set(n, (shared.get(n) ?? 0) + 1);
  const weak = members.length;
  const cost = (o: Filing, names: readonly string[]): number => {
    let c = 0;
    names.forEach((n, k) => {
      c += shared.get(n)!;
      if ("keys" in o) {
        const key = o.keys[k]!;
        if (key.kind === "path" && key.value === "/") c += weak;
      } else {
        const f = o.factors[k]!;
        c += f.length === 1 ? weak / 4 : f.length === 2 ? weak / 16 : 0;
      }
    });
    return "keys" in o ? c : c + 0.5;
  };
  return options.map((opts) => {
    let best: Filing | undefined;
    let bestCost = Infinity;
    for (const { o, names } of opts) {
      const c = opts.length === 1 ? 0 : cost(o, names);
      if (c < bestCost) {
        best = o;
        bestCost = c;
      }
    }
    return best;
  });
}

/**
 * A rule whose condition cannot compile (only a bundle edited by hand and
 * re-digested carries one; conditions compile on first use) is filed nowhere:
 * scanned for every request of its actions, where its test throws and the
 * decision is a deny, while other actions' buckets, built from the same
 * filings, are not affected.
 */
function safeOptionsOf(rule: Rule): Filing[] {
  try {
    return optionsOf(rule);
  } catch {
    return [];
  }
}

/** Every filing a rule's conditions allow, keys first in field order (key, host, command, path: the order ties are settled in). */
function optionsOf(rule: Rule): Filing[] {
  const out: Filing[] = [];
  // Each condition's index and factors read once (on a rule not compiled yet, reading them may compile it).
  const read = rule.conditions.map((c) => ({ index: c.index, factors: c.factors }));
  for (const field of KEYED_FIELDS) for (const c of read) if (c.index?.field === field && c.index.keys.length > 0) out.push({ keys: c.index.keys });
  for (const c of read) if (c.factors && c.factors.factors.length > 0) out.push({ field: c.factors.field, factors: c.factors.factors });
  return out;
}

function namesOf(o: Filing): string[] {
  return "keys" in o ? o.keys.map((k) => `k\u0000${k.kind}\u0000${k.value}`) : o.factors.map((f) => `f\u0000${o.field}\u0000${f}`);
}
