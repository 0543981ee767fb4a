import { sha256HexSync } from "../crypto/sha256.js";
import { batchKey } from "./batch-key.js";
import { batchLines, type AuditFormat } from "./lines.js";
import type { AuditBatch, AuditSink, SinkWriteOptions } from "./sink.js";

/**
 * What an object store must do for the audit sink: create an object only if
 * its key is free, and read one back. S3 through the AWS SDK (Node, Lambda),
 * S3 through signed fetch and R2 bindings (Workers) each implement these two
 * calls; the delivery logic below is the one implementation they share.
 */
export interface ObjectStore {
  /** `s3`, `r2`: names the sink in messages and readiness */
  readonly name: string;
  /** how a key is shown to people: `s3://bucket/key` */
  locate(key: string): string;
  /** creates the object unless the key exists; "exists" when it does (S3's 412) */
  putIfAbsent(key: string, body: string, signal?: AbortSignal): Promise<"created" | "exists">;
  /** the object's body, undefined when there is none; throws when it cannot be read (permissions) */
  get(key: string, signal?: AbortSignal): Promise<string | undefined>;
}

export class ReadBackError extends Error {}

/**
 * One object per batch at `<prefix>/YYYY/MM/DD/HH/<chain>/<first-seq>.jsonl`,
 * never overwritten. A batch is immutable (AuditLog hands every retry the same
 * batch), so its key and bytes are the same on every attempt, and a key that
 * already exists is checked by reading it back:
 * - same bytes: an earlier attempt landed and its answer was lost: success;
 * - other bytes: someone else wrote there (a second writer sharing the chain
 *   id, or a forgery). Ours is not lost and theirs not overwritten: the batch
 *   goes beside it at `<first-seq>.conflict-<sha256 of ours, 16 hex>.jsonl`,
 *   loudly, and `audit verify` then shows both;
 * - cannot read back (no s3:GetObject): the batch counts as failed and is
 *   retried, since the sink cannot tell a lost answer from a foreign object.
 *   The IAM policies in infra/ grant GetObject on the sink's own prefix.
 */
export interface ObjectSinkOptions {
  prefix: string;
  format?: AuditFormat;
  /** tries of one write before it is reported failed (the AuditLog retries after that); default 3 */
  attempts?: number;
  log?: (message: string) => void;
}

export class ObjectStoreSink implements AuditSink {
  readonly name: string;
  private readonly bodies = new WeakMap<AuditBatch, string>();

  constructor(
    private readonly store: ObjectStore,
    private readonly opts: ObjectSinkOptions,
  ) {
    this.name = store.name;
  }

  async write(batch: AuditBatch, opts: SinkWriteOptions = {}): Promise<void> {
    let body = this.bodies.get(batch);
    if (body === undefined) {
      body = batchLines(batch, this.opts.format ?? "json").join("\n") + "\n";
      this.bodies.set(batch, body);
    }
    const key = batchKey(this.opts.prefix, batch);
    if (await this.place(key, body, opts.signal)) return;
    const aside = key.replace(/\.jsonl$/, `.conflict-${sha256HexSync(body).slice(0, 16)}.jsonl`);
    this.opts.log?.(
      `safeclaw audit: ${this.store.locate(key)} already exists with other content (another writer with this chain id, or a forged object); not overwriting it: records ${batch.firstSeq}-${batch.lastSeq} go to ${this.store.locate(aside)}`,
    );
    if (await this.place(aside, body, opts.signal)) return;
    throw new Error(`${this.store.locate(aside)} already exists with other content too; not overwriting it`);
  }

  /** true when `key` holds `body` (written now or by an earlier attempt); false when it holds something else. */
  private async place(key: string, body: string, signal: AbortSignal | undefined): Promise<boolean> {
    const attempts = this.opts.attempts ?? 3;
    let last: unknown;
    for (let attempt = 0; attempt < attempts; attempt++) {
      if (attempt > 0) await sleep(100 * 2 ** (attempt - 1) * (0.5 + Math.random()), signal);
      signal?.throwIfAborted();
      let put: "created" | "exists";
      try {
        put = await this.store.putIfAbsent(key, body, signal);
      } catch (e) {
        if (signal?.aborted) throw e;
        last = e;
        continue;
      }
      if (put === "created") return true;
      let existing: string | undefined;
      try {
        existing = await this.store.get(key, signal);
      } catch (e) {
        throw new ReadBackError(
          `${this.store.locate(key)} exists and cannot be read back to compare (${message(e)}): the sink needs read access (s3:GetObject) on its prefix to tell a retried batch from a foreign object`,
        );
      }
      if (existing === body) return true;
      if (existing !== undefined) return false;
      // Gone between the two calls (a lifecycle rule, a person): put it again.
    }
    throw new Error(`writing ${this.store.locate(key)} failed after ${attempts} attempts: ${message(last)}`);
  }
}

function message(e: unknown): string {
  return (e as Error)?.message ?? String(e);
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason as Error);
    const t = setTimeout(resolve, ms);
    signal?.addEventListener(
      "abort",
      () => {
        clearTimeout(t);
        reject(signal.reason as Error);
      },
      { once: true },
    );
  });
}
