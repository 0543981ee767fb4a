/**
 * Which of many literal strings occur in a text, in one pass over the text
 * (Aho–Corasick): the cost is the text's length plus the strings found, not
 * the number of strings. The rule index uses one per field to find the rules
 * whose required literal text a request value contains (engine/factor-lists.ts).
 *
 * Strings are compared as UTF-16 code units, exactly as `String.includes`
 * does. The automaton is flat typed arrays (children sorted by code unit, a
 * direct table for ASCII at the root, where most of a text's characters are read), so
 * a 10,000-string set is a few megabytes and builds in milliseconds.
 */
const FEW = 4;

export class LiteralSet {
  /** the root's children for ASCII units, read directly (most of a text's characters are read at the root) */
  private readonly rootAscii = new Int32Array(128);
  private readonly first: Int32Array;
  private readonly count: Int32Array;
  private readonly edgeUnit: Uint16Array;
  private readonly edgeTo: Int32Array;
  private readonly fail: Int32Array;
  /** nearest node on the fail chain (itself included) where some string ends, or -1 */
  private readonly report: Int32Array;
  /** first string id ending at a node, -1 if none; `sameEnd` chains further ids (duplicates) */
  private readonly ends: Int32Array;
  private readonly sameEnd: Int32Array;
  private readonly seen: Uint32Array;
  private epoch = 0;
  private readonly words: readonly string[];

  constructor(words: readonly string[]) {
    this.words = words;
    // Trie while building: one map from (node, unit) to child, so no node's fan-out makes insertion slow.
    const child = new Map<number, number>();
    const endsAt: number[] = [-1];
    const parentOf: number[] = [-1];
    const unitOf: number[] = [0];
    const sameEnd = new Int32Array(words.length).fill(-1);
    words.forEach((w, id) => {
      if (w.length === 0) throw new RangeError("LiteralSet: an empty string occurs in every text");
      let n = 0;
      for (let i = 0; i < w.length; i++) {
        const u = w.charCodeAt(i);
        const key = n * 0x10000 + u;
        let next = child.get(key);
        if (next === undefined) {
          next = endsAt.length;
          child.set(key, next);
          endsAt.push(-1);
          parentOf.push(n);
          unitOf.push(u);
        }
        n = next;
      }
      sameEnd[id] = endsAt[n]!;
      endsAt[n] = id;
    });
    const nodes = endsAt.length;
    // Flat children: grouped by parent, sorted by unit (a counting pass, then one sort of the edges).
    this.first = new Int32Array(nodes);
    this.count = new Int32Array(nodes);
    for (let n = 1; n < nodes; n++) this.count[parentOf[n]!]!++;
    for (let n = 0, at = 0; n < nodes; n++) {
      this.first[n] = at;
      at += this.count[n]!;
    }
    const order = Array.from({ length: nodes - 1 }, (_, k) => k + 1).sort((a, b) => parentOf[a]! - parentOf[b]! || unitOf[a]! - unitOf[b]!);
    this.edgeUnit = new Uint16Array(nodes - 1);
    this.edgeTo = new Int32Array(nodes - 1);
    order.forEach((n, e) => {
      this.edgeUnit[e] = unitOf[n]!;
      this.edgeTo[e] = n;
      if (parentOf[n] === 0 && unitOf[n]! < 128) this.rootAscii[unitOf[n]!] = n;
    });
    this.ends = Int32Array.from(endsAt);
    this.sameEnd = sameEnd;
    this.fail = new Int32Array(nodes);
    this.report = new Int32Array(nodes).fill(-1);
    this.seen = new Uint32Array(nodes);
    // Fail links breadth first: a node's fail is the longest proper suffix of its text that is in the trie.
    const queue = new Int32Array(nodes);
    let head = 0;
    let tail = 0;
    for (let k = 0; k < this.count[0]!; k++) queue[tail++] = this.edgeTo[this.first[0]! + k]!;
    while (head < tail) {
      const n = queue[head++]!;
      this.report[n] = this.ends[n]! >= 0 ? n : this.report[this.fail[n]!]!;
      for (let k = 0; k < this.count[n]!; k++) {
        const u = this.edgeUnit[this.first[n]! + k]!;
        const child = this.edgeTo[this.first[n]! + k]!;
        this.fail[child] = n === 0 ? 0 : this.step(this.fail[n]!, u);
        queue[tail++] = child;
      }
    }
  }

  /**
   * Calls `found` once for every string id whose string occurs in `text`
   * (each at most once per call). Not reentrant: `found` must not scan.
   */
  scan(text: string, found: (id: number) => void): void {
    if (++this.epoch === 0xffffffff) {
      this.seen.fill(0);
      this.epoch = 1;
    }
    const epoch = this.epoch;
    // A few strings: the built-in search is faster than any automaton written in JavaScript.
    if (this.words.length <= FEW) {
      this.words.forEach((w, id) => text.includes(w) && found(id));
      return;
    }
    const { report, seen, ends, sameEnd } = this;
    let n = 0;
    for (let i = 0; i < text.length; i++) {
      n = this.step(n, text.charCodeAt(i));
      // Walk the suffixes that end strings, stopping at one already reported in this call (its own suffixes were, too).
      for (let r = report[n]!; r >= 0 && seen[r] !== epoch; r = report[this.fail[r]!]!) {
        seen[r] = epoch;
        for (let id = ends[r]!; id >= 0; id = sameEnd[id]!) found(id);
      }
    }
  }

  private step(from: number, unit: number): number {
    let n = from;
    for (;;) {
      if (n === 0) {
        if (unit < 128) return this.rootAscii[unit]!;
        const c = this.child(0, unit);
        return c > 0 ? c : 0;
      }
      const child = this.child(n, unit);
      if (child > 0) return child;
      n = this.fail[n]!;
    }
  }

  private child(n: number, unit: number): number {
    let lo = this.first[n]!;
    let hi = lo + this.count[n]! - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const u = this.edgeUnit[mid]!;
      if (u === unit) return this.edgeTo[mid]!;
      if (u < unit) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }
}
