import { AwsClient } from "aws4fetch";
import type { AuditFormat } from "../../audit/lines.js";
import { ObjectStoreSink, ReadDeniedError, type ObjectStore } from "../../audit/object-sink.js";

/**
 * S3 (or any S3-compatible store) through a SigV4-signed `fetch`: the sink for
 * Workers, where the AWS SDK cannot parse S3's XML. The same delivery as the
 * SDK sink (audit/object-sink.ts): same object layout, `If-None-Match: *`,
 * read back on 412.
 */
export interface FetchS3Options {
  bucket: string;
  prefix: string;
  accessKeyId: string;
  secretAccessKey: string;
  region?: string;
  /** S3-compatible endpoint (path-style); default https://s3.<region>.amazonaws.com */
  endpoint?: string;
  format?: AuditFormat;
  attempts?: number;
  log?: (message: string) => void;
}

class FetchS3Store implements ObjectStore {
  readonly name = "s3";
  private readonly aws: AwsClient;
  private readonly base: string;

  constructor(private readonly opts: FetchS3Options) {
    const region = opts.region ?? "us-east-1";
    // retries: 0: the sink's own loop retries, under the writer's deadline (aws4fetch would retry a 5xx ten times).
    this.aws = new AwsClient({ accessKeyId: opts.accessKeyId, secretAccessKey: opts.secretAccessKey, region, service: "s3", retries: 0 });
    this.base = `${(opts.endpoint ?? `https://s3.${region}.amazonaws.com`).replace(/\/+$/, "")}/${opts.bucket}`;
  }

  locate(key: string): string {
    return `s3://${this.opts.bucket}/${key}`;
  }

  private url(key: string): string {
    return `${this.base}/${key.split("/").map(encodeURIComponent).join("/")}`;
  }

  async putIfAbsent(key: string, body: string, signal?: AbortSignal): Promise<"created" | "exists"> {
    const res = await this.aws.fetch(this.url(key), {
      method: "PUT",
      body,
      headers: { "content-type": "application/x-ndjson", "if-none-match": "*" },
      ...(signal ? { signal } : {}),
    });
    if (res.ok) {
      await res.body?.cancel();
      return "created";
    }
    const text = (await res.text()).slice(0, 200);
    if (res.status === 412) return "exists";
    throw new Error(`HTTP ${res.status}: ${text}`);
  }

  async get(key: string, signal?: AbortSignal, maxBytes?: number): Promise<string | undefined> {
    const headers: Record<string, string> = maxBytes !== undefined ? { range: `bytes=0-${maxBytes - 1}` } : {};
    const res = await this.aws.fetch(this.url(key), { method: "GET", headers, ...(signal ? { signal } : {}) });
    if (res.status === 404 || res.status === 416) {
      await res.body?.cancel();
      return res.status === 404 ? undefined : ""; // 416: an empty object has no byte 0
    }
    const text = await res.text();
    if (res.status === 401 || res.status === 403) throw new ReadDeniedError(`HTTP ${res.status}: ${text.slice(0, 200)}`);
    if (!res.ok) throw new Error(`HTTP ${res.status}: ${text.slice(0, 200)}`);
    return text;
  }
}

export class FetchS3Sink extends ObjectStoreSink {
  constructor(opts: FetchS3Options) {
    super(new FetchS3Store(opts), {
      prefix: opts.prefix,
      ...(opts.format ? { format: opts.format } : {}),
      ...(opts.attempts !== undefined ? { attempts: opts.attempts } : {}),
      ...(opts.log ? { log: opts.log } : {}),
    });
  }
}
