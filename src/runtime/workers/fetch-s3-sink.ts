import { AwsClient } from "aws4fetch";
import { batchKey } from "../../audit/batch-key.js";
import { batchLines, type AuditFormat } from "../../audit/lines.js";
import type { AuditBatch, AuditSink } from "../../audit/sink.js";

/**
 * S3 (or any S3-compatible store) through a SigV4-signed `fetch`: the sink for
 * Workers, where the AWS SDK cannot parse S3's XML. Same object layout and the
 * same never-overwrite rule (`If-None-Match: *`) as the SDK sink.
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
}

export class FetchS3Sink implements AuditSink {
  readonly name = "s3";
  private readonly aws: AwsClient;
  private readonly base: string;

  constructor(private readonly opts: FetchS3Options) {
    const region = opts.region ?? "us-east-1";
    this.aws = new AwsClient({ accessKeyId: opts.accessKeyId, secretAccessKey: opts.secretAccessKey, region, service: "s3" });
    this.base = `${(opts.endpoint ?? `https://s3.${region}.amazonaws.com`).replace(/\/+$/, "")}/${opts.bucket}`;
  }

  async write(batch: AuditBatch): Promise<void> {
    const key = batchKey(this.opts.prefix, batch);
    const url = `${this.base}/${key.split("/").map(encodeURIComponent).join("/")}`;
    const body = batchLines(batch, this.opts.format ?? "json").join("\n") + "\n";
    const attempts = this.opts.attempts ?? 3;
    let last = "";
    for (let attempt = 0; attempt < attempts; attempt++) {
      if (attempt > 0) await new Promise((r) => setTimeout(r, 100 * 2 ** (attempt - 1)));
      let res: Response;
      try {
        res = await this.aws.fetch(url, { method: "PUT", body, headers: { "content-type": "application/x-ndjson", "if-none-match": "*" } });
      } catch (e) {
        last = (e as Error).message;
        continue;
      }
      if (res.ok) return;
      if (res.status === 412) {
        const existing = await this.aws.fetch(url, { method: "GET" });
        if (existing.ok && (await existing.text()) === body) return;
        throw new Error(`s3://${this.opts.bucket}/${key} already exists with other content; not overwriting it`);
      }
      last = `HTTP ${res.status}: ${(await res.text()).slice(0, 200)}`;
    }
    throw new Error(`PUT s3://${this.opts.bucket}/${key} failed after ${attempts} attempts: ${last}`);
  }
}
