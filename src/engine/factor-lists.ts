import { LiteralSet } from "../match/aho-corasick.js";
import { fieldGetter, type Subject } from "../request/subject.js";
import { templateOf } from "./compile-test.js";

/**
 * The rules filed under required literal text (rule-filing.ts). A rule filed
 * here cannot match a value without its text (FieldMatcher.factors), so the
 * rules whose text a request value contains hold every such rule that can
 * match: the first match among them, with the other lists, is the first match
 * of a top-to-bottom scan.
 *
 * Two levels. `FactorSets` is per policy: one Aho–Corasick set per field over
 * every factor of the policy, so a value is read once whatever the number of
 * rules, and action names (custom ones included) do not each build an
 * automaton over the same `*` rules. Each field remembers its last text and
 * the factors found in it, so the parts of one shell line, which share the
 * request's `context`, read it once. `FactorLists` is per action bucket: from
 * a factor found to the bucket's own rules filed under it, so a decision
 * walks only rules of its action, however many other actions share the text.
 */
export interface FieldSet {
  get: (s: Subject) => unknown;
  set: LiteralSet;
  ids: Map<string, number>;
  lastText: string | undefined;
  /** the factor ids found in `lastText` */
  lastFound: readonly number[];
}

export class FactorSets {
  private readonly fields = new Map<string, FieldSet>();
  /** marks for de-duplicating rules within one gather (shared: gathering is never reentrant) */
  readonly seen: Uint32Array;
  private epoch = 0;

  constructor(filed: ReadonlyArray<{ field: string; factors: readonly string[] }>, ruleCount: number) {
    const words = new Map<string, Map<string, number>>();
    for (const f of filed) {
      let ids = words.get(f.field);
      if (!ids) words.set(f.field, (ids = new Map()));
      for (const text of f.factors) if (!ids.has(text)) ids.set(text, ids.size);
    }
    for (const [field, ids] of words)
      this.fields.set(field, { get: fieldGetter(field), set: new LiteralSet([...ids.keys()]), ids, lastText: undefined, lastFound: [] });
    this.seen = new Uint32Array(ruleCount);
  }

  /** A field's set (it must be one the sets were built with). */
  fieldSet(field: string): FieldSet {
    return this.fields.get(field)!;
  }

  /** The field's value read as text: strings and numbers only, since factors bound nothing else (condition-factors.ts). */
  textOf(f: FieldSet, s: Subject): string | undefined {
    const v = f.get(s);
    return typeof v === "string" ? v : typeof v === "number" ? String(v) : undefined;
  }

  /** The ids of the field's factors that occur in `text`. */
  found(f: FieldSet, text: string): readonly number[] {
    if (text === f.lastText) return f.lastFound;
    const ids: number[] = [];
    f.set.scan(text, (id) => ids.push(id));
    f.lastText = text;
    f.lastFound = ids;
    return ids;
  }

  nextEpoch(): number {
    if (++this.epoch === 0xffffffff) {
      this.seen.fill(0);
      this.epoch = 1;
    }
    return this.epoch;
  }
}

interface BucketField {
  field: string;
  set: FieldSet;
  /** the bucket's rules per factor id, ascending */
  lists: Map<number, number[]>;
  /** every rule of the bucket filed under this field, ascending (a templated value may hold any text) */
  all: number[];
}

export class FactorLists {
  private readonly fields: BucketField[] = [];

  constructor(
    private readonly sets: FactorSets,
    filed: ReadonlyArray<{ rule: number; field: string; factors: readonly string[] }>,
  ) {
    const byField = new Map<string, BucketField>();
    for (const f of filed) {
      let g = byField.get(f.field);
      if (!g) byField.set(f.field, (g = { field: f.field, set: sets.fieldSet(f.field), lists: new Map(), all: [] }));
      if (g.all[g.all.length - 1] !== f.rule) g.all.push(f.rule);
      for (const text of f.factors) {
        const id = g.set.ids.get(text)!;
        let list = g.lists.get(id);
        if (!list) g.lists.set(id, (list = []));
        if (list[list.length - 1] !== f.rule) list.push(f.rule);
      }
    }
    this.fields = [...byField.values()];
  }

  /** The bucket's rules below `cap` whose text the subject's values contain, ascending, each once; fields in `skip` are not read. */
  gather(s: Subject, cap: number, skip?: (field: string) => boolean): number[] {
    const out: number[] = [];
    const sets = this.sets;
    const epoch = sets.nextEpoch();
    const seen = sets.seen;
    for (const g of this.fields) {
      // Nothing in this field can come before the rule already found: do not read it.
      if (g.all[0]! >= cap || skip?.(g.field)) continue;
      const text = sets.textOf(g.set, s);
      if (text === undefined) continue;
      for (const id of sets.found(g.set, text)) {
        const list = g.lists.get(id);
        if (!list) continue;
        for (const i of list) {
          if (i >= cap) break;
          if (seen[i] !== epoch) {
            seen[i] = epoch;
            out.push(i);
          }
        }
      }
    }
    return out.length > 1 ? out.sort((a, b) => a - b) : out;
  }

  /** For a subject with run-time values: a field it holds a template of may contain any text, so all its rules are candidates. */
  candidates(s: Subject, into: Array<readonly number[]>): void {
    const templated = (field: string) => templateOf(s, field) !== undefined;
    for (const g of this.fields) if (templated(g.field)) into.push(g.all);
    into.push(this.gather(s, Infinity, templated));
  }
}
