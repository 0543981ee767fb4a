import { toOcsf } from "./ocsf.js";
import type { AuditBatch } from "./sink.js";

export type AuditFormat = "json" | "ocsf";

/** NDJSON lines of a batch: one per record, then the checkpoint. */
export function batchLines(batch: AuditBatch, format: AuditFormat = "json"): string[] {
  const lines = batch.records.map((r) => JSON.stringify(format === "ocsf" ? toOcsf(r) : r));
  lines.push(JSON.stringify(batch.checkpoint));
  return lines;
}
