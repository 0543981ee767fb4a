import { compileHostPattern } from "../match/host-pattern.js";
import { compilePathPattern } from "../match/path-glob.js";
import { compileWildcard } from "../match/wildcard.js";
import type { Condition, FieldTest, Scalar } from "../policy/ir.js";
import { normalizeHost } from "../net/host-name.js";
import { normalizePath } from "../request/normalize-path.js";
import type { Subject } from "../request/subject.js";

/**
 * First-match semantics without a linear scan. Each rule is filed under one
 * literal key taken from its most selective condition (an env key, a host, a
 * host suffix, a command's first word, a path's literal directory); rules
 * without one go to `always`. A subject gathers the few lists its own values
 * select, and the answer is the lowest-numbered rule that matches in any of
 * them, which is exactly the rule a top-to-bottom scan would have found.
 */
export interface IndexedRule {
  index: number;
  when: readonly Condition[];
  matches(s: Subject, nowMs: number): boolean;
}

type Lists = Map<string, number[]>;

interface TrieNode {
  rules: number[];
  children: Map<string, TrieNode>;
}

export class RuleBucket {
  private readonly always: number[] = [];
  private readonly keys: Lists = new Map();
  private readonly hosts: Lists = new Map();
  private readonly hostSuffixes: Lists = new Map();
  private readonly hostLabels: Lists = new Map();
  private readonly words: Lists = new Map();
  private readonly paths: TrieNode = { rules: [], children: new Map() };
  /** the bucket's own rules, in order, for explanations */
  readonly members: number[] = [];

  constructor(
    private readonly rules: readonly IndexedRule[],
    memberIndexes: readonly number[],
    cwd: string | undefined,
  ) {
    for (const i of memberIndexes) {
      this.members.push(i);
      if (!this.file(this.rules[i]!, cwd)) this.always.push(i);
    }
  }

  /** Index of the first matching rule, or -1. */
  firstMatch(s: Subject, nowMs: number): number {
    let best = scan(this.always, this.rules, s, nowMs, Infinity);
    if (s.key !== undefined) best = scanKey(this.keys, s.key, this.rules, s, nowMs, best);
    if (s.host !== undefined) {
      const h = s.host;
      best = scanKey(this.hosts, h, this.rules, s, nowMs, best);
      if (this.hostSuffixes.size > 0) {
        for (let dot = h.indexOf("."); dot >= 0; dot = h.indexOf(".", dot + 1)) {
          best = scanKey(this.hostSuffixes, h.slice(dot + 1), this.rules, s, nowMs, best);
        }
      }
      if (this.hostLabels.size > 0) {
        const dot = h.indexOf(".");
        if (dot > 0) best = scanKey(this.hostLabels, h.slice(0, dot), this.rules, s, nowMs, best);
      }
    }
    if (s.command !== undefined && this.words.size > 0) {
      const sp = s.command.indexOf(" ");
      best = scanKey(this.words, sp < 0 ? s.command : s.command.slice(0, sp), this.rules, s, nowMs, best);
    }
    if (s.path !== undefined) {
      let node: TrieNode | undefined = this.paths;
      best = scan(node.rules, this.rules, s, nowMs, best);
      let start = 1;
      const p = s.path;
      while (node && start < p.length) {
        let end = p.indexOf("/", start);
        if (end < 0) end = p.length;
        node = node.children.get(p.slice(start, end));
        if (node) best = scan(node.rules, this.rules, s, nowMs, best);
        start = end + 1;
      }
    }
    return best === Infinity ? -1 : best;
  }

  /** Files a rule under a literal key; false when no condition gives one. */
  private file(rule: IndexedRule, cwd: string | undefined): boolean {
    for (const field of ["key", "host", "command", "path"] as const) {
      for (const c of rule.when) {
        if (c.kind !== "field" || c.field !== field) continue;
        const keys = literalKeys(c.test, field, cwd);
        if (!keys) continue;
        for (const k of keys) this.add(k, rule.index);
        return true;
      }
    }
    return false;
  }

