import { Chain, type Sha256Hex } from "./chain.js";
import { LazyAbort } from "./lazy-abort.js";
import { Outage, refusedNotice } from "./outage.js";
import type { AuditRecord, Checkpoint, NoticeRecord, RecordBody, StartRecord } from "./record.js";
import { signCheckpoint, type SigningKey } from "./signing.js";
import type { AuditBatch, AuditSink, SinkWriteOptions } from "./sink.js";

/**
 * The audit writer: records are chained the moment a decision is made and
 * written in batches (one per Lambda invocation, per Worker request, or per
 * turn of the event loop on the Node server), each followed by a checkpoint,
 * signed when a key is configured. `record()` returns a promise that settles
 * when that record is durable, so a caller can fail closed on it.
 *
 * Delivery rules:
 * - A batch, once sealed (sequence range, checkpoint, hence object key), is
 *   immutable: every retry hands the sink the same batch, so an S3 write whose
 *   answer was lost lands as the same bytes at the same key. Records chained
 *   meanwhile go into the next batch. Only one batch is sealed at a time.
 * - Every sink call has a deadline; past it the batch counts as failed (the
 *   call is aborted; a late success still counts) and the writer is failing.
 * - While failing, a flush does not wait: the records' requests are answered
 *   at once (denied under `onAuditFailure: deny`), the records stay queued, and
 *   a background retry with backoff delivers them, with no traffic needed
 *   (where timers outlive requests: not on Workers, where the next request runs it).
 *   The outage is told in one notice when it ends.
 * - The queue is bounded in records and bytes; past the bound a request is
 *   refused at once without a record and counted in a notice.
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
  /** records kept unwritten (while the sink fails) before new requests are refused; default 100,000 */
  maxPending?: number;
  /** the same bound in bytes of serialized records; default 64 MiB */
  maxPendingBytes?: number;
  /** most records in one batch; default 10,000 */
  maxBatchRecords?: number;
  /** deadline of one sink call; default 5,000 ms */
  writeTimeoutMs?: number;
  /** backoff of the background retry: first delay and cap; default 100 ms .. 5,000 ms */
  retryMinMs?: number;
  retryMaxMs?: number;
  instance?: Record<string, string>;
  /** the head of the chain this instance follows (a restarted process), when known */
  previous?: { chain: string; seq: number; hash: string };
  /** notices chained right after the chain start (what start-up found: a quarantined torn tail) */
  notices?: RecordBody<NoticeRecord>[];
  /**
   * The chain's SHA-256 (of a string's UTF-8 bytes, hex). Default: the
   * portable pure-JS one; Node passes node:crypto's, which gives the same
   * digests several times faster (one hash per decision, on the request path).
   */
  sha256?: Sha256Hex;
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

/** The one sealed batch and the sink call that may still be running for it after its deadline. */
interface Sealed {
  batch: AuditBatch;
  bytes: number;
  late?: Promise<true | Error> | undefined;
  /** deadlines spent waiting for `late` */
  lateWaits: number;
  /** aborts the sink call running now (close() giving up) */
  inflight?: LazyAbort | undefined;
}

const TIMED_OUT = Symbol("timed out");

/**
 * A call that ignores its abort and never settles: an idempotent sink (a
 * repeated write of one batch lands once even beside a call still running,
 * as with If-None-Match) is written again after this many deadlines spent
 * waiting for it. Any other sink (a file, stdout) keeps waiting, denying
 * fast meanwhile: writing again could put the batch in twice.
 */
const LET_GO_AFTER = 2;

export class AuditLog {
  readonly onAuditFailure: OnAuditFailure;
  private readonly chain: Chain;
  private readonly clock: () => number;
  private pending: AuditRecord[] = [];
  private pendingBytes = 0;
  private head: Sealed | undefined;
  private waiters: Waiter[] = [];
  private draining: Promise<boolean> | undefined;
  private outage: Outage | undefined;
  private retryAt = 0;
  private retryDelay = 0;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private flushTimer: ReturnType<typeof setTimeout> | undefined;
  private groupScheduled = false;
  private refused = 0;
  private durableSeq = 0;
  private closed = false;

