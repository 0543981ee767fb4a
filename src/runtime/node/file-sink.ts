import { readdir, rename, stat } from "node:fs/promises";
import { close, closeSync, fstat, fsync, ftruncate, open, openSync, readSync, statSync, write } from "node:fs";
import { promisify } from "node:util";
import { basename, dirname, join } from "node:path";
import { batchLines, type AuditFormat } from "../../audit/lines.js";
import type { AuditBatch, AuditSink, SinkWriteOptions } from "../../audit/sink.js";
import { parseAuditLine } from "../../audit/verify.js";
import { errorCause, syncDir } from "./file-errors.js";

/**
 * The file sink (Node only). A batch lands whole or not at all: its bytes are
 * written at the end of the file (short writes continued) and fsynced, and on
 * any error the file is truncated back to where the batch began (and fsynced)
 * before the error is passed on, so a retry never appends after half a batch.
 *
 * One writer per file: one process, one O_APPEND descriptor opened once, writes
 * queued one after another. A second process appending to the same file could
 * lose a batch to this one's truncation; the sink notices when the file grew by
 * more than its own bytes and then refuses to truncate (and says so).
 *
 * A retry of a batch that is already entirely in the file (the write finished
 * after the caller gave up on it) resolves without appending it again; a
 * batch that starts with records already written gets only the rest.
 *
 * When the file reaches `maxBytes` after a batch it is renamed to
 * `<path>.<UTC timestamp>` and the chain goes on in a new file; `auditFiles`
 * lists them all, oldest first, for verification.
 */
export interface FileSinkOptions {
  format?: AuditFormat;
  /** rotate once the file is at least this large (after a whole batch: a file can exceed it by one batch) */
  maxBytes?: number;
  /** where a problem that does not fail the batch goes (a rotation that could not rename) */
  log?: (message: string) => void;
  /** the system calls, replaceable so that tests can make them fail (ENOSPC, EIO, short writes) */
  io?: Partial<FileIo>;
}

/** The calls a batch makes on the open file (a plain descriptor: a FileHandle left to the garbage collector would be closed by it, with a warning). */
export interface FileIo {
  write(fd: number, data: Buffer, offset: number, length: number): Promise<number>;
  sync(fd: number): Promise<void>;
  truncate(fd: number, size: number): Promise<void>;
  size(fd: number): Promise<number>;
}

const writeAsync = promisify(write);
const SYSTEM_IO: FileIo = {
  write: async (fd, data, offset, length) => (await writeAsync(fd, data, offset, length)).bytesWritten,
  sync: promisify(fsync),
  truncate: promisify(ftruncate),
  size: async (fd) => (await promisify(fstat)(fd)).size,
};
const openAsync = promisify(open);
const fstatAsync = promisify(fstat);
const closeAsync = promisify(close);

/** How many landed batches a retry is recognized against (a retry comes right after its first attempt; a few suffice). */
const LANDED_KEPT = 64;

export class FileSink implements AuditSink {
  readonly name = "file";
  private fd: number | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  /** the chain last written, its last seq in the file, and the last record's hash of each recent batch (by seq) */
  private landed: { chain: string; lastSeq: number; ends: Map<number, string> } | undefined;
  /** a failed batch whose truncation failed too: cut here before anything else is written */
  private cutAt: number | undefined;
  private readonly io: FileIo;

  constructor(
    readonly path: string,
    private readonly opts: FileSinkOptions = {},
  ) {
    this.io = { ...SYSTEM_IO, ...opts.io };
  }

