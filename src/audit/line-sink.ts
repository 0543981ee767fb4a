import { batchLines, type AuditFormat } from "./lines.js";
import type { AuditBatch, AuditSink } from "./sink.js";

/**
 * The stdout sink, platform-neutral: one JSON line per record and checkpoint,
 * handed to whatever writes lines here (process.stdout on Node and Lambda,
 * console.log on Workers, where Logpush and Tail Workers pick it up).
 */
export function createLineSink(writeLine: (line: string) => void | Promise<void>, format: AuditFormat = "json", opts: { joined?: boolean } = {}): AuditSink {
  return {
    name: "stdout",
    async write(batch: AuditBatch) {
      const lines = batchLines(batch, format);
      // One write per batch where the writer accepts several lines at once (a Node stream).
      if (opts.joined) await writeLine(lines.join("\n"));
      else for (const line of lines) await writeLine(line);
    },
  };
}
