import type { Line } from "../../audit/verify.js";

/**
 * The lines of a byte stream (a file, stdin, an S3 object body), read as they
 * arrive: each with `name:line` and the byte offset where it starts, so a torn
 * line can be located in the file. Never holds more than one line and one
 * chunk: a "line" longer than `maxLineBytes` (no audit line is near it) stops
 * the read with an error instead of exhausting memory. Blank lines are skipped
 * (their numbers still count); a trailing `\r` is dropped.
 */
export const MAX_LINE_BYTES = 64 * 1024 * 1024;

export class LineTooLongError extends Error {}

export async function* linesOf(stream: AsyncIterable<Uint8Array | string>, name: string, maxLineBytes = MAX_LINE_BYTES): AsyncGenerator<Line> {
  // The start of a line not ended yet, in the chunks it came in (joined only once its end arrives).
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let pendingOffset = 0;
  let lineNo = 0;
  const line = (buf: Buffer, start: number, end: number, offset: number): Line | undefined => {
    lineNo++;
    if (end > start && buf[end - 1] === 0x0d) end--;
    const text = buf.toString("utf8", start, end);
    return text.trim() === "" ? undefined : { text, where: `${name}:${lineNo}`, offset };
  };
  for await (const chunk of stream) {
    const data = typeof chunk === "string" ? Buffer.from(chunk, "utf8") : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    const dataOffset = pendingOffset + pendingBytes;
    let nl = data.indexOf(0x0a);
    if (nl < 0) {
      pending.push(data);
      pendingBytes += data.length;
      if (pendingBytes > maxLineBytes) throw new LineTooLongError(`${name}:${lineNo + 1}: a line longer than ${maxLineBytes} bytes: not an audit trail`);
      continue;
    }
    const first = pending.length > 0 ? Buffer.concat([...pending, data.subarray(0, nl)]) : data;
    const l = line(first, 0, pending.length > 0 ? first.length : nl, pendingOffset);
    if (l) yield l;
    let start = nl + 1;
    for (nl = data.indexOf(0x0a, start); nl >= 0; nl = data.indexOf(0x0a, start)) {
      const l = line(data, start, nl, dataOffset + start);
      if (l) yield l;
      start = nl + 1;
    }
    pending = start < data.length ? [data.subarray(start)] : [];
    pendingBytes = data.length - start;
    pendingOffset = dataOffset + start;
  }
  if (pendingBytes > 0) {
    const rest = Buffer.concat(pending);
    const l = line(rest, 0, rest.length, pendingOffset);
    if (l) yield l;
  }
}
