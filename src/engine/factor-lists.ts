import { LiteralSet } from "../match/aho-corasick.js";
import { fieldGetter, type Subject } from "../request/subject.js";
import { templateOf } from "./compile-test.js";

/**
 * The rules filed under required literal text (rule-filing.ts), one
 * Aho–Corasick set per field: a request value is read once, and the rules
 * whose text it contains are its candidates, whatever their number. A rule
 * filed here cannot match a value without its text (FieldMatcher.factors), so
 * the candidates hold every rule that can match: the first match among them,
 * with the other lists, is the first match of a top-to-bottom scan.
 */
interface Group {
  field: string;
  get: (s: Subject) => unknown;
  set: LiteralSet;
  /** rules per factor id, ascending */
  lists: number[][];
  /** every rule of the group, ascending (a templated value may hold any text) */
  all: number[];
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
    for (const [field, g] of byField) this.groups.push({ field, get: fieldGetter(field), set: new LiteralSet([...g.ids.keys()]), lists: g.lists, all: g.all });
    this.seen = new Uint32Array(ruleCount);
  }

  get size(): number {
    return this.groups.length;
  }

  /** the number of rules filed here */
  get ruleCount(): number {
    return this.groups.reduce((n, g) => n + g.all.length, 0);
  }

  /** The rules below `cap` whose text the subject's values contain, ascending, each once; fields in `skip` are not read. */
  gather(s: Subject, cap: number, skip?: (field: string) => boolean): number[] {
    const out: number[] = [];
    if (++this.epoch === 0xffffffff) {
      this.seen.fill(0);
      this.epoch = 1;
    }
    const epoch = this.epoch;
    const seen = this.seen;
    for (const g of this.groups) {
      if (skip?.(g.field)) continue;
      const v = g.get(s);
      // Factors bound strings and numbers only (FieldMatcher.factors): any other value passes none of these rules.
      const text = typeof v === "string" ? v : typeof v === "number" ? String(v) : undefined;
      if (text === undefined) continue;
      const lists = g.lists;
      g.set.scan(text, (id) => {
        for (const i of lists[id]!) {
          if (i >= cap) break;
          if (seen[i] !== epoch) {
            seen[i] = epoch;
            out.push(i);
          }
        }
      });
    }
    return out.length > 1 ? out.sort((a, b) => a - b) : out;
  }

  /** For a subject with run-time values: a field it holds a template of may contain any text, so all its rules are candidates. */
  candidates(s: Subject, into: Array<readonly number[]>): void {
    const templated = (field: string) => templateOf(s, field) !== undefined;
    for (const g of this.groups) if (templated(g.field)) into.push(g.all);
    into.push(this.gather(s, Infinity, templated));
  }
}
