import type { S3Client, S3ClientConfig } from "@aws-sdk/client-s3";
import type { AuditFormat } from "../../audit/lines.js";
import { ObjectStoreSink, ReadDeniedError, type ObjectStore } from "../../audit/object-sink.js";

/**
 * The S3 sink (Node and Lambda, through the AWS SDK): the shared object-store
 * delivery (audit/object-sink.ts: one object per batch, `If-None-Match: *`,
 * read back on 412) over the SDK's PutObject and GetObject. Bodies are strings
 * (a stream of unknown length breaks the SDK's default checksums). The AWS SDK
 * is loaded on first use: importing this module (or `safeclaw-edge/node`) must
 * not cost a process that never writes to S3 the SDK's ~150 ms of loading.
 */
export interface S3SinkOptions {
  bucket: string;
  prefix: string;
  env: Record<string, string | undefined>;
  format?: AuditFormat;
  attempts?: number;
  client?: S3Client;
  log?: (message: string) => void;
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

/** PutObject with If-None-Match and GetObject through the SDK, aborted at the writer's deadline. */
class SdkS3Store implements ObjectStore {
  readonly name = "s3";
  private client: Promise<S3Client> | undefined;

  constructor(private readonly opts: S3SinkOptions) {
    if (opts.client) this.client = Promise.resolve(opts.client);
  }

  locate(key: string): string {
    return `s3://${this.opts.bucket}/${key}`;
  }

  private s3(): Promise<S3Client> {
    return (this.client ??= s3ClientFromEnv(this.opts.env));
  }

  async putIfAbsent(Key: string, Body: string, signal?: AbortSignal): Promise<"created" | "exists"> {
    const [client, { PutObjectCommand }] = await Promise.all([this.s3(), loadSdk()]);
    try {
      await client.send(
        new PutObjectCommand({ Bucket: this.opts.bucket, Key, Body, ContentType: "application/x-ndjson", IfNoneMatch: "*" }),
        signal ? { abortSignal: signal } : {},
      );
      return "created";
    } catch (e) {
      if (status(e) === 412) return "exists";
      throw e;
    }
  }

  async get(Key: string, signal?: AbortSignal, maxBytes?: number): Promise<string | undefined> {
    const [client, { GetObjectCommand }] = await Promise.all([this.s3(), loadSdk()]);
    try {
      const Range = maxBytes !== undefined ? `bytes=0-${maxBytes - 1}` : undefined;
      const r = await client.send(new GetObjectCommand({ Bucket: this.opts.bucket, Key, ...(Range ? { Range } : {}) }), signal ? { abortSignal: signal } : {});
      return (await r.Body?.transformToString()) ?? "";
    } catch (e) {
      if (status(e) === 404) return undefined;
      if (status(e) === 416) return ""; // an empty object has no byte 0
      if (status(e) === 401 || status(e) === 403) throw new ReadDeniedError(`${(e as Error).name}: ${(e as Error).message}`);
      throw e;
    }
  }
}

export class S3Sink extends ObjectStoreSink {
  constructor(opts: S3SinkOptions) {
    super(new SdkS3Store(opts), {
      prefix: opts.prefix,
      ...(opts.format ? { format: opts.format } : {}),
      ...(opts.attempts !== undefined ? { attempts: opts.attempts } : {}),
      ...(opts.log ? { log: opts.log } : {}),
    });
  }
}

function status(e: unknown): number | undefined {
  return (e as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode;
}
