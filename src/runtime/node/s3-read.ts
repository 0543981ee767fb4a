import type { Line } from "../../audit/verify.js";
import { linesOf } from "./read-lines.js";
import { s3ClientFromEnv } from "./s3-sink.js";

/**
 * Reads an S3 trail as it is listed: one ListObjectsV2 page at a time, one
 * object at a time, each body streamed into lines. Keys are
 * `<prefix>/YYYY/MM/DD/HH/<chain>/<seq12>.jsonl`, and S3 lists in key order,
 * so the trail comes by time, then chain, then seq: each chain in order.
 * `time` narrows the listing to an hour (`2026/12/02/13`) or a day
 * (`2026/12/02`), a month or a year.
 */
export interface S3ReadOptions {
  /** a time prefix under the trail's prefix: YYYY[/MM[/DD[/HH]]] */
  time?: string;
  /** keys per ListObjectsV2 page (S3's default and maximum is 1000) */
  pageSize?: number;
}

export class S3ReadError extends Error {}

export function s3ListPrefix(prefix: string, time: string | undefined): string {
  const parts = [prefix, time].filter((p): p is string => p !== undefined && p !== "");
  return parts.length ? parts.join("/") + "/" : "";
}

export async function* s3Lines(bucket: string, prefix: string, env: Record<string, string | undefined>, opts: S3ReadOptions = {}): AsyncGenerator<Line> {
  const client = await s3ClientFromEnv(env);
  const { GetObjectCommand, ListObjectsV2Command } = await import("@aws-sdk/client-s3");
  const Prefix = s3ListPrefix(prefix, opts.time);
  let token: string | undefined;
  do {
    let page;
    try {
      page = await client.send(
        new ListObjectsV2Command({
          Bucket: bucket,
          ...(Prefix ? { Prefix } : {}),
          ...(opts.pageSize ? { MaxKeys: opts.pageSize } : {}),
          ContinuationToken: token,
        }),
      );
    } catch (e) {
      throw new S3ReadError(`listing s3://${bucket}/${Prefix} failed: ${describe(e)}`);
    }
    for (const o of page.Contents ?? []) {
      const Key = o.Key;
      if (!Key?.endsWith(".jsonl")) continue;
      let body;
      try {
        body = (await client.send(new GetObjectCommand({ Bucket: bucket, Key }))).Body;
      } catch (e) {
        throw new S3ReadError(`reading s3://${bucket}/${Key} failed: ${describe(e)}`);
      }
      if (body) yield* linesOf(body as unknown as AsyncIterable<Uint8Array>, `s3://${bucket}/${Key}`);
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
}

/** Every line under a prefix, collected (for small trails and tests; `s3Lines` streams). */
export async function readS3Lines(bucket: string, prefix: string, env: Record<string, string | undefined>, opts: S3ReadOptions = {}): Promise<Line[]> {
  const out: Line[] = [];
  for await (const l of s3Lines(bucket, prefix, env, opts)) out.push(l);
  return out;
}

function describe(e: unknown): string {
  const err = e as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  const status = err?.$metadata?.httpStatusCode;
  return `${err?.name ?? "Error"}${status ? ` (HTTP ${status})` : ""}: ${err?.message ?? String(e)}`;
}
