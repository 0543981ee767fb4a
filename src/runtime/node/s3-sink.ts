import type { S3Client, S3ClientConfig } from "@aws-sdk/client-s3";
import { batchKey } from "../../audit/batch-key.js";
import { batchLines, type AuditFormat } from "../../audit/lines.js";
import type { AuditBatch, AuditSink } from "../../audit/sink.js";

/**
 * The S3 sink (Node and Lambda, through the AWS SDK): one object per batch at
 * `<prefix>/YYYY/MM/DD/HH/<chain>/<first-seq>.jsonl`, written with
 * `If-None-Match: *` so a batch is never overwritten, even by a second writer
 * that somehow shares a chain id. Bodies are strings (a stream of unknown
 * length breaks the SDK's default checksums). Failures are retried with
 * exponential backoff before the write is reported failed. The AWS SDK is
 * loaded on first use: importing this module (or `safeclaw-edge/node`) must
 * not cost a process that never writes to S3 the SDK's ~150 ms of loading.
 */
export interface S3SinkOptions {
  bucket: string;
  prefix: string;
  env: Record<string, string | undefined>;
  format?: AuditFormat;
  attempts?: number;
  client?: S3Client;
}

type Sdk = typeof import("@aws-sdk/client-s3");
let sdk: Promise<Sdk> | undefined;
const loadSdk = (): Promise<Sdk> => (sdk ??= import("@aws-sdk/client-s3"));

export async function s3ClientFromEnv(env: Record<string, string | undefined>): Promise<S3Client> {
  const endpoint = env.AWS_ENDPOINT_URL_S3 ?? env.AWS_ENDPOINT_URL;
  const config: S3ClientConfig = { region: env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? "us-east-1", maxAttempts: 1 };
  if (env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY) {
    config.credentials = {
      accessKeyId: env.AWS_ACCESS_KEY_ID,
      secretAccessKey: env.AWS_SECRET_ACCESS_KEY,
      ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}),
    };
  }
  if (endpoint) {
    config.endpoint = endpoint;
    config.forcePathStyle = true; // S3-compatible stores (MinIO, moto, R2) address buckets by path
  }
  return new (await loadSdk()).S3Client(config);
}

export class S3Sink implements AuditSink {
  readonly name = "s3";
  private client: Promise<S3Client> | undefined;

  constructor(private readonly opts: S3SinkOptions) {
    if (opts.client) this.client = Promise.resolve(opts.client);
  }

  private s3(): Promise<S3Client> {
    return (this.client ??= s3ClientFromEnv(this.opts.env));
  }

  async write(batch: AuditBatch): Promise<void> {
    const Key = batchKey(this.opts.prefix, batch);
    const Body = batchLines(batch, this.opts.format ?? "json").join("\n") + "\n";
    const attempts = this.opts.attempts ?? 4;
    const [client, { PutObjectCommand }] = await Promise.all([this.s3(), loadSdk()]);
    let lastError: unknown;
    for (let attempt = 0; attempt < attempts; attempt++) {
      if (attempt > 0) await sleep(100 * 2 ** (attempt - 1) * (0.5 + Math.random()));
      try {
        await client.send(new PutObjectCommand({ Bucket: this.opts.bucket, Key, Body, ContentType: "application/x-ndjson", IfNoneMatch: "*" }));
        return;
      } catch (e) {
        if (status(e) === 412) {
          // Already there: fine if it is this very batch (an earlier attempt landed), fatal otherwise.
          if ((await this.read(Key)) === Body) return;
          throw new Error(`s3://${this.opts.bucket}/${Key} already exists with other content; not overwriting it`);
        }
        lastError = e;
      }
    }
    throw new Error(`PutObject s3://${this.opts.bucket}/${Key} failed after ${attempts} attempts: ${(lastError as Error)?.message ?? String(lastError)}`);
  }

  private async read(Key: string): Promise<string | undefined> {
    try {
      const [client, { GetObjectCommand }] = await Promise.all([this.s3(), loadSdk()]);
      const r = await client.send(new GetObjectCommand({ Bucket: this.opts.bucket, Key }));
      return await r.Body?.transformToString();
    } catch {
      return undefined;
    }
  }
}

function status(e: unknown): number | undefined {
  return (e as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