  constructor(private readonly opts: AuditLogOptions) {
    this.clock = opts.clock ?? Date.now;
    this.onAuditFailure = opts.onAuditFailure ?? "deny";
    this.chain = new Chain(opts.chainId, this.clock, opts.sha256);
    const start: RecordBody<StartRecord> = { type: "chain-start", instance: opts.instance ?? {}, policy: opts.policy };
    if (opts.previous) start.previous = opts.previous;
    this.append(start);
    for (const n of opts.notices ?? []) this.append({ ...n });
  }

  get chainId(): string {
    return this.chain.id;
  }

  /** why the sink is failing, while it is (readiness checks): a failed or overdue write */
  get failing(): string | undefined {
    return this.outage?.lastError;
  }

  /** records chained and not yet durable */
  get undeliveredCount(): number {
    return this.pending.length + (this.head?.batch.records.length ?? 0);
  }

  /** Chains one record; `durable` settles when it is written (or is answered while the sink fails). */
  record(body: RecordBody): { seq: number; durable: Promise<void> } {
    const maxRecords = this.opts.maxPending ?? 100_000;
    const maxBytes = this.opts.maxPendingBytes ?? 64 * 1024 * 1024;
    if (this.undeliveredCount >= maxRecords || this.pendingBytes + (this.head?.bytes ?? 0) >= maxBytes) {
      this.refused++;
      const what = this.undeliveredCount >= maxRecords ? `${maxRecords} records` : `${maxBytes} bytes`;
      throw new AuditOverflowError(`audit queue is full (${what} unwritten: ${this.failing ?? "sink not flushed"})`);
    }
    const r = this.append(body);
    const durable = new Promise<void>((resolve, reject) => this.waiters.push({ seq: r.seq, resolve, reject }));
    durable.catch(() => undefined); // callers that do not wait must not cause unhandled rejections
    if (this.opts.groupCommit && !this.groupScheduled) {
      this.groupScheduled = true;
      try {
        (this.opts.defer ?? queueMicrotask)(() => {
          this.groupScheduled = false;
          void this.flush();
        });
      } catch {
        // A defer that throws must not leave group commit off for good: flush on the next microtask instead.
        queueMicrotask(() => {
          this.groupScheduled = false;
          void this.flush();
        });
      }
    }
    if (this.opts.autoFlushMs !== undefined && this.flushTimer === undefined) {
      this.flushTimer = setTimeout(() => {
        this.flushTimer = undefined;
        void this.flush();
      }, this.opts.autoFlushMs);
    }
    return { seq: r.seq, durable };
  }

  /**
   * Writes everything chained so far. Resolves true once it is durable, false
   * when it is not (the sink failed, or is failing and its retry is not due:
   * then the waiting requests are answered at once instead of queueing up
   * behind a dead sink).
   */
  async flush(): Promise<boolean> {
    const target = this.chain.last.seq;
    while (this.durableSeq < target) {
      if (this.outage && (this.draining || Date.now() < this.retryAt)) {
        this.answerUndurable();
        return false;
      }
      if (!(await this.drain())) return this.durableSeq >= target;
    }
    return true;
  }

  /**
   * Shutdown: stop the timers and keep trying to deliver for up to `waitMs`
   * (ignoring the backoff). Resolves true when everything is durable; what is
   * not is then in `undelivered()`.
   */
  async close(opts: { waitMs?: number } = {}): Promise<boolean> {
    this.closed = true;
    this.clearTimers();
    const until = Date.now() + (opts.waitMs ?? this.opts.writeTimeoutMs ?? 5_000);
    for (;;) {
      if (this.durableSeq >= this.chain.last.seq && !this.head) return true;
      const left = until - Date.now();
      const delivered = left > 0 ? await withDeadline(this.draining ?? this.drain(), left) : TIMED_OUT;
      if (delivered === true) continue;
      if (delivered === TIMED_OUT || until - Date.now() <= 0) {
        this.giveUp(opts.waitMs ?? this.opts.writeTimeoutMs ?? 5_000);
        return false;
      }
      await new Promise((r) => setTimeout(r, Math.min(until - Date.now(), 200)));
    }
  }

  /** every record chained and not durable, in chain order (for a shutdown spill) */
  undelivered(): AuditRecord[] {
    return [...(this.head?.batch.records ?? []), ...this.pending];
  }

