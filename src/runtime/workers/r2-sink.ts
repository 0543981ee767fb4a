import { batchKey } from "../../audit/batch-key.js";
import { batchLines, type AuditFormat } from "../../audit/lines.js";
import type { AuditBatch, AuditSink } from "../../audit/sink.js";

/** The part of an R2 bucket binding the sink uses. */
export interface R2BucketLike {
  put(key: string, value: string, options?: { httpMetadata?: { contentType?: string }; onlyIf?: { etagDoesNotMatch?: string } }): Promise<unknown | null>;
}

/** Audit batches to an R2 binding, one object per batch, never overwriting (`put` returns null when the key exists). */
export class R2Sink implements AuditSink {
  readonly name = "r2";
  constructor(
    private readonly bucket: R2BucketLike,
    private readonly prefix: string,
    private readonly format: AuditFormat = "json",
  ) {}

  async write(batch: AuditBatch): Promise<void> {
    const key = batchKey(this.prefix, batch);
    const r = await this.bucket.put(key, batchLines(batch, this.format).join("\n") + "\n", {
      httpMetadata: { contentType: "application/x-ndjson" },
      onlyIf: { etagDoesNotMatch: "*" },
    });
    if (r === null) throw new Error(`r2 object ${key} already exists; not overwriting it`);
  }
}
