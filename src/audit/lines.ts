import { toOcsf } from "./ocsf.js";
import type { AuditBatch } from "./sink.js";

export type AuditFormat = "json" | "ocsf";

/**
 * NDJSON lines of a batch: one per record, then the checkpoint. In OCSF the
 * checkpoint is an event too (its native object in `unmapped.safeclaw`), so an
 * OCSF stream holds only OCSF events and still verifies with its signatures.
 */
export function batchLines(batch: AuditBatch, format: AuditFormat = "json"): string[] {
  const lines = batch.records.map((r) => JSON.stringify(format === "ocsf" ? toOcsf(r) : r));
  lines.push(JSON.stringify(format === "ocsf" ? toOcsf(batch.checkpoint) : batch.checkpoint));
  return lines;
}
