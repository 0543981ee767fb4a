import { open, unlink, type FileHandle } from "node:fs/promises";
import { dirname } from "node:path";
import type { NoticeRecord, RecordBody } from "../../audit/record.js";
import { parseAuditLine } from "../../audit/verify.js";
import { errorCause, syncDir } from "./file-errors.js";

/**
 * Start-up recovery of a file trail (before the AuditLog that appends to it
 * exists). A batch is acknowledged only once it is whole in the file, its
 * checkpoint line included, so what follows the last complete checkpoint line
 * was never acknowledged: a batch a crash (kill -9, power loss) or a full disk
 * cut short. If the file ends with such records or with a line cut mid-way,
 * those bytes are copied to `<path>.torn-<UTC stamp>` (fsynced), the file is
 * cut back to the checkpoint (fsynced), and the notice returned here goes
 * into the new chain right after its chain-start. Without this the next
 * chain-start would be glued onto the cut line and the trail would not verify.
 *
 * Only the tail is read, backwards, until the last checkpoint line: at most
 * `maxScanBytes` (64 MiB by default: more than the largest batch the AuditLog
 * builds, 100,000 queued records). When no checkpoint lies within that window
 * only a cut last line is moved; the complete records before it stay in the
 * file (they chain and verify, without a checkpoint vouching for them) and the
 * notice says so. A file with no line end at all in the window is not a trail
 * this sink wrote: recovery refuses it rather than guess.
 */
export interface RecoveryResult {
  /** for AuditLog's `notices`: what was moved and where (absent when the file was whole) */
  notice?: RecordBody<NoticeRecord>;
  /** [start, end) of the original file, now in `movedTo` */
  bytes?: [number, number];
  movedTo?: string;
  /** complete record lines in the moved tail */
  records: number;
  /** a torn-looking tail left alone because the file changed while it was checked (another writer) */
  warning?: string;
}

export interface RecoveryOptions {
  maxScanBytes?: number;
  now?: () => Date;
  /** how long a torn-looking tail must stay unchanged before it is taken for torn (ms) */
  settleMs?: number;
}

const CHUNK = 1 << 20;

/** What the backward scan found: where the trail is whole up to, and what lies after it. */
interface Tail {
  cut: number;
  records: number;
  chains: Map<string, [number, number]>;
  /** bytes of a last line without its "\n" */
  partial: number;
  /** complete records left in the file because no checkpoint lies within the window */
  unvouched: number;
  unvouchedChains?: Map<string, [number, number]>;
  /** bytes read when the window ran out */
  window?: number;
}

export class RecoveryError extends Error {}

export async function recoverAuditFile(path: string, opts: RecoveryOptions = {}): Promise<RecoveryResult> {
  let fh: FileHandle;
  try {
    fh = await open(path, "r+");
  } catch (e) {
    if ((e as { code?: unknown }).code === "ENOENT") return { records: 0 };
    throw new RecoveryError(`cannot open ${path} to check its tail: ${errorCause(e)}`);
  }
  try {
    // A tail that changes while it is looked at is another writer's batch in flight, not a torn one
    // (one writer per file is the rule; parallel hook processes on one file break it).
    let size = (await fh.stat()).size;
    let tail: Tail | undefined;
    for (let look = 0; look < 3; look++) {
      if (size === 0) return { records: 0 };
      tail = await scanTail(fh, size, opts.maxScanBytes ?? 64 * CHUNK, path);
      if (tail.cut === size || (tail.records === 0 && tail.partial === 0)) return { records: 0 };
      await new Promise((resolve) => setTimeout(resolve, opts.settleMs ?? 50));
      const now = (await fh.stat()).size;
      if (now === size) break;
      size = now;
      tail = undefined;
    }
    if (!tail) return { records: 0, warning: `${path} kept growing while its tail was checked: another process writes to it; its tail was left as it is` };
    const stamp = (opts.now?.() ?? new Date()).toISOString().replace(/[-:.]/g, "");
    const movedTo = await quarantine(fh, path, tail.cut, size, stamp);
    if ((await fh.stat()).size !== size) {
      await unlink(movedTo).catch(() => undefined);
      return { records: 0, warning: `${path} grew while its torn tail was being copied: another process writes to it; the tail was left as it is` };
    }
    try {
      await fh.truncate(tail.cut);
      await fh.sync();
    } catch (e) {
      throw new RecoveryError(`copied the torn tail of ${path} to ${movedTo} but cutting the file back to byte ${tail.cut} failed: ${errorCause(e)}`);
    }
    const bytes: [number, number] = [tail.cut, size];
    const notice: RecordBody<NoticeRecord> = {
      type: "notice",
      notice: "torn-tail-quarantined",
      file: path,
      bytes,
      movedTo,
      message: describe(path, bytes, movedTo, tail),
    };
    return { notice, bytes, movedTo, records: tail.records };
  } finally {
    await fh.close();
  }
}

