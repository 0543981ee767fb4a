import type { AuditRecord, Checkpoint } from "./record.js";

/** One flush: the records of one chain, in order, and the checkpoint that vouches for them. */
export interface AuditBatch {
  chain: string;
  firstSeq: number;
  lastSeq: number;
  records: AuditRecord[];
  checkpoint: Checkpoint;
}

/**
 * Where batches go. `write` resolves only once the batch is durable there.
 * The writer calls it again with the very same batch object after a failure or
 * a missed deadline (never while an earlier call for it is still running), so
 * a sink must make a repeated write of one batch land once: the same bytes to
 * the same key, or nothing appended twice. `signal` aborts at the deadline.
 */
export interface AuditSink {
  readonly name: string;
  write(batch: AuditBatch, opts?: SinkWriteOptions): Promise<void>;
}

export interface SinkWriteOptions {
  signal?: AbortSignal;
}
