import { open, readdir, rename, stat } from "node:fs/promises";
import { closeSync, openSync, readSync, statSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { batchLines, type AuditFormat } from "../../audit/lines.js";
import type { AuditBatch, AuditSink } from "../../audit/sink.js";
import { parseAuditLine } from "../../audit/verify.js";

/**
 * The file sink (Node only): each batch is appended and fsynced before the
 * write resolves, so "durable" means on disk. One writer per file. When the
 * file passes `maxBytes` it is renamed to `<path>.<UTC timestamp>` and the
 * chain simply continues in a new file; `auditFiles(path)` lists them all in
 * order for verification.
 */
export class FileSink implements AuditSink {
  readonly name = "file";

  constructor(
    readonly path: string,
    private readonly opts: { format?: AuditFormat; maxBytes?: number } = {},
  ) {}

  async write(batch: AuditBatch): Promise<void> {
    const data = batchLines(batch, this.opts.format ?? "json").join("\n") + "\n";
    const fh = await open(this.path, "a", 0o640);
    try {
      await fh.appendFile(data, "utf8");
      await fh.sync();
    } finally {
      await fh.close();
    }
    const max = this.opts.maxBytes;
    if (max !== undefined && (await stat(this.path)).size >= max) {
      const stamp = new Date().toISOString().replace(/[-:.]/g, "");
      let target = `${this.path}.${stamp}`;
      for (let n = 1; await exists(target); n++) target = `${this.path}.${stamp}-${n}`;
      await rename(this.path, target);
    }
  }
}

async function exists(p: string): Promise<boolean> {
  try {
    await stat(p);
    return true;
  } catch {
    return false;
  }
}

/** The live file and its rotated predecessors, oldest first. */
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
 * restarted instance can name it in its first record. Reads only the tail.
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