  /**
   * Batches are written one at a time, in the order given, even when the
   * caller does not wait. A deadline (`signal`) that passes before this
   * batch's turn means it is not started; once started it is finished (whole
   * or cut back), since a late success counts.
   */
  write(batch: AuditBatch, opts: SinkWriteOptions = {}): Promise<void> {
    const run = this.queue.then(() => {
      if (opts.signal?.aborted)
        throw fileError(opts.signal.reason, `records ${batch.firstSeq}-${batch.lastSeq} not started: ${errorCause(opts.signal.reason)}`);
      return this.writeNow(batch);
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Closes the descriptor (the next write opens it again). */
  async close(): Promise<void> {
    await this.queue;
    const fd = this.fd;
    this.fd = undefined;
    if (fd !== undefined) await closeAsync(fd);
  }

  private async writeNow(batch: AuditBatch): Promise<void> {
    const records = this.unwritten(batch);
    if (records === undefined) return;
    const range = `records ${records[0]!.seq}-${batch.lastSeq}`;
    const data = Buffer.from(batchLines({ ...batch, records }, this.opts.format ?? "json").join("\n") + "\n", "utf8");
    let fd: number;
    try {
      fd = await this.handle();
      if (this.cutAt !== undefined) await this.cut(fd, this.cutAt);
    } catch (e) {
      throw fileError(
        e,
        `${errorCause(e)} while opening ${this.path} to write ${range}${this.cutAt !== undefined ? ` (cutting a failed batch off at byte ${this.cutAt} first)` : ""}`,
      );
    }
    const start = await this.io.size(fd).catch((e: unknown) => {
      throw fileError(e, `${errorCause(e)} while reading the size of ${this.path} before writing ${range}`);
    });
    let written = 0;
    try {
      while (written < data.length) {
        const n = await this.io.write(fd, data, written, data.length - written);
        if (n <= 0) throw Object.assign(new Error(`short write: the file took ${written} of ${data.length} bytes and then none`), { code: "ESHORT" });
        written += n;
      }
      await this.io.sync(fd);
    } catch (e) {
      throw fileError(e, `${errorCause(e)} while writing ${range} to ${this.path}${await this.undo(fd, start, written)}`);
    }
    this.remember(batch);
    await this.rotateIfFull(start + data.length);
  }

  /**
   * The records of `batch` not yet in the file: all of them, the ones after
   * the last batch landed (a retry that grew), or none (undefined: a retry of
   * a batch already there). A batch that repeats seqs with other content would
   * fork the chain in the file: refused.
   */
  private unwritten(batch: AuditBatch): AuditBatch["records"] | undefined {
    const l = this.landed;
    if (batch.records.length === 0) throw new Error(`batch ${batch.firstSeq}-${batch.lastSeq} of chain ${batch.chain} has no records: nothing to vouch for`);
    if (!l || batch.chain !== l.chain || batch.firstSeq > l.lastSeq) return batch.records;
    const last = batch.records[batch.records.length - 1]!;
    if (last.seq <= l.lastSeq) {
      if (l.ends.get(last.seq) === last.hash) return undefined;
    } else {
      const overlap = batch.records.find((r) => r.seq === l.lastSeq);
      if (overlap && overlap.hash === l.ends.get(l.lastSeq)) return batch.records.filter((r) => r.seq > l.lastSeq);
    }
    throw new Error(
      `batch ${batch.firstSeq}-${batch.lastSeq} of chain ${batch.chain} overlaps records already in ${this.path} (up to seq ${l.lastSeq}) and is not a retry of them: not written`,
    );
  }

  private remember(batch: AuditBatch): void {
    const last = batch.records[batch.records.length - 1]!;
    if (this.landed?.chain !== batch.chain) this.landed = { chain: batch.chain, lastSeq: 0, ends: new Map() };
    this.landed.lastSeq = last.seq;
    this.landed.ends.set(last.seq, last.hash);
    if (this.landed.ends.size > LANDED_KEPT) this.landed.ends.delete(this.landed.ends.keys().next().value!);
  }

  /** Takes a failed batch's bytes back out; returns what to add to the error message. */
  private async undo(fd: number, start: number, written: number): Promise<string> {
    let size: number;
    try {
      size = await this.io.size(fd);
    } catch (e) {
      this.cutAt = start;
      return `; the file's size could not be read (${errorCause(e)}): it is cut back to byte ${start} before the next write`;
    }
    if (size === start) return "";
    if (size !== start + written) {
      // Someone else appended since this batch began: cutting would take their bytes too.
      return `; the file is ${size} bytes, not ${start}+${written}: another process writes to it, so it was not cut back (one writer per file)`;
    }
    try {
      await this.cut(fd, start);
      return `; the ${written} bytes written were cut off again`;
    } catch (e) {
      this.cutAt = start;
      return `; cutting the file back to byte ${start} failed too (${errorCause(e)}): the next write cuts it first`;
    }
  }

  private async cut(fd: number, size: number): Promise<void> {
    await this.io.truncate(fd, size);
    await this.io.sync(fd);
    this.cutAt = undefined;
  }

  private async handle(): Promise<number> {
    if (this.fd !== undefined) {
      if (await this.stillAtPath(this.fd)) return this.fd;
      this.reopenMoved(this.fd);
    }
    const fd = await openAsync(this.path, "a", 0o640);
    // A new file's name must be durable too, not only its bytes.
    if ((await this.io.size(fd).catch(() => 0)) === 0) await syncDir(dirname(this.path)).catch(() => undefined);
    this.fd = fd;
    return fd;
  }

  /**
   * Whether `path` still names the open file. Deleted (by hand, by an agent
   * allowed to delete files there) or renamed (logrotate without
   * copytruncate), the descriptor would take every later batch, fsynced and
   * acknowledged, into an inode nobody can find: checked before each batch.
   */
  private async stillAtPath(fd: number): Promise<boolean> {
    const [named, open] = await Promise.all([stat(this.path).catch(() => undefined), fstatAsync(fd).catch(() => undefined)]);
    return named !== undefined && open !== undefined && named.ino === open.ino && named.dev === open.dev;
  }

  /** The file moved away: let it go, say so loudly, and go on in a new file at the path (where verify reports the records before as missing). */
  private reopenMoved(fd: number): void {
    this.fd = undefined;
    // A cut still owed belongs to the old file: applied to the new one it would extend it with zeros.
    this.cutAt = undefined;
    void closeAsync(fd).catch(() => undefined);
    const upTo = this.landed ? `records up to seq ${this.landed.lastSeq} of chain ${this.landed.chain}` : "the records written so far";
    this.opts.log?.(
      `safeclaw audit: ${this.path} was moved or deleted while it was being written; ${upTo} are in the file as it was (gone, if deleted); the trail goes on in a new ${this.path}, where verify reports them missing (rotate with maxBytes, or logrotate's copytruncate)`,
    );
  }

  private async rotateIfFull(size: number): Promise<void> {
    const max = this.opts.maxBytes;
    if (max === undefined || size < max) return;
    const stamp = new Date().toISOString().replace(/[-:.]/g, "");
    let target = `${this.path}.${stamp}`;
    for (let n = 1; await exists(target); n++) target = `${this.path}.${stamp}-${n}`;
    try {
      await rename(this.path, target);
    } catch (e) {
      // The batch is durable; only the rotation failed. Keep writing here and try again after the next batch.
      this.opts.log?.(`safeclaw audit: rotating ${this.path} to ${target} failed (${errorCause(e)}); the file keeps growing`);
      return;
    }
    const fd = this.fd;
    this.fd = undefined;
    if (fd !== undefined) await closeAsync(fd).catch(() => undefined);
    await syncDir(dirname(this.path)).catch(() => undefined);
  }
}

/** The sink's error: the sentence, and the system's code (ENOSPC, EFBIG, EIO) for whoever classifies failures. */
function fileError(cause: unknown, message: string): Error {
  const code = (cause as { code?: unknown } | null)?.code;
  return Object.assign(new Error(message, { cause }), typeof code === "string" ? { code } : {});
}

async function exists(p: string): Promise<boolean> {
  try {
    await stat(p);
    return true;
  } catch {
    return false;
  }
}

/** The live file and its rotated predecessors, oldest first (quarantined `*.torn-*` tails are not part of the trail). */
export async function auditFiles(path: string): Promise<string[]> {
  const dir = dirname(path);
  const base = basename(path);
  let names: string[] = [];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  const rotated = names.filter((n) => n.startsWith(base + ".") && /^\d{8}T\d{9}Z(-\d+)?$/.test(n.slice(base.length + 1))).sort();
  const out = rotated.map((n) => join(dir, n));
  if (names.includes(base)) out.push(path);
  return out;
}

/**
 * The head of the last chain written to `path` (or its latest rotation), so a
 * restarted instance can name it in its first record. Reads only the tail;
 * run `recoverAuditFile` first so that a torn tail is not taken for the head.
 */
export async function lastChainHead(path: string): Promise<{ chain: string; seq: number; hash: string } | undefined> {
  const files = await auditFiles(path);
  for (const f of files.reverse()) {
    const size = statSync(f).size;
    if (size === 0) continue;
    const len = Math.min(size, 1 << 20);
    const buf = Buffer.alloc(len);
    const fd = openSync(f, "r");
    try {
      readSync(fd, buf, 0, len, size - len);
    } finally {
      closeSync(fd);
    }
    const lines = buf.toString("utf8").split("\n").reverse();
    for (const l of lines) {
      const p = parseAuditLine(l);
      if (p.kind === "record") return { chain: p.r.chain, seq: p.r.seq, hash: p.r.hash };
    }
  }
  return undefined;
}
