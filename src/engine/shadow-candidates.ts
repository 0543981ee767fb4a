import type { IndexKey } from "../match/compiled-pattern.js";
import type { RuleView } from "./rule-sets.js";

/**
 * The earlier rules the shadowing analysis has to look at for a later one,
 * found through literal keys instead of a scan of every earlier rule (at
 * 10,000 rules the scan took seconds, for pairs `disjointByKeys` then
 * skipped one by one).
 *
 * Soundness: the answer includes every rule `disjointByKeys` would not rule
 * out. The later rule is looked up by one field on which each of its
 * alternatives has a condition with keys (the first such condition: `c_x`);
 * a rule is filed under the keys of the first keyed condition on that field
 * of each of its alternatives (`d_y`), or, when one alternative has none, in
 * `unkeyed`, always returned. A filed rule that no lookup returns has no key
 * meeting any key of any `c_x`, so every pair of alternatives is disjoint on
 * that field, which is what `disjointByKeys` checks. The lookups enumerate
 * every case in which `keysMeet` (rule-sets.ts) is true: equal values, a host
 * under a suffix, a host starting with a label, suffixes one under the
 * other, paths one under the other, and the pairs it answers true for
 * without looking (label and label, label and suffix).
 */
const FAMILIES: Record<string, ReadonlySet<IndexKey["kind"]>> = {
  host: new Set(["host", "suffix", "label"]),
  key: new Set(["key"]),
  command: new Set(["word"]),
  path: new Set(["path"]),
};
const FIELDS = Object.keys(FAMILIES);

export class KeyedCandidates {
  private readonly byField = new Map<string, { unkeyed: number[]; lists: Map<string, number[]> }>();

  /** `members`: the rules (indexes into `views`, ascending) that can be candidates, e.g. those sharing an action */
  constructor(
    private readonly views: readonly RuleView[],
    members: readonly number[],
  ) {
    for (const field of FIELDS) {
      const unkeyed: number[] = [];
      const lists = new Map<string, number[]>();
      for (const i of members) {
        const keys = representativeKeys(views[i]!, field);
        if (!keys) unkeyed.push(i);
        else for (const k of keys) for (const name of filed(k)) push(lists, name, i);
      }
      this.byField.set(field, { unkeyed, lists });
    }
  }

  /** The candidate rules for `view`, ascending; undefined when it has no field to look up by (then every member is one). */
  of(view: RuleView): number[] | undefined {
    for (const field of FIELDS) {
      const keys = representativeKeys(view, field);
      if (!keys) continue;
      const { unkeyed, lists } = this.byField.get(field)!;
      const found: number[][] = [unkeyed];
      for (const k of keys) for (const name of lookedUp(k)) found.push(lists.get(name) ?? []);
      const all = found.flat().sort((a, b) => a - b);
      return all.filter((x, n) => n === 0 || all[n - 1] !== x);
    }
    return undefined;
  }
}

/** The keys of the first keyed condition on `field` in each alternative, all of the field's family; undefined when an alternative has none. */
function representativeKeys(view: RuleView, field: string): IndexKey[] | undefined {
  const family = FAMILIES[field]!;
  const out: IndexKey[] = [];
  for (const alt of view.alternatives) {
    const c = alt.get(field)?.find((x) => x.m.keys !== undefined);
    if (!c || !c.m.keys!.every((k) => family.has(k.kind))) return undefined;
    out.push(...c.m.keys!);
  }
  return out.length > 0 ? out : undefined;
}

/** Names a rule's key is filed under. */
function filed(k: IndexKey): string[] {
  const v = k.value;
  switch (k.kind) {
    case "host":
      return [`H:${v}`, ...dotSuffixes(v).map((s) => `HS:${s}`), ...dotPrefixes(v).map((p) => `HL:${p}`)];
    case "suffix":
      return [`S:${v}`, ...dotSuffixes(v).map((a) => `SA:${a}`), "ANY-SUFFIX"];
    case "label":
      return [`L:${v}`, "ANY-LABEL"];
    case "key":
      return [`K:${v}`];
    case "word":
      return [`W:${v}`];
    case "path":
      return [`P:${v}`, ...pathAncestors(v).map((a) => `PA:${a}`)];
  }
}

/** Names to look up for a later rule's key: every filed name whose key meets it. */
function lookedUp(k: IndexKey): string[] {
  const v = k.value;
  switch (k.kind) {
    case "host": // the same host; a suffix it ends in; a label it starts with
      return [`H:${v}`, ...dotSuffixes(v).map((s) => `S:${s}`), ...dotPrefixes(v).map((p) => `L:${p}`)];
    case "suffix": // hosts under it; the same suffix, one above it, one below it; every label (keysMeet says true)
      return [`HS:${v}`, `S:${v}`, ...dotSuffixes(v).map((a) => `S:${a}`), `SA:${v}`, "ANY-LABEL"];
    case "label": // hosts starting with it; every label and suffix (keysMeet says true)
      return [`HL:${v}`, "ANY-LABEL", "ANY-SUFFIX"];
    case "key":
      return [`K:${v}`];
    case "word":
      return [`W:${v}`];
    case "path": // the same path, one above it, one below it
      return [`P:${v}`, ...pathAncestors(v).map((a) => `P:${a}`), `PA:${v}`];
  }
}

/** `a.b.c` -> `b.c`, `c`: what follows each dot. */
function dotSuffixes(v: string): string[] {
  const out: string[] = [];
  for (let d = v.indexOf("."); d >= 0; d = v.indexOf(".", d + 1)) out.push(v.slice(d + 1));
  return out;
}

/** `a.b.c` -> `a`, `a.b`: what precedes each dot. */
function dotPrefixes(v: string): string[] {
  const out: string[] = [];
  for (let d = v.indexOf("."); d >= 0; d = v.indexOf(".", d + 1)) out.push(v.slice(0, d));
  return out;
}

/** `/a/b/c` -> `/a/b`, `/a/b/`, `/a`, `/a/`, `/`: every directory a path is under, spelled with and without the trailing `/` (rule-sets.ts `under`). */
function pathAncestors(v: string): string[] {
  const out = new Set<string>(["/"]);
  for (let s = v.indexOf("/"); s >= 0; s = v.indexOf("/", s + 1)) {
    if (s === 0) continue;
    out.add(v.slice(0, s));
    out.add(v.slice(0, s + 1));
  }
  out.delete(v);
  return [...out];
}

function push(lists: Map<string, number[]>, name: string, i: number): void {
  const l = lists.get(name);
  if (!l) lists.set(name, [i]);
  else if (l[l.length - 1] !== i) l.push(i);
}
