import { readFile, stat, readdir } from "node:fs/promises";
import { join } from "node:path";
import type { Readable } from "node:stream";
import type { Line } from "../../audit/verify.js";
import { auditFiles } from "./file-sink.js";
import { parseSinkSpec } from "./create-sink.js";

/**
 * Reads audit lines from a file (with its rotations, oldest first), a
 * directory (every file in name order), `-` (stdin: a log drain's output), or
 * `s3://bucket/prefix`.
 */
export async function readAuditLines(source: string, stdin: Readable | undefined, env: Record<string, string | undefined>): Promise<Line[]> {
  if (source === "-") {
    if (!stdin) throw new Error("no stdin to read");
    let text = "";
    for await (const chunk of stdin) text += chunk;
    return toLines(text, "stdin");
  }
  if (source.startsWith("s3://")) {
    const spec = parseSinkSpec(source);
    if (spec.kind !== "s3") throw new Error(`${source}: not an S3 location`);
    const { readS3Lines } = await import("./s3-sink.js");
    return readS3Lines(spec.bucket, spec.prefix, env);
  }
  let files: string[];
  try {
    const st = await stat(source);
    files = st.isDirectory() ? (await readdir(source)).sort().map((n) => join(source, n)) : await auditFiles(source);
  } catch {
    throw new Error(`${source}: no such file or directory`);
  }
  const out: Line[] = [];
  for (const f of files) out.push(...toLines(await readFile(f, "utf8"), f));
  return out;
}

function toLines(text: string, name: string): Line[] {
  const out: Line[] = [];
  text.split("\n").forEach((l, i) => {
    if (l.trim() !== "") out.push({ text: l, where: `${name}:${i + 1}` });
  });
  return out;
}
