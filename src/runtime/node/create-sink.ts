import type { AuditFormat } from "../../audit/lines.js";
import { createLineSink } from "../../audit/line-sink.js";
import type { AuditSink } from "../../audit/sink.js";
import { parseSinkSpec, type SinkSpec } from "../../audit/sink-spec.js";
import { FileSink } from "./file-sink.js";

export { parseSinkSpec, type SinkSpec };

/** `stdoutStream: "stderr"`: where a `stdout` sink writes when stdout carries a protocol (`safeclaw check`'s decisions). */
export async function createSink(
  spec: SinkSpec,
  opts: { format?: AuditFormat; env?: NodeJS.ProcessEnv; stdoutStream?: "stdout" | "stderr"; maxBytes?: number; log?: (message: string) => void } = {},
): Promise<AuditSink> {
  switch (spec.kind) {
    case "stdout": {
      const stream = opts.stdoutStream === "stderr" ? process.stderr : process.stdout;
      return createLineSink((lines) => writeLine(stream, lines), opts.format, { joined: true });
    }
    case "file":
      return new FileSink(spec.path, {
        ...(opts.format ? { format: opts.format } : {}),
        ...(opts.maxBytes !== undefined ? { maxBytes: opts.maxBytes } : {}),
        ...(opts.log ? { log: opts.log } : {}),
      });
    case "s3": {
      const { S3Sink, s3ClientFromEnv } = await import("./s3-sink.js");
      // The SDK is loaded (0.2-1 s) and its client made now, at start-up, not inside the first write's deadline.
      const env = opts.env ?? process.env;
      return new S3Sink({
        bucket: spec.bucket,
        prefix: spec.prefix,
        env,
        client: await s3ClientFromEnv(env),
        ...(opts.format ? { format: opts.format } : {}),
        ...(opts.log ? { log: opts.log } : {}),
      });
    }
    case "r2":
      throw new Error("the r2 audit sink needs a Cloudflare Worker's R2 binding; on Node use s3:// with AWS_ENDPOINT_URL");
  }
}

/** Resolves once the line is handed to the OS, so a batch "written" to stdout is really out. */
function writeLine(stream: NodeJS.WriteStream, line: string): Promise<void> {
  return new Promise((resolve, reject) => stream.write(line + "\n", (e) => (e ? reject(e) : resolve())));
}
