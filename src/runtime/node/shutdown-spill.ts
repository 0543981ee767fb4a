import { closeSync, constants, createReadStream, fstatSync, fsyncSync, openSync, statSync, writeSync } from "node:fs";
import { createInterface } from "node:readline";
import type { NoticeRecord, RecordBody } from "../../audit/record.js";
import { parseAuditLine } from "../../audit/verify.js";

/**
 * The shutdown spill (SAFECLAW_AUDIT_SPILL): what a stopping server could not
 * deliver to its sink, appended as audit lines and fsynced before the process
 * exits, and named in the trail by the next start, so a record that missed
 * the sink is in the trail by name even when its lines are not.
 *
 * Written synchronously: a signal handler about to exit has no event loop to
 * come back to, and the exit must not overtake the write. Only to a regular
 * file, which the write cannot block on (a hung network mount still can).
 */
export function appendSpill(path: string, lines: readonly string[]): void {
  // Non-blocking open: a FIFO with no reader would block this thread, and with it the backstop timer, forever.
  const fd = openSync(path, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NONBLOCK, 0o600);
  try {
    if (!fstatSync(fd).isFile()) throw new Error(`${path} is not a regular file (a FIFO or device can block the exit); set SAFECLAW_AUDIT_SPILL to a file`);
    const text = Buffer.from(lines.join("\n") + "\n");
    for (let off = 0; off < text.length;) off += writeSync(fd, text, off);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** One notice per chain found in a non-empty spill file (none when the file is missing or empty). */
export async function spillNotices(path: string): Promise<RecordBody<NoticeRecord>[]> {
  let size: number;
  try {
    size = statSync(path).size;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw e;
  }
  if (size === 0) return [];
  const chains = new Map<string, { count: number; first: number; last: number }>();
  let other = 0;
  const lines = createInterface({ input: createReadStream(path, "utf8"), crlfDelay: Infinity });
  for await (const text of lines) {
    if (text.trim() === "") continue;
    const p = parseAuditLine(text);
    if (p.kind === "checkpoint") continue;
    if (p.kind !== "record") {
      other++; // a torn last line (the process was killed mid-write) or something else entirely
      continue;
    }
    const c = chains.get(p.r.chain) ?? { count: 0, first: p.r.seq, last: p.r.seq };
    c.count++;
    c.first = Math.min(c.first, p.r.seq);
    c.last = Math.max(c.last, p.r.seq);
    chains.set(p.r.chain, c);
  }
  const tail = other > 0 ? `; ${other} line${other === 1 ? "" : "s"} of it are not audit records` : "";
  const notices: RecordBody<NoticeRecord>[] = [...chains].map(([chain, c]) => ({
    type: "notice",
    notice: "undelivered-at-shutdown",
    file: path,
    count: c.count,
    seqs: [c.first, c.last],
    message: `${path} holds ${c.count} records of chain ${chain} (seq ${c.first}-${c.last}) that a stopping server could not deliver to its sink${tail}; they are not in this trail until someone copies them in (\`safeclaw audit verify ${path}\` checks them); then remove the file`,
  }));
  if (notices.length === 0) {
    notices.push({
      type: "notice",
      notice: "undelivered-at-shutdown",
      file: path,
      count: 0,
      message: `${path} is not empty (${size} bytes) but holds no audit record (${other} other lines): look at it, then remove it`,
    });
  }
  return notices;
}
