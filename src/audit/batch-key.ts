import type { AuditBatch } from "./sink.js";

/** `<prefix>/YYYY/MM/DD/HH/<chain>/<first-seq>.jsonl`: object keys sort by time, then chain, then seq. */
export function batchKey(prefix: string, batch: AuditBatch): string {
  const t = batch.checkpoint.time;
  const path = `${t.slice(0, 4)}/${t.slice(5, 7)}/${t.slice(8, 10)}/${t.slice(11, 13)}/${batch.chain}/${String(batch.firstSeq).padStart(12, "0")}.jsonl`;
  return prefix ? `${prefix}/${path}` : path;
}