  /**
   * The undelivered records as one batch for a shutdown spill: in chain order,
   * closed by a fresh checkpoint (signed when a key is configured) so the
   * spilled lines verify as a segment of the chain. Undefined when all is durable.
   */
  undeliveredBatch(): AuditBatch | undefined {
    const records = this.undelivered();
    if (records.length === 0) return undefined;
    const last = records[records.length - 1]!;
    let checkpoint: Checkpoint = { v: 1, type: "checkpoint", chain: this.chain.id, seq: last.seq, head: last.hash, time: new Date(this.clock()).toISOString() };
    if (this.opts.signingKey) checkpoint = signCheckpoint(checkpoint, this.opts.signingKey);
    return { chain: this.chain.id, firstSeq: records[0]!.seq, lastSeq: last.seq, records, checkpoint };
  }

  private append<T extends AuditRecord>(body: RecordBody<T>): T {
    const r = this.chain.append(body);
    this.pending.push(r);
    this.pendingBytes += this.chain.lastBytes;
    return r;
  }

  /** One drain at a time: writes the sealed batch, then the next, until nothing is left or a write fails. */
  private drain(): Promise<boolean> {
    return (this.draining ??= this.deliverAll().finally(() => (this.draining = undefined)));
  }

  private async deliverAll(): Promise<boolean> {
    for (;;) {
      const head = this.head ?? this.seal();
      if (!head) return true;
      const result = await this.attempt(head);
      if (result !== true) {
        this.failed(head, result);
        return false;
      }
      this.head = undefined;
      this.durableSeq = head.batch.lastSeq;
      this.settle(head.batch.lastSeq);
      this.recovered();
    }
  }

  /** Seals up to maxBatchRecords pending records into the one immutable batch. */
  private seal(): Sealed | undefined {
    if (this.pending.length === 0) return undefined;
    const max = this.opts.maxBatchRecords ?? 10_000;
    const records = this.pending.length <= max ? this.pending : this.pending.slice(0, max);
    this.pending = this.pending.length <= max ? [] : this.pending.slice(max);
    const last = records[records.length - 1]!;
    let checkpoint: Checkpoint = { v: 1, type: "checkpoint", chain: this.chain.id, seq: last.seq, head: last.hash, time: new Date(this.clock()).toISOString() };
    if (this.opts.signingKey) checkpoint = signCheckpoint(checkpoint, this.opts.signingKey);
    // Bytes move from the pending count to the sealed batch in proportion (an estimate, as the bound needs).
    const bytes = this.pending.length === 0 ? this.pendingBytes : Math.round((this.pendingBytes * records.length) / (records.length + this.pending.length));
    this.pendingBytes -= bytes;
    this.head = { batch: { chain: this.chain.id, firstSeq: records[0]!.seq, lastSeq: last.seq, records, checkpoint }, bytes, lateWaits: 0 };
    return this.head;
  }

  /**
   * One sink call under the deadline. A call still running from an earlier
   * attempt is waited for first (within the deadline too): never two writes of
   * one batch at once, and a late success counts.
   */
  private async attempt(head: Sealed): Promise<true | Error> {
    const ms = this.opts.writeTimeoutMs ?? 5_000;
    if (head.late) {
      const r = await withDeadline(head.late, ms);
      if (r === TIMED_OUT && !(this.opts.sink.idempotent && ++head.lateWaits >= LET_GO_AFTER)) {
        return new Error(`${this.opts.sink.name}: an earlier write of records ${head.batch.firstSeq}-${head.batch.lastSeq} has still not returned`);
      }
      // Settled, or (a sink whose repeated writes land once, an object store) waited for long enough: write again.
      head.late = undefined;
      head.lateWaits = 0;
      if (r === true) return true;
    }
    const abort = new LazyAbort();
    head.inflight = abort;
    // The signal is made when the sink reads it (an object store does; stdout and files do not).
    const opts: SinkWriteOptions = {
      get signal() {
        return abort.signal;
      },
    };
    // A sink that throws synchronously or returns no promise breaks the contract; it must not break the writer (no retry, an unhandled rejection).
    const call = new Promise<void>((resolve) => resolve(this.opts.sink.write(head.batch, opts))).then(
      () => true as const,
      (e: unknown) => (e instanceof Error ? e : new Error(String(e))),
    );
    const r = await withDeadline(call, ms);
    head.inflight = undefined;
    if (r !== TIMED_OUT) return r;
    head.late = call;
    abort.abort(new Error(`deadline of ${ms} ms exceeded`));
    return new Error(`no answer within ${ms} ms (SAFECLAW_AUDIT_TIMEOUT_MS)`);
  }

