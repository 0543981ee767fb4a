/**
 * The hashes of a chain's most recent records, seq -> hash, at most `size` of
 * them: what verification needs to look back at (a checkpoint vouching for a
 * record it follows, a duplicate told apart from a replacement, a retried batch
 * after a torn write, a later chain naming where this one stopped). Memory is
 * bounded per chain however long the trail is; what falls out of the window
 * can no longer be looked up, and the verifier says so instead of guessing.
 *
 * A checkpoint makes everything before it acknowledged, so `settle` drops all
 * but the last few hashes before it: a finished chain keeps only a handful.
 */
export const RECENT_HASHES = 4096;
const KEPT_BEHIND_CHECKPOINT = 16;

export class RecentHashes {
  private readonly bySeq = new Map<number, string>();
  private oldest = Infinity;

  constructor(private readonly size = RECENT_HASHES) {}

  add(seq: number, hash: string): void {
    this.bySeq.set(seq, hash);
    if (seq < this.oldest) this.oldest = seq;
    while (this.bySeq.size > this.size) this.bySeq.delete(this.oldest++);
  }

  get(seq: number): string | undefined {
    return this.bySeq.get(seq);
  }

  /** the checkpoint at `seq` was verified: forget hashes well before it */
  settle(seq: number): void {
    const keepFrom = seq - KEPT_BEHIND_CHECKPOINT;
    while (this.oldest < keepFrom && this.bySeq.size > 0) this.bySeq.delete(this.oldest++);
  }
}
