import type { IndexKey, PatternOptions } from "../match/compiled-pattern.js";
import { foldTemplate, templateDirectory } from "../match/path-template.js";
import type { Subject } from "../request/subject.js";
import type { ConditionMatcher } from "./compile-test.js";
import { FactorLists, FactorSets } from "./factor-lists.js";
import { chooseFilings, type Filing } from "./rule-filing.js";

/**
 * First-match semantics without a linear scan. Each rule is filed under the
 * literal keys of its most selective condition (an env key, a host, a host
 * suffix, a command's first word, a path's literal directory), or under the
 * literal text that condition requires (factor-lists.ts), as rule-filing.ts
 * chooses; rules with neither go to `always`. A subject gathers the few lists
 * its own values select, and the answer is the lowest-numbered rule that
 * matches in any of them, which is exactly the rule a top-to-bottom scan
 * would have found (test/factor-index.test.ts checks it against that scan).
 *
 * A subject with run-time values (templates) gathers every list a value of
 * its templates could select (`candidates`): for a command, the words its
 * leading text could begin; for a path, everything under the directory its
 * leading text fixes (less one level per later segment that could be `..`),
 * or every path list when a hole could climb anywhere.
 */
export interface IndexedRule {
  index: number;
  /** the rule's top-level conditions, compiled (their `index` gives the keys) */
  conditions: readonly ConditionMatcher[];
  matches(s: Subject, nowMs: number): boolean;
}

type Lists = Map<string, number[]>;
/** What the buckets of one policy share: where each rule is filed (rule-filing.ts), and the factor lists. */
export interface SharedIndex {
  filings: ReadonlyArray<Filing | undefined>;
  factors: FactorSets;
}

/** Chooses every rule's filing and builds the factor lists, once per policy. */
export function sharedIndex(rules: readonly IndexedRule[]): SharedIndex {
  const filings = chooseFilings(
    rules,
    rules.map((r) => r.index),
  );
  const filed: Array<{ rule: number; field: string; factors: readonly string[] }> = [];
  filings.forEach((f, i) => {
    if (f && "field" in f) filed.push({ rule: i, field: f.field, factors: f.factors });
  });
  return { filings, factors: new FactorSets(filed, rules.length) };
}

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
  /** the bucket's rules filed under factors (undefined when there are none) */
  private readonly factors: FactorLists | undefined;
  private readonly factored: number;
  /** the bucket's own rules, in order, for explanations and the linear reference */
  readonly members: number[] = [];

  constructor(
    private readonly rules: readonly IndexedRule[],
    memberIndexes: readonly number[],
    shared: SharedIndex,
    private readonly opts: PatternOptions = {},
  ) {
    const filed: Array<{ rule: number; field: string; factors: readonly string[] }> = [];
    for (const i of memberIndexes) {
      this.members.push(i);
      const f = shared.filings[i];
      if (!f) this.always.push(i);
      else if ("keys" in f) for (const key of f.keys) this.add(key, i);
      else filed.push({ rule: i, field: f.field, factors: f.factors });
    }
    this.factors = filed.length > 0 ? new FactorLists(shared.factors, filed) : undefined;
    this.factored = filed.length;
  }

  /** How the bucket's rules are filed: scanned for every request, under keys, under factors (for tests and benchmarks). */
  stats(): { always: number; keyed: number; factored: number } {
    return { always: this.always.length, keyed: this.members.length - this.always.length - this.factored, factored: this.factored };
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
        // `smtp.*` is filed under `smtp`, `ab.b.*` under `ab.b`: every run of leading labels is a key
        for (let dot = h.indexOf("."); dot > 0; dot = h.indexOf(".", dot + 1)) best = scanKey(this.hostLabels, h.slice(0, dot), this.rules, s, nowMs, best);
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
    if (this.factors && best > 0) best = scan(this.factors.gather(s, best), this.rules, s, nowMs, best);
    return best === Infinity ? -1 : best;
  }

  /**
   * The rules, in order, that could match some value of a templated subject:
   * every rule outside this list has an indexed condition no value of the
   * subject can pass.
   */
  candidates(s: Subject): number[] {
    const lists: Array<readonly number[]> = [this.always];
    const add = (l: readonly number[] | undefined) => l && lists.push(l);
    // A key only known at run time (every variable, `env`) may be any key: every key list applies.
    if (s.templates?.key) for (const l of this.keys.values()) lists.push(l);
    else if (s.key !== undefined) add(this.keys.get(s.key));
    if (s.host !== undefined) {
      const h = s.host;
      add(this.hosts.get(h));
      for (let dot = h.indexOf("."); dot >= 0; dot = h.indexOf(".", dot + 1)) add(this.hostSuffixes.get(h.slice(dot + 1)));
      for (let dot = h.indexOf("."); dot > 0; dot = h.indexOf(".", dot + 1)) add(this.hostLabels.get(h.slice(0, dot)));
    }
    const tc = s.templates?.command;
    if (tc) {
      const head = typeof tc[0] === "string" ? tc[0] : "";
      const sp = head.indexOf(" ");
      if (sp >= 0) add(this.words.get(head.slice(0, sp)));
      else for (const [w, l] of this.words) if (w.startsWith(head)) lists.push(l);
    } else if (s.command !== undefined) {
      const sp = s.command.indexOf(" ");
      add(this.words.get(sp < 0 ? s.command : s.command.slice(0, sp)));
    }
    const tp = s.templates?.path;
    const dir = tp
      ? templateDirectory(this.opts.caseInsensitive ? foldTemplate(tp) : tp)
      : s.path === undefined
        ? undefined
        : s.path.split("/").filter((x) => x !== "");
    if (dir !== undefined) {
      let node: TrieNode | undefined = this.paths;
      add(node.rules);
      for (const seg of dir) {
        node = node.children.get(seg);
        if (!node) break;
        add(node.rules);
      }
      // Below the fixed directory, a template's value can reach any deeper rule.
      if (node && tp) for (const child of node.children.values()) collect(child, lists);
    }
    if (this.factors) this.factors.candidates(s, lists);
    const out = lists.flat().sort((a, b) => a - b);
    return out.filter((x, k) => k === 0 || out[k - 1] !== x);
  }

  private add(k: IndexKey, index: number): void {
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

function collect(node: TrieNode, lists: Array<readonly number[]>): void {
  if (node.rules.length > 0) lists.push(node.rules);
  for (const c of node.children.values()) collect(c, lists);
}

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