  private add(k: Key, index: number): void {
    if (k.kind === "path") {
      let node = this.paths;
      for (const seg of k.value.split("/")) {
        if (seg === "") continue;
        let next = node.children.get(seg);
        if (!next) node.children.set(seg, (next = { rules: [], children: new Map() }));
        node = next;
      }
      push(node.rules, index);
      return;
    }
    const lists = { key: this.keys, host: this.hosts, suffix: this.hostSuffixes, label: this.hostLabels, word: this.words }[k.kind];
    let list = lists.get(k.value);
    if (!list) lists.set(k.value, (list = []));
    push(list, index);
  }
}

type Key = { kind: "key" | "host" | "suffix" | "label" | "word" | "path"; value: string };

function push(list: number[], index: number): void {
  if (list[list.length - 1] !== index) list.push(index);
}

function scan(list: readonly number[], rules: readonly IndexedRule[], s: Subject, nowMs: number, best: number): number {
  for (let k = 0; k < list.length; k++) {
    const i = list[k]!;
    if (i >= best) return best;
    if (rules[i]!.matches(s, nowMs)) return i;
  }
  return best;
}

function scanKey(lists: Lists, key: string, rules: readonly IndexedRule[], s: Subject, nowMs: number, best: number): number {
  const list = lists.get(key);
  return list ? scan(list, rules, s, nowMs, best) : best;
}

/**
 * The literal keys under which every value passing `t` is found, or undefined
 * when `t` admits values no literal key can name.
 */
function literalKeys(t: FieldTest, field: "key" | "host" | "command" | "path", cwd: string | undefined): Key[] | undefined {
  const many = (values: readonly Scalar[]): Key[] | undefined => {
    const out: Key[] = [];
    for (const v of values) {
      if (typeof v !== "string") return undefined;
      const k = exactKey(v, field, cwd);
      if (!k) return undefined;
      out.push(k);
    }
    return out;
  };
  switch (t.op) {
    case "eq":
      return many([t.value]);
    case "in":
      return many(t.values);
    case "any": {
      const out: Key[] = [];
      for (const x of t.tests) {
        const k = literalKeys(x, field, cwd);
        if (!k) return undefined;
        out.push(...k);
      }
      return out;
    }
    case "all": {
      for (const x of t.tests) {
        const k = literalKeys(x, field, cwd);
        if (k) return k;
      }
      return undefined;
    }
    case "glob":
      return globKeys(t.pattern, field, cwd);
    default:
      return undefined;
  }
}

function exactKey(v: string, field: "key" | "host" | "command" | "path", cwd: string | undefined): Key | undefined {
  switch (field) {
    case "key":
      return { kind: "key", value: v };
    case "host": {
      const h = normalizeHost(v);
      return h.ok ? { kind: "host", value: h.host } : undefined;
    }
    case "command":
      return { kind: "word", value: v.split(" ")[0]! };
    case "path": {
      const p = normalizePath(v, cwd);
      return p.ok ? { kind: "path", value: p.path } : undefined;
    }
  }
}

function globKeys(pattern: string, field: "key" | "host" | "command" | "path", cwd: string | undefined): Key[] | undefined {
  switch (field) {
    case "host": {
      const r = compileHostPattern(pattern);
      if (!r.ok) return undefined;
      const k = r.matcher.key;
      if (k.kind === "exact") return [{ kind: "host", value: k.host }];
      if (k.kind === "suffix") return [{ kind: "suffix", value: k.suffix }];
      if (k.kind === "first-label") return [{ kind: "label", value: k.label }];
      return undefined;
    }
    case "path": {
      const r = compilePathPattern(pattern, cwd);
      return r.ok && r.matcher.bases ? r.matcher.bases.map((value) => ({ kind: "path" as const, value })) : undefined;
    }
    case "key": {
      const alts = compileWildcard(pattern).alternatives;
      return alts.every((a) => a.exact) ? alts.map((a) => ({ kind: "key" as const, value: a.prefix })) : undefined;
    }
    case "command": {
      // Indexable when every alternative fixes the first word: all literal, or a
      // literal prefix that already contains the space ending the first word.
      const out: Key[] = [];
      for (const a of compileWildcard(pattern).alternatives) {
        const sp = a.prefix.indexOf(" ");
        if (sp > 0) out.push({ kind: "word", value: a.prefix.slice(0, sp) });
        else if (a.exact && a.prefix !== "") out.push({ kind: "word", value: a.prefix });
        else return undefined;
      }
      return out;
    }
  }
}
