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
  /**
   * The first `maxBytes` bytes of the object (a ranged read: a huge foreign object at
   * our key must not be downloaded on every retry), undefined when there is none;
   * throws when it cannot be read (permissions).
   */
  get(key: string, signal?: AbortSignal, maxBytes?: number): Promise<string | undefined>;
}

export class ReadBackError extends Error {}

/** What a store throws when the read is refused (401/403): a missing permission, not a passing fault. */
export class ReadDeniedError extends Error {}

/**
 * One object per batch at `<prefix>/YYYY/MM/DD/HH/<chain>/<first-seq>.jsonl`,
 * never overwritten. A batch is immutable (AuditLog hands every retry the same
 * batch), so its key and bytes are the same on every attempt, and a key that
 * already exists is checked by reading it back:
 * - same bytes: an earlier attempt landed and its answer was lost: success;
 * - other bytes: someone else wrote there (a second writer sharing the chain
 *   id, or a forgery). Ours is not lost and theirs not overwritten: the batch
 *   goes beside it at `<first-seq>.conflict-<16 hex>.jsonl`, loudly, and
 *   `audit verify` then shows both. The 16 hex are the SHA-256 of ours keyed
 *   with a secret of this sink: the same name on every retry (so a retry after a
 *   lost answer reads its own bytes back), and one a forger who can predict our
 *   bytes still cannot pre-create (else every retry would meet their object
 *   there too and the batch would never be delivered);
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
  /** If-None-Match makes a repeated write of one batch land once, even beside a call still running */
  readonly idempotent = true;
  private readonly bodies = new WeakMap<AuditBatch, string>();
  private readonly asideSecret = crypto.randomUUID();

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
    const aside = key.replace(/\.jsonl$/, `.conflict-${sha256HexSync(this.asideSecret + body).slice(0, 16)}.jsonl`);
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
        put = await abortable(this.store.putIfAbsent(key, body, signal), signal);
      } catch (e) {
        if (signal?.aborted) throw e;
        last = e;
        continue;
      }
      if (put === "created") return true;
      let existing: string | undefined;
      try {
        // One byte more than ours: a longer object reads back longer, so unequal.
        existing = await abortable(this.store.get(key, signal, utf8Length(body) + 1), signal);
      } catch (e) {
        if (signal?.aborted) throw e; // the deadline, not a missing permission
        if (e instanceof ReadDeniedError) {
          throw new ReadBackError(
            `${this.store.locate(key)} exists and cannot be read back to compare (${message(e)}): the sink needs read access (s3:GetObject) on its prefix to tell a retried batch from a foreign object`,
          );
        }
        last = e; // a reset or a 5xx on the read-back: one failed attempt, like a failed put
        continue;
      }
      if (existing === body) return true;
      if (existing !== undefined) return false;
      // Gone between the two calls (a lifecycle rule, a person): put it again.
    }
    throw new Error(
      `writing ${this.store.locate(key)} failed after ${attempts} attempts: ${last === undefined ? "it vanished after every put" : message(last)}`,
    );
  }
}

function utf8Length(s: string): number {
  return new TextEncoder().encode(s).length;
}

function message(e: unknown): string {
  return (e as Error)?.message ?? String(e);
}

/**
 * A store call that settles at the abort even when the store ignores the signal
 * (an R2 binding takes none): else one call that never returns would be waited
 * for on every retry (the writer never runs two writes of a batch at once) and
 * delivery would never resume. The call itself may still land later; the put
 * is If-None-Match and a retry's read-back finds the same bytes.
 */
function abortable<T>(p: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return p;
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason as Error);
    if (signal.aborted) return onAbort();
    signal.addEventListener("abort", onAbort, { once: true });
    p.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
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
