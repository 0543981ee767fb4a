import type { AuditFormat } from "../../audit/lines.js";
import { ObjectStoreSink, type ObjectStore } from "../../audit/object-sink.js";

/** The part of an R2 bucket binding the sink uses. */
export interface R2BucketLike {
  put(key: string, value: string, options?: { httpMetadata?: { contentType?: string }; onlyIf?: { etagDoesNotMatch?: string } }): Promise<unknown>;
  get(key: string): Promise<{ text(): Promise<string> } | null>;
}

/** An R2 binding as an object store: `put` with `onlyIf` returns null when the key exists. */
class R2Store implements ObjectStore {
  readonly name = "r2";
  constructor(private readonly bucket: R2BucketLike) {}

  locate(key: string): string {
    return `r2://${key}`;
  }

  async putIfAbsent(key: string, body: string): Promise<"created" | "exists"> {
    const r = await this.bucket.put(key, body, { httpMetadata: { contentType: "application/x-ndjson" }, onlyIf: { etagDoesNotMatch: "*" } });
    return r === null ? "exists" : "created";
  }

  async get(key: string): Promise<string | undefined> {
    const o = await this.bucket.get(key);
    return o === null ? undefined : o.text();
  }
}

/** Audit batches to an R2 binding, one object per batch, with the shared never-overwrite delivery (audit/object-sink.ts). */
export class R2Sink extends ObjectStoreSink {
  constructor(bucket: R2BucketLike, prefix: string, format: AuditFormat = "json", log?: (message: string) => void) {
    super(new R2Store(bucket), { prefix, format, ...(log ? { log } : {}) });
  }
}