  private failed(head: Sealed, e: Error): void {
    const error = `${this.opts.sink.name}: ${e.message}`;
    if (!this.outage) {
      this.outage = new Outage(this.clock(), error);
      this.retryDelay = this.opts.retryMinMs ?? 100;
      this.say(
        `safeclaw audit: writing records ${head.batch.firstSeq}-${head.batch.lastSeq} failed (${error}); they stay queued and are retried in the background until the sink answers`,
      );
    } else this.retryDelay = Math.min(this.retryDelay * 2, this.opts.retryMaxMs ?? 5_000);
    this.outage.failed(error);
    this.answerUndurable();
    this.scheduleRetry();
  }

  /**
   * close() stops waiting. The write in flight is aborted, so that it does not
   * land after undelivered() was spilled (the batch twice). The requests still
   * waiting are answered now; if no outage is open yet (the first write is just
   * slow) one is opened, so that its notice names them should the write land after all.
   */
  private giveUp(waitMs: number): void {
    const error = `${this.opts.sink.name}: close() gave up after ${waitMs} ms`;
    if (!this.outage && this.waiters.length > 0) {
      this.outage = new Outage(this.clock(), error);
      this.outage.failed(error);
    }
    this.answerUndurable();
    this.head?.inflight?.abort(new Error(error));
  }

  private scheduleRetry(): void {
    if (this.closed) return;
    // One timer, always for the latest failure: a flush that tried when the retry came due (before the timer fired) pushes it back too.
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer);
    // Jitter spreads retries of many instances; it never takes a retry past the cap (retryMaxMs).
    const delay = Math.min(this.retryDelay * (0.75 + Math.random() / 2), this.opts.retryMaxMs ?? 5_000);
    this.retryAt = Date.now() + delay;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      void this.drain();
    }, delay);
    // A retry must not keep a finished process (a one-shot CLI) alive.
    (this.retryTimer as { unref?: () => void }).unref?.();
  }

  /** A write landed: the outage (if any) ends with its one notice, and refusals are counted. */
  private recovered(): void {
    if (this.outage) {
      const o = this.outage;
      this.outage = undefined;
      this.retryAt = 0;
      if (this.retryTimer !== undefined) clearTimeout(this.retryTimer);
      this.retryTimer = undefined;
      this.say(`safeclaw audit: the ${this.opts.sink.name} sink is writing again after ${o.attempts} failed attempts; the trail carries a notice`);
      this.append(o.notice(this.clock(), this.onAuditFailure));
    }
    if (this.refused > 0) {
      this.append(refusedNotice(this.refused));
      this.refused = 0;
    }
  }

  /** Every waiting request is answered now, its record not durable: the outage's notice names them. */
  private answerUndurable(): void {
    if (this.waiters.length === 0) return;
    const error = new Error(`audit record not durable: ${this.failing ?? "sink failure"}`);
    this.outage?.answeredUndurable(this.waiters[0]!.seq, this.waiters[this.waiters.length - 1]!.seq);
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w.reject(error);
  }

  private settle(upTo: number): void {
    let i = 0;
    while (i < this.waiters.length && this.waiters[i]!.seq <= upTo) this.waiters[i++]!.resolve();
    if (i > 0) this.waiters = this.waiters.slice(i);
  }

  /** Loud reporting that cannot break delivery: a log callback that throws is ignored. */
  private say(message: string): void {
    try {
      this.opts.log?.(message);
    } catch {
      // the trail matters more than the log line
    }
  }

  private clearTimers(): void {
    if (this.flushTimer !== undefined) clearTimeout(this.flushTimer);
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer);
    this.flushTimer = this.retryTimer = undefined;
  }
}

function withDeadline<T>(p: Promise<T>, ms: number): Promise<T | typeof TIMED_OUT> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<typeof TIMED_OUT>((resolve) => (timer = setTimeout(() => resolve(TIMED_OUT), ms)));
  return Promise.race([p, deadline]).finally(() => clearTimeout(timer));
}
