/**
 * `safeclaw-edge/workers`: the Cloudflare Worker (the policy compiled in) and
 * the audit sinks a Worker can use: an R2 binding, or any S3-compatible store
 * through SigV4-signed `fetch`.
 */
export { createWorker, type WorkerEnv, type ExecutionContextLike } from "./runtime/workers/create-worker.js";
export { R2Sink, type R2BucketLike } from "./runtime/workers/r2-sink.js";
export { FetchS3Sink } from "./runtime/workers/fetch-s3-sink.js";
