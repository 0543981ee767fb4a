import { LiteralSet } from "../match/aho-corasick.js";
import { fieldGetter, type Subject } from "../request/subject.js";
import { templateOf } from "./compile-test.js";

/**
 * The rules filed under required literal text (rule-filing.ts), one
 * Aho–Corasick set per field for the whole policy: a request value is read
 * once, and the rules whose text it contains are its candidates, whatever
 * their number. A rule filed here cannot match a value without its text
 * (FieldMatcher.factors), so the candidates hold every rule that can match:
 * the first match among them, with the other lists, is the first match of a
 * top-to-bottom scan.
 *
 * One set per policy, not per action bucket: action names (custom ones
 * included) select different rules, and each building its own automaton over
 * the same `*` rules would cost memory per name. A bucket passes its members
 * as a filter instead. A field's last text and what it contained are kept, so
 * the parts of one shell line, which share the request's `context`, read it
 * once.
 */
interface Group {
  field: string;
  get: (s: Subject) => unknown;
  set: LiteralSet;
  /** rules per factor id, ascending */
  lists: number[][];
  /** every rule of the group, ascending (a templated value may hold any text) */
  all: number[];
  lastText: string | undefined;
  /** the rules whose text `lastText` contains, ascending, each once */
  lastHits: number[];
}

export class FactorLists {
  private readonly groups: Group[] = [];
  private readonly seen: Uint32Array;
  private epoch = 0;

  constructor(filed: ReadonlyArray<{ rule: number; field: string; factors: readonly string[] }>, ruleCount: number) {
    const byField = new Map<string, { ids: Map<string, number>; lists: number[][]; all: number[] }>();
    for (const f of filed) {
      let g = byField.get(f.field);
      if (!g) byField.set(f.field, (g = { ids: new Map(), lists: [], all: [] }));
      if (g.all[g.all.length - 1] !== f.rule) g.all.push(f.rule);
      for (const text of f.factors) {
        let id = g.ids.get(text);
        if (id === undefined) {
          g.ids.set(text, (id = g.lists.length));
          g.lists.push([]);
        }
        const list = g.lists[id]!;
        if (list[list.length - 1] !== f.rule) list.push(f.rule);
      }
    }
    for (const [field, g] of byField)
      this.groups.push({
        field,
        get: fieldGetter(field),
        set: new LiteralSet([...g.ids.keys()]),
        lists: g.lists,
        all: g.all,
        lastText: undefined,
        lastHits: [],
      });
    this.seen = new Uint32Array(ruleCount);
  }

  /**
   * The rules below `cap` that are `members` of the asking bucket and whose text
   * the subject's values contain, ascending, each once; fields in `skip` are not read.
   */
  gather(s: Subject, cap: number, members: Uint8Array, skip?: (field: string) => boolean): number[] {
    const out: number[] = [];
    const epoch = this.nextEpoch();
    const seen = this.seen;
    for (const g of this.groups) {
      // Nothing in this field can come before the rule already found: do not read it.
      if (g.all[0]! >= cap || skip?.(g.field)) continue;
      const v = g.get(s);
      // Factors bound strings and numbers only (FieldMatcher.factors): any other value passes none of these rules.
      const text = typeof v === "string" ? v : typeof v === "number" ? String(v) : undefined;
      if (text === undefined) continue;
      for (const i of this.hitsOf(g, text)) {
        if (i >= cap) break;
        if (members[i] === 1 && seen[i] !== epoch) {
          seen[i] = epoch;
          out.push(i);
        }
      }
    }
    return out.length > 1 ? out.sort((a, b) => a - b) : out;
  }

  /** For a subject with run-time values: a field it holds a template of may contain any text, so all its rules are candidates. */
  candidates(s: Subject, members: Uint8Array, into: Array<readonly number[]>): void {
    const templated = (field: string) => templateOf(s, field) !== undefined;
    for (const g of this.groups) if (templated(g.field)) into.push(g.all.filter((i) => members[i] === 1));
    into.push(this.gather(s, Infinity, members, templated));
  }

  /** Every rule of a field whose text occurs in `text`, ascending. */
  private hitsOf(g: Group, text: string): readonly number[] {
    if (text === g.lastText) return g.lastHits;
    const found: number[] = [];
    g.set.scan(text, (id) => {
      for (const i of g.lists[id]!) found.push(i);
    });
    // A rule with several factors (alternatives) can be found more than once.
    found.sort((a, b) => a - b);
    const hits = found.filter((x, k) => k === 0 || found[k - 1] !== x);
    g.lastText = text;
    g.lastHits = hits;
    return hits;
  }

  private nextEpoch(): number {
    if (++this.epoch === 0xffffffff) {
      this.seen.fill(0);
      this.epoch = 1;
    }
    return this.epoch;
  }
}