/** Reads backwards from the end, line by line, until a complete checkpoint line (or the start, or the window's edge). */
async function scanTail(fh: FileHandle, size: number, maxScan: number, path: string): Promise<Tail> {
  const tail: Tail = { cut: size, records: 0, chains: new Map(), partial: 0, unvouched: 0 };
  const floor = Math.max(0, size - maxScan);
  let from = size; // `buf` holds bytes [from, end)
  let end = size;
  let buf = Buffer.alloc(0);
  let firstRecordAt: number | undefined;
  const more = async (): Promise<boolean> => {
    if (from <= floor) return false;
    const n = Math.min(CHUNK, from - floor);
    const chunk = Buffer.alloc(n);
    await fh.read(chunk, 0, n, from - n);
    from -= n;
    buf = Buffer.concat([chunk, buf]);
    return true;
  };
  /** the last "\n" before absolute offset `before`, reading further back as needed; -1 if none in the window */
  const newlineBefore = async (before: number): Promise<number> => {
    for (;;) {
      const i = before - from > 0 ? buf.lastIndexOf(0x0a, before - from - 1) : -1;
      if (i >= 0) return from + i;
      if (!(await more())) return -1;
    }
  };
  await more();
  if (buf[buf.length - 1] !== 0x0a) {
    // The last line has no "\n": it was cut off. Find where it starts.
    const nl = await newlineBefore(size);
    if (nl < 0 && from > 0) throw new RecoveryError(`${path}: no line end in its last ${size - from} bytes: not an audit trail this sink wrote; move it aside`);
    tail.partial = size - (nl + 1);
    end = nl + 1;
  }
  let windowExhausted = false;
  while (end > 0) {
    // The complete line ending at `end` (its "\n" at end - 1).
    const nl = await newlineBefore(end - 1);
    if (nl < 0 && from > 0) {
      windowExhausted = true;
      break;
    }
    const start = nl + 1;
    const p = classify(buf.subarray(start - from, end - from - 1).toString("utf8"));
    if (p.kind === "checkpoint") {
      tail.cut = end;
      return tail;
    }
    if (p.kind === "record") {
      tail.records++;
      firstRecordAt = start;
      const seen = tail.chains.get(p.chain);
      tail.chains.set(p.chain, seen ? [Math.min(seen[0], p.seq), Math.max(seen[1], p.seq)] : [p.seq, p.seq]);
    }
    end = start;
    buf = buf.subarray(0, end - from);
  }
  const lastLineEnd = size - tail.partial;
  if (!windowExhausted) {
    // No checkpoint in the whole file: everything from the first record on is one unfinished batch.
    tail.cut = firstRecordAt ?? lastLineEnd;
    return tail;
  }
  // A batch larger than the window (or a file that is not a trail): move only the cut line.
  tail.cut = lastLineEnd;
  tail.unvouched = tail.records;
  tail.unvouchedChains = tail.chains;
  tail.records = 0;
  tail.chains = new Map();
  tail.window = size - from;
  return tail;
}

function classify(text: string): { kind: "checkpoint" } | { kind: "record"; chain: string; seq: number } | { kind: "other" } {
  try {
    const p = parseAuditLine(text);
    if (p.kind === "checkpoint") return { kind: "checkpoint" };
    if (p.kind === "record") return { kind: "record", chain: p.r.chain, seq: p.r.seq };
  } catch {
    // a line no reader understands is not a checkpoint: it belongs to the tail being looked at
  }
  return { kind: "other" };
}

/** Copies bytes [start, end) to a new `<path>.torn-<stamp>` file, fsynced; removes the copy if that fails. */
async function quarantine(fh: FileHandle, path: string, start: number, end: number, stamp: string): Promise<string> {
  let target = `${path}.torn-${stamp}`;
  let out: FileHandle | undefined;
  for (let n = 1; !out; n++) {
    try {
      out = await open(target, "wx", 0o640);
    } catch (e) {
      if ((e as { code?: unknown }).code !== "EEXIST" || n > 100)
        throw new RecoveryError(`cannot create ${target} for the torn tail of ${path}: ${errorCause(e)}`);
      target = `${path}.torn-${stamp}-${n}`;
    }
  }
  try {
    const chunk = Buffer.alloc(Math.min(CHUNK, end - start));
    for (let at = start; at < end;) {
      const { bytesRead } = await fh.read(chunk, 0, Math.min(chunk.length, end - at), at);
      if (bytesRead === 0) throw new Error(`the file ended at byte ${at} while copying`);
      let done = 0;
      while (done < bytesRead) done += (await out.write(chunk, done, bytesRead - done)).bytesWritten;
      at += bytesRead;
    }
    await out.sync();
    await out.close();
    out = undefined;
    await syncDir(dirname(path)).catch(() => undefined);
  } catch (e) {
    await out?.close().catch(() => undefined);
    await unlink(target).catch(() => undefined);
    throw new RecoveryError(
      `${path} ends with a torn batch (bytes [${start}, ${end})) that could not be moved to ${target}: ${errorCause(e)}; the file is left as it is (free space and start again)`,
    );
  }
  return target;
}

const seqRanges = (chains: Map<string, [number, number]>) => [...chains].map(([chain, [a, b]]) => `chain ${chain} seq ${a === b ? a : `${a}-${b}`}`).join("; ");

function describe(path: string, bytes: [number, number], movedTo: string, tail: Tail): string {
  const parts: string[] = [];
  if (tail.records > 0) parts.push(`${tail.records} complete record line${tail.records === 1 ? "" : "s"} without their checkpoint (${seqRanges(tail.chains)})`);
  else parts.push("no complete record line");
  if (tail.partial > 0) parts.push(`a last line cut off after ${tail.partial} bytes`);
  let message = `bytes [${bytes[0]}, ${bytes[1]}) of ${path} were not a whole batch (${parts.join(", ")}): moved to ${movedTo}; those records were never acknowledged`;
  if (tail.window !== undefined)
    message +=
      `; no checkpoint in the last ${tail.window} bytes (a batch larger than the window recovery reads), so the ${tail.unvouched} complete record line${tail.unvouched === 1 ? "" : "s"} read before byte ${bytes[0]}` +
      `${tail.unvouchedChains?.size ? ` (${seqRanges(tail.unvouchedChains)})` : ""} stay in the file without a checkpoint vouching for them`;
  return message;
}
