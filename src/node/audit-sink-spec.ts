import type { AuditFormat } from "../audit/lines.js";
import { createLineSink } from "../audit/line-sink.js";
import type { AuditSink } from "../audit/sink.js";
import { FileSink } from "./file-sink.js";

/**
 * `--audit` / SAFECLAW_AUDIT_SINK: `stdout`, `s3://bucket/prefix`, or a file path.
 */
export type SinkSpec = { kind: "stdout" } | { kind: "file"; path: string } | { kind: "s3"; bucket: string; prefix: string };

export function parseSinkSpec(spec: string): SinkSpec {
  if (spec === "stdout" || spec === "-") return { kind: "stdout" };
  if (spec.startsWith("s3://")) {
    const rest = spec.slice(5);
    const slash = rest.indexOf("/");
    const bucket = slash < 0 ? rest : rest.slice(0, slash);
    if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) throw new Error(`\`${spec}\`: \`${bucket}\` is not a valid S3 bucket name`);
    return { kind: "s3", bucket, prefix: slash < 0 ? "" : rest.slice(slash + 1).replace(/^\/+|\/+$/g, "") };
  }
  if (spec === "") throw new Error("audit sink is empty");
  return { kind: "file", path: spec };
}

export async function createSink(spec: SinkSpec, opts: { format?: AuditFormat; env?: NodeJS.ProcessEnv } = {}): Promise<AuditSink> {
  switch (spec.kind) {
    case "stdout":
      return createLineSink((line) => writeStdout(line), opts.format);
    case "file":
      return new FileSink(spec.path, opts.format ? { format: opts.format } : {});
    case "s3": {
      const { S3Sink } = await import("./s3-sink.js");
      return new S3Sink({ bucket: spec.bucket, prefix: spec.prefix, env: opts.env ?? process.env, ...(opts.format ? { format: opts.format } : {}) });
    }
  }
}

/** Resolves once the line is handed to the OS, so a batch "written" to stdout is really out. */
function writeStdout(line: string): Promise<void> {
  return new Promise((resolve, reject) => process.stdout.write(line + "\n", (e) => (e ? reject(e) : resolve())));
}
