import { Chain } from "./chain.js";
import type { AuditRecord, Checkpoint, NoticeRecord, RecordBody, StartRecord } from "./record.js";
import { signCheckpoint, type SigningKey } from "./signing.js";
import type { AuditBatch, AuditSink } from "./sink.js";

/**
 * The audit writer: records are chained the moment a decision is made and
 * written in batches (one per Lambda invocation, per Worker request, or per
 * short interval on the Node server), each batch followed by a checkpoint,
 * signed when a key is configured. `record()` returns a promise that settles
 * when that record is durable, so a caller can fail closed on it.
 *
 * Nothing leaves the trail silently: a batch that fails to write stays queued
 * (in order) and is retried, and the trail then carries a notice naming the
 * records that were not durable when they were decided; requests refused
 * because the queue was full are counted in a notice too.
 */
export type OnAuditFailure = "deny" | "allow";

export interface AuditLogOptions {
  sink: AuditSink;
  chainId: string;
  policy: string;
  clock?: () => number;
  signingKey?: SigningKey;
  onAuditFailure?: OnAuditFailure;
  /** loud reporting of sink failures (stderr, console.error) */
  log?: (message: string) => void;
  /** records kept while the sink is failing before new ones are refused */
  maxPending?: number;
  instance?: Record<string, string>;
  /** the head of the chain this instance follows (a restarted process), when known */
  previous?: { chain: string; seq: number; hash: string };
  /** notices chained right after the chain start (what start-up found: a quarantined torn tail) */
  notices?: RecordBody<NoticeRecord>[];
  /** flush by itself this long after the first unflushed record; off when undefined */
  autoFlushMs?: number;
  /**
   * Group commit (Node server): flush as soon as the current turn of the event
   * loop ends; records that arrive while a batch is being written go in the
   * next one. Low latency when idle, large batches under load.
   */
  groupCommit?: boolean;
  /**
   * How group commit defers its flush. The default (a microtask) is portable;
   * Node passes `setImmediate`, which runs after the requests already read
   * from sockets have been decided, so they share one batch.
   */
  defer?: (fn: () => void) => void;
}

export class AuditOverflowError extends Error {}

interface Waiter {
  seq: number;
  resolve: () => void;
  reject: (e: Error) => void;
}

export class AuditLog {
  readonly onAuditFailure: OnAuditFailure;
  private readonly chain: Chain;
  private readonly clock: () => number;
  private pending: AuditRecord[] = [];
  private waiters: Waiter[] = [];
  private queue: Promise<unknown> = Promise.resolve();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private groupScheduled = false;
  private queued: Promise<boolean> | undefined;
  private refused = 0;
  private undurable: [number, number] | undefined;
  private lastError: string | undefined;

  constructor(private readonly opts: AuditLogOptions) {
    this.clock = opts.clock ?? Date.now;
    this.onAuditFailure = opts.onAuditFailure ?? "deny";
    this.chain = new Chain(opts.chainId, this.clock);
    const start: RecordBody<StartRecord> = { type: "chain-start", instance: opts.instance ?? {}, policy: opts.policy };
    if (opts.previous) start.previous = opts.previous;
    this.pending.push(this.chain.append(start));
    for (const n of opts.notices ?? []) this.pending.push(this.chain.append({ ...n }));
  }

  get chainId(): string {
    return this.chain.id;
  }

  /** the sink's last failure, while it is failing (for readiness checks) */
  get failing(): string | undefined {
    return this.lastError;
  }

  /** Chains one record; `durable` settles when it is written (or its batch fails). */
  record(body: RecordBody): { seq: number; durable: Promise<void> } {
    const max = this.opts.maxPending ?? 100_000;
    if (this.pending.length >= max) {
      this.refused++;
      throw new AuditOverflowError(`audit queue is full (${max} records unwritten: ${this.lastError ?? "sink not flushed"})`);
    }
    const r = this.chain.append(body);
    this.pending.push(r);
    const durable = new Promise<void>((resolve, reject) => this.waiters.push({ seq: r.seq, resolve, reject }));
    durable.catch(() => undefined); // callers that do not wait must not cause unhandled rejections
    if (this.opts.groupCommit && !this.groupScheduled) {
      this.groupScheduled = true;
      (this.opts.defer ?? queueMicrotask)(() => {
        this.groupScheduled = false;
        void this.flush();
      });
    }
    if (this.opts.autoFlushMs !== undefined && this.timer === undefined) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        void this.flush();
      }, this.opts.autoFlushMs);
    }
    return { seq: r.seq, durable };
  }

  /**
   * Writes everything chained so far as one batch. Resolves true when it is
   * durable. A flush that is queued but not started already covers every
   * record chained before it starts, so callers share it instead of queueing
   * more.
   */
  flush(): Promise<boolean> {
    if (this.queued) return this.queued;
    const run = this.queue.then(() => {
      this.queued = undefined;
      return this.writeBatch();
    });
    this.queued = run;
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Flush and stop the timer (shutdown). */
  async close(): Promise<boolean> {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    return this.flush();
  }

  private async writeBatch(): Promise<boolean> {
    if (this.undurable) {
      const [a, b] = this.undurable;
      const how = this.onAuditFailure === "deny" ? "their requests were denied (onAuditFailure: deny)" : "their decisions stood (onAuditFailure: allow)";
      this.pending.push(
        this.chain.append({
          type: "notice",
          notice: "audit-write-failed",
          seqs: [a, b],
          message: `records ${a}-${b} were not durable when decided (${this.lastError ?? "sink failure"}); ${how}`,
        }),
      );
      this.undurable = undefined;
    }
    if (this.refused > 0) {
      this.pending.push(
        this.chain.append({
          type: "notice",
          notice: "requests-refused-unrecorded",
          count: this.refused,
          message: `${this.refused} requests were denied without a record: the audit queue was full`,
        }),
      );
      this.refused = 0;
    }
    if (this.pending.length === 0) return true;
    const records = this.pending;
    this.pending = [];
    const last = records[records.length - 1]!;
    let checkpoint: Checkpoint = { v: 1, type: "checkpoint", chain: this.chain.id, seq: last.seq, head: last.hash, time: new Date(this.clock()).toISOString() };
    if (this.opts.signingKey) checkpoint = signCheckpoint(checkpoint, this.opts.signingKey);
    const batch: AuditBatch = { chain: this.chain.id, firstSeq: records[0]!.seq, lastSeq: last.seq, records, checkpoint };
    try {
      await this.opts.sink.write(batch);
    } catch (e) {
      // Keep the batch, in order, ahead of anything chained since; say so loudly.
      this.pending = records.concat(this.pending);
      this.lastError = `${this.opts.sink.name}: ${(e as Error)?.message ?? String(e)}`;
      const first = this.undurable?.[0] ?? batch.firstSeq;
      this.undurable = [first, batch.lastSeq];
      this.opts.log?.(`safeclaw audit: writing records ${batch.firstSeq}-${batch.lastSeq} failed (${this.lastError}); kept in memory and will retry`);
      this.settle(batch.lastSeq, new Error(`audit record not durable: ${this.lastError}`));
      return false;
    }
    this.lastError = undefined;
    this.settle(batch.lastSeq);
    return true;
  }

  private settle(upTo: number, error?: Error): void {
    const keep: Waiter[] = [];
    for (const w of this.waiters) {
      if (w.seq > upTo) keep.push(w);
      else if (error) w.reject(error);
      else w.resolve();
    }
    this.waiters = keep;
  }
}
