import type { AuditRecord, Checkpoint } from "./record.js";

/** One flush: the records of one chain, in order, and the checkpoint that vouches for them. */
export interface AuditBatch {
  chain: string;
  firstSeq: number;
  lastSeq: number;
  records: AuditRecord[];
  checkpoint: Checkpoint;
}

/** Where batches go. `write` resolves only once the batch is durable there. */
export interface AuditSink {
  readonly name: string;
  write(batch: AuditBatch): Promise<void>;
}
