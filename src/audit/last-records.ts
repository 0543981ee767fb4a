import type { Line } from "./verify.js";

/**
 * `audit verify --last N` on a stream read once: per chain, its last N record
 * lines and the lines of that chain that followed them (checkpoints, a torn
 * line), in order. One pass over any source, stdin included; memory is
 * N × chains lines, not the trail. The verifier replays them chain by chain
 * with each chain's first kept record taken on trust.
 */
export class LastRecords {
  private readonly byChain = new Map<string, Tail>();

  constructor(private readonly n: number) {}

  add(chain: string, line: Line, isRecord: boolean): void {
    let t = this.byChain.get(chain);
    if (!t) this.byChain.set(chain, (t = new Tail()));
    t.add(line, isRecord, this.n);
  }

  /** the chains with at least one record: a torn line or a checkpoint naming a chain does not make it present */
  chains(): string[] {
    return [...this.byChain].filter(([, t]) => t.hasRecords).map(([chain]) => chain);
  }

  *lines(): Generator<Line> {
    for (const t of this.byChain.values()) yield* t.lines();
  }
}

class Tail {
  private entries: Array<{ line: Line; isRecord: boolean }> = [];
  private start = 0;
  private records = 0;

  get hasRecords(): boolean {
    return this.records > 0;
  }

  add(line: Line, isRecord: boolean, n: number): void {
    this.entries.push({ line, isRecord });
    if (!isRecord) return;
    this.records++;
    if (this.records <= n) return;
    // Drop the oldest record, what came before it, and what followed it up to the next record (its checkpoint).
    while (!this.entries[this.start]!.isRecord) this.start++;
    this.start++;
    while (this.start < this.entries.length && !this.entries[this.start]!.isRecord) this.start++;
    this.records--;
    if (this.start > 1024 && this.start * 2 > this.entries.length) {
      this.entries = this.entries.slice(this.start);
      this.start = 0;
    }
  }

  *lines(): Generator<Line> {
    for (let i = this.start; i < this.entries.length; i++) yield this.entries[i]!.line;
  }
}
